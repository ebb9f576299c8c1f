package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
)

// JobsApp is an App with background jobs (docs/jobs.md): the job types of
// its spec, whose resources are in its Schema, and their handlers.
// Generated apps of a spec with jobs implement it.
type JobsApp interface {
	App
	// JobDefs returns the job types.
	JobDefs() []*jobres.Def
	// JobHandlers returns the handler of every job type, bound to svc
	// (the handlers' typed clients use it). It fails, naming them, when
	// job types have no handler.
	JobHandlers(svc *resource.Service) (map[string]jobs.Handler, error)
}

// newJobs makes the job queue of a JobsApp (nil for another app or an
// app without jobs); its ServiceOption goes to the service.
func newJobs(app App, s *Server) (*jobres.Queue, error) {
	ja, ok := app.(JobsApp)
	if !ok || len(ja.JobDefs()) == 0 {
		return nil, nil
	}
	// Changes a dead instance did not record are recorded within about a
	// lease, as its jobs are taken back within one.
	return jobres.New(ja.JobDefs(), jobres.Options{
		Logger:            s.logger,
		ReconcileInterval: s.cfg.JobLease,
		ReconcileQuiet:    s.cfg.JobLease / 3,
	})
}

// openJobs opens the engine of the queue in the database of the storage,
// migrating River's tables (on PostgreSQL under the lock the store
// migrates under), and gives it the app's handlers. The queue starts
// with startJobs.
func (s *Server) openJobs(app App) error {
	q := s.jobs
	q.Bind(s.svc)
	cfg := q.EngineConfig(jobs.Config{
		Workers:   s.cfg.JobWorkers,
		Logger:    s.logger,
		Metrics:   s.metrics.Jobs(q.Stats),
		WorkerTTL: s.cfg.JobLease,
		Heartbeat: s.cfg.JobLease / 6,
	})
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	var e *jobs.Engine
	var err error
	switch {
	case s.store.pg != nil:
		// The engine gets a pool of its own, so that a burst of jobs does
		// not queue the API's requests behind it.
		if s.jobPool, err = pgxpool.New(ctx, s.store.pgURL); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
		e, err = jobs.OpenPostgres(ctx, s.jobPool, s.store.pg.Schema(), cfg)
	case s.store.sqlite != nil:
		// On the store's write connection: SQLite has one writer, and
		// the queue's writes and the store's take turns without waiting
		// in SQLite's busy handler.
		e, err = jobs.OpenSQLiteDB(ctx, s.store.sqlite.WriteDB(), cfg)
	default:
		e, err = jobs.OpenMemory(ctx, cfg)
	}
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	q.Attach(e)
	handlers, err := app.(JobsApp).JobHandlers(s.svc)
	if err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	for name, h := range handlers {
		if err := q.Handle(name, h); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
	}
	return nil
}

// startJobs starts working jobs, unless Config.JobsOff.
func (s *Server) startJobs() error {
	if s.jobs == nil || s.cfg.JobsOff {
		return nil
	}
	if err := s.jobs.Start(context.Background()); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	s.logger.Info("jobs started", "types", len(s.jobs.Defs()), "workers", s.cfg.JobWorkers)
	return nil
}

// drainJobs stops fetching jobs and lets the running ones finish until
// ctx is done; then they are released for retry, here or on another
// instance.
func (s *Server) drainJobs(ctx context.Context) {
	if s.jobs == nil {
		return
	}
	if err := s.jobs.Stop(ctx); err != nil {
		s.logger.Warn("shutdown: jobs still running at the deadline were cancelled and released for retry", "error", err)
	}
}

// closeJobs stops the jobs, unless they were drained: running ones get
// closeGrace to finish, then are cancelled and released for retry. It
// closes the engine and its pool.
func (s *Server) closeJobs() error {
	if s.jobs == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeGrace)
	defer cancel()
	err := s.jobs.Stop(ctx)
	err = errors.Join(err, s.jobs.Close())
	if s.jobPool != nil {
		s.jobPool.Close()
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = nil // jobs cut short are released for retry: not a failure of Close
	}
	return err
}

// closeGrace is how long Close lets running jobs finish before it
// cancels them (a drain, Serve's shutdown, gives them ShutdownTimeout).
const closeGrace = time.Second

// Jobs returns the job queue of the server, nil for an app without jobs.
func (s *Server) Jobs() *jobres.Queue { return s.jobs }
