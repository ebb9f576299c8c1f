package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"
)

// Schedules.
//
// River runs periodic jobs on its elected leader only, so a tick falls
// between two leaders when leadership moves (a deploy, a crash). Here
// every started engine enqueues every tick of every scheduled type, and
// the queue's unique index keeps one job per (type, tick): the first
// insert wins and the others find it there (River's unique jobs, keyed by
// kind and by the tick time through ByPeriod on the job's run_at). A tick
// thus runs once as long as one instance is up at that moment, whichever.
// Ticks missed while no instance ran are not caught up.
//
// That needs every instance to compute the same ticks. Cron expressions
// name absolute times; "@every d" is aligned to multiples of d since the
// zero time (Go's time.Truncate), rather than counted from each
// process's start as robfig/cron does.

// schedule returns the ticks of a job type.
type schedule interface {
	// Next returns the first tick strictly after t.
	Next(t time.Time) time.Time
}

// parseSchedule parses a schedule: five cron fields ("0 9 * * MON"), a
// descriptor (@hourly, @daily, @weekly, @monthly, @yearly) or "@every d"
// with d a whole number of seconds, at least 1s. Cron times are in UTC
// unless the expression starts with "TZ=<zone> " or "CRON_TZ=<zone> ".
func parseSchedule(spec string) (schedule, error) {
	spec = strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(spec, "@every "); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", spec, err)
		}
		if d < time.Second || d%time.Second != 0 {
			return nil, fmt.Errorf("schedule %q: the interval must be a whole number of seconds, at least 1s", spec)
		}
		return every(d), nil
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return s, nil
}

// every is "@every d", aligned to multiples of d.
type every time.Duration

// Next returns the first multiple of the interval after t.
func (e every) Next(t time.Time) time.Time {
	return t.Truncate(time.Duration(e)).Add(time.Duration(e))
}

// tickUnique makes the jobs of one tick of a type one job: unique by kind
// and run_at (ByPeriod truncates the run_at to the second, and ticks are
// at least a second apart), in every state, so that an instance late to
// enqueue a tick that already ran, failed or was cancelled does not run
// it again.
var tickUnique = river.UniqueOpts{
	ByPeriod: time.Second,
	ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted,
		rivertype.JobStateDiscarded, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled,
	},
}

// scheduler enqueues the ticks of one scheduled type until ctx ends.
func (e *Engine) scheduler(ctx context.Context, t *jobType) {
	next := t.schedule.Next(e.now())
	for {
		// A little jitter spreads the inserts of several instances, which
		// all wake at the tick, without delaying any by much.
		wait := next.Sub(e.now()) + time.Duration(rand.Int64N(int64(20*time.Millisecond)))
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		if err := e.enqueueTick(ctx, t, next); err != nil && ctx.Err() == nil {
			e.log.Error("jobs: enqueue a scheduled job", "type", t.Name, "tick", next, "error", err)
		}
		// A tick that took long to enqueue (a busy database) is not a
		// reason to skip the next one, but ticks already past are.
		from := next
		if late := e.now().Add(-time.Second); late.After(from) {
			from = late
		}
		next = t.schedule.Next(from)
	}
}

// enqueueTick enqueues the job of one tick, unless another instance has,
// through Config.Ticks when it is set.
func (e *Engine) enqueueTick(ctx context.Context, t *jobType, tick time.Time) error {
	if e.cfg.Ticks != nil {
		return e.cfg.Ticks(ctx, t.Name, tick)
	}
	opts := &river.InsertOpts{ScheduledAt: tick, UniqueOpts: tickUnique, Metadata: tickMetadata(tick)}
	out, err := e.insert(ctx, nil, []*jobType{t}, []river.InsertManyParams{e.params(t, t.SchedulePayload, opts)})
	if err == nil && !out[0].Duplicate {
		e.obs.tell(EventEnqueued, out[0].Job) // before a worker can tell its start
		e.q.kick(t.queue)
	}
	return err
}

// SchedulePayload returns the payload of the scheduled jobs of a type
// (Type.SchedulePayload, {} when unset), nil for an unknown type.
func (e *Engine) SchedulePayload(typ string) json.RawMessage {
	if t := e.types[typ]; t != nil {
		return t.SchedulePayload
	}
	return nil
}
