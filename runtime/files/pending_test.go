package files_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
)

// pngHead is enough of a PNG for the content type to be detected.
var pngHead = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"), make([]byte, 32)...)

// TestSavePending: the pending files a write names by token ({"id": t}
// or {"upload": t}) in its file fields, nested and in lists, are stored
// under each field's rules and replaced by their file objects; other ids
// are left for the reference check; every mistake names the field.
func TestSavePending(t *testing.T) {
	k := &resource.Kind{Name: "Page", Files: []resource.FileField{
		{Path: "cover", MaxSize: 1 << 10, Accept: []string{"image/png"}},
		{Path: "gallery", List: true, MaxSize: 1 << 10},
		{Path: "details.scan"},
	}}
	st := files.New(blob.NewMemory(), files.Options{})
	pending := map[string][]byte{"t:png": pngHead, "t:text": []byte("plain text"), "t:big": bytes.Repeat([]byte("x"), 2<<10)}
	lookup := func(token string) (files.Pending, bool) {
		b, ok := pending[token]
		return files.Pending{Body: bytes.NewReader(b), Name: "../" + token + ".bin"}, ok
	}
	ctx := context.Background()
	data := json.RawMessage(`{"title":"t","cover":{"id":"t:png"},"gallery":[{"upload":"t:text"},{"id":"0190d4d0-0000-7000-8000-000000000000"},{"upload":"t:png"}],"details":{"scan":{"upload":"t:text"}}}`)
	out, uploads, err := st.SavePending(ctx, k, data, lookup)
	if err != nil {
		t.Fatal(err)
	}
	if len(uploads) != 4 {
		t.Fatalf("%d uploads, want 4", len(uploads))
	}
	var got struct {
		Title   string          `json:"title"`
		Cover   resource.File   `json:"cover"`
		Gallery []resource.File `json:"gallery"`
		Details struct {
			Scan resource.File `json:"scan"`
		} `json:"details"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Title != "t" || got.Cover.ContentType != "image/png" || got.Cover.Name != "tpng.bin" ||
		got.Gallery[0].ContentType != "text/plain" || got.Gallery[1].ID != "0190d4d0-0000-7000-8000-000000000000" ||
		got.Gallery[2].SHA256 != got.Cover.SHA256 || got.Details.Scan.Size != int64(len("plain text")) {
		t.Fatalf("SavePending = %s", out)
	}
	if !strings.HasPrefix(string(out), `{"title":"t","cover":`) {
		t.Fatalf("members moved: %s", out)
	}
	// A data without tokens comes back as it is.
	plain := json.RawMessage(`{"cover":{"id":"0190d4d0-0000-7000-8000-000000000000"}}`)
	if out, uploads, err := st.SavePending(ctx, k, plain, lookup); err != nil || len(uploads) != 0 || !bytes.Equal(out, plain) {
		t.Fatalf("without tokens: %s %d %v", out, len(uploads), err)
	}
	for _, tt := range []struct {
		name, data string
		code       resource.Code
		field      string
	}{
		{"wrong type", `{"cover":{"upload":"t:text"}}`, resource.CodeUnsupportedMedia, "cover"},
		{"too large in a list", `{"gallery":[{"upload":"t:png"},{"upload":"t:big"}]}`, resource.CodePayloadTooLarge, "gallery[1]"},
		{"id and upload", `{"cover":{"id":"x","upload":"t:png"}}`, resource.CodeValidation, "cover"},
		{"an upload that is no file", `{"details":{"scan":{"upload":"nothing"}}}`, resource.CodeValidation, "details.scan"},
	} {
		_, uploads, err := st.SavePending(ctx, k, json.RawMessage(tt.data), lookup)
		st.Discard(ctx, uploads)
		if err == nil || resource.CodeOf(err) != tt.code || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: %v, want %s naming %s", tt.name, err, tt.code, tt.field)
		}
	}
}
