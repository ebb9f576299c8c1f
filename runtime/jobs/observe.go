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

// Attempts in flight.
//
// The start of an attempt is told by the worker as it starts, its end
// when River's subscription delivers it, after River's completer has
// committed it, in batches, a little later. The next attempt of a job
// retried at once can start on this instance before the end of the
// previous one is delivered: its start is then held until that end has
// been told, so that the observer sees each job's changes in the order
// they were committed. The end of an attempt may never be delivered (the
// subscription dropped it, or another instance took the job back from
// this one and River's completer found nothing to update): held starts
// are told anyway after holdLimit.

// holdLimit bounds how long the start of an attempt waits for the end of
// the previous one to be told.
const holdLimit = 10 * time.Second

// flight is a job with attempts in flight on this instance.
type flight struct {
	ends int        // ends of attempts not delivered yet
	held []heldTell // starts waiting for them, oldest first
}

// heldTell is a start held back.
type heldTell struct {
	row *rivertype.JobRow
	at  time.Time
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
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	f := e.flights[row.ID]
	if f == nil {
		f = &flight{}
		e.flights[row.ID] = f
	}
	f.ends++
	if f.ends > 1 {
		f.held = append(f.held, heldTell{row: row, at: now})
		return
	}
	e.tell(EventStarted, row)
}

// attemptEnded tells the end of an attempt, then the start it held back.
func (e *Engine) attemptEnded(ev Event, row *rivertype.JobRow) {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	e.tell(ev, row)
	f := e.flights[row.ID]
	if f == nil {
		return
	}
	f.ends--
	if len(f.held) > 0 {
		e.tell(EventStarted, f.held[0].row)
		f.held = f.held[1:]
	}
	if f.ends <= 0 {
		delete(e.flights, row.ID)
	}
}

// releaseHeld tells the starts held longer than holdLimit: the end they
// wait for is not coming.
func (e *Engine) releaseHeld(now time.Time) {
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	for id, f := range e.flights {
		for len(f.held) > 0 && now.Sub(f.held[0].at) > holdLimit {
			e.tell(EventStarted, f.held[0].row)
			f.held = f.held[1:]
			f.ends--
		}
		if f.ends <= 0 {
			delete(e.flights, id)
		}
	}
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
		e.attemptEnded(what, ev.Job)
	}
}
