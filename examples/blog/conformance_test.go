package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/server"
)

// TestConformance runs the REST contract of DESIGN.md §4-§5 (as documented
// in docs/rest.md) against every backend. Each subtest starts its own server
// on an empty store, so subtests are independent and run in parallel.
func TestConformance(t *testing.T) {
	tests := []struct {
		name   string
		config func(*server.Config) // optional configuration change
		run    func(t *testing.T, c *client)
	}{
		{name: "create", run: testCreate},
		{name: "field types round-trip", run: testFieldTypes},
		{name: "list paging", run: testListPaging},
		{name: "list deleted and count", run: testListDeletedAndCount},
		{name: "read", run: testRead},
		{name: "put", run: testPut},
		{name: "if-match", run: testIfMatch},
		{name: "drafts", run: testDrafts},
		{name: "patch", run: testPatch},
		{name: "delete restore purge", run: testDeleteRestorePurge},
		{name: "revisions", run: testRevisions},
		{name: "one revision", run: testOneRevision},
		{name: "diff", run: testDiff},
		{name: "switch", run: testSwitch},
		{name: "unique", run: testUnique},
		{name: "unique concurrent creates", run: testUniqueConcurrent},
		{name: "refs checked on write", run: testRefs},
		{name: "on_delete cascade", run: testCascade},
		{name: "on_delete set_null", run: testSetNull},
		{name: "on_delete restrict", run: testRestrict},
		{name: "concurrent if-match updates", run: testConcurrentIfMatch},
		{name: "validation errors", run: testValidation},
		{name: "bad requests", run: testBadRequest},
		{name: "unsupported media type", run: testUnsupportedMediaType},
		{name: "not found", run: testNotFound},
		{name: "body limit", config: func(cfg *server.Config) { cfg.BodyLimit = 512 }, run: testBodyLimit},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, newClient(t, b, tt.config))
				})
			}
		})
	}
}

func testCreate(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	r := c.must(http.StatusCreated, "POST", "/api/posts", postBody("Hello world", "hello-world", author))
	checkEnvelope(t, r, "")
	id := r.str(t, "meta.resource_id")

	if loc := r.Header.Get("Location"); !strings.HasSuffix(loc, "/api/posts/"+id) {
		t.Errorf("Location %q, want a URL ending in /api/posts/%s", loc, id)
	}
	if got := r.Header.Get("ETag"); got != etag(rev(id, 1)) {
		t.Errorf("ETag %s, want %s", got, etag(rev(id, 1)))
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	wantJSON(t, "data (defaults applied, unset optional fields null)", r.get(t, "data"), fmt.Sprintf(`{
		"title": "Hello world", "slug": "hello-world", "body": null, "status": "draft",
		"tags": null, "views": 0, "rating": null, "featured": false, "published_at": null,
		"author": %q, "editor": null, "metadata": null, "review_notes": null, "cover": null, "attachments": null}`, author))

	meta := []struct {
		path string
		want any
	}{
		{"meta.current_revision_id", rev(id, 1)},
		{"meta.total_revision_count", 1.0},
		{"meta.is_deleted", false},
		{"meta.created_by", testAdmin.ID},
		{"meta.updated_by", testAdmin.ID},
		{"meta.updated_time", r.get(t, "meta.created_time")},
		{"revision_info.revision_id", rev(id, 1)},
		{"revision_info.parent_revision_id", nil},
		{"revision_info.status", "stable"},
		{"revision_info.schema_version", r.get(t, "meta.schema_version")},
		{"revision_info.created_time", r.get(t, "meta.created_time")},
		{"revision_info.created_by", testAdmin.ID},
		{"revision_info.data_hash", dataHash(t, r)},
	}
	for _, m := range meta {
		if got := r.get(t, m.path); got != m.want {
			t.Errorf("%s = %v, want %v", m.path, got, m.want)
		}
	}

	// The Location names the new resource; reading it gives the same envelope.
	got := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil)
	wantJSON(t, "read after create", got.JSON, string(r.Body))

	// A second resource gets another id; ids are time-ordered (UUIDv7).
	second := c.createPost("Second post", "second", author)
	if second <= id {
		t.Errorf("second id %s does not sort after first id %s", second, id)
	}
}

func testFieldTypes(t *testing.T, c *client) {
	r := c.must(http.StatusCreated, "POST", "/api/authors", map[string]any{
		"name": "Grace", "email": "grace@example.com", "bio": "Rear admiral.",
		"website": "https://example.com/grace", "address": map[string]any{"city": "Arlington", "country": "US"},
	})
	author := r.str(t, "meta.resource_id")
	wantJSON(t, "author data", r.get(t, "data"), `{"name": "Grace", "email": "grace@example.com",
		"bio": "Rear admiral.", "website": "https://example.com/grace",
		"address": {"city": "Arlington", "country": "US"}}`)

	// A nested object with an unset field reports it as null.
	r = c.must(http.StatusCreated, "POST", "/api/authors",
		map[string]any{"name": "Linus", "email": "linus@example.com", "address": map[string]any{"city": "Helsinki"}})
	wantJSON(t, "partial address", r.get(t, "data.address"), `{"city": "Helsinki", "country": null}`)

	post := map[string]any{
		"title": "All the types", "slug": "all-the-types", "body": "Long text\nwith lines.",
		"status": "published", "tags": []string{"go", "rest"}, "views": 42, "rating": 4.5,
		"featured": true, "published_at": "2024-05-01T08:30:00Z", "author": author, "editor": author,
		"metadata": map[string]any{"nested": []any{1, "two", map[string]any{"three": nil}}, "flag": true},
	}
	r = c.must(http.StatusCreated, "POST", "/api/posts", post)
	postID := r.str(t, "meta.resource_id")
	wantJSON(t, "post data", r.get(t, "data"), fmt.Sprintf(`{"title": "All the types",
		"slug": "all-the-types", "body": "Long text\nwith lines.", "status": "published",
		"tags": ["go", "rest"], "views": 42, "rating": 4.5, "featured": true,
		"published_at": "2024-05-01T08:30:00Z", "author": %q, "editor": %q,
		"metadata": {"nested": [1, "two", {"three": null}], "flag": true}, "review_notes": null, "cover": null, "attachments": null}`, author, author))

	// Reads return exactly what the write returned, on every backend.
	got := c.must(http.StatusOK, "GET", "/api/posts/"+postID, nil)
	wantJSON(t, "post read back", got.get(t, "data"), mustMarshal(t, r.get(t, "data")))

	// An empty list stays an empty list; uuids come back canonical lowercase.
	r = c.must(http.StatusCreated, "POST", "/api/posts", with(postBody("No tags", "no-tags", author), "tags", []string{}))
	wantJSON(t, "empty tags", r.get(t, "data.tags"), `[]`)
	r = c.must(http.StatusCreated, "POST", "/api/comments", map[string]any{
		"post": postID, "author_name": "Reader", "body": "Nice.", "day": "2024-05-02",
		"external_id": "6F9619FF-8B86-D011-B42D-00C04FC964FF",
	})
	wantJSON(t, "comment data", r.get(t, "data"), fmt.Sprintf(`{"post": %q, "author_name": "Reader",
		"body": "Nice.", "day": "2024-05-02", "external_id": "6f9619ff-8b86-d011-b42d-00c04fc964ff"}`, postID))
}

func testListPaging(t *testing.T, c *client) {
	author := c.createAuthor("Paging", "paging@example.com")
	var want []string
	for i := range 45 {
		want = append(want, c.createPost(fmt.Sprintf("Post number %02d", i), fmt.Sprintf("post-%02d", i), author))
	}

	// Default limit is 20, and there is a next page. Posts sort by
	// -published_at,title by default: these have no published_at and
	// titles in creation order.
	r := c.must(http.StatusOK, "GET", "/api/posts", nil)
	if n := len(r.list(t, "items")); n != 20 {
		t.Errorf("default page has %d items, want 20", n)
	}
	if _, ok := r.get(t, "next_cursor").(string); !ok {
		t.Fatalf("next_cursor = %v, want a cursor", r.get(t, "next_cursor"))
	}
	for i := range r.list(t, "items") {
		checkEnvelope(t, r, fmt.Sprintf("items.%d.", i))
	}
	if got := r.ids(t, "meta.resource_id"); !slices.Equal(got, want[:20]) {
		t.Errorf("first page is not the first 20 posts in creation order:\n got %v\nwant %v", got, want[:20])
	}
	again := c.must(http.StatusOK, "GET", "/api/posts", nil)
	if !slices.Equal(again.ids(t, "meta.resource_id"), r.ids(t, "meta.resource_id")) {
		t.Error("the same list request returned a different order")
	}

	// Walk the pages in creation order (posts sort by -published_at,title
	// by default); a post created mid-walk sorts last and is seen once.
	var got []string
	var sizes []int
	path := "/api/posts?limit=20&sort=resource_id"
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("paging does not end")
		}
		r := c.must(http.StatusOK, "GET", path, nil)
		ids := r.ids(t, "meta.resource_id")
		got = append(got, ids...)
		sizes = append(sizes, len(ids))
		if page == 0 {
			want = append(want, c.createPost("Created while paging", "created-while-paging", author))
		}
		next := r.get(t, "next_cursor")
		if next == nil {
			break
		}
		cursor, ok := next.(string)
		if !ok || cursor == "" {
			t.Fatalf("next_cursor = %v, want a non-empty string or null", next)
		}
		path = "/api/posts?limit=20&sort=resource_id&cursor=" + url.QueryEscape(cursor)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paging returned (dupes or skips):\n got %v\nwant %v", got, want)
	}
	if !slices.Equal(sizes, []int{20, 20, 6}) {
		t.Errorf("page sizes %v, want [20 20 6]", sizes)
	}

	limits := []struct {
		name  string
		query string
		want  int
	}{
		{name: "limit 1", query: "?limit=1", want: 1},
		{name: "limit 1000", query: "?limit=1000", want: 46},
	}
	for _, l := range limits {
		r := c.must(http.StatusOK, "GET", "/api/posts"+l.query, nil)
		if n := len(r.list(t, "items")); n != l.want {
			t.Errorf("%s: %d items, want %d", l.name, n, l.want)
		}
	}
	if r := c.must(http.StatusOK, "GET", "/api/posts?limit=1000", nil); r.get(t, "next_cursor") != nil {
		t.Errorf("next_cursor = %v on a complete page, want null", r.get(t, "next_cursor"))
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=-1", "limit=ten"} {
		c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", "/api/posts?"+q, nil)
	}
}

func testListDeletedAndCount(t *testing.T, c *client) {
	var ids []string
	for i := range 12 {
		ids = append(ids, c.createAuthor(fmt.Sprintf("Author %d", i), fmt.Sprintf("a%d@example.com", i)))
	}
	deleted := ids[2:5]
	for _, id := range deleted {
		c.must(http.StatusOK, "DELETE", "/api/authors/"+id, nil)
	}
	live := slices.Concat(ids[:2], ids[5:])

	lists := []struct {
		name  string
		query string
		want  []string
	}{
		{name: "default hides deleted", query: "", want: live},
		{name: "include_deleted", query: "include_deleted=true", want: ids},
		{name: "deleted only", query: "deleted=only", want: deleted},
	}
	for _, l := range lists {
		r := c.must(http.StatusOK, "GET", "/api/authors?limit=100&"+l.query, nil)
		if got := r.ids(t, "meta.resource_id"); !slices.Equal(got, l.want) {
			t.Errorf("%s: got %v, want %v", l.name, got, l.want)
		}
		for i := range r.list(t, "items") {
			isDel, _ := r.get(t, fmt.Sprintf("items.%d.meta.is_deleted", i)).(bool)
			if isDel != slices.Contains(deleted, r.str(t, fmt.Sprintf("items.%d.meta.resource_id", i))) {
				t.Errorf("%s: item %d has is_deleted %v", l.name, i, isDel)
			}
		}
		r = c.must(http.StatusOK, "GET", "/api/authors?count=true&limit=2&"+l.query, nil)
		if n := r.num(t, "total"); n != len(l.want) {
			t.Errorf("%s: total %d with count=true, want %d", l.name, n, len(l.want))
		}
		if n := len(r.list(t, "items")); n != 2 {
			t.Errorf("%s: %d items with limit=2, want 2", l.name, n)
		}
		if n := c.count("authors", "?"+l.query); n != len(l.want) {
			t.Errorf("%s: count %d, want %d", l.name, n, len(l.want))
		}
	}
	r := c.must(http.StatusOK, "GET", "/api/authors/count", nil)
	wantJSON(t, "count body", r.JSON, fmt.Sprintf(`{"count": %d}`, len(live)))
}

func testRead(t *testing.T, c *client) {
	id := c.createAuthor("Ada", "ada@example.com")
	other := c.createAuthor("Bob", "bob@example.com")
	c.must(http.StatusOK, "PUT", "/api/authors/"+id, map[string]any{"name": "Ada Lovelace", "email": "ada@example.com"})

	r := c.must(http.StatusOK, "GET", "/api/authors/"+id, nil)
	checkEnvelope(t, r, "")
	if got := r.Header.Get("ETag"); got != etag(rev(id, 2)) {
		t.Errorf("ETag %s, want %s", got, etag(rev(id, 2)))
	}
	if got := r.str(t, "data.name"); got != "Ada Lovelace" {
		t.Errorf("name %q, want the current revision's", got)
	}

	// Conditional GET.
	nm := c.must(http.StatusNotModified, "GET", "/api/authors/"+id, nil, "If-None-Match", etag(rev(id, 2)))
	if len(nm.Body) != 0 {
		t.Errorf("304 has a body: %s", nm.Body)
	}
	if got := nm.Header.Get("ETag"); got != etag(rev(id, 2)) {
		t.Errorf("304 ETag %s, want %s", got, etag(rev(id, 2)))
	}
	c.must(http.StatusOK, "GET", "/api/authors/"+id, nil, "If-None-Match", etag(rev(id, 1)))

	// Older revisions, by number and by full id; meta stays the resource's.
	for _, q := range []string{"1", rev(id, 1)} {
		r := c.must(http.StatusOK, "GET", "/api/authors/"+id+"?revision="+url.QueryEscape(q), nil)
		checkEnvelope(t, r, "")
		if got := r.str(t, "data.name"); got != "Ada" {
			t.Errorf("revision=%s: name %q, want Ada", q, got)
		}
		if got := r.str(t, "revision_info.revision_id"); got != rev(id, 1) {
			t.Errorf("revision=%s: revision_id %s", q, got)
		}
		if got := r.str(t, "meta.current_revision_id"); got != rev(id, 2) {
			t.Errorf("revision=%s: meta.current_revision_id %s, want %s", q, got, rev(id, 2))
		}
	}
	for _, q := range []string{"3", "0", rev(id, 9), rev(other, 1)} {
		c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/authors/"+id+"?revision="+url.QueryEscape(q), nil)
	}

	// Unknown ids.
	c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/authors/01900000-0000-7000-8000-000000000000", nil)
	c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/authors/not-an-id", nil)
	c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/posts/"+id, nil) // an author id is no post id

	// Deleted: 410 unless include_deleted.
	c.must(http.StatusOK, "DELETE", "/api/authors/"+id, nil)
	c.problem(http.StatusGone, "GONE", "GET", "/api/authors/"+id, nil)
	r = c.must(http.StatusOK, "GET", "/api/authors/"+id+"?include_deleted=true", nil)
	if r.get(t, "meta.is_deleted") != true {
		t.Error("include_deleted read: is_deleted is not true")
	}
	if got := r.str(t, "data.name"); got != "Ada Lovelace" {
		t.Errorf("include_deleted read: name %q", got)
	}
}

func testPut(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	full := with(postBody("First title", "first", author), "body", "text", "views", 7, "status", "published", "featured", true)
	created := c.must(http.StatusCreated, "POST", "/api/posts", full)
	id := created.str(t, "meta.resource_id")

	// PUT replaces the whole data: absent fields get their default or null.
	r := c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Second title", "first", author))
	checkEnvelope(t, r, "")
	wantJSON(t, "data after PUT", r.get(t, "data"), fmt.Sprintf(`{
		"title": "Second title", "slug": "first", "body": null, "status": "draft",
		"tags": null, "views": 0, "rating": null, "featured": false, "published_at": null,
		"author": %q, "editor": null, "metadata": null, "review_notes": null, "cover": null, "attachments": null}`, author))
	checks := []struct {
		path string
		want any
	}{
		{"revision_info.revision_id", rev(id, 2)},
		{"revision_info.parent_revision_id", rev(id, 1)},
		{"revision_info.status", "stable"},
		{"revision_info.data_hash", dataHash(t, r)},
		{"meta.current_revision_id", rev(id, 2)},
		{"meta.total_revision_count", 2.0},
		{"meta.created_time", created.get(t, "meta.created_time")},
	}
	for _, ch := range checks {
		if got := r.get(t, ch.path); got != ch.want {
			t.Errorf("%s = %v, want %v", ch.path, got, ch.want)
		}
	}
	if got := r.Header.Get("ETag"); got != etag(rev(id, 2)) {
		t.Errorf("ETag %s, want %s", got, etag(rev(id, 2)))
	}
	if r.str(t, "meta.updated_time") < r.str(t, "meta.created_time") {
		t.Error("updated_time is before created_time")
	}

	// An identical PUT writes nothing and returns the current revision.
	same := c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Second title", "first", author))
	wantJSON(t, "identical PUT envelope", same.JSON, string(r.Body))
	if got := same.Header.Get("ETag"); got != etag(rev(id, 2)) {
		t.Errorf("identical PUT: ETag %s, want %s", got, etag(rev(id, 2)))
	}
	if got := c.revisionIDs("posts", id, ""); !slices.Equal(got, []string{rev(id, 2), rev(id, 1)}) {
		t.Errorf("revisions after identical PUT: %v", got)
	}
	// So does a PUT whose explicit values equal the defaults.
	explicit := with(postBody("Second title", "first", author), "status", "draft", "views", 0, "featured", false, "body", nil)
	if got := c.must(http.StatusOK, "PUT", "/api/posts/"+id, explicit).str(t, "revision_info.revision_id"); got != rev(id, 2) {
		t.Errorf("PUT with explicit defaults wrote revision %s, want none", got)
	}

	c.problem(http.StatusNotFound, "NOT_FOUND", "PUT", "/api/posts/01900000-0000-7000-8000-000000000000",
		postBody("Nobody's post", "nobody", author))
}

func testDeleteRestorePurge(t *testing.T, c *client) {
	id := c.createAuthor("Ada", "ada@example.com")
	before := c.must(http.StatusOK, "GET", "/api/authors/"+id, nil)

	// Soft delete: 200 envelope, no new revision.
	r := c.must(http.StatusOK, "DELETE", "/api/authors/"+id, nil)
	checkEnvelope(t, r, "")
	if r.get(t, "meta.is_deleted") != true {
		t.Errorf("DELETE: is_deleted %v, want true", r.get(t, "meta.is_deleted"))
	}
	if got := r.str(t, "meta.current_revision_id"); got != rev(id, 1) {
		t.Errorf("DELETE wrote a revision: current %s", got)
	}
	if got := r.num(t, "meta.total_revision_count"); got != 1 {
		t.Errorf("DELETE: total_revision_count %d, want 1", got)
	}
	wantJSON(t, "data after delete", r.get(t, "data"), mustMarshal(t, before.get(t, "data")))
	c.problem(http.StatusGone, "GONE", "DELETE", "/api/authors/"+id, nil)
	c.problem(http.StatusGone, "GONE", "GET", "/api/authors/"+id, nil)

	// Restore: 200 envelope, live again; restoring a live resource is a 409.
	r = c.must(http.StatusOK, "POST", "/api/authors/"+id+"/restore", nil)
	checkEnvelope(t, r, "")
	if r.get(t, "meta.is_deleted") != false {
		t.Errorf("restore: is_deleted %v, want false", r.get(t, "meta.is_deleted"))
	}
	if got := r.num(t, "meta.total_revision_count"); got != 1 {
		t.Errorf("restore: total_revision_count %d, want 1", got)
	}
	c.must(http.StatusOK, "GET", "/api/authors/"+id, nil)
	c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors/"+id+"/restore", nil)

	// Permanent delete of a live resource: 204, then every route is a 404.
	r = c.must(http.StatusNoContent, "DELETE", "/api/authors/"+id+"/permanently", nil)
	if len(r.Body) != 0 {
		t.Errorf("204 has a body: %s", short(r.Body))
	}
	gone := []struct{ method, path string }{
		{"GET", "/api/authors/" + id},
		{"GET", "/api/authors/" + id + "?include_deleted=true"},
		{"GET", "/api/authors/" + id + "/revisions"},
		{"GET", "/api/authors/" + id + "/revisions/1"},
		{"POST", "/api/authors/" + id + "/restore"},
		{"DELETE", "/api/authors/" + id},
		{"DELETE", "/api/authors/" + id + "/permanently"},
	}
	for _, g := range gone {
		c.problem(http.StatusNotFound, "NOT_FOUND", g.method, g.path, nil)
	}
	if n := c.count("authors", "?include_deleted=true"); n != 0 {
		t.Errorf("count after purge %d, want 0", n)
	}

	// Permanent delete of a soft-deleted resource works too.
	other := c.createAuthor("Bob", "bob@example.com")
	c.must(http.StatusOK, "DELETE", "/api/authors/"+other, nil)
	c.must(http.StatusNoContent, "DELETE", "/api/authors/"+other+"/permanently", nil)
	c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/authors/"+other+"?include_deleted=true", nil)
}

func testNotFound(t *testing.T, c *client) {
	unknown := "01900000-0000-7000-8000-000000000000"
	routes := []struct{ method, path string }{
		{"GET", "/api/posts/" + unknown},
		{"PUT", "/api/posts/" + unknown},
		{"PATCH", "/api/posts/" + unknown},
		{"DELETE", "/api/posts/" + unknown},
		{"POST", "/api/posts/" + unknown + "/restore"},
		{"DELETE", "/api/posts/" + unknown + "/permanently"},
		{"GET", "/api/posts/" + unknown + "/revisions"},
		{"GET", "/api/posts/" + unknown + "/revisions/1"},
		{"GET", "/api/posts/" + unknown + "/revisions/1/diff"},
		{"POST", "/api/posts/" + unknown + "/switch/1"},
		{"GET", "/api/no-such-resources"},
	}
	author := c.createAuthor("Ada", "ada@example.com")
	for _, rt := range routes {
		var body any
		header := []string{}
		switch rt.method {
		case "PUT":
			body = postBody("Valid title", "valid", author)
		case "PATCH":
			body = `{"views": 1}`
			header = []string{"Content-Type", "application/merge-patch+json"}
		}
		c.problem(http.StatusNotFound, "NOT_FOUND", rt.method, rt.path, body, header...)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
