// Command rawserver serves one raw baseline of specstar-bench (see package
// baseline) until SIGINT or SIGTERM. specstar-bench builds and starts it;
// it is a separate, small binary so that its memory and CPU figures are
// the baseline's alone.
//
//	rawserver -mode sqlite -db path/specstar.db -addr 127.0.0.1:8080
//	rawserver -mode sqlite -planner-list -db path/specstar.db -addr 127.0.0.1:8080
//	SPECSTAR_DATABASE_URL=postgres://... rawserver -mode postgres -addr 127.0.0.1:8080
//	rawserver -mode memory -addr 127.0.0.1:8080
//	rawserver -mode fixed -body envelope.json -etag '"id:1"' -addr 127.0.0.1:8080
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/baseline"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rawserver:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("rawserver", flag.ContinueOnError)
	mode := fs.String("mode", "", "baseline: sqlite, postgres, memory or fixed")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	db := fs.String("db", "", "SQLite database file (mode sqlite)")
	// The URL may hold a password: specstar-bench passes it in the
	// environment, where other users' ps does not show it.
	databaseURL := fs.String("database-url", os.Getenv("SPECSTAR_DATABASE_URL"), "PostgreSQL URL (mode postgres; default $SPECSTAR_DATABASE_URL)")
	bodyPath := fs.String("body", "", "file holding the response body (mode fixed)")
	etag := fs.String("etag", `"fixed"`, "ETag of the response (mode fixed)")
	plannerList := fs.Bool("planner-list", false, "leave the list plan to SQLite's planner (mode sqlite; see baseline.PlanSQLite)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var srv *baseline.Server
	switch *mode {
	case "sqlite":
		var err error
		plan := baseline.PlanEngine
		if *plannerList {
			plan = baseline.PlanSQLite
		}
		if srv, err = baseline.NewSQLite(*db, plan); err != nil {
			return err
		}
	case "postgres":
		if *databaseURL == "" {
			return errors.New("-mode postgres needs -database-url or SPECSTAR_DATABASE_URL")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var err error
		srv, err = baseline.NewPostgres(ctx, *databaseURL)
		cancel()
		if err != nil {
			return err
		}
	case "memory":
		srv = baseline.NewMemory()
	case "fixed":
		body, err := os.ReadFile(*bodyPath)
		if err != nil {
			return err
		}
		srv = baseline.NewFixed(body, *etag)
	default:
		return fmt.Errorf("-mode must be sqlite, postgres, memory or fixed, got %q", *mode)
	}
	hs := &http.Server{Addr: *addr, Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.ListenAndServe() }()
	select {
	case err := <-served:
		return errors.Join(err, srv.Close())
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(hs.Shutdown(sctx), srv.Close())
}
