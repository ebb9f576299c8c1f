// Package server runs a generated specstar backend: configuration from
// flags and SPECSTAR_* variables, the storage backend, the echo server
// with its middleware and health endpoints, and graceful shutdown.
//
// A generated main is one line:
//
//	func main() { os.Exit(server.Main(context.Background(), os.Args[1:], blog.App{}, os.Stderr)) }
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth"
	"github.com/specstar-go/specstar/runtime/backup"
	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/feed/pgfeed"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/metrics"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
)

// App is what generated code provides: its schema and its routes.
type App interface {
	// Schema returns the kinds of the application.
	Schema() *resource.Schema
	// Register adds the application's routes to g (mounted at /api).
	Register(g *echo.Group, svc *resource.Service)
}

// ServiceApp is an App with business logic: the options (hooks,
// authorizers) of the resource.Service the server builds for it.
// Generated apps implement it.
type ServiceApp interface {
	App
	ServiceOptions() []resource.Option
}

// Timeouts that Config does not expose.
const (
	maxReadHeaderTimeout = 10 * time.Second // bounded by ReadTimeout
	idleTimeout          = 2 * time.Minute
	readyTimeout         = 2 * time.Second // for the backend Ping of /readyz
)

// metricsPath is where the Prometheus metrics are served, outside /api.
const metricsPath = "/metrics"

// Server is a configured backend and HTTP server. New creates one;
// ListenAndServe runs it; Close releases it.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	schema  *resource.Schema
	store   *storage
	backend resource.Backend
	svc     *resource.Service
	feed    *feed.Broker // this process's subscriptions
	// changes carries the service's change events to subscriptions: feed
	// itself, or in PostgreSQL mode pgFeed, which shares them with the
	// other processes on the database.
	changes feed.Feed
	pgFeed  *pgfeed.Feed
	echo    *echo.Echo
	http    *http.Server
	auth    *auth.Auth // nil unless the app is an AuthApp
	// stopAuth ends auth's periodic sweep and the subscription that
	// keeps its cache in step with the other instances; nil without auth.
	stopAuth context.CancelFunc
	metrics  *metrics.Metrics // nil when Config.MetricsOff

	jobs    *jobres.Queue // the job queue; nil for an app without jobs
	jobPool *pgxpool.Pool // the job engine's pool on PostgreSQL

	stopGC context.CancelFunc // ends the periodic S3 GC; nil when it does not run
	// files stores the bytes of file fields; nil for an app without them.
	files       *files.Store
	stopFilesGC func() // ends the periodic files GC; nil when it does not run
	gcDone      chan struct{}

	// base is the parent context of every request; stopRequests cancels
	// it when a shutdown gives up waiting, so that the requests still
	// running stop their work.
	base         context.Context
	stopRequests context.CancelFunc

	closeOnce sync.Once
	closeErr  error
}

// New opens and migrates the backend named by cfg.DatabaseURL (and
// cfg.S3), and builds the HTTP handler: /healthz, /readyz, /metrics
// (unless cfg.MetricsOff), the app's routes under /api, for a
// DocumentedApp /openapi.json and /docs, and for a GraphQLApp /graphql,
// behind request id, metrics, access log, panic recovery and body limit
// middleware, with errors as problem+json. Zero fields of cfg take their
// defaults.
//
// On PostgreSQL, GraphQL subscriptions receive the changes of every
// server process on the same schema (package pgfeed). With S3, New checks
// the bucket and starts the periodic S3 GC (Config.S3GCInterval).
func New(cfg Config, app App) (*Server, error) {
	return newServer(cfg, app, false)
}

// newServer is New; offline opens the storage for the backup and restore
// commands: nothing is written on start and nothing runs in the
// background (no signing key is created, no job runs, no GC), so that a
// new store stays empty for a restore and a backup reads only what the
// serving processes wrote.
func newServer(cfg Config, app App, offline bool) (*Server, error) {
	cfg = cfg.withDefaults()
	if offline {
		cfg.JobsOff = true
		cfg.S3GCInterval = S3GCOff
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		level, _ := parseLevel(cfg.LogLevel) // validated above
		logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	st, err := openStorage(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	fail := func(err error) (*Server, error) {
		return nil, errors.Join(fmt.Errorf("server: %w", err), st.backend.Close())
	}
	if err := migrateStorage(context.Background(), st.backend, app.Schema(), logger, resource.DataMigrationOptions{}); err != nil {
		return fail(err)
	}
	if err := st.check(); err != nil {
		return fail(err)
	}
	logger.Info("storage ready", st.attrs...)
	s := &Server{
		cfg:     cfg,
		logger:  logger,
		schema:  app.Schema(),
		store:   st,
		backend: st.backend,
	}
	if err := s.newFeed(); err != nil {
		return fail(err)
	}
	opts := []resource.Option{resource.WithLogger(logger), resource.WithObserver(feed.Observer(s.changes))}
	backend := st.backend
	if !cfg.MetricsOff {
		s.metrics = metrics.New(logger)
		st.instrument(s.metrics)
		backend = s.metrics.Backend(backend)
		opts = append(opts, resource.WithObserver(s.metrics.Observer(s.schema)))
	}
	if s.auth, err = newAuth(cfg, app, logger); err != nil {
		return fail(err)
	}
	if s.auth != nil {
		opts = append(opts, s.auth.ServiceOptions()...)
	}
	if sa, ok := app.(ServiceApp); ok {
		opts = append(opts, sa.ServiceOptions()...)
	}
	if s.files, err = s.newFiles(app.Schema()); err != nil {
		return fail(err)
	}
	if s.files != nil {
		opts = append(opts, s.files.ServiceOptions(app.Schema())...)
		// Export, import, backup and restore carry the file bytes too.
		opts = append(opts, backup.WithFiles(backup.BlobFiles(s.files.Blobs())))
	}
	if s.jobs, err = newJobs(app, s); err != nil {
		return fail(err)
	}
	if s.jobs != nil {
		opts = append(opts, s.jobs.ServiceOption())
	}
	s.svc = resource.NewService(backend, app.Schema(), opts...)
	if s.jobs != nil {
		if err := s.openJobs(app); err != nil {
			return fail(errors.Join(err, s.closeJobs()))
		}
	}
	if !offline {
		if err := s.startAuth(); err != nil {
			return fail(err)
		}
	}
	if s.echo, err = s.newEcho(app); err != nil {
		return fail(err)
	}
	if s.pgFeed != nil {
		// The feed reads large events' envelopes through s.svc: start it
		// once the service exists.
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		if err := s.pgFeed.Start(ctx); err != nil {
			return fail(err)
		}
	}
	s.base, s.stopRequests = context.WithCancel(context.Background())
	s.http = &http.Server{
		Addr:              cfg.Addr,
		Handler:           s.echo,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: min(cfg.ReadTimeout, maxReadHeaderTimeout),
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Subscriptions stream until their feed ends: end them when shutdown
	// starts, so that it need not wait for them. (In PostgreSQL mode the
	// feed keeps sending this process's changes to the others until
	// Close.)
	s.http.RegisterOnShutdown(s.feed.Close)
	if err := s.startJobs(); err != nil {
		return fail(errors.Join(err, s.closeJobs()))
	}
	s.startGC()
	if !offline {
		s.startFilesGC()
	}
	return s, nil
}

// newFeed sets up the change feed: an in-process broker, or on
// PostgreSQL a pgfeed on the channel of the schema that holds the data
// (started by New once the service exists).
func (s *Server) newFeed() error {
	if s.store.pg == nil {
		s.feed = feed.NewBroker(0)
		s.changes = s.feed
		return nil
	}
	schema := s.store.pg.Schema()
	if schema == "" {
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		if err := s.store.pg.Pool().QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			return fmt.Errorf("change feed: current schema: %w", err)
		}
	}
	s.pgFeed = pgfeed.New(s.store.pg.Pool(), pgfeed.Options{
		Channel: pgfeed.Channel(schema),
		Load:    s.loadEnvelope,
		Logger:  s.logger,
	})
	s.feed = s.pgFeed.Local()
	s.changes = s.pgFeed
	return nil
}

// loadEnvelope reads the current envelope of a resource, deleted or not:
// the pgfeed Loader.
func (s *Server) loadEnvelope(ctx context.Context, kind, id string) (*resource.Envelope, error) {
	k := s.schema.Kind(kind)
	if k == nil {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	// The feed loads for every subscriber; each sees what its rules let
	// it (gql.Changes asks Service.Visible).
	return s.svc.Get(resource.AsSystem(ctx), k, id, resource.ReadOptions{IncludeDeleted: true})
}

// startGC starts the periodic S3 GC, when the storage has S3 and the GC
// is not off.
func (s *Server) startGC() {
	if s.store.s3 == nil || s.cfg.S3GCInterval == S3GCOff {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopGC = cancel
	s.gcDone = make(chan struct{})
	go func() {
		defer close(s.gcDone)
		s.runGC(ctx)
	}()
}

// runGC runs the S3 GC every S3GCInterval until ctx ends. The first run
// is one interval after startup, so that restarts do not pile up runs.
func (s *Server) runGC(ctx context.Context) {
	tick := time.NewTicker(s.cfg.S3GCInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		st, err := s.store.s3.GC(ctx, s.cfg.S3GCMinAge)
		if ctx.Err() != nil {
			return // stopped by Close
		}
		attrs := []any{"scanned", st.Scanned, "deleted", st.Deleted, "duration", time.Since(start).String()}
		if err != nil {
			s.logger.Warn("s3 gc failed", append(attrs, "error", err)...)
			continue
		}
		s.logger.Info("s3 gc", attrs...)
	}
}

// newEcho builds the router.
func (s *Server) newEcho(app App) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = rest.ErrorHandler(s.logger)
	// The client address (access log, login rate limit) is the peer's:
	// X-Forwarded-For is trusted only from the proxies Config names.
	e.IPExtractor = s.cfg.ipExtractor()
	// Order: the id first so every log line has it; the metrics and the
	// access log around recovery so a panic is counted and logged as the
	// 500 it becomes. (Nil metrics pass requests through.)
	e.Use(requestID(newRequestIDs()), s.metrics.Middleware(), accessLog(s.logger), recoverPanic(s.logger),
		bodyLimit(s.cfg.BodyLimit), requestDeadline(s.cfg.WriteTimeout))
	e.GET("/healthz", func(c echo.Context) error {
		return rest.JSON(c, http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	if s.metrics != nil {
		e.GET(metricsPath, echo.WrapHandler(s.metrics.Handler()))
	}
	d, docs := app.(DocumentedApp)
	if docs {
		if err := registerDocs(e, d.OpenAPI()); err != nil {
			return nil, err
		}
	}
	g, graphql := app.(GraphQLApp)
	if graphql {
		if err := s.registerGraphQL(e, g); err != nil {
			return nil, err
		}
	}
	hasAdmin, err := s.registerAdmin(e, app)
	if err != nil {
		return nil, err
	}
	s.registerIndex(e, docs, graphql, hasAdmin)
	api := e.Group("/api", s.authenticate()...)
	if s.auth != nil {
		s.auth.Register(api)
	}
	if s.files != nil {
		s.files.Register(api, s.svc, s.schema)
	}
	app.Register(api, s.svc)
	return e, nil
}

// ready answers /readyz: 200 when the backend answers a Ping, else 503.
func (s *Server) ready(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.svc.Ping(ctx); err != nil {
		s.logger.WarnContext(ctx, "not ready", "error", err)
		return rest.JSON(c, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return rest.JSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// Handler returns the HTTP handler of the server (for tests and for
// embedding in another server).
func (s *Server) Handler() http.Handler { return s.echo }

// Feed returns the broker that holds this process's subscriptions to the
// changes of the service (and, in PostgreSQL mode, of the other
// processes on the same schema).
func (s *Server) Feed() *feed.Broker { return s.feed }

// Service returns the resource service over the server's backend.
func (s *Server) Service() *resource.Service { return s.svc }

// Metrics returns the server's metrics, which /metrics serves: other
// subsystems add their collectors to its registry with Register. It is
// nil when Config.MetricsOff, and a nil *metrics.Metrics accepts
// registrations and records nothing, so callers need not check.
func (s *Server) Metrics() *metrics.Metrics { return s.metrics }

// ErrDrainTimeout is returned by ListenAndServe when a shutdown gave up
// waiting for requests in flight after Config.ShutdownTimeout (or on a
// second signal): their contexts were cancelled and their connections
// closed. Writes that had not committed rolled back; committed ones are
// kept. Main exits with ExitDrainTimeout.
var ErrDrainTimeout = errors.New("server: shutdown cut requests in flight")

// ListenAndServe listens on cfg.Addr and serves until ctx is done, then
// shuts down gracefully: it stops accepting connections, ends the
// subscriptions, waits up to ShutdownTimeout for the requests in flight,
// stops the S3 GC and the change feed, and closes the backend. It returns
// nil after a clean shutdown, an error wrapping ErrDrainTimeout when
// requests were still running at the timeout (or when force is done
// first: see Serve), and any other error when serving or closing failed.
func (s *Server) ListenAndServe(ctx context.Context) error {
	return s.Serve(ctx, nil)
}

// Serve is ListenAndServe with a second way out: when force is done
// during the drain (a second signal), the server stops waiting at once,
// as at the drain timeout. A nil force never fires.
func (s *Server) Serve(ctx context.Context, force <-chan struct{}) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("server: %w", err), s.Close())
	}
	return s.serve(ctx, ln, force)
}

// serve is Serve on an open listener.
func (s *Server) serve(ctx context.Context, ln net.Listener, force <-chan struct{}) error {
	s.logger.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	select {
	case err := <-served:
		return errors.Join(fmt.Errorf("server: %w", err), s.Close())
	case <-ctx.Done():
	}
	start := time.Now()
	s.logger.Info("shutting down: draining requests in flight", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if force != nil {
		go func() {
			select {
			case <-force:
				cancel()
			case <-sctx.Done():
			}
		}()
	}
	// Jobs drain alongside the requests, under the same deadline.
	jobsDrained := make(chan struct{})
	go func() {
		defer close(jobsDrained)
		s.drainJobs(sctx)
	}()
	var outcome error
	if err := s.http.Shutdown(sctx); err != nil {
		// Shutdown fails only when sctx ends first: stop the requests
		// still running (their transactions roll back unless they
		// committed) and close their connections.
		s.stopRequests()
		s.logger.Warn("shutdown: stopped waiting for requests in flight; they were cancelled and their connections closed",
			"waited", time.Since(start).Round(time.Millisecond).String(), "timeout", s.cfg.ShutdownTimeout.String())
		outcome = ErrDrainTimeout
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		outcome = errors.Join(outcome, fmt.Errorf("server: %w", err))
	}
	<-jobsDrained
	if err := s.Close(); err != nil {
		return errors.Join(outcome, err)
	}
	if outcome == nil {
		s.logger.Info("shutdown: every request finished", "took", time.Since(start).Round(time.Millisecond).String())
	}
	return outcome
}

// Close stops the HTTP server at once (without waiting for requests),
// ends the subscriptions, stops the S3 GC and closes the backend. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if s.stopAuth != nil {
			s.stopAuth()
		}
		s.feed.Close()
		if s.pgFeed != nil {
			s.pgFeed.Close() // sends the changes still queued: before the backend closes
		}
		if s.stopGC != nil {
			s.stopGC()
			<-s.gcDone
		}
		if s.stopFilesGC != nil {
			s.stopFilesGC()
		}
		if s.files != nil {
			s.files.Flush() // uploads that answered, still being synced
		}
		s.stopRequests()
		jerr := s.closeJobs() // writes the last status changes: before the backend closes
		s.closeErr = errors.Join(s.http.Close(), jerr, s.backend.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("server: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}
