package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	gqlclient "github.com/99designs/gqlgen/client"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/server"
)

// gqlServer is a blog server for the GraphQL tests: gqlgen's test client
// over its handler, and REST and raw HTTP access to the same server.
type gqlServer struct {
	t    *testing.T
	srv  *server.Server
	gql  *gqlclient.Client
	rest *client
	url  string
}

// newGQLServer starts the blog app on a fresh store of backend b.
func newGQLServer(t *testing.T, b backend, edit func(*server.Config), opts ...blog.Option) *gqlServer {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
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
	h := actAsAdmin(srv.Handler())
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return &gqlServer{
		t: t, srv: srv, url: ts.URL,
		gql:  gqlclient.New(h, gqlclient.Path("/graphql")),
		rest: &client{t: t, base: ts.URL, hc: ts.Client()},
	}
}

// with returns s reporting to t: for subtests, whose failures must not
// stop their parent.
func (s *gqlServer) with(t *testing.T) *gqlServer {
	c := *s
	c.t = t
	return &c
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"extensions"`
}

// vars turns name, value pairs into client options.
func vars(kv []any) []gqlclient.Option {
	var opts []gqlclient.Option
	for i := 0; i+1 < len(kv); i += 2 {
		opts = append(opts, gqlclient.Var(kv[i].(string), kv[i+1]))
	}
	return opts
}

// exec runs an operation and returns its data and errors.
func (s *gqlServer) exec(query string, kv ...any) (any, []gqlError) {
	s.t.Helper()
	resp, err := s.gql.RawPost(query, vars(kv)...)
	if err != nil {
		s.t.Fatalf("%s: %v", query, err)
	}
	var errs []gqlError
	if len(resp.Errors) > 0 {
		if err := json.Unmarshal(resp.Errors, &errs); err != nil {
			s.t.Fatalf("errors: %v: %s", err, resp.Errors)
		}
	}
	return resp.Data, errs
}

// query runs an operation that must succeed and returns its data.
func (s *gqlServer) query(query string, kv ...any) gqlData {
	s.t.Helper()
	data, errs := s.exec(query, kv...)
	if len(errs) > 0 {
		s.t.Fatalf("%s: errors: %+v", oneLine(query), errs)
	}
	return gqlData{t: s.t, v: data}
}

// fail runs an operation that must fail with one error of code and
// returns it.
func (s *gqlServer) fail(code, query string, kv ...any) gqlError {
	s.t.Helper()
	_, errs := s.exec(query, kv...)
	if len(errs) != 1 {
		s.t.Fatalf("%s: errors %+v, want one %s", oneLine(query), errs, code)
	}
	if errs[0].Extensions.Code != code {
		s.t.Fatalf("%s: error %+v, want code %s", oneLine(query), errs[0], code)
	}
	return errs[0]
}

// post sends a raw GraphQL POST and returns the status and the body.
func (s *gqlServer) post(body string, header ...string) (int, http.Header, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/graphql", strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return s.do(req)
}

func (s *gqlServer) do(req *http.Request) (int, http.Header, []byte) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// gqlData is the data of a response, walked with dotted paths.
type gqlData struct {
	t *testing.T
	v any
}

func (d gqlData) get(path string) any {
	d.t.Helper()
	v, err := lookup(d.v, path)
	if err != nil {
		d.t.Fatalf("%v; data: %s", err, mustMarshal(d.t, d.v))
	}
	return v
}

func (d gqlData) str(path string) string {
	d.t.Helper()
	s, ok := d.get(path).(string)
	if !ok {
		d.t.Fatalf("%s is %v, want a string", path, d.get(path))
	}
	return s
}

func (d gqlData) num(path string) int {
	d.t.Helper()
	f, ok := d.get(path).(float64)
	if !ok {
		d.t.Fatalf("%s is %v, want a number", path, d.get(path))
	}
	return int(f)
}

func (d gqlData) list(path string) []any {
	d.t.Helper()
	l, ok := d.get(path).([]any)
	if !ok {
		d.t.Fatalf("%s is %v, want a list", path, d.get(path))
	}
	return l
}

// ids returns field id of every element of the list at path.
func (d gqlData) ids(path string) []string {
	d.t.Helper()
	var out []string
	for i := range d.list(path) {
		out = append(out, d.str(fmt.Sprintf("%s.%d.id", path, i)))
	}
	return out
}

// Fixtures.

func (s *gqlServer) createAuthor(name, email string) string {
	s.t.Helper()
	return s.query(`mutation($in: AuthorInput!) { createAuthor(input: $in) { id } }`,
		"in", map[string]any{"name": name, "email": email}).str("createAuthor.id")
}

func (s *gqlServer) createPost(in map[string]any) string {
	s.t.Helper()
	return s.query(`mutation($in: PostInput!) { createPost(input: $in) { id } }`, "in", in).str("createPost.id")
}

func postInput(title, slug, author string, kv ...any) map[string]any {
	return with(map[string]any{"title": title, "slug": slug, "author": author}, kv...)
}

// postFields selects everything of a Post but its relations.
const postFields = `id etag
	data { title slug body status tags views rating featured publishedAt author editor metadata reviewNotes
		cover { id name contentType size sha256 } attachments { id name contentType size sha256 } }
	meta { resourceId currentRevisionId totalRevisionCount schemaVersion createdTime createdBy updatedTime updatedBy isDeleted }
	revisionInfo { revisionId parentRevisionId resourceId number status dataHash schemaVersion createdTime createdBy updatedTime updatedBy }`

// TestGraphQL runs the GraphQL API of DESIGN.md §6 against every backend.
func TestGraphQL(t *testing.T) {
	tests := []struct {
		name   string
		config func(*server.Config)
		run    func(t *testing.T, s *gqlServer)
	}{
		{name: "create and read", run: testGQLCreateRead},
		{name: "list filter order page", run: testGQLList},
		{name: "update and ifMatch", run: testGQLUpdate},
		{name: "drafts", run: testGQLDrafts},
		{name: "patch", run: testGQLPatch},
		{name: "delete restore purge", run: testGQLDeleteRestorePurge},
		{name: "restore with the cascade", run: testGQLRestoreCascade},
		{name: "revisions diff switch", run: testGQLRevisions},
		{name: "relations", run: testGQLRelations},
		{name: "unique and refs", run: testGQLUniqueRefs},
		{name: "request errors", run: testGQLRequestErrors},
		{name: "limits", config: func(cfg *server.Config) { cfg.BodyLimit = 2048 }, run: testGQLLimits},
		{name: "graphiql", run: testGraphiQL},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, newGQLServer(t, b, tt.config))
				})
			}
		})
	}
}

func testGQLCreateRead(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	in := postInput("Typed fields", "typed-fields", author,
		"status", "PUBLISHED", "tags", []any{"go", "graphql"}, "views", "9007199254740993",
		"rating", 4.5, "featured", true, "publishedAt", "2024-05-01T12:00:00+02:00",
		"metadata", map[string]any{"a": []any{1, "x", nil}})
	d := s.query(`mutation($in: PostInput!) { createPost(input: $in) { `+postFields+` } }`, "in", in)
	id := d.str("createPost.id")
	wantJSON(t, "created data", d.get("createPost.data"), fmt.Sprintf(`{
		"title": "Typed fields", "slug": "typed-fields", "body": null, "status": "PUBLISHED",
		"tags": ["go", "graphql"], "views": 9007199254740993, "rating": 4.5, "featured": true,
		"publishedAt": "2024-05-01T10:00:00Z", "author": %q, "editor": null, "metadata": {"a": [1, "x", null]}, "reviewNotes": null, "cover": null, "attachments": null}`, author))
	if got := d.str("createPost.etag"); got != etag(rev(id, 1)) {
		t.Errorf("etag %s, want %s", got, etag(rev(id, 1)))
	}
	if got := d.str("createPost.revisionInfo.status"); got != "STABLE" {
		t.Errorf("status %s, want STABLE", got)
	}
	if d.str("createPost.meta.resourceId") != id || d.num("createPost.revisionInfo.number") != 1 {
		t.Errorf("meta/revisionInfo mismatch: %s", mustMarshal(t, d.v))
	}
	// Defaults apply as in REST.
	def := s.query(`query($id: ID!) { post(id: $id) { data { status views featured } } }`,
		"id", s.createPost(postInput("Defaults", "defaults", author)))
	wantJSON(t, "defaults", def.get("post.data"), `{"status": "DRAFT", "views": 0, "featured": false}`)

	r := s.query(`query($id: ID!) { post(id: $id) { `+postFields+` } }`, "id", id)
	wantJSON(t, "read", r.get("post"), mustMarshal(t, d.get("createPost")))
	// A nested object and its absence.
	a := s.query(`mutation { updateAuthor(id: "` + author + `", input: {name: "Ada", email: "ada@example.com", address: {city: "Paris", country: "FR"}}) { data { address { city country } } } }`)
	wantJSON(t, "address", a.get("updateAuthor.data.address"), `{"city": "Paris", "country": "FR"}`)
	old := s.query(`query($id: ID!) { author(id: $id, revision: "1") { data { address { city } } revisionInfo { number } } }`, "id", author)
	wantJSON(t, "revision 1", old.get("author"), `{"data": {"address": null}, "revisionInfo": {"number": 1}}`)
	s.fail("NOT_FOUND", `{ post(id: "no-such-id") { id } }`)
	s.fail("NOT_FOUND", `query($id: ID!) { post(id: $id, revision: "7") { id } }`, "id", id)
}

// seedPosts creates the posts the list tests read and returns their ids
// by slug.
func seedPosts(s *gqlServer) (map[string]string, string, string) {
	ada := s.createAuthor("Ada", "ada@example.com")
	bob := s.createAuthor("Bob", "bob@example.com")
	ids := map[string]string{}
	for _, p := range []map[string]any{
		postInput("Alpha", "alpha", ada, "status", "PUBLISHED", "views", 10, "tags", []any{"go"}, "publishedAt", "2024-01-01T00:00:00Z", "rating", 4.0),
		postInput("Beta", "beta", ada, "status", "DRAFT", "views", 5, "tags", []any{"go", "db"}),
		postInput("Gamma", "gamma", bob, "status", "PUBLISHED", "views", 50, "tags", []any{"db"}, "publishedAt", "2024-03-01T00:00:00Z", "featured", true),
		postInput("Delta", "delta", bob, "status", "ARCHIVED", "views", 0, "publishedAt", "2023-06-01T00:00:00Z", "editor", ada),
		// Published without a time: the Post hooks (blog/hooks.go) stamp it
		// with the time of the write, after every other post's.
		postInput("alphabet soup", "soup", bob, "status", "PUBLISHED", "views", 7, "tags", []any{"food"}),
	} {
		ids[p["slug"].(string)] = s.createPost(p)
	}
	return ids, ada, bob
}

func testGQLList(t *testing.T, s *gqlServer) {
	ids, ada, _ := seedPosts(s)
	slugs := func(d gqlData) []string {
		d.t.Helper()
		var out []string
		for i := range d.list("posts.nodes") {
			out = append(out, d.str(fmt.Sprintf("posts.nodes.%d.data.slug", i)))
		}
		return out
	}
	tests := []struct {
		name    string
		filter  string
		orderBy string
		want    []string
	}{
		{name: "all by title (bytewise)", filter: `{}`, orderBy: `[{field: TITLE}]`, want: []string{"alpha", "beta", "delta", "gamma", "soup"}},
		{name: "contains ignores case", filter: `{title: {contains: "ALPHA"}}`, orderBy: `[{field: TITLE}]`, want: []string{"alpha", "soup"}},
		{name: "prefix is case-sensitive", filter: `{title: {prefix: "al"}}`, want: []string{"soup"}},
		{name: "enum eq", filter: `{status: {eq: PUBLISHED}}`, orderBy: `[{field: VIEWS, direction: DESC}]`, want: []string{"gamma", "alpha", "soup"}},
		{name: "enum in", filter: `{status: {in: [DRAFT, ARCHIVED]}}`, orderBy: `[{field: VIEWS}]`, want: []string{"delta", "beta"}},
		{name: "int range", filter: `{views: {gte: 5, lt: 50}}`, orderBy: `[{field: VIEWS}]`, want: []string{"beta", "soup", "alpha"}},
		{name: "list element", filter: `{tags: {eq: "db"}}`, orderBy: `[{field: TITLE}]`, want: []string{"beta", "gamma"}},
		{name: "time", filter: `{publishedAt: {gte: "2023-12-31T23:00:00-01:00"}}`, orderBy: `[{field: PUBLISHED_AT, direction: DESC}]`, want: []string{"soup", "gamma", "alpha"}},
		{name: "is null", filter: `{publishedAt: {isNull: true}}`, orderBy: `[{field: TITLE}]`, want: []string{"beta"}},
		{name: "ref", filter: `{author: {eq: "` + ada + `"}}`, orderBy: `[{field: TITLE}]`, want: []string{"alpha", "beta"}},
		{name: "or and not", filter: `{or: [{views: {gt: 20}}, {tags: {eq: "food"}}], not: {status: {eq: ARCHIVED}}}`, orderBy: `[{field: VIEWS}]`, want: []string{"soup", "gamma"}},
		{name: "and", filter: `{and: [{tags: {eq: "go"}}, {status: {ne: DRAFT}}]}`, want: []string{"alpha"}},
		{name: "resource id", filter: `{resourceId: {in: ["` + ids["beta"] + `", "` + ids["delta"] + `"]}}`, orderBy: `[{field: RESOURCE_ID}]`, want: []string{"beta", "delta"}},
		{name: "default order: -published_at (nulls last), title", filter: `{status: {ne: ARCHIVED}}`, want: []string{"soup", "gamma", "alpha", "beta"}},
		{name: "several keys", filter: `{}`, orderBy: `[{field: STATUS}, {field: VIEWS, direction: DESC}]`, want: []string{"delta", "beta", "gamma", "alpha", "soup"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s.with(t)
			args := "filter: " + tt.filter
			if tt.orderBy != "" {
				args += ", orderBy: " + tt.orderBy
			}
			d := s.query(`{ posts(` + args + `) { totalCount nodes { data { slug } } } }`)
			if got := slugs(d); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("slugs %v, want %v", got, tt.want)
			}
			if d.num("posts.totalCount") != len(tt.want) {
				t.Errorf("totalCount %d, want %d", d.num("posts.totalCount"), len(tt.want))
			}
		})
	}

	// Paging with first and after visits every post once, in order.
	var seen []string
	after := any(nil)
	for page := 0; ; page++ {
		d := s.query(`query($after: String) { posts(orderBy: [{field: VIEWS}], first: 2, after: $after) {
			edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, "after", after)
		edges := d.list("posts.edges")
		for i := range edges {
			seen = append(seen, d.str(fmt.Sprintf("posts.edges.%d.node.id", i)))
			if d.str(fmt.Sprintf("posts.edges.%d.cursor", i)) == "" {
				t.Errorf("page %d edge %d has no cursor", page, i)
			}
		}
		if len(edges) > 0 && d.str("posts.pageInfo.endCursor") != d.str(fmt.Sprintf("posts.edges.%d.cursor", len(edges)-1)) {
			t.Errorf("page %d: endCursor is not the last edge's cursor", page)
		}
		if d.get("posts.pageInfo.hasNextPage") != true {
			break
		}
		after = d.str("posts.pageInfo.endCursor")
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	want := []string{ids["delta"], ids["beta"], ids["soup"], ids["alpha"], ids["gamma"]}
	if strings.Join(seen, ",") != strings.Join(want, ",") {
		t.Errorf("paged ids %v, want %v", seen, want)
	}
	// An edge's cursor continues after that edge.
	d := s.query(`{ posts(orderBy: [{field: VIEWS}]) { edges { cursor } } }`)
	next := s.query(`query($c: String) { posts(orderBy: [{field: VIEWS}], after: $c) { nodes { id } } }`, "c", d.str("posts.edges.1.cursor"))
	if got := next.ids("posts.nodes"); strings.Join(got, ",") != strings.Join(want[2:], ",") {
		t.Errorf("after the second edge: %v, want %v", got, want[2:])
	}
	// Deleted posts appear only with includeDeleted.
	s.query(`mutation($id: ID!) { deletePost(id: $id) { id } }`, "id", ids["beta"])
	if n := s.query(`{ posts { totalCount } }`).num("posts.totalCount"); n != 4 {
		t.Errorf("totalCount without deleted %d, want 4", n)
	}
	if n := s.query(`{ posts(includeDeleted: true) { totalCount } }`).num("posts.totalCount"); n != 5 {
		t.Errorf("totalCount with deleted %d, want 5", n)
	}
}

func testGQLUpdate(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	id := s.createPost(postInput("First", "first", author))
	const update = `mutation($id: ID!, $in: PostInput!, $ifMatch: String) {
		updatePost(id: $id, input: $in, ifMatch: $ifMatch) { etag data { title } revisionInfo { number parentRevisionId } } }`
	d := s.query(update, "id", id, "in", postInput("Second", "first", author), "ifMatch", etag(rev(id, 1)))
	if d.num("updatePost.revisionInfo.number") != 2 || d.str("updatePost.revisionInfo.parentRevisionId") != rev(id, 1) {
		t.Errorf("update wrote %s", mustMarshal(t, d.v))
	}
	// An unquoted etag matches too; the stale one does not.
	s.query(update, "id", id, "in", postInput("Third", "first", author), "ifMatch", rev(id, 2))
	e := s.fail("PRECONDITION_FAILED", update, "id", id, "in", postInput("Fourth", "first", author), "ifMatch", etag(rev(id, 1)))
	if !strings.Contains(e.Message, "match") {
		t.Errorf("412 message %q", e.Message)
	}
	// The same content writes nothing.
	same := s.query(update, "id", id, "in", postInput("Third", "first", author))
	if same.num("updatePost.revisionInfo.number") != 3 {
		t.Errorf("identical update wrote revision %d", same.num("updatePost.revisionInfo.number"))
	}
	s.fail("NOT_FOUND", update, "id", "nope", "in", postInput("Fourth", "first", author))
}

func testGQLDrafts(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	d := s.query(`mutation($in: PostInput!) { createPost(input: $in, status: DRAFT) { id etag revisionInfo { revisionId status dataHash } } }`,
		"in", postInput("Draft", "draft", author))
	id := d.str("createPost.id")
	if d.str("createPost.revisionInfo.status") != "DRAFT" {
		t.Fatalf("created %s", mustMarshal(t, d.v))
	}
	if want := draftETag(rev(id, 1), d.str("createPost.revisionInfo.dataHash")); d.str("createPost.etag") != want {
		t.Errorf("draft etag %s, want %s", d.str("createPost.etag"), want)
	}
	const modify = `mutation($id: ID!, $in: PostInput!, $status: RevisionStatus) {
		updatePost(id: $id, input: $in, mode: MODIFY, status: $status) { revisionInfo { revisionId status } data { title } } }`
	m := s.query(modify, "id", id, "in", postInput("Draft 2", "draft", author))
	if m.str("updatePost.revisionInfo.revisionId") != rev(id, 1) || m.str("updatePost.data.title") != "Draft 2" {
		t.Errorf("modify of a draft: %s", mustMarshal(t, m.v))
	}
	sealed := s.query(modify, "id", id, "in", postInput("Final", "draft", author), "status", "STABLE")
	if sealed.str("updatePost.revisionInfo.status") != "STABLE" || sealed.str("updatePost.revisionInfo.revisionId") != rev(id, 1) {
		t.Errorf("seal: %s", mustMarshal(t, sealed.v))
	}
	s.fail("CONFLICT", modify, "id", id, "in", postInput("Again", "draft", author))
	reopened := s.query(modify, "id", id, "in", postInput("Again", "draft", author), "status", "DRAFT")
	if reopened.str("updatePost.revisionInfo.status") != "DRAFT" {
		t.Errorf("reopen: %s", mustMarshal(t, reopened.v))
	}
}

func testGQLPatch(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	id := s.createPost(postInput("Patch me", "patch-me", author, "body", "text", "tags", []any{"a"}))
	const patch = `mutation($id: ID!, $p: JSON!, $ifMatch: String) { patchPost(id: $id, patch: $p, ifMatch: $ifMatch) { data { title body tags views } revisionInfo { number } } }`
	d := s.query(patch, "id", id, "p", map[string]any{"title": "Patched", "body": nil, "views": 3}, "ifMatch", etag(rev(id, 1)))
	wantJSON(t, "patched", d.get("patchPost"), `{"data": {"title": "Patched", "body": null, "tags": ["a"], "views": 3}, "revisionInfo": {"number": 2}}`)
	// A literal patch works as a variable does.
	s.query(`mutation { patchPost(id: "` + id + `", patch: {tags: ["b", "c"]}) { id } }`)
	// The patch speaks GraphQL: field names and enum values as the schema
	// writes them, and null clears a field (it was ignored: dueAt-style
	// keys matched nothing).
	const full = `mutation($id: ID!, $p: JSON!) { patchPost(id: $id, patch: $p) { data { status publishedAt } } }`
	d = s.query(full, "id", id, "p", map[string]any{"status": "PUBLISHED", "publishedAt": "2024-05-01T08:00:00Z"})
	wantJSON(t, "GraphQL names", d.get("patchPost"), `{"data": {"status": "PUBLISHED", "publishedAt": "2024-05-01T08:00:00Z"}}`)
	d = s.query(full, "id", id, "p", map[string]any{"publishedAt": nil})
	wantJSON(t, "null clears", d.get("patchPost"), `{"data": {"status": "PUBLISHED", "publishedAt": null}}`)
	tests := []struct {
		name   string
		patch  any
		code   string
		fields []string
	}{
		{name: "not an object", patch: []any{1}, code: "BAD_REQUEST", fields: []string{"patch"}},
		{name: "invalid result", patch: map[string]any{"title": "x", "views": -1}, code: "VALIDATION_ERROR", fields: []string{"title", "views"}},
		{name: "unknown field", patch: map[string]any{"nickname": "x"}, code: "VALIDATION_ERROR", fields: []string{"nickname"}},
		{name: "REST name", patch: map[string]any{"published_at": nil}, code: "VALIDATION_ERROR", fields: []string{"published_at"}},
		{name: "REST enum value", patch: map[string]any{"status": "draft"}, code: "VALIDATION_ERROR", fields: []string{"status"}},
		{name: "required field removed", patch: map[string]any{"author": nil}, code: "VALIDATION_ERROR", fields: []string{"author"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := s.with(t).fail(tt.code, patch, "id", id, "p", tt.patch)
			var got []string
			for _, fe := range e.Extensions.Errors {
				got = append(got, fe.Field)
			}
			wantFields(t, tt.name, got, tt.fields)
		})
	}
	s.fail("PRECONDITION_FAILED", patch, "id", id, "p", map[string]any{"title": "Late"}, "ifMatch", etag(rev(id, 1)))
}

func testGQLDeleteRestorePurge(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	id := s.createPost(postInput("Doomed", "doomed", author))
	d := s.query(`mutation($id: ID!) { deletePost(id: $id, ifMatch: "*") { meta { isDeleted } } }`, "id", id)
	if d.get("deletePost.meta.isDeleted") != true {
		t.Errorf("delete: %s", mustMarshal(t, d.v))
	}
	s.fail("GONE", `query($id: ID!) { post(id: $id) { id } }`, "id", id)
	s.fail("GONE", `mutation($id: ID!) { deletePost(id: $id) { id } }`, "id", id)
	if s.query(`query($id: ID!) { post(id: $id, includeDeleted: true) { meta { isDeleted } } }`, "id", id).get("post.meta.isDeleted") != true {
		t.Error("includeDeleted read")
	}
	r := s.query(`mutation($id: ID!) { restorePost(id: $id) { meta { isDeleted } } }`, "id", id)
	if r.get("restorePost.meta.isDeleted") != false {
		t.Errorf("restore: %s", mustMarshal(t, r.v))
	}
	s.fail("CONFLICT", `mutation($id: ID!) { restorePost(id: $id) { id } }`, "id", id)
	s.fail("PRECONDITION_FAILED", `mutation($id: ID!) { purgePost(id: $id, ifMatch: "\"x:9\"") }`, "id", id)
	if got := s.query(`mutation($id: ID!) { purgePost(id: $id) }`, "id", id).str("purgePost"); got != id {
		t.Errorf("purge returned %q", got)
	}
	s.fail("NOT_FOUND", `query($id: ID!) { post(id: $id, includeDeleted: true) { id } }`, "id", id)
}

// testGQLRestoreCascade: deleting an author soft-deletes its posts
// (on_delete: cascade); restoreAuthor brings them back only when asked.
func testGQLRestoreCascade(t *testing.T, s *gqlServer) {
	deleted := func(id string) any {
		return s.query(`query($id: ID!) { post(id: $id, includeDeleted: true) { meta { isDeleted } } }`, "id", id).get("post.meta.isDeleted")
	}
	for _, cascade := range []bool{false, true} {
		author := s.createAuthor("Ada", fmt.Sprintf("ada-%t@example.com", cascade))
		post := s.createPost(postInput("Cascaded", fmt.Sprintf("cascaded-%t", cascade), author))
		s.query(`mutation($id: ID!) { deleteAuthor(id: $id) { id } }`, "id", author)
		if deleted(post) != true {
			t.Fatalf("cascade=%t: deleting the author left its post live", cascade)
		}
		r := s.query(`mutation($id: ID!, $c: Boolean) { restoreAuthor(id: $id, cascade: $c) { meta { isDeleted } } }`, "id", author, "c", cascade)
		if r.get("restoreAuthor.meta.isDeleted") != false {
			t.Errorf("cascade=%t: restore: %s", cascade, mustMarshal(t, r.v))
		}
		if got := deleted(post); got != !cascade {
			t.Errorf("cascade=%t: post isDeleted = %v after the author's restore, want %t", cascade, got, !cascade)
		}
	}
}

func testGQLRevisions(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	id := s.createPost(postInput("One", "rev", author))
	for _, title := range []string{"Two", "Three"} {
		s.query(`mutation($id: ID!, $in: PostInput!) { updatePost(id: $id, input: $in) { id } }`, "id", id, "in", postInput(title, "rev", author))
	}
	const revs = `query($id: ID!, $first: Int, $after: String, $chain: Boolean) { post(id: $id) {
		revisions(first: $first, after: $after, chain: $chain) { nodes { revisionId number status } edges { cursor } pageInfo { hasNextPage endCursor } } } }`
	d := s.query(revs, "id", id)
	var got []string
	for i := range d.list("post.revisions.nodes") {
		got = append(got, d.str(fmt.Sprintf("post.revisions.nodes.%d.revisionId", i)))
	}
	if want := []string{rev(id, 3), rev(id, 2), rev(id, 1)}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("revisions %v, want %v", got, want)
	}
	p1 := s.query(revs, "id", id, "first", 1)
	if p1.get("post.revisions.pageInfo.hasNextPage") != true {
		t.Fatal("first page of one has no next page")
	}
	p2 := s.query(revs, "id", id, "first", 1, "after", p1.str("post.revisions.edges.0.cursor"))
	if p2.str("post.revisions.nodes.0.revisionId") != rev(id, 2) {
		t.Errorf("second page: %s", mustMarshal(t, p2.v))
	}

	diff := s.query(`query($id: ID!) { post(id: $id) { diff } old: post(id: $id, revision: "2") { diff(against: "3") } }`, "id", id)
	wantJSON(t, "diff", diff.get("post.diff"), `[{"op": "replace", "path": "/title", "value": "Three"}]`)
	wantJSON(t, "diff against", diff.get("old.diff"), `[{"op": "replace", "path": "/title", "value": "Two"}]`)
	s.fail("NOT_FOUND", `query($id: ID!) { post(id: $id) { diff(against: "9") } }`, "id", id)

	sw := s.query(`mutation($id: ID!, $ifMatch: String) { switchPostRevision(id: $id, revision: "1", ifMatch: $ifMatch) { data { title } revisionInfo { revisionId } meta { currentRevisionId } } }`,
		"id", id, "ifMatch", etag(rev(id, 3)))
	wantJSON(t, "switched", sw.get("switchPostRevision"), fmt.Sprintf(`{"data": {"title": "One"}, "revisionInfo": {"revisionId": %q}, "meta": {"currentRevisionId": %q}}`, rev(id, 1), rev(id, 1)))
	chain := s.query(revs, "id", id, "chain", true)
	if n := len(chain.list("post.revisions.nodes")); n != 1 {
		t.Errorf("chain after switch to 1 has %d revisions, want 1", n)
	}
	s.fail("NOT_FOUND", `mutation($id: ID!) { switchPostRevision(id: $id, revision: "8") { id } }`, "id", id)
}

func testGQLRelations(t *testing.T, s *gqlServer) {
	ids, ada, bob := seedPosts(s)
	s.query(`mutation($in: CommentInput!) { createComment(input: $in) { id } }`,
		"in", map[string]any{"post": ids["gamma"], "authorName": "Reader", "body": "Nice"})
	d := s.query(`{ posts(orderBy: [{field: TITLE}]) { nodes { data { slug } author { id data { name } } editor { id data { name } } } } }`)
	for i, want := range []struct{ slug, author, editor string }{
		{"alpha", "Ada", ""}, {"beta", "Ada", ""}, {"delta", "Bob", "Ada"}, {"gamma", "Bob", ""}, {"soup", "Bob", ""},
	} {
		p := fmt.Sprintf("posts.nodes.%d.", i)
		if d.str(p+"data.slug") != want.slug || d.str(p+"author.data.name") != want.author {
			t.Errorf("post %d: %s", i, mustMarshal(t, d.get(strings.TrimSuffix(p, "."))))
		}
		if want.editor == "" && d.get(p+"editor") != nil || want.editor != "" && d.str(p+"editor.data.name") != want.editor {
			t.Errorf("post %d editor: %v", i, d.get(p+"editor"))
		}
	}
	back := s.query(`query($id: ID!) { author(id: $id) { postsByAuthor(orderBy: [{field: TITLE}]) { totalCount nodes { data { slug } } }
		postsByEditor { totalCount }
		drafts: postsByAuthor(filter: {status: {eq: DRAFT}}) { nodes { data { slug } } } } }`, "id", ada)
	wantJSON(t, "back-references", back.get("author"), `{
		"postsByAuthor": {"totalCount": 2, "nodes": [{"data": {"slug": "alpha"}}, {"data": {"slug": "beta"}}]},
		"postsByEditor": {"totalCount": 1},
		"drafts": {"nodes": [{"data": {"slug": "beta"}}]}}`)
	c := s.query(`query($id: ID!) { post(id: $id) { commentsByPost { nodes { data { body } post { data { slug } } } } } }`, "id", ids["gamma"])
	wantJSON(t, "comments", c.get("post.commentsByPost.nodes"), `[{"data": {"body": "Nice"}, "post": {"data": {"slug": "gamma"}}}]`)
	// set_null: deleting the editor clears the ref with a new revision.
	s.query(`mutation($id: ID!) { deleteAuthor(id: $id) { id } }`, "id", ada)
	after := s.query(`query($id: ID!) { post(id: $id) { editor { id } data { editor } } }`, "id", ids["delta"])
	wantJSON(t, "after set_null", after.get("post"), `{"editor": null, "data": {"editor": null}}`)
	// cascade: Ada's posts went with her, Bob's stay.
	if n := s.query(`{ posts { totalCount } }`).num("posts.totalCount"); n != 3 {
		t.Errorf("%d posts after the cascade, want 3", n)
	}
	_ = bob
}

func testGQLUniqueRefs(t *testing.T, s *gqlServer) {
	author := s.createAuthor("Ada", "ada@example.com")
	post := s.createPost(postInput("Unique", "unique", author))
	const create = `mutation($in: PostInput!) { createPost(input: $in) { id } }`
	e := s.fail("CONFLICT", create, "in", postInput("Other", "unique", author))
	if len(e.Extensions.Errors) != 1 || e.Extensions.Errors[0].Field != "slug" {
		t.Errorf("unique conflict names %+v, want slug", e.Extensions.Errors)
	}
	e = s.fail("VALIDATION_ERROR", create, "in", postInput("Orphan", "orphan", "no-such-author"))
	if len(e.Extensions.Errors) != 1 || e.Extensions.Errors[0].Field != "author" {
		t.Errorf("missing ref names %+v, want author", e.Extensions.Errors)
	}
	e = s.fail("VALIDATION_ERROR", create, "in", postInput("x", "Bad Slug", author, "views", -1, "rating", 9))
	var fields []string
	for _, fe := range e.Extensions.Errors {
		fields = append(fields, fe.Field)
		if fe.Message == "" {
			t.Errorf("field error without message: %+v", fe)
		}
	}
	wantFields(t, "validation", fields, []string{"title", "slug", "views", "rating"})
	s.query(`mutation($in: CommentInput!) { createComment(input: $in) { id } }`,
		"in", map[string]any{"post": post, "authorName": "R", "body": "b"})
	e = s.fail("CONFLICT", `mutation($id: ID!) { deletePost(id: $id) { id } }`, "id", post)
	if len(e.Extensions.Errors) == 0 || e.Extensions.Errors[0].Field != "Comment.post" {
		t.Errorf("restrict conflict names %+v, want Comment.post", e.Extensions.Errors)
	}
}

func testGQLRequestErrors(t *testing.T, s *gqlServer) {
	tests := []struct {
		name   string
		query  string
		reason string
		msg    string
	}{
		{name: "syntax", query: `{ posts {`, reason: "GRAPHQL_PARSE_FAILED"},
		{name: "unknown field", query: `{ posts { nope } }`, reason: "GRAPHQL_VALIDATION_FAILED", msg: "nope"},
		{name: "missing required input field", query: `mutation { createPost(input: {title: "x"}) { id } }`, reason: "GRAPHQL_VALIDATION_FAILED"},
		{name: "bad enum", query: `{ posts(filter: {status: {eq: LOUD}}) { totalCount } }`, reason: "GRAPHQL_VALIDATION_FAILED"},
		{name: "first out of range", query: `{ posts(first: 0) { totalCount } }`, msg: "first must be between 1 and 1000"},
		{name: "bad cursor", query: `{ posts(after: "garbage") { totalCount } }`, msg: "cursor"},
		{name: "cursor of another order", query: `{ posts(after: "eyJrIjpbbnVsbCwiYSJdLCJoIjoieCJ9") { totalCount } }`, msg: "cursor"},
		{name: "bad time", query: `{ posts(filter: {publishedAt: {gt: "yesterday"}}) { totalCount } }`},
		{name: "too deep", query: `{ posts(first: 1) { nodes { author { postsByAuthor(first: 1) { nodes { author { postsByAuthor(first: 1) { nodes { author { postsByAuthor(first: 1) { nodes { data { title } } } } } } } } } } } } }`,
			reason: "DEPTH_LIMIT_EXCEEDED", msg: "exceeds the limit of 12"},
		{name: "too complex", query: `{ posts(first: 1000) { nodes { author { postsByAuthor(first: 1000) { nodes { id } } } } } }`,
			reason: "COMPLEXITY_LIMIT_EXCEEDED", msg: "exceeds the limit"},
		{name: "subscription without a stream", query: `subscription { postChanged { id } }`, msg: "subscriptions need a stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := s.with(t).post(mustMarshal(t, map[string]any{"query": tt.query}))
			var resp struct {
				Data   any        `json:"data"`
				Errors []gqlError `json:"errors"`
			}
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatalf("status %d, body %s: %v", status, body, err)
			}
			if len(resp.Errors) == 0 {
				t.Fatalf("no error; status %d, body %s", status, body)
			}
			e := resp.Errors[0]
			if e.Extensions.Code != "BAD_REQUEST" || e.Extensions.Reason != tt.reason || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("error %+v, want BAD_REQUEST, reason %q, message with %q", e, tt.reason, tt.msg)
			}
		})
	}
}

func testGQLLimits(t *testing.T, s *gqlServer) {
	big := mustMarshal(t, map[string]any{"query": "{ posts { totalCount } }", "variables": map[string]any{"pad": strings.Repeat("x", 4096)}})
	status, _, body := s.post(big)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"code":"PAYLOAD_TOO_LARGE"`) {
		t.Errorf("oversized body: %d %s", status, body)
	}
	status, _, body = s.post(`{"query": "{ posts { totalCount } }"}`)
	if status != http.StatusOK || !strings.Contains(string(body), `"totalCount":0`) {
		t.Errorf("small body: %d %s", status, body)
	}
}

// externalURL finds URLs that point anywhere but the server itself.
var externalURL = regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)

func testGraphiQL(t *testing.T, s *gqlServer) {
	req, _ := http.NewRequest(http.MethodGet, s.url+"/graphql", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	status, h, page := s.do(req)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("GraphiQL page: %d %s", status, h.Get("Content-Type"))
	}
	if m := externalURL.FindString(string(page)); m != "" {
		t.Errorf("the page refers to %s; every asset must be served by the server", m)
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("CSP %q", h.Get("Content-Security-Policy"))
	}
	srcs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(string(page), -1)
	if len(srcs) != 5 {
		t.Errorf("page loads %d assets, want 5: %v", len(srcs), srcs)
	}
	for _, m := range srcs {
		u := "/" + m[1] // relative to the endpoint's directory, the root
		status, h, body := s.do(mustRequest(t, http.MethodGet, s.url+u))
		if status != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: %d", u, status)
		}
		if ext := filepath.Ext(u); ext == ".js" && !strings.Contains(h.Get("Content-Type"), "javascript") || ext == ".css" && !strings.Contains(h.Get("Content-Type"), "css") {
			t.Errorf("GET %s: Content-Type %s", u, h.Get("Content-Type"))
		}
	}
	for _, name := range []string{"LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom"} {
		if status, _, _ := s.do(mustRequest(t, http.MethodGet, s.url+"/graphql/assets/"+name)); status != http.StatusOK {
			t.Errorf("GET %s: %d", name, status)
		}
	}
	if status, _, _ := s.do(mustRequest(t, http.MethodGet, s.url+"/graphql/assets/nope.js")); status != http.StatusNotFound {
		t.Errorf("missing asset: %d", status)
	}
	// Queries over GET still work, and GET refuses mutations.
	status, _, body := s.do(mustRequest(t, http.MethodGet, s.url+"/graphql?query="+urlQueryEscape(`{ posts { totalCount } }`)))
	if status != http.StatusOK || !strings.Contains(string(body), `"totalCount":0`) {
		t.Errorf("GET query: %d %s", status, body)
	}
	status, _, body = s.do(mustRequest(t, http.MethodGet, s.url+"/graphql?query="+urlQueryEscape(`mutation { purgePost(id: "x") }`)))
	if status == http.StatusOK && !strings.Contains(string(body), "errors") {
		t.Errorf("GET mutation ran: %d %s", status, body)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
