package postgres

import (
	"context"
	"encoding/json"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// countingConn counts the writes to a database connection: pgx writes
// once per round trip (a statement, or a pipeline of them).
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestRoundTrips pins how many round trips the Service's hot paths cost
// the caller: BEGIN rides with the first statement, the writes with the
// next statement or with COMMIT, and a read's ROLLBACK runs after View
// returns. A create is one round trip (BEGIN, revision, record, COMMIT),
// an update two (BEGIN and the locking read; revision, record, COMMIT).
func TestRoundTrips(t *testing.T) {
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	pc, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	pc.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: c, writes: &writes}, nil
	}
	// One connection, so that every statement is prepared once.
	pc.MaxConns, pc.MinConns = 1, 1
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool, schema: schema, maxRetries: 10, kinds: make(map[string]*kindSQL)}
	defer s.Close()
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	data := func(i int) json.RawMessage {
		return json.RawMessage(`{"name":"n` + string(rune('a'+i)) + `","email":"e` + string(rune('a'+i)) + `@example.com"}`)
	}
	var id string
	ops := []struct {
		name string
		want int64
		run  func(i int) error
	}{
		{name: "create", want: 1, run: func(i int) error {
			env, err := svc.Create(ctx, kinds.Author, data(i), resource.WriteOptions{})
			if err == nil {
				id = env.Meta.ResourceID
			}
			return err
		}},
		{name: "update", want: 2, run: func(i int) error {
			_, err := svc.Update(ctx, kinds.Author, id, data(i+10), resource.WriteOptions{})
			return err
		}},
		{name: "get", want: 1, run: func(int) error {
			_, err := svc.Get(ctx, kinds.Author, id, resource.ReadOptions{})
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			// The first run prepares the statements.
			for i := range 3 {
				waitIdle(t, pool)
				before := writes.Load()
				if err := op.run(i); err != nil {
					t.Fatal(err)
				}
				if got := writes.Load() - before; i > 0 && got != op.want {
					t.Fatalf("%s took %d round trips, want %d", op.name, got, op.want)
				}
			}
		})
	}
}

// waitIdle waits until no connection of pool is in use: a read's
// background ROLLBACK is done.
func waitIdle(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); pool.Stat().AcquiredConns() > 0; {
		if time.Now().After(deadline) {
			t.Fatal("a connection is still in use")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestWritesOnReadOnlyDefault checks that a create, whose writes are
// sent without BEGIN where the session's defaults allow it, still works
// on connections whose default is read-only: it then runs in the
// explicit READ WRITE transaction.
func TestWritesOnReadOnlyDefault(t *testing.T) {
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	rw, err := Open(ctx, u, WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	if err := rw.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	pc, err := pgxpool.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	pc.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool, schema: schema, maxRetries: 10, kinds: rw.kinds}
	defer s.Close()
	// The default is in force: a statement outside Update cannot write.
	if _, err := pool.Exec(ctx, `CREATE TEMP TABLE t (x int)`); pgCode(err) != "25006" {
		t.Fatalf("write with a read-only default = %v, want read_only_sql_transaction", err)
	}
	svc := resource.NewService(s, kinds.Schema)
	env, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"ro@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatalf("create with a read-only default: %v", err)
	}
	if _, err := rw.GetRecord(ctx, kinds.Author, env.Meta.ResourceID); err != nil {
		t.Fatalf("created record: %v", err)
	}
}
