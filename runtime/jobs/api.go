package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// EnqueueOptions are the options of one enqueue.
type EnqueueOptions struct {
	// RunAt is when the job is due (zero: now).
	RunAt time.Time
	// Tick, when set, makes the job the job of this tick of the type's
	// schedule: due at the tick, and one job per (type, tick) in every
	// state, across instances (an enqueue of a tick that has a job
	// already is a Duplicate). RunAt is ignored. Config.Ticks uses it.
	Tick time.Time
}

// Enqueued is the outcome of an enqueue.
type Enqueued struct {
	// Job is the job enqueued, or with Duplicate the job that was there.
	Job *Job
	// Duplicate reports that the type's UniqueFor found a job with the
	// same payload in the same window: Job is that one, and nothing was
	// enqueued.
	Duplicate bool
}

// Enqueue enqueues a job of type typ with payload, a JSON object (nil for
// {}), in a transaction of its own, and tells the observer.
func (e *Engine) Enqueue(ctx context.Context, typ string, payload json.RawMessage, o *EnqueueOptions) (*Enqueued, error) {
	t, opts, err := e.prepare(typ, &payload, o)
	if err != nil {
		return nil, err
	}
	out, err := e.insert(ctx, nil, []*jobType{t}, []river.InsertManyParams{e.params(t, payload, opts)})
	if err != nil {
		return nil, err
	}
	res := out[0]
	if !res.Duplicate {
		// Told before the workers are woken: a worker that starts the
		// job at once tells its start after this.
		e.obs.tell(EventEnqueued, res.Job)
		e.q.kick(t.queue)
	}
	return res, nil
}

// EnqueueTx enqueues a job inside tx, a write transaction of the store
// the queue shares its database with, so that the job exists if and only
// if tx commits. tx is, or leads through StoreTx methods to:
//
//   - on SQLite, a *sql.Tx, or a value with a method SQLTx() *sql.Tx (the
//     runtime/store/sqlite Writer);
//   - on PostgreSQL, a pgx.Tx, or a value with a method
//     PgxConn() (*pgx.Conn, error) returning the connection of a
//     transaction in progress (the runtime/store/postgres Writer).
//
// A value with a method StoreTx() any is unwrapped first, as many times
// as needed: a *resource.Tx returns its backend's Writer, the S3 store's
// Writer its index's.
//
// When tx (the value given) has methods OnCommit(func()) and
// OnRollback(func()), as a *resource.Tx does, the engine uses them: after
// a commit it looks for the job at once (see Wake); and when tx leads to
// no SQL transaction this engine can join (the memory store's), the job
// is inserted at once but held back, released when tx commits and
// deleted when it rolls back (not atomic: a crash in between leaves it
// held, which the memory store, that loses everything, does not mind).
//
// The observer is not told: the caller records the job in its own
// transaction if it wants to (the job resource's first revision).
func (e *Engine) EnqueueTx(ctx context.Context, tx any, typ string, payload json.RawMessage, o *EnqueueOptions) (*Enqueued, error) {
	res, err := e.EnqueueManyTx(ctx, tx, []Request{{Type: typ, Payload: payload, Options: o}})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// Request is one job of EnqueueManyTx.
type Request struct {
	Type    string
	Payload json.RawMessage // a JSON object; nil for {}
	Options *EnqueueOptions // nil for none
}

// EnqueueManyTx enqueues jobs inside tx as EnqueueTx does one, with one
// insert of them all: all of them or none. The results are parallel to
// reqs. runtime/jobres enqueues the jobs of concurrent callers together
// this way (see Queue.Enqueue), for one statement and one commit instead
// of one each.
func (e *Engine) EnqueueManyTx(ctx context.Context, tx any, reqs []Request) ([]*Enqueued, error) {
	if tx == nil {
		return nil, errors.New("jobs: EnqueueTx without a transaction")
	}
	types := make([]*jobType, len(reqs))
	params := make([]river.InsertManyParams, len(reqs))
	for i, r := range reqs {
		payload := r.Payload
		t, opts, err := e.prepare(r.Type, &payload, r.Options)
		if err != nil {
			return nil, err
		}
		types[i] = t
		params[i] = e.params(t, payload, opts)
	}
	hooks, _ := tx.(commitHooks)
	inner := storeTx(tx)
	if !e.q.joins(inner) {
		if hooks == nil {
			return nil, fmt.Errorf("jobs: cannot enqueue in a transaction of type %T on this engine", inner)
		}
		out := make([]*Enqueued, len(reqs))
		for i := range reqs {
			res, err := e.enqueueHeld(ctx, hooks, types[i], params[i])
			if err != nil {
				return nil, err
			}
			out[i] = res
		}
		return out, nil
	}
	// The store's transaction owns cancellation: on SQLite, interrupting
	// a statement would roll back the store's whole transaction, which
	// may hold other calls' writes (runtime/store/sqlite commits calls in
	// groups).
	out, err := e.insert(context.WithoutCancel(ctx), inner, types, params)
	if err != nil {
		return nil, err
	}
	if hooks != nil {
		var queues []string
		for i, res := range out {
			if !res.Duplicate && !slices.Contains(queues, types[i].queue) {
				queues = append(queues, types[i].queue)
			}
		}
		if len(queues) > 0 {
			hooks.OnCommit(func() { e.q.kick(queues...) })
		}
	}
	return out, nil
}

// storeTx unwraps a transaction through its StoreTx methods.
func storeTx(tx any) any {
	for range 8 {
		u, ok := tx.(interface{ StoreTx() any })
		if !ok {
			break
		}
		tx = u.StoreTx()
	}
	return tx
}

// commitHooks is a store transaction that calls back when it ends (a
// *resource.Tx).
type commitHooks interface {
	OnCommit(func())
	OnRollback(func())
}

// enqueueHeld enqueues in a transaction that is not SQL: the job is
// inserted held back (River's pending state, which no worker fetches),
// released when tx commits, deleted when it rolls back.
func (e *Engine) enqueueHeld(ctx context.Context, tx commitHooks, t *jobType, p river.InsertManyParams) (*Enqueued, error) {
	p.InsertOpts.Pending = true
	out, err := e.insert(ctx, nil, []*jobType{t}, []river.InsertManyParams{p})
	if err != nil {
		return nil, err
	}
	res := out[0]
	if res.Duplicate {
		return res, nil
	}
	id := res.Job.ID
	bg := context.WithoutCancel(ctx)
	tx.OnCommit(func() {
		if err := e.q.release(bg, id); err != nil {
			e.log.Error("jobs: release a job enqueued in a committed transaction", "job_id", id, "error", err)
			return
		}
		e.q.kick(t.queue)
	})
	tx.OnRollback(func() {
		if err := e.q.delete(bg, id); err != nil && !errors.Is(err, ErrNotFound) {
			e.log.Error("jobs: delete a job enqueued in a rolled back transaction", "job_id", id, "error", err)
		}
	})
	return res, nil
}

// prepare checks an enqueue and returns its type and River options.
func (e *Engine) prepare(typ string, payload *json.RawMessage, o *EnqueueOptions) (*jobType, *river.InsertOpts, error) {
	t := e.types[typ]
	if t == nil {
		return nil, nil, fmt.Errorf("%w %q", ErrUnknownType, typ)
	}
	if *payload == nil {
		*payload = json.RawMessage(`{}`)
	}
	if err := checkPayload(*payload); err != nil {
		return nil, nil, fmt.Errorf("jobs: enqueue %s: %w", typ, err)
	}
	opts := &river.InsertOpts{}
	if o != nil {
		opts.ScheduledAt = o.RunAt
	}
	if t.UniqueFor > 0 {
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByPeriod: t.UniqueFor}
	}
	if o != nil && !o.Tick.IsZero() {
		opts.ScheduledAt, opts.UniqueOpts, opts.Metadata = o.Tick, tickUnique, tickMetadata(o.Tick)
	}
	return t, opts, nil
}

// checkPayload checks that a payload is a JSON object.
func checkPayload(p json.RawMessage) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(p, &obj); err != nil || obj == nil {
		return errors.New("the payload is not a JSON object")
	}
	return nil
}

// params returns River's insert of one job of type t.
func (e *Engine) params(t *jobType, payload json.RawMessage, opts *river.InsertOpts) river.InsertManyParams {
	opts.Queue, opts.MaxAttempts = t.queue, t.MaxAttempts
	return river.InsertManyParams{Args: args{kind: t.Name, payload: payload}, InsertOpts: opts}
}

// insert inserts jobs (of types, parallel to params), in tx or (nil) in
// a transaction of its own.
func (e *Engine) insert(ctx context.Context, tx any, types []*jobType, params []river.InsertManyParams) ([]*Enqueued, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	res, err := e.q.insert(ctx, tx, params)
	if err != nil {
		if len(types) == 1 {
			return nil, fmt.Errorf("jobs: enqueue %s: %w", types[0].Name, err)
		}
		return nil, fmt.Errorf("jobs: enqueue %d jobs: %w", len(types), err)
	}
	out := make([]*Enqueued, len(res))
	for i, r := range res {
		out[i] = &Enqueued{Job: jobOf(r.Job), Duplicate: r.UniqueSkippedAsDuplicate}
	}
	return out, nil
}

// isClosed reports whether Close was called.
func (e *Engine) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// Wake makes this instance look for due jobs now, in every queue: call
// it after committing a transaction that enqueued jobs (EnqueueTx) where
// the database has no immediate notifications (SQLite).
func (e *Engine) Wake() {
	queues := []string{defaultQueue}
	for _, name := range e.names {
		if q := e.types[name].queue; q != defaultQueue {
			queues = append(queues, q)
		}
	}
	e.q.kick(queues...)
}

// Get returns a job, or ErrNotFound (also once a finished job's retention
// has passed).
func (e *Engine) Get(ctx context.Context, id int64) (*Job, error) {
	row, err := e.q.get(ctx, id)
	if err != nil {
		return nil, err
	}
	return jobOf(row), nil
}

// ListOptions select and page the jobs of List.
type ListOptions struct {
	// Type selects the jobs of one type ("" for all).
	Type string
	// Status selects jobs in any of these statuses (none for all).
	Status []Status
	// After lists the jobs after this id, in the list's order (0 for the
	// first page): the id of the last job of the previous page.
	After int64
	// Limit bounds the jobs returned (default 100, at most 10,000).
	Limit int
	// Desc lists the newest jobs first (ids descending).
	Desc bool
}

// List returns jobs in id order (enqueue order).
func (e *Engine) List(ctx context.Context, o ListOptions) ([]*Job, error) {
	limit := o.Limit
	if limit <= 0 {
		limit = 100
	}
	p := river.NewJobListParams().First(min(limit, 10000))
	order, cmp := river.SortOrderAsc, "id > @after"
	if o.Desc {
		order, cmp = river.SortOrderDesc, "id < @after"
	}
	p = p.OrderBy(river.JobListOrderByID, order)
	if o.After != 0 {
		p = p.Where(cmp, river.NamedArgs{"after": o.After})
	}
	if o.Type != "" {
		p = p.Kinds(o.Type)
	}
	var states []rivertype.JobState
	for _, s := range o.Status {
		rs := riverStates(s)
		if rs == nil {
			return nil, fmt.Errorf("jobs: list: unknown status %q", s)
		}
		states = append(states, rs...)
	}
	if len(states) > 0 {
		p = p.States(states...)
	} else {
		p = p.States(allStates...)
	}
	rows, err := e.q.list(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]*Job, len(rows))
	for i, r := range rows {
		out[i] = jobOf(r)
	}
	return out, nil
}

// allStates are the River states List shows without a status: all but
// River's pending, which holds jobs whose transaction has not committed.
var allStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateCompleted, rivertype.JobStateDiscarded,
	rivertype.JobStateCancelled,
}

// Cancel cancels a job. A pending job is cancelled at once. A running
// job's handler has its context cancelled, on whichever instance runs it
// (it learns of it within milliseconds on PostgreSQL, tens of them on
// SQLite, at worst in two seconds), and the job ends cancelled when the
// handler returns an error; a handler that completes anyway completes
// the job. The job is returned as it is after the call (running, with
// CancelRequested, in the second case). A finished job is ErrFinished.
func (e *Engine) Cancel(ctx context.Context, id int64) (*Job, error) {
	before, err := e.q.get(ctx, id)
	if err != nil {
		return nil, err
	}
	if statusOf(before.State).Final() {
		return jobOf(before), ErrFinished
	}
	row, err := e.q.cancel(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("jobs: cancel %d: %w", id, err)
	}
	switch statusOf(row.State) {
	case StatusCancelled:
		e.tell(EventCancelled, row)
	case StatusRunning:
	default:
		// It finished meanwhile.
		return jobOf(row), ErrFinished
	}
	return jobOf(row), nil
}

// Rerun makes a job due now: a finished job runs again (River gives a job
// whose attempts are used up one more), a pending job runs without
// waiting for its run_at. A running job is ErrRunning.
func (e *Engine) Rerun(ctx context.Context, id int64) (*Job, error) {
	before, err := e.q.get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case before.State == rivertype.JobStateRunning:
		return jobOf(before), ErrRunning
	case before.State == rivertype.JobStateAvailable && !before.ScheduledAt.After(e.now()):
		return jobOf(before), nil // due already
	}
	row, err := e.q.retry(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("jobs: rerun %d: %w", id, err)
	}
	if row.State == rivertype.JobStateRunning {
		return jobOf(row), ErrRunning
	}
	e.q.kick(row.Queue)
	e.tell(EventRerun, row)
	return jobOf(row), nil
}
