package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// Benchmarks. Run them alone, with a fixed count, e.g.
//
//	go test ./runtime/jobs -run '^$' -bench . -benchtime 20000x
//
// Throughput: no-op jobs, enqueued by benchEnqueuers goroutines, from the
// first enqueue until River has recorded the last completion: the engine
// against raw River with the same workers and fetch timings, on the same
// database server, in alternating rounds (a shared, noisy machine drifts
// more between two runs than between two rounds), each with its own
// table. Latency: one job at a time on an idle engine, from the return of
// Enqueue to the start of the handler (p50 and p90 reported).

// Settings shared by the engine and raw River.
const (
	benchWorkers      = 100
	benchEnqueuers    = 8
	benchRounds       = 8
	benchFetchCool    = 10 * time.Millisecond
	benchPollInterval = time.Second
)

// finished counts the jobs whose completion River recorded.
type finished struct{ n atomic.Int64 }

func (c *finished) JobStarted(string, time.Duration) {}

func (c *finished) JobFinished(string, Status, time.Duration) { c.n.Add(1) }

// waitCount waits until c reaches want, failing after a minute and more.
func waitCount(b *testing.B, c *atomic.Int64, want int64) {
	deadline := time.Now().Add(time.Minute + time.Duration(want)*time.Millisecond)
	for c.Load() < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d jobs finished", c.Load(), want)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// enqueueAll runs enqueue n times from benchEnqueuers goroutines.
func enqueueAll(b *testing.B, n int, enqueue func() error) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range benchEnqueuers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := enqueue(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// runner enqueues n no-op jobs and waits until they are recorded
// complete.
type runner func(n int)

// engineRunner starts an engine of no-op jobs.
func engineRunner(b *testing.B, open func(Config) *Engine) runner {
	ctx := context.Background()
	c := &finished{}
	e := open(Config{
		Workers: benchWorkers, FetchCooldown: benchFetchCool, FetchPollInterval: benchPollInterval,
		Logger: testLogger, Metrics: c,
		Types: []Type{{Name: "Noop", Handler: func(context.Context, *Run) (json.RawMessage, error) { return nil, nil }}},
	})
	if err := e.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Stop(ctx) })
	payload := json.RawMessage(`{"n":1}`)
	return func(n int) {
		want := c.n.Load() + int64(n)
		enqueueAll(b, n, func() error {
			_, err := e.Enqueue(ctx, "Noop", payload, nil)
			return err
		})
		waitCount(b, &c.n, want)
	}
}

// noopArgs are the args of raw River's no-op job.
type noopArgs struct {
	N int `json:"n"`
}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[noopArgs]
}

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// riverRunner starts a raw River client of no-op jobs with the engine's
// settings, counting completions as the engine does, by subscription.
func riverRunner[TTx any](b *testing.B, client func(*river.Config) *river.Client[TTx]) runner {
	ctx := context.Background()
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	c := client(&river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: benchWorkers}},
		Workers:           workers,
		FetchCooldown:     benchFetchCool,
		FetchPollInterval: benchPollInterval,
		Logger:            riverLogger(testLogger),
	})
	events, cancel := c.SubscribeConfig(&river.SubscribeConfig{ChanSize: subscriptionSize, Kinds: []river.EventKind{river.EventKindJobCompleted}})
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Stop(ctx)
		cancel()
	})
	var done atomic.Int64
	go func() {
		for range events {
			done.Add(1)
		}
	}()
	return func(n int) {
		want := done.Load() + int64(n)
		enqueueAll(b, n, func() error {
			_, err := c.Insert(ctx, noopArgs{N: 1}, nil)
			return err
		})
		waitCount(b, &done, want)
	}
}

// compare runs b.N jobs through the engine and b.N through raw River, in
// alternating rounds, and reports both throughputs and their ratio.
func compare(b *testing.B, engine, raw runner) {
	// Warm both up (connections, prepared statements, the tables' first
	// pages).
	engine(200)
	raw(200)
	per := max(b.N/benchRounds, 1)
	var te, tr time.Duration
	b.ResetTimer()
	for range benchRounds {
		start := time.Now()
		engine(per)
		te += time.Since(start)
		start = time.Now()
		raw(per)
		tr += time.Since(start)
	}
	b.StopTimer()
	jobs := float64(per * benchRounds)
	b.ReportMetric(jobs/te.Seconds(), "engine-jobs/s")
	b.ReportMetric(jobs/tr.Seconds(), "river-jobs/s")
	b.ReportMetric(tr.Seconds()/te.Seconds(), "engine/river")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkThroughput(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		dir := b.TempDir()
		engine := engineRunner(b, func(cfg Config) *Engine {
			e, err := OpenSQLite(context.Background(), filepath.Join(dir, "engine.db"), cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			return e
		})
		// Raw River as its documentation sets it up: one connection,
		// without the engine's statement cache.
		dsn := filepath.Join(dir, "river.db") + "?" + url.Values{
			"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"},
			"_txlock": {"immediate"},
		}.Encode()
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		b.Cleanup(func() { db.Close() })
		driver := riversqlite.New(db)
		migrateRiver(b, driver)
		raw := riverRunner(b, func(cfg *river.Config) *river.Client[*sql.Tx] {
			c, err := river.NewClient(driver, cfg)
			if err != nil {
				b.Fatal(err)
			}
			return c
		})
		compare(b, engine, raw)
	})
	b.Run("postgres", func(b *testing.B) {
		pool, schema := benchPool(b)
		engine := engineRunner(b, func(cfg Config) *Engine {
			e, err := OpenPostgres(context.Background(), pool, schema, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			return e
		})
		rawPool, rawSchema := benchPool(b)
		driver := riverpgxv5.New(rawPool)
		m, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: rawSchema, Logger: discardLogger})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Migrate(context.Background(), rivermigrate.DirectionUp, nil); err != nil {
			b.Fatal(err)
		}
		raw := riverRunner(b, func(cfg *river.Config) *river.Client[pgx.Tx] {
			cfg.Schema = rawSchema
			c, err := river.NewClient(driver, cfg)
			if err != nil {
				b.Fatal(err)
			}
			return c
		})
		compare(b, engine, raw)
	})
}

// migrateRiver creates River's tables on SQLite.
func migrateRiver(b *testing.B, driver *riversqlite.Driver) {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: discardLogger})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Migrate(context.Background(), rivermigrate.DirectionUp, nil); err != nil {
		b.Fatal(err)
	}
}

// benchPool returns a pool of 20 connections on a fresh schema.
func benchPool(b *testing.B) (*pgxpool.Pool, string) {
	u := pgtest.URL(b)
	schema := pgtest.Schema(b, u)
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool, schema
}

// BenchmarkLatency measures, on an idle engine, the time from the return
// of Enqueue to the start of the handler.
func BenchmarkLatency(b *testing.B) {
	openSQLite := func(t testing.TB, cfg Config) *Engine {
		// A file per call: a benchmark function runs more than once.
		e, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), testConfig(cfg))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	for _, bk := range []backend{{name: "sqlite", open: openSQLite}, {name: "postgres", open: openPostgresTB}} {
		b.Run(bk.name, func(b *testing.B) {
			ctx := context.Background()
			started := make(chan time.Time, 1)
			e := bk.open(b, Config{FetchPollInterval: benchPollInterval, Types: []Type{{Name: "Ping", Handler: func(context.Context, *Run) (json.RawMessage, error) {
				started <- time.Now()
				return nil, nil
			}}}})
			if err := e.Start(ctx); err != nil {
				b.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				res, err := e.Enqueue(ctx, "Ping", nil, nil)
				if err != nil {
					b.Fatal(err)
				}
				enqueued := time.Now()
				select {
				case at := <-started:
					lat = append(lat, at.Sub(enqueued))
				case <-time.After(10 * time.Second):
					b.Fatal("the job did not start")
				}
				b.StopTimer()
				waitStatus(b, e, res.Job.ID, StatusCompleted)
				time.Sleep(20 * time.Millisecond) // idle again
				b.StartTimer()
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
			b.ReportMetric(ms(lat[len(lat)*9/10]), "p90-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkEnqueueTx measures an enqueue inside a store transaction on
// SQLite, on a connection like the store's (plain database/sql, no
// statement cache) and on one with the cache: the time it adds to the
// store's write transaction.
func BenchmarkEnqueueTx(b *testing.B) {
	for _, cached := range []bool{false, true} {
		name := "plain"
		if cached {
			name = "cached"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			path := filepath.Join(b.TempDir(), "jobs.db")
			e, err := OpenSQLite(ctx, path, testConfig(Config{Types: []Type{{Name: "Noop"}}}))
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			dsn := path + "?" + url.Values{"_txlock": {"immediate"}, "_pragma": {"busy_timeout(10000)"}}.Encode()
			var db *sql.DB
			if cached {
				db, err = openSQLiteDB(dsn)
			} else {
				db, err = sql.Open("sqlite", dsn)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			payload := json.RawMessage(`{"n":1}`)
			b.ResetTimer()
			for range b.N {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.EnqueueTx(ctx, tx, "Noop", payload, nil); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
