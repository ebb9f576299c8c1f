package main

// The permission matrix of issue 12: every route of every resource, for
// every kind of caller, over REST and GraphQL, with the expected answer
// computed from the example's spec (specstar.yaml) by a small oracle of
// this file, not by the product's rule code. On every refusal nothing
// may have been written; on every success the write must have happened.
//
// The callers are real users who log in through POST /api/auth/login:
// anonymous (no Authorization header), one user per role of the spec,
// the owner (no roles; created_by of the rows) and a non-owner (no roles).
// Requests go to the server's own handler (not actAsAdmin), so that a
// request without a token is anonymous all the way.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
)

// ---------------------------------------------------------------------
// The spec, as the tests read it.

// azSpec is the part of specstar.yaml the oracle reads.
type azSpec struct {
	Auth struct {
		Roles []string `yaml:"roles"`
	} `yaml:"auth"`
	Resources map[string]azSpecResource `yaml:"resources"`
}

type azSpecResource struct {
	Permissions map[string]string      `yaml:"permissions"`
	Fields      map[string]azSpecField `yaml:"fields"`
}

type azSpecField struct {
	Type  string `yaml:"type"`
	Read  string `yaml:"read"`
	Write string `yaml:"write"`
}

// azUserKind is the built-in users resource, which every spec with auth
// has: admin-only for every action (docs/auth.md, "Users").
const azUserKind = "User"

// azLoadSpec reads specstar.yaml and adds the built-in User resource.
func azLoadSpec(t *testing.T) *azSpec {
	t.Helper()
	src, err := os.ReadFile("specstar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var s azSpec
	if err := yaml.Unmarshal(src, &s); err != nil {
		t.Fatalf("specstar.yaml: %v", err)
	}
	if len(s.Auth.Roles) == 0 {
		t.Fatal("specstar.yaml has no auth roles: the matrix needs the auth block")
	}
	if !slices.Contains(s.Auth.Roles, "admin") { // "added if missing"
		s.Auth.Roles = append([]string{"admin"}, s.Auth.Roles...)
	}
	if _, ok := s.Resources[azUserKind]; ok {
		t.Fatalf("specstar.yaml declares %s, which auth builds in", azUserKind)
	}
	user := azSpecResource{Permissions: map[string]string{}}
	for _, a := range azActions {
		user.Permissions[a] = "role:admin"
	}
	s.Resources[azUserKind] = user
	// Every rule must be one the oracle understands.
	for kind, r := range s.Resources {
		for _, a := range azActions {
			if _, err := azParseRule(s.rule(kind, a)); err != nil {
				t.Fatalf("%s %s: %v", kind, a, err)
			}
		}
		for name, f := range r.Fields {
			for _, src := range []string{f.Read, f.Write} {
				if src == "" {
					continue
				}
				atoms, err := azParseRule(src)
				if err != nil {
					t.Fatalf("%s.%s: %v", kind, name, err)
				}
				for _, a := range atoms {
					if a.kind == "owner" || a.kind == "where" {
						t.Fatalf("%s.%s: the field rule %q has a row atom", kind, name, src)
					}
				}
			}
		}
	}
	return &s
}

// azActions are the actions of permission rules.
var azActions = []string{"read", "list", "create", "update", "switch", "delete", "restore", "purge"}

// rule returns the rule of action on kind, with the documented defaults:
// list defaults to read, switch to update, restore to delete, purge to
// role:admin, and everything else to authenticated.
func (s *azSpec) rule(kind, action string) string {
	r := s.Resources[kind]
	if src, ok := r.Permissions[action]; ok {
		return src
	}
	switch action {
	case "list":
		return s.rule(kind, "read")
	case "switch":
		return s.rule(kind, "update")
	case "restore":
		return s.rule(kind, "delete")
	case "purge":
		return "role:admin"
	}
	return "authenticated"
}

// kinds returns the resource names, sorted.
func (s *azSpec) kinds() []string { return slices.Sorted(maps.Keys(s.Resources)) }

// ---------------------------------------------------------------------
// The oracle.

// azWho is a caller: anonymous when id is "".
type azWho struct {
	name  string
	id    string
	roles []string
}

func (w azWho) anonymous() bool { return w.id == "" }

// azAtom is one atom of a rule.
type azAtom struct {
	kind         string // public, authenticated, owner, role, where
	role         string
	field, value string // where(field = "value")
}

var azWhereRE = regexp.MustCompile(`^where\(\s*([a-z_][a-z0-9_.]*)\s*=\s*"([^"\\]*)"\s*\)$`)

// azParseRule parses the rules the spec uses; anything else is an error
// (azLoadSpec stops the test), so that the oracle is taught a new form
// rather than guessing.
func azParseRule(src string) ([]azAtom, error) {
	var out []azAtom
	for part := range strings.SplitSeq(src, "|") {
		part = strings.TrimSpace(part)
		switch {
		case part == "public" || part == "authenticated" || part == "owner":
			out = append(out, azAtom{kind: part})
		case strings.HasPrefix(part, "role:"):
			out = append(out, azAtom{kind: "role", role: strings.TrimPrefix(part, "role:")})
		default:
			m := azWhereRE.FindStringSubmatch(part)
			if m == nil {
				return nil, fmt.Errorf("the matrix's oracle does not understand the atom %q of the rule %q: teach it", part, src)
			}
			out = append(out, azAtom{kind: "where", field: m[1], value: m[2]})
		}
	}
	return out, nil
}

// azRule returns the parsed rule src, which azLoadSpec checked.
func azRule(src string) []azAtom {
	atoms, err := azParseRule(src)
	if err != nil {
		panic(err)
	}
	return atoms
}

// azRowFacts is what the oracle knows of a row.
type azRowFacts struct {
	createdBy string
	fields    map[string]any // the row's data
}

// azGrant returns what a rule grants w: every row (all), or the rows
// matching one of conds (none when conds is empty too).
func azGrant(rule []azAtom, w azWho) (all bool, conds []azAtom) {
	if slices.Contains(w.roles, "admin") {
		return true, nil // admin passes every rule
	}
	for _, a := range rule {
		switch a.kind {
		case "public":
			return true, nil
		case "authenticated":
			if !w.anonymous() {
				return true, nil
			}
		case "role":
			if slices.Contains(w.roles, a.role) {
				return true, nil
			}
		case "owner":
			if !w.anonymous() {
				conds = append(conds, a)
			}
		case "where": // the simple form holds no @me: it grants anonymous callers too
			conds = append(conds, a)
		}
	}
	return false, conds
}

// azAdmits reports whether one of conds holds for the row.
func azAdmits(conds []azAtom, w azWho, row azRowFacts) bool {
	for _, c := range conds {
		switch c.kind {
		case "owner":
			if row.createdBy == w.id {
				return true
			}
		case "where":
			if v, ok := row.fields[c.field].(string); ok && v == c.value {
				return true
			}
		}
	}
	return false
}

// azOracle computes the expected answers from the spec.
type azOracle struct {
	spec *azSpec
}

// may reports whether the rule of action on kind lets w act on row, and
// whether it grants w anything at all.
func (o azOracle) may(kind, action string, w azWho, row azRowFacts) (onRow, some bool) {
	all, conds := azGrant(azRule(o.spec.rule(kind, action)), w)
	if all {
		return true, true
	}
	return azAdmits(conds, w, row), len(conds) > 0
}

// refusal is the status of a call the rule of action grants w nothing:
// 401 for anonymous callers, else forbidden (403 for writes and lists,
// 404 for reads of one resource).
func azRefusal(w azWho, forbidden int) int {
	if w.anonymous() {
		return http.StatusUnauthorized
	}
	return forbidden
}

// expect returns the status of op by w on row (for a create: the row it
// would create) as docs/auth.md, "What the server answers", says.
func (o azOracle) expect(kind string, op *azOp, w azWho, row azRowFacts, result azRowFacts) int {
	switch op.class {
	case azCreate:
		onRow, some := o.may(kind, "create", w, result)
		switch {
		case !some:
			return azRefusal(w, http.StatusForbidden)
		case !onRow:
			return http.StatusForbidden
		}
	case azList:
		if _, some := o.may(kind, "list", w, row); !some {
			return azRefusal(w, http.StatusForbidden)
		}
	case azRead:
		onRow, some := o.may(kind, "read", w, row)
		switch {
		case !some:
			return azRefusal(w, http.StatusNotFound)
		case !onRow:
			return http.StatusNotFound
		}
	case azWrite:
		_, some := o.may(kind, op.action, w, row)
		if !some {
			return azRefusal(w, http.StatusForbidden)
		}
		readable, someRead := o.may(kind, "read", w, row)
		switch {
		case !someRead:
			return azRefusal(w, http.StatusNotFound)
		case !readable:
			return http.StatusNotFound // a write to a row the caller cannot read
		}
		if onRow, _ := o.may(kind, op.action, w, row); !onRow {
			return http.StatusForbidden
		}
		if onRow, _ := o.may(kind, op.action, w, result); !onRow {
			return http.StatusForbidden // the result would leave the rule
		}
	}
	return op.success
}

// fieldReadable reports whether w passes the read rule of a field (field
// rules hold public, authenticated and role:NAME only).
func (o azOracle) fieldReadable(kind, field string, w azWho) bool {
	src := o.spec.Resources[kind].Fields[field].Read
	if src == "" {
		return true
	}
	all, _ := azGrant(azRule(src), w)
	return all
}

// readRestricted returns the fields of kind with a read rule.
func (o azOracle) readRestricted(kind string) []string {
	var out []string
	for name, f := range o.spec.Resources[kind].Fields {
		if f.Read != "" {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// azCode is the problem code (REST) and extensions.code (GraphQL) of a
// refusal.
func azCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "FORBIDDEN"
	case http.StatusNotFound:
		return "NOT_FOUND"
	}
	return ""
}

// ---------------------------------------------------------------------
// A server with users who log in.

// azEnv is one blog server on a fresh store, with its users.
type azEnv struct {
	name   string
	srv    *server.Server
	svc    *resource.Service
	schema *resource.Schema
	url    string
	hc     *http.Client
	users  map[string]*azUser
	seq    atomic.Int64
	logs   *azLogBuffer
	shared *azShared
	spec   *azSpec // for the matrix's rows
}

// azUser is a user of the server, with the tokens of their login.
type azUser struct {
	azWho
	email, password string
	access, refresh string
}

// azLogBuffer collects the server's log output.
type azLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *azLogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *azLogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// newAZEnv starts the blog on a fresh store of b, logging at debug level
// into e.logs. edit, when non-nil, adjusts the configuration.
func newAZEnv(t *testing.T, b backend, edit func(*server.Config)) *azEnv {
	t.Helper()
	logs := &azLogBuffer{}
	cfg := server.Config{
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	b.configure(t, &cfg)
	if edit != nil {
		edit(&cfg)
	}
	srv, err := server.New(cfg, blog.App())
	if err != nil {
		t.Fatalf("%s: server.New: %v", b.name, err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("%s: close server: %v", b.name, err)
		}
	})
	if srv.Auth() == nil {
		t.Fatal("the blog server has no auth")
	}
	ts := httptest.NewServer(srv.Handler()) // no actAsAdmin: requests without a token are anonymous
	t.Cleanup(ts.Close)
	return &azEnv{name: b.name, srv: srv, svc: srv.Service(), schema: blog.App().Schema(),
		url: ts.URL, hc: ts.Client(), users: map[string]*azUser{}, logs: logs}
}

// kind returns the storage kind of a resource.
func (e *azEnv) kind(name string) *resource.Kind {
	k := e.schema.Kind(name)
	if k == nil {
		panic("the blog's schema has no kind " + name)
	}
	return k
}

// addUser creates a user through the Service, acting as the system, with
// a password, and logs them in through POST /api/auth/login.
func (e *azEnv) addUser(t *testing.T, name string, roles []string) *azUser {
	t.Helper()
	u := &azUser{
		azWho:    azWho{name: name, roles: roles},
		email:    strings.ReplaceAll(name, " ", "-") + "@example.com",
		password: "pw of " + name + " " + strings.Repeat("x", 8),
	}
	if u.roles == nil {
		u.roles = []string{}
	}
	data, _ := json.Marshal(map[string]any{"email": u.email, "name": name, "roles": u.roles, "password": u.password})
	env, err := e.svc.Create(resource.AsSystem(context.Background()), e.kind(azUserKind), data, resource.WriteOptions{})
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	u.id = env.Meta.ResourceID
	e.login(t, u)
	e.users[name] = u
	return u
}

// login logs u in and keeps the tokens.
func (e *azEnv) login(t *testing.T, u *azUser) *response {
	t.Helper()
	r := e.client(t).do("POST", "/api/auth/login", map[string]any{"email": u.email, "password": u.password})
	if r.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", u.email, r.Status, short(r.Body))
	}
	u.access, u.refresh = r.str(t, "access_token"), r.str(t, "refresh_token")
	if r.str(t, "token_type") != "Bearer" || r.str(t, "user.id") != u.id {
		t.Errorf("login %s: %s", u.email, short(r.Body))
	}
	return r
}

// client returns an HTTP client of the harness reporting to t: every
// exchange is checked against the OpenAPI document.
func (e *azEnv) client(t *testing.T) *client { return &client{t: t, base: e.url, hc: e.hc} }

// bearer returns the header pair that authenticates u (none for nil or
// anonymous).
func azBearer(u *azUser) []string {
	if u == nil || u.access == "" {
		return nil
	}
	return []string{"Authorization", "Bearer " + u.access}
}

// call sends a REST request as u (nil: anonymous).
func (e *azEnv) call(t *testing.T, u *azUser, method, path string, body any, header ...string) *response {
	t.Helper()
	return e.client(t).do(method, path, body, append(azBearer(u), header...)...)
}

// raw sends a request without the OpenAPI check, for routes the document
// does not describe (the blog's custom POST /api/posts/{id}/publish).
func (e *azEnv) raw(t *testing.T, method, path string, body any, header ...string) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := &response{req: method + " " + path, Status: resp.StatusCode, Header: resp.Header, Body: data}
	if len(data) > 0 && isJSONType(resp.Header.Get("Content-Type")) {
		if err := json.Unmarshal(data, &r.JSON); err != nil {
			t.Fatalf("%s: invalid JSON: %s", r.req, short(data))
		}
	}
	return r
}

// azGQLResult is a GraphQL answer.
type azGQLResult struct {
	status int
	body   []byte
	data   map[string]any
	errs   []gqlError
}

// gql posts a GraphQL operation over HTTP with the given headers.
func (e *azEnv) gqlHeaders(t *testing.T, query string, vars map[string]any, header ...string) azGQLResult {
	t.Helper()
	r := e.raw(t, "POST", "/graphql", map[string]any{"query": query, "variables": vars}, header...)
	var out struct {
		Data   map[string]any `json:"data"`
		Errors []gqlError     `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("GraphQL answer %d is not JSON: %s", r.Status, short(r.Body))
	}
	return azGQLResult{status: r.Status, body: r.Body, data: out.Data, errs: out.Errors}
}

// gql posts a GraphQL operation as u (nil: anonymous).
func (e *azEnv) gql(t *testing.T, u *azUser, query string, vars map[string]any) azGQLResult {
	t.Helper()
	return e.gqlHeaders(t, query, vars, azBearer(u)...)
}

// gqlOK runs an operation that must succeed and returns its data.
func (e *azEnv) gqlOK(t *testing.T, u *azUser, query string, vars map[string]any) map[string]any {
	t.Helper()
	res := e.gql(t, u, query, vars)
	if len(res.errs) > 0 {
		t.Fatalf("%s: errors %s", strings.Join(strings.Fields(query), " "), short(res.body))
	}
	return res.data
}

// gqlCode checks that res failed with exactly one error of code.
func azGQLCode(t *testing.T, what string, res azGQLResult, code string) {
	t.Helper()
	if len(res.errs) != 1 || res.errs[0].Extensions.Code != code {
		t.Errorf("%s: GraphQL answer %s, want one %s error", what, short(res.body), code)
	}
}

// sys is a context acting as the system, for setup and inspection.
func azSys() context.Context { return resource.AsSystem(context.Background()) }

// azSnap is a resource as stored: what a refused call must leave alone.
type azSnap struct {
	exists  bool
	revs    int
	current string
	deleted bool
	hash    string
	updated time.Time
	data    map[string]any
}

// snap reads a resource as the system.
func (e *azEnv) snap(t *testing.T, kind, id string) azSnap {
	t.Helper()
	env, err := e.svc.Get(azSys(), e.kind(kind), id, resource.ReadOptions{IncludeDeleted: true})
	if resource.CodeOf(err) == resource.CodeNotFound {
		return azSnap{}
	}
	if err != nil {
		t.Fatalf("read %s %s: %v", kind, id, err)
	}
	s := azSnap{exists: true, revs: env.Meta.TotalRevisionCount, current: env.Meta.CurrentRevisionID,
		deleted: env.Meta.IsDeleted, hash: env.RevisionInfo.DataHash, updated: env.Meta.UpdatedTime}
	if err := json.Unmarshal(env.Data, &s.data); err != nil {
		t.Fatal(err)
	}
	return s
}

// sameSnap reports the differences between two snapshots but their data.
func azSameSnap(a, b azSnap) bool {
	return a.exists == b.exists && a.revs == b.revs && a.current == b.current && a.deleted == b.deleted &&
		a.hash == b.hash && a.updated.Equal(b.updated)
}

func (s azSnap) String() string {
	if !s.exists {
		return "{purged}"
	}
	return fmt.Sprintf("{revs %d, current %s, deleted %v, hash %.20s, updated %s}", s.revs, s.current, s.deleted, s.hash, s.updated.Format(time.RFC3339Nano))
}

// countAll counts the resources of a kind, deleted ones included.
func (e *azEnv) countAll(t *testing.T, kind string) int {
	t.Helper()
	n, err := e.svc.Count(azSys(), e.kind(kind), resource.ListQuery{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// ---------------------------------------------------------------------
// The resources and the operations.

// azKindFix is what the matrix needs to know of a resource beyond its
// rules: how to make one, and its GraphQL names.
type azKindFix struct {
	one, many string // GraphQL query fields
	typ       string // GraphQL type name (createX, XInput)
	// data returns the data of a new resource n.
	data func(n int64, sh *azShared) map[string]any
	// change is the string field the writes change.
	change string
	// referrers is the GraphQL connection of the resources that refer to
	// this one ("" when GraphQL has none).
	referrers string
}

// azShared are the rows the matrix's rows refer to.
type azShared struct {
	author    string // an Author, for posts
	published string // a published Post, for comments and feed entries
}

var azFixtures = map[string]azKindFix{
	"Author": {one: "author", many: "authors", typ: "Author", change: "name", referrers: "postsByAuthor",
		data: func(n int64, _ *azShared) map[string]any {
			return map[string]any{"name": fmt.Sprintf("Author %d", n), "email": fmt.Sprintf("author%d@example.com", n)}
		}},
	"Post": {one: "post", many: "posts", typ: "Post", change: "title", referrers: "commentsByPost",
		data: func(n int64, sh *azShared) map[string]any {
			return map[string]any{"title": fmt.Sprintf("Post %d", n), "slug": fmt.Sprintf("post-%d", n),
				"author": sh.author, "status": "draft"}
		}},
	"Comment": {one: "comment", many: "comments", typ: "Comment", change: "body",
		data: func(n int64, sh *azShared) map[string]any {
			return map[string]any{"post": sh.published, "author_name": fmt.Sprintf("Reader %d", n), "body": fmt.Sprintf("Comment %d", n)}
		}},
	"FeedEntry": {one: "feedEntry", many: "feedEntries", typ: "FeedEntry", change: "title",
		data: func(n int64, sh *azShared) map[string]any {
			return map[string]any{"post": sh.published, "title": fmt.Sprintf("Entry %d", n), "published_at": "2024-01-02T03:04:05Z"}
		}},
	azUserKind: {one: "user", many: "users", typ: "User", change: "name",
		data: func(n int64, _ *azShared) map[string]any {
			return map[string]any{"email": fmt.Sprintf("member%d@example.com", n), "name": fmt.Sprintf("Member %d", n), "roles": []any{"viewer"}}
		}},
}

// gqlInput turns stored data into a GraphQL input: camelCase keys,
// upper-case enum values.
func azGQLInput(data map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range data {
		parts := strings.Split(k, "_")
		for i := 1; i < len(parts); i++ {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
		switch k {
		case "status":
			if s, ok := v.(string); ok {
				v = strings.ToUpper(s)
			}
		case "roles":
			if l, ok := v.([]any); ok {
				var up []any
				for _, r := range l {
					up = append(up, strings.ToUpper(r.(string)))
				}
				v = up
			}
		}
		out[strings.Join(parts, "")] = v
	}
	return out
}

// The classes of operations, by how the oracle decides them.
const (
	azCreate = iota
	azList
	azRead
	azWrite
)

// azRow is a resource the matrix acts on.
type azRow struct {
	kind, id string
	facts    azRowFacts
	data     map[string]any // its current data as stored
}

// azCase is one call of the matrix.
type azCase struct {
	e    *azEnv
	o    azOracle
	kind string
	fix  azKindFix
	who  *azUser // nil: anonymous
	w    azWho
	row  *azRow // nil for create
	n    int64  // a fresh number for the values the call sends
}

// azOp is one operation of every resource.
type azOp struct {
	name    string
	class   int
	action  string // the rule the operation answers to
	success int    // REST status of success
	row     string // "shared" (read only), "live" or "deleted" (fresh rows)
	kinds   []string
	// variants are the Post statuses the operation runs on ("draft" and
	// "published"; drafts are outside where(status = "published")).
	variants []string
	// rest returns the REST request; documented is false for routes the
	// OpenAPI document does not describe.
	rest func(c *azCase) (method, path string, body any, header []string)
	// gql returns the GraphQL operation, nil when GraphQL has none.
	gql func(c *azCase) (query string, vars map[string]any)
	// result returns the data a write would store, for rules on the
	// result; nil: the row's data.
	result func(c *azCase) map[string]any
	// effect checks a successful write.
	effect func(t *testing.T, c *azCase, before, after azSnap)
	raw    bool
}

// changed returns the new value of the field a write changes.
func (c *azCase) changed() string { return fmt.Sprintf("changed %d", c.n) }

// body returns the row's data as w may send it back: without the fields
// w cannot read (a client sends back what it read), with the change.
func (c *azCase) body() map[string]any {
	out := map[string]any{}
	for k, v := range c.row.data {
		if c.o.fieldReadable(c.kind, k, c.w) {
			out[k] = v
		}
	}
	out[c.fix.change] = c.changed()
	return out
}

func (c *azCase) path(suffix string) string {
	return "/api/" + c.e.kind(c.kind).Path + "/" + c.row.id + suffix
}

func (c *azCase) withChange() map[string]any {
	return with(c.row.data, c.fix.change, c.changed())
}

// azEffectRevision checks a write that stores a new revision.
func azEffectRevision(t *testing.T, c *azCase, before, after azSnap) {
	if after.revs != before.revs+1 || after.current != rev(c.row.id, before.revs+1) {
		t.Errorf("after the write: %v, want revision %d current (before %v)", after, before.revs+1, before)
	}
	if got := after.data[c.fix.change]; got != c.changed() {
		t.Errorf("stored %s = %v, want %q", c.fix.change, got, c.changed())
	}
}

var azOps = []*azOp{
	{name: "create", class: azCreate, action: "create", success: http.StatusCreated,
		rest: func(c *azCase) (string, string, any, []string) {
			return "POST", "/api/" + c.e.kind(c.kind).Path, c.fix.data(c.n, c.e.shared), nil
		},
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($in: %sInput!) { create%s(input: $in) { id } }`, c.fix.typ, c.fix.typ),
				map[string]any{"in": azGQLInput(c.fix.data(c.n, c.e.shared))}
		}},
	{name: "list", class: azList, action: "list", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) {
			return "GET", "/api/" + c.e.kind(c.kind).Path + `?count=true&filter=resource_id="` + c.row.id + `"`, nil, nil
		},
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`{ %s(filter: {resourceId: {eq: %q}}) { totalCount nodes { id } } }`, c.fix.many, c.row.id), nil
		}},
	{name: "count", class: azList, action: "list", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) {
			return "GET", "/api/" + c.e.kind(c.kind).Path + `/count?filter=resource_id="` + c.row.id + `"`, nil, nil
		},
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`{ %s(filter: {resourceId: {eq: %q}}) { totalCount } }`, c.fix.many, c.row.id), nil
		}},
	{name: "get", class: azRead, action: "read", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) { return "GET", c.path(""), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`query($id: ID!) { %s(id: $id) { id data { %s } } }`, c.fix.one, azGQLData(c)),
				map[string]any{"id": c.row.id}
		}},
	{name: "put", class: azWrite, action: "update", success: http.StatusOK, row: "live", variants: []string{"draft"},
		rest: func(c *azCase) (string, string, any, []string) { return "PUT", c.path(""), c.body(), nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($id: ID!, $in: %sInput!) { update%s(id: $id, input: $in) { id } }`, c.fix.typ, c.fix.typ),
				map[string]any{"id": c.row.id, "in": azGQLInput(c.body())}
		},
		result: (*azCase).withChange, effect: azEffectRevision},
	{name: "merge patch", class: azWrite, action: "update", success: http.StatusOK, row: "live", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) {
			return "PATCH", c.path(""), map[string]any{c.fix.change: c.changed()}, []string{"Content-Type", "application/merge-patch+json"}
		},
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($id: ID!, $p: JSON!) { patch%s(id: $id, patch: $p) { id } }`, c.fix.typ),
				map[string]any{"id": c.row.id, "p": map[string]any{c.fix.change: c.changed()}}
		},
		result: (*azCase).withChange, effect: azEffectRevision},
	{name: "json patch", class: azWrite, action: "update", success: http.StatusOK, row: "live", variants: []string{"draft"},
		rest: func(c *azCase) (string, string, any, []string) {
			return "PATCH", c.path(""), []any{map[string]any{"op": "replace", "path": "/" + c.fix.change, "value": c.changed()}},
				[]string{"Content-Type", "application/json-patch+json"}
		},
		result: (*azCase).withChange, effect: azEffectRevision},
	{name: "publish", class: azWrite, action: "update", success: http.StatusOK, row: "live", kinds: []string{"Post"}, variants: []string{"draft"}, raw: true,
		rest:   func(c *azCase) (string, string, any, []string) { return "POST", c.path("/publish"), nil, nil },
		result: func(c *azCase) map[string]any { return with(c.row.data, "status", "published") },
		effect: func(t *testing.T, c *azCase, before, after azSnap) {
			if after.revs != before.revs+1 || after.data["status"] != "published" {
				t.Errorf("after publish: %v, status %v", after, after.data["status"])
			}
		}},
	{name: "delete", class: azWrite, action: "delete", success: http.StatusOK, row: "live", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) { return "DELETE", c.path(""), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($id: ID!) { delete%s(id: $id) { id } }`, c.fix.typ), map[string]any{"id": c.row.id}
		},
		effect: func(t *testing.T, c *azCase, before, after azSnap) {
			if !after.deleted || after.revs != before.revs {
				t.Errorf("after delete: %v (before %v)", after, before)
			}
		}},
	{name: "restore", class: azWrite, action: "restore", success: http.StatusOK, row: "deleted", variants: []string{"draft"},
		rest: func(c *azCase) (string, string, any, []string) { return "POST", c.path("/restore"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($id: ID!) { restore%s(id: $id) { id } }`, c.fix.typ), map[string]any{"id": c.row.id}
		},
		effect: func(t *testing.T, c *azCase, before, after azSnap) {
			if !after.exists || after.deleted {
				t.Errorf("after restore: %v", after)
			}
		}},
	{name: "purge", class: azWrite, action: "purge", success: http.StatusNoContent, row: "live", variants: []string{"draft"},
		rest: func(c *azCase) (string, string, any, []string) { return "DELETE", c.path("/permanently"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($id: ID!) { purge%s(id: $id) }`, c.fix.typ), map[string]any{"id": c.row.id}
		},
		effect: func(t *testing.T, c *azCase, before, after azSnap) {
			if after.exists {
				t.Errorf("after purge: %v", after)
			}
		}},
	{name: "revisions", class: azRead, action: "read", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) { return "GET", c.path("/revisions"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`query($id: ID!) { %s(id: $id) { revisions { nodes { revisionId } } } }`, c.fix.one),
				map[string]any{"id": c.row.id}
		}},
	{name: "revision", class: azRead, action: "read", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) { return "GET", c.path("/revisions/1"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`query($id: ID!) { %s(id: $id, revision: "1") { revisionInfo { number } data { %s } } }`, c.fix.one, azGQLData(c)),
				map[string]any{"id": c.row.id}
		}},
	{name: "diff", class: azRead, action: "read", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) { return "GET", c.path("/revisions/2/diff"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`query($id: ID!) { %s(id: $id) { diff } }`, c.fix.one), map[string]any{"id": c.row.id}
		}},
	{name: "switch", class: azWrite, action: "switch", success: http.StatusOK, row: "live", variants: []string{"draft"},
		rest: func(c *azCase) (string, string, any, []string) { return "POST", c.path("/switch/1"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			return fmt.Sprintf(`mutation($id: ID!) { switch%sRevision(id: $id, revision: "1") { id } }`, c.fix.typ),
				map[string]any{"id": c.row.id}
		},
		effect: func(t *testing.T, c *azCase, before, after azSnap) {
			if after.current != rev(c.row.id, 1) || after.revs != before.revs {
				t.Errorf("after switch: %v (before %v)", after, before)
			}
		}},
	{name: "referrers", class: azRead, action: "read", success: http.StatusOK, row: "shared", variants: []string{"draft", "published"},
		rest: func(c *azCase) (string, string, any, []string) { return "GET", c.path("/referrers"), nil, nil },
		gql: func(c *azCase) (string, map[string]any) {
			if c.fix.referrers == "" {
				return "", nil
			}
			return fmt.Sprintf(`query($id: ID!) { %s(id: $id) { %s { totalCount } } }`, c.fix.one, c.fix.referrers),
				map[string]any{"id": c.row.id}
		}},
}

// gqlDataSelection selects the change field and every read-restricted
// field of the kind's data.
func azGQLData(c *azCase) string {
	fields := []string{c.fix.change}
	fields = append(fields, c.o.readRestricted(c.kind)...)
	for i, f := range fields {
		fields[i] = azCamel(f)
	}
	return strings.Join(fields, " ")
}

// camel turns a snake_case name into camelCase.
func azCamel(s string) string {
	for k := range azGQLInput(map[string]any{s: nil}) {
		return k
	}
	return s
}

// ---------------------------------------------------------------------
// Running the matrix.

// azBackends are the backends the auth tests run on.
func azBackends() []backend {
	var out []backend
	for _, b := range backends {
		if b.name == "memory" || b.name == "sqlite" || b.name == "postgres" {
			out = append(out, b)
		}
	}
	return out
}

// principals logs in one user per role of the spec, the owner and a
// non-owner, and returns them with anonymous (nil) first.
func (e *azEnv) principals(t *testing.T, spec *azSpec) []*azUser {
	out := []*azUser{nil}
	for _, role := range spec.Auth.Roles {
		out = append(out, e.addUser(t, role, []string{role}))
	}
	out = append(out, e.addUser(t, "owner", nil), e.addUser(t, "non-owner", nil))
	return out
}

// whoOf returns the oracle's view of u.
func azWhoOf(u *azUser) azWho {
	if u == nil {
		return azWho{name: "anonymous"}
	}
	return u.azWho
}

// owner returns the user who creates the matrix's rows.
func (e *azEnv) owner() *azUser { return e.users["owner"] }

// newRow makes a resource of kind created by the owner, with two
// revisions (the second changes the change field), deleted when asked.
// Rows are created acting as the owner (created_by is the owner); for
// the kinds the owner may not create, the owner acts with the admin role
// for the setup only.
func (e *azEnv) newRow(t *testing.T, kind, variant string, deleted bool) *azRow {
	t.Helper()
	fix := azFixtures[kind]
	k := e.kind(kind)
	n := e.seq.Add(1)
	data := fix.data(n, e.shared)
	if variant != "" {
		data["status"] = variant
	}
	// A value in every text field with a read rule (Post.review_notes),
	// whose visibility the matrix checks.
	for name, f := range e.spec.Resources[kind].Fields {
		if f.Read != "" && (f.Type == "text" || f.Type == "string") {
			data[name] = fmt.Sprintf("%s %d", name, n)
		}
	}
	ctx := resource.WithPrincipal(context.Background(), &resource.Principal{ID: e.owner().id, Roles: []string{"admin"}})
	raw, _ := json.Marshal(data)
	env, err := e.svc.Create(ctx, k, raw, resource.WriteOptions{})
	if err != nil {
		t.Fatalf("create %s: %v", kind, err)
	}
	id := env.Meta.ResourceID
	// Revision 2 changes one field of revision 1 as stored (with what the
	// hooks added), so that their diff is that one field.
	first := e.snap(t, kind, id).data
	raw, _ = json.Marshal(with(first, fix.change, fmt.Sprint(data[fix.change], " v2")))
	if _, err := e.svc.Update(ctx, k, id, raw, resource.WriteOptions{}); err != nil {
		t.Fatalf("update %s: %v", kind, err)
	}
	if deleted {
		if _, err := e.svc.Delete(ctx, k, id, resource.WriteOptions{}); err != nil {
			t.Fatalf("delete %s: %v", kind, err)
		}
	}
	s := e.snap(t, kind, id)
	if s.revs != 2 {
		t.Fatalf("new %s has %d revisions", kind, s.revs)
	}
	got, err := e.svc.Get(azSys(), k, id, resource.ReadOptions{IncludeDeleted: true})
	if err != nil || got.Meta.CreatedBy != e.owner().id {
		t.Fatalf("new %s: created_by %v (%v), want the owner", kind, got, err)
	}
	return &azRow{kind: kind, id: id, data: s.data, facts: azRowFacts{createdBy: got.Meta.CreatedBy, fields: s.data}}
}

// azResult counts the outcomes of a run.
type azResult struct {
	mu       sync.Mutex
	byStatus map[string]int
	cases    int
}

func (m *azResult) add(transport string, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cases++
	m.byStatus[fmt.Sprintf("%s %d", transport, status)]++
}

// TestAuthMatrix runs every operation of every resource for every caller
// over REST and GraphQL, on memory, SQLite and PostgreSQL.
func TestAuthMatrix(t *testing.T) {
	spec := azLoadSpec(t)
	for _, kind := range spec.kinds() {
		if _, ok := azFixtures[kind]; !ok {
			t.Fatalf("the spec has a resource %s that the matrix does not know how to create: add it to azFixtures", kind)
		}
	}
	for _, b := range azBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			res := runAZMatrix(t, b, spec)
			t.Logf("%s: %d calls in %s; outcomes %v", b.name, res.cases, time.Since(start).Round(time.Millisecond), res.byStatus)
		})
	}
}

// setupShared makes the rows the matrix's rows refer to: an author and a
// published post.
func (e *azEnv) setupShared(t *testing.T) {
	admin := &resource.Principal{ID: e.users["admin"].id, Roles: []string{"admin"}}
	ctx := resource.WithPrincipal(context.Background(), admin)
	env, err := e.svc.Create(ctx, e.kind("Author"), json.RawMessage(`{"name": "Shared", "email": "shared@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.shared = &azShared{author: env.Meta.ResourceID}
	post, _ := json.Marshal(map[string]any{"title": "Shared post", "slug": "shared-post", "author": e.shared.author, "status": "published"})
	env, err = e.svc.Create(ctx, e.kind("Post"), post, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.shared.published = env.Meta.ResourceID
}

func runAZMatrix(t *testing.T, b backend, spec *azSpec) *azResult {
	e := newAZEnv(t, b, nil)
	e.spec = spec
	o := azOracle{spec: spec}
	users := e.principals(t, spec)
	e.setupShared(t)
	res := &azResult{byStatus: map[string]int{}}
	sharedRows := map[string]*azRow{}
	for _, kind := range spec.kinds() {
		fix := azFixtures[kind]
		for _, op := range azOps {
			if op.kinds != nil && !slices.Contains(op.kinds, kind) {
				continue
			}
			variants := []string{""}
			if kind == "Post" {
				variants = op.variants
			}
			for _, variant := range variants {
				for _, u := range users {
					for _, transport := range []string{"REST", "GraphQL"} {
						name := strings.Join(slices.DeleteFunc([]string{kind, op.name, variant, azWhoOf(u).name, transport},
							func(s string) bool { return s == "" }), "/")
						c := &azCase{e: e, o: o, kind: kind, fix: fix, who: u, w: azWhoOf(u), n: e.seq.Add(1)}
						if transport == "GraphQL" && (op.gql == nil || op.name == "referrers" && fix.referrers == "") {
							// REST only: JSON Patch, the custom publish route, and
							// the referrers of kinds that nothing refers to.
							continue
						}
						switch op.row {
						case "shared":
							key := kind + "/" + variant
							if sharedRows[key] == nil {
								sharedRows[key] = e.newRow(t, kind, variant, false)
							}
							c.row = sharedRows[key]
						case "live", "deleted":
							c.row = e.newRow(t, kind, variant, op.row == "deleted")
						}
						t.Run(name, func(t *testing.T) {
							status := runAZCase(t, c, op, transport)
							res.add(transport, status)
						})
					}
				}
			}
		}
	}
	return res
}

// runAZCase runs one call and checks its answer and its effect; it
// returns the expected status.
func runAZCase(t *testing.T, c *azCase, op *azOp, transport string) int {
	e := c.e
	var row, result azRowFacts
	if c.row != nil {
		row = c.row.facts
		rd := c.row.data
		if op.result != nil {
			rd = op.result(c)
		}
		result = azRowFacts{createdBy: row.createdBy, fields: rd}
	} else {
		result = azRowFacts{createdBy: c.w.id, fields: c.fix.data(c.n, e.shared)}
	}
	want := c.o.expect(c.kind, op, c.w, row, result)

	var before azSnap
	countBefore := e.countAll(t, c.kind)
	if c.row != nil {
		before = e.snap(t, c.kind, c.row.id)
	}

	var got int
	var body []byte
	if transport == "REST" {
		method, path, reqBody, header := op.rest(c)
		header = append(azBearer(c.who), header...)
		var r *response
		if op.raw {
			r = e.raw(t, method, path, reqBody, header...)
		} else {
			r = e.client(t).do(method, path, reqBody, header...)
		}
		got, body = r.Status, r.Body
		if got != want {
			t.Errorf("%s %s as %s: status %d, want %d; body %s", method, path, c.w.name, got, want, short(r.Body))
		} else if want >= 400 {
			checkProblem(t, r, want, azCode(want))
			if want == http.StatusUnauthorized && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer (%q)", r.Header.Get("WWW-Authenticate"))
			}
		} else {
			checkAZSuccess(t, c, op, r)
		}
	} else {
		query, vars := op.gql(c)
		res := e.gql(t, c.who, query, vars)
		body = res.body
		if want >= 400 {
			azGQLCode(t, op.name+" as "+c.w.name, res, azCode(want))
			for k, v := range res.data {
				if v != nil {
					t.Errorf("refused GraphQL call has data %s: %v", k, v)
				}
			}
			got = want
			if len(res.errs) == 0 {
				got = http.StatusOK
			}
		} else {
			if len(res.errs) > 0 {
				t.Errorf("%s as %s: GraphQL errors %s, want success", op.name, c.w.name, short(res.body))
				got = 0
			} else {
				got = want
				checkAZGQLSuccess(t, c, op, res)
			}
		}
	}

	// The effect: nothing on refusal (nor on reads); the write on success.
	countAfter := e.countAll(t, c.kind)
	switch {
	case op.class == azCreate && got == want && want < 400:
		if countAfter != countBefore+1 {
			t.Errorf("create succeeded but the count went from %d to %d", countBefore, countAfter)
		}
	case op.name == "purge" && got == want && want < 400:
		if countAfter != countBefore-1 {
			t.Errorf("purge succeeded but the count went from %d to %d", countBefore, countAfter)
		}
	case countAfter != countBefore:
		t.Errorf("%s as %s (answer %d): the count of %s went from %d to %d", op.name, c.w.name, got, c.kind, countBefore, countAfter)
	}
	if c.row != nil {
		after := e.snap(t, c.kind, c.row.id)
		if want >= 400 || op.class != azWrite {
			if !azSameSnap(before, after) {
				t.Errorf("%s as %s (answer %d, want %d): the resource changed from %v to %v; body %s", op.name, c.w.name, got, want, before, after, short(body))
			}
		} else if got == want {
			op.effect(t, c, before, after)
			// Fields the caller may not write keep their value.
			for _, f := range c.o.readRestricted(c.kind) {
				if after.exists && !azJSONEq(after.data[f], before.data[f]) {
					t.Errorf("%s as %s changed %s from %v to %v", op.name, c.w.name, f, before.data[f], after.data[f])
				}
			}
		}
	}
	return want
}

func azJSONEq(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// checkAZSuccess checks a successful REST answer: a list holds the row
// exactly when the list rule admits it, and data holds the fields with a
// read rule exactly when the caller passes it.
func checkAZSuccess(t *testing.T, c *azCase, op *azOp, r *response) {
	t.Helper()
	var datas []any
	switch op.name {
	case "list":
		listed, _ := c.o.may(c.kind, "list", c.w, c.row.facts)
		items := r.list(t, "items")
		want := 0
		if listed {
			want = 1
		}
		if len(items) != want || r.num(t, "total") != want {
			t.Errorf("list as %s: %d items, total %v, want %d: %s", c.w.name, len(items), r.get(t, "total"), want, short(r.Body))
		}
		for i := range items {
			datas = append(datas, r.get(t, fmt.Sprintf("items.%d.data", i)))
		}
	case "count":
		listed, _ := c.o.may(c.kind, "list", c.w, c.row.facts)
		want := 0
		if listed {
			want = 1
		}
		if got := r.num(t, "count"); got != want {
			t.Errorf("count as %s: %d, want %d", c.w.name, got, want)
		}
	case "create":
		datas = append(datas, r.get(t, "data"))
		if got := r.str(t, "meta.created_by"); got != c.w.id {
			t.Errorf("create as %s: created_by %q, want the caller %q", c.w.name, got, c.w.id)
		}
	case "get", "revision", "put", "merge patch", "json patch", "delete", "restore", "switch", "publish":
		datas = append(datas, r.get(t, "data"))
	case "revisions":
		if n := len(r.list(t, "items")); n != 2 {
			t.Errorf("revisions as %s: %d items, want 2", c.w.name, n)
		}
	case "diff":
		for i, p := range r.list(t, "") {
			if path, _ := lookup(p, "path"); path != "/"+c.fix.change {
				t.Errorf("diff op %d as %s: %v, want only /%s", i, c.w.name, p, c.fix.change)
			}
		}
	}
	for _, d := range datas {
		m, _ := d.(map[string]any)
		for _, f := range c.o.readRestricted(c.kind) {
			v, present := m[f]
			if op.raw {
				// The custom route answers with a typed record, where a
				// hidden field reads null: its value must not show.
				present = v != nil
			}
			if visible := c.o.fieldReadable(c.kind, f, c.w); present != visible {
				t.Errorf("%s as %s: field %s present %v, want %v: %s", op.name, c.w.name, f, present, visible, short(r.Body))
			}
		}
	}
}

// checkAZGQLSuccess checks a successful GraphQL answer as checkAZSuccess
// checks REST.
func checkAZGQLSuccess(t *testing.T, c *azCase, op *azOp, res azGQLResult) {
	t.Helper()
	d := gqlData{t: t, v: any(res.data)}
	switch op.name {
	case "list", "count":
		listed, _ := c.o.may(c.kind, "list", c.w, c.row.facts)
		want := 0
		if listed {
			want = 1
		}
		if got := d.num(c.fix.many + ".totalCount"); got != want {
			t.Errorf("%s as %s: totalCount %d, want %d", op.name, c.w.name, got, want)
		}
		if op.name == "list" {
			if got := len(d.list(c.fix.many + ".nodes")); got != want {
				t.Errorf("list as %s: %d nodes, want %d", c.w.name, got, want)
			}
		}
	case "get", "revision":
		for _, f := range c.o.readRestricted(c.kind) {
			v := d.get(c.fix.one + ".data." + azCamel(f))
			if visible := c.o.fieldReadable(c.kind, f, c.w); (v != nil) != visible {
				t.Errorf("%s as %s: %s is %v, want it visible: %v", op.name, c.w.name, f, v, visible)
			}
		}
	case "revisions":
		if n := len(d.list(c.fix.one + ".revisions.nodes")); n != 2 {
			t.Errorf("revisions as %s: %d, want 2", c.w.name, n)
		}
	case "diff":
		if l, _ := d.get(c.fix.one + ".diff").([]any); len(l) != 1 {
			t.Errorf("diff as %s: %v, want one operation", c.w.name, d.get(c.fix.one+".diff"))
		}
	}
}
