package main

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/examples/blog/blog"
)

// docRoute matches a route written in docs/rest.md as code: `GET /api/{res}`,
// `POST /api/posts?status=draft`, or `DELETE /{id}` (relative to a resource).
var docRoute = regexp.MustCompile("`(GET|POST|PUT|PATCH|DELETE) (/[^`\\s]*)`")

// TestRESTDocMatchesOpenAPI keeps docs/rest.md and the OpenAPI document from
// drifting apart: every operation of the blog's document is written in
// docs/rest.md, and every route docs/rest.md names is an operation of the
// document. Paths of the blog's resources (/api/posts) count as /api/{res}.
func TestRESTDocMatchesOpenAPI(t *testing.T) {
	d, err := apiDoc()
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join("..", "..", "docs", "rest.md"))
	if err != nil {
		t.Fatal(err)
	}
	var resources []string
	for _, k := range blog.App().Schema().Kinds {
		resources = append(resources, "/api/"+k.Path)
	}
	inDoc := make(map[string]bool)
	for path, item := range d.doc.Paths.Map() {
		for method := range item.Operations() {
			inDoc[normalizeRoute(method, path, resources)] = true
		}
	}
	inMarkdown := make(map[string]bool)
	for _, m := range docRoute.FindAllStringSubmatch(string(md), -1) {
		inMarkdown[normalizeRoute(m[1], m[2], resources)] = true
	}
	for _, r := range slices.Sorted(maps.Keys(inDoc)) {
		if !inMarkdown[r] {
			t.Errorf("the OpenAPI document has %s, docs/rest.md does not mention it", r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(inMarkdown)) {
		if !inDoc[r] {
			t.Errorf("docs/rest.md documents %s, the OpenAPI document has no such operation", r)
		}
	}
}

// normalizeRoute returns "METHOD /path" with the query cut off, a route
// relative to a resource ("/{id}/restore") and a concrete resource path
// ("/api/posts/{id}") both written under /api/{res}.
func normalizeRoute(method, path string, resources []string) string {
	path, _, _ = strings.Cut(path, "?")
	if strings.HasPrefix(path, "/{id}") {
		path = "/api/{res}" + path
	}
	for _, r := range resources {
		if path == r || strings.HasPrefix(path, r+"/") {
			path = "/api/{res}" + strings.TrimPrefix(path, r)
		}
	}
	return strings.ToUpper(method) + " " + path
}
