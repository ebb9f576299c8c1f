package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// searchData is the blog the search tests query.
type searchData struct {
	authors  []string // ada (Oslo), bob (Bergen), cy (no address)
	posts    []string // in creation order, see seedSearch
	comments []string
}

// seedSearch creates three authors, eight posts and three comments.
func seedSearch(c *client) *searchData {
	c.t.Helper()
	d := &searchData{}
	for _, a := range []map[string]any{
		{"name": "Ada", "email": "ada@example.com", "address": map[string]any{"city": "Oslo", "country": "NO"}},
		{"name": "Bob", "email": "bob@example.com", "address": map[string]any{"city": "Bergen", "country": "NO"}},
		{"name": "Cy", "email": "cy@example.com"},
	} {
		d.authors = append(d.authors, c.must(http.StatusCreated, "POST", "/api/authors", a).str(c.t, "meta.resource_id"))
	}
	posts := []struct {
		title, status string
		views         int
		tags          []string
		published     string // "" for none
		author        int
	}{
		{"Go generics", "published", 150, []string{"go", "types"}, "2024-05-01T08:30:00Z", 0},
		{"SQLite tips", "published", 90, []string{"db"}, "2024-05-01T08:30:00.5Z", 1},
		{"Draft notes", "draft", 5, nil, "", 0},
		{"Go concurrency", "published", 300, []string{"go"}, "2024-04-01T00:00:00Z", 2},
		{"Archived rant", "archived", 1000, []string{"misc"}, "2023-01-01T00:00:00Z", 1},
		{"100% coverage", "published", 100, []string{"testing", "go"}, "2024-06-01T12:00:00.123456Z", 0},
		{"it's a trap", "draft", 0, []string{}, "", 2},
		{"Ünicode titles", "published", 150, []string{"Go"}, "2024-05-01T08:30:00Z", 1},
	}
	for i, p := range posts {
		body := with(postBody(p.title, fmt.Sprintf("post-%d", i), d.authors[p.author]),
			"status", p.status, "views", p.views)
		if p.tags != nil {
			body["tags"] = p.tags
		}
		if p.published != "" {
			body["published_at"] = p.published
		}
		d.posts = append(d.posts, c.must(http.StatusCreated, "POST", "/api/posts", body).str(c.t, "meta.resource_id"))
	}
	for _, p := range []int{0, 0, 3} {
		d.comments = append(d.comments, c.createComment(d.posts[p], "Nice."))
	}
	return d
}

// listPath returns "/api/{res}?" with the parameters encoded.
func listPath(res string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return "/api/" + res + "?" + q.Encode()
}

func TestSearch(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			c := newClient(t, b, nil)
			d := seedSearch(c)
			p := d.posts
			tests := []struct {
				name  string
				query []string
				want  []string
			}{
				{name: "indexed filter and sort",
					query: []string{"filter", `status = "published" && views >= 100`, "sort", "-views"},
					want:  []string{p[3], p[0], p[7], p[5]}},
				{name: "default sort: -published_at, title; nulls last",
					query: []string{"limit", "100"},
					want:  []string{p[5], p[1], p[0], p[7], p[3], p[4], p[2], p[6]}},
				{name: "contains folds ASCII case",
					query: []string{"filter", `title ~ "GO"`, "sort", "title"},
					want:  []string{p[3], p[0]}},
				{name: "prefix and metacharacters",
					query: []string{"filter", `title ^= "100%" || title ~ "'"`, "sort", "resource_id"},
					want:  []string{p[5], p[6]}},
				{name: "list element",
					query: []string{"filter", `tags = "go"`, "sort", "-views,title"},
					want:  []string{p[3], p[0], p[5]}},
				{name: "in and not",
					query: []string{"filter", `status in ["draft", "archived"] && !(views > 100)`, "sort", "title"},
					want:  []string{p[2], p[6]}},
				{name: "datetime with fractional seconds",
					query: []string{"filter", `published_at > "2024-05-01T08:30:00Z"`, "sort", "published_at"},
					want:  []string{p[1], p[5]}},
				{name: "null datetime",
					query: []string{"filter", `published_at is null`, "sort", "-title"},
					want:  []string{p[6], p[2]}},
				{name: "ref and meta fields",
					query: []string{"filter", fmt.Sprintf(`author = %q && created_time > "2000-01-01T00:00:00Z"`, d.authors[1]), "sort", "-created_time"},
					want:  []string{p[7], p[4], p[1]}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := c.must(http.StatusOK, "GET", listPath("posts", tt.query...), nil)
					if got := r.ids(t, "meta.resource_id"); !slices.Equal(got, tt.want) {
						t.Errorf("listed %v, want %v", got, tt.want)
					}
					// The count endpoint takes the same filter.
					var filter []string
					for i := 0; i+1 < len(tt.query); i += 2 {
						if tt.query[i] == "filter" {
							filter = tt.query[i : i+2]
						}
					}
					path := strings.Replace(listPath("posts", filter...), "/api/posts?", "/api/posts/count?", 1)
					if n := c.must(http.StatusOK, "GET", path, nil).num(t, "count"); n != len(tt.want) {
						t.Errorf("count = %d, want %d", n, len(tt.want))
					}
				})
			}

			t.Run("cursor, offset and total", func(t *testing.T) {
				all := []string{p[4], p[3], p[0], p[7], p[5], p[1], p[2], p[6]} // -views,title
				var got []string
				path := listPath("posts", "sort", "-views,title", "limit", "3", "count", "true")
				for page := 0; ; page++ {
					if page > 5 {
						t.Fatal("paging does not end")
					}
					r := c.must(http.StatusOK, "GET", path, nil)
					if n := r.num(t, "total"); n != len(all) {
						t.Errorf("total = %d, want %d", n, len(all))
					}
					got = append(got, r.ids(t, "meta.resource_id")...)
					next, _ := r.get(t, "next_cursor").(string)
					if next == "" {
						break
					}
					path = listPath("posts", "sort", "-views,title", "limit", "3", "count", "true", "cursor", next)
				}
				if !slices.Equal(got, all) {
					t.Errorf("pages gave %v, want %v", got, all)
				}
				r := c.must(http.StatusOK, "GET", listPath("posts", "sort", "-views,title", "limit", "3", "offset", "2"), nil)
				if ids := r.ids(t, "meta.resource_id"); !slices.Equal(ids, all[2:5]) {
					t.Errorf("offset 2 gave %v, want %v", ids, all[2:5])
				}
			})

			t.Run("fields", func(t *testing.T) {
				r := c.must(http.StatusOK, "GET", listPath("posts", "sort", "resource_id", "limit", "2", "fields", "views,title"), nil)
				wantJSON(t, "projected data", r.get(t, "items.0.data"), `{"title": "Go generics", "views": 150}`)
				wantJSON(t, "projected data", r.get(t, "items.1.data"), `{"title": "SQLite tips", "views": 90}`)
				if got := keys(t, "meta", r.get(t, "items.0.meta")); !slices.Equal(got, metaKeys) {
					t.Errorf("meta keys %v, want %v", got, metaKeys)
				}
			})

			t.Run("expand", func(t *testing.T) {
				r := c.must(http.StatusOK, "GET", listPath("posts", "sort", "resource_id", "limit", "2", "expand", "author,editor"), nil)
				if got := r.str(t, "items.0.expand.author.data.name"); got != "Ada" {
					t.Errorf("items.0.expand.author.data.name = %q, want Ada", got)
				}
				if got := r.str(t, "items.1.expand.author.meta.resource_id"); got != d.authors[1] {
					t.Errorf("items.1 author %s, want %s", got, d.authors[1])
				}
				if got := r.get(t, "items.0.expand.editor"); got != nil {
					t.Errorf("expand.editor of a post without editor = %v, want null", got)
				}
				checkEnvelope(t, r, "items.0.expand.author.")

				r = c.must(http.StatusOK, "GET", listPath("comments", "expand", "post.author"), nil)
				wantAuthors := []string{"Ada", "Ada", "Cy"}
				for i, want := range wantAuthors {
					if got := r.str(t, fmt.Sprintf("items.%d.expand.post.expand.author.data.name", i)); got != want {
						t.Errorf("comment %d: post author %q, want %q", i, got, want)
					}
				}
				if got := r.str(t, "items.2.expand.post.data.title"); got != "Go concurrency" {
					t.Errorf("comment 2: post title %q", got)
				}
			})

			// A read takes fields= and expand= as a list does (DESIGN.md §5).
			t.Run("read with fields and expand", func(t *testing.T) {
				r := c.must(http.StatusOK, "GET", "/api/comments/"+d.comments[2]+"?"+url.Values{"fields": {"body,post"}, "expand": {"post.author"}}.Encode(), nil)
				wantJSON(t, "projected data", r.get(t, "data"), fmt.Sprintf(`{"post": %q, "body": "Nice."}`, p[3]))
				if got := r.str(t, "expand.post.expand.author.data.name"); got != "Cy" {
					t.Errorf("expand.post.expand.author.data.name = %q, want Cy", got)
				}
				r = c.must(http.StatusOK, "GET", "/api/posts/"+p[0]+"?"+url.Values{"fields": {"title"}, "revision": {"1"}}.Encode(), nil)
				wantJSON(t, "projected revision", r.get(t, "data"), `{"title": "Go generics"}`)
				c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", "/api/posts/"+p[0]+"?fields=nope", nil)
				c.problem(http.StatusBadRequest, "BAD_REQUEST", "GET", "/api/posts/"+p[0]+"?expand=title", nil)
			})

			t.Run("deleted only", func(t *testing.T) {
				c.must(http.StatusOK, "DELETE", "/api/posts/"+p[6], nil)
				r := c.must(http.StatusOK, "GET", listPath("posts", "deleted", "only", "filter", `views < 10`), nil)
				if ids := r.ids(t, "meta.resource_id"); !slices.Equal(ids, []string{p[6]}) {
					t.Errorf("deleted=only gave %v, want %v", ids, []string{p[6]})
				}
				if n := c.count("posts", "?"+url.Values{"filter": {`views < 10`}}.Encode()); n != 1 {
					t.Errorf("live posts with views < 10: %d, want 1", n)
				}
			})

			t.Run("errors", func(t *testing.T) {
				next := c.must(http.StatusOK, "GET", listPath("posts", "sort", "-views", "limit", "1"), nil).str(t, "next_cursor")
				errs := []struct {
					name   string
					path   string
					field  string
					detail []string
				}{
					{name: "unknown field", path: listPath("posts", "filter", `views > 1 && titel = "x"`),
						field: "filter", detail: []string{"position 14", `"titel"`, `"title"`, "filterable fields: title, status, tags, views"}},
					{name: "not indexed", path: listPath("posts", "filter", `body ~ "x"`),
						field: "filter", detail: []string{"position 1", "body", "filterable fields"}},
					{name: "syntax", path: listPath("posts", "filter", `views >> 1`),
						field: "filter", detail: []string{"position", "filterable fields"}},
					{name: "wrong type", path: listPath("posts", "filter", `views = "many"`),
						field: "filter", detail: []string{"views"}},
					{name: "count endpoint", path: "/api/posts/count?" + url.Values{"filter": {`nope = 1`}}.Encode(),
						field: "filter", detail: []string{"nope"}},
					{name: "sort on a list", path: listPath("posts", "sort", "tags"),
						field: "sort", detail: []string{"tags", "sortable fields"}},
					{name: "unknown sort field", path: listPath("posts", "sort", "-veiws"),
						field: "sort", detail: []string{"position 2", "veiws", `"views"`}},
					{name: "unknown projection", path: listPath("posts", "fields", "title,nope"),
						field: "fields", detail: []string{"nope", "data fields: title, slug"}},
					{name: "expand non-ref", path: listPath("posts", "expand", "title"),
						field: "expand", detail: []string{"title", "reference fields: author, editor"}},
					{name: "cursor of another sort", path: listPath("posts", "sort", "views", "limit", "1", "cursor", next),
						field: "cursor", detail: []string{"another sort"}},
					{name: "forged cursor", path: listPath("posts", "cursor", "eyJrIjpbXX0"),
						field: "cursor"},
				}
				for _, e := range errs {
					t.Run(e.name, func(t *testing.T) {
						r := c.do("GET", e.path, nil)
						if fields := checkProblem(t, r, http.StatusBadRequest, "BAD_REQUEST"); len(fields) == 0 || fields[0] != e.field {
							t.Errorf("errors[].field = %v, want %s", fields, e.field)
						}
						detail, _ := r.JSON.(map[string]any)["detail"].(string)
						for _, part := range e.detail {
							if !strings.Contains(detail, part) {
								t.Errorf("detail %q does not contain %q", detail, part)
							}
						}
					})
				}
			})

			t.Run("injection attempts are values", func(t *testing.T) {
				for _, v := range []string{`'; DROP TABLE post; --`, `%`, `_`, `\`, `" || 1=1`} {
					r := c.must(http.StatusOK, "GET", listPath("posts", "filter", fmt.Sprintf("title = %q || title ~ %q", v, v)), nil)
					want := 0
					if v == "%" {
						want = 1 // "100% coverage"
					}
					if n := len(r.list(t, "items")); n != want {
						t.Errorf("%q matched %d posts, want %d", v, n, want)
					}
				}
				if n := c.count("posts", ""); n != len(d.posts)-1 {
					t.Errorf("%d live posts after the attempts, want %d", n, len(d.posts)-1)
				}
			})
		})
	}
}
