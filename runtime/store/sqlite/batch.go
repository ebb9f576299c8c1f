package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Group commit.
//
// SQLite has one writer at a time, so write throughput is set by what a
// write transaction costs while it holds the lock, and most of that is
// the commit: appending the changed pages to the WAL and the locking
// around it. Writers that arrive while a transaction runs therefore queue,
// and the next transaction runs every queued call together, each in its
// own savepoint, and commits once. Pages that several calls change (the
// leaves of the indexes, the table's last page) are written to the WAL
// once per group rather than once per call.
//
// No call waits for company: a call that finds the writer idle runs at
// once, alone. A call whose fn fails is rolled back to its savepoint and
// gets its error; the others of the group are unaffected. Every call
// returns only after the group's commit, so a call that returns nil is
// durable and visible to every later read, as with one transaction per
// call. When the group cannot commit, or a failure rolled back the whole
// transaction, each call of the group is run again alone (Backend.Update
// allows running fn again), so that one bad call cannot fail the others.
//
// There is no writer goroutine: the first caller to find the writer idle
// leads, runs the queue, and hands the lead to the first caller still
// queued when it is done, so no caller waits longer than the groups
// queued before it, and Close has nothing to stop.

// maxGroup bounds the calls of one group, and with it the latency a group
// adds to its first call.
const maxGroup = 64

// writeCall is one Update call.
type writeCall struct {
	ctx context.Context
	fn  func(resource.Writer) error
	// wake receives true when the call must lead the next group, false
	// when its group has run and err or panicked is set.
	wake chan bool

	err      error
	panicked bool
	panicVal any
	stack    []byte
}

// Update runs fn in a write transaction (BEGIN IMMEDIATE), possibly
// together with other callers' functions in one group commit. Writers in
// other processes wait for the file lock up to the busy timeout. When fn
// fails or panics its writes are rolled back, and a panic is re-raised in
// the caller's goroutine.
//
// fn runs with a context that is not cancelled with ctx: interrupting a
// statement rolls back SQLite's whole transaction, which here may hold
// other callers' writes. A call whose ctx is done before fn starts is not
// run.
func (s *Store) Update(ctx context.Context, fn func(resource.Writer) error) error {
	c := &writeCall{ctx: ctx, fn: fn, wake: make(chan bool, 1)}
	s.qmu.Lock()
	s.queue = append(s.queue, c)
	lead := !s.leading
	s.leading = true
	s.qmu.Unlock()
	if lead || <-c.wake {
		s.lead()
	}
	if c.panicked {
		// fn may have run on another caller's goroutine: keep the stack
		// of the panic itself.
		panic(fmt.Sprintf("%v\n\npanicked in a write function:\n%s", c.panicVal, c.stack))
	}
	return c.err
}

// lead runs one group, the calls queued now (up to maxGroup), wakes them,
// and passes the lead to the next queued call, if any.
func (s *Store) lead() {
	s.qmu.Lock()
	n := min(len(s.queue), maxGroup)
	group := make([]*writeCall, n)
	copy(group, s.queue)
	s.queue = append(s.queue[:0], s.queue[n:]...)
	s.qmu.Unlock()

	s.runGroup(group)

	s.qmu.Lock()
	if len(s.queue) > 0 {
		s.queue[0].wake <- true
	} else {
		s.leading = false
	}
	s.qmu.Unlock()
	// The leader is one of the group (the first): only the others wait.
	for _, c := range group[1:] {
		c.wake <- false
	}
}

// runGroup runs the calls of a group in one transaction, or, when that
// transaction fails as a whole, each call in its own.
func (s *Store) runGroup(group []*writeCall) {
	if len(group) == 1 {
		s.runAlone(group[0])
		return
	}
	begun, err := s.runTogether(group)
	switch {
	case err == nil:
	case !begun:
		// The write lock stayed out of reach (another process held it
		// past the busy timeout): running the calls one by one would
		// only wait as long again for each.
		for _, c := range group {
			c.err = fmt.Errorf("sqlite: begin: %w", err)
		}
	default:
		for _, c := range group {
			*c = writeCall{ctx: c.ctx, fn: c.fn, wake: c.wake}
			s.runAlone(c)
		}
	}
}

// runTogether runs a group in one transaction, each call in a savepoint.
// It returns an error, having rolled everything back, when the
// transaction as a whole failed, and whether it had begun; the calls' own
// errors are in the calls.
func (s *Store) runTogether(group []*writeCall) (begun bool, err error) {
	tx, err := s.write.BeginTx(context.Background(), nil)
	if err != nil {
		return false, err
	}
	for _, c := range group {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		if _, err := tx.Exec(`SAVEPOINT call`); err != nil {
			tx.Rollback()
			return true, err
		}
		if !s.call(c, tx) {
			// A failed statement can end SQLite's whole transaction (an
			// I/O error, a full disk): then ROLLBACK TO fails too, and
			// the group is run again call by call.
			if _, err := tx.Exec(`ROLLBACK TO call`); err != nil {
				tx.Rollback()
				return true, err
			}
		}
		if _, err := tx.Exec(`RELEASE call`); err != nil {
			tx.Rollback()
			return true, err
		}
	}
	if err := tx.Commit(); err != nil {
		return true, err
	}
	s.groups.Add(1)
	s.committed(len(group))
	return true, nil
}

// runAlone runs one call in its own transaction.
func (s *Store) runAlone(c *writeCall) {
	if c.err = c.ctx.Err(); c.err != nil {
		return
	}
	tx, err := s.write.BeginTx(context.Background(), nil)
	if err != nil {
		c.err = fmt.Errorf("sqlite: begin: %w", err)
		return
	}
	if !s.call(c, tx) {
		tx.Rollback()
		return
	}
	if err := tx.Commit(); err != nil {
		c.err = fmt.Errorf("sqlite: commit: %w", err)
		return
	}
	s.committed(1)
}

// call runs c.fn on tx and reports whether it succeeded. A panic is
// recovered and kept in c, to be raised again in c's own goroutine.
func (s *Store) call(c *writeCall, tx *sql.Tx) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			c.panicked, c.panicVal, c.stack = true, r, debug.Stack()
			c.err = errors.New("sqlite: write function panicked")
			ok = false
		}
	}()
	c.err = c.fn(&txn{s: s, ctx: context.WithoutCancel(c.ctx), tx: tx, writable: true})
	return c.err == nil
}

// committed counts n committed calls and refreshes the planner's
// statistics every optimizeEvery of them: tables grow from nothing in a
// long-running server. A failure only costs plan quality; the writes are
// committed.
func (s *Store) committed(n int) {
	after := s.commits.Add(int64(n))
	if after/optimizeEvery != (after-int64(n))/optimizeEvery {
		_ = s.optimize(context.Background(), "PRAGMA optimize")
	}
}
