package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// observerQueue calls an Observer with the changes told to it, in order,
// from one goroutine. It is unbounded: telling never blocks a job or a
// caller, and memory grows only while the observer is slower than the
// jobs.
type observerQueue struct {
	fn  Observer
	log *slog.Logger

	mu      sync.Mutex
	pending []Change
	wake    chan struct{}
	closing bool
	done    chan struct{}
}

func newObserverQueue(fn Observer, log *slog.Logger) *observerQueue {
	return &observerQueue{fn: fn, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

// start runs the observer's goroutine.
func (q *observerQueue) start() {
	if q.fn == nil {
		close(q.done)
		return
	}
	go q.run()
}

// tell queues a change.
func (q *observerQueue) tell(ev Event, j *Job) {
	if q.fn == nil {
		return
	}
	q.mu.Lock()
	q.pending = append(q.pending, Change{Event: ev, Job: j})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// close lets the goroutine tell what is queued, and waits for it.
func (q *observerQueue) close() {
	q.mu.Lock()
	q.closing = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.done
}

func (q *observerQueue) run() {
	defer close(q.done)
	for {
		q.mu.Lock()
		batch, closing := q.pending, q.closing
		q.pending = nil
		q.mu.Unlock()
		for _, c := range batch {
			q.call(c)
		}
		if len(batch) > 0 {
			continue
		}
		if closing {
			return
		}
		<-q.wake
	}
}

// call runs the observer on one change; a panic is logged.
func (q *observerQueue) call(c Change) {
	defer func() {
		if r := recover(); r != nil {
			q.log.Error("jobs: the observer panicked", "event", c.Event, "job_id", c.Job.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	q.fn(context.Background(), c)
}

// tell tells the observer of a change, when there is one.
func (e *Engine) tell(ev Event, row *rivertype.JobRow) {
	if e.cfg.Observer != nil && row != nil {
		e.obs.tell(ev, jobOf(row))
	}
}

// attemptStarted is called by the worker as an attempt starts: the job
// was fetched, which made it running.
func (e *Engine) attemptStarted(row *rivertype.JobRow, now time.Time) {
	if m := e.cfg.Metrics; m != nil {
		due := row.ScheduledAt
		if row.CreatedAt.After(due) {
			due = row.CreatedAt
		}
		m.JobStarted(row.Kind, max(now.Sub(due), 0))
	}
	e.tell(EventStarted, row)
}

// subscribed are the River events that end an attempt.
var subscribed = []river.EventKind{
	river.EventKindJobCompleted,
	river.EventKindJobFailed,
	river.EventKindJobCancelled,
	river.EventKindJobInterrupted,
	river.EventKindJobSnoozed,
}

// subscriptionSize is the buffer of the River subscription. River drops
// the events that overflow it, so forward empties it into the observer's
// unbounded queue at once; the buffer only covers a stalled scheduler.
const subscriptionSize = 1 << 14

// forward turns River's events about the attempts this instance ran into
// changes and metrics, until River closes the channel (at stop).
func (e *Engine) forward(events <-chan *river.Event) {
	for ev := range events {
		if ev.Job == nil {
			continue
		}
		var what Event
		switch ev.Kind {
		case river.EventKindJobCompleted:
			what = EventCompleted
		case river.EventKindJobCancelled:
			what = EventCancelled
		case river.EventKindJobInterrupted:
			what = EventInterrupted
		case river.EventKindJobFailed, river.EventKindJobSnoozed:
			what = EventRetry
			if ev.Job.State == rivertype.JobStateDiscarded {
				what = EventFailed
			}
		default:
			continue
		}
		if m := e.cfg.Metrics; m != nil && ev.JobStats != nil {
			m.JobFinished(ev.Job.Kind, statusOf(ev.Job.State), ev.JobStats.RunDuration)
		}
		e.tell(what, ev.Job)
	}
}
