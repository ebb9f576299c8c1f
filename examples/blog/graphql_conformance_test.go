package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
)

// camel converts a REST (snake_case) key to its GraphQL name.
func camel(key string) string {
	parts := strings.Split(key, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
	}
	return strings.Join(parts, "")
}

// asGraphQL rewrites a decoded REST object the way GraphQL shows it: keys
// in camelCase; the values of enums (enumKeys) in upper case.
func asGraphQL(v any, enumKeys ...string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		for _, e := range enumKeys {
			if s, ok := val.(string); ok && k == e {
				val = strings.Map(unicode.ToUpper, s)
			}
		}
		out[camel(k)] = asGraphQL(val)
	}
	return out
}

// TestGraphQLConformsToREST reads and lists the same data through both
// APIs of one server and checks that they agree: envelopes, etags,
// filtered and sorted lists, and the codes and fields of errors.
func TestGraphQLConformsToREST(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := newGQLServer(t, b, nil)
			t.Run("envelopes", func(t *testing.T) { testConformEnvelopes(t, s.with(t)) })
			t.Run("lists", func(t *testing.T) { testConformLists(t, s.with(t)) })
			t.Run("errors", func(t *testing.T) { testConformErrors(t, s.with(t)) })
		})
	}
}

func testConformEnvelopes(t *testing.T, s *gqlServer) {
	c := s.rest
	c.t = t
	author := c.createAuthor("Ada", "ada-env@example.com")
	r := c.must(http.StatusCreated, "POST", "/api/posts", with(postBody("Both APIs", "both-apis", author),
		"status", "published", "tags", []any{"x"}, "views", 12, "rating", 2.5, "published_at", "2024-02-03T04:05:06.789Z",
		"metadata", map[string]any{"k": "v"}))
	id := r.str(t, "meta.resource_id")
	c.must(http.StatusOK, "PUT", "/api/posts/"+id, with(postBody("Both APIs 2", "both-apis", author), "status", "archived"))
	for _, revision := range []string{"", "1"} {
		path := "/api/posts/" + id
		args := fmt.Sprintf(`id: %q`, id)
		if revision != "" {
			path += "?revision=" + revision
			args += fmt.Sprintf(`, revision: %q`, revision)
		}
		rest := c.must(http.StatusOK, "GET", path, nil)
		g := s.query(`{ post(` + args + `) { ` + postFields + ` } }`)
		wantJSON(t, "data", g.get("post.data"), mustMarshal(t, asGraphQL(rest.get(t, "data"), "status")))
		wantJSON(t, "meta", g.get("post.meta"), mustMarshal(t, asGraphQL(rest.get(t, "meta"))))
		info := asGraphQL(rest.get(t, "revision_info"), "status").(map[string]any)
		info["number"] = g.get("post.revisionInfo.number") // GraphQL adds the revision number
		wantJSON(t, "revisionInfo", g.get("post.revisionInfo"), mustMarshal(t, info))
		if g.str("post.etag") != rest.Header.Get("ETag") {
			t.Errorf("etag %s, REST ETag %s", g.str("post.etag"), rest.Header.Get("ETag"))
		}
	}
	restRevs := c.revisionIDs("posts", id, "")
	g := s.query(`query($id: ID!) { post(id: $id) { revisions(first: 1000) { nodes { revisionId } } } }`, "id", id)
	var gqlRevs []string
	for i := range g.list("post.revisions.nodes") {
		gqlRevs = append(gqlRevs, g.str(fmt.Sprintf("post.revisions.nodes.%d.revisionId", i)))
	}
	if strings.Join(restRevs, ",") != strings.Join(gqlRevs, ",") {
		t.Errorf("revisions: REST %v, GraphQL %v", restRevs, gqlRevs)
	}
	restDiff := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/2/diff?against=1", nil)
	gd := s.query(`query($id: ID!) { post(id: $id) { diff(against: "1") } }`, "id", id)
	wantJSON(t, "diff", gd.get("post.diff"), string(restDiff.Body))
}

func testConformLists(t *testing.T, s *gqlServer) {
	seedPosts(s)
	tests := []struct {
		name          string
		filter, sort  string // REST
		where, order  string // GraphQL
		first, cursor string
	}{
		{name: "default", where: `{}`},
		{name: "contains", filter: `title ~ "ALPHA"`, where: `{title: {contains: "ALPHA"}}`},
		{name: "enum and range", filter: `status = "published" && views >= 7`, sort: "-views", where: `{status: {eq: PUBLISHED}, views: {gte: 7}}`, order: `[{field: VIEWS, direction: DESC}]`},
		{name: "or", filter: `tags = "db" || views < 6`, sort: "title", where: `{or: [{tags: {eq: "db"}}, {views: {lt: 6}}]}`, order: `[{field: TITLE}]`},
		{name: "not and null", filter: `!(status = "draft") && published_at is not null`, sort: "published_at", where: `{not: {status: {eq: DRAFT}}, publishedAt: {isNull: false}}`, order: `[{field: PUBLISHED_AT}]`},
		{name: "in", filter: `status in ["draft", "archived"]`, sort: "-title", where: `{status: {in: [DRAFT, ARCHIVED]}}`, order: `[{field: TITLE, direction: DESC}]`},
		{name: "meta", filter: `created_by = "` + testAdmin.ID + `"`, sort: "-created_time,title", where: `{createdBy: {eq: "` + testAdmin.ID + `"}}`, order: `[{field: CREATED_TIME, direction: DESC}, {field: TITLE}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{"count": {"true"}, "limit": {"3"}}
			if tt.filter != "" {
				q.Set("filter", tt.filter)
			}
			if tt.sort != "" {
				q.Set("sort", tt.sort)
			}
			c := s.rest
			c.t = t
			rest := c.must(http.StatusOK, "GET", "/api/posts?"+q.Encode(), nil)
			args := "first: 3, filter: " + tt.where
			if tt.order != "" {
				args += ", orderBy: " + tt.order
			}
			g := s.with(t).query(`{ posts(` + args + `) { totalCount nodes { id } pageInfo { hasNextPage } } }`)
			if got, want := strings.Join(g.ids("posts.nodes"), ","), strings.Join(rest.ids(t, "meta.resource_id"), ","); got != want {
				t.Errorf("GraphQL %s, REST %s", got, want)
			}
			if g.num("posts.totalCount") != rest.num(t, "total") {
				t.Errorf("totalCount %d, REST total %d", g.num("posts.totalCount"), rest.num(t, "total"))
			}
			if g.get("posts.pageInfo.hasNextPage") != (rest.get(t, "next_cursor") != nil) {
				t.Errorf("hasNextPage %v, REST next_cursor %v", g.get("posts.pageInfo.hasNextPage"), rest.get(t, "next_cursor"))
			}
		})
	}
}

func testConformErrors(t *testing.T, s *gqlServer) {
	c := s.rest
	c.t = t
	author := c.createAuthor("Bea", "bea@example.com")
	id := c.createPost("Taken", "taken", author)
	tests := []struct {
		name   string
		status int
		method string
		path   string
		body   any
		header []string
		query  string
	}{
		{name: "unique", status: 409, method: "POST", path: "/api/posts", body: postBody("Again", "taken", author),
			query: fmt.Sprintf(`mutation { createPost(input: {title: "Again", slug: "taken", author: %q}) { id } }`, author)},
		{name: "validation", status: 422, method: "POST", path: "/api/posts", body: with(postBody("x", "Bad Slug", author), "views", -2),
			query: fmt.Sprintf(`mutation { createPost(input: {title: "x", slug: "Bad Slug", author: %q, views: -2}) { id } }`, author)},
		{name: "missing ref", status: 422, method: "POST", path: "/api/posts", body: postBody("Lost", "lost", "nobody"),
			query: `mutation { createPost(input: {title: "Lost", slug: "lost", author: "nobody"}) { id } }`},
		{name: "stale if-match", status: 412, method: "PUT", path: "/api/posts/" + id, body: postBody("New", "taken", author), header: []string{"If-Match", `"` + id + `:7"`},
			query: fmt.Sprintf(`mutation { updatePost(id: %q, input: {title: "New", slug: "taken", author: %q}, ifMatch: "\"%s:7\"") { id } }`, id, author, id)},
		{name: "not found", status: 404, method: "GET", path: "/api/posts/nope", query: `{ post(id: "nope") { id } }`},
		{name: "bad filter value", status: 400, method: "GET", path: "/api/posts?cursor=zzz", query: `{ posts(after: "zzz") { totalCount } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.do(tt.method, tt.path, tt.body, tt.header...)
			code, _ := r.JSON.(map[string]any)["code"].(string)
			restFields := checkProblem(t, r, tt.status, code)
			e := s.with(t).fail(code, tt.query)
			var fields []string
			for _, fe := range e.Extensions.Errors {
				fields = append(fields, fe.Field)
			}
			if strings.Join(fields, ",") != strings.Join(restFields, ",") {
				t.Errorf("GraphQL error fields %v, REST %v", fields, restFields)
			}
		})
	}
}
