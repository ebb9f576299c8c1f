package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
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
// first enqueue until River has recorded the last completion; the engine
// against raw River with the same workers and fetch timings. Latency:
// one job at a time on an idle engine, from the return of Enqueue to the
// start of the handler (p50 and p90 reported).

// Settings shared by the engine and raw River.
const (
	benchWorkers      = 100
	benchEnqueuers    = 8
	benchFetchCool    = 10 * time.Millisecond
	benchPollInterval = time.Second
)

// doneCounter is a Metrics that counts finished attempts.
type doneCounter struct {
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (c *doneCounter) JobStarted(string, time.Duration) {}

func (c *doneCounter) JobFinished(string, Status, time.Duration) {
	if c.n.Add(1) == c.want {
		close(c.done)
	}
}

// enqueueAll runs enqueue n times from benchEnqueuers goroutines.
func enqueueAll(b *testing.B, n int, enqueue func(i int) error) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range benchEnqueuers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := enqueue(i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// waitDone waits for a counter, failing after a minute.
func waitDone(b *testing.B, done <-chan struct{}, n func() int64, want int) {
	select {
	case <-done:
	case <-time.After(time.Minute + time.Duration(want)*time.Millisecond):
		b.Fatalf("%d of %d jobs finished", n(), want)
	}
}

// benchEngine measures the engine's throughput on the engine e opens.
func benchEngine(b *testing.B, open func(Config) *Engine) {
	ctx := context.Background()
	c := &doneCounter{want: int64(b.N), done: make(chan struct{})}
	e := open(Config{
		Workers: benchWorkers, FetchCooldown: benchFetchCool, FetchPollInterval: benchPollInterval,
		Logger: testLogger, Metrics: c,
		Types: []Type{{Name: "Noop", Handler: func(context.Context, *Run) (json.RawMessage, error) { return nil, nil }}},
	})
	if err := e.Start(ctx); err != nil {
		b.Fatal(err)
	}
	payload := json.RawMessage(`{"n":1}`)
	b.ResetTimer()
	start := time.Now()
	enqueueAll(b, b.N, func(int) error {
		_, err := e.Enqueue(ctx, "Noop", payload, nil)
		return err
	})
	waitDone(b, c.done, c.n.Load, b.N)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
	e.Stop(ctx)
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

// benchRiver measures raw River's throughput with the engine's settings.
func benchRiver[TTx any](b *testing.B, client func(*river.Config) *river.Client[TTx]) {
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
	defer cancel()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer c.Stop(ctx)
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		for range events {
			if n.Add(1) == int64(b.N) {
				close(done)
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	enqueueAll(b, b.N, func(int) error {
		_, err := c.Insert(ctx, noopArgs{N: 1}, nil)
		return err
	})
	waitDone(b, done, n.Load, b.N)
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "jobs/s")
}

func BenchmarkThroughput(b *testing.B) {
	b.Run("sqlite/engine", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "jobs.db")
		benchEngine(b, func(cfg Config) *Engine {
			e, err := OpenSQLite(context.Background(), path, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			return e
		})
	})
	b.Run("sqlite/river", func(b *testing.B) {
		// Raw River as its documentation sets it up: one connection,
		// without the engine's statement cache.
		dsn := filepath.Join(b.TempDir(), "jobs.db") + "?" + url.Values{
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
		benchRiver(b, func(cfg *river.Config) *river.Client[*sql.Tx] {
			c, err := river.NewClient(driver, cfg)
			if err != nil {
				b.Fatal(err)
			}
			return c
		})
	})
	b.Run("postgres/engine", func(b *testing.B) {
		pool, schema := benchPool(b)
		benchEngine(b, func(cfg Config) *Engine {
			e, err := OpenPostgres(context.Background(), pool, schema, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { e.Close() })
			return e
		})
	})
	b.Run("postgres/river", func(b *testing.B) {
		pool, schema := benchPool(b)
		driver := riverpgxv5.New(pool)
		m, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema, Logger: discardLogger})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Migrate(context.Background(), rivermigrate.DirectionUp, nil); err != nil {
			b.Fatal(err)
		}
		benchRiver(b, func(cfg *river.Config) *river.Client[pgx.Tx] {
			cfg.Schema = schema
			c, err := river.NewClient(driver, cfg)
			if err != nil {
				b.Fatal(err)
			}
			return c
		})
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
	for _, bk := range []backend{{name: "sqlite", open: openSQLiteTB}, {name: "postgres", open: openPostgresTB}} {
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
			_ = fmt.Sprint()
		})
	}
}
