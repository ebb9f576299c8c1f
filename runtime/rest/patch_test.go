package rest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

func TestReadPatch(t *testing.T) {
	const current = `{"title":"old","tags":["a"],"views":1}`
	tests := []struct {
		name        string
		contentType string
		body        string
		want        string        // the patched document
		wantReadErr resource.Code // error from ReadPatch itself
		wantErr     resource.Code // error from applying the patch
		wantFields  []string
	}{
		{name: "merge patch", contentType: MIMEMergePatch, body: `{"title":"new","views":null}`,
			want: `{"tags":["a"],"title":"new"}`},
		{name: "merge patch with charset", contentType: MIMEMergePatch + "; charset=utf-8", body: `{"tags":["b"]}`,
			want: `{"tags":["b"],"title":"old","views":1}`},
		{name: "json patch", contentType: MIMEJSONPatch,
			body: `[{"op":"test","path":"/title","value":"old"},{"op":"add","path":"/tags/-","value":"b"},{"op":"remove","path":"/views"}]`,
			want: `{"tags":["a","b"],"title":"old"}`},
		{name: "plain json refused", contentType: "application/json", body: `{}`, wantReadErr: resource.CodeUnsupportedMedia},
		{name: "no content type", body: `{}`, wantReadErr: resource.CodeUnsupportedMedia},
		{name: "empty body", contentType: MIMEMergePatch, body: ``, wantReadErr: resource.CodeBadRequest},
		{name: "malformed merge patch", contentType: MIMEMergePatch, body: `{"a":`, wantReadErr: resource.CodeBadRequest},
		{name: "malformed json patch", contentType: MIMEJSONPatch, body: `[{]`, wantReadErr: resource.CodeBadRequest},
		{name: "merge patch with invalid utf-8", contentType: MIMEMergePatch, body: "{\"title\":\"A\xff\xfeB\"}",
			wantReadErr: resource.CodeBadRequest, wantFields: []string{"title"}},
		{name: "json patch with a lone surrogate", contentType: MIMEJSONPatch, body: `[{"op":"add","path":"/tags/-","value":"\ud800"}]`,
			wantReadErr: resource.CodeBadRequest, wantFields: []string{"[0].value"}},
		{name: "json patch not an array", contentType: MIMEJSONPatch, body: `{"op":"add"}`, wantErr: resource.CodeBadRequest},
		{name: "unknown op", contentType: MIMEJSONPatch, body: `[{"op":"frobnicate","path":"/a"}]`, wantErr: resource.CodeBadRequest},
		{name: "failed test", contentType: MIMEJSONPatch, body: `[{"op":"test","path":"/title","value":"other"}]`,
			wantErr: resource.CodeConflict},
		{name: "missing path", contentType: MIMEJSONPatch, body: `[{"op":"replace","path":"/author/name","value":"x"}]`,
			wantErr: resource.CodeValidation, wantFields: []string{"/author/name"}},
		{name: "index out of range", contentType: MIMEJSONPatch, body: `[{"op":"remove","path":"/tags/3"}]`,
			wantErr: resource.CodeValidation, wantFields: []string{"/tags/3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodPatch, "/api/posts/1", tt.contentType, tt.body)
			fn, err := ReadPatch(c)
			if tt.wantReadErr != "" {
				assertError(t, err, tt.wantReadErr, tt.wantFields, "")
				return
			}
			if err != nil {
				t.Fatalf("ReadPatch: %v", err)
			}
			got, err := fn(json.RawMessage(current))
			if tt.wantErr != "" {
				assertError(t, err, tt.wantErr, tt.wantFields, "")
				return
			}
			if err != nil {
				t.Fatalf("applying the patch: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("patched = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReadPatchUnsupportedNamesBothTypes(t *testing.T) {
	c, _ := newContext(http.MethodPatch, "/api/posts/1", "application/json", `{}`)
	_, err := ReadPatch(c)
	assertError(t, err, resource.CodeUnsupportedMedia, nil, MIMEMergePatch+" or "+MIMEJSONPatch)
}

func TestReadPatchBrokenDocumentIsInternal(t *testing.T) {
	c, _ := newContext(http.MethodPatch, "/api/posts/1", MIMEMergePatch, `{"a":1}`)
	fn, err := ReadPatch(c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = fn(json.RawMessage(`{broken`))
	if err == nil || resource.CodeOf(err) != resource.CodeInternal {
		t.Errorf("error = %v, want an internal error", err)
	}
}
