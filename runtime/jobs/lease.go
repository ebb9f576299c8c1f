package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// Leases.
//
// A running job is leased to the instance that fetched it (the last entry
// of River's attempted_by). Each started instance records a heartbeat in
// specstar_job_worker every Config.Heartbeat, and on the same beat looks
// at the jobs running for longer than a beat: a job whose instance has
// been silent for WorkerTTL (killed, frozen, cut off), or that has run
// past its type's Timeout plus StuckGrace (a handler that ignores its
// context), is taken back. It becomes pending again, due after the
// backoff (the attempt counts, with the error "taken back"), or failed if
// that was its last attempt, or cancelled if a cancel was pending. Every
// instance takes part; River's conditional update (state still running,
// and attempted_at unchanged) lets one win, and only the winner tells
// its observer.
//
// So delivery is at least once: a job whose instance died mid-attempt
// runs again from the start, WorkerTTL (30s by default) after the last
// heartbeat, and a job that was in fact still running on an instance
// that could not record its heartbeats for WorkerTTL runs twice. Handlers
// should be idempotent.
//
// River has a rescuer of its own, run by the elected leader, which waits
// for the job's timeout (ten minutes by default) whatever became of its
// instance, and tells no one; the engine sets it out of reach
// (riverRescueOff).

// leaseBatch is how many running jobs one query of a lease pass reads.
const leaseBatch = 100

// leaseLoop records heartbeats and takes back jobs until ctx ends.
func (e *Engine) leaseLoop(ctx context.Context) {
	for {
		// Jitter keeps the instances' passes apart.
		wait := e.cfg.Heartbeat - time.Duration(rand.Int64N(int64(e.cfg.Heartbeat/5)+1))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := e.q.heartbeat(ctx, e.cfg.InstanceID); err != nil && ctx.Err() == nil {
			e.log.Warn("jobs: record heartbeat", "error", err)
		}
		if err := e.leasePass(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("jobs: look for jobs of dead instances", "error", err)
		}
		e.releaseHeld(e.now())
	}
}

// leasePass takes back the running jobs whose lease has expired, and
// counts them by type for Stats.
func (e *Engine) leasePass(ctx context.Context) error {
	now := e.now()
	// A job fetched within the last beat has a live instance.
	horizon := now.Add(-e.cfg.Heartbeat)
	stale := make(map[string]int64)
	defer func() { e.stale.Store(&stale) }()
	var after int64
	for {
		rows, err := e.q.stuck(ctx, horizon, after, leaseBatch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1].ID
		alive, err := e.q.alive(ctx, lastWorkers(rows), e.cfg.WorkerTTL)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.AttemptedAt == nil {
				continue // not possible for a running job; River sets both
			}
			why := e.expired(r, alive, now)
			if why == "" {
				continue
			}
			stale[r.Kind]++
			if err := e.takeBack(ctx, r, why); err != nil {
				return err
			}
		}
		if len(rows) < leaseBatch {
			return nil
		}
	}
}

// lastWorkers returns the instances that run the jobs.
func lastWorkers(rows []*rivertype.JobRow) []string {
	seen := make(map[string]bool)
	var out []string
	for _, r := range rows {
		if n := len(r.AttemptedBy); n > 0 && !seen[r.AttemptedBy[n-1]] {
			seen[r.AttemptedBy[n-1]] = true
			out = append(out, r.AttemptedBy[n-1])
		}
	}
	return out
}

// expired returns why a running job's lease has expired, or "".
func (e *Engine) expired(r *rivertype.JobRow, alive map[string]bool, now time.Time) string {
	n := len(r.AttemptedBy)
	if n == 0 || !alive[r.AttemptedBy[n-1]] {
		by := "an unknown instance"
		if n > 0 {
			by = "instance " + r.AttemptedBy[n-1]
		}
		return fmt.Sprintf("taken back: %s, which ran the job, stopped recording heartbeats", by)
	}
	timeout := DefaultTimeout
	if t := e.types[r.Kind]; t != nil {
		timeout = t.Timeout
	}
	if r.AttemptedAt != nil && now.Sub(*r.AttemptedAt) > timeout+e.cfg.StuckGrace {
		return fmt.Sprintf("taken back: the attempt ran %s past its timeout (%s)", e.cfg.StuckGrace, timeout)
	}
	return ""
}

// takeBack ends the lease of a running job: pending again after the
// backoff, failed after its last attempt, cancelled if a cancel was
// pending. The update applies only if the job is still in the same
// attempt; the observer is told only when this instance's update won.
func (e *Engine) takeBack(ctx context.Context, r *rivertype.JobRow, why string) error {
	now := e.now().UTC().Truncate(time.Millisecond)
	why += " (by " + e.cfg.InstanceID + ")"
	errData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: r.Attempt, Error: why})
	if err != nil {
		return err
	}
	var md jobMetadata
	_ = json.Unmarshal(r.Metadata, &md)
	state, scheduled, finalized := rivertype.JobStateRetryable, now, (*time.Time)(nil)
	switch {
	case md.CancelAttemptedAt != nil:
		state, scheduled, finalized = rivertype.JobStateCancelled, r.ScheduledAt, &now
	case r.Attempt >= r.MaxAttempts:
		state, scheduled, finalized = rivertype.JobStateDiscarded, r.ScheduledAt, &now
	default:
		scheduled = now.Add(e.backoff().delay(r.Attempt))
		// As River's executor does: a retry due before the scheduler's
		// next run is made available now, to be fetched when due.
		if scheduled.Sub(now) <= riverSchedulerInterval {
			state = rivertype.JobStateAvailable
		}
	}
	// attempted_at < horizon holds only while the attempt is the one read.
	horizon := r.AttemptedAt.Add(time.Millisecond)
	if err := e.q.rescue(ctx, &riverdriver.JobRescueManyParams{
		ID:           []int64{r.ID},
		Error:        [][]byte{errData},
		FinalizedAt:  []*time.Time{finalized},
		ScheduledAt:  []time.Time{scheduled},
		State:        []string{string(state)},
		StuckHorizon: horizon,
	}); err != nil {
		return fmt.Errorf("take back job %d: %w", r.ID, err)
	}
	after, err := e.q.get(ctx, r.ID)
	if err != nil {
		return fmt.Errorf("take back job %d: %w", r.ID, err)
	}
	if k := len(after.Errors); k > 0 && after.Errors[k-1].Error == why && after.Errors[k-1].At.Equal(now) {
		e.log.Warn("jobs: "+why, "job_id", r.ID, "job_type", r.Kind, "status", statusOf(after.State))
		e.tell(EventRescued, after)
	}
	return nil
}

// backoff returns the engine's retry policy.
func (e *Engine) backoff() *backoff {
	return &backoff{base: e.cfg.RetryBase, max: e.cfg.RetryMax}
}
