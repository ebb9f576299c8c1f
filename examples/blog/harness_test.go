package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/s3/s3test"
)

// backend is one storage backend the conformance suite runs against.
// configure points cfg at a fresh, empty store owned by t; it may call
// t.Skip when the backend is not available in this environment (the
// PostgreSQL ones skip without SPECSTAR_TEST_POSTGRES_URL, and fail
// without it under CI=true: see pgtest).
type backend struct {
	name      string
	configure func(t *testing.T, cfg *server.Config)
}

var backends = []backend{
	{
		name:      "memory",
		configure: func(t *testing.T, cfg *server.Config) { cfg.DatabaseURL = "memory:" },
	},
	{
		name: "sqlite",
		configure: func(t *testing.T, cfg *server.Config) {
			cfg.DatabaseURL = "sqlite:" + filepath.Join(t.TempDir(), "blog.db")
		},
	},
	{
		// Revision bodies in an in-process fake S3, the rest in SQLite.
		name: "s3",
		configure: func(t *testing.T, cfg *server.Config) {
			cfg.DatabaseURL = "sqlite:" + filepath.Join(t.TempDir(), "blog.db")
			cfg.S3 = s3test.Fake(t)
		},
	},
	{
		// A fresh schema of the test database per test.
		name: "postgres",
		configure: func(t *testing.T, cfg *server.Config) {
			cfg.DatabaseURL = pgtest.SchemaURL(t, pgtest.URL(t))
		},
	},
	{
		// Revision bodies in a fake S3, the rest in PostgreSQL.
		name: "s3+postgres",
		configure: func(t *testing.T, cfg *server.Config) {
			cfg.DatabaseURL = pgtest.SchemaURL(t, pgtest.URL(t))
			cfg.S3 = s3test.Fake(t)
		},
	},
}

// newServer starts the blog app on a fresh store of backend b and returns
// its handler. edit, when non-nil, adjusts the configuration (body limit…);
// opts are added to the app's own hooks and routes.
func (b backend) newServer(t *testing.T, edit func(*server.Config), opts ...blog.Option) http.Handler {
	t.Helper()
	cfg := server.Config{
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.DiscardHandler),
	}
	b.configure(t, &cfg)
	if edit != nil {
		edit(&cfg)
	}
	srv, err := server.New(cfg, blog.App(opts...))
	if err != nil {
		t.Fatalf("%s: server.New: %v", b.name, err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("%s: close server: %v", b.name, err)
		}
	})
	return actAsAdmin(srv.Handler())
}

// testAdmin is the principal the tests' requests act as unless they
// authenticate themselves (an Authorization header) or ask to be
// anonymous (anonymousHeader): the blog has permission rules, and most
// tests exercise the API, not the rules (auth_test.go does).
var testAdmin = &resource.Principal{ID: "test-admin", Roles: []string{"admin"}}

// anonymousHeader, set on a request, makes it anonymous.
const anonymousHeader = "X-Test-Anonymous"

// actAsAdmin returns h with requests acting as testAdmin.
func actAsAdmin(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" && r.Header.Get(anonymousHeader) == "" {
			r = r.WithContext(resource.WithPrincipal(r.Context(), testAdmin))
		}
		h.ServeHTTP(w, r)
	})
}

// client sends HTTP requests to one test server and checks the answers.
// Its methods that take no *testing.T fail the test they were created for,
// so they must only be called from that test's goroutine; send is the one
// method that is safe to call from other goroutines.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	// token, when set, is sent as a bearer token by requests that set
	// no Authorization header of their own (servers in other processes,
	// which actAsAdmin does not wrap).
	token string
	// docRejected counts the requests the OpenAPI document rejected (see
	// checkExchange).
	docRejected atomic.Int64
}

// newClient serves a fresh blog server of backend b over real HTTP.
func newClient(t *testing.T, b backend, edit func(*server.Config), opts ...blog.Option) *client {
	t.Helper()
	h := b.newServer(t, edit, opts...)
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close) // runs before the server's Close (cleanups are LIFO)
	return &client{t: t, base: ts.URL, hc: ts.Client()}
}

// response is a received answer. JSON holds the decoded body when the
// response has a JSON (or problem+json) body, else nil.
type response struct {
	req    string // "METHOD /path", for failure messages
	Status int
	Header http.Header
	Body   []byte
	JSON   any
}

// send performs one request. body is nil (no body), a string or []byte
// (sent as is) or any other value (sent as its JSON encoding); a body is
// labelled application/json unless header sets Content-Type. header holds
// name, value pairs. Every exchange is checked against the OpenAPI
// document (checkExchange); a mismatch fails the test.
func (c *client) send(method, path string, body any, header ...string) (*response, error) {
	if len(header)%2 != 0 {
		return nil, fmt.Errorf("send %s %s: odd number of header arguments", method, path)
	}
	var data []byte
	switch b := body.(type) {
	case nil:
	case string:
		data = []byte(b)
	case []byte:
		data = b
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("send %s %s: encode body: %v", method, path, err)
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	sent := req.Header.Clone()
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %v", method, path, err)
	}
	c.checkExchange(exchange{method: method, url: c.base + path, header: sent, body: data,
		status: resp.StatusCode, rheads: resp.Header, rbody: respBody})
	r := &response{req: method + " " + path, Status: resp.StatusCode, Header: resp.Header, Body: respBody}
	if len(respBody) > 0 && isJSONType(resp.Header.Get("Content-Type")) {
		if err := json.Unmarshal(respBody, &r.JSON); err != nil {
			return r, fmt.Errorf("%s: invalid JSON body (%v): %s", r.req, err, respBody)
		}
	}
	return r, nil
}

func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// do performs a request and fails the test on a transport error.
func (c *client) do(method, path string, body any, header ...string) *response {
	c.t.Helper()
	r, err := c.send(method, path, body, header...)
	if err != nil {
		c.t.Fatal(err)
	}
	return r
}

// must performs a request and fails the test unless it answers status.
func (c *client) must(status int, method, path string, body any, header ...string) *response {
	c.t.Helper()
	r := c.do(method, path, body, header...)
	if r.Status != status {
		c.t.Fatalf("%s: status %d, want %d; body: %s", r.req, r.Status, status, short(r.Body))
	}
	return r
}

// problem performs a request that must fail with status and code, checks
// that the answer is an RFC 9457 problem, and returns the errors[].field
// values it names.
func (c *client) problem(status int, code, method, path string, body any, header ...string) []string {
	c.t.Helper()
	return checkProblem(c.t, c.do(method, path, body, header...), status, code)
}

// checkProblem checks that r is an application/problem+json answer with
// the given status and code and returns its errors[].field values. It
// reports mismatches with t.Errorf, so a table of failing requests shows
// every deviation at once; it never calls t.FailNow, so it is also safe to
// call after goroutines have finished.
func checkProblem(t *testing.T, r *response, status int, code string) []string {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %d, want %d (%s); body: %s", r.req, r.Status, status, code, short(r.Body))
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", r.req, r.Header.Get("Content-Type"))
	}
	p, ok := r.JSON.(map[string]any)
	if !ok {
		t.Errorf("%s: problem body is not a JSON object: %s", r.req, short(r.Body))
		return nil
	}
	if got, _ := p["status"].(float64); int(got) != status {
		t.Errorf("%s: problem status %v, want %d", r.req, p["status"], status)
	}
	if p["code"] != code {
		t.Errorf("%s: problem code %v, want %s; body: %s", r.req, p["code"], code, short(r.Body))
	}
	if s, _ := p["title"].(string); s == "" {
		t.Errorf("%s: problem has no title: %s", r.req, short(r.Body))
	}
	if _, ok := p["type"].(string); !ok {
		t.Errorf("%s: problem has no type: %s", r.req, short(r.Body))
	}
	var fields []string
	if p["errors"] == nil {
		return fields
	}
	errs, ok := p["errors"].([]any)
	if !ok {
		t.Errorf("%s: problem errors is not a list: %s", r.req, short(r.Body))
		return nil
	}
	for _, e := range errs {
		fe, _ := e.(map[string]any)
		field, _ := fe["field"].(string)
		msg, _ := fe["message"].(string)
		if field == "" || msg == "" {
			t.Errorf("%s: error entry without field or message: %v", r.req, e)
		}
		fields = append(fields, field)
	}
	return fields
}

// get returns the value at a dotted path ("meta.resource_id",
// "items.0.data.title") of the decoded body, failing the test when the
// path does not exist.
func (r *response) get(t *testing.T, path string) any {
	t.Helper()
	v, err := lookup(r.JSON, path)
	if err != nil {
		t.Fatalf("%s: %v; body: %s", r.req, err, short(r.Body))
	}
	return v
}

// str returns the string at path, failing the test when it is not one.
func (r *response) str(t *testing.T, path string) string {
	t.Helper()
	s, ok := r.get(t, path).(string)
	if !ok {
		t.Fatalf("%s: %s is %v, want a string", r.req, path, r.get(t, path))
	}
	return s
}

// num returns the number at path as an int.
func (r *response) num(t *testing.T, path string) int {
	t.Helper()
	f, ok := r.get(t, path).(float64)
	if !ok {
		t.Fatalf("%s: %s is %v, want a number", r.req, path, r.get(t, path))
	}
	return int(f)
}

// list returns the JSON array at path ("" for the body itself).
func (r *response) list(t *testing.T, path string) []any {
	t.Helper()
	v := r.JSON
	if path != "" {
		v = r.get(t, path)
	}
	l, ok := v.([]any)
	if !ok {
		t.Fatalf("%s: %q is %v, want a list", r.req, path, v)
	}
	return l
}

// lookup walks a dotted path through decoded JSON; numeric segments index
// lists.
func lookup(v any, path string) (any, error) {
	for seg := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, fmt.Errorf("no key %q (path %s)", seg, path)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("no index %q (path %s)", seg, path)
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("cannot walk into %T at %q (path %s)", v, seg, path)
		}
	}
	return v, nil
}

// ids returns the path value ("meta.resource_id" or "revision_id") of every
// element of the items list of r.
func (r *response) ids(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	for i := range r.list(t, "items") {
		out = append(out, r.str(t, fmt.Sprintf("items.%d.%s", i, path)))
	}
	return out
}

// etag returns the quoted ETag a stable revision has.
func etag(revisionID string) string { return `"` + revisionID + `"` }

// draftETag returns the quoted ETag of a draft revision: the revision id,
// "+", and the first 12 hex digits of its data hash (docs/architecture.md).
func draftETag(revisionID, dataHash string) string {
	return `"` + revisionID + "+" + strings.TrimPrefix(dataHash, "sha256:")[:12] + `"`
}

// rev returns the revision id "{id}:{n}".
func rev(id string, n int) string { return id + ":" + strconv.Itoa(n) }

// wantJSON compares decoded JSON with the JSON text want.
func wantJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation for %s: %v", what, err)
	}
	if diff := cmp.Diff(w, got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
}

// wantFields checks that the field errors name exactly the want fields
// (a field error on a sub-path such as "tags.1" or "tags[1]" counts as one
// on "tags"; duplicates are ignored).
func wantFields(t *testing.T, what string, got, want []string) {
	t.Helper()
	norm := make(map[string]bool)
	for _, g := range got {
		name := g
		for _, w := range want {
			if g == w || strings.HasPrefix(g, w+".") || strings.HasPrefix(g, w+"[") {
				name = w
			}
		}
		norm[name] = true
	}
	gotSet := slices.Sorted(maps.Keys(norm))
	if !slices.Equal(gotSet, slices.Sorted(slices.Values(want))) {
		t.Errorf("%s: error fields %v, want %v", what, got, want)
	}
}

var (
	metaKeys = []string{"created_by", "created_time", "current_revision_id", "is_deleted",
		"resource_id", "schema_version", "total_revision_count", "updated_by", "updated_time"}
	revisionInfoKeys = []string{"created_by", "created_time", "data_hash", "parent_revision_id",
		"resource_id", "revision_id", "schema_version", "status", "updated_by", "updated_time"}
	uuidV7    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	sha256Hex = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

func keys(t *testing.T, what string, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", what, v)
	}
	return slices.Sorted(maps.Keys(m))
}

// checkEnvelope checks the shape of an envelope at prefix ("" for the body,
// "items.3." for a list item): its keys, meta and revision_info keys, UTC
// times, and the invariants that tie them together.
func checkEnvelope(t *testing.T, r *response, prefix string) {
	t.Helper()
	env := r.JSON
	if prefix != "" {
		env = r.get(t, strings.TrimSuffix(prefix, "."))
	}
	if got := keys(t, "envelope", env); !slices.Equal(got, []string{"data", "meta", "revision_info"}) {
		t.Fatalf("%s: envelope keys %v, want data, meta, revision_info", r.req, got)
	}
	if got := keys(t, "meta", r.get(t, prefix+"meta")); !slices.Equal(got, metaKeys) {
		t.Errorf("%s: meta keys %v, want %v", r.req, got, metaKeys)
	}
	checkRevisionInfo(t, r, prefix+"revision_info.")
	for _, p := range []string{"meta.created_time", "meta.updated_time"} {
		checkTime(t, r, prefix+p)
	}
	id := r.str(t, prefix+"meta.resource_id")
	if !uuidV7.MatchString(id) {
		t.Errorf("%s: resource_id %q is not a canonical UUIDv7", r.req, id)
	}
	if got := r.str(t, prefix+"revision_info.resource_id"); got != id {
		t.Errorf("%s: revision_info.resource_id %q, want %q", r.req, got, id)
	}
	if got := r.str(t, prefix+"revision_info.revision_id"); !strings.HasPrefix(got, id+":") {
		t.Errorf("%s: revision_id %q does not start with %q", r.req, got, id+":")
	}
	if _, ok := r.get(t, prefix+"meta.is_deleted").(bool); !ok {
		t.Errorf("%s: meta.is_deleted is not a bool", r.req)
	}
	if r.num(t, prefix+"meta.schema_version") < 1 {
		t.Errorf("%s: meta.schema_version < 1", r.req)
	}
	keys(t, "data", r.get(t, prefix+"data"))
}

// checkRevisionInfo checks a RevisionInfo object at prefix.
func checkRevisionInfo(t *testing.T, r *response, prefix string) {
	t.Helper()
	if got := keys(t, "revision_info", r.get(t, strings.TrimSuffix(prefix, "."))); !slices.Equal(got, revisionInfoKeys) {
		t.Errorf("%s: revision_info keys %v, want %v", r.req, got, revisionInfoKeys)
	}
	for _, p := range []string{"created_time", "updated_time"} {
		checkTime(t, r, prefix+p)
	}
	if h := r.str(t, prefix+"data_hash"); !sha256Hex.MatchString(h) {
		t.Errorf("%s: data_hash %q is not sha256:<64 hex>", r.req, h)
	}
	if s := r.str(t, prefix+"status"); s != "stable" && s != "draft" {
		t.Errorf("%s: status %q, want stable or draft", r.req, s)
	}
	if p := r.get(t, prefix+"parent_revision_id"); p != nil {
		if _, ok := p.(string); !ok {
			t.Errorf("%s: parent_revision_id is %v, want a string or null", r.req, p)
		}
	}
}

// checkTime checks that the value at path is an RFC 3339 UTC time ending in Z.
func checkTime(t *testing.T, r *response, path string) {
	t.Helper()
	s := r.str(t, path)
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
		t.Errorf("%s: %s = %q, want an RFC 3339 UTC time ending in Z", r.req, path, s)
	}
}

// dataHash returns the data_hash the engine must give the data object of r
// (sha256 of the canonical data bytes, which reads pass through untouched).
func dataHash(t *testing.T, r *response) string {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatalf("%s: %v", r.req, err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, env.Data); err != nil {
		t.Fatalf("%s: %v", r.req, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Fixtures. Every helper returns the new resource id.

func (c *client) createAuthor(name, email string) string {
	c.t.Helper()
	r := c.must(http.StatusCreated, "POST", "/api/authors", map[string]any{"name": name, "email": email})
	return r.str(c.t, "meta.resource_id")
}

func postBody(title, slug, author string) map[string]any {
	return map[string]any{"title": title, "slug": slug, "author": author}
}

func (c *client) createPost(title, slug, author string) string {
	c.t.Helper()
	r := c.must(http.StatusCreated, "POST", "/api/posts", postBody(title, slug, author))
	return r.str(c.t, "meta.resource_id")
}

func (c *client) createComment(post, body string) string {
	c.t.Helper()
	r := c.must(http.StatusCreated, "POST", "/api/comments",
		map[string]any{"post": post, "author_name": "Reader", "body": body})
	return r.str(c.t, "meta.resource_id")
}

// count returns GET /api/{res}/count with the given query ("" or "?...").
func (c *client) count(res, query string) int {
	c.t.Helper()
	return c.must(http.StatusOK, "GET", "/api/"+res+"/count"+query, nil).num(c.t, "count")
}

// revisionIDs returns the ids of every revision of a resource, newest first.
func (c *client) revisionIDs(res, id, query string) []string {
	c.t.Helper()
	r := c.must(http.StatusOK, "GET", "/api/"+res+"/"+id+"/revisions?limit=1000"+query, nil)
	return r.ids(c.t, "revision_id")
}

// with returns a copy of m with the given key, value pairs set; a value of
// absent removes the key.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == absent {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

type absentValue struct{}

// absent, as a value in with, removes the key.
var absent = absentValue{}

// short returns a response body for a failure message, cut to a readable
// length.
func short(body []byte) string {
	const limit = 400
	if len(body) <= limit {
		return string(body)
	}
	return string(body[:limit]) + fmt.Sprintf("… (%d bytes)", len(body))
}
