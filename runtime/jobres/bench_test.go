package jobres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// Benchmarks of the product's jobs (issue 14), as cmd/specstar-bench's
// jobs scenario measures them, in a form go test can profile:
//
//	go test ./runtime/jobres -run '^$' -bench Throughput -benchtime 16000x -cpuprofile cpu.out
//
// No-op jobs enqueued through Queue.Enqueue (each a store transaction
// that inserts the job and creates its resource) by benchEnqueuers
// goroutines, worked by benchWorkers workers of a server, from the first
// enqueue until every job's resource shows it completed; on PostgreSQL
// against raw River with the same workers, fetch timings and pool size,
// from insert to River's completion, in alternating rounds.

const (
	benchWorkers   = 100
	benchEnqueuers = 8
	benchRounds    = 4
	benchPoolConns = 16
)

// benchKind is the resource of the no-op job, as generated for a job
// without payload.
var benchKind = &resource.Kind{
	Name: "NoopJob", Table: "noop_job", Path: "jobs/noop", SchemaVersion: 1, DefaultSort: "-created_time", Job: true,
	Fields: []resource.Field{
		{JSON: "status", Type: resource.TypeString, Indexed: true},
		{JSON: "attempts", Type: resource.TypeInt, Indexed: true, NoIndex: true},
		{JSON: "run_at", Type: resource.TypeDateTime, Indexed: true, NoIndex: true},
		{JSON: "started_at", Type: resource.TypeDateTime, Indexed: true, NoIndex: true},
		{JSON: "finished_at", Type: resource.TypeDateTime, Indexed: true, NoIndex: true},
	},
	DataFields: []string{"payload", "status", "attempts", "max_attempts", "run_at", "started_at", "finished_at", "last_error", "result", "logs"},
}

var benchDef = &jobres.Def{Type: jobs.Type{Name: "Noop", MaxAttempts: 3, Timeout: time.Minute}, Kind: benchKind}

// benchApp is a generated app reduced to the no-op job.
type benchApp struct{}

func (benchApp) Schema() *resource.Schema {
	return &resource.Schema{Kinds: []*resource.Kind{benchKind}}
}
func (benchApp) Register(*echo.Group, *resource.Service) {}
func (benchApp) JobDefs() []*jobres.Def                  { return []*jobres.Def{benchDef} }
func (benchApp) JobHandlers(*resource.Service) (map[string]jobs.Handler, error) {
	return map[string]jobs.Handler{"Noop": func(context.Context, *jobs.Run) (json.RawMessage, error) { return nil, nil }}, nil
}

// round enqueues n jobs and returns once all have completed.
type round func(b *testing.B, n int)

// productRound starts a server with the no-op job on dbURL.
func productRound(b *testing.B, dbURL string) round {
	srv, err := server.New(server.Config{
		DatabaseURL: dbURL, DataDir: b.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		JobWorkers: benchWorkers, MetricsOff: true,
	}, benchApp{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	q, svc := srv.Jobs(), srv.Service()
	sys := resource.AsSystem(context.Background())
	return func(b *testing.B, n int) {
		start := time.Now()
		enqueueAll(b, n, func() error {
			_, _, err := q.Enqueue(sys, benchDef, nil, jobres.EnqueueOptions{})
			return err
		})
		if testing.Verbose() {
			b.Logf("product: %d enqueued in %v", n, time.Since(start))
		}
		deadline := time.Now().Add(time.Minute + time.Duration(n)*time.Millisecond)
		for {
			left, err := svc.Count(sys, benchKind, resource.ListQuery{Filter: `status in ["pending", "running"]`})
			if err != nil {
				b.Fatal(err)
			}
			if left == 0 {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d jobs not completed", left, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

type noopWorker struct{ river.WorkerDefaults[noopArgs] }

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// riverRound starts raw River with the server's settings on a schema of
// its own.
func riverRound(b *testing.B, u string) round {
	ctx := context.Background()
	var done atomic.Int64
	_, _, c := startRiver(b, u, func(*river.Event) { done.Add(1) })
	return func(b *testing.B, n int) {
		want := done.Load() + int64(n)
		start := time.Now()
		enqueueAll(b, n, func() error {
			_, err := c.Insert(ctx, noopArgs{}, nil)
			return err
		})
		if testing.Verbose() {
			b.Logf("river: %d enqueued in %v", n, time.Since(start))
		}
		deadline := time.Now().Add(time.Minute + time.Duration(n)*time.Millisecond)
		for done.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d jobs completed", n-int(want-done.Load()), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

// startRiver starts raw River with the server's settings (workers, fetch
// timings, pool size) on a new schema of u, and calls completed, from
// one goroutine, for each job River reports completed. It returns the
// schema, the pool and the client.
func startRiver(b *testing.B, u string, completed func(*river.Event)) (string, *pgxpool.Pool, *river.Client[pgx.Tx]) {
	ctx := context.Background()
	schema := pgtest.Schema(b, u)
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = benchPoolConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	driver := riverpgxv5.New(pool)
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Schema: schema, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		b.Fatal(err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	c, err := river.NewClient[pgx.Tx](driver, &river.Config{
		Schema:            schema,
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: benchWorkers}},
		Workers:           workers,
		FetchCooldown:     10 * time.Millisecond,
		FetchPollInterval: time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted)
	go func() {
		for ev := range events {
			completed(ev)
		}
	}()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c.Stop(ctx)
		cancel()
	})
	return schema, pool, c
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

// measure runs b.N jobs through each round function in alternating
// rounds (after a warm-up) and returns each one's jobs/s.
func measure(b *testing.B, pgURL string, rounds ...round) []float64 {
	for _, r := range rounds {
		r(b, 500)
	}
	per := max(b.N/benchRounds, 1)
	took := make([]time.Duration, len(rounds))
	self := make([]time.Duration, len(rounds))
	db := make([]time.Duration, len(rounds))
	b.ResetTimer()
	for range benchRounds {
		for i, r := range rounds {
			start, self0, db0 := time.Now(), selfCPU(), postgresCPU(pgURL)
			r(b, per)
			took[i] += time.Since(start)
			self[i] += selfCPU() - self0
			db[i] += postgresCPU(pgURL) - db0
			if testing.Verbose() {
				b.Logf("system %d: %d done in %v", i, per, time.Since(start))
			}
		}
	}
	b.StopTimer()
	out := make([]float64, len(rounds))
	jobs := float64(per * benchRounds)
	for i := range rounds {
		out[i] = jobs / took[i].Seconds()
		// CPU per job, this process's and PostgreSQL's: on a shared
		// machine, what a job costs is steadier than how fast it goes.
		b.ReportMetric(float64(self[i].Microseconds())/jobs, fmt.Sprintf("s%d-go-µs/job", i))
		b.ReportMetric(float64(db[i].Microseconds())/jobs, fmt.Sprintf("s%d-pg-µs/job", i))
	}
	b.ReportMetric(0, "ns/op")
	return out
}

// withPoolSize sets the pool size of a PostgreSQL URL.
func withPoolSize(u string, n int) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "pool_max_conns=" + strconv.Itoa(n)
}

func BenchmarkThroughput(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		r := productRound(b, "sqlite:"+filepath.Join(b.TempDir(), "jobs.db"))
		rates := measure(b, "", r)
		b.ReportMetric(rates[0], "jobs/s")
	})
	b.Run("postgres", func(b *testing.B) {
		u := pgtest.URL(b)
		product := productRound(b, withPoolSize(pgtest.SchemaURL(b, u), benchPoolConns))
		raw := riverRound(b, u)
		rates := measure(b, u, product, raw)
		b.ReportMetric(rates[0], "jobs/s")
		b.ReportMetric(rates[1], "river-jobs/s")
		b.ReportMetric(rates[0]/rates[1], "product/river")
	})
}
