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
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// App is what generated code provides: its schema and its routes.
type App interface {
	// Schema returns the kinds of the application.
	Schema() *resource.Schema
	// Register adds the application's routes to g (mounted at /api).
	Register(g *echo.Group, svc *resource.Service)
}

// Timeouts that Config does not expose.
const (
	maxReadHeaderTimeout = 10 * time.Second // bounded by ReadTimeout
	idleTimeout          = 2 * time.Minute
	readyTimeout         = 2 * time.Second // for the backend Ping of /readyz
)

// Server is a configured backend and HTTP server. New creates one;
// ListenAndServe runs it; Close releases it.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	backend resource.Backend
	svc     *resource.Service
	feed    *feed.Broker // change events of the service, for subscriptions
	echo    *echo.Echo
	http    *http.Server

	closeOnce sync.Once
	closeErr  error
}

// New opens and migrates the backend named by cfg.DatabaseURL and builds
// the HTTP handler: /healthz, /readyz, the app's routes under /api,
// for a DocumentedApp /openapi.json and /docs, and for a GraphQLApp
// /graphql,
// behind request id, access log, panic recovery and body limit
// middleware, with errors as problem+json. Zero fields of cfg take their
// defaults.
func New(cfg Config, app App) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		level, _ := parseLevel(cfg.LogLevel) // validated above
		logger = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	backend, err := openBackend(cfg)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if err := backend.Migrate(context.Background(), app.Schema()); err != nil {
		return nil, errors.Join(fmt.Errorf("server: migrate: %w", err), backend.Close())
	}
	s := &Server{
		cfg:     cfg,
		logger:  logger,
		backend: backend,
		feed:    feed.NewBroker(0),
	}
	s.svc = resource.NewService(backend, app.Schema(), resource.WithLogger(logger), resource.WithObserver(feed.Observer(s.feed)))
	if s.echo, err = s.newEcho(app); err != nil {
		return nil, errors.Join(fmt.Errorf("server: %w", err), backend.Close())
	}
	s.http = &http.Server{
		Addr:              cfg.Addr,
		Handler:           s.echo,
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: min(cfg.ReadTimeout, maxReadHeaderTimeout),
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// Subscriptions stream until their feed ends: end them when shutdown
	// starts, so that it need not wait for them.
	s.http.RegisterOnShutdown(s.feed.Close)
	return s, nil
}

// openBackend opens the storage named by cfg.DatabaseURL.
func openBackend(cfg Config) (resource.Backend, error) {
	u := cfg.DatabaseURL
	switch {
	case u == "":
		return openSQLite(filepath.Join(cfg.DataDir, "specstar.db"))
	case u == "memory:":
		return memory.New(), nil
	case strings.HasPrefix(u, "sqlite:"):
		return openSQLite(strings.TrimPrefix(u, "sqlite:"))
	case strings.HasPrefix(u, "file:"):
		return openSQLite(strings.TrimPrefix(u, "file:"))
	}
	return nil, fmt.Errorf(`unsupported database URL %q: use "" (SQLite in the data dir), "memory:", "sqlite:PATH" or "file:PATH"`, u)
}

// openSQLite opens an SQLite backend at path.
func openSQLite(path string) (resource.Backend, error) {
	if path == "" {
		return nil, errors.New(`database URL has an empty path: use "sqlite:PATH" or "file:PATH"`)
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// newEcho builds the router.
func (s *Server) newEcho(app App) (*echo.Echo, error) {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = rest.ErrorHandler(s.logger)
	// Order: the id first so every log line has it; the access log around
	// recovery so a panic is logged as the 500 it becomes.
	e.Use(requestID(), accessLog(s.logger), recoverPanic(s.logger), bodyLimit(s.cfg.BodyLimit))
	e.GET("/healthz", func(c echo.Context) error {
		return rest.JSON(c, http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", s.ready)
	if d, ok := app.(DocumentedApp); ok {
		if err := registerDocs(e, d.OpenAPI()); err != nil {
			return nil, err
		}
	}
	if g, ok := app.(GraphQLApp); ok {
		if err := s.registerGraphQL(e, g); err != nil {
			return nil, err
		}
	}
	app.Register(e.Group("/api"), s.svc)
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

// Feed returns the broker that carries the changes of the server's
// service to GraphQL subscriptions.
func (s *Server) Feed() *feed.Broker { return s.feed }

// Service returns the resource service over the server's backend.
func (s *Server) Service() *resource.Service { return s.svc }

// ListenAndServe listens on cfg.Addr and serves until ctx is done, then
// shuts down gracefully: it stops accepting connections, waits up to
// ShutdownTimeout for in-flight requests, and closes the backend. It
// returns nil after a clean shutdown.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("server: %w", err), s.Close())
	}
	return s.serve(ctx, ln)
}

// serve is ListenAndServe on an open listener.
func (s *Server) serve(ctx context.Context, ln net.Listener) error {
	s.logger.Info("listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	select {
	case err := <-served:
		return errors.Join(fmt.Errorf("server: %w", err), s.Close())
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	var shutdownErr error
	if err := s.http.Shutdown(sctx); err != nil {
		shutdownErr = fmt.Errorf("server: graceful shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		shutdownErr = errors.Join(shutdownErr, fmt.Errorf("server: %w", err))
	}
	return errors.Join(shutdownErr, s.Close())
}

// Close stops the HTTP server at once (without waiting for requests) and
// closes the backend. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.feed.Close()
		s.closeErr = errors.Join(s.http.Close(), s.backend.Close())
		if s.closeErr != nil {
			s.closeErr = fmt.Errorf("server: close: %w", s.closeErr)
		}
	})
	return s.closeErr
}
