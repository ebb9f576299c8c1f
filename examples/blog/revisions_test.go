package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

const (
	mergePatch = "application/merge-patch+json"
	jsonPatch  = "application/json-patch+json"
)

func testIfMatch(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Version one", "versions", author)
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Version two", "versions", author))
	stale, current := etag(rev(id, 1)), etag(rev(id, 2))

	writes := []struct {
		name   string
		method string
		path   string
		body   any
		header []string
	}{
		{name: "PUT", method: "PUT", path: "", body: postBody("Version three", "versions", author)},
		{name: "PATCH", method: "PATCH", path: "", body: `{"views": 3}`, header: []string{"Content-Type", mergePatch}},
		{name: "DELETE", method: "DELETE", path: ""},
		{name: "switch", method: "POST", path: "/switch/1"},
		{name: "purge", method: "DELETE", path: "/permanently"},
	}
	for _, w := range writes {
		c.problem(http.StatusPreconditionFailed, "PRECONDITION_FAILED", w.method, "/api/posts/"+id+w.path, w.body,
			slices.Concat(w.header, []string{"If-Match", stale})...)
		r := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil)
		if got := r.Header.Get("ETag"); got != current {
			t.Errorf("%s with a stale If-Match changed the resource: ETag %s, want %s", w.name, got, current)
		}
	}
	if got := c.revisionIDs("posts", id, ""); !slices.Equal(got, []string{rev(id, 2), rev(id, 1)}) {
		t.Errorf("rejected writes wrote revisions: %v", got)
	}

	// Restore honours If-Match too.
	c.must(http.StatusOK, "DELETE", "/api/posts/"+id, nil, "If-Match", current)
	c.problem(http.StatusPreconditionFailed, "PRECONDITION_FAILED", "POST", "/api/posts/"+id+"/restore", nil, "If-Match", stale)
	c.problem(http.StatusGone, "GONE", "GET", "/api/posts/"+id, nil)
	c.must(http.StatusOK, "POST", "/api/posts/"+id+"/restore", nil, "If-Match", current)

	// Matching and wildcard If-Match succeed.
	r := c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Version three", "versions", author), "If-Match", current)
	if got := r.Header.Get("ETag"); got != etag(rev(id, 3)) {
		t.Errorf("PUT with matching If-Match: ETag %s, want %s", got, etag(rev(id, 3)))
	}
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Version four", "versions", author), "If-Match", "*")
	c.must(http.StatusOK, "PATCH", "/api/posts/"+id, `{"views": 4}`, "Content-Type", mergePatch, "If-Match", etag(rev(id, 4)))
	r = c.must(http.StatusOK, "POST", "/api/posts/"+id+"/switch/1", nil, "If-Match", etag(rev(id, 5)))
	if got := r.Header.Get("ETag"); got != etag(rev(id, 1)) {
		t.Errorf("switch: ETag %s, want %s", got, etag(rev(id, 1)))
	}
	c.must(http.StatusNoContent, "DELETE", "/api/posts/"+id+"/permanently", nil, "If-Match", etag(rev(id, 1)))
}

func testDrafts(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Stable title", "drafty", author)
	path := "/api/posts/" + id
	body := func(title string) map[string]any { return postBody(title, "drafty", author) }

	// mode=modify on a stable revision is refused and changes nothing.
	c.problem(http.StatusConflict, "CONFLICT", "PUT", path+"?mode=modify", body("Edited in place"))
	if got := c.must(http.StatusOK, "GET", path, nil).str(t, "data.title"); got != "Stable title" {
		t.Errorf("refused modify changed the title to %q", got)
	}

	// mode=modify&status=draft turns the current revision into a draft in place.
	r := c.must(http.StatusOK, "PUT", path+"?mode=modify&status=draft", body("Draft one"))
	checkEnvelope(t, r, "")
	draft1 := checkDraft(t, r, rev(id, 1), "draft", "Draft one")
	if got := c.must(http.StatusOK, "GET", path, nil).Header.Get("ETag"); got != draft1 {
		t.Errorf("GET after draft edit: ETag %s, want %s", got, draft1)
	}
	c.must(http.StatusNotModified, "GET", path, nil, "If-None-Match", draft1)

	// The stable ETag no longer matches: the draft changed under the same id.
	c.problem(http.StatusPreconditionFailed, "PRECONDITION_FAILED", "PUT", path+"?mode=modify", body("Lost update"),
		"If-Match", etag(rev(id, 1)))

	// mode=modify edits the draft again, by PUT and by PATCH.
	r = c.must(http.StatusOK, "PUT", path+"?mode=modify", body("Draft two"), "If-Match", draft1)
	draft2 := checkDraft(t, r, rev(id, 1), "draft", "Draft two")
	if draft2 == draft1 {
		t.Errorf("draft ETag did not change after an in-place edit: %s", draft2)
	}
	r = c.must(http.StatusOK, "PATCH", path+"?mode=modify", `{"title": "Draft three"}`,
		"Content-Type", mergePatch, "If-Match", draft2)
	checkDraft(t, r, rev(id, 1), "draft", "Draft three")
	if got := c.revisionIDs("posts", id, ""); !slices.Equal(got, []string{rev(id, 1)}) {
		t.Errorf("draft edits wrote revisions: %v", got)
	}
	if got := c.must(http.StatusOK, "GET", path+"/revisions", nil).str(t, "items.0.status"); got != "draft" {
		t.Errorf("revision list status %q, want draft", got)
	}

	// status=stable seals the draft, still in place.
	r = c.must(http.StatusOK, "PUT", path+"?mode=modify&status=stable", body("Final title"))
	if got := checkDraft(t, r, rev(id, 1), "stable", "Final title"); got != etag(rev(id, 1)) {
		t.Errorf("sealed ETag %s, want %s", got, etag(rev(id, 1)))
	}
	c.problem(http.StatusConflict, "CONFLICT", "PUT", path+"?mode=modify", body("Too late"))

	// A normal PUT after sealing writes revision 2 on top of the sealed one.
	r = c.must(http.StatusOK, "PUT", path, body("Second revision"))
	if got := r.str(t, "revision_info.parent_revision_id"); got != rev(id, 1) {
		t.Errorf("revision 2 parent %s, want %s", got, rev(id, 1))
	}
	if got := c.must(http.StatusOK, "GET", path+"/revisions/1", nil).str(t, "data.title"); got != "Final title" {
		t.Errorf("sealed revision 1 has title %q, want Final title", got)
	}

	// Create with status=draft starts as a draft; a PUT without mode writes a
	// new stable revision on top of it.
	r = c.must(http.StatusCreated, "POST", "/api/posts?status=draft", postBody("Born a draft", "born-draft", author))
	born := r.str(t, "meta.resource_id")
	checkDraft(t, r, rev(born, 1), "draft", "Born a draft")
	r = c.must(http.StatusOK, "PUT", "/api/posts/"+born, postBody("Grown up", "born-draft", author))
	if got := r.str(t, "revision_info.revision_id"); got != rev(born, 2) {
		t.Errorf("PUT on a draft without mode: revision %s, want %s", got, rev(born, 2))
	}
	if got := r.str(t, "revision_info.status"); got != "stable" {
		t.Errorf("PUT on a draft without mode: status %s, want stable", got)
	}
}

// checkDraft checks an answer to an in-place edit of the only revision of
// a post: revision id, status, title, total_revision_count 1, data_hash
// matching the data, and the ETag (draft form for drafts); it returns the
// ETag.
func checkDraft(t *testing.T, r *response, revisionID, status, title string) string {
	t.Helper()
	if got := r.str(t, "revision_info.revision_id"); got != revisionID {
		t.Errorf("%s: revision_id %s, want %s (edit in place)", r.req, got, revisionID)
	}
	if got := r.str(t, "revision_info.status"); got != status {
		t.Errorf("%s: status %s, want %s", r.req, got, status)
	}
	if got := r.str(t, "data.title"); got != title {
		t.Errorf("%s: title %q, want %q", r.req, got, title)
	}
	if got := r.num(t, "meta.total_revision_count"); got != 1 {
		t.Errorf("%s: total_revision_count %d, want 1 (no revision written)", r.req, got)
	}
	hash := r.str(t, "revision_info.data_hash")
	if hash != dataHash(t, r) {
		t.Errorf("%s: data_hash %s does not match the data (%s)", r.req, hash, dataHash(t, r))
	}
	want := etag(revisionID)
	if status == "draft" {
		want = draftETag(revisionID, hash)
	}
	got := r.Header.Get("ETag")
	if got != want {
		t.Errorf("%s: ETag %s, want %s", r.req, got, want)
	}
	return got
}

func testPatch(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	created := c.must(http.StatusCreated, "POST", "/api/posts",
		with(postBody("Patch me", "patch-me", author), "views", 1, "body", "text", "tags", []string{"a"}))
	id := created.str(t, "meta.resource_id")
	path := "/api/posts/" + id

	// Merge patch (RFC 7386): null removes, other members replace.
	r := c.must(http.StatusOK, "PATCH", path, `{"views": 5, "body": null, "tags": ["x", "y"]}`, "Content-Type", mergePatch)
	checkEnvelope(t, r, "")
	wantJSON(t, "merge-patched data", r.get(t, "data"), mustMarshal(t,
		with(created.get(t, "data").(map[string]any), "views", 5, "body", nil, "tags", []string{"x", "y"})))
	if got := r.str(t, "revision_info.parent_revision_id"); got != rev(id, 1) {
		t.Errorf("merge patch: parent %s, want %s", got, rev(id, 1))
	}
	if got := r.Header.Get("ETag"); got != etag(rev(id, 2)) {
		t.Errorf("merge patch: ETag %s, want %s", got, etag(rev(id, 2)))
	}

	// Merge patch merges nested objects.
	a := c.must(http.StatusCreated, "POST", "/api/authors", map[string]any{
		"name": "Nested", "email": "nested@example.com", "address": map[string]any{"city": "Paris", "country": "FR"}})
	r = c.must(http.StatusOK, "PATCH", "/api/authors/"+a.str(t, "meta.resource_id"), `{"address": {"city": "Lyon"}}`,
		"Content-Type", mergePatch)
	wantJSON(t, "nested merge", r.get(t, "data.address"), `{"city": "Lyon", "country": "FR"}`)

	// JSON Patch (RFC 6902).
	r = c.must(http.StatusOK, "PATCH", path,
		`[{"op": "replace", "path": "/title", "value": "Patched"}, {"op": "add", "path": "/tags/-", "value": "z"}]`,
		"Content-Type", jsonPatch)
	if got := r.str(t, "data.title"); got != "Patched" {
		t.Errorf("json patch: title %q", got)
	}
	wantJSON(t, "json-patched tags", r.get(t, "data.tags"), `["x", "y", "z"]`)
	if got := r.str(t, "revision_info.revision_id"); got != rev(id, 3) {
		t.Errorf("json patch: revision %s, want %s", got, rev(id, 3))
	}

	// A patch that changes nothing writes nothing.
	r = c.must(http.StatusOK, "PATCH", path, `{"views": 5}`, "Content-Type", mergePatch)
	if got := r.str(t, "revision_info.revision_id"); got != rev(id, 3) {
		t.Errorf("no-op patch wrote revision %s", got)
	}

	failures := []struct {
		name   string
		ctype  string
		body   string
		status int
		code   string
		fields []string
	}{
		{name: "failing test op", ctype: jsonPatch, status: http.StatusConflict, code: "CONFLICT",
			body: `[{"op": "test", "path": "/title", "value": "Not the title"}, {"op": "replace", "path": "/title", "value": "Never"}]`},
		{name: "bad path", ctype: jsonPatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `[{"op": "replace", "path": "/nope/deeper", "value": 1}]`},
		{name: "remove a required field", ctype: jsonPatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `[{"op": "remove", "path": "/author"}]`, fields: []string{"author"}},
		{name: "json patch result too short", ctype: jsonPatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `[{"op": "replace", "path": "/title", "value": "ab"}]`, fields: []string{"title"}},
		{name: "merge result too short", ctype: mergePatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `{"title": "ab"}`, fields: []string{"title"}},
		{name: "merge nulls a required field", ctype: mergePatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `{"author": null}`, fields: []string{"author"}},
		{name: "merge below min", ctype: mergePatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `{"views": -1}`, fields: []string{"views"}},
		{name: "merge adds an unknown field", ctype: mergePatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `{"colour": "blue"}`, fields: []string{"colour"}},
		{name: "merge adds resource_id", ctype: mergePatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `{"resource_id": "x"}`, fields: []string{"resource_id"}},
		{name: "merge to an unknown author", ctype: mergePatch, status: http.StatusUnprocessableEntity, code: "VALIDATION_ERROR",
			body: `{"author": "01900000-0000-7000-8000-000000000000"}`, fields: []string{"author"}},
		{name: "malformed merge patch", ctype: mergePatch, status: http.StatusBadRequest, code: "BAD_REQUEST",
			body: `{"views": `},
		{name: "malformed json patch", ctype: jsonPatch, status: http.StatusBadRequest, code: "BAD_REQUEST",
			body: `[{"op": "replace", `},
		{name: "plain JSON", ctype: "application/json", status: http.StatusUnsupportedMediaType, code: "UNSUPPORTED_MEDIA_TYPE",
			body: `{"views": 6}`},
	}
	before := c.must(http.StatusOK, "GET", path, nil)
	for _, f := range failures {
		fields := c.problem(f.status, f.code, "PATCH", path, f.body, "Content-Type", f.ctype)
		if f.fields != nil {
			wantFields(t, f.name, fields, f.fields)
		}
	}
	after := c.must(http.StatusOK, "GET", path, nil)
	wantJSON(t, "resource after failed patches", after.JSON, string(before.Body))
	if got := c.revisionIDs("posts", id, ""); len(got) != 3 {
		t.Errorf("failed patches wrote revisions: %v", got)
	}
}

func testRevisions(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Title 1", "revisions", author)
	for n := 2; n <= 5; n++ {
		c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody(fmt.Sprintf("Title %d", n), "revisions", author))
	}
	all := []string{rev(id, 5), rev(id, 4), rev(id, 3), rev(id, 2), rev(id, 1)}

	r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions", nil)
	if got := r.ids(t, "revision_id"); !slices.Equal(got, all) {
		t.Errorf("revisions %v, want newest first %v", got, all)
	}
	if r.get(t, "next_cursor") != nil {
		t.Errorf("next_cursor %v, want null", r.get(t, "next_cursor"))
	}
	for i := range r.list(t, "items") {
		p := fmt.Sprintf("items.%d.", i)
		checkRevisionInfo(t, r, p)
		var wantParent any
		if i < 4 {
			wantParent = all[i+1]
		}
		if got := r.get(t, p+"parent_revision_id"); got != wantParent {
			t.Errorf("revision %s parent %v, want %v", all[i], got, wantParent)
		}
	}

	if got := pageRevisions(t, c, id, "limit=2"); !slices.Equal(got, all) {
		t.Errorf("paged revisions %v, want %v", got, all)
	}

	// After a switch to 2, the next PUT branches: chain shows only ancestors.
	c.must(http.StatusOK, "POST", "/api/posts/"+id+"/switch/2", nil)
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Branch", "revisions", author))
	if got := c.revisionIDs("posts", id, ""); !slices.Equal(got, slices.Concat([]string{rev(id, 6)}, all)) {
		t.Errorf("revisions after branching %v", got)
	}
	chain := []string{rev(id, 6), rev(id, 2), rev(id, 1)}
	if got := c.revisionIDs("posts", id, "&chain=true"); !slices.Equal(got, chain) {
		t.Errorf("chain=true %v, want %v", got, chain)
	}
	if got := pageRevisions(t, c, id, "chain=true&limit=2"); !slices.Equal(got, chain) {
		t.Errorf("paged chain %v, want %v", got, chain)
	}
	// chain=true right after a switch (before any new write) starts at the switched-to revision.
	c.must(http.StatusOK, "POST", "/api/posts/"+id+"/switch/4", nil)
	if got := c.revisionIDs("posts", id, "&chain=true"); !slices.Equal(got, all[1:]) {
		t.Errorf("chain=true after switch to 4: %v, want %v", got, all[1:])
	}

	for _, q := range []string{"limit=0", "limit=1001", "limit=x", "chain=maybe"} {
		c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", "/api/posts/"+id+"/revisions?"+q, nil)
	}
}

// pageRevisions walks every page of a revision listing with the given query.
func pageRevisions(t *testing.T, c *client, id, query string) []string {
	t.Helper()
	var got []string
	path := "/api/posts/" + id + "/revisions?" + query
	for page := 0; page < 10; page++ {
		r := c.must(http.StatusOK, "GET", path, nil)
		got = append(got, r.ids(t, "revision_id")...)
		next := r.get(t, "next_cursor")
		if next == nil {
			return got
		}
		cursor, ok := next.(string)
		if !ok || cursor == "" {
			t.Fatalf("next_cursor = %v, want a non-empty string or null", next)
		}
		path = "/api/posts/" + id + "/revisions?" + query + "&cursor=" + url.QueryEscape(cursor)
	}
	t.Fatal("revision paging does not end")
	return nil
}

func testOneRevision(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	first := c.must(http.StatusCreated, "POST", "/api/posts", postBody("Original", "one-revision", author))
	id := first.str(t, "meta.resource_id")
	other := c.createPost("Another post", "another", author)
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Changed", "one-revision", author))

	for _, ref := range []string{"1", rev(id, 1)} {
		r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/"+url.PathEscape(ref), nil)
		wantJSON(t, "revision "+ref+" data", r.get(t, "data"), mustMarshal(t, first.get(t, "data")))
		wantJSON(t, "revision "+ref+" info", r.get(t, "revision_info"), mustMarshal(t, first.get(t, "revision_info")))
	}
	r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/2", nil)
	checkRevisionInfo(t, r, "revision_info.")
	if got := r.str(t, "data.title"); got != "Changed" {
		t.Errorf("revision 2 title %q", got)
	}
	for _, ref := range []string{"3", "0", "-1", "abc", rev(id, 3), rev(other, 1)} {
		c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/posts/"+id+"/revisions/"+url.PathEscape(ref), nil)
	}
}

func testDiff(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Diff one", "diff", author)
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, with(postBody("Diff two", "diff", author), "views", 3))
	c.must(http.StatusOK, "PUT", "/api/posts/"+id,
		with(postBody("Diff two", "diff", author), "views", 3, "tags", []string{"a", "b"}, "metadata", map[string]any{"k": []int{1, 2}}))
	c.must(http.StatusOK, "POST", "/api/posts/"+id+"/switch/2", nil)
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, with(postBody("Diff four", "diff", author), "views", 3))

	data := map[int]any{0: map[string]any{}}
	for n := 1; n <= 4; n++ {
		data[n] = c.must(http.StatusOK, "GET", fmt.Sprintf("/api/posts/%s/revisions/%d", id, n), nil).get(t, "data")
	}
	diffs := []struct {
		name     string
		query    string
		from, to int // 0 is {}
	}{
		{name: "from parent by default", query: "2/diff", from: 1, to: 2},
		{name: "revision 3 from its parent", query: "3/diff", from: 2, to: 3},
		{name: "branch from its parent after a switch", query: "4/diff", from: 2, to: 4},
		{name: "revision 1 against {}", query: "1/diff", from: 0, to: 1},
		{name: "against an older revision", query: "3/diff?against=1", from: 1, to: 3},
		{name: "against a newer revision", query: "1/diff?against=3", from: 3, to: 1},
		{name: "across branches", query: "4/diff?against=3", from: 3, to: 4},
		{name: "full revision ids", query: url.PathEscape(rev(id, 3)) + "/diff?against=" + url.QueryEscape(rev(id, 1)), from: 1, to: 3},
		{name: "against itself", query: "2/diff?against=2", from: 2, to: 2},
	}
	for _, d := range diffs {
		r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/"+d.query, nil)
		got, err := applyPatch(data[d.from], r.JSON)
		if err != nil {
			t.Errorf("%s: the diff does not apply: %v; diff: %s", d.name, err, short(r.Body))
			continue
		}
		wantJSON(t, d.name+": diff applied", got, mustMarshal(t, data[d.to]))
	}
	if r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/2/diff?against=2", nil); len(r.list(t, "")) != 0 {
		t.Errorf("diff of a revision against itself is not empty: %s", short(r.Body))
	}
	// Changing one field gives a patch that touches only that field.
	r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/4/diff", nil)
	for i := range r.list(t, "") {
		if p := r.str(t, fmt.Sprintf("%d.path", i)); p != "/title" {
			t.Errorf("diff 4 from 2 touches %s; only /title changed: %s", p, short(r.Body))
		}
	}
	c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/posts/"+id+"/revisions/2/diff?against=9", nil)
	c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/posts/"+id+"/revisions/9/diff", nil)
}

func testSwitch(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Title A", "switch", author)
	other := c.createPost("Other post", "other", author)
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Title B", "switch", author))
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Title C", "switch", author))

	targets := []struct {
		ref   string
		n     int
		title string
	}{
		{ref: "1", n: 1, title: "Title A"},
		{ref: rev(id, 2), n: 2, title: "Title B"},
		{ref: "3", n: 3, title: "Title C"},
		{ref: "1", n: 1, title: "Title A"},
	}
	for _, tg := range targets {
		r := c.must(http.StatusOK, "POST", "/api/posts/"+id+"/switch/"+url.PathEscape(tg.ref), nil)
		checkEnvelope(t, r, "")
		checks := []struct {
			path string
			want any
		}{
			{"data.title", tg.title},
			{"meta.current_revision_id", rev(id, tg.n)},
			{"meta.total_revision_count", 3.0},
			{"revision_info.revision_id", rev(id, tg.n)},
		}
		for _, ch := range checks {
			if got := r.get(t, ch.path); got != ch.want {
				t.Errorf("switch to %s: %s = %v, want %v", tg.ref, ch.path, got, ch.want)
			}
		}
		if got := r.Header.Get("ETag"); got != etag(rev(id, tg.n)) {
			t.Errorf("switch to %s: ETag %s, want %s", tg.ref, got, etag(rev(id, tg.n)))
		}
		read := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil)
		if got := read.str(t, "data.title"); got != tg.title {
			t.Errorf("read after switch to %s: title %q, want %q", tg.ref, got, tg.title)
		}
	}
	if got := c.revisionIDs("posts", id, ""); len(got) != 3 {
		t.Errorf("switch wrote revisions: %v", got)
	}

	// The next write branches from the switched-to revision.
	r := c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Title D", "switch", author))
	wants := []struct {
		path string
		want any
	}{
		{"revision_info.revision_id", rev(id, 4)},
		{"revision_info.parent_revision_id", rev(id, 1)},
		{"meta.total_revision_count", 4.0},
	}
	for _, w := range wants {
		if got := r.get(t, w.path); got != w.want {
			t.Errorf("PUT after switch: %s = %v, want %v", w.path, got, w.want)
		}
	}

	for _, ref := range []string{"9", rev(id, 9), rev(other, 1)} {
		c.problem(http.StatusNotFound, "NOT_FOUND", "POST", "/api/posts/"+id+"/switch/"+url.PathEscape(ref), nil)
	}
	if got := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil).str(t, "data.title"); got != "Title D" {
		t.Errorf("failed switches changed the title to %q", got)
	}
}
