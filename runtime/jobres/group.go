package jobres

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Group enqueue.
//
// An Enqueue made outside a caller's transaction needs a store
// transaction of its own, and most of what that costs is not the job:
// on PostgreSQL, BEGIN, River's insert and COMMIT are round trips, and
// each statement and each commit has a fixed cost; on SQLite, the commit.
// Enqueues that arrive while the running groups are busy therefore
// queue, and the next group runs every queued one together in one
// transaction (Service.TransactionMany): one River insert of all their
// jobs (Engine.EnqueueManyTx), their resources' revisions and records
// written many per statement, one commit. This is the group commit
// runtime/store/sqlite does for every write, one level up, where the
// jobs of a group can share their statements.
//
// No call waits for company: a call that finds fewer than maxLeaders()
// groups running starts one, alone. Every call returns only after its
// group has committed, so an Enqueue that returns nil has its job and
// its resource committed, as with a transaction per call. A call whose
// payload refers to a resource that does not exist gets its 422 and the
// others go on. When the group transaction fails as a whole (a resource
// that cannot be created, a failed statement, a panic), each call of the
// group runs again alone, so that one bad call cannot fail the others.
//
// A group holds calls of one subject only (the resources' created_by),
// and never a job of a type with UniqueFor (two enqueues of one payload
// in one insert would be one conflict for River to resolve twice): those
// run alone. An Enqueue inside a caller's transaction (a hook's) joins
// that transaction and is never grouped.
//
// There is no goroutine: the caller that starts a group leads it, and
// when it is done hands the calls queued meanwhile, as the next group,
// to the first of them, as runtime/store/sqlite's Update does.

// maxEnqueueGroup bounds the calls of one group, and with it the time a
// group holds its first call.
const maxEnqueueGroup = 64

// parallelGroups bounds the groups running at once on PostgreSQL, which
// runs transactions in parallel: a caller waits for a group only when
// that many are running already, so that a caller alone, or with one
// other, sees the latency of a transaction of its own (two round trips
// and a commit), and more share transactions. What a job costs
// PostgreSQL is mostly per transaction and per statement (BEGIN, COMMIT,
// River's insert, the revision's and the record's inserts), and a group
// pays those once for all its jobs: with eight enqueuers, eight groups
// at once put nearly every job in a transaction of its own, and a job
// cost about 1.5 times the CPU of raw River's (process and PostgreSQL);
// two groups at once, about 1.0 times, at the same or a better rate
// (docs/jobs.md, Performance). SQLite runs one write transaction at a
// time (its store commits them in groups of its own): one group at a
// time makes the largest groups there.
const parallelGroups = 2

// maxLeaders returns how many groups may run at once.
func (q *Queue) maxLeaders() int {
	if q.engine.SerialWrites() {
		return 1
	}
	return parallelGroups
}

// enqueueCall is one Enqueue waiting for its group.
type enqueueCall struct {
	ctx     context.Context
	def     *Def
	payload json.RawMessage
	opts    EnqueueOptions
	subject string
	// wake receives the group the call must lead, or nil when its group
	// has run and its outcome is set.
	wake chan []*enqueueCall

	env *resource.Envelope
	dup bool
	err error
	// panicked holds the panic of the call when it ran alone (on its
	// leader's goroutine), raised again on the call's own.
	panicked any
	stack    []byte
}

// grouped reports whether an Enqueue may join a group.
func grouped(ctx context.Context, def *Def) bool {
	return resource.TxFrom(ctx) == nil && def.Type.UniqueFor <= 0
}

// enqueueGrouped runs c in a group and returns once it has run.
func (q *Queue) enqueueGrouped(c *enqueueCall) {
	c.wake = make(chan []*enqueueCall, 1)
	q.gmu.Lock()
	if q.leaders < q.maxLeaders() {
		// The queue is empty: calls queue only while every leader is
		// busy, and a leader that finds calls queued leads on.
		q.leaders++
		q.gmu.Unlock()
		q.lead([]*enqueueCall{c})
	} else {
		q.gqueue = append(q.gqueue, c)
		q.gmu.Unlock()
		if group := <-c.wake; group != nil {
			q.lead(group)
		}
	}
	if c.panicked != nil {
		panic(fmt.Sprintf("%v\n\npanicked in a grouped enqueue:\n%s", c.panicked, c.stack))
	}
}

// lead runs a group whose first call is the caller's, then hands the
// calls queued meanwhile, as the next group, to the first of them, and
// wakes the others of its group.
func (q *Queue) lead(group []*enqueueCall) {
	q.runGroup(group)
	q.gmu.Lock()
	next := q.takeGroup()
	if next == nil {
		q.leaders--
	}
	q.gmu.Unlock()
	if next != nil {
		next[0].wake <- next
	}
	for _, c := range group[1:] {
		c.wake <- nil
	}
}

// takeGroup removes from the queue and returns the next group: the
// queued calls of the first one's subject, up to maxEnqueueGroup; nil
// when none is queued.
func (q *Queue) takeGroup() []*enqueueCall {
	if len(q.gqueue) == 0 {
		return nil
	}
	subject := q.gqueue[0].subject
	group := make([]*enqueueCall, 0, min(len(q.gqueue), maxEnqueueGroup))
	rest := q.gqueue[:0]
	for _, c := range q.gqueue {
		if len(group) < maxEnqueueGroup && c.subject == subject {
			group = append(group, c)
		} else {
			rest = append(rest, c)
		}
	}
	clear(q.gqueue[len(rest):])
	q.gqueue = rest
	return group
}

// runGroup runs the calls of a group in one transaction, or, when that
// fails as a whole, each call alone.
func (q *Queue) runGroup(group []*enqueueCall) {
	if len(group) > 1 {
		if err := q.enqueueTogether(group); err == nil {
			return
		}
	}
	for _, c := range group {
		q.runAlone(c)
	}
}

// runAlone runs one call of a group alone. A panic is kept in the call,
// to be raised again on its own goroutine: the leader must still wake
// the others.
func (q *Queue) runAlone(c *enqueueCall) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked, c.stack = r, debug.Stack()
			c.env, c.dup, c.err = nil, false, fmt.Errorf("jobres: enqueue panicked: %v", r)
		}
	}()
	c.env, c.dup, c.err = q.enqueueAlone(c.ctx, c.def, c.payload, c.opts)
}

// enqueueTogether enqueues the jobs of a group with one insert and
// creates their resources, in one transaction. A call whose payload's
// references fail gets its error; any other error fails the group, which
// is rolled back and returned.
func (q *Queue) enqueueTogether(group []*enqueueCall) (err error) {
	defer func() {
		// A panic of one call (a hook of the job kind) is raised again
		// when the calls run alone, on the goroutine of the call that
		// panics (see runAlone).
		if r := recover(); r != nil {
			err = fmt.Errorf("jobres: a grouped enqueue panicked: %v\n%s", r, debug.Stack())
		}
	}()
	live := make([]*enqueueCall, 0, len(group))
	ctx := context.WithoutCancel(group[0].ctx)
	return q.svc.TransactionMany(ctx, func(ctx context.Context, tx *resource.Tx) error {
		live = live[:0]
		for _, c := range group {
			c.env, c.dup, c.err = nil, false, nil
			if err := c.ctx.Err(); err != nil {
				c.err = err
				continue
			}
			if err := q.checkRefs(c.txCtx(tx), c.def, c.payload); err != nil {
				if resource.CodeOf(err) != resource.CodeValidation {
					return err
				}
				c.err = err
				continue
			}
			live = append(live, c)
		}
		if len(live) == 0 {
			return nil
		}
		reqs := make([]jobs.Request, len(live))
		for i, c := range live {
			reqs[i] = jobs.Request{Type: c.def.Type.Name, Payload: c.payload, Options: &jobs.EnqueueOptions{RunAt: c.opts.RunAt}}
		}
		res, err := q.engine.EnqueueManyTx(ctx, tx, reqs)
		if err != nil {
			return err
		}
		for i, c := range live {
			if c.env, c.dup, err = q.recordEnqueued(c.txCtx(tx), c.def, res[i], c.payload); err != nil {
				return err
			}
		}
		return nil
	})
}

// txCtx returns the call's context joining tx: its writes are the
// group's, made as the call's principal.
func (c *enqueueCall) txCtx(tx *resource.Tx) context.Context {
	return resource.WithTx(context.WithoutCancel(c.ctx), tx)
}
