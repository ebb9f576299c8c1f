package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// backend opens engines on one database.
type backend struct {
	name string
	// open opens an engine on the test's database; every call of one
	// test opens the same database.
	open func(t testing.TB, cfg Config) *Engine
}

// backends returns the backends to run a test on: memory, SQLite, and
// PostgreSQL (skipped without a server, see pgtest).
func backends() []backend {
	return []backend{
		{name: "memory", open: openMemoryTB},
		{name: "sqlite", open: openSQLiteTB},
		{name: "postgres", open: openPostgresTB},
	}
}

// testConfig fills in fast timings for tests.
func testConfig(cfg Config) Config {
	if cfg.RetryBase == 0 {
		cfg.RetryBase = 10 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 50 * time.Millisecond
	}
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = 100 * time.Millisecond
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = testLogger
	}
	return cfg
}

func openMemoryTB(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := OpenMemory(context.Background(), testConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// dbPath returns the SQLite file of a test.
func dbPath(t testing.TB) string {
	if p, ok := sqlitePaths.Load(t); ok {
		return p.(string)
	}
	p := filepath.Join(t.TempDir(), "jobs.db")
	sqlitePaths.Store(t, p)
	return p
}

var sqlitePaths sync.Map

func openSQLiteTB(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := OpenSQLite(context.Background(), dbPath(t), testConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

var pgSchemas sync.Map // testing.TB -> schema

// pgPool returns a pool on the test's schema (a fresh one per test).
func pgPool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	u := pgtest.URL(t)
	schema, ok := pgSchemas.Load(t)
	if !ok {
		schema, _ = pgSchemas.LoadOrStore(t, pgtest.Schema(t, u))
	}
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, schema.(string)
}

func openPostgresTB(t testing.TB, cfg Config) *Engine {
	t.Helper()
	pool, schema := pgPool(t)
	e, err := OpenPostgres(context.Background(), pool, schema, testConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits for a job to reach a status, and returns it.
func waitStatus(t testing.TB, e *Engine, id int64, want Status) *Job {
	t.Helper()
	var j *Job
	waitFor(t, 20*time.Second, "job status "+string(want), func() bool {
		var err error
		j, err = e.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status == want
	})
	return j
}

// recorder is an Observer that keeps the changes.
type recorder struct {
	mu      sync.Mutex
	changes []Change
}

func (r *recorder) observe(_ context.Context, c Change) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

// events returns the events of one job, in order.
func (r *recorder) events(id int64) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, c := range r.changes {
		if c.Job.ID == id {
			out = append(out, c.Event)
		}
	}
	return out
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// testLogger is the engines' logger in tests: silent, unless
// SPECSTAR_JOBS_DEBUG is set.
var testLogger = func() *slog.Logger {
	if os.Getenv("SPECSTAR_JOBS_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}()
