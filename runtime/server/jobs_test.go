package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// jobsApp is an App with two job types whose handlers are those of
// handlers: what generated code is when jobs.go sets only some.
type jobsApp struct {
	handlers map[string]jobs.Handler
}

var (
	mailKind   = &resource.Kind{Name: "MailJob", Table: "mail_job", Path: "jobs/mail", SchemaVersion: 1}
	reportKind = &resource.Kind{Name: "ReportJob", Table: "report_job", Path: "jobs/report", SchemaVersion: 1}
)

func (jobsApp) Schema() *resource.Schema {
	return &resource.Schema{Kinds: []*resource.Kind{mailKind, reportKind}}
}
func (jobsApp) Register(*echo.Group, *resource.Service) {}
func (jobsApp) JobDefs() []*jobres.Def {
	return []*jobres.Def{
		{Type: jobs.Type{Name: "Mail"}, Kind: mailKind},
		{Type: jobs.Type{Name: "Report"}, Kind: reportKind},
	}
}
func (a jobsApp) JobHandlers(*resource.Service) (map[string]jobs.Handler, error) {
	return a.handlers, nil
}

// TestJobWithoutHandler checks that a job type without a handler stops
// New, naming it, on every store; and that with every handler set the
// same app starts.
func TestJobWithoutHandler(t *testing.T) {
	noop := func(context.Context, *jobs.Run) (json.RawMessage, error) { return nil, nil }
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return "memory:" }},
		{"sqlite", func(t *testing.T) string { return "sqlite:" + t.TempDir() + "/data.db" }},
		{"postgres", func(t *testing.T) string { return pgtest.SchemaURL(t, pgtest.URL(t)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.url(t)
			cfg := Config{DatabaseURL: url, DataDir: t.TempDir(), MetricsOff: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			s, err := New(cfg, jobsApp{handlers: map[string]jobs.Handler{"Mail": noop}})
			if err == nil {
				s.Close()
				t.Fatal("New started an app whose job type Report has no handler")
			}
			if !strings.Contains(err.Error(), "without a handler: Report") {
				t.Fatalf("New: %v, want an error naming the job type without a handler", err)
			}
			s, err = New(cfg, jobsApp{handlers: map[string]jobs.Handler{"Mail": noop, "Report": noop}})
			if err != nil {
				t.Fatalf("New with every handler: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, _, err := s.Jobs().Enqueue(resource.AsSystem(ctx), s.Jobs().Def("Report"), nil, jobres.EnqueueOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
