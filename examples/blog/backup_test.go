package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/specstar-go/specstar/runtime/resource"
)

// The archive media types, for the OpenAPI conformance check of every
// exchange: their bodies are opaque strings to the document.
func init() {
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/gzip", openapi3filter.FileBodyDecoder)
}

// TestExportImport exports authors and posts over REST from one server
// and imports them into another of the same backend: the second exports
// the same archive (ids, revision ids, parents, hashes, times, authors,
// drafts, soft deletes). Every broken import is a problem and writes
// nothing; only admins export and import.
func TestExportImport(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			src := newClient(t, b, nil)
			author := src.createAuthor("Ann", "ann@example.com")
			other := src.createAuthor("Bob", "bob@example.com")
			post := src.createPost("First post", "first-post", author)
			src.must(http.StatusOK, "PUT", "/api/posts/"+post, postBody("First post, edited", "first-post", author))
			src.must(http.StatusOK, "PUT", "/api/posts/"+post+"?status=draft", postBody("A draft", "first-post", author))
			gone := src.createPost("Gone post", "gone-post", other)
			src.must(http.StatusOK, "DELETE", "/api/posts/"+gone, nil)

			authors := src.must(http.StatusOK, "GET", "/api/authors/export", nil)
			if ct := authors.Header.Get("Content-Type"); ct != "application/x-ndjson" {
				t.Fatalf("export Content-Type %q", ct)
			}
			posts := src.must(http.StatusOK, "GET", "/api/posts/export", nil).Body
			if n := bytes.Count(posts, []byte(`"type":"revision"`)); n != 4 {
				t.Fatalf("the posts export holds %d revisions, want 4:\n%s", n, posts)
			}

			dst := newClient(t, b, nil)
			ndjson := []string{"Content-Type", "application/x-ndjson"}
			r := dst.must(http.StatusOK, "POST", "/api/authors/import", authors.Body, ndjson...)
			wantJSON(t, "authors import", r.JSON, `{"resources":2,"revisions":2,"skipped":0}`)
			// gzip-compressed archives are read too.
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(posts)
			zw.Close()
			r = dst.must(http.StatusOK, "POST", "/api/posts/import", gz.Bytes(), "Content-Type", "application/gzip")
			wantJSON(t, "posts import", r.JSON, `{"resources":2,"revisions":4,"skipped":0}`)
			if got := dst.must(http.StatusOK, "GET", "/api/posts/export", nil).Body; !bytes.Equal(withoutHeader(got), withoutHeader(posts)) {
				t.Fatalf("the imported posts export differently:\n%s\nwant:\n%s", got, posts)
			}
			// The imported resources are served as they were.
			env := dst.must(http.StatusOK, "GET", "/api/posts/"+post, nil)
			if got := env.str(t, "revision_info.revision_id"); got != rev(post, 3) {
				t.Fatalf("current revision %s, want %s", got, rev(post, 3))
			}
			dst.must(http.StatusGone, "GET", "/api/posts/"+gone, nil)

			before := dst.must(http.StatusOK, "GET", "/api/posts/export", nil).Body
			lines := strings.SplitAfter(string(posts), "\n")
			invalid := strings.Join(append([]string{lines[0], `{"type":"resource","kind":"Post","meta":{`}, lines[1:]...), "")
			future := strings.Replace(string(posts), `"version":1`, `"version":7`, 1)
			// A revision whose data breaks the spec (title too short), with
			// a matching hash.
			broken := retitle(t, lines, "ab")
			for _, tt := range []struct {
				name, query, body string
				header            []string
				status            int
				code, detail      string
			}{
				{name: "invalid JSON", body: invalid, status: 400, code: "BAD_REQUEST", detail: "line 2 is not valid JSON"},
				{name: "future format version", body: future, status: 422, code: "VALIDATION_ERROR", detail: "format version 7"},
				{name: "cut in the middle", query: "?on_duplicate=skip", body: string(posts[:len(posts)/2]), status: 400, code: "BAD_REQUEST", detail: "cut short"},
				{name: "duplicate ids", query: "?on_duplicate=fail", body: string(posts), status: 409, code: "CONFLICT", detail: "already exists"},
				{name: "failing validation", query: "?on_duplicate=overwrite", body: broken, status: 422, code: "VALIDATION_ERROR", detail: "title"},
				{name: "bad on_duplicate", query: "?on_duplicate=merge", body: string(posts), status: 400, code: "BAD_REQUEST", detail: "on_duplicate"},
				{name: "wrong kind", query: "?on_duplicate=skip", body: string(authors.Body), status: 422, code: "VALIDATION_ERROR", detail: "is not one this import takes"},
				{name: "not an archive type", body: string(posts), header: []string{"Content-Type", "text/plain"}, status: 415, code: "UNSUPPORTED_MEDIA_TYPE", detail: "application/x-ndjson"},
				{name: "anonymous", body: string(posts), header: []string{anonymousHeader, "1"}, status: 401, code: "UNAUTHENTICATED", detail: "admin"},
			} {
				h := append(append([]string(nil), ndjson...), tt.header...)
				r := dst.do("POST", "/api/posts/import"+tt.query, tt.body, h...)
				checkProblem(t, r, tt.status, tt.code)
				if !strings.Contains(string(r.Body), tt.detail) {
					t.Errorf("%s: problem %s does not say %q", tt.name, r.Body, tt.detail)
				}
				if got := dst.must(http.StatusOK, "GET", "/api/posts/export", nil).Body; !bytes.Equal(withoutHeader(got), withoutHeader(before)) {
					t.Fatalf("%s: a refused import changed the posts", tt.name)
				}
			}
			checkProblem(t, dst.do("GET", "/api/posts/export", nil, anonymousHeader, "1"), 401, "UNAUTHENTICATED")
		})
	}
}

// withoutHeader drops the header line (its created_time differs).
func withoutHeader(archive []byte) []byte {
	_, rest, _ := bytes.Cut(archive, []byte("\n"))
	return rest
}

// retitle returns the archive of lines with the title of its first
// revision replaced, and the revision's data_hash made to match.
func retitle(t *testing.T, lines []string, title string) string {
	t.Helper()
	out := append([]string(nil), lines...)
	for i, l := range out {
		if !strings.Contains(l, `"type":"revision"`) {
			continue
		}
		var v struct {
			Type         string                `json:"type"`
			Kind         string                `json:"kind"`
			RevisionInfo resource.RevisionInfo `json:"revision_info"`
			Data         map[string]any        `json:"data"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatal(err)
		}
		v.Data["title"] = title
		data, _ := json.Marshal(v.Data)
		v.RevisionInfo.DataHash = resource.DataHash(data)
		line, _ := json.Marshal(v)
		out[i] = string(line) + "\n"
		break
	}
	return strings.Join(out, "")
}
