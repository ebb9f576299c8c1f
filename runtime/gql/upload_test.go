package gql

import (
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
