package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestEncodedRevisionIDs sends revision ids the way encodeURIComponent
// writes them ("{id}%3A2"): echo routes such a request on its escaped
// path, and the handlers must unescape :rev (and :id) themselves.
func TestEncodedRevisionIDs(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, b, nil)
			author := c.createAuthor("Ada", "ada@example.com")
			id := c.createPost("Version one", "versions", author)
			c.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Version two", "versions", author))
			enc := func(n int) string { return url.PathEscape(id) + "%3A" + strings.TrimPrefix(rev(id, n), id+":") }
			if got := enc(2); !strings.Contains(got, "%3A") {
				t.Fatalf("escaped revision id %q has no %%3A", got)
			}

			tests := []struct {
				name, method, path string
				check              func(t *testing.T, r *response)
			}{
				{name: "revision", method: "GET", path: "/api/posts/" + id + "/revisions/" + enc(2), check: func(t *testing.T, r *response) {
					if got := r.str(t, "revision_info.revision_id"); got != rev(id, 2) {
						t.Errorf("revision_id %q, want %q", got, rev(id, 2))
					}
					if got := r.str(t, "data.title"); got != "Version two" {
						t.Errorf("title %q, want Version two", got)
					}
				}},
				{name: "revision, lower-case escape", method: "GET", path: "/api/posts/" + id + "/revisions/" + strings.ReplaceAll(enc(1), "%3A", "%3a"), check: func(t *testing.T, r *response) {
					if got := r.str(t, "revision_info.revision_id"); got != rev(id, 1) {
						t.Errorf("revision_id %q, want %q", got, rev(id, 1))
					}
				}},
				{name: "diff", method: "GET", path: "/api/posts/" + id + "/revisions/" + enc(2) + "/diff?against=" + url.QueryEscape(rev(id, 1)), check: func(t *testing.T, r *response) {
					wantJSON(t, "diff", r.JSON, `[{"op": "replace", "path": "/title", "value": "Version two"}]`)
				}},
				{name: "switch", method: "POST", path: "/api/posts/" + id + "/switch/" + enc(1), check: func(t *testing.T, r *response) {
					if got := r.str(t, "meta.current_revision_id"); got != rev(id, 1) {
						t.Errorf("current_revision_id %q, want %q", got, rev(id, 1))
					}
					if got := r.Header.Get("ETag"); got != etag(rev(id, 1)) {
						t.Errorf("ETag %s, want %s", got, etag(rev(id, 1)))
					}
				}},
			}
			for _, tt := range tests {
				r := c.must(http.StatusOK, tt.method, tt.path, nil)
				tt.check(t, r)
			}
			// After the switch, reads see revision 1 again.
			if got := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil).str(t, "data.title"); got != "Version one" {
				t.Errorf("after switching to %s: title %q, want Version one", enc(1), got)
			}
			// An escaped id of another resource is still a 404, not a 400.
			c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/posts/"+id+"/revisions/"+url.PathEscape(author)+"%3A1", nil)
		})
	}
}
