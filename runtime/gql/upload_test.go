package gql

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestSetVariable: the map part places a file only at a null variable,
// an object member or a list element, and says why it cannot otherwise.
func TestSetVariable(t *testing.T) {
	for _, tt := range []struct {
		path, err string
	}{
		{"variables.in.cover.upload", ""},
		{"variables.in.attachments.1.upload", ""},
		{"variables.file", ""},
		{"in.cover.upload", `must start with "variables."`},
		{"variables.in.cover.missing", "no null variable"},
		{"variables.in.title", "no null variable"},
		{"variables.in.attachments.2.upload", "no null list element"},
		{"variables.in.attachments.x", "no null list element"},
		{"variables.in.title.upload", "not inside an object or a list"},
	} {
		params := &graphql.RawParams{Variables: map[string]any{
			"file": nil,
			"in": map[string]any{
				"title":       "t",
				"cover":       map[string]any{"upload": nil},
				"attachments": []any{map[string]any{"upload": nil}, map[string]any{"upload": nil}},
			},
		}}
		err := setVariable(params, tt.path, "FILE")
		if tt.err == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.path, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%s: error %v, want %q", tt.path, err, tt.err)
		}
	}
}

// TestPendUpload: an upload becomes its token; an upload that is not
// a part of this transport's request, or one beside an id, is refused.
func TestPendUpload(t *testing.T) {
	u := &pendingUpload{token: uploadToken("0")}
	var f resource.File
	if err := PendUpload(&f, &graphql.Upload{File: u}); err != nil || f.ID != "upload:0" {
		t.Fatalf("PendUpload = %v, id %q", err, f.ID)
	}
	if err := PendUpload(&f, nil); err != nil || f.ID != "upload:0" {
		t.Fatalf("PendUpload(nil) = %v, id %q", err, f.ID)
	}
	if err := PendUpload(&f, &graphql.Upload{File: u}); resource.CodeOf(err) != resource.CodeValidation {
		t.Fatalf("id and upload: %v", err)
	}
	if err := PendUpload(&resource.File{}, &graphql.Upload{File: strings.NewReader("x")}); resource.CodeOf(err) != resource.CodeBadRequest {
		t.Fatalf("a foreign upload: %v", err)
	}
	v := uploadValues(map[string]any{"cover": map[string]any{"upload": graphql.Upload{File: u}}, "list": []any{graphql.Upload{File: u}}})
	m := v.(map[string]any)
	if m["cover"].(map[string]any)["upload"] != "upload:0" || m["list"].([]any)[0] != "upload:0" {
		t.Fatalf("uploadValues = %v", v)
	}
}

// multipartRequest builds a POST of parts (name, body) in order.
func multipartRequest(t *testing.T, parts ...[2]string) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		pw, err := w.CreateFormFile(p[0], p[0]+".bin")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(pw, p[1])
	}
	w.Close()
	r := httptest.NewRequest(http.MethodPost, "/graphql", &buf)
	r.Header.Set("Content-Type", w.FormDataContentType())
	return r
}

// TestUploadTransportRead: the parts of a multipart request are read in
// the spec's order, within the limits, and every mistake is a 400 or a
// 413 saying what is wrong; the files wait in temporary files that
// remove takes away.
func TestUploadTransportRead(t *testing.T) {
	ops := `{"query":"mutation($f: Upload) { x(f: $f) }","variables":{"f":null}}`
	tr := uploadTransport{bodyLimit: 200, maxUpload: 10}
	for _, tt := range []struct {
		name   string
		parts  [][2]string
		status int
		says   string
	}{
		{"ok", [][2]string{{"operations", ops}, {"map", `{"0":["variables.f"]}`}, {"0", "0123456789"}}, 0, ""},
		{"files over the limit", [][2]string{{"operations", ops}, {"map", `{"0":["variables.f"]}`}, {"0", "0123456789X"}}, 413, "limit of 10 bytes"},
		{"operations over the limit", [][2]string{{"operations", ops + strings.Repeat(" ", 200)}, {"map", `{}`}}, 413, "200 bytes"},
		{"map first", [][2]string{{"map", `{}`}, {"operations", ops}}, 400, `"operations" and "map"`},
		{"no map", [][2]string{{"operations", ops}}, 400, `"operations" and "map"`},
		{"operations not JSON", [][2]string{{"operations", "{"}, {"map", `{}`}}, 400, "not valid JSON"},
		{"a file the map does not name", [][2]string{{"operations", ops}, {"map", `{}`}, {"0", "x"}}, 400, "not in the map"},
		{"a part the map names but the request lacks", [][2]string{{"operations", ops}, {"map", `{"0":["variables.f"]}`}}, 400, "does not have"},
		{"a path that is not a null variable", [][2]string{{"operations", ops}, {"map", `{"0":["variables.g"]}`}, {"0", "x"}}, 400, "no null variable"},
	} {
		set := &uploadSet{byToken: map[string]*pendingUpload{}}
		params, status, e := tr.read(multipartRequest(t, tt.parts...), set)
		var names []string
		for _, u := range set.byToken {
			names = append(names, u.File.Name())
		}
		set.remove()
		for _, n := range names {
			if _, err := os.Stat(n); !os.IsNotExist(err) {
				t.Errorf("%s: the temporary file %s stays: %v", tt.name, n, err)
			}
		}
		if tt.status == 0 {
			if e != nil {
				t.Errorf("%s: %d %v", tt.name, status, e)
				continue
			}
			up, ok := params.Variables["f"].(graphql.Upload)
			if !ok || up.Size != 10 || up.Filename != "0.bin" {
				t.Errorf("%s: variable f = %#v", tt.name, params.Variables["f"])
			}
			continue
		}
		if e == nil || status != tt.status || !strings.Contains(e.Detail, tt.says) {
			t.Errorf("%s: %d %v, want %d saying %q", tt.name, status, e, tt.status, tt.says)
		}
	}
}

// TestRecordFileURL: the download route of a file by its field, its
// index in a list, and the revision when it is not the current one; a
// file in two places is found where the GraphQL path says it is.
func TestRecordFileURL(t *testing.T) {
	k := &resource.Kind{Path: "posts", Files: []resource.FileField{{Path: "cover"}, {Path: "gallery", List: true}, {Path: "details.scan"}}}
	meta := &resource.Meta{ResourceID: "p1", CurrentRevisionID: "p1:2"}
	data := []byte(`{"cover":{"id":"a"},"gallery":[{"id":"b"},{"id":"a"}],"details":{"scan":{"id":"c"}}}`)
	for _, tt := range []struct {
		id, rev string
		index   int
		want    string
	}{
		{"a", "p1:2", -1, "/api/posts/p1/files/cover"},
		{"a", "p1:2", 1, "/api/posts/p1/files/gallery/1"},
		{"b", "p1:2", 0, "/api/posts/p1/files/gallery/0"},
		{"c", "p1:2", -1, "/api/posts/p1/files/details.scan"},
		{"c", "p1:1", -1, "/api/posts/p1/files/details.scan?revision=p1%3A1"},
		{"x", "p1:2", -1, ""},
	} {
		got, ok := recordFileURL(k, meta, &resource.RevisionInfo{RevisionID: tt.rev}, data, &resource.File{ID: tt.id}, tt.index)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("file %s at %d of %s: %q %v, want %q", tt.id, tt.index, tt.rev, got, ok, tt.want)
		}
	}
}
