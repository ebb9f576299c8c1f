package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// TestGraphQLFastPath checks that the fast path of queries (the generated
// FastQuery, runtime/gql.FastQuerier) answers byte for byte what gqlgen's
// executor answers. Each query runs twice: as it is, which the fast path
// answers, and with a __schema field added, which the fast path leaves to
// gqlgen; the second response must be the first with that field added.
func TestGraphQLFastPath(t *testing.T) {
	s := newGQLServer(t, backends[1], nil)
	author := s.query(`mutation($in: AuthorInput!) { createAuthor(input: $in) { id } }`, "in", map[string]any{
		"name": "Ada <b>&\"Lovelace\"\n\t\u2028\x01 ü 𝄞", "email": "ada@example.com",
		"address": map[string]any{"city": "London", "country": "GB"},
	}).str("createAuthor.id")
	s.createAuthor("Bob", "bob@example.com")
	for i, title := range []string{"First <post> & more", "Second", "Third \\ \"quoted\""} {
		s.createPost(postInput(title, "post-"+string(rune('a'+i)), author,
			"status", []string{"PUBLISHED", "DRAFT", "ARCHIVED"}[i], "tags", []any{"go", "x<y"}, "views", "9007199254740993",
			"rating", []float64{4.5, 1e-7, 0.1}[i], "featured", i == 0, "publishedAt", "2024-05-01T12:00:00.123456789+02:00",
			"metadata", map[string]any{"a": []any{1, "x<y", nil}, "b": map[string]any{"c": 1.5}}))
	}
	s.createPost(postInput("Bare", "bare", author))
	posts := s.query(`{ posts(first: 10) { nodes { id } } }`).ids("posts.nodes")

	tests := []struct {
		name, query string
		vars        map[string]any
	}{
		{name: "list of every data field", query: `{ posts(orderBy: [{field: TITLE, direction: ASC}], first: 3) {
			edges { cursor node { ` + postFields + ` } } nodes { id __typename } pageInfo { hasNextPage endCursor } totalCount } }`},
		{name: "read with nested object", query: `query($id: ID!) { author(id: $id) { id data { name email bio website address { city country __typename } } } }`,
			vars: map[string]any{"id": author}},
		{name: "read of a missing resource is left to gqlgen", query: `{ author(id: "nope") { id } }`},
		{name: "aliases fragments and directives", query: `query($skip: Boolean!) {
			first: posts(first: 2) { nodes { ...P key: id data { t: title tags @skip(if: $skip) views @include(if: $skip) } } }
			one: post(id: "` + posts[0] + `") { ... on Post { data { title } } }
			__typename }
			fragment P on Post { meta { resourceId } revisionInfo { number status } }`, vars: map[string]any{"skip": true}},
		{name: "filter and empty page", query: `{ posts(filter: {title: {eq: "none"}}) { nodes { id } pageInfo { hasNextPage endCursor } } }`},
		{name: "two resources", query: `{ authors { nodes { id data { name address { city } } } } comments { totalCount } }`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast := s.postJSON(t, tt.query, tt.vars)
			slowQuery := strings.Replace(tt.query, "{", "{ __schema { queryType { name } } ", 1)
			if strings.HasPrefix(strings.TrimSpace(tt.query), "query") {
				// After the variable definitions: the first { opens the selection set.
				i := strings.Index(tt.query, ")")
				slowQuery = tt.query[:i+1] + strings.Replace(tt.query[i+1:], "{", "{ __schema { queryType { name } } ", 1)
			}
			slow := s.postJSON(t, slowQuery, tt.vars)
			want := bytes.Replace(slow, []byte(`"data":{"__schema":{"queryType":{"name":"Query"}},`), []byte(`"data":{`), 1)
			if bytes.Equal(want, slow) {
				t.Fatalf("the gqlgen response has no __schema first: %s", slow)
			}
			// Error locations differ by the added field's columns.
			fast, want = locations.ReplaceAll(fast, nil), locations.ReplaceAll(want, nil)
			if !bytes.Equal(fast, want) {
				t.Errorf("fast path:\n%s\ngqlgen:\n%s", fast, want)
			}
		})
	}
}

// locations matches the locations of an error.
var locations = regexp.MustCompile(`"locations":\[[^\]]*\],`)

// postJSON posts a query and returns the response body, which must come
// with status 200.
func (s *gqlServer) postJSON(t *testing.T, query string, vars map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	status, _, resp := s.with(t).post(string(body))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, resp)
	}
	return resp
}
