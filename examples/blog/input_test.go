package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/rest"
)

// Input hardening (issue 17, findings 3, 4 and 8): text that would not be
// stored as sent, U+0000, and email addresses, refused the same way on
// every backend, over REST and GraphQL, with nothing written.

// badText is one request whose body holds text the server must refuse.
type badText struct {
	name   string
	method string
	path   string // "{author}" and "{post}" stand for the fixtures' ids
	body   string // sent as is: raw bytes, not re-encoded
	ctype  string // "" is application/json
	status int
	code   string
	fields []string
}

// badTexts are sent to a server holding one author and one post.
var badTexts = []badText{
	// Not Unicode: 400 BAD_REQUEST naming the field.
	{name: "invalid utf-8", method: "POST", path: "/api/authors",
		body: "{\"name\":\"A\xff\xfeB\",\"email\":\"b@example.com\"}", status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "overlong encoding", method: "POST", path: "/api/authors",
		body: "{\"name\":\"a\xc0\xafb\",\"email\":\"b@example.com\"}", status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "encoded surrogate", method: "POST", path: "/api/authors",
		body: "{\"name\":\"\xed\xa0\x80\",\"email\":\"b@example.com\"}", status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "lone high surrogate", method: "POST", path: "/api/authors",
		body: `{"name":"\ud800","email":"b@example.com"}`, status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "lone low surrogate", method: "POST", path: "/api/authors",
		body: `{"name":"x\udc00","email":"b@example.com"}`, status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "high surrogate then no low", method: "POST", path: "/api/authors",
		body: `{"name":"\ud800\u0041","email":"b@example.com"}`, status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "nested field", method: "POST", path: "/api/authors",
		body: `{"name":"B","email":"b@example.com","address":{"city":"\ud800\ud800"}}`, status: 400, code: "BAD_REQUEST", fields: []string{"address.city"}},
	{name: "key", method: "POST", path: "/api/authors",
		body: "{\"name\":\"B\",\"email\":\"b@example.com\",\"address\":{\"ci\xfft\":\"x\"}}", status: 400, code: "BAD_REQUEST", fields: []string{"address.ci\uFFFDt"}},
	{name: "list element", method: "POST", path: "/api/posts",
		body: `{"title":"Another","author":"{author}","tags":["a","b","\udc00"]}`, status: 400, code: "BAD_REQUEST", fields: []string{"tags[2]"}},
	{name: "json field", method: "POST", path: "/api/posts",
		body: "{\"title\":\"Another\",\"author\":\"{author}\",\"metadata\":{\"k\":[\"\xff\"]}}", status: 400, code: "BAD_REQUEST", fields: []string{"metadata.k[0]"}},
	{name: "replace", method: "PUT", path: "/api/authors/{author}",
		body: "{\"name\":\"\xc0\xaf\",\"email\":\"ada@example.com\"}", status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "merge patch", method: "PATCH", path: "/api/authors/{author}", ctype: rest.MIMEMergePatch,
		body: `{"name":"\udc00"}`, status: 400, code: "BAD_REQUEST", fields: []string{"name"}},
	{name: "json patch", method: "PATCH", path: "/api/posts/{post}", ctype: rest.MIMEJSONPatch,
		body: "[{\"op\":\"replace\",\"path\":\"/title\",\"value\":\"\xff\xff\xff\"}]", status: 400, code: "BAD_REQUEST", fields: []string{"[0].value"}},

	// U+0000: 422 VALIDATION_ERROR naming the field, on every backend.
	{name: "nul", method: "POST", path: "/api/authors",
		body: `{"name":"a\u0000b","email":"b@example.com"}`, status: 422, code: "VALIDATION_ERROR", fields: []string{"name"}},
	{name: "nul nested", method: "POST", path: "/api/authors",
		body: `{"name":"B","email":"b@example.com","address":{"city":"\u0000"}}`, status: 422, code: "VALIDATION_ERROR", fields: []string{"address.city"}},
	{name: "nul in a json field key", method: "POST", path: "/api/posts",
		body: `{"title":"Another","author":"{author}","metadata":{"\u0000":1}}`, status: 422, code: "VALIDATION_ERROR", fields: []string{"metadata.\x00"}},
	{name: "nul in a list", method: "POST", path: "/api/posts",
		body: `{"title":"Another","author":"{author}","tags":["\u0000"]}`, status: 422, code: "VALIDATION_ERROR", fields: []string{"tags[0]"}},
	{name: "nul replace", method: "PUT", path: "/api/authors/{author}",
		body: `{"name":"\u0000","email":"ada@example.com"}`, status: 422, code: "VALIDATION_ERROR", fields: []string{"name"}},
	{name: "nul merge patch", method: "PATCH", path: "/api/authors/{author}", ctype: rest.MIMEMergePatch,
		body: `{"bio":"x\u0000"}`, status: 422, code: "VALIDATION_ERROR", fields: []string{"bio"}},
	{name: "nul json patch", method: "PATCH", path: "/api/posts/{post}", ctype: rest.MIMEJSONPatch,
		body: `[{"op":"replace","path":"/title","value":"abc\u0000"}]`, status: 422, code: "VALIDATION_ERROR", fields: []string{"title"}},
}

// TestInputText sends every badTexts request to every backend and checks
// the refusal and that nothing was written; then that text which is
// Unicode, an escaped surrogate pair included, is stored exactly.
func TestInputText(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, b, nil)
			author := c.createAuthor("Ada", "ada@example.com")
			post := c.createPost("Hello", "hello", author)
			fill := strings.NewReplacer("{author}", author, "{post}", post).Replace
			before := map[string][]byte{}
			for _, path := range []string{"/api/authors/" + author, "/api/posts/" + post} {
				before[path] = c.must(http.StatusOK, "GET", path, nil).Body
			}
			for _, tt := range badTexts {
				var header []string
				if tt.ctype != "" {
					header = []string{"Content-Type", tt.ctype}
				}
				got := c.problem(tt.status, tt.code, tt.method, fill(tt.path), fill(tt.body), header...)
				if !slices.Equal(got, tt.fields) {
					t.Errorf("%s: error fields %q, want %q", tt.name, got, tt.fields)
				}
			}
			if n := c.count("authors", ""); n != 1 {
				t.Errorf("%d authors after the refused writes, want 1", n)
			}
			if n := c.count("posts", ""); n != 1 {
				t.Errorf("%d posts after the refused writes, want 1", n)
			}
			for path, body := range before {
				if after := c.must(http.StatusOK, "GET", path, nil); !bytes.Equal(after.Body, body) {
					t.Errorf("%s changed:\n before %s\n after  %s", path, body, after.Body)
				}
			}

			// What is Unicode is stored exactly as sent.
			const name = `"\ud83d\ude00 \u00e9\u0301 \\u0000 \ufffd"`
			r := c.must(http.StatusCreated, "POST", "/api/authors",
				`{"name":`+name+`,"email":"emoji@example.com","bio":"\u0001\u001f"}`)
			want := `{"name":` + name + `,"email":"emoji@example.com","bio":"\u0001\u001f","website":null,"address":null}`
			wantJSON(t, "stored text", r.get(t, "data"), want)
			got := c.must(http.StatusOK, "GET", "/api/authors/"+r.str(t, "meta.resource_id"), nil)
			wantJSON(t, "read text", got.get(t, "data"), want)
		})
	}
}

// TestInputTextGraphQL checks the same refusals through GraphQL, whose
// inputs reach the Service through the generated encode (or, for patches,
// rest.Decode): U+0000 from a variable or a literal is a VALIDATION_ERROR
// naming the field in every mutation, and text that is not Unicode never
// reaches a resolver. Nothing is written.
func TestInputTextGraphQL(t *testing.T) {
	const (
		createAuthor = `mutation($in: AuthorInput!) { createAuthor(input: $in) { id } }`
		createPost   = `mutation($in: PostInput!) { createPost(input: $in) { id } }`
	)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := newGQLServer(t, b, nil)
			author := s.createAuthor("Ada", "ada@example.com")
			s.createPost(postInput("Hello", "hello", author))
			tests := []struct {
				name  string
				query string
				vars  []any
				field string
			}{
				{name: "create from a variable", query: createAuthor,
					vars: []any{"in", map[string]any{"name": "a\x00b", "email": "b@example.com"}}, field: "name"},
				{name: "create from a literal", query: `mutation { createAuthor(input: {name: "a\u0000b", email: "b@example.com"}) { id } }`,
					field: "name"},
				{name: "nested", query: createAuthor,
					vars: []any{"in", map[string]any{"name": "B", "email": "b@example.com", "address": map[string]any{"city": "\x00"}}}, field: "address.city"},
				{name: "list", query: createPost, vars: []any{"in", postInput("Another", "another", author, "tags", []string{"a", "\x00"})}, field: "tags[1]"},
				{name: "json scalar key", query: createPost,
					vars: []any{"in", postInput("Another", "another", author, "metadata", map[string]any{"\x00": 1})}, field: "metadata.\x00"},
				{name: "update", query: `mutation($id: ID!, $in: AuthorInput!) { updateAuthor(id: $id, input: $in) { id } }`,
					vars: []any{"id", author, "in", map[string]any{"name": "\x00", "email": "ada@example.com"}}, field: "name"},
				{name: "patch", query: `mutation($id: ID!, $p: JSON!) { patchAuthor(id: $id, patch: $p) { id } }`,
					vars: []any{"id", author, "p", map[string]any{"bio": "x\x00"}}, field: "bio"},
			}
			for _, tt := range tests {
				e := s.fail("VALIDATION_ERROR", tt.query, tt.vars...)
				var fields []string
				for _, fe := range e.Extensions.Errors {
					fields = append(fields, fe.Field)
				}
				if !slices.Equal(fields, []string{tt.field}) {
					t.Errorf("%s: error fields %q, want [%q]", tt.name, fields, tt.field)
				}
			}
			for _, body := range []string{
				"{\"query\":\"mutation { createAuthor(input: {name: \\\"A\xff\xfeB\\\", email: \\\"c@example.com\\\"}) { id } }\"}",
				`{"query":"mutation { createAuthor(input: {name: \"\\ud800\", email: \"c@example.com\"}) { id } }"}`,
				`{"query":"` + createAuthor + `","variables":{"in":{"name":"\ud800","email":"c@example.com"}}}`,
				"{\"query\":\"" + createAuthor + "\",\"variables\":{\"in\":{\"name\":\"\xc0\xaf\",\"email\":\"c@example.com\"}}}",
				`{"query":"` + createPost + `","variables":{"in":{"title":"Another","author":"` + author + `","metadata":{"k":"\udc00"}}}}`,
			} {
				status, _, resp := s.post(body)
				var out struct {
					Data   map[string]any `json:"data"`
					Errors []gqlError     `json:"errors"`
				}
				if err := json.Unmarshal(resp, &out); err != nil {
					t.Fatalf("%s: %d %s: %v", body, status, resp, err)
				}
				if len(out.Errors) == 0 || out.Data["createAuthor"] != nil || out.Data["createPost"] != nil {
					t.Errorf("%s: answered %d %s, want an error", body, status, resp)
				} else if code := out.Errors[0].Extensions.Code; code != "BAD_REQUEST" {
					t.Errorf("%s: code %s, want BAD_REQUEST: %s", body, code, resp)
				}
			}
			if n := s.rest.count("authors", ""); n != 1 {
				t.Errorf("%d authors after the refused writes, want 1", n)
			}
			if n := s.rest.count("posts", ""); n != 1 {
				t.Errorf("%d posts after the refused writes, want 1", n)
			}

			// A surrogate pair in a variable is one character, stored as sent.
			status, _, resp := s.post(`{"query":"` + createAuthor + `","variables":{"in":{"name":"\ud83d\ude00","email":"e@example.com"}}}`)
			var out struct {
				Data struct {
					CreateAuthor struct{ ID string } `json:"createAuthor"`
				} `json:"data"`
			}
			if err := json.Unmarshal(resp, &out); err != nil || out.Data.CreateAuthor.ID == "" {
				t.Fatalf("create with a surrogate pair: %d %s", status, resp)
			}
			r := s.rest.must(http.StatusOK, "GET", "/api/authors/"+out.Data.CreateAuthor.ID, nil)
			if got := r.str(t, "data.name"); got != "\U0001F600" {
				t.Errorf("stored name %q, want %q", got, "\U0001F600")
			}
		})
	}
}

// TestInputEmail checks that addresses mail cannot be delivered to, or
// that hide characters, are refused over REST (422 naming email) and
// GraphQL (VALIDATION_ERROR), and that unusual valid ones are accepted.
func TestInputEmail(t *testing.T) {
	s := newGQLServer(t, backends[0], nil)
	c := s.rest
	author := c.createAuthor("Ada", "ada@example.com")
	bad := []string{"a@b", "a@-x.com", "a@x-.com", "root@localhost", "a@example.123", "a@[127.0.0.1]",
		"\u202eadmin@example.com", "ad\u200bmin@example.com", "ad\u2066min@example.com", `"ad` + "\u202e" + `min"@example.com`,
		"a..b@example.com", ".a@example.com", "a@example.com.", "a@exa_mple.com", "Ada <a@example.com>"}
	for _, e := range bad {
		got := c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/authors", map[string]any{"name": "X", "email": e})
		if !slices.Equal(got, []string{"email"}) {
			t.Errorf("POST email %q: error fields %q, want [email]", e, got)
		}
		got = c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "PUT", "/api/authors/"+author, map[string]any{"name": "Ada", "email": e})
		if !slices.Equal(got, []string{"email"}) {
			t.Errorf("PUT email %q: error fields %q, want [email]", e, got)
		}
		ge := s.fail("VALIDATION_ERROR", `mutation($in: AuthorInput!) { createAuthor(input: $in) { id } }`,
			"in", map[string]any{"name": "X", "email": e})
		if len(ge.Extensions.Errors) != 1 || ge.Extensions.Errors[0].Field != "email" {
			t.Errorf("GraphQL email %q: errors %+v, want one naming email", e, ge.Extensions.Errors)
		}
	}
	if n := c.count("authors", ""); n != 1 {
		t.Errorf("%d authors after the refused writes, want 1", n)
	}
	if n := len(c.revisionIDs("authors", author, "")); n != 1 {
		t.Errorf("%d revisions of the author after the refused writes, want 1", n)
	}
	for _, e := range []string{"o'brien+news@mail.example.co.uk", `"ada lovelace"@example.com`, "josé@bücher.example", "x@xn--bcher-kva.example"} {
		c.must(http.StatusCreated, "POST", "/api/authors", map[string]any{"name": "X", "email": e})
	}
}
