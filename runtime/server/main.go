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

// Exit codes of Main.
const (
	ExitOK      = 0 // clean shutdown, or -help
	ExitFailure = 1 // the server failed to start or to run
	ExitUsage   = 2 // bad flags or environment
)

// Main runs app as a server process: it loads the configuration from args
// and the environment, serves until ctx is done or the process gets
// SIGINT or SIGTERM, shuts down gracefully and returns the exit code.
// Flag mistakes print the usage on stderr. Logs are JSON lines on stderr
// at the configured level.
func Main(ctx context.Context, args []string, app App, stderr io.Writer) int {
	cfg, err := LoadConfig(args, os.Getenv)
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

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := New(cfg, app)
	if err != nil {
		cfg.Logger.Error("startup failed", "error", err)
		return ExitFailure
	}
	if err := srv.ListenAndServe(ctx); err != nil {
		cfg.Logger.Error("server failed", "error", err)
		return ExitFailure
	}
	cfg.Logger.Info("stopped")
	return ExitOK
}
