package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"
)

// heldTx is a store transaction that is not SQL, like the memory
// store's: it calls back when it ends.
type heldTx struct {
	commit, rollback []func()
}

func (h *heldTx) OnCommit(fn func())   { h.commit = append(h.commit, fn) }
func (h *heldTx) OnRollback(fn func()) { h.rollback = append(h.rollback, fn) }

// sqlWriter stands for the Writer of runtime/store/sqlite.
type sqlWriter struct{ tx *sql.Tx }

func (w sqlWriter) SQLTx() *sql.Tx { return w.tx }

// pgWriter stands for the Writer of runtime/store/postgres: a connection
// in a transaction it began.
type pgWriter struct{ conn *pgx.Conn }

func (w pgWriter) PgxConn() (*pgx.Conn, error) { return w.conn, nil }

// testTx is a write transaction of a store sharing the engine's
// database.
type testTx struct {
	name     string
	tx       any
	commit   func() error
	rollback func() error
}

// resourceTx stands for a *resource.Tx: it leads to the backend's
// transaction (StoreTx) and calls back when it ends.
type resourceTx struct {
	heldTx
	inner any
}

func (r *resourceTx) StoreTx() any { return r.inner }

// asResource wraps a test transaction as a resource.Tx would.
func asResource(st testTx) testTx {
	r := &resourceTx{inner: st.tx}
	return testTx{
		name: "resource(" + st.name + ")",
		tx:   r,
		commit: func() error {
			if err := st.commit(); err != nil {
				return err
			}
			for _, f := range r.commit {
				f()
			}
			return nil
		},
		rollback: func() error {
			err := st.rollback()
			for _, f := range r.rollback {
				f()
			}
			return err
		},
	}
}

// storeTxs returns a way to open store transactions of each kind the
// backend accepts.
func storeTxs(t *testing.T, b backend) []func() testTx {
	ctx := context.Background()
	switch b.name {
	case "memory":
		return []func() testTx{func() testTx {
			h := &heldTx{}
			run := func(fns []func()) error {
				for _, f := range fns {
					f()
				}
				return nil
			}
			return testTx{name: "held", tx: h, commit: func() error { return run(h.commit) }, rollback: func() error { return run(h.rollback) }}
		}}
	case "sqlite":
		db, err := sql.Open("sqlite", dbPath(t)+"?"+url.Values{"_txlock": {"immediate"}, "_pragma": {"busy_timeout(10000)"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		open := func(wrap bool) func() testTx {
			return func() testTx {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					t.Fatal(err)
				}
				var v any = tx
				name := "*sql.Tx"
				if wrap {
					v, name = sqlWriter{tx}, "SQLTx"
				}
				return testTx{name: name, tx: v, commit: tx.Commit, rollback: tx.Rollback}
			}
		}
		return []func() testTx{open(false), open(true), func() testTx { return asResource(open(true)()) }}
	case "postgres":
		pool, _ := pgPool(t)
		txs := []func() testTx{
			func() testTx {
				tx, err := pool.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return testTx{name: "pgx.Tx", tx: tx, commit: func() error { return tx.Commit(ctx) }, rollback: func() error { return tx.Rollback(ctx) }}
			},
			func() testTx {
				conn, err := pool.Acquire(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
					t.Fatal(err)
				}
				end := func(stmt string) func() error {
					return func() error {
						defer conn.Release()
						tag, err := conn.Exec(ctx, stmt)
						if err == nil && stmt == "COMMIT" && tag.String() != "COMMIT" {
							err = fmt.Errorf("commit answered %s", tag)
						}
						return err
					}
				}
				return testTx{name: "PgxConn", tx: pgWriter{conn.Conn()}, commit: end("COMMIT"), rollback: end("ROLLBACK")}
			},
		}
		return append(txs, func() testTx { return asResource(txs[1]()) })
	}
	t.Fatalf("no store transactions for %s", b.name)
	return nil
}

// TestEnqueueTx checks that a job enqueued in a store transaction exists
// if and only if the transaction commits.
func TestEnqueueTx(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			ran := make(chan string, 10)
			e := b.open(t, Config{Types: []Type{{Name: "Notify", Handler: Typed(func(_ context.Context, _ *Run, p struct{ Who string }) (any, error) {
				ran <- p.Who
				return nil, nil
			})}}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			for _, open := range storeTxs(t, b) {
				// Rolled back: no job, nothing runs.
				st := open()
				res, err := e.EnqueueTx(ctx, st.tx, "Notify", mustJSON(map[string]string{"Who": "rolled back " + st.name}), nil)
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				if err := st.rollback(); err != nil {
					t.Fatalf("%s: rollback: %v", st.name, err)
				}
				if _, err := e.Get(ctx, res.Job.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("%s: job of a rolled back transaction: %v", st.name, err)
				}
				// Committed: the job runs.
				st = open()
				res, err = e.EnqueueTx(ctx, st.tx, "Notify", mustJSON(map[string]string{"Who": "committed " + st.name}), nil)
				if err != nil {
					t.Fatalf("%s: %v", st.name, err)
				}
				if err := st.commit(); err != nil {
					t.Fatalf("%s: commit: %v", st.name, err)
				}
				e.Wake()
				select {
				case who := <-ran:
					if who != "committed "+st.name {
						t.Fatalf("%s: ran %q", st.name, who)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("%s: the committed job did not run", st.name)
				}
				waitStatus(t, e, res.Job.ID, StatusCompleted)
			}
			select {
			case who := <-ran:
				t.Fatalf("ran %q", who)
			case <-time.After(200 * time.Millisecond):
			}
		})
	}
}

// TestCancel cancels a running job and a pending one.
func TestCancel(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			rec := &recorder{}
			started := make(chan struct{}, 1)
			var cause error
			var mu sync.Mutex
			e := b.open(t, Config{Observer: rec.observe, Types: []Type{{Name: "Long", Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
				started <- struct{}{}
				<-ctx.Done()
				mu.Lock()
				cause = context.Cause(ctx)
				mu.Unlock()
				return nil, ctx.Err()
			}}}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := e.Enqueue(ctx, "Long", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			<-started
			j, err := e.Cancel(ctx, res.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status != StatusRunning || !j.CancelRequested {
				t.Fatalf("after cancel: %+v", j)
			}
			j = waitStatus(t, e, res.Job.ID, StatusCancelled)
			if j.FinishedAt.IsZero() || j.Attempts != 1 {
				t.Fatalf("cancelled job %+v", j)
			}
			mu.Lock()
			if cause == nil || !strings.Contains(cause.Error(), "cancelled") {
				t.Errorf("context cause %v", cause)
			}
			mu.Unlock()
			if _, err := e.Cancel(ctx, res.Job.ID); !errors.Is(err, ErrFinished) {
				t.Fatalf("cancel again: %v", err)
			}

			// A pending job is cancelled at once.
			later, err := e.Enqueue(ctx, "Long", nil, &EnqueueOptions{RunAt: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			j, err = e.Cancel(ctx, later.Job.ID)
			if err != nil || j.Status != StatusCancelled {
				t.Fatalf("cancel pending: %+v, %v", j, err)
			}
			// And can be rerun.
			j, err = e.Rerun(ctx, later.Job.ID)
			if err != nil || j.Status != StatusPending {
				t.Fatalf("rerun: %+v, %v", j, err)
			}
			<-started
			if _, err := e.Rerun(ctx, later.Job.ID); !errors.Is(err, ErrRunning) {
				t.Fatalf("rerun running: %v", err)
			}
			if _, err := e.Cancel(ctx, later.Job.ID); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, e, later.Job.ID, StatusCancelled)
			if _, err := e.Get(ctx, 1<<40); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get unknown: %v", err)
			}
			if err := e.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			for id, want := range map[int64]string{
				res.Job.ID:   "enqueued,started,cancelled",
				later.Job.ID: "enqueued,cancelled,rerun,started,cancelled",
			} {
				if got := strings.Join(eventStrings(rec.events(id)), ","); got != want {
					t.Errorf("job %d: events %s, want %s", id, got, want)
				}
			}
		})
	}
}

// TestUnique checks unique_for.
func TestUnique(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			e := b.open(t, Config{Types: []Type{{Name: "Once", UniqueFor: time.Hour}, {Name: "Many"}}})
			first, err := e.Enqueue(ctx, "Once", json.RawMessage(`{"b":2,"a":1}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			again, err := e.Enqueue(ctx, "Once", json.RawMessage(`{"a":1, "b":2}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !again.Duplicate || again.Job.ID != first.Job.ID {
				t.Fatalf("same payload: %+v, first %d", again, first.Job.ID)
			}
			other, err := e.Enqueue(ctx, "Once", json.RawMessage(`{"a":2}`), nil)
			if err != nil || other.Duplicate {
				t.Fatalf("other payload: %+v, %v", other, err)
			}
			m1, _ := e.Enqueue(ctx, "Many", json.RawMessage(`{"a":1}`), nil)
			m2, _ := e.Enqueue(ctx, "Many", json.RawMessage(`{"a":1}`), nil)
			if m1.Duplicate || m2.Duplicate || m1.Job.ID == m2.Job.ID {
				t.Fatalf("type without unique_for: %+v %+v", m1, m2)
			}
			// A cancelled job does not count.
			if _, err := e.Cancel(ctx, first.Job.ID); err != nil {
				t.Fatal(err)
			}
			third, err := e.Enqueue(ctx, "Once", json.RawMessage(`{"a":1,"b":2}`), nil)
			if err != nil || third.Duplicate {
				t.Fatalf("after cancel: %+v, %v", third, err)
			}
			for _, bad := range []string{`[1]`, `"x"`, `{`, `null`} {
				if _, err := e.Enqueue(ctx, "Many", json.RawMessage(bad), nil); err == nil || !strings.Contains(err.Error(), "not a JSON object") {
					t.Errorf("payload %s: %v", bad, err)
				}
			}
		})
	}
}

// TestList lists by type and status, in pages, and counts.
func TestList(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			e := b.open(t, Config{Types: []Type{{Name: "Aa"}, {Name: "Bb", Concurrency: 2}}})
			later := &EnqueueOptions{RunAt: time.Now().Add(time.Hour)}
			var ids []int64
			for i := range 7 {
				typ := "Aa"
				if i%2 == 1 {
					typ = "Bb"
				}
				var o *EnqueueOptions
				if i >= 5 {
					o = later
				}
				res, err := e.Enqueue(ctx, typ, mustJSON(map[string]int{"i": i}), o)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.Job.ID)
			}
			if _, err := e.Cancel(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			var got []int64
			after := int64(0)
			for {
				page, err := e.List(ctx, ListOptions{Limit: 3, After: after})
				if err != nil {
					t.Fatal(err)
				}
				if len(page) == 0 {
					break
				}
				for _, j := range page {
					got = append(got, j.ID)
				}
				after = page[len(page)-1].ID
			}
			if fmt.Sprint(got) != fmt.Sprint(ids) {
				t.Fatalf("pages %v, want %v", got, ids)
			}
			list := func(o ListOptions) string {
				js, err := e.List(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				var out []string
				for _, j := range js {
					out = append(out, fmt.Sprintf("%d:%s:%s", j.ID-ids[0], j.Type, j.Status))
				}
				return strings.Join(out, " ")
			}
			if got, want := list(ListOptions{Type: "Bb"}), "1:Bb:pending 3:Bb:pending 5:Bb:pending"; got != want {
				t.Errorf("type Bb: %s, want %s", got, want)
			}
			if got, want := list(ListOptions{Status: []Status{StatusCancelled}}), "0:Aa:cancelled"; got != want {
				t.Errorf("cancelled: %s, want %s", got, want)
			}
			if got, want := list(ListOptions{Desc: true, Limit: 2, Status: []Status{StatusPending}}), "6:Aa:pending 5:Bb:pending"; got != want {
				t.Errorf("newest pending: %s, want %s", got, want)
			}
			stats, err := e.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprintf("%+v", stats), "[{Type:Aa Pending:3 Due:2 Running:0 Failed:0 Stale:0} {Type:Bb Pending:3 Due:2 Running:0 Failed:0 Stale:0}]"; got != want {
				t.Errorf("stats %s, want %s", got, want)
			}
		})
	}
}

// TestUnknownType checks that an instance leaves alone the jobs of types
// it does not know (a newer version's, during a rolling deploy).
func TestUnknownType(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "memory" {
				t.Skip("one engine per memory queue")
			}
			ctx := context.Background()
			noop := func(context.Context, *Run) (json.RawMessage, error) { return nil, nil }
			newer := b.open(t, Config{Types: []Type{{Name: "Old", Handler: noop}, {Name: "New", Handler: noop}}})
			res, err := newer.Enqueue(ctx, "New", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			older := b.open(t, Config{Types: []Type{{Name: "Old", Handler: noop}}})
			if err := older.Start(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := older.Enqueue(ctx, "New", nil, nil); !errors.Is(err, ErrUnknownType) {
				t.Fatalf("enqueue of an unknown type: %v", err)
			}
			time.Sleep(300 * time.Millisecond)
			if j, err := older.Get(ctx, res.Job.ID); err != nil || j.Status != StatusPending || j.Attempts != 0 {
				t.Fatalf("job of an unknown type: %+v, %v", j, err)
			}
			if err := newer.Start(ctx); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, newer, res.Job.ID, StatusCompleted)
		})
	}
}

// TestConnTx checks the pgx.Tx over a store's connection: its own
// commit and rollback are refused, savepoints nest.
func TestConnTx(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgPool(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "ROLLBACK")
	if _, err := conn.Exec(ctx, "CREATE TEMP TABLE t (v int)"); err != nil {
		t.Fatal(err)
	}
	tx := &connTx{conn: conn.Conn()}
	if err := tx.Commit(ctx); !errors.Is(err, errForeignTx) {
		t.Fatalf("commit: %v", err)
	}
	if err := tx.Rollback(ctx); !errors.Is(err, errForeignTx) {
		t.Fatalf("rollback: %v", err)
	}
	count := func() (n int) {
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, keep := range []bool{false, true} {
		sp, err := tx.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		inner, err := sp.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inner.Exec(ctx, "INSERT INTO t VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		if err := inner.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if keep {
			err = sp.Commit(ctx)
		} else {
			err = sp.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := sp.Rollback(ctx); !errors.Is(err, pgx.ErrTxClosed) {
			t.Fatalf("rollback after the end: %v", err)
		}
	}
	if n := count(); n != 1 {
		t.Fatalf("%d rows, want the one of the kept savepoint", n)
	}
}

// TestConnTxPending checks that the statements a store has not sent yet
// (its BEGIN) go with the first statement of the connTx, whichever
// method runs it, and before it.
func TestConnTxPending(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgPool(t)
	runs := map[string]func(tx *connTx) (int, error){
		"Query": func(tx *connTx) (n int, err error) {
			rows, err := tx.Query(ctx, "SELECT 7")
			if err != nil {
				return 0, err
			}
			defer rows.Close()
			for rows.Next() {
				if err := rows.Scan(&n); err != nil {
					return 0, err
				}
			}
			rows.Close()
			return n, rows.Err()
		},
		"QueryRow": func(tx *connTx) (n int, err error) {
			err = tx.QueryRow(ctx, "SELECT 7").Scan(&n)
			return n, err
		},
		"Exec": func(tx *connTx) (int, error) {
			tag, err := tx.Exec(ctx, "SELECT 7")
			return int(tag.RowsAffected()) * 7, err
		},
		"SendBatch": func(tx *connTx) (n int, err error) {
			b := &pgx.Batch{}
			b.Queue("SELECT 3")
			b.Queue("SELECT 4")
			br := tx.SendBatch(ctx, b)
			defer br.Close()
			for range 2 {
				var v int
				if err := br.QueryRow().Scan(&v); err != nil {
					return 0, err
				}
				n += v
			}
			return n, br.Close()
		},
		"Begin": func(tx *connTx) (int, error) {
			sp, err := tx.Begin(ctx)
			if err != nil {
				return 0, err
			}
			return 7, sp.Commit(ctx)
		},
	}
	for name, run := range runs {
		t.Run(name, func(t *testing.T) {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
			defer conn.Exec(ctx, "ROLLBACK")
			tx := &connTx{conn: conn.Conn(), pending: []string{"BEGIN"}}
			n, err := run(tx)
			if err != nil || n != 7 {
				t.Fatalf("got %d, %v; want 7", n, err)
			}
			if s := conn.Conn().PgConn().TxStatus(); s != 'T' {
				t.Fatalf("transaction status %q after the first statement, want 'T' (BEGIN sent first)", s)
			}
			if len(tx.pending) != 0 {
				t.Fatalf("pending %q after the first statement", tx.pending)
			}
		})
	}
}
