package admin

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/jsonpatch"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/templates"
)

// TestAssetsBudget holds the admin's assets (CSS, script, htmx) under
// 100 KB, the budget; the licence files are not served to pages.
func TestAssetsBudget(t *testing.T) {
	total := 0
	err := fs.WalkDir(templates.FS, "admin/assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(path, "LICENSE") {
			return err
		}
		b, err := fs.ReadFile(templates.FS, path)
		total += len(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if total >= 100_000 {
		t.Errorf("the admin's assets weigh %d bytes, over the 100 KB budget", total)
	}
	t.Logf("assets: %d bytes", total)
}

func TestPagesParse(t *testing.T) {
	if _, err := parsePages(); err != nil {
		t.Fatal(err)
	}
}

var testFields = []*Field{
	{Name: "title", Type: "string", Widget: WidgetText},
	{Name: "views", Type: "int", Widget: WidgetNumber},
	{Name: "tags", Type: "list", Widget: WidgetTags, Elem: &Field{Type: "string", Widget: WidgetText}},
	{Name: "at", Type: "datetime", Widget: WidgetDatetime},
	{Name: "meta", Type: "json", Widget: WidgetJSON},
	{Name: "done", Type: "bool", Widget: WidgetCheckbox},
	{Name: "address", Type: "object", Widget: WidgetFieldset, Fields: []*Field{
		{Name: "city", Type: "string", Widget: WidgetText},
		{Name: "zip", Type: "string", Widget: WidgetText},
	}},
}

func TestFormReader(t *testing.T) {
	form := url.Values{
		"title": {" Hello "}, "views": {"12"}, "tags": {"a\r\n\r\nb\r\n"}, "at": {"2024-05-01T10:00"},
		"tz": {"Europe/Paris"}, "meta": {`{"x": [1]}`}, "done": {"true"}, "address.city": {"Paris"}, "address.zip": {""},
	}
	fr := newFormReader(form)
	got := fr.object(testFields, "", nil)
	if len(fr.errs) > 0 {
		t.Fatalf("errors: %v", fr.errs)
	}
	b, _ := json.Marshal(got)
	want := `{"address":{"city":"Paris"},"at":"2024-05-01T08:00:00Z","done":true,"meta":{"x":[1]},"tags":["a","b"],"title":"Hello","views":12}`
	if string(b) != want {
		t.Errorf("form data\n got %s\nwant %s", b, want)
	}
	fr = newFormReader(url.Values{"views": {"1.5"}, "meta": {`{"x": }`}, "at": {"yesterday"}})
	fr.object(testFields, "", nil)
	msgs := map[string]string{}
	for _, e := range fr.errs {
		msgs[e.Field] = e.Message
	}
	if msgs["views"] != "must be a whole number" || !strings.Contains(msgs["meta"], "not valid JSON") || msgs["at"] != "must be a date and time" {
		t.Errorf("errors: %v", msgs)
	}
}

func TestFieldPath(t *testing.T) {
	for in, want := range map[string]string{
		"title": "title", "address.city": "address.city", "tags[2]": "tags", "tags.2": "tags", "address": "address", "nope": "",
	} {
		if got := fieldPath(testFields, in); got != want {
			t.Errorf("fieldPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiffRows(t *testing.T) {
	old := decodeData(json.RawMessage(`{"title":"a","tags":["x"],"gone":1}`))
	ops := []jsonpatch.Operation{
		{Op: "replace", Path: "/title", Value: json.RawMessage(`"b"`)},
		{Op: "remove", Path: "/gone"},
		{Op: "add", Path: "/views", Value: json.RawMessage(`3`)},
	}
	got := diffRows(ops, old)
	want := []diffRow{{Op: "changed", Path: "title", Old: `"a"`, New: `"b"`}, {Op: "removed", Path: "gone", Old: "1"}, {Op: "added", Path: "views", New: "3"}}
	if len(got) != len(want) {
		t.Fatalf("rows %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestFilterErrorPosition(t *testing.T) {
	err := &resource.Error{Code: resource.CodeBadRequest, Detail: "filter is not valid",
		Fields: []resource.FieldError{{Field: "filter", Message: "position 8: unknown field nope"}}}
	fe := asFilterError(err, "a = 1 && nope = 2", 1)
	if fe == nil || fe.Pos != 7 || fe.Before != "a = 1 " || fe.After != "&& nope = 2" {
		t.Fatalf("filter error %+v", fe)
	}
	if asFilterError(resource.Errorf(resource.CodeForbidden, "no"), "", 0) != nil {
		t.Error("a 403 is taken for a filter error")
	}
}

func TestParseLocal(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	for in, want := range map[string]string{
		"2024-01-15T10:00":          "2024-01-15T09:00:00Z",
		"2024-07-15T10:00:30":       "2024-07-15T08:00:30Z",
		"2024-07-15T10:00:00+02:00": "2024-07-15T08:00:00Z",
	} {
		got, err := parseLocal(in, paris)
		if err != nil || got.UTC().Format(time.RFC3339) != want {
			t.Errorf("parseLocal(%q) = %v, %v; want %s", in, got.UTC(), err, want)
		}
	}
}

func TestSiteCheck(t *testing.T) {
	k := &resource.Kind{Name: "Post", Path: "posts"}
	s := &Site{Resources: []*Resource{{Kind: k, Fields: testFields, Columns: []string{"title", "nope"}, Display: "missing"}}}
	err := s.check()
	if err == nil || !strings.Contains(err.Error(), `column "nope"`) || !strings.Contains(err.Error(), `display field "missing"`) {
		t.Fatalf("check: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("SetColumns accepted an unknown field")
		}
	}()
	s.Resources[0].SetColumns("title", "nope")
}
