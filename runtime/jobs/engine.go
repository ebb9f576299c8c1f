package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverlog"
	"github.com/riverqueue/river/rivertype"
)

// Config configures an engine. The zero value works: every field has a
// default.
type Config struct {
	// Types are the job types. Each needs a handler before Start (in the
	// Type or through Engine.Handle).
	Types []Type
	// Workers bounds how many jobs of the types without a Concurrency one
	// instance works at once (default 50).
	Workers int
	// Logger receives the engine's own logs and a copy of every job's
	// logs (default: slog.Default()).
	Logger *slog.Logger
	// Observer, when set, is told of every status change this instance
	// makes (see Observer).
	Observer Observer
	// Metrics, when set, receives the start and end of every job this
	// instance works (see Metrics; Engine.Stats has the queue's counts).
	Metrics Metrics
	// Ticks, when set, enqueues the job of each tick of a schedule in the
	// engine's stead: it is called with the type's name and the tick, and
	// enqueues with EnqueueOptions.Tick (EnqueueTx in a store transaction,
	// so that runtime/jobres creates the job's resource with it). Without
	// it the engine enqueues ticks itself and tells the observer.
	Ticks func(ctx context.Context, typ string, tick time.Time) error

	// RetryBase and RetryMax shape the backoff after a failed attempt:
	// attempt n is retried after RetryBase·2^(n-1), at most RetryMax, less
	// a random part of up to half of it (defaults 1s and 1h).
	RetryBase, RetryMax time.Duration

	// Heartbeat is how often an instance records that it is alive and
	// looks for jobs to take back (default 5s). WorkerTTL is how long an
	// instance may stay silent before the jobs it runs are taken back
	// and retried (default 30s; at least twice Heartbeat). StuckGrace is
	// how long past its timeout a job may keep running on a live
	// instance before it is taken back (default 1m).
	Heartbeat, WorkerTTL, StuckGrace time.Duration

	// FetchCooldown is the least time between two fetches of a queue
	// (default 10ms), FetchPollInterval the longest (default 1s): jobs
	// are fetched at once when enqueued, through the database's
	// notifications, and at least that often.
	FetchCooldown, FetchPollInterval time.Duration

	// CompletedRetention, CancelledRetention and FailedRetention are how
	// long finished jobs stay in the queue (defaults 24h, 24h and 7 days;
	// -1 keeps them forever).
	CompletedRetention, CancelledRetention, FailedRetention time.Duration

	// InstanceID names this instance in the queue (Job.WorkedBy); unique
	// among the running instances (default: host name, process id and a
	// random suffix).
	InstanceID string
}

// withDefaults returns c with its defaults filled in.
func (c Config) withDefaults() Config {
	c.Workers = cmpOr(c.Workers, 50)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.RetryBase = cmpOr(c.RetryBase, time.Second)
	c.RetryMax = cmpOr(c.RetryMax, time.Hour)
	c.Heartbeat = cmpOr(c.Heartbeat, 5*time.Second)
	c.WorkerTTL = cmpOr(c.WorkerTTL, 30*time.Second)
	c.WorkerTTL = max(c.WorkerTTL, 2*c.Heartbeat)
	c.StuckGrace = cmpOr(c.StuckGrace, time.Minute)
	c.FetchCooldown = cmpOr(c.FetchCooldown, 10*time.Millisecond)
	c.FetchPollInterval = max(cmpOr(c.FetchPollInterval, time.Second), c.FetchCooldown)
	c.CompletedRetention = cmpOr(c.CompletedRetention, 24*time.Hour)
	c.CancelledRetention = cmpOr(c.CancelledRetention, 24*time.Hour)
	c.FailedRetention = cmpOr(c.FailedRetention, 7*24*time.Hour)
	if c.InstanceID == "" {
		c.InstanceID = newInstanceID()
	}
	return c
}

// cmpOr returns v, or def when v is zero.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// newInstanceID returns "<host>_<pid>_<random>", cut to River's limit.
func newInstanceID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '-'
		}
		return r
	}, host)
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("%s_%d_%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	if len(id) > 100 {
		id = id[len(id)-100:]
	}
	return id
}

// Engine runs the jobs of one database. Open one with OpenSQLite,
// OpenMemory or OpenPostgres; give handlers to its types (Handle), Start
// it, and Stop it to drain. Enqueue, Get, List, Cancel and Rerun work
// from Open to Close, started or not: an instance that only enqueues need
// not start.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	types map[string]*jobType
	names []string // sorted
	q     queue
	obs   *observerQueue
	now   func() time.Time
	// serial is set when the database has one writer at a time (SQLite).
	serial bool

	mu      sync.Mutex
	started bool
	stopped bool
	closed  bool
	stop    context.CancelFunc // stops the engine's own loops
	loops   sync.WaitGroup     // the loops stop stops
	// forwarded is closed when the River events of the worker client are
	// all forwarded (River closes their channel as it stops).
	forwarded chan struct{}

	// flights are the jobs with attempts in flight here (observe.go).
	flightMu sync.Mutex
	flights  map[int64]*flight

	// stale counts, by type, the jobs the last lease pass took back.
	stale atomic.Pointer[map[string]int64]
}

// Observer is told of every status change of a job made by the instance
// it is given to: an enqueue (not one inside a store transaction: see
// EnqueueTx), a start, the end of an attempt, a cancel, a rerun, and a job
// taken back from a dead or stuck instance. c.Job is the job's state
// after the change.
//
// An instance is told only of its own changes, so every change is told
// once across instances (the resource layer records each as a revision).
// Calls are made one at a time, from one goroutine, in the order the
// changes were made; a slow observer delays the next calls, not the jobs.
// A change made just before the process dies may go untold: the observer
// is at most once, like resource.Hooks.AfterCommit.
type Observer func(ctx context.Context, c Change)

// Change is a status change of a job.
type Change struct {
	Event Event
	Job   *Job
}

// Event is what changed a job's status.
type Event string

// The events of a Change.
const (
	EventEnqueued    Event = "enqueued"    // → pending (a schedule tick's job too)
	EventStarted     Event = "started"     // → running
	EventCompleted   Event = "completed"   // → completed
	EventRetry       Event = "retry"       // an attempt failed → pending, retried at RunAt
	EventFailed      Event = "failed"      // → failed
	EventCancelled   Event = "cancelled"   // → cancelled
	EventInterrupted Event = "interrupted" // the engine stopped during the attempt → pending, attempt not counted
	EventRerun       Event = "rerun"       // → pending, by Rerun
	EventRescued     Event = "rescued"     // taken back from a dead or stuck instance → pending, failed or cancelled
)

// Metrics receives measurements of the jobs an instance works.
// Implementations must be safe for concurrent use and fast.
type Metrics interface {
	// JobStarted is called when an attempt starts, with the time the job
	// waited since it was due (enqueue to start, for a job due at once).
	JobStarted(jobType string, wait time.Duration)
	// JobFinished is called when an attempt ends, with the job's status
	// after it (pending when it will be retried) and the attempt's
	// duration.
	JobFinished(jobType string, status Status, run time.Duration)
}

// Errors of the engine.
var (
	ErrNotFound    = errors.New("jobs: no such job")
	ErrUnknownType = errors.New("jobs: unknown job type")
	ErrFinished    = errors.New("jobs: the job has finished")
	ErrRunning     = errors.New("jobs: the job is running")
	ErrClosed      = errors.New("jobs: the engine is closed")
)

// queueNameRE is River's rule for queue names.
var queueNameRE = regexp.MustCompile(`^(?:[a-z0-9])+(?:[_|\-]?[a-z0-9]+)*$`)

// newEngine validates cfg and builds an engine without its queue.
func newEngine(cfg Config) (*Engine, error) {
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, log: cfg.Logger, types: make(map[string]*jobType), now: time.Now, flights: make(map[int64]*flight)}
	queues := make(map[string]string)
	for _, t := range cfg.Types {
		jt, err := newJobType(t)
		if err != nil {
			return nil, err
		}
		if e.types[t.Name] != nil {
			return nil, fmt.Errorf("jobs: job type %s is registered twice", t.Name)
		}
		if jt.queue != defaultQueue {
			if !queueNameRE.MatchString(jt.queue) {
				return nil, fmt.Errorf("jobs: job type %s: its queue name %q is not valid for River: avoid doubled or trailing underscores in a type with a concurrency", t.Name, jt.queue)
			}
			if other, ok := queues[jt.queue]; ok {
				return nil, fmt.Errorf("jobs: job types %s and %s differ only in case, and both have a concurrency: their queues would be the same", other, t.Name)
			}
			queues[jt.queue] = t.Name
		}
		e.types[t.Name] = jt
		e.names = append(e.names, t.Name)
	}
	sort.Strings(e.names)
	e.obs = newObserverQueue(cfg.Observer, cfg.Logger)
	return e, nil
}

// riverConfig returns the River client configuration of the engine's
// worker client: a queue per type with a Concurrency and the default one,
// the engine's worker for every type, retries by the engine's backoff,
// logs by riverlog.
func (e *Engine) riverConfig(schema string) *river.Config {
	workers := river.NewWorkers()
	queues := map[string]river.QueueConfig{defaultQueue: {MaxWorkers: e.cfg.Workers}}
	for _, name := range e.names {
		t := e.types[name]
		river.AddWorkerArgs(workers, args{kind: name}, &worker{e: e, t: t})
		if t.queue != defaultQueue {
			queues[t.queue] = river.QueueConfig{MaxWorkers: t.Concurrency}
		}
	}
	return &river.Config{
		ID:      e.cfg.InstanceID,
		Logger:  riverLogger(e.log),
		Schema:  schema,
		Queues:  queues,
		Workers: workers,
		// A job of a type this instance does not know (one a newer
		// version added, during a rolling deploy) waits for an instance
		// that does, instead of failing here.
		FetchOnlyKnownKinds:         true,
		MaxAttempts:                 DefaultMaxAttempts,
		RetryPolicy:                 e.backoff(),
		FetchCooldown:               e.cfg.FetchCooldown,
		FetchPollInterval:           e.cfg.FetchPollInterval,
		CompletedJobRetentionPeriod: e.cfg.CompletedRetention,
		CancelledJobRetentionPeriod: e.cfg.CancelledRetention,
		DiscardedJobRetentionPeriod: e.cfg.FailedRetention,
		// Every type has its own timeout (Worker.Timeout). The engine's
		// leases (lease.go) take back jobs of dead or stuck instances, and
		// tell the observer: River's rescuer, which tells no one, is
		// pushed out of the way.
		JobTimeout:           -1,
		RescueStuckJobsAfter: riverRescueOff,
		Hooks:                []rivertype.Hook{&dueSoon{}},
		Middleware: []rivertype.Middleware{
			riverlog.NewMiddlewareCustomContext(withLogWriter, &riverlog.MiddlewareConfig{
				MaxSizeBytes:  maxLogBytes,
				MaxTotalBytes: maxTotalLogBytes,
			}),
		},
	}
}

// apiConfig returns the River client configuration of the client that
// enqueues and reads: no queues, no workers (the engine checks types
// itself).
func (e *Engine) apiConfig(schema string) *river.Config {
	id := e.cfg.InstanceID
	if len(id) > 96 {
		id = id[len(id)-96:]
	}
	return &river.Config{
		ID:            id + "_api",
		Logger:        riverLogger(e.log),
		Schema:        schema,
		MaxAttempts:   DefaultMaxAttempts,
		RetryPolicy:   e.backoff(),
		FetchCooldown: e.cfg.FetchCooldown,
		Hooks:         []rivertype.Hook{&dueSoon{}},
		// Not used (no queues), but validated against FetchCooldown.
		FetchPollInterval: e.cfg.FetchPollInterval,
	}
}

// dueSoon is a River insert hook. River inserts every job given a run_at
// (InsertOpts.ScheduledAt) as scheduled, even one due already, and only
// its leader's scheduler, every 5 seconds, makes scheduled jobs
// available. A job due within that interval (a schedule's tick, which is
// now, or a run_at a few seconds ahead) is inserted available instead,
// as River's executor does for short retries: workers fetch it once its
// run_at has passed, at their next fetch. (River computes a job's unique
// key from its run_at before the hook runs, so ticks stay unique.)
type dueSoon struct{ river.HookDefaults }

// riverSchedulerInterval is how often River's leader makes due scheduled
// jobs available (its JobSchedulerIntervalDefault).
const riverSchedulerInterval = 5 * time.Second

// InsertBegin makes a job due soon available.
func (*dueSoon) InsertBegin(_ context.Context, p *rivertype.JobInsertParams) error {
	if p.State == rivertype.JobStateScheduled && p.ScheduledAt != nil && time.Until(*p.ScheduledAt) <= riverSchedulerInterval {
		p.State = rivertype.JobStateAvailable
	}
	return nil
}

// discardLogger drops everything: River's migrator logs each migration
// at info level.
var discardLogger = slog.New(slog.DiscardHandler)

// riverRescueOff is a RescueStuckJobsAfter beyond any job's run.
const riverRescueOff = 100 * 365 * 24 * time.Hour

// Bounds of the logs kept with a job: of one attempt, and of all its
// attempts together (the oldest are dropped first).
const (
	maxLogBytes      = 256 << 10
	maxTotalLogBytes = 1 << 20
)

// riverLogger returns the logger River logs to: the engine's, above info
// (River logs every snoozed, retried or interrupted job at info level,
// which the engine reports through its observer and its own logs).
func riverLogger(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{Handler: l.Handler(), min: slog.LevelWarn}).With("component", "river")
}

// minLevel drops records below min.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(as), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}

// Types returns the names of the registered types, sorted.
func (e *Engine) Types() []string { return slices.Clone(e.names) }

// SerialWrites reports whether the engine's database runs one write
// transaction at a time (SQLite; PostgreSQL runs them in parallel):
// callers that batch writes then gain nothing from running several
// batches at once.
func (e *Engine) SerialWrites() bool { return e.serial }

// InstanceID returns the name of this instance in the queue.
func (e *Engine) InstanceID() string { return e.cfg.InstanceID }

// Handle sets the handler of a type, before Start.
func (e *Engine) Handle(name string, h Handler) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.types[name]
	switch {
	case t == nil:
		return fmt.Errorf("%w %q", ErrUnknownType, name)
	case e.started:
		return fmt.Errorf("jobs: Handle(%q) after Start", name)
	}
	t.Handler = h
	return nil
}

// Start starts working jobs: fetching them, running schedules, keeping
// this instance's lease. It fails, starting nothing, when a type has no
// handler.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.closed:
		return ErrClosed
	case e.started:
		return errors.New("jobs: Start called twice")
	}
	var missing []string
	for _, name := range e.names {
		if e.types[name].Handler == nil {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("jobs: job types without a handler: %s (implement them and pass them to the engine before it starts)", strings.Join(missing, ", "))
	}
	if err := e.q.heartbeat(ctx, e.cfg.InstanceID); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	events, err := e.q.start(ctx)
	if err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e.started, e.stop = true, stop
	e.obs.start()
	e.forwarded = make(chan struct{})
	go func() {
		defer close(e.forwarded)
		e.forward(events)
	}()
	e.goLoop(func() { e.leaseLoop(loopCtx) })
	for _, name := range e.names {
		if t := e.types[name]; t.schedule != nil {
			e.goLoop(func() { e.scheduler(loopCtx, t) })
		}
	}
	return nil
}

// goLoop runs fn in a goroutine that Stop waits for.
func (e *Engine) goLoop(fn func()) {
	e.loops.Add(1)
	go func() {
		defer e.loops.Done()
		fn()
	}()
}

// drainRelease bounds how long Stop waits, once its deadline has passed,
// for the cancelled jobs to return and be released.
const drainRelease = 5 * time.Second

// Stop drains the engine: it stops fetching jobs and schedules, lets the
// running jobs finish until ctx is done, then cancels their contexts and
// releases them (pending again, their attempt not counted) for another
// instance or the next start, and tells the observer the last changes.
// A handler that ignores its context past that is left running: its job
// is taken back once this instance's lease expires. Stop returns ctx's
// error when it had to cancel jobs.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	if !e.started || e.stopped {
		e.mu.Unlock()
		return nil
	}
	e.stopped = true
	e.mu.Unlock()

	e.stop() // schedules and leases
	err := e.q.stop(ctx)
	if err != nil && ctx.Err() != nil {
		e.log.Warn("jobs: drain deadline passed; cancelling the running jobs")
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainRelease)
		if herr := e.q.stopAndCancel(hard); herr != nil {
			e.log.Error("jobs: jobs did not return after their contexts were cancelled; they will be taken back when this instance's lease expires", "error", herr)
		}
		cancel()
	}
	e.loops.Wait()
	<-e.forwarded
	e.obs.close()
	// Jobs still running (handlers ignoring their context) belong to a
	// dead instance from now on; with the heartbeat gone, other instances
	// take them back without waiting for it to expire.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainRelease)
	defer cancel()
	if herr := e.q.forget(bg, e.cfg.InstanceID); herr != nil {
		e.log.Warn("jobs: remove this instance's heartbeat", "error", herr)
	}
	return err
}

// Close stops the engine if it runs, waiting for its jobs without bound,
// and closes its connections (not a pool it was given).
func (e *Engine) Close() error {
	if err := e.Stop(context.Background()); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	return e.q.close()
}
