package stmtcache

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"sync/atomic"
	"testing"

	"modernc.org/sqlite"
)

// counting is a driver whose connections count the statements they
// prepare.
type counting struct {
	d        sqlite.Driver
	prepares atomic.Int64
}

func (c *counting) Open(name string) (driver.Conn, error) {
	conn, err := c.d.Open(name)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn, n: &c.prepares}, nil
}

type countingConn struct {
	driver.Conn
	n *atomic.Int64
}

func (c *countingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	c.n.Add(1)
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

func (c *countingConn) BeginTx(ctx context.Context, o driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, o)
}

func open(t *testing.T, size int) (*sql.DB, *counting) {
	t.Helper()
	d := &counting{}
	db := sql.OpenDB(Connector(d, filepath.Join(t.TempDir(), "t.db"), size))
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)`); err != nil {
		t.Fatal(err)
	}
	for i, v := range []string{"a", "b", "c"} {
		if _, err := db.Exec(`INSERT INTO t (k, v) VALUES (?, ?)`, i+1, v); err != nil {
			t.Fatal(err)
		}
	}
	return db, d
}

func value(t *testing.T, q interface {
	QueryRow(string, ...any) *sql.Row
}, k int) string {
	t.Helper()
	var v string
	if err := q.QueryRow(`SELECT v FROM t WHERE k = ?`, k).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReuse(t *testing.T) {
	db, d := open(t, 8)
	before := d.prepares.Load()
	for i, want := range []string{"a", "b", "c", "a"} {
		if got := value(t, db, i%3+1); got != want {
			t.Fatalf("k=%d: %q, want %q", i%3+1, got, want)
		}
	}
	if n := d.prepares.Load() - before; n != 1 {
		t.Fatalf("%d prepares for one query text, want 1", n)
	}
	// Exec statements are cached as well, and bind new arguments.
	for i := range 3 {
		if _, err := db.Exec(`UPDATE t SET v = ? WHERE k = ?`, "x", i+1); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.prepares.Load() - before; n != 2 {
		t.Fatalf("%d prepares for two query texts, want 2", n)
	}
	if got := value(t, db, 3); got != "x" {
		t.Fatalf("after update: %q", got)
	}
}

// TestBusy runs a query while the rows of the same query are open, in a
// transaction: the second gets a statement of its own.
func TestBusy(t *testing.T) {
	db, _ := open(t, 8)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT v FROM t WHERE k >= ? ORDER BY k`, 1)
	if err != nil {
		t.Fatal(err)
	}
	var outer []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		outer = append(outer, v)
		// The same text, inside the iteration.
		var n int
		inner, err := tx.Query(`SELECT v FROM t WHERE k >= ? ORDER BY k`, 3)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			n++
		}
		inner.Close()
		if n != 1 {
			t.Fatalf("inner query: %d rows", n)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(outer) != 3 {
		t.Fatalf("outer query: %v", outer)
	}
	if got := value(t, tx, 2); got != "b" {
		t.Fatalf("after: %q", got)
	}
}

// TestEvict overflows a cache of two, also while an evicted statement's
// rows are open.
func TestEvict(t *testing.T) {
	db, d := open(t, 2)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	rows, err := tx.Query(`SELECT k FROM t ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	// Two more texts evict the open one.
	value(t, tx, 1)
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("count: %d, %v", n, err)
	}
	k := 0
	for rows.Next() {
		k++
	}
	if err := rows.Close(); err != nil || k != 2 {
		t.Fatalf("rest of the evicted query: %d rows, %v", k, err)
	}
	before := d.prepares.Load()
	if err := tx.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if d.prepares.Load() != before {
		t.Fatal("a cached statement was prepared again")
	}
}

// TestErrors checks that a statement that does not prepare is not
// cached, and that a cached one survives a change of the schema.
func TestErrors(t *testing.T) {
	db, _ := open(t, 8)
	if _, err := db.Query(`SELECT nope FROM t`); err == nil {
		t.Fatal("bad query ran")
	}
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN nope TEXT DEFAULT 'n'`); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := db.QueryRow(`SELECT nope FROM t`).Scan(&v); err != nil || v != "n" {
		t.Fatalf("after the column exists: %q, %v", v, err)
	}
	value(t, db, 1)
	if _, err := db.Exec(`ALTER TABLE t ADD COLUMN more TEXT`); err != nil {
		t.Fatal(err)
	}
	if got := value(t, db, 1); got != "a" {
		t.Fatalf("after a schema change: %q", got)
	}
}
