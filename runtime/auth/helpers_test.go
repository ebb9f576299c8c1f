package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth/authtest"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// testRoles are the roles of the test spec.
var testRoles = []string{"admin", "editor", "viewer"}

// testParams are cheap argon2id parameters, so that tests do not spend
// seconds hashing; verification reads them from the hash as in
// production.
var testParams = params{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for concurrent writes (log output).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// backendNames are the backends every storage-dependent test runs on.
var backendNames = []string{"memory", "sqlite", "postgres"}

// openBackend opens and migrates a backend for schema.
func openBackend(tb testing.TB, name string, schema *resource.Schema) resource.Backend {
	tb.Helper()
	var b resource.Backend
	switch name {
	case "memory":
		b = memory.New()
	case "sqlite":
		s, err := sqlite.Open(filepath.Join(tb.TempDir(), "specstar.db"))
		if err != nil {
			tb.Fatal(err)
		}
		b = s
	case "postgres":
		u := pgtest.URL(tb)
		s, err := postgres.Open(context.Background(), u, postgres.WithSchema(pgtest.Schema(tb, u)))
		if err != nil {
			tb.Fatal(err)
		}
		b = s
	default:
		tb.Fatalf("unknown backend %q", name)
	}
	tb.Cleanup(func() { b.Close() })
	if err := b.Migrate(context.Background(), schema); err != nil {
		tb.Fatal(err)
	}
	return b
}

// env is an Auth on a Service on a backend, served by echo.
type env struct {
	t      testing.TB
	clock  *clock
	logs   *syncBuffer
	schema *resource.Schema
	a      *Auth
	svc    *resource.Service
	e      *echo.Echo

	changesMu sync.Mutex
	changes   []resource.Change // every committed change, as observers see it
}

// newEnv starts an Auth on a fresh backend. cfg may set Config fields;
// Now and Logger are the test's.
func newEnv(tb testing.TB, backend string, cfg ...func(*Config)) *env {
	tb.Helper()
	schema := &resource.Schema{Kinds: authtest.Kinds(testRoles)}
	b := openBackend(tb, backend, schema)
	return newEnvOn(tb, b, schema, newClock(), cfg...)
}

// newEnvOn starts an Auth (an instance) on backend b.
func newEnvOn(tb testing.TB, b resource.Backend, schema *resource.Schema, clk *clock, cfg ...func(*Config)) *env {
	tb.Helper()
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := Config{Roles: testRoles, Logger: logger, Now: clk.Now}
	for _, f := range cfg {
		f(&c)
	}
	a, err := New(schema, c)
	if err != nil {
		tb.Fatal(err)
	}
	a.params = testParams
	a.dummy = a.mustHash("dummy")
	v := &env{t: tb, clock: clk, logs: logs, schema: schema, a: a}
	opts := append([]resource.Option{resource.WithClock(clk.Now), resource.WithLogger(logger)}, a.ServiceOptions()...)
	opts = append(opts, resource.WithObserver(func(_ context.Context, c resource.Change) {
		v.changesMu.Lock()
		v.changes = append(v.changes, c)
		v.changesMu.Unlock()
	}))
	svc := resource.NewService(b, schema, opts...)
	if err := a.Start(context.Background(), svc); err != nil {
		tb.Fatal(err)
	}
	e := echo.New()
	e.HTTPErrorHandler = rest.ErrorHandler(logger)
	e.IPExtractor = echo.ExtractIPDirect()
	g := e.Group("/api", a.Middleware())
	a.Register(g)
	g.GET("/whoami", func(c echo.Context) error {
		p := resource.PrincipalFrom(c.Request().Context())
		return c.JSON(http.StatusOK, p)
	})
	v.svc, v.e = svc, e
	return v
}

// sys is a context acting as the system principal.
func sysCtx() context.Context { return sys(context.Background()) }

// createUser creates a user with a password (none when password is "").
func (v *env) createUser(email, password string, roles ...string) string {
	v.t.Helper()
	data := map[string]any{"email": email, "name": "N " + email, "roles": roles, "disabled": false}
	if password != "" {
		data["password"] = password
	}
	raw, _ := json.Marshal(data)
	env, err := v.svc.Create(sysCtx(), v.a.kinds.user, raw, resource.WriteOptions{})
	if err != nil {
		v.t.Fatalf("create user %s: %v", email, err)
	}
	return env.Meta.ResourceID
}

// patchUser merges fields into a user's data (as an admin would).
func (v *env) patchUser(id string, fields map[string]any) {
	v.t.Helper()
	_, err := v.svc.Patch(sysCtx(), v.a.kinds.user, id, func(cur json.RawMessage) (json.RawMessage, error) {
		var m map[string]any
		if err := json.Unmarshal(cur, &m); err != nil {
			return nil, err
		}
		for k, x := range fields {
			m[k] = x
		}
		return json.Marshal(m)
	}, resource.WriteOptions{})
	if err != nil {
		v.t.Fatalf("patch user %s: %v", id, err)
	}
}

// response is a recorded response.
type response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// json decodes the body into a map.
func (r *response) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("response %d is not a JSON object: %v\n%s", r.Code, err, r.Body)
	}
	return m
}

// do sends a request: body is JSON-encoded unless it is a string;
// bearer, when set, is sent as the Authorization token.
func (v *env) do(method, path, bearer string, body any) *response {
	v.t.Helper()
	return v.doFrom("192.0.2.1:1234", method, path, bearer, body)
}

// doFrom is do from the client address addr.
func (v *env) doFrom(addr, method, path, bearer string, body any) *response {
	v.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			v.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	req.RemoteAddr = addr
	if body != nil {
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	}
	if bearer != "" {
		req.Header.Set(echo.HeaderAuthorization, "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	return &response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// login logs in and returns the tokens.
func (v *env) login(email, password string) Tokens {
	v.t.Helper()
	r := v.do(http.MethodPost, "/api/auth/login", "", map[string]string{"email": email, "password": password})
	if r.Code != http.StatusOK {
		v.t.Fatalf("login %s: %d %s", email, r.Code, r.Body)
	}
	var t Tokens
	if err := json.Unmarshal(r.Body, &t); err != nil {
		v.t.Fatal(err)
	}
	return t
}

// whoami returns the status and principal of a request with bearer.
func (v *env) whoami(bearer string) (int, resource.Principal) {
	v.t.Helper()
	r := v.do(http.MethodGet, "/api/whoami", bearer, nil)
	var p resource.Principal
	if r.Code == http.StatusOK {
		if err := json.Unmarshal(r.Body, &p); err != nil {
			v.t.Fatal(err)
		}
	}
	return r.Code, p
}

// wantStatus fails when r does not have status code.
func wantStatus(tb testing.TB, r *response, code int) {
	tb.Helper()
	if r.Code != code {
		tb.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
}

// wantUnauthorized checks a 401 for a bad token: problem code and
// challenge.
func wantUnauthorized(tb testing.TB, r *response) {
	tb.Helper()
	wantStatus(tb, r, http.StatusUnauthorized)
	if got := r.Header.Get(echo.HeaderWWWAuthenticate); got != invalidTokenChallenge {
		tb.Errorf("WWW-Authenticate = %q, want %q", got, invalidTokenChallenge)
	}
	if code := r.json(tb)["code"]; code != string(resource.CodeUnauthenticated) {
		tb.Errorf("code = %v, want UNAUTHENTICATED", code)
	}
}

// forBackends runs fn on every backend (PostgreSQL skipped without a
// server, as pgtest decides).
func forBackends(t *testing.T, fn func(t *testing.T, backend string)) {
	for _, b := range backendNames {
		t.Run(b, func(t *testing.T) { fn(t, b) })
	}
}

// decode decodes JSON into dst.
func decode(tb testing.TB, data []byte, dst any) {
	tb.Helper()
	if err := json.Unmarshal(data, dst); err != nil {
		tb.Fatalf("decode %s: %v", data, err)
	}
}

// equalUser compares users.
func equalUser(a, b User) bool {
	return a.ID == b.ID && a.Email == b.Email && a.Name == b.Name && a.Disabled == b.Disabled && slices.Equal(a.Roles, b.Roles)
}

// encodeSeg returns v as a JWT segment.
func encodeSeg(tb testing.TB, v any) string {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// flip changes the first character of a base64url segment.
func flip(seg string) string {
	c := byte('A')
	if seg[0] == 'A' {
		c = 'B'
	}
	return string(c) + seg[1:]
}

// resourceWriteOptions are unconditional write options.
func resourceWriteOptions() resource.WriteOptions { return resource.WriteOptions{} }

// doHeader sends GET /api/whoami with an Authorization header as given.
func (v *env) doHeader(authorization string) *response {
	v.t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/whoami", nil)
	req.Header.Set(echo.HeaderAuthorization, authorization)
	rec := httptest.NewRecorder()
	v.e.ServeHTTP(rec, req)
	return &response{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// createPAT creates a personal access token with the session bearer and
// returns the token string.
func (v *env) createPAT(bearer string, body map[string]any) string {
	v.t.Helper()
	r := v.do(http.MethodPost, "/api/auth/tokens", bearer, body)
	if r.Code != http.StatusCreated {
		v.t.Fatalf("create token: %d %s", r.Code, r.Body)
	}
	var nt NewToken
	decode(v.t, r.Body, &nt)
	return nt.Token
}

// count returns how many live resources of the named kind match expr.
func (v *env) count(kind, expr string) int {
	v.t.Helper()
	n, err := v.svc.Count(sysCtx(), v.schema.Kind(kind), resource.ListQuery{Filter: expr})
	if err != nil {
		v.t.Fatal(err)
	}
	return n
}
