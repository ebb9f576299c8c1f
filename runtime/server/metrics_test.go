package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// metricsApp is an App with REST routes for one kind, Note, over the
// Service: enough to drive reads and writes through a real server.
type metricsApp struct{}

// noteKind is the kind of metricsApp.
var noteKind = &resource.Kind{Name: "Note", Table: "note", Path: "notes", SchemaVersion: 1}

func (metricsApp) Schema() *resource.Schema {
	return &resource.Schema{Kinds: []*resource.Kind{noteKind}}
}

func (metricsApp) Register(g *echo.Group, svc *resource.Service) {
	g.POST("/notes", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		env, err := svc.Create(c.Request().Context(), noteKind, body, resource.WriteOptions{})
		if err != nil {
			return err
		}
		return rest.JSON(c, http.StatusCreated, env)
	})
	g.GET("/notes/:id", func(c echo.Context) error {
		env, err := svc.Get(c.Request().Context(), noteKind, c.Param("id"), resource.ReadOptions{})
		if err != nil {
			return err
		}
		return rest.JSON(c, http.StatusOK, env)
	})
	g.PUT("/notes/:id", func(c echo.Context) error {
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		env, err := svc.Update(c.Request().Context(), noteKind, c.Param("id"), body, resource.WriteOptions{})
		if err != nil {
			return err
		}
		return rest.JSON(c, http.StatusOK, env)
	})
}

// startMetricsServer starts a server for metricsApp on a free local port and
// returns it and its base URL. It is shut down when t ends.
func startMetricsServer(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := New(cfg, metricsApp{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return s, "http://" + ln.Addr().String()
}

// call sends one request and returns the status and the body.
func metricsCall(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// scrape fetches /metrics over HTTP and parses the text exposition
// format.
func scrapeMetrics(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("GET /metrics: Content-Type %q, want the text format", ct)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

// series returns the series of family name with the given label pairs,
// or nil.
func metricSeries(mfs map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	for _, m := range mfs[name].GetMetric() {
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
				return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}) {
				match = false
				break
			}
		}
		if match {
			return m
		}
	}
	return nil
}

// value returns the value of a counter, gauge or untyped series, or of a
// histogram its sample count; it fails t when the series is missing.
func metricValue(t *testing.T, mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	m := metricSeries(mfs, name, labels...)
	switch {
	case m == nil:
		t.Errorf("%s%q: missing from /metrics", name, labels)
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return m.GetUntyped().GetValue()
}

// TestMetricsEndpoint drives a real server with REST reads and writes
// over HTTP and checks what /metrics reports, on SQLite and PostgreSQL.
func TestMetricsEndpoint(t *testing.T) {
	for _, tt := range []struct {
		name  string
		url   func(t *testing.T) string
		pools []string
	}{
		{name: "sqlite", url: func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "specstar.db") },
			pools: []string{"sqlite_write", "sqlite_read"}},
		{name: "postgres", url: func(t *testing.T) string { return pgtest.SchemaURL(t, pgtest.URL(t)) },
			pools: []string{"postgres"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, base := startMetricsServer(t, Config{DatabaseURL: tt.url(t)})
			var ids []string
			for range 3 {
				status, body := metricsCall(t, "POST", base+"/api/notes", `{"text":"hello"}`)
				if status != http.StatusCreated {
					t.Fatalf("create: %d %s", status, body)
				}
				var env resource.Envelope
				if err := json.Unmarshal(body, &env); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, env.Meta.ResourceID)
			}
			steps := []struct {
				method, path, body string
				want               int
			}{
				{"GET", "/api/notes/" + ids[0], "", 200},
				{"GET", "/api/notes/" + ids[1], "", 200},
				{"GET", "/api/notes/0190aaaa-0000-7000-8000-000000000000", "", 404},
				{"PUT", "/api/notes/" + ids[0], `{"text":"changed"}`, 200},
				{"PUT", "/api/notes/" + ids[1], `{"text":"hello"}`, 200}, // unchanged: no revision
				{"GET", "/no/such/path/" + ids[2], "", 404},
			}
			for _, st := range steps {
				if status, body := metricsCall(t, st.method, base+st.path, st.body); status != st.want {
					t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, status, body, st.want)
				}
			}
			// The hook for other subsystems: a collector registered on
			// the server's registry is scraped with the rest.
			jobs := prometheus.NewCounter(prometheus.CounterOpts{Name: "specstar_test_jobs_total", Help: "Test jobs."})
			if err := s.Metrics().Register(jobs); err != nil {
				t.Fatal(err)
			}
			jobs.Inc()

			mfs := scrapeMetrics(t, base)
			for _, tc := range []struct {
				name   string
				labels []string
				want   float64
			}{
				{"specstar_http_requests_total", []string{"route", "/api/notes", "method", "POST", "status", "201"}, 3},
				{"specstar_http_requests_total", []string{"route", "/api/notes/:id", "method", "GET", "status", "200"}, 2},
				{"specstar_http_requests_total", []string{"route", "/api/notes/:id", "method", "GET", "status", "404"}, 1},
				{"specstar_http_requests_total", []string{"route", "/api/notes/:id", "method", "PUT", "status", "200"}, 2},
				{"specstar_http_requests_total", []string{"route", "unmatched", "method", "GET", "status", "404"}, 1},
				{"specstar_http_request_duration_seconds", []string{"route", "/api/notes/:id", "method", "GET"}, 3},
				{"specstar_http_request_duration_seconds", []string{"route", "/api/notes", "method", "POST"}, 3},
				// The scrape itself is in flight while it is answered.
				{"specstar_http_requests_in_flight", nil, 1},
				{"specstar_resource_revisions_written_total", []string{"kind", "Note"}, 4},
				{"specstar_resource_changes_total", []string{"kind", "Note", "op", "created"}, 3},
				{"specstar_resource_changes_total", []string{"kind", "Note", "op", "updated"}, 1},
				{"specstar_resource_changes_total", []string{"kind", "Note", "op", "deleted"}, 0},
				{"specstar_test_jobs_total", nil, 1},
			} {
				if got := metricValue(t, mfs, tc.name, tc.labels...); got != tc.want {
					t.Errorf("%s%q = %v, want %v", tc.name, tc.labels, got, tc.want)
				}
			}
			// The histogram's sum is the time the requests took.
			h := metricSeries(mfs, "specstar_http_request_duration_seconds", "route", "/api/notes/:id", "method", "GET").GetHistogram()
			if sum := h.GetSampleSum(); sum <= 0 || sum > 30 {
				t.Errorf("request duration sum = %v s, want a positive time under the test's", sum)
			}
			if n := len(h.GetBucket()); n < 10 {
				t.Errorf("request duration has %d buckets", n)
			}
			// Every write ran in an Update; reads of current records in
			// point reads (all three backends have them).
			if n := metricValue(t, mfs, "specstar_store_transaction_duration_seconds", "op", "update"); n < 5 {
				t.Errorf("update transactions = %v, want at least the 5 writes", n)
			}
			if n := metricValue(t, mfs, "specstar_store_transaction_duration_seconds", "op", "point_read"); n < 3 {
				t.Errorf("point reads = %v, want at least the 3 reads", n)
			}
			if n := metricValue(t, mfs, "specstar_store_transaction_retries_total"); n < 0 || n > 5 {
				t.Errorf("transaction retries = %v", n)
			}
			for _, pool := range tt.pools {
				limit := metricValue(t, mfs, "specstar_db_pool_max_connections", "pool", pool)
				open := metricValue(t, mfs, "specstar_db_pool_open_connections", "pool", pool)
				inUse := metricValue(t, mfs, "specstar_db_pool_in_use_connections", "pool", pool)
				idle := metricValue(t, mfs, "specstar_db_pool_idle_connections", "pool", pool)
				if limit < 1 || open < 1 || open > limit || inUse+idle > open {
					t.Errorf("pool %s: max %v, open %v, in use %v, idle %v", pool, limit, open, inUse, idle)
				}
				metricValue(t, mfs, "specstar_db_pool_waits_total", "pool", pool)
				metricValue(t, mfs, "specstar_db_pool_wait_seconds_total", "pool", pool)
			}
			if tt.name == "sqlite" {
				if limit := metricValue(t, mfs, "specstar_db_pool_max_connections", "pool", "sqlite_write"); limit != 1 {
					t.Errorf("SQLite write pool max = %v, want 1", limit)
				}
			}
			// The Go and process collectors are on the registry too.
			if metricValue(t, mfs, "go_goroutines") < 1 || metricValue(t, mfs, "process_resident_memory_bytes") <= 0 {
				t.Error("no Go runtime or process metrics")
			}
		})
	}
}

// TestMetricsOff checks the off switch: no /metrics route (404, as any
// unknown path), no instrumentation of the backend, requests served.
func TestMetricsOff(t *testing.T) {
	s, base := startMetricsServer(t, Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "specstar.db"), MetricsOff: true})
	if status, body := metricsCall(t, "POST", base+"/api/notes", `{"text":"hello"}`); status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	if status, _ := metricsCall(t, "GET", base+"/metrics", ""); status != http.StatusNotFound {
		t.Errorf("GET /metrics with metrics off: %d, want 404", status)
	}
	if s.Metrics() != nil {
		t.Error("Metrics() is not nil with metrics off")
	}
	if _, ok := s.Service().Backend().(*sqlite.Store); !ok {
		t.Errorf("backend is a %T, want the SQLite store itself", s.Service().Backend())
	}
	// Registering on a server without metrics is accepted and ignored.
	if err := s.Metrics().Register(prometheus.NewCounter(prometheus.CounterOpts{Name: "x_total", Help: "x"})); err != nil {
		t.Error(err)
	}
}

// TestMetricsConfig checks SPECSTAR_METRICS and -metrics.
func TestMetricsConfig(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		args    []string
		wantOff bool
		wantErr string
	}{
		{name: "default on"},
		{name: "env off", env: "off", wantOff: true},
		{name: "env OFF", env: "OFF", wantOff: true},
		{name: "env false", env: "false", wantOff: true},
		{name: "env on", env: "on"},
		{name: "flag off", args: []string{"-metrics=off"}, wantOff: true},
		{name: "flag overrides env", env: "off", args: []string{"-metrics"}},
		{name: "flag on", env: "off", args: []string{"-metrics=on"}},
		{name: "bad env", env: "sometimes", wantErr: `SPECSTAR_METRICS: invalid value "sometimes" (use "on" or "off")`},
		{name: "bad flag", args: []string{"-metrics=maybe"}, wantErr: `"maybe" for -metrics: invalid value "maybe" (use "on" or "off")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "SPECSTAR_METRICS" {
					return tt.env
				}
				return ""
			}
			cfg, err := LoadConfig(tt.args, getenv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.MetricsOff != tt.wantOff {
				t.Errorf("MetricsOff = %v, want %v", cfg.MetricsOff, tt.wantOff)
			}
		})
	}
	var usage strings.Builder
	printUsage(&usage)
	if !strings.Contains(usage.String(), "-metrics") || !strings.Contains(usage.String(), "SPECSTAR_METRICS") {
		t.Errorf("usage does not document -metrics:\n%s", usage.String())
	}
}

// TestMetricsConcurrentScrape checks that scrapes are served while
// requests run, and count every request (run the tests with -race for
// data races on the series).
func TestMetricsConcurrentScrape(t *testing.T) {
	_, base := startMetricsServer(t, Config{DatabaseURL: "memory:"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type result struct {
		created int
		err     error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for ; ctx.Err() == nil && r.created < 50; r.created++ {
			req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/notes", strings.NewReader(`{"n":1}`))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				if !errors.Is(err, context.DeadlineExceeded) {
					r.err = err
				}
				break
			}
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				r.err = errors.New(res.Status)
				break
			}
		}
		done <- r
	}()
	for range 10 {
		scrapeMetrics(t, base)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	mfs := scrapeMetrics(t, base)
	if n := metricValue(t, mfs, "specstar_http_requests_total", "route", "/api/notes", "method", "POST", "status", "201"); n != float64(r.created) || n == 0 {
		t.Errorf("creates counted = %v, want the %d made", n, r.created)
	}
}
