package main

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// TestReferrers reads GET /api/{res}/{id}/referrers: the live resources
// whose ref fields hold the id, grouped by field. Groups without ids are
// ignored, so the test holds whether the Service lists them or not.
func TestReferrers(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, b, nil)
			ada := c.createAuthor("Ada", "ada@example.com")
			bob := c.createAuthor("Bob", "bob@example.com")
			p1 := c.createPost("First post", "first", ada)
			p2 := c.createPost("Second post", "second", bob)
			c.must(http.StatusOK, "PATCH", "/api/posts/"+p2, `{"editor": "`+ada+`"}`, "Content-Type", mergePatch)
			c1 := c.createComment(p1, "Nice")
			c2 := c.createComment(p1, "Nicer")
			c3 := c.createComment(p1, "Gone soon")
			c.must(http.StatusOK, "DELETE", "/api/comments/"+c3, nil)

			groups := func(path string) map[string][]string {
				t.Helper()
				r := c.must(http.StatusOK, "GET", path, nil)
				out := map[string][]string{}
				for i := range r.list(t, "items") {
					var ids []string
					for _, id := range r.list(t, "items."+strconv.Itoa(i)+".ids") {
						ids = append(ids, id.(string))
					}
					if len(ids) == 0 {
						continue
					}
					key := r.str(t, "items."+strconv.Itoa(i)+".resource") + " " + r.str(t, "items."+strconv.Itoa(i)+".path") + " " + r.str(t, "items."+strconv.Itoa(i)+".field")
					out[key] = ids
				}
				return out
			}
			sorted := func(ids ...string) []string { return slices.Sorted(slices.Values(ids)) }
			check := func(path string, want map[string][]string) {
				t.Helper()
				got := groups(path)
				if len(got) != len(want) {
					t.Errorf("%s: groups %v, want %v", path, got, want)
					return
				}
				for k, ids := range want {
					if !slices.Equal(got[k], ids) {
						t.Errorf("%s: %s = %v, want %v", path, k, got[k], ids)
					}
				}
			}
			check("/api/authors/"+ada+"/referrers", map[string][]string{
				"Post posts author": {p1},
				"Post posts editor": {p2},
			})
			check("/api/posts/"+p1+"/referrers", map[string][]string{"Comment comments post": sorted(c1, c2)})
			check("/api/posts/"+p2+"/referrers", map[string][]string{})
			check("/api/comments/"+c1+"/referrers", map[string][]string{})

			c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/posts/0190f5a3-02b1-7c55-8e1a-3f6d2c9b7a10/referrers", nil)
			c.problem(http.StatusGone, "GONE", "GET", "/api/comments/"+c3+"/referrers", nil)
		})
	}
}
