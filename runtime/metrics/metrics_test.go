package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/specstar-go/specstar/runtime/metrics"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// sample finds the series of the metric family name whose labels include
// the given name/value pairs, and returns its value: a counter's or a
// gauge's value, a histogram's sample count. ok is false when there is
// no such series.
func sample(t *testing.T, g prometheus.Gatherer, name string, labels ...string) (v float64, ok bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}

// hasLabels reports whether m has every name/value pair of labels.
func hasLabels(m *dto.Metric, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		if !slices.ContainsFunc(m.GetLabel(), func(l *dto.LabelPair) bool {
			return l.GetName() == labels[i] && l.GetValue() == labels[i+1]
		}) {
			return false
		}
	}
	return true
}

// want checks the value of a series.
func want(t *testing.T, g prometheus.Gatherer, v float64, name string, labels ...string) {
	t.Helper()
	got, ok := sample(t, g, name, labels...)
	if !ok {
		t.Errorf("%s%v: no series", name, labels)
		return
	}
	if got != v {
		t.Errorf("%s%v = %v, want %v", name, labels, got, v)
	}
}

// newEcho returns a router with the metrics middleware and a few routes.
func newEcho(m *metrics.Metrics) *echo.Echo {
	e := echo.New()
	e.Use(m.Middleware())
	e.GET("/api/posts/:id", func(c echo.Context) error {
		if c.Param("id") == "missing" {
			return echo.NewHTTPError(http.StatusNotFound, "no such post")
		}
		return c.String(http.StatusOK, "post "+c.Param("id"))
	})
	e.POST("/api/posts", func(c echo.Context) error { return c.NoContent(http.StatusCreated) })
	e.Any("/graphql", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	return e
}

func TestMiddleware(t *testing.T) {
	m := metrics.New(nil)
	e := newEcho(m)
	requests := []struct {
		method, target string
		status         int
	}{
		{"GET", "/api/posts/1", 200},
		{"GET", "/api/posts/2", 200},
		{"GET", "/api/posts/missing", 404},
		{"POST", "/api/posts", 201},
		{"DELETE", "/api/posts", 405},
		{"GET", "/no/such/route", 404},
		{"GET", "/api/postsx", 404},
		{"FROB", "/graphql", 405},
		{"BREW", "/graphql", 405},
	}
	for _, r := range requests {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(r.method, r.target, nil))
		if rec.Code != r.status {
			t.Fatalf("%s %s: %d, want %d", r.method, r.target, rec.Code, r.status)
		}
	}
	reg := m.Registry()
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"specstar_http_requests_total", []string{"route", "/api/posts/:id", "method", "GET", "status", "200"}, 2},
		{"specstar_http_requests_total", []string{"route", "/api/posts/:id", "method", "GET", "status", "404"}, 1},
		{"specstar_http_requests_total", []string{"route", "/api/posts", "method", "POST", "status", "201"}, 1},
		{"specstar_http_requests_total", []string{"route", "/api/posts", "method", "DELETE", "status", "405"}, 1},
		// Methods outside the standard ones share one label value.
		{"specstar_http_requests_total", []string{"route", "/graphql", "method", "OTHER", "status", "405"}, 2},
		{"specstar_http_request_duration_seconds", []string{"route", "/api/posts/:id", "method", "GET"}, 3},
		{"specstar_http_requests_in_flight", nil, 0},
	}
	for _, tt := range tests {
		want(t, reg, tt.want, tt.name, tt.labels...)
	}
	// No series is labelled with a raw URL: unmatched paths are routed
	// to the router's patterns or to one "unmatched" value.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, mf := range mfs {
		if mf.GetName() != "specstar_http_requests_total" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "route" && !slices.Contains(routes, l.GetValue()) {
					routes = append(routes, l.GetValue())
				}
			}
		}
	}
	slices.Sort(routes)
	for _, r := range routes {
		switch r {
		case "/api/posts/:id", "/api/posts", "/graphql", metrics.UnmatchedRoute:
		default:
			t.Errorf("route label %q is not a route pattern", r)
		}
	}
	if !slices.Contains(routes, metrics.UnmatchedRoute) {
		t.Errorf("route labels %q: no %q for /no/such/route", routes, metrics.UnmatchedRoute)
	}
}

// TestMiddlewareInFlight checks the in-flight gauge while a request runs.
func TestMiddlewareInFlight(t *testing.T) {
	m := metrics.New(nil)
	e := echo.New()
	e.Use(m.Middleware())
	var during float64
	e.GET("/wait", func(c echo.Context) error {
		during, _ = sample(t, m.Registry(), "specstar_http_requests_in_flight")
		return c.NoContent(http.StatusNoContent)
	})
	e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/wait", nil))
	if during != 1 {
		t.Errorf("in flight during the request = %v, want 1", during)
	}
	want(t, m.Registry(), 0, "specstar_http_requests_in_flight")
}

// TestMiddlewareAllocs checks that the middleware allocates nothing per
// request once its series exist: a request through it costs as many
// allocations as through a middleware that only calls the handler. (Echo
// builds the closure of every middleware per request, one allocation
// each, whatever the middleware does; nil metrics add no middleware
// closure at all.)
func TestMiddlewareAllocs(t *testing.T) {
	handler := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	passThrough := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return next(c) }
	}
	allocs := func(mw echo.MiddlewareFunc) float64 {
		e := echo.New()
		if mw != nil {
			e.Use(mw)
		}
		e.GET("/api/posts/:id", handler)
		req := httptest.NewRequest("GET", "/api/posts/1", nil)
		w := discardWriter{h: http.Header{}}
		return testing.AllocsPerRun(1000, func() { e.ServeHTTP(w, req) })
	}
	none, base := allocs(nil), allocs(passThrough)
	if with := allocs(metrics.New(nil).Middleware()); with > base {
		t.Errorf("allocations per request: %v with the middleware, %v with a pass-through one", with, base)
	}
	var off *metrics.Metrics
	if with := allocs(off.Middleware()); with > none {
		t.Errorf("allocations per request: %v with nil metrics' middleware, %v without middleware", with, none)
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}

// kinds returns a schema of authors and posts: a post's author cascades,
// its editor is set to null when the author is deleted.
func kinds() (authors, posts *resource.Kind, s *resource.Schema) {
	authors = &resource.Kind{Name: "Author", Table: "author", Path: "authors", SchemaVersion: 1}
	posts = &resource.Kind{Name: "Post", Table: "post", Path: "posts", SchemaVersion: 1, Fields: []resource.Field{
		{JSON: "author", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.Cascade}},
		{JSON: "editor", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.SetNull}},
	}}
	return authors, posts, &resource.Schema{Kinds: []*resource.Kind{authors, posts}}
}

// TestObserver checks the change counters over a sequence of writes:
// revisions are counted for creates, new revisions and set_null, not for
// in-place draft edits nor for updates that change nothing.
func TestObserver(t *testing.T) {
	ctx := context.Background()
	authors, posts, schema := kinds()
	b := memory.New()
	if err := b.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	m := metrics.New(nil)
	reg := m.Registry()
	svc := resource.NewService(b, schema, resource.WithObserver(m.Observer(schema)))
	// Every series of the schema's kinds exists before the first write.
	want(t, reg, 0, "specstar_resource_revisions_written_total", "kind", "Post")
	want(t, reg, 0, "specstar_resource_changes_total", "kind", "Author", "op", "purged")

	create := func(k *resource.Kind, data string) string {
		t.Helper()
		env, err := svc.Create(ctx, k, json.RawMessage(data), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return env.Meta.ResourceID
	}
	update := func(k *resource.Kind, id, data string, o resource.WriteOptions) {
		t.Helper()
		if _, err := svc.Update(ctx, k, id, json.RawMessage(data), o); err != nil {
			t.Fatal(err)
		}
	}
	ada, bob := create(authors, `{"n":"ada"}`), create(authors, `{"n":"bob"}`)
	post := func(title string) string {
		return fmt.Sprintf(`{"author":%q,"editor":%q,"title":%q}`, bob, ada, title)
	}
	p := create(posts, post("one"))
	update(posts, p, post("two"), resource.WriteOptions{})                                                          // a new revision
	update(posts, p, post("two"), resource.WriteOptions{})                                                          // no change
	update(posts, p, post("three"), resource.WriteOptions{Mode: resource.ModeModify, Status: resource.StatusDraft}) // in place
	if _, err := svc.Create(ctx, posts, json.RawMessage(`{"author":"nobody"}`), resource.WriteOptions{}); err == nil {
		t.Fatal("a post of a missing author was created")
	}
	if _, err := svc.Delete(ctx, authors, ada, resource.WriteOptions{}); err != nil { // set_null: a new revision of p
		t.Fatal(err)
	}

	for _, tt := range []struct {
		kind, op string
		want     float64
	}{
		{"Author", "created", 2},
		{"Author", "deleted", 1},
		{"Author", "updated", 0},
		{"Post", "created", 1},
		{"Post", "updated", 3},
		{"Post", "deleted", 0},
	} {
		want(t, reg, tt.want, "specstar_resource_changes_total", "kind", tt.kind, "op", tt.op)
	}
	want(t, reg, 2, "specstar_resource_revisions_written_total", "kind", "Author")
	want(t, reg, 3, "specstar_resource_revisions_written_total", "kind", "Post")
}

// TestBackend checks the transaction decorator: it times View, Update
// and point reads, and implements resource.PointReader exactly when the
// wrapped backend does.
func TestBackend(t *testing.T) {
	ctx := context.Background()
	authors, _, schema := kinds()
	lite, err := sqlite.Open(filepath.Join(t.TempDir(), "specstar.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	for _, tt := range []struct {
		name      string
		b         resource.Backend
		wantPoint bool
	}{
		{name: "memory", b: memory.New(), wantPoint: false},
		{name: "sqlite", b: lite, wantPoint: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.b.Migrate(ctx, schema); err != nil {
				t.Fatal(err)
			}
			m := metrics.New(nil)
			b := m.Backend(tt.b)
			if _, ok := b.(resource.PointReader); ok != tt.wantPoint {
				t.Fatalf("wrapped backend is a PointReader: %v, want %v", ok, tt.wantPoint)
			}
			if u := b.(interface{ Unwrap() resource.Backend }).Unwrap(); u != tt.b {
				t.Errorf("Unwrap = %T, want the wrapped backend", u)
			}
			svc := resource.NewService(b, schema)
			env, err := svc.Create(ctx, authors, json.RawMessage(`{"n":"ada"}`), resource.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			id := env.Meta.ResourceID
			if _, err := svc.Get(ctx, authors, id, resource.ReadOptions{}); err != nil { // a point read when possible
				t.Fatal(err)
			}
			if _, err := svc.Get(ctx, authors, id, resource.ReadOptions{Revision: "1"}); err != nil { // a View
				t.Fatal(err)
			}
			wantErr := errors.New("rolled back")
			if err := b.Update(ctx, func(resource.Writer) error { return wantErr }); !errors.Is(err, wantErr) {
				t.Fatalf("Update returned %v, want the function's error", err)
			}
			reg := m.Registry()
			want(t, reg, 2, "specstar_store_transaction_duration_seconds", "op", metrics.OpUpdate)
			views, points := 2.0, 0.0 // without a PointReader, Get reads in a View
			if tt.wantPoint {
				views, points = 1, 1
			}
			want(t, reg, views, "specstar_store_transaction_duration_seconds", "op", metrics.OpView)
			want(t, reg, points, "specstar_store_transaction_duration_seconds", "op", metrics.OpPointRead)
		})
	}
}

// TestStoreCollector checks the scrape-time storage metrics: pools and
// retries, read from their sources at each scrape.
func TestStoreCollector(t *testing.T) {
	m := metrics.New(nil)
	reg := m.Registry()
	want(t, reg, 0, "specstar_store_transaction_retries_total") // present before any source
	if _, ok := sample(t, reg, "specstar_db_pool_max_connections"); ok {
		t.Error("pool metrics without a pool")
	}
	var retries uint64 = 3
	m.CountRetries(func() uint64 { return retries })
	st := metrics.PoolStats{MaxOpen: 10, Open: 4, InUse: 3, Idle: 1, WaitCount: 7, WaitDuration: 1500 * time.Millisecond}
	m.AddPool("main", func() metrics.PoolStats { return st })
	want(t, reg, 3, "specstar_store_transaction_retries_total")
	want(t, reg, 10, "specstar_db_pool_max_connections", "pool", "main")
	want(t, reg, 4, "specstar_db_pool_open_connections", "pool", "main")
	want(t, reg, 3, "specstar_db_pool_in_use_connections", "pool", "main")
	want(t, reg, 1, "specstar_db_pool_idle_connections", "pool", "main")
	want(t, reg, 7, "specstar_db_pool_waits_total", "pool", "main")
	want(t, reg, 1.5, "specstar_db_pool_wait_seconds_total", "pool", "main")
	retries, st.InUse = 5, 9
	want(t, reg, 5, "specstar_store_transaction_retries_total")
	want(t, reg, 9, "specstar_db_pool_in_use_connections", "pool", "main")
}

// TestSQLPoolStats checks the database/sql conversion on a real SQLite
// store.
func TestSQLPoolStats(t *testing.T) {
	lite, err := sqlite.Open(filepath.Join(t.TempDir(), "specstar.db"), sqlite.WithReadConns(3))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	w, r := lite.DBStats()
	if got := metrics.SQLPoolStats(w); got.MaxOpen != 1 || got.Open < 1 {
		t.Errorf("write pool %+v: want one connection, open", got)
	}
	if got := metrics.SQLPoolStats(r); got.MaxOpen != 3 {
		t.Errorf("read pool %+v: want a limit of 3", got)
	}
}

func TestObserveGraphQL(t *testing.T) {
	m := metrics.New(nil)
	// The method value has the type of gql.Options.Observe.
	var observe func(ctx context.Context, operation, kind string, d time.Duration, failed bool) = m.ObserveGraphQL
	ctx := context.Background()
	observe(ctx, "Posts", "query", time.Millisecond, false)
	observe(ctx, "", "query", 2*time.Millisecond, true)
	observe(ctx, "CreatePost", "mutation", time.Millisecond, false)
	observe(ctx, "", "", time.Microsecond, true) // did not parse
	observe(ctx, "Weird", "QUERY", time.Microsecond, true)
	reg := m.Registry()
	want(t, reg, 1, "specstar_graphql_operations_total", "kind", "query", "outcome", "ok")
	want(t, reg, 1, "specstar_graphql_operations_total", "kind", "query", "outcome", "error")
	want(t, reg, 1, "specstar_graphql_operations_total", "kind", "mutation", "outcome", "ok")
	want(t, reg, 0, "specstar_graphql_operations_total", "kind", "subscription", "outcome", "ok")
	want(t, reg, 2, "specstar_graphql_operations_total", "kind", "other", "outcome", "error")
	want(t, reg, 2, "specstar_graphql_operation_duration_seconds", "kind", "query")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "specstar_graphql_") {
			for _, s := range mf.GetMetric() {
				for _, l := range s.GetLabel() {
					if l.GetName() == "operation" {
						t.Errorf("%s has an operation label: client-chosen names would grow the series", mf.GetName())
					}
				}
			}
		}
	}
}

// TestRegister checks the hook for other subsystems' collectors, and
// that a clash is an error.
func TestRegister(t *testing.T) {
	m := metrics.New(nil)
	jobs := prometheus.NewCounter(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "jobs_completed_total", Help: "Jobs completed."})
	if err := m.Register(jobs); err != nil {
		t.Fatal(err)
	}
	jobs.Add(4)
	want(t, m.Registry(), 4, "specstar_jobs_completed_total")
	clash := prometheus.NewCounter(prometheus.CounterOpts{Namespace: metrics.Namespace, Name: "jobs_completed_total", Help: "Jobs completed."})
	if err := m.Register(clash); err == nil {
		t.Error("a second collector of the same metric was registered")
	}
	// The registry is private: nothing reached the default one.
	if mfs, err := prometheus.DefaultGatherer.Gather(); err == nil {
		for _, mf := range mfs {
			if strings.HasPrefix(mf.GetName(), metrics.Namespace+"_") {
				t.Errorf("%s is on the default registry", mf.GetName())
			}
		}
	}
}

// TestNil checks that nil metrics (metrics turned off) are usable and
// record nothing.
func TestNil(t *testing.T) {
	var m *metrics.Metrics
	b := memory.New()
	if got := m.Backend(b); got != b {
		t.Error("nil metrics wrapped the backend")
	}
	if m.Observer(&resource.Schema{}) != nil {
		t.Error("nil metrics returned an observer")
	}
	if m.Registry() != nil {
		t.Error("nil metrics have a registry")
	}
	if err := m.Register(prometheus.NewCounter(prometheus.CounterOpts{Name: "x", Help: "x"})); err != nil {
		t.Error(err)
	}
	m.ObserveGraphQL(context.Background(), "q", "query", time.Second, false)
	m.AddPool("p", func() metrics.PoolStats { return metrics.PoolStats{} })
	m.CountRetries(func() uint64 { return 1 })
	e := newEcho(m)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/api/posts/1", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("request through nil metrics' middleware: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil metrics' handler answered %d, want 404", rec.Code)
	}
}

// BenchmarkMiddleware measures a request through the metrics middleware
// against one through a middleware that only calls the handler: the
// difference is the cost of the instrumentation on the hot path.
func BenchmarkMiddleware(b *testing.B) {
	handler := func(c echo.Context) error { return c.NoContent(http.StatusNoContent) }
	passThrough := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error { return next(c) }
	}
	for _, bb := range []struct {
		name string
		mw   echo.MiddlewareFunc
	}{
		{name: "pass-through", mw: passThrough},
		{name: "metrics", mw: metrics.New(nil).Middleware()},
	} {
		b.Run(bb.name, func(b *testing.B) {
			e := echo.New()
			e.Use(bb.mw)
			e.GET("/api/posts/:id", handler)
			req := httptest.NewRequest("GET", "/api/posts/1", nil)
			w := discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				e.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkBackendView measures an empty View of the memory store, bare
// and through the timing decorator.
func BenchmarkBackendView(b *testing.B) {
	raw := memory.New()
	for _, bb := range []struct {
		name string
		b    resource.Backend
	}{
		{name: "bare", b: raw},
		{name: "timed", b: metrics.New(nil).Backend(raw)},
	} {
		b.Run(bb.name, func(b *testing.B) {
			ctx := context.Background()
			fn := func(resource.Reader) error { return nil }
			b.ReportAllocs()
			for b.Loop() {
				if err := bb.b.View(ctx, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
