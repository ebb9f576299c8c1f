package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// gqlFile is a file of a GraphQL multipart request, placed at the
// variable paths of the map part ("variables.in.cover.upload").
type gqlFile struct {
	name  string
	body  []byte
	paths []string
}

// upload sends query with variables and files by the GraphQL multipart
// request spec and returns the status, the data and the errors.
func (s *gqlServer) upload(query string, variables map[string]any, files ...gqlFile) (int, gqlData, []gqlError) {
	s.t.Helper()
	ops, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		s.t.Fatal(err)
	}
	places := map[string][]string{}
	parts := []filePart{{name: "operations", body: ops}, {name: "map"}}
	for i, f := range files {
		key := fmt.Sprint(i)
		places[key] = f.paths
		parts = append(parts, filePart{name: key, filename: f.name, contentType: "image/png", body: f.body})
	}
	parts[1].body, _ = json.Marshal(places)
	body, ct := multipartBody(s.t, parts...)
	req, err := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	status, _, raw := s.do(req)
	var resp struct {
		Data   any        `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		s.t.Fatalf("multipart response %d: %v: %s", status, err, raw)
	}
	return status, gqlData{t: s.t, v: resp.Data}, resp.Errors
}

// get downloads path from the REST API.
func (s *gqlServer) download(path string) (int, []byte) {
	s.t.Helper()
	resp, err := s.rest.hc.Get(s.rest.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// wantCode fails unless errs is one error of code whose text names field.
func wantCode(t *testing.T, what string, errs []gqlError, code, field string) {
	t.Helper()
	if len(errs) != 1 || errs[0].Extensions.Code != code || !strings.Contains(fmt.Sprint(errs[0]), field) {
		t.Fatalf("%s: errors %+v, want one %s naming %q", what, errs, code, field)
	}
}

const postFiles = `id data { cover { id name contentType size sha256 url } attachments { name sha256 url } }`

// TestFilesGraphQL uploads and downloads a post's cover and attachments
// over GraphQL on every backend: multipart uploads (create, replace and
// patch), references to POST /api/files uploads, download URLs of the
// current and of an old revision, and the bad input of each kind, which
// leaves nothing behind.
func TestFilesGraphQL(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := newGQLServer(t, b, nil)
			author := s.createAuthor("Gql", "gql@example.com")
			doc := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 100)...)
			text := []byte("just some text, not an image")

			// Create with a cover and two attachments in one multipart request.
			in := postInput("Via GraphQL", "via-graphql", author,
				"cover", map[string]any{"upload": nil},
				"attachments", []any{map[string]any{"upload": nil}, map[string]any{"upload": nil}})
			status, d, errs := s.upload(`mutation($in: PostInput!) { createPost(input: $in) { `+postFiles+` } }`,
				map[string]any{"in": in},
				gqlFile{name: "../cover.png", body: pngBytes, paths: []string{"variables.in.cover.upload"}},
				gqlFile{name: "a.pdf", body: doc, paths: []string{"variables.in.attachments.0.upload"}},
				gqlFile{name: "b.txt", body: text, paths: []string{"variables.in.attachments.1.upload"}})
			if status != 200 || len(errs) > 0 {
				t.Fatalf("multipart createPost: %d %+v", status, errs)
			}
			id := d.str("createPost.id")
			if d.str("createPost.data.cover.name") != "cover.png" || d.str("createPost.data.cover.contentType") != "image/png" ||
				d.num("createPost.data.cover.size") != len(pngBytes) || d.str("createPost.data.cover.sha256") != sha(pngBytes) {
				t.Fatalf("cover = %v", d.get("createPost.data.cover"))
			}
			base := "/api/posts/" + id + "/files/"
			if u := d.str("createPost.data.cover.url"); u != base+"cover" {
				t.Fatalf("cover url = %q, want %q", u, base+"cover")
			}
			atts := d.list("createPost.data.attachments")
			if len(atts) != 2 {
				t.Fatalf("attachments = %v", atts)
			}
			for i, want := range [][]byte{doc, text} {
				a := atts[i].(map[string]any)
				if a["sha256"] != sha(want) || a["url"] != fmt.Sprintf("%sattachments/%d", base, i) {
					t.Fatalf("attachment %d = %v", i, a)
				}
				code, got := s.download(a["url"].(string))
				if code != 200 || !bytes.Equal(got, want) {
					t.Fatalf("download attachment %d: %d, %d bytes", i, code, len(got))
				}
			}
			code, got := s.download(d.str("createPost.data.cover.url"))
			if code != 200 || !bytes.Equal(got, pngBytes) {
				t.Fatalf("download cover: %d, %d bytes", code, len(got))
			}
			// Lists find the record above the file too.
			l := s.query(`{ posts { nodes { data { cover { url } attachments { url } } } edges { node { data { cover { url } } } } } }`)
			if u := l.str("posts.nodes.0.data.cover.url"); u != base+"cover" {
				t.Fatalf("posts.nodes cover url = %q", u)
			}
			if u := l.str("posts.nodes.0.data.attachments.1.url"); u != base+"attachments/1" {
				t.Fatalf("posts.nodes attachment url = %q", u)
			}
			if u := l.str("posts.edges.0.node.data.cover.url"); u != base+"cover" {
				t.Fatalf("posts.edges cover url = %q", u)
			}
			firstRev := s.query(`query($id: ID!) { post(id: $id) { revisionInfo { revisionId } } }`, "id", id).str("post.revisionInfo.revisionId")

			// Patch: a new cover by upload; the attachments stay.
			png2 := append(append([]byte{}, pngBytes...), 1, 2, 3)
			status, d, errs = s.upload(`mutation($id: ID!, $p: JSON!) { patchPost(id: $id, patch: $p) { `+postFiles+` } }`,
				map[string]any{"id": id, "p": map[string]any{"cover": map[string]any{"upload": nil}}},
				gqlFile{name: "new.png", body: png2, paths: []string{"variables.p.cover.upload"}})
			if status != 200 || len(errs) > 0 {
				t.Fatalf("multipart patchPost: %d %+v", status, errs)
			}
			if d.str("patchPost.data.cover.sha256") != sha(png2) || len(d.list("patchPost.data.attachments")) != 2 {
				t.Fatalf("patched = %v", d.get("patchPost.data"))
			}
			// The old revision keeps its cover, served with ?revision=.
			old := s.query(`query($id: ID!, $rev: String) { post(id: $id, revision: $rev) { data { cover { sha256 url } } } }`, "id", id, "rev", firstRev)
			if u := old.str("post.data.cover.url"); u != base+"cover?revision="+strings.ReplaceAll(firstRev, ":", "%3A") {
				t.Fatalf("old revision's cover url = %q", u)
			}
			if code, got := s.download(old.str("post.data.cover.url")); code != 200 || !bytes.Equal(got, pngBytes) {
				t.Fatalf("download old cover: %d, %d bytes", code, len(got))
			}

			// Replace, referencing a POST /api/files upload by id and the
			// current cover by its id.
			uploadFile := func(name string, body []byte) string {
				mb, ct := multipartBody(t, filePart{name: "file", filename: name, body: body})
				req, _ := http.NewRequest("POST", s.rest.base+"/api/files", bytes.NewReader(mb))
				req.Header.Set("Content-Type", ct)
				resp, err := s.rest.hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 201 {
					t.Fatalf("POST /api/files: %d %s", resp.StatusCode, raw)
				}
				var up map[string]any
				json.Unmarshal(raw, &up)
				return up["id"].(string)
			}
			pdfID := uploadFile("two-step.pdf", doc)
			coverID := d.str("patchPost.data.cover.id")
			in = postInput("Via GraphQL", "via-graphql", author, "cover", map[string]any{"id": coverID},
				"attachments", []any{map[string]any{"id": pdfID}})
			d = s.query(`mutation($id: ID!, $in: PostInput!) { updatePost(id: $id, input: $in) { `+postFiles+` } }`, "id", id, "in", in)
			if d.str("updatePost.data.cover.sha256") != sha(png2) || d.list("updatePost.data.attachments")[0].(map[string]any)["name"] != "two-step.pdf" {
				t.Fatalf("replaced = %v", d.get("updatePost.data"))
			}
			// One upload as the cover and as the second attachment: each
			// place has its own URL.
			png3 := append(append([]byte{}, pngBytes...), 4, 5, 6)
			both := uploadFile("both.png", png3)
			in = postInput("Via GraphQL", "via-graphql", author, "cover", map[string]any{"id": both},
				"attachments", []any{map[string]any{"id": pdfID}, map[string]any{"id": both}})
			twice := s.query(`mutation($id: ID!, $in: PostInput!) { updatePost(id: $id, input: $in) { `+postFiles+` } }`, "id", id, "in", in)
			if u := twice.str("updatePost.data.cover.url"); u != base+"cover" {
				t.Fatalf("cover url = %q", u)
			}
			if u := twice.str("updatePost.data.attachments.1.url"); u != base+"attachments/1" {
				t.Fatalf("the cover as an attachment: url %q", u)
			}

			// Bad input: an error with the REST code, and nothing stored.
			before := objectCount(t, s.srv)
			mutation := `mutation($in: PostInput!) { createPost(input: $in) { id } }`
			bad := func(slug string, kv ...any) map[string]any {
				return map[string]any{"in": postInput("Bad files", slug, author, kv...)}
			}
			big := append(append([]byte{}, pngBytes...), make([]byte, 5<<20)...)
			_, _, errs = s.upload(mutation, bad("too-large", "cover", map[string]any{"upload": nil}),
				gqlFile{name: "big.png", body: big, paths: []string{"variables.in.cover.upload"}})
			wantCode(t, "cover over max_size", errs, "PAYLOAD_TOO_LARGE", "cover")
			_, _, errs = s.upload(mutation, bad("wrong-type", "cover", map[string]any{"upload": nil}),
				gqlFile{name: "fake.png", body: text, paths: []string{"variables.in.cover.upload"}})
			wantCode(t, "cover of the wrong type", errs, "UNSUPPORTED_MEDIA_TYPE", "text/plain")
			// A part larger than any file field takes (20MB, attachments)
			// is refused as it arrives, before the mutation runs.
			status, _, errs = s.upload(mutation, bad("too-large-for-all", "attachments", []any{map[string]any{"upload": nil}}),
				gqlFile{name: "big.bin", body: make([]byte, 20<<20+1), paths: []string{"variables.in.attachments.0.upload"}})
			if status != 413 {
				t.Fatalf("a part over every max_size: status %d", status)
			}
			wantCode(t, "a part over every max_size", errs, "PAYLOAD_TOO_LARGE", "largest file")
			_, errs = s.exec(mutation, "in", bad("unknown-id", "cover", map[string]any{"id": "0190d4d0-0000-7000-8000-000000000000"})["in"])
			wantCode(t, "unknown file id", errs, "VALIDATION_ERROR", "cover")
			_, _, errs = s.upload(mutation, bad("both", "cover", map[string]any{"id": coverID, "upload": nil}),
				gqlFile{name: "c.png", body: pngBytes, paths: []string{"variables.in.cover.upload"}})
			wantCode(t, "id and upload", errs, "VALIDATION_ERROR", "upload")
			// A write the store refuses after the uploads (a duplicate slug)
			// removes the bytes it stored.
			_, _, errs = s.upload(mutation, bad("via-graphql", "cover", map[string]any{"upload": nil},
				"attachments", []any{map[string]any{"upload": nil}, map[string]any{"upload": nil}}),
				gqlFile{name: "dup.png", body: append(append([]byte{}, pngBytes...), 9), paths: []string{"variables.in.cover.upload"}},
				gqlFile{name: "dup.pdf", body: append(doc, 'y'), paths: []string{"variables.in.attachments.0.upload"}},
				gqlFile{name: "dup.txt", body: []byte("another text"), paths: []string{"variables.in.attachments.1.upload"}})
			if len(errs) != 1 || errs[0].Extensions.Code != "CONFLICT" {
				t.Fatalf("duplicate slug with uploads: %+v", errs)
			}
			// A second file refused after the first was stored (cover, then
			// attachments): the first goes too.
			_, _, errs = s.upload(mutation, bad("second-refused", "cover", map[string]any{"upload": nil},
				"attachments", []any{map[string]any{"upload": nil}, map[string]any{"id": "0190d4d0-0000-7000-8000-000000000000"}}),
				gqlFile{name: "first.png", body: append(append([]byte{}, pngBytes...), 7), paths: []string{"variables.in.cover.upload"}})
			wantCode(t, "an unknown id after an upload", errs, "VALIDATION_ERROR", "attachments[1]")
			// A map that names a missing part, and a path outside the variables.
			_, _, errs = s.upload(mutation, bad("no-part", "cover", map[string]any{"upload": nil}))
			wantCode(t, "an upload without its file", errs, "VALIDATION_ERROR", "cover")
			ops, _ := json.Marshal(map[string]any{"query": mutation, "variables": bad("bad-map", "cover", map[string]any{"upload": nil})})
			mb, ct := multipartBody(t, filePart{name: "operations", body: ops}, filePart{name: "map", body: []byte(`{"0":["variables.in.nothing.upload"]}`)},
				filePart{name: "0", filename: "x.png", body: pngBytes})
			req, _ := http.NewRequest("POST", s.url+"/graphql", bytes.NewReader(mb))
			req.Header.Set("Content-Type", ct)
			if code, _, raw := s.do(req); code != 400 || !strings.Contains(string(raw), "BAD_REQUEST") {
				t.Fatalf("bad map path: %d %s", code, raw)
			}
			// A caller who may write no file is refused before any byte is read.
			req, _ = http.NewRequest("POST", s.url+"/graphql", bytes.NewReader(mb))
			req.Header.Set("Content-Type", ct)
			req.Header.Set(anonymousHeader, "1")
			if code, _, raw := s.do(req); code != 401 || !strings.Contains(string(raw), "UNAUTHENTICATED") {
				t.Fatalf("anonymous upload: %d %s", code, raw)
			}
			// A truncated request.
			req, _ = http.NewRequest("POST", s.url+"/graphql", bytes.NewReader(mb[:len(mb)-40]))
			req.Header.Set("Content-Type", ct)
			if code, _, raw := s.do(req); code != 400 || !strings.Contains(string(raw), "BAD_REQUEST") {
				t.Fatalf("truncated request: %d %s", code, raw)
			}
			if after := objectCount(t, s.srv); after != before {
				t.Fatalf("bad uploads left %d objects behind", after-before)
			}
		})
	}
}
