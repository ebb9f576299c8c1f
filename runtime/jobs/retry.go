package jobs

import (
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/rivertype"
)

// backoff is the engine's retry policy (a river.ClientRetryPolicy):
// exponential backoff with jitter. Attempt n failed is retried after
// base·2^(n-1), at most max, less a random part of up to half of it, so
// that jobs that failed together (a dependency down) do not all come
// back at the same instant.
type backoff struct {
	base, max time.Duration
}

// NextRetry returns when a job whose attempt just failed runs again.
func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt))
}

// delay returns the wait after failed attempt n (from 1).
func (b *backoff) delay(n int) time.Duration {
	d := b.max
	if shift := max(n, 1) - 1; shift >= 0 && shift < 62 && b.base <= b.max>>shift {
		d = b.base << shift
	}
	if half := int64(d / 2); half > 0 {
		d -= time.Duration(rand.Int64N(half + 1))
	}
	return d
}
