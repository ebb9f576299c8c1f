package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
)

// testApp is a minimal App with one kind and a few test routes.
type testApp struct {
	// slowStarted is closed when a /api/slow request has started;
	// slowRelease lets it finish.
	slowStarted chan struct{}
	slowRelease chan struct{}
	// waitStarted receives when a /api/wait request has started; it then
	// waits for its context to end (or 10 s) and sends what ended it (nil
	// for the 10 s) on waitEnded.
	waitStarted chan struct{}
	waitEnded   chan error
}

func newTestApp() *testApp {
	return &testApp{slowStarted: make(chan struct{}), slowRelease: make(chan struct{}),
		waitStarted: make(chan struct{}, 1), waitEnded: make(chan error, 1)}
}

func (a *testApp) Schema() *resource.Schema {
	return &resource.Schema{Kinds: []*resource.Kind{{Name: "Note", Table: "note", Path: "notes", SchemaVersion: 1}}}
}

func (a *testApp) Register(g *echo.Group, svc *resource.Service) {
	g.POST("/echo", func(c echo.Context) error {
		var v map[string]any
		if err := rest.DecodeJSON(c, &v); err != nil {
			return err
		}
		return rest.JSON(c, http.StatusOK, v)
	})
	g.GET("/panic", func(c echo.Context) error { panic("boom") })
	g.GET("/wait", func(c echo.Context) error {
		a.waitStarted <- struct{}{}
		ctx := c.Request().Context()
		select {
		case <-ctx.Done():
			a.waitEnded <- ctx.Err()
			return ctx.Err()
		case <-time.After(10 * time.Second):
			a.waitEnded <- nil
			return rest.JSON(c, http.StatusOK, map[string]string{"wait": "done"})
		}
	})
	g.GET("/slow", func(c echo.Context) error {
		close(a.slowStarted)
		<-a.slowRelease
		return rest.JSON(c, http.StatusOK, map[string]string{"slow": "done"})
	})
}

// newTestServer returns a memory-backed server and its log buffer.
func newTestServer(t *testing.T, cfg Config) (*Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = "memory:"
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	s, err := New(cfg, newTestApp())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, logs
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveRequest runs one request through h.
func serveRequest(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestEndpoints(t *testing.T) {
	s, logs := newTestServer(t, Config{BodyLimit: 32})
	long := `{"text":"` + strings.Repeat("x", 64) + `"}`
	tests := []struct {
		name       string
		req        func() *http.Request
		wantStatus int
		wantBody   string // exact JSON body, for non-problem responses
		wantCode   resource.Code
	}{
		{name: "healthz", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/healthz", nil) },
			wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "readyz", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/readyz", nil) },
			wantStatus: 200, wantBody: `{"status":"ok"}`},
		{name: "api route", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/echo", strings.NewReader(`{"a":1}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, wantStatus: 200, wantBody: `{"a":1}`},
		{name: "body over limit by Content-Length", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/echo", strings.NewReader(long))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, wantStatus: 413, wantCode: resource.CodePayloadTooLarge},
		{name: "body over limit without Content-Length", req: func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/api/echo", io.MultiReader(strings.NewReader(long)))
			r.ContentLength = -1
			r.Header.Set("Content-Type", "application/json")
			return r
		}, wantStatus: 413, wantCode: resource.CodePayloadTooLarge},
		{name: "panic", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/api/panic", nil) },
			wantStatus: 500, wantCode: resource.CodeInternal},
		{name: "unknown route", req: func() *http.Request { return httptest.NewRequest(http.MethodGet, "/api/nothing", nil) },
			wantStatus: 404, wantCode: resource.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serveRequest(s.Handler(), tt.req())
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if rec.Header().Get(echo.HeaderXRequestID) == "" {
				t.Error("no X-Request-ID")
			}
			if tt.wantCode == "" {
				if got := strings.TrimSpace(rec.Body.String()); got != tt.wantBody {
					t.Errorf("body = %s, want %s", got, tt.wantBody)
				}
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != rest.ProblemContentType {
				t.Errorf("Content-Type = %q, want problem+json", ct)
			}
			var p rest.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatal(err)
			}
			if p.Code != tt.wantCode || p.Status != tt.wantStatus {
				t.Errorf("problem = %+v, want %s %d", p, tt.wantCode, tt.wantStatus)
			}
			if strings.Contains(rec.Body.String(), "boom") {
				t.Errorf("panic value leaked: %s", rec.Body)
			}
		})
	}
	if !strings.Contains(logs.String(), `"msg":"panic in handler"`) || !strings.Contains(logs.String(), `"stack"`) {
		t.Errorf("panic not logged with its stack: %s", logs)
	}
}

func TestAccessLogAndRequestID(t *testing.T) {
	tests := []struct {
		name     string
		clientID string
		wantSame bool // the client's id is kept
	}{
		{name: "client id kept", clientID: "abc-123", wantSame: true},
		{name: "generated when absent", clientID: ""},
		{name: "replaced when unsafe", clientID: "bad id\n"},
		{name: "replaced when too long", clientID: strings.Repeat("a", 200)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Config{})
			req := httptest.NewRequest(http.MethodGet, "/api/missing", nil)
			if tt.clientID != "" {
				req.Header.Set(echo.HeaderXRequestID, tt.clientID)
			}
			rec := serveRequest(s.Handler(), req)
			id := rec.Header().Get(echo.HeaderXRequestID)
			if (id == tt.clientID) != tt.wantSame || id == "" {
				t.Errorf("X-Request-ID = %q (client sent %q)", id, tt.clientID)
			}
			var entry map[string]any
			for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err == nil && m["msg"] == "request" {
					entry = m
				}
			}
			if entry == nil {
				t.Fatalf("no access log line in %s", logs)
			}
			if entry["method"] != "GET" || entry["path"] != "/api/missing" || entry["status"] != float64(404) ||
				entry["request_id"] != id || entry["bytes"] != float64(rec.Body.Len()) || entry["duration"] == nil {
				t.Errorf("access log = %v", entry)
			}
		})
	}
}

func TestReadyzUnavailable(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	if err := s.backend.Close(); err != nil {
		t.Fatal(err)
	}
	rec := serveRequest(s.Handler(), httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || strings.TrimSpace(rec.Body.String()) != `{"status":"unavailable"}` {
		t.Errorf("readyz = %d %s, want 503", rec.Code, rec.Body)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "bad database url", cfg: Config{DatabaseURL: "mysql://x"}, wantErr: "unsupported database URL"},
		{name: "negative body limit", cfg: Config{DatabaseURL: "memory:", BodyLimit: -1}, wantErr: "body limit must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = slog.New(slog.DiscardHandler)
			if _, err := New(tt.cfg, newTestApp()); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestGracefulShutdown(t *testing.T) {
	logs := &syncBuffer{}
	app := newTestApp()
	s, err := New(Config{DatabaseURL: "memory:", ShutdownTimeout: 5 * time.Second, Logger: slog.New(slog.NewJSONHandler(logs, nil))}, app)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ln, nil) }()

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/api/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		got <- result{status: resp.StatusCode, body: string(body), err: err}
	}()
	<-app.slowStarted
	cancel()
	// Shutdown is waiting for the in-flight request: serve must not
	// have returned yet.
	select {
	case err := <-served:
		t.Fatalf("serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(app.slowRelease)
	r := <-got
	if r.err != nil || r.status != http.StatusOK || strings.TrimSpace(r.body) != `{"slow":"done"}` {
		t.Fatalf("in-flight request = %d %q %v, want 200", r.status, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve = %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
	if err := s.backend.Ping(context.Background()); err == nil {
		t.Error("backend still open after shutdown")
	}
	if !strings.Contains(logs.String(), `"msg":"listening","addr":"`+ln.Addr().String()+`"`) {
		t.Errorf("no listening log with the address: %s", logs)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

// At the shutdown timeout the requests still running are cancelled (their
// work stops) and serve reports ErrDrainTimeout, alone.
func TestShutdownTimeout(t *testing.T) {
	app := newTestApp()
	s, err := New(Config{DatabaseURL: "memory:", ShutdownTimeout: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ln, nil) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/api/wait"); err == nil {
			resp.Body.Close()
		}
	}()
	<-app.waitStarted
	cancel()
	select {
	case err := <-served:
		if err != ErrDrainTimeout {
			t.Errorf("serve = %v, want ErrDrainTimeout alone", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not give up after the shutdown timeout")
	}
	select {
	case err := <-app.waitEnded:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the request in flight ended with %v, want its context cancelled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request in flight kept running after the shutdown gave up")
	}
}

// A second signal (force) ends the drain at once, as the timeout does.
func TestShutdownForced(t *testing.T) {
	app := newTestApp()
	s, err := New(Config{DatabaseURL: "memory:", ShutdownTimeout: time.Minute, Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	force := make(chan struct{})
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ln, force) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/api/wait"); err == nil {
			resp.Body.Close()
		}
	}()
	<-app.waitStarted
	cancel()
	time.Sleep(50 * time.Millisecond) // draining
	close(force)
	select {
	case err := <-served:
		if err != ErrDrainTimeout {
			t.Errorf("serve = %v, want ErrDrainTimeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop when forced")
	}
	if err := <-app.waitEnded; !errors.Is(err, context.Canceled) {
		t.Errorf("the request in flight ended with %v, want cancelled", err)
	}
}

// A request's context ends at the server's write timeout, when net/http
// cuts the connection, so its work stops instead of running to the end.
func TestRequestDeadline(t *testing.T) {
	app := newTestApp()
	s, err := New(Config{DatabaseURL: "memory:", WriteTimeout: 200 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	start := time.Now()
	go func() {
		if resp, err := ts.Client().Get(ts.URL + "/api/wait"); err == nil {
			resp.Body.Close()
		}
	}()
	<-app.waitStarted
	select {
	case err := <-app.waitEnded:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the request ended with %v, want its deadline", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("the request ran %v past a 200ms write timeout", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request kept running past the write timeout")
	}
	for _, tt := range []struct {
		header, value string
		want          bool
	}{
		{"Upgrade", "websocket", true},
		{"Accept", "text/event-stream", true},
		{"Accept", "application/json", false},
	} {
		req := httptest.NewRequest(http.MethodGet, "/graphql", nil)
		req.Header.Set(tt.header, tt.value)
		if got := streaming(req); got != tt.want {
			t.Errorf("streaming with %s: %s = %v, want %v", tt.header, tt.value, got, tt.want)
		}
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	s, _ := newTestServer(t, Config{Addr: "256.0.0.1:bad"})
	if err := s.ListenAndServe(context.Background()); err == nil {
		t.Fatal("ListenAndServe on a bad address succeeded")
	}
}

func TestRequestIDsAreUnique(t *testing.T) {
	a, b := newRequestIDs(), newRequestIDs()
	if a.prefix == b.prefix {
		t.Fatalf("two servers drew the same prefix %q", a.prefix)
	}
	seen := make(map[string]bool)
	for range 1000 {
		id := a.next()
		if seen[id] || !validRequestID(id) || !strings.HasPrefix(id, a.prefix) {
			t.Fatalf("id %q: repeated, invalid or without the prefix %q", id, a.prefix)
		}
		seen[id] = true
	}
}
