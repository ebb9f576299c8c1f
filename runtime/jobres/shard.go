package jobres

import (
	"sync"
	"time"

	"github.com/specstar-go/specstar/runtime/jobs"
)

// Writing status changes.
//
// Each status change of a job is a revision of its resource, and the
// record of the resource is rewritten with it (with the indexes of its
// status, attempts and times). A short job starts and ends within
// milliseconds: its start and its end written in one batch cost one read
// and one write of its record instead of two of each, and the same two
// revisions. So a shard holds the start of an attempt back until the
// attempt's end arrives, or for startHold at most, and writes both
// together; other changes are written as soon as the shard is free. The
// history keeps every change: the start is written late, never dropped.
// The price is that the resource of a running job shows it running up to
// startHold after it started (its started_at is exact).

// startHold bounds how long the start of an attempt waits for its end.
const startHold = 250 * time.Millisecond

// shard writes the status changes of some jobs, in batches.
type shard struct {
	q       *Queue
	mu      sync.Mutex
	pending []pendingChange
	// jobs counts the pending changes of each job.
	jobs    map[int64]int
	wake    chan struct{}
	closing bool
	done    chan struct{} // closed when run has returned
}

// pendingChange is a change waiting to be written from due on.
type pendingChange struct {
	c   jobs.Change
	due time.Time
}

func newShard(q *Queue) *shard {
	return &shard{q: q, jobs: make(map[int64]int), wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// add queues a change. A start is due after startHold; anything else at
// once, and makes the pending changes of its job due with it.
func (sh *shard) add(c jobs.Change) {
	now := time.Now()
	due := now
	if c.Event == jobs.EventStarted {
		due = now.Add(startHold)
	}
	sh.mu.Lock()
	id := c.Job.ID
	if due.Equal(now) && sh.jobs[id] > 0 {
		for i := range sh.pending {
			if p := &sh.pending[i]; p.c.Job.ID == id && p.due.After(now) {
				p.due = now
			}
		}
	}
	sh.pending = append(sh.pending, pendingChange{c: c, due: due})
	sh.jobs[id]++
	sh.mu.Unlock()
	select {
	case sh.wake <- struct{}{}:
	default:
	}
}

// take removes and returns the changes due at now (all of them when
// closing), at most batchMax, in order, and the time the next pending
// change is due (zero when none is pending).
func (sh *shard) take(now time.Time, closing bool) (batch []jobs.Change, next time.Time) {
	rest := sh.pending[:0]
	for _, p := range sh.pending {
		if len(batch) < batchMax && (closing || !p.due.After(now)) {
			batch = append(batch, p.c)
			if sh.jobs[p.c.Job.ID]--; sh.jobs[p.c.Job.ID] <= 0 {
				delete(sh.jobs, p.c.Job.ID)
			}
			continue
		}
		rest = append(rest, p)
		if next.IsZero() || p.due.Before(next) {
			next = p.due
		}
	}
	clear(sh.pending[len(rest):])
	sh.pending = rest
	return batch, next
}

// run writes the queued changes, in batches, until stop.
func (sh *shard) run() {
	defer close(sh.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		sh.mu.Lock()
		closing := sh.closing
		batch, next := sh.take(time.Now(), closing)
		sh.mu.Unlock()
		if len(batch) > 0 {
			sh.q.writeBatch(batch)
			continue
		}
		if closing && next.IsZero() {
			return
		}
		if next.IsZero() {
			<-sh.wake
			continue
		}
		timer.Reset(time.Until(next))
		select {
		case <-sh.wake:
		case <-timer.C:
		}
	}
}

// stop lets run write what is queued, and waits for it.
func (sh *shard) stop() {
	sh.mu.Lock()
	sh.closing = true
	sh.mu.Unlock()
	select {
	case sh.wake <- struct{}{}:
	default:
	}
	<-sh.done
}
