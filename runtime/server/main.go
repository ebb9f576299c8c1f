package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of Main: each way the process can end (docs/deploy.md).
const (
	ExitOK           = 0 // clean shutdown (every request finished), or -help
	ExitFailure      = 1 // the server failed to start, to serve, or to close its storage
	ExitUsage        = 2 // bad flags or environment
	ExitDrainTimeout = 3 // shut down, but requests still running at the shutdown timeout (or a second signal) were cancelled
)

// Main runs app as a server process: it loads the configuration from args
// and the environment, serves until ctx is done or the process gets
// SIGINT or SIGTERM, shuts down gracefully and returns the exit code.
// Flag mistakes print the usage on stderr. Logs are JSON lines on stderr
// at the configured level.
func Main(ctx context.Context, args []string, app App, stderr io.Writer) int {
	cfg, rest, err := loadConfig(args, os.Getenv)
	if err == nil && len(rest) > 0 {
		switch rest[0] {
		case "users":
			return runUsers(ctx, cfg, app, rest[1:], os.Stdin, os.Stdout, stderr)
		case "migrate":
			return runMigrate(ctx, cfg, app, rest[1:], stderr)
		case "backup":
			return runBackup(ctx, cfg, app, rest[1:], stderr)
		case "restore":
			return runRestore(ctx, cfg, app, rest[1:], stderr)
		}
		err = &FlagError{Err: fmt.Errorf("unexpected argument %q (the subcommands are migrate, users, backup and restore)", rest[0])}
	}
	if err != nil {
		if isHelp(err) {
			printUsage(stderr)
			return ExitOK
		}
		fmt.Fprintf(stderr, "error: %v\n", err)
		var fe *FlagError
		if errors.As(err, &fe) {
			printUsage(stderr)
		}
		return ExitUsage
	}
	level, _ := parseLevel(cfg.LogLevel) // validated by LoadConfig
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	// The first SIGINT or SIGTERM starts a graceful shutdown; a second one
	// during the drain stops waiting for the requests in flight.
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	force, done := make(chan struct{}), make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-signals:
		case <-ctx.Done():
		}
		stop()
		select {
		case <-signals:
			cfg.Logger.Warn("second signal: stopping without waiting for requests in flight")
			close(force)
		case <-done:
		}
	}()
	srv, err := New(cfg, app)
	if err != nil {
		cfg.Logger.Error("startup failed", "error", err)
		return ExitFailure
	}
	err = srv.Serve(ctx, force)
	switch {
	case err == ErrDrainTimeout: // alone: not joined with a failure to close
		cfg.Logger.Warn("stopped; requests still running at the shutdown timeout were cancelled")
		return ExitDrainTimeout
	case err != nil:
		cfg.Logger.Error("server failed", "error", err)
		return ExitFailure
	}
	cfg.Logger.Info("stopped")
	return ExitOK
}

// runUsers runs the users subcommand (create, set-password, list) over
// the storage cfg names: how the first admin of a backend with auth is
// made. Logs go to stderr at warn level unless configured lower.
func runUsers(ctx context.Context, cfg Config, app App, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if _, ok := app.(AuthApp); !ok {
		fmt.Fprintln(stderr, "error: users: this backend has no users: its spec has no auth block")
		return ExitUsage
	}
	level, _ := parseLevel(cfg.LogLevel)
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: max(level, slog.LevelWarn)}))
	// A command works no jobs: it would take them from the servers, then
	// release them as it exits, cutting their attempts short.
	cfg.JobsOff = true
	srv, err := New(cfg, app)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailure
	}
	code := srv.Auth().UsersCommand(ctx, args, stdin, stdout, stderr)
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return ExitFailure
	}
	return code
}
