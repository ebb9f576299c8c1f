package admin

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 1: "1 byte", 1023: "1023 bytes", 1024: "1 KB", 1536: "1.5 KB", 5 << 20: "5 MB", 20 << 20: "20 MB", 3 << 30: "3 GB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestFileState checks what a file field holds after a form: stored
// files kept unless removed, uploads added to a list or replacing a
// single file, uploads of an earlier refused form carried over.
func TestFileState(t *testing.T) {
	a, b, c := resource.File{ID: "a", Name: "a.txt"}, resource.File{ID: "b", Name: "b.txt"}, resource.File{ID: "c", Name: "c.txt"}
	stored := map[string]any{}
	raw, _ := json.Marshal(map[string]any{"cover": a, "attachments": []resource.File{a, b}})
	json.Unmarshal(raw, &stored)
	pending, _ := json.Marshal(c)
	sub := &submission{form: url.Values{"attachments.remove": {"a"}, "attachments.upload": {string(pending)}, "cover.upload": {string(pending)}}}
	list := sub.state("attachments", stored).value(&resource.FileField{Path: "attachments", List: true})
	if got, _ := json.Marshal(list); string(got) != `[{"id":"b","name":"b.txt","content_type":"","size":0,"sha256":""},{"id":"c","name":"c.txt","content_type":"","size":0,"sha256":""}]` {
		t.Errorf("the list: %s", got)
	}
	if got := sub.state("cover", stored).value(&resource.FileField{Path: "cover"}); got.(resource.File).ID != "c" {
		t.Errorf("the replaced cover: %v", got)
	}
	removed := &submission{form: url.Values{"cover.remove": {"a"}}}
	if got := removed.state("cover", stored).value(&resource.FileField{Path: "cover"}); got != nil {
		t.Errorf("the removed cover: %v", got)
	}
	var none *submission // a form without files: what is stored stays
	if got := none.state("cover", stored).value(&resource.FileField{Path: "cover"}); got.(resource.File).ID != "a" {
		t.Errorf("the kept cover: %v", got)
	}
	m := map[string]any{}
	setPath(m, "details.scan", a)
	setPath(m, "details.other", nil)
	if got, _ := json.Marshal(m); string(got) != `{"details":{"scan":{"id":"a","name":"a.txt","content_type":"","size":0,"sha256":""}}}` {
		t.Errorf("setPath: %s", got)
	}
}

func TestFileHelp(t *testing.T) {
	if got := fileHelp(&resource.FileField{Accept: []string{"image/png", "image/jpeg"}, MaxSize: 5 << 20}); got != "PNG or JPEG, at most 5 MB" {
		t.Errorf("fileHelp = %q", got)
	}
	if got := fileHelp(&resource.FileField{List: true, Accept: []string{"image/*"}}); got != "Any image, several at once" {
		t.Errorf("fileHelp = %q", got)
	}
}

func TestFilterExample(t *testing.T) {
	r := &Resource{Fields: []*Field{
		{Name: "title", Type: "string", Indexed: true},
		{Name: "status", Type: "enum", Values: []string{"draft", "published"}, Indexed: true},
		{Name: "views", Type: "int", Indexed: true},
	}}
	if got := filterExample(r); got != `title ~ "a" && status = "draft"` {
		t.Errorf("filterExample = %q", got)
	}
}
