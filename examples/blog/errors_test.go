package main

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// fixtures creates one author, post and comment and returns their ids.
func (c *client) fixtures() (author, post, comment string) {
	c.t.Helper()
	author = c.createAuthor("Ada", "ada@example.com")
	post = c.createPost("Valid title", "valid", author)
	comment = c.createComment(post, "Nice post.")
	return author, post, comment
}

// unchanged checks that the fixtures are still the only resources and
// still have one revision each: failed requests change nothing.
func (c *client) unchanged(author, post, comment string) {
	c.t.Helper()
	for _, f := range []struct{ res, id string }{{"authors", author}, {"posts", post}, {"comments", comment}} {
		if n := c.count(f.res, "?include_deleted=true"); n != 1 {
			c.t.Errorf("%d %s stored after failed requests, want 1", n, f.res)
		}
		if got := c.revisionIDs(f.res, f.id, ""); !slices.Equal(got, []string{rev(f.id, 1)}) {
			c.t.Errorf("failed requests wrote %s revisions: %v", f.res, got)
		}
	}
}

func testValidation(t *testing.T, c *client) {
	author, post, comment := c.fixtures()
	ids := map[string]string{"authors": author, "posts": post, "comments": comment}
	// Valid bodies for a create and for a PUT of the fixture: unique values
	// are fresh, so only the change under test can make them fail.
	validAuthor := map[string]any{"name": "Ada", "email": "fresh@example.com"}
	validPost := postBody("Valid title", "fresh-slug", author)
	validComment := map[string]any{"post": post, "author_name": "Reader", "body": "Hello"}
	address := func(kv ...any) map[string]any { return with(map[string]any{"city": "Paris", "country": "FR"}, kv...) }
	tags := make([]string, 11)
	for i := range tags {
		tags[i] = fmt.Sprintf("tag%d", i)
	}

	tests := []struct {
		name   string
		res    string
		body   any
		fields []string
	}{
		{name: "author missing required fields", res: "authors", body: `{}`, fields: []string{"name", "email"}},
		{name: "author required field null", res: "authors", body: with(validAuthor, "name", nil), fields: []string{"name"}},
		{name: "max_length", res: "authors", body: with(validAuthor, "name", strings.Repeat("n", 101)), fields: []string{"name"}},
		{name: "text max_length", res: "authors", body: with(validAuthor, "bio", strings.Repeat("b", 2001)), fields: []string{"bio"}},
		{name: "bad email", res: "authors", body: with(validAuthor, "email", "not-an-email"), fields: []string{"email"}},
		{name: "bad url", res: "authors", body: with(validAuthor, "website", "not a url"), fields: []string{"website"}},
		{name: "nested pattern", res: "authors", body: with(validAuthor, "address", address("country", "fr")), fields: []string{"address.country"}},
		{name: "nested min_length", res: "authors", body: with(validAuthor, "address", address("country", "F")), fields: []string{"address.country"}},
		{name: "nested max_length", res: "authors", body: with(validAuthor, "address", address("city", strings.Repeat("c", 81))), fields: []string{"address.city"}},
		{name: "nested unknown field", res: "authors", body: with(validAuthor, "address", address("zip", "75001")), fields: []string{"address.zip"}},
		{name: "nested wrong type", res: "authors", body: with(validAuthor, "address", "Paris"), fields: []string{"address"}},
		{name: "unknown field", res: "authors", body: with(validAuthor, "nickname", "Countess"), fields: []string{"nickname"}},
		{name: "resource_id in body", res: "authors", body: with(validAuthor, "resource_id", author), fields: []string{"resource_id"}},
		{name: "string field given a number", res: "authors", body: with(validAuthor, "name", 5), fields: []string{"name"}},
		{name: "several problems at once", res: "authors", body: with(validAuthor, "name", strings.Repeat("n", 101), "email", "nope"), fields: []string{"name", "email"}},

		{name: "post missing required fields", res: "posts", body: `{}`, fields: []string{"title", "author"}},
		{name: "min_length", res: "posts", body: with(validPost, "title", "ab"), fields: []string{"title"}},
		{name: "post max_length", res: "posts", body: with(validPost, "title", strings.Repeat("t", 201)), fields: []string{"title"}},
		{name: "pattern", res: "posts", body: with(validPost, "slug", "Not A Slug"), fields: []string{"slug"}},
		{name: "enum value", res: "posts", body: with(validPost, "status", "deleted"), fields: []string{"status"}},
		{name: "enum case matters", res: "posts", body: with(validPost, "status", "Draft"), fields: []string{"status"}},
		{name: "min", res: "posts", body: with(validPost, "views", -1), fields: []string{"views"}},
		{name: "max", res: "posts", body: with(validPost, "rating", 5.5), fields: []string{"rating"}},
		{name: "int given a fraction", res: "posts", body: with(validPost, "views", 1.5), fields: []string{"views"}},
		{name: "int given a string", res: "posts", body: with(validPost, "views", "ten"), fields: []string{"views"}},
		{name: "bool given a string", res: "posts", body: with(validPost, "featured", "yes"), fields: []string{"featured"}},
		{name: "bad datetime", res: "posts", body: with(validPost, "published_at", "yesterday"), fields: []string{"published_at"}},
		{name: "date for datetime", res: "posts", body: with(validPost, "published_at", "2024-05-01"), fields: []string{"published_at"}},
		{name: "list max_length", res: "posts", body: with(validPost, "tags", tags), fields: []string{"tags"}},
		{name: "list element type", res: "posts", body: with(validPost, "tags", []any{"go", 1}), fields: []string{"tags"}},
		{name: "list given a string", res: "posts", body: with(validPost, "tags", "go"), fields: []string{"tags"}},
		{name: "ref given a number", res: "posts", body: with(validPost, "author", 7), fields: []string{"author"}},
		// One response names every mistake it can: decoding (a type, an
		// unknown key), constraints and references, not one kind per round.
		{name: "every kind of mistake at once", res: "posts",
			body:   with(validPost, "title", "ab", "views", "ten", "nickname", "x", "editor", "0190c0de-0000-7000-8000-000000000000"),
			fields: []string{"title", "views", "nickname", "editor"}},
		{name: "a constraint and a reference", res: "posts",
			body:   with(validPost, "rating", 9.0, "editor", "0190c0de-0000-7000-8000-000000000000"),
			fields: []string{"rating", "editor"}},

		{name: "comment missing required fields", res: "comments", body: `{}`, fields: []string{"post", "author_name", "body"}},
		{name: "text min_length", res: "comments", body: with(validComment, "body", ""), fields: []string{"body"}},
		{name: "bad uuid", res: "comments", body: with(validComment, "external_id", "xyz"), fields: []string{"external_id"}},
		{name: "bad date", res: "comments", body: with(validComment, "day", "2024-13-01"), fields: []string{"day"}},
		{name: "date in another format", res: "comments", body: with(validComment, "day", "01/05/2024"), fields: []string{"day"}},
		{name: "datetime for date", res: "comments", body: with(validComment, "day", "2024-05-01T00:00:00Z"), fields: []string{"day"}},
	}
	for _, tt := range tests {
		got := c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/"+tt.res, tt.body)
		wantFields(t, tt.name+" (create)", got, tt.fields)
		got = c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "PUT", "/api/"+tt.res+"/"+ids[tt.res], tt.body)
		wantFields(t, tt.name+" (replace)", got, tt.fields)
	}
	c.unchanged(author, post, comment)

	// The valid bodies really are valid: the failures above come from the change alone.
	c.must(http.StatusCreated, "POST", "/api/authors", validAuthor)
	c.must(http.StatusCreated, "POST", "/api/posts", validPost)
	c.must(http.StatusCreated, "POST", "/api/comments", validComment)
	// Lengths count characters, not bytes: 100 two-byte characters fit.
	c.must(http.StatusCreated, "POST", "/api/authors", map[string]any{"name": strings.Repeat("é", 100), "email": "e@example.com"})
}

func testBadRequest(t *testing.T, c *client) {
	author, post, comment := c.fixtures()
	valid := map[string]any{"name": "Ada", "email": "ada@example.com"}
	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{name: "malformed JSON", method: "POST", path: "/api/authors", body: `{"name": "Ada",`},
		{name: "not JSON", method: "POST", path: "/api/authors", body: `name=Ada`},
		{name: "empty body", method: "POST", path: "/api/authors", body: ``},
		{name: "two JSON values", method: "POST", path: "/api/authors", body: `{"name": "Bo", "email": "bo@example.com"} {}`},
		{name: "malformed JSON on PUT", method: "PUT", path: "/api/authors/" + author, body: `{"name"`},
		{name: "limit 0", method: "GET", path: "/api/authors?limit=0"},
		{name: "limit 1001", method: "GET", path: "/api/authors?limit=1001"},
		{name: "negative limit", method: "GET", path: "/api/authors?limit=-1"},
		{name: "limit not a number", method: "GET", path: "/api/authors?limit=many"},
		{name: "negative offset", method: "GET", path: "/api/authors?offset=-1"},
		{name: "offset not a number", method: "GET", path: "/api/authors?offset=x"},
		{name: "forged cursor", method: "GET", path: "/api/authors?cursor=%21%21not-a-cursor"},
		{name: "include_deleted not a bool", method: "GET", path: "/api/authors?include_deleted=maybe"},
		{name: "deleted other than only", method: "GET", path: "/api/authors?deleted=sometimes"},
		{name: "count not a bool", method: "GET", path: "/api/authors?count=maybe"},
		{name: "count route, bad include_deleted", method: "GET", path: "/api/authors/count?include_deleted=maybe"},
		{name: "read, bad include_deleted", method: "GET", path: "/api/authors/" + author + "?include_deleted=maybe"},
		{name: "unknown mode", method: "PUT", path: "/api/authors/" + author + "?mode=rewrite", body: valid},
		{name: "unknown status", method: "PUT", path: "/api/authors/" + author + "?status=final", body: valid},
		{name: "unknown status on create", method: "POST", path: "/api/authors?status=final", body: with(valid, "email", "new@example.com")},
		{name: "revisions limit 0", method: "GET", path: "/api/authors/" + author + "/revisions?limit=0"},
	}
	for _, tt := range tests {
		c.problem(http.StatusBadRequest, "BAD_REQUEST", tt.method, tt.path, tt.body)
	}
	c.unchanged(author, post, comment)
}

func testUnsupportedMediaType(t *testing.T, c *client) {
	author, post, comment := c.fixtures()
	body := `{"name": "Bob", "email": "bob@example.com"}`
	tests := []struct {
		name   string
		method string
		path   string
		ctype  string
	}{
		{name: "create as text", method: "POST", path: "/api/authors", ctype: "text/plain"},
		{name: "create as form", method: "POST", path: "/api/authors", ctype: "application/x-www-form-urlencoded"},
		{name: "create as XML", method: "POST", path: "/api/authors", ctype: "application/xml"},
		{name: "replace as text", method: "PUT", path: "/api/authors/" + author, ctype: "text/plain"},
		{name: "patch as plain JSON", method: "PATCH", path: "/api/authors/" + author, ctype: "application/json"},
		{name: "patch as text", method: "PATCH", path: "/api/authors/" + author, ctype: "text/plain"},
	}
	for _, tt := range tests {
		c.problem(http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", tt.method, tt.path, body, "Content-Type", tt.ctype)
	}
	c.unchanged(author, post, comment)

	// Media type parameters are fine.
	c.must(http.StatusCreated, "POST", "/api/authors", body, "Content-Type", "application/json; charset=utf-8")
	c.must(http.StatusOK, "PATCH", "/api/authors/"+author, `{"bio": "Hi"}`, "Content-Type", mergePatch+"; charset=utf-8")
}

// testBodyLimit runs with server.Config.BodyLimit = 512.
func testBodyLimit(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	big := map[string]any{"name": "Big", "email": "big@example.com", "bio": strings.Repeat("x", 2000)}
	c.problem(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "POST", "/api/authors", big)
	c.problem(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "PUT", "/api/authors/"+author, big)
	c.problem(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "PATCH", "/api/authors/"+author,
		map[string]any{"bio": strings.Repeat("x", 2000)}, "Content-Type", mergePatch)
	if n := c.count("authors", "?include_deleted=true"); n != 1 {
		t.Errorf("%d authors after refused bodies, want 1", n)
	}
	if got := c.revisionIDs("authors", author, ""); !slices.Equal(got, []string{rev(author, 1)}) {
		t.Errorf("refused bodies wrote revisions: %v", got)
	}
	// A body under the limit still works.
	c.must(http.StatusOK, "PUT", "/api/authors/"+author, map[string]any{"name": "Ada", "email": "ada@example.com", "bio": "Short."})
}
