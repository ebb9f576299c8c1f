package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
)

// The jobs scenario (issue 14): no-op jobs enqueued through specstar's
// job API (each job a resource, created with the job in one transaction,
// its status changes recorded as revisions), from enqueue to the moment
// every job's record shows it completed, on SQLite and PostgreSQL; and
// raw River on PostgreSQL with the same workers and fetch timings, from
// insert to River's completion, in alternating rounds. Then the latency
// of an idle server from enqueue to the start of the handler.

// JobsScenario is the name --scenarios knows the jobs scenario by.
const JobsScenario = "jobs"

// Settings of the jobs scenario, shared by specstar and raw River.
const (
	jobWorkers      = 100
	jobEnqueuers    = 8
	jobFetchCool    = 10 * time.Millisecond
	jobPollInterval = time.Second
	jobLatencyRuns  = 40
	jobRoundTimeout = 5 * time.Minute
	// jobPoolConns is the size of every PostgreSQL connection pool of
	// the scenario (specstar's store and job engine, raw River's), set in
	// the database URL: pgxpool's default (4 on this machine) would make
	// the enqueuers wait for connections rather than measure the work.
	jobPoolConns = 16
)

// withPoolSize returns the PostgreSQL URL u with the scenario's pool size.
func withPoolSize(u string) string {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		if strings.Contains(u, "?") {
			return u + "&pool_max_conns=" + strconv.Itoa(jobPoolConns)
		}
		return u + "?pool_max_conns=" + strconv.Itoa(jobPoolConns)
	}
	return u + " pool_max_conns=" + strconv.Itoa(jobPoolConns)
}

// JobsReport is what the jobs scenario measured.
type JobsReport struct {
	Jobs      int           `json:"jobs_per_round"`
	Workers   int           `json:"workers"`
	Enqueuers int           `json:"enqueuers"`
	Results   []*JobsResult `json:"results"`
	Skipped   []string      `json:"skipped,omitempty"`
}

// JobsResult is one system of the jobs scenario.
type JobsResult struct {
	System           string    `json:"system"`
	Throughput       float64   `json:"throughput_jobs_per_s"` // median over the rounds, enqueue to completion
	RoundThroughputs []float64 `json:"round_throughputs"`
	// LatencyP50Ms and LatencyP90Ms are of an idle server, from the
	// enqueue to the start of the handler (specstar only).
	LatencyP50Ms float64 `json:"latency_p50_ms,omitempty"`
	LatencyP90Ms float64 `json:"latency_p90_ms,omitempty"`
}

// jobsResult returns the result of a system, or nil.
func (jr *JobsReport) result(system string) *JobsResult {
	if jr == nil {
		return nil
	}
	for _, r := range jr.Results {
		if r.System == system {
			return r
		}
	}
	return nil
}

// wantsJobs reports whether the run measures the jobs scenario.
func wantsJobs(cfg Config) bool {
	return len(cfg.Scenarios) == 0 || slices.Contains(cfg.Scenarios, JobsScenario)
}

// jobsPerRound is the number of jobs of one round.
func (r *runner) jobsPerRound() int {
	if r.cfg.Quick {
		return min(2000, r.cfg.Rows)
	}
	return 10000
}

// noopKind is the resource of the benchmark's one job type.
var noopKind = &resource.Kind{
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

// noopDef is the benchmark's job type: what a spec's generated code
// declares for a job without payload.
var noopDef = &jobres.Def{Type: jobs.Type{Name: "Noop", MaxAttempts: 3, Timeout: time.Minute}, Kind: noopKind}

// noopApp is a generated app reduced to one no-op job type. started, when
// set, receives the time each job starts.
type noopApp struct {
	started *atomic.Pointer[chan time.Time]
}

func (noopApp) Schema() *resource.Schema                { return &resource.Schema{Kinds: []*resource.Kind{noopKind}} }
func (noopApp) Register(*echo.Group, *resource.Service) {}
func (noopApp) JobDefs() []*jobres.Def                  { return []*jobres.Def{noopDef} }
func (a noopApp) JobHandlers(*resource.Service) (map[string]jobs.Handler, error) {
	return map[string]jobs.Handler{"Noop": func(context.Context, *jobs.Run) (json.RawMessage, error) {
		if ch := a.started.Load(); ch != nil {
			select {
			case *ch <- time.Now():
			default:
			}
		}
		return nil, nil
	}}, nil
}

// jobsSystem is one system of the jobs scenario.
type jobsSystem struct {
	name string
	// round enqueues n jobs and returns when all have completed.
	round func(ctx context.Context, n int) error
	// latency enqueues one job on an idle system and returns the time
	// until its handler starts; nil for raw River.
	latency func(ctx context.Context) (time.Duration, error)
	close   func()
}

// runJobs measures the jobs scenario.
func (r *runner) runJobs(ctx context.Context) (*JobsReport, error) {
	rep := &JobsReport{Jobs: r.jobsPerRound(), Workers: jobWorkers, Enqueuers: jobEnqueuers}
	var systems []*jobsSystem
	defer func() {
		for _, s := range systems {
			s.close()
		}
	}()
	sq, err := r.specstarJobs(ctx, "specstar-sqlite", "sqlite:"+filepath.Join(r.work, "jobs.db"))
	if err != nil {
		return rep, err
	}
	systems = append(systems, sq)
	if r.cfg.Postgres == "" {
		rep.Skipped = append(rep.Skipped, "specstar-postgres and raw-river-postgres: no PostgreSQL URL (--postgres or SPECSTAR_TEST_POSTGRES_URL)")
	} else {
		suffix := randomSuffix()
		u, err := r.createDatabase(ctx, "specstar_jobs_"+suffix, "")
		if err != nil {
			return rep, err
		}
		pg, err := r.specstarJobs(ctx, "specstar-postgres", withPoolSize(u))
		if err != nil {
			return rep, err
		}
		systems = append(systems, pg)
		u, err = r.createDatabase(ctx, "river_jobs_"+suffix, "")
		if err != nil {
			return rep, err
		}
		raw, err := r.rawRiver(ctx, withPoolSize(u))
		if err != nil {
			return rep, err
		}
		systems = append(systems, raw)
	}
	// Rounds alternate between the systems: a shared machine drifts more
	// between two runs than between two rounds.
	results := make(map[string]*JobsResult)
	for _, s := range systems {
		results[s.name] = &JobsResult{System: s.name}
		rep.Results = append(rep.Results, results[s.name])
	}
	n := r.jobsPerRound()
	for round := range r.cfg.Rounds + 1 {
		for _, s := range systems {
			start := time.Now()
			rctx, cancel := context.WithTimeout(ctx, jobRoundTimeout)
			err := s.round(rctx, n)
			cancel()
			if err != nil {
				return rep, fmt.Errorf("jobs: %s: %w", s.name, err)
			}
			rate := float64(n) / time.Since(start).Seconds()
			if round == 0 {
				r.logf("jobs: %s: warm-up round, %.0f jobs/s", s.name, rate)
				continue // warm-up
			}
			r.logf("jobs: %s: round %d, %.0f jobs/s", s.name, round, rate)
			results[s.name].RoundThroughputs = append(results[s.name].RoundThroughputs, rate)
		}
	}
	for _, s := range systems {
		res := results[s.name]
		res.Throughput = medianFloat(res.RoundThroughputs)
		if s.latency == nil {
			continue
		}
		if err := sleep(ctx, time.Second); err != nil { // idle
			return rep, err
		}
		var lat []float64
		for range jobLatencyRuns {
			d, err := s.latency(ctx)
			if err != nil {
				return rep, fmt.Errorf("jobs: %s: latency: %w", s.name, err)
			}
			lat = append(lat, ms(d))
			if err := sleep(ctx, 50*time.Millisecond); err != nil {
				return rep, err
			}
		}
		sort.Float64s(lat)
		res.LatencyP50Ms, res.LatencyP90Ms = lat[len(lat)/2], lat[len(lat)*9/10]
		r.logf("jobs: %s: idle enqueue to start p50 %.1fms, p90 %.1fms", s.name, res.LatencyP50Ms, res.LatencyP90Ms)
	}
	return rep, nil
}

// specstarJobs starts a specstar server with the no-op job on the
// database dbURL, in this process.
func (r *runner) specstarJobs(ctx context.Context, name, dbURL string) (*jobsSystem, error) {
	started := new(atomic.Pointer[chan time.Time])
	srv, err := server.New(server.Config{
		DatabaseURL: dbURL, DataDir: r.work, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		JobWorkers: jobWorkers, MetricsOff: true,
	}, noopApp{started: started})
	if err != nil {
		return nil, err
	}
	q, svc := srv.Jobs(), srv.Service()
	sys := resource.AsSystem(ctx)
	// Jobs not completed yet: a count over the few pending and running
	// ones (status is indexed), not over every completed job of the run.
	unfinished := func() (int, error) {
		return svc.Count(sys, noopKind, resource.ListQuery{Filter: `status in ["pending", "running"]`})
	}
	return &jobsSystem{
		name: name,
		round: func(ctx context.Context, n int) error {
			if err := enqueueConcurrently(n, func() error {
				_, _, err := q.Enqueue(sys, noopDef, nil, jobres.EnqueueOptions{})
				return err
			}); err != nil {
				return err
			}
			for {
				left, err := unfinished()
				if err != nil {
					return err
				}
				if left == 0 {
					return nil
				}
				if err := sleep(ctx, 5*time.Millisecond); err != nil {
					return fmt.Errorf("%d of %d jobs not completed: %w", left, n, err)
				}
			}
		},
		latency: func(ctx context.Context) (time.Duration, error) {
			ch := make(chan time.Time, 1)
			started.Store(&ch)
			defer started.Store(nil)
			t0 := time.Now()
			if _, _, err := q.Enqueue(sys, noopDef, nil, jobres.EnqueueOptions{}); err != nil {
				return 0, err
			}
			select {
			case t := <-ch:
				return t.Sub(t0), nil
			case <-time.After(30 * time.Second):
				return 0, errors.New("the job did not start within 30s")
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		},
		close: func() { srv.Close() },
	}, nil
}

// noopArgs are the args of raw River's no-op jobs.
type noopArgs struct{}

func (noopArgs) Kind() string { return "noop" }

// noopWorker works raw River's no-op jobs.
type noopWorker struct{ river.WorkerDefaults[noopArgs] }

func (noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// rawRiver starts a River client with the same workers and fetch timings
// as the engine's, on the database dbURL.
func (r *runner) rawRiver(ctx context.Context, dbURL string) (*jobsSystem, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("raw river: migrate: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, noopWorker{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:            slog.New(slog.DiscardHandler),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: jobWorkers}},
		Workers:           workers,
		FetchCooldown:     jobFetchCool,
		FetchPollInterval: jobPollInterval,
	})
	if err != nil {
		pool.Close()
		return nil, err
	}
	events, cancelSub := client.Subscribe(river.EventKindJobCompleted)
	var done atomic.Int64
	stopCount := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-events:
				done.Add(1)
			case <-stopCount:
				return
			}
		}
	})
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		pool.Close()
		return nil, err
	}
	return &jobsSystem{
		name: "raw-river-postgres",
		round: func(ctx context.Context, n int) error {
			before := done.Load()
			if err := enqueueConcurrently(n, func() error {
				_, err := client.Insert(ctx, noopArgs{}, nil)
				return err
			}); err != nil {
				return err
			}
			for done.Load()-before < int64(n) {
				if err := sleep(ctx, time.Millisecond); err != nil {
					return fmt.Errorf("%d of %d jobs completed: %w", done.Load()-before, n, err)
				}
			}
			return nil
		},
		close: func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			client.Stop(sctx)
			cancelSub()
			close(stopCount)
			wg.Wait()
			pool.Close()
		},
	}, nil
}

// enqueueConcurrently runs enqueue n times from jobEnqueuers goroutines
// and returns the first error.
func enqueueConcurrently(n int, enqueue func() error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	for range jobEnqueuers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := enqueue(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// randomSuffix returns a short random hex string for database names.
func randomSuffix() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// jobsTargets are the targets of the jobs scenario (issue 14).
func jobsTargets() []targetDef {
	return []targetDef{
		{name: "Jobs PostgreSQL enqueue->completion >= 0.8x raw River", eval: func(rep *Report) (string, string, string) {
			mine, theirs := rep.Jobs.result("specstar-postgres"), rep.Jobs.result("raw-river-postgres")
			if mine == nil || theirs == nil || theirs.Throughput == 0 {
				return StatusSkip, "-", jobsSkipReason(rep)
			}
			r := mine.Throughput / theirs.Throughput
			return passIf(r >= 0.8), ratioText(r), fmt.Sprintf("%.0f vs %.0f jobs/s, %d workers", mine.Throughput, theirs.Throughput, rep.Jobs.Workers)
		}},
		{name: "Jobs SQLite enqueue->completion >= 1,000 jobs/s", eval: func(rep *Report) (string, string, string) {
			mine := rep.Jobs.result("specstar-sqlite")
			if mine == nil {
				return StatusSkip, "-", jobsSkipReason(rep)
			}
			return passIf(mine.Throughput >= 1000), fmt.Sprintf("%.0f jobs/s", mine.Throughput),
				fmt.Sprintf("median of %d rounds of %d jobs", len(mine.RoundThroughputs), rep.Jobs.Jobs)
		}},
		jobLatencyTarget("Jobs SQLite idle p50 enqueue->start < 50ms", "specstar-sqlite"),
		jobLatencyTarget("Jobs PostgreSQL idle p50 enqueue->start < 50ms", "specstar-postgres"),
	}
}

// jobLatencyTarget wants the idle p50 latency of system under 50ms.
func jobLatencyTarget(name, system string) targetDef {
	return targetDef{name: name, eval: func(rep *Report) (string, string, string) {
		mine := rep.Jobs.result(system)
		if mine == nil || mine.LatencyP50Ms == 0 {
			return StatusSkip, "-", jobsSkipReason(rep)
		}
		return passIf(mine.LatencyP50Ms < 50), msText(mine.LatencyP50Ms), fmt.Sprintf("p90 %s over %d jobs", msText(mine.LatencyP90Ms), jobLatencyRuns)
	}}
}

// jobsSkipReason says why a jobs target was not measured.
func jobsSkipReason(rep *Report) string {
	switch {
	case rep.Jobs == nil:
		return "the jobs scenario was not run"
	case len(rep.Jobs.Skipped) > 0:
		return rep.Jobs.Skipped[0]
	}
	return "not measured"
}

// writeJobsTable prints the jobs scenario's results.
func (rep *Report) writeJobsTable(ew io.Writer) {
	jr := rep.Jobs
	if jr == nil || len(jr.Results) == 0 {
		return
	}
	t := newTable([]string{"system", "jobs/s", "rounds", "idle p50", "idle p90"}, "jobs/s", "idle p50", "idle p90")
	for _, r := range jr.Results {
		var rounds []string
		for _, v := range r.RoundThroughputs {
			rounds = append(rounds, fmt.Sprintf("%.0f", v))
		}
		p50, p90 := "-", "-"
		if r.LatencyP50Ms > 0 {
			p50, p90 = msText(r.LatencyP50Ms), msText(r.LatencyP90Ms)
		}
		t.add(r.System, fmt.Sprintf("%.0f", r.Throughput), fmt.Sprint(rounds), p50, p90)
	}
	fmt.Fprintf(ew, "\njobs: no-op jobs, enqueue to completion (%d per round, %d enqueuers, %d workers); idle: enqueue to handler start\n%s",
		jr.Jobs, jr.Enqueuers, jr.Workers, t)
	for _, s := range jr.Skipped {
		fmt.Fprintf(ew, "jobs: skipped %s\n", s)
	}
}
