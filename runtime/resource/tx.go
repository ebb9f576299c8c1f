package resource

import (
	"context"
	"errors"
	"fmt"
)

// Tx is a write transaction in progress, handed to hooks. Every Service
// call whose context carries it (the context hooks receive does, and
// WithTx adds it to another) runs inside it instead of opening its own:
// reads see the transaction's writes, and writes commit or roll back with
// the call that opened it. Generated typed repositories bound to a Tx
// (the Tx of a PostWrite) do the same whatever context they are given.
//
// A Tx is valid only while its hook runs and is not safe for concurrent
// use. A write inside it that fails fails the whole transaction, even if
// the hook ignores the error: the store may already hold part of it.
type Tx struct {
	t *writeTx
}

// Service returns the service whose call opened the transaction.
func (tx *Tx) Service() *Service { return tx.t.s }

// StoreTx returns the backend's Writer of the transaction, for code that
// must run its own statements inside it: runtime/jobs unwraps it to the
// SQL transaction of the SQLite and PostgreSQL stores (their SQLTx and
// PgxConn methods), so that a job enqueued by a hook exists if and only
// if the write commits. Writing resources through it bypasses the
// Service: use the Tx's Service calls for that.
func (tx *Tx) StoreTx() any { return tx.t.w }

// OnCommit registers fn to run once the transaction has committed, before
// the change observers and the AfterCommit hooks. A backend that runs the
// write again (a retried transaction) forgets the callbacks of the
// earlier attempt.
func (tx *Tx) OnCommit(fn func()) { tx.t.onCommit = append(tx.t.onCommit, fn) }

// OnRollback registers fn to run if the transaction does not commit: when
// the call fails, and when the backend abandons an attempt to run the
// write again (then before the next attempt starts).
func (tx *Tx) OnRollback(fn func()) { tx.t.onRollback = append(tx.t.onRollback, fn) }

// txKey is the context key of the transaction of a hook.
type txKey struct{}

// WithTx returns ctx carrying tx, so that Service calls made with it join
// tx. A nil tx returns ctx unchanged.
func WithTx(ctx context.Context, tx *Tx) context.Context {
	if tx == nil {
		return ctx
	}
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFrom returns the transaction ctx carries, or nil.
func TxFrom(ctx context.Context) *Tx {
	tx, _ := ctx.Value(txKey{}).(*Tx)
	return tx
}

// maxNesting bounds how deep writes made by hooks may nest (a hook that
// writes the resource that triggers it would otherwise recurse forever).
const maxNesting = 16

// errTxDone is returned by calls that join a transaction which has ended.
var errTxDone = errors.New("resource: the hook's transaction has ended: use the Tx (or its context) only while the hook runs")

// handle returns the Tx of this call, made on first use.
func (t *writeTx) handle() *Tx {
	if t.tx == nil {
		t.tx = &Tx{t: t}
	}
	return t.tx
}

// hookCtx returns the context hooks receive: the context of the call
// running now (a write a hook made, or the call that opened the
// transaction), carrying the transaction.
func (t *writeTx) hookCtx() context.Context {
	if t.ctx == nil {
		t.ctx = WithTx(t.callCtx, t.handle())
	}
	return t.ctx
}

// joined returns the open transaction of this Service that ctx carries,
// or nil. A transaction of another Service is not joined.
func (s *Service) joined(ctx context.Context) *writeTx {
	tx := TxFrom(ctx)
	if tx == nil || tx.t.s != s {
		return nil
	}
	return tx.t
}

// nested runs fn inside the open transaction t, for a write made by a
// hook. The write's error fails the whole transaction: the backend may
// have stored part of it, and PostgreSQL refuses every statement after
// a failed one anyway.
func (t *writeTx) nested(ctx context.Context, op string, fn func(t *writeTx) error) error {
	if t.done {
		return errTxDone
	}
	// Hooks of the nested write see its context, which carries the
	// transaction already (that is how the call joined it).
	outer := t.ctx
	t.ctx = ctx
	defer func() { t.ctx = outer }()
	if t.depth >= maxNesting {
		err := fmt.Errorf("resource: %s: hooks nested writes %d deep; does a hook write the resource that triggers it?", op, maxNesting)
		t.fail(err)
		return err
	}
	t.depth++
	err := fn(t)
	t.depth--
	if err != nil {
		err = t.writeErr(err)
		t.fail(err)
	}
	return err
}

// rolledBack runs the rollback callbacks of an attempt that did not
// commit, and forgets every callback of it.
func (t *writeTx) rolledBack() {
	fns := t.onRollback
	t.onCommit, t.onRollback = nil, nil
	for _, fn := range fns {
		fn()
	}
}

// committed runs the commit callbacks.
func (t *writeTx) committed() {
	fns := t.onCommit
	t.onCommit, t.onRollback = nil, nil
	for _, fn := range fns {
		fn()
	}
}

// fail records the first error of a write made inside the transaction.
func (t *writeTx) fail(err error) {
	if t.failed == nil {
		t.failed = err
	}
}
