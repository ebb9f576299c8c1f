package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestDeletedHistory: the history of a soft-deleted resource answers 410,
// and is readable with include_deleted=true on the revision list, one
// revision and a diff (issue 17, finding 5), over REST and GraphQL.
func TestDeletedHistory(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newClient(t, b, nil)
			author := c.createAuthor("Ada", "ada@example.com")
			id := c.createPost("First title", "deleted-history", author)
			c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Second title", "deleted-history", author))
			c.must(http.StatusOK, "DELETE", "/api/posts/"+id, nil)
			base := "/api/posts/" + id
			before := c.must(http.StatusOK, "GET", base+"?include_deleted=true", nil)

			for _, path := range []string{base + "/revisions", base + "/revisions/1", base + "/revisions/2/diff",
				base + "/revisions?include_deleted=false", base + "/revisions/1?include_deleted=false"} {
				c.problem(http.StatusGone, "GONE", "GET", path, nil)
			}

			r := c.must(http.StatusOK, "GET", base+"/revisions?include_deleted=true", nil)
			if got, want := r.ids(t, "revision_id"), []string{rev(id, 2), rev(id, 1)}; !slices.Equal(got, want) {
				t.Errorf("revisions of the deleted post: %v, want %v", got, want)
			}
			r = c.must(http.StatusOK, "GET", base+"/revisions?include_deleted=true&chain=true&limit=1", nil)
			if got := r.ids(t, "revision_id"); !slices.Equal(got, []string{rev(id, 2)}) || r.get(t, "next_cursor") == nil {
				t.Errorf("first chain page of the deleted post: %v, next_cursor %v", got, r.get(t, "next_cursor"))
			}

			r = c.must(http.StatusOK, "GET", base+"/revisions/1?include_deleted=true", nil)
			if got := r.str(t, "data.title"); got != "First title" {
				t.Errorf("revision 1 of the deleted post: title %q", got)
			}
			checkRevisionInfo(t, r, "revision_info.")
			r = c.must(http.StatusOK, "GET", base+"/revisions/"+url.PathEscape(rev(id, 2))+"?include_deleted=true", nil)
			if got := r.str(t, "revision_info.revision_id"); got != rev(id, 2) {
				t.Errorf("revision 2 by full id: %q", got)
			}

			r = c.must(http.StatusOK, "GET", base+"/revisions/2/diff?include_deleted=true", nil)
			wantJSON(t, "diff of the deleted post", r.JSON, `[{"op": "replace", "path": "/title", "value": "Second title"}]`)
			r = c.must(http.StatusOK, "GET", base+"/revisions/1/diff?against=2&include_deleted=true", nil)
			wantJSON(t, "diff against", r.JSON, `[{"op": "replace", "path": "/title", "value": "First title"}]`)

			// Unknown revisions stay 404; a bad flag is a 400 naming it.
			c.problem(http.StatusNotFound, "NOT_FOUND", "GET", base+"/revisions/9?include_deleted=true", nil)
			c.problem(http.StatusNotFound, "NOT_FOUND", "GET", base+"/revisions/2/diff?against=9&include_deleted=true", nil)
			for _, path := range []string{base + "/revisions?include_deleted=maybe", base + "/revisions/1?include_deleted=maybe",
				base + "/revisions/1/diff?include_deleted=maybe"} {
				wantFields(t, path, c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", path, nil), []string{"include_deleted"})
			}

			// Reading the history changed nothing.
			after := c.must(http.StatusOK, "GET", base+"?include_deleted=true", nil)
			wantJSON(t, "envelope after reading the history", after.JSON, string(before.Body))

			// A live resource's history reads the same with the flag.
			live := c.createPost("Live post", "live-post", author)
			r = c.must(http.StatusOK, "GET", "/api/posts/"+live+"/revisions/1?include_deleted=true", nil)
			if got := r.str(t, "data.title"); got != "Live post" {
				t.Errorf("live revision with include_deleted: title %q", got)
			}
		})
	}
}

// TestGraphQLDeletedHistory: a soft-deleted post read with includeDeleted
// has its revisions and diff fields.
func TestGraphQLDeletedHistory(t *testing.T) {
	s := newGQLServer(t, backends[1], nil)
	author := s.createAuthor("Ada", "ada@example.com")
	id := s.createPost(postInput("First title", "gql-deleted", author))
	s.query(`mutation($id: ID!, $in: PostInput!) { updatePost(id: $id, input: $in) { id } }`,
		"id", id, "in", postInput("Second title", "gql-deleted", author))
	s.query(`mutation($id: ID!) { deletePost(id: $id) { id } }`, "id", id)

	d := s.query(`query($id: ID!) { post(id: $id, includeDeleted: true) {
		meta { isDeleted } revisions { nodes { revisionId } } diff old: diff(against: "2") } }`, "id", id)
	if d.get("post.meta.isDeleted") != true {
		t.Fatalf("post is not deleted: %s", mustMarshal(t, d.v))
	}
	var got []string
	for i := range d.list("post.revisions.nodes") {
		got = append(got, d.str(fmt.Sprintf("post.revisions.nodes.%d.revisionId", i)))
	}
	if want := []string{rev(id, 2), rev(id, 1)}; !slices.Equal(got, want) {
		t.Errorf("revisions of the deleted post: %v, want %v", got, want)
	}
	wantJSON(t, "diff", d.get("post.diff"), `[{"op": "replace", "path": "/title", "value": "Second title"}]`)
	wantJSON(t, "diff against itself", d.get("post.old"), `[]`)
	// Without includeDeleted the post itself is gone.
	s.fail("GONE", `query($id: ID!) { post(id: $id) { revisions { nodes { revisionId } } } }`, "id", id)
}

// TestUnknownQueryParameters: a query parameter a route does not accept is
// a 400 naming it, with a suggestion and the accepted names, and changes
// nothing (issue 17, finding 6).
func TestUnknownQueryParameters(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newClient(t, b, nil)
			author := c.createAuthor("Ada", "ada@example.com")
			post := c.createPost("A post", "a-post", author)
			c.createPost("Another post", "another-post", author)
			base := "/api/posts/" + post
			listAccepted := "accepted: filter, sort, limit, cursor, offset, include_deleted, deleted, count, fields, expand"
			tests := []struct {
				name   string
				method string
				path   string
				body   any
				fields []string
				detail []string // substrings of the detail
			}{
				{name: "misspelt filter", method: "GET", path: "/api/posts?fitler=" + url.QueryEscape(`title = "A post"`),
					fields: []string{"fitler"},
					detail: []string{`unknown query parameter "fitler" (did you mean "filter"?); ` + listAccepted}},
				{name: "two unknown", method: "GET", path: "/api/posts?limit=5&Sort=title&colour=red&colour=blue",
					fields: []string{"Sort", "colour"},
					detail: []string{`unknown query parameters "Sort" (did you mean "sort"?), "colour"; accepted: filter`}},
				{name: "expand on a resource without refs", method: "GET", path: "/api/authors?expand=address",
					fields: []string{"expand"},
					detail: []string{`unknown query parameter "expand"; accepted: filter, sort, limit, cursor, offset, include_deleted, deleted, count, fields`}},
				{name: "empty name", method: "GET", path: "/api/posts?=x", detail: []string{`unknown query parameter ""; accepted: filter`}},
				{name: "paging on count", method: "GET", path: "/api/posts/count?limit=5",
					fields: []string{"limit"}, detail: []string{"accepted: filter, include_deleted, deleted"}},
				{name: "read", method: "GET", path: base + "?revison=1", fields: []string{"revison"},
					detail: []string{`(did you mean "revision"?); accepted: revision, include_deleted, fields, expand`}},
				{name: "create", method: "POST", path: "/api/posts?stauts=draft", body: postBody("New post", "new-post", author),
					fields: []string{"stauts"}, detail: []string{`(did you mean "status"?); accepted: status`}},
				{name: "replace", method: "PUT", path: base + "?mdoe=modify", body: postBody("Changed", "a-post", author),
					fields: []string{"mdoe"}, detail: []string{`(did you mean "mode"?); accepted: mode, status`}},
				{name: "patch", method: "PATCH", path: base + "?dry_run=true", body: `{"title": "Changed"}`,
					fields: []string{"dry_run"}, detail: []string{"accepted: mode, status"}},
				{name: "delete", method: "DELETE", path: base + "?force=true",
					fields: []string{"force"}, detail: []string{"this operation takes no query parameters"}},
				{name: "purge", method: "DELETE", path: base + "/permanently?force=true", fields: []string{"force"}},
				{name: "switch", method: "POST", path: base + "/switch/1?mode=modify", fields: []string{"mode"}},
				{name: "revisions", method: "GET", path: base + "/revisions?chian=true",
					fields: []string{"chian"}, detail: []string{`(did you mean "chain"?); accepted: chain, limit, cursor, include_deleted`}},
				{name: "revision", method: "GET", path: base + "/revisions/1?fields=title", fields: []string{"fields"},
					detail: []string{"accepted: include_deleted"}},
				{name: "diff", method: "GET", path: base + "/revisions/1/diff?agianst=2",
					fields: []string{"agianst"}, detail: []string{`(did you mean "against"?); accepted: against, include_deleted`}},
				{name: "referrers", method: "GET", path: base + "/referrers?limit=5", fields: []string{"limit"}},
				// Pairs a query-string parser would drop are refused too.
				{name: "bare percent in a value", method: "GET", path: "/api/posts?filter=title%20~%20%22100%%22",
					fields: []string{"filter"}, detail: []string{`"filter"`, "%25"}},
				{name: "bad escape in a name", method: "GET", path: "/api/posts?fil%zzter=x", fields: []string{"fil%zzter"}},
				{name: "semicolon", method: "GET", path: "/api/posts?filter=title%20%3D%20%22a%22;limit=5",
					fields: []string{"filter"}, detail: []string{"semicolon"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					c := &client{t: t, base: c.base, hc: c.hc}
					r := c.do(tt.method, tt.path, tt.body)
					got := checkProblem(t, r, http.StatusBadRequest, "BAD_REQUEST")
					if !slices.Equal(got, tt.fields) {
						t.Errorf("error fields %q, want %q", got, tt.fields)
					}
					detail, _ := r.get(t, "detail").(string)
					for _, want := range tt.detail {
						if !strings.Contains(detail, want) {
							t.Errorf("detail %q does not contain %q", detail, want)
						}
					}
				})
			}

			// The refused writes changed nothing.
			r := c.must(http.StatusOK, "GET", base, nil)
			if got := r.str(t, "meta.current_revision_id"); got != rev(post, 1) || r.get(t, "meta.is_deleted") != false {
				t.Errorf("refused writes changed the post: %s", short(r.Body))
			}
			if n := c.count("posts", ""); n != 2 {
				t.Errorf("%d posts after a refused create, want 2", n)
			}

			// Every accepted parameter is accepted, spelt as documented or escaped.
			c.must(http.StatusOK, "GET", "/api/posts?"+url.Values{
				"filter": {`views >= 0`}, "sort": {"title"}, "limit": {"5"}, "offset": {"0"}, "include_deleted": {"false"},
				"count": {"true"}, "expand": {"author"},
			}.Encode()+"&cursor=&%66ields=title", nil)
			c.must(http.StatusOK, "GET", "/api/posts/count?filter=views+%3E%3D+0&include_deleted=true&deleted=only", nil)
			c.must(http.StatusOK, "GET", base+"?revision=1&include_deleted=false&fields=title&expand=author", nil)
			c.must(http.StatusOK, "GET", base+"/revisions?chain=true&limit=1&cursor=&include_deleted=false", nil)
			c.must(http.StatusOK, "GET", base+"/revisions/1/diff?against=1&include_deleted=true", nil)
			c.must(http.StatusOK, "GET", "/api/posts?&&limit=5&", nil) // empty pairs are no parameters
		})
	}
}

// TestQueryParametersMatchDocument: for every operation of the OpenAPI
// document, the server accepts exactly the query parameters the document
// lists, in its order (the generated handlers and openapigen read the
// same column of the operations table).
func TestQueryParametersMatchDocument(t *testing.T) {
	d, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, backends[0], nil)
	const id = "0190f5a3-02b1-7c55-8e1a-3f6d2c9b7a10"
	checked := 0
	for path, item := range d.doc.Paths.Map() {
		if !strings.HasPrefix(path, "/api/") {
			continue
		}
		for method, op := range item.Operations() {
			var names []string
			for _, p := range op.Parameters {
				if p.Value.In == "query" {
					names = append(names, p.Value.Name)
				}
			}
			want := "this operation takes no query parameters"
			if len(names) > 0 {
				want = "accepted: " + strings.Join(names, ", ")
			}
			target := strings.NewReplacer("{id}", id, "{rev}", "1").Replace(path) + "?zz_unknown=1"
			r := c.do(method, target, nil)
			if got := checkProblem(t, r, http.StatusBadRequest, "BAD_REQUEST"); !slices.Equal(got, []string{"zz_unknown"}) {
				t.Errorf("%s %s: error fields %q, want zz_unknown", method, path, got)
				continue
			}
			if detail, _ := r.get(t, "detail").(string); !strings.HasSuffix(detail, "; "+want) {
				t.Errorf("%s %s (%s): detail %q, want it to end with %q", method, path, op.OperationID, detail, want)
			}
			checked++
		}
	}
	if checked < 4*14 {
		t.Errorf("checked %d operations, want every operation of the four resources", checked)
	}
}

// TestIntFilterExact: an int filter value is read exactly: literals that
// a float rounds to an integer are refused as 1.5 is (issue 17,
// finding 7), and exact ones beyond 2^53 keep their digits.
func TestIntFilterExact(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newClient(t, b, nil)
			author := c.createAuthor("Ada", "ada@example.com")
			zero := c.createPost("Zero views", "zero-views", author)
			one := c.must(http.StatusCreated, "POST", "/api/posts",
				with(postBody("One view", "one-view", author), "views", 1)).str(t, "meta.resource_id")
			for _, f := range []string{`views = 1e-400`, `views = 1.0000000000000000001`, `views in [0, 25e-1]`, `views < 1.5`} {
				path := listPath("posts", "filter", f)
				fields := c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", path, nil)
				wantFields(t, f, fields, []string{"filter"})
				r := c.do("GET", path, nil)
				detail, _ := r.get(t, "detail").(string)
				if !strings.Contains(detail, "is not an integer") {
					t.Errorf("%s: detail %q, want \"is not an integer\"", f, detail)
				}
			}
			for _, f := range []string{`views = 1e19`, `views > -9.3e18`} {
				path := strings.Replace(listPath("posts", "filter", f), "/api/posts?", "/api/posts/count?", 1)
				c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", path, nil)
			}
			for _, tt := range []struct {
				filter string
				want   []string
			}{
				{`views = 0.0e-400`, []string{zero}},
				{`views = 1.0`, []string{one}},
				{`views = 10e-1`, []string{one}},
				{`views in [1e0, 9.007199254740993e15]`, []string{one}},
				{`views < 9.223372036854775807e18 && views > -9.223372036854775808e18`, []string{zero, one}},
			} {
				r := c.must(http.StatusOK, "GET", listPath("posts", "filter", tt.filter, "sort", "views"), nil)
				if got := r.ids(t, "meta.resource_id"); !slices.Equal(got, tt.want) {
					t.Errorf("%s: listed %v, want %v", tt.filter, got, tt.want)
				}
			}
		})
	}
}
