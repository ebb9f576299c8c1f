package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// queue is the engine's view of its database: River's clients, and the
// few statements of its own (leases, counts). One implementation,
// riverQueue, serves SQLite and PostgreSQL through River's drivers; what
// differs between them is the transaction type, how a store transaction
// is unwrapped, and the engine's own SQL (sqlDialect).
type queue interface {
	// insert inserts jobs, in tx (a store transaction, see EnqueueTx) or,
	// when tx is nil, in a transaction of its own.
	insert(ctx context.Context, tx any, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	// joins reports whether insert can join tx, a store transaction.
	joins(tx any) bool
	get(ctx context.Context, id int64) (*rivertype.JobRow, error)
	list(ctx context.Context, p *river.JobListParams) ([]*rivertype.JobRow, error)
	cancel(ctx context.Context, id int64) (*rivertype.JobRow, error)
	retry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	delete(ctx context.Context, id int64) error

	// start starts the worker client and returns its events.
	start(ctx context.Context) (<-chan *river.Event, error)
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
	close() error

	// kick makes the worker client look for new jobs of the queues now
	// (after a commit that enqueued some), where the database has no
	// immediate notifications.
	kick(queues ...string)

	// The statements of leases (lease.go) and Stats.
	stuck(ctx context.Context, horizon time.Time, afterID int64, n int) ([]*rivertype.JobRow, error)
	rescue(ctx context.Context, p *riverdriver.JobRescueManyParams) error
	sqlDialect
}

// sqlDialect is the engine's own SQL on one database.
type sqlDialect interface {
	// heartbeat records that instance id is alive now.
	heartbeat(ctx context.Context, id string) error
	// forget removes the heartbeat of an instance that stopped, and those
	// of instances silent for a day.
	forget(ctx context.Context, id string) error
	// alive returns which of ids recorded a heartbeat within ttl.
	alive(ctx context.Context, ids []string, ttl time.Duration) (map[string]bool, error)
	// counts returns the number of jobs by type and River state, for the
	// states Stats reports.
	counts(ctx context.Context) ([]stateCount, error)
	// release makes a job held back in River's pending state (see
	// EnqueueTx) available, or scheduled when its run_at is ahead.
	release(ctx context.Context, id int64) error
}

// stateCount is the number of jobs of one type in one River state.
type stateCount struct {
	kind  string
	state rivertype.JobState
	n     int64
}

// riverQueue is a queue on River's clients of one driver.
type riverQueue[TTx any] struct {
	sqlDialect
	schema string
	driver riverdriver.Driver[TTx]
	work   *river.Client[TTx] // works the jobs
	api    *river.Client[TTx] // inserts and reads; may be work
	// unwrap returns the transaction of a store transaction, or false
	// when tx is of no kind it knows.
	unwrap func(tx any) (TTx, bool, error)
	// accepts reports, without side effects, whether unwrap knows tx.
	accepts func(tx any) bool
	kicker  func(queues ...string)
	closeFn func() error
}

func (q *riverQueue[TTx]) insert(ctx context.Context, tx any, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if tx == nil {
		return q.api.InsertMany(ctx, params)
	}
	t, ok, err := q.unwrap(tx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("jobs: cannot enqueue in a transaction of type %T on this engine", tx)
	}
	return q.api.InsertManyTx(ctx, t, params)
}

func (q *riverQueue[TTx]) joins(tx any) bool { return q.accepts(tx) }

func (q *riverQueue[TTx]) get(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return notFound(q.api.JobGet(ctx, id))
}

func (q *riverQueue[TTx]) list(ctx context.Context, p *river.JobListParams) ([]*rivertype.JobRow, error) {
	res, err := q.api.JobList(ctx, p)
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}

func (q *riverQueue[TTx]) cancel(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return notFound(q.api.JobCancel(ctx, id))
}

func (q *riverQueue[TTx]) retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return notFound(q.api.JobRetry(ctx, id))
}

func (q *riverQueue[TTx]) delete(ctx context.Context, id int64) error {
	_, err := notFound(q.api.JobDelete(ctx, id))
	return err
}

func (q *riverQueue[TTx]) start(ctx context.Context) (<-chan *river.Event, error) {
	events, _ := q.work.SubscribeConfig(&river.SubscribeConfig{ChanSize: subscriptionSize, Kinds: subscribed})
	// The work client runs on a context of its own: a request context
	// given to Engine.Start must not stop it when the request ends.
	if err := q.work.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, err
	}
	return events, nil
}

func (q *riverQueue[TTx]) stop(ctx context.Context) error { return q.work.Stop(ctx) }

func (q *riverQueue[TTx]) stopAndCancel(ctx context.Context) error {
	return q.work.StopAndCancel(ctx)
}

func (q *riverQueue[TTx]) close() error {
	if q.closeFn == nil {
		return nil
	}
	return q.closeFn()
}

func (q *riverQueue[TTx]) kick(queues ...string) {
	if q.kicker != nil {
		q.kicker(queues...)
	}
}

func (q *riverQueue[TTx]) stuck(ctx context.Context, horizon time.Time, afterID int64, n int) ([]*rivertype.JobRow, error) {
	return q.driver.GetExecutor().JobGetStuck(ctx, &riverdriver.JobGetStuckParams{
		AfterID: afterID, Max: n, Schema: q.schema, StuckHorizon: horizon,
	})
}

func (q *riverQueue[TTx]) rescue(ctx context.Context, p *riverdriver.JobRescueManyParams) error {
	p.Schema = q.schema
	_, err := q.driver.GetExecutor().JobRescueMany(ctx, p)
	return err
}

// notFound maps River's not-found error to ErrNotFound.
func notFound(row *rivertype.JobRow, err error) (*rivertype.JobRow, error) {
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, ErrNotFound
	}
	return row, err
}
