package files_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

// docKind is a kind with one file field, kept to its latest revision.
var docKind = &resource.Kind{
	Name: "Doc", Table: "doc", Path: "docs", SchemaVersion: 1, KeepLast: 1,
	DataFields: []string{"title", "scan"},
	Files:      []resource.FileField{{Path: "scan", MaxSize: 1 << 20}},
}

// clock is a settable clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func setup(t *testing.T) (*files.Store, *resource.Service, resource.Backend, *resource.Schema, *clock) {
	t.Helper()
	clk := &clock{now: time.Now()}
	schema := &resource.Schema{Kinds: []*resource.Kind{docKind}}
	backend := memory.New()
	if err := backend.Migrate(context.Background(), schema); err != nil {
		t.Fatal(err)
	}
	st := files.New(blob.NewMemory(), files.Options{Grace: time.Minute, Now: clk.Now})
	svc := resource.NewService(backend, schema, st.ServiceOptions(schema)...)
	return st, svc, backend, schema, clk
}

func upload(t *testing.T, st *files.Store, content string) resource.File {
	t.Helper()
	u, err := st.Save(context.Background(), strings.NewReader(content), "a.txt", "scan", nil)
	if err != nil {
		t.Fatal(err)
	}
	return u.File
}

func doc(t *testing.T, title string, f *resource.File) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(map[string]any{"title": title, "scan": f})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exists(t *testing.T, st *files.Store, f resource.File) bool {
	t.Helper()
	_, err := st.Blobs().Stat(context.Background(), files.BlobKey(f.SHA256))
	if err != nil && !errors.Is(err, blob.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestCollect(t *testing.T) {
	ctx := context.Background()
	st, svc, backend, schema, clk := setup(t)
	kept := upload(t, st, "referenced by the current revision")
	pruned := upload(t, st, "referenced by a revision retention prunes")
	purged := upload(t, st, "referenced by a purged resource")
	orphan := upload(t, st, "never referenced")
	young := upload(t, st, "uploaded just now")

	env, err := svc.Create(ctx, docKind, doc(t, "one", &pruned), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := env.Meta.ResourceID
	for _, title := range []string{"two", "three"} {
		if _, err := svc.Update(ctx, docKind, id, doc(t, title, &kept), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	gone, err := svc.Create(ctx, docKind, doc(t, "gone", &purged), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Purge(ctx, docKind, gone.Meta.ResourceID, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	// Within the grace period nothing goes.
	if s, err := st.Collect(ctx, backend, schema); err != nil || s.DeletedBlobs != 0 || s.DeletedUploads != 0 {
		t.Fatalf("Collect in the grace period = %+v, %v", s, err)
	}
	clk.now = clk.now.Add(2 * time.Minute)
	// A fresh upload, made after the others aged, stays.
	young2, err := st.Save(ctx, strings.NewReader(young.Name+"!"), "b.txt", "scan", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = young2
	s, err := st.Collect(ctx, backend, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", s)
	if !exists(t, st, kept) {
		t.Error("the current revision's file was collected")
	}
	// The memory blob store stamps writes with the real clock, so only
	// the records (on the test's clock) decide here: blobs of collected
	// records are younger than the grace period by the real clock.
	if s.DeletedUploads != 4 {
		t.Errorf("deleted %d upload records, want 4 (pruned, purged, orphan, young)", s.DeletedUploads)
	}
	// The references of live data stay acceptable, the others are gone.
	if _, err := svc.Update(ctx, docKind, id, doc(t, "four", &kept), resource.WriteOptions{}); err != nil {
		t.Fatalf("re-referencing the current file: %v", err)
	}
	_, err = svc.Update(ctx, docKind, id, doc(t, "five", &orphan), resource.WriteOptions{})
	if resource.CodeOf(err) != resource.CodeValidation {
		t.Fatalf("referencing a collected upload = %v, want a validation error", err)
	}
}

func TestUploadLimits(t *testing.T) {
	ctx := context.Background()
	st, _, _, _, _ := setup(t)
	rule := &resource.FileField{Path: "scan", MaxSize: 100, Accept: []string{"image/png"}}
	if _, err := st.Save(ctx, bytes.NewReader(make([]byte, 101)), "x", "scan", rule); resource.CodeOf(err) != resource.CodePayloadTooLarge {
		t.Fatalf("oversized = %v", err)
	}
	if _, err := st.Save(ctx, strings.NewReader("<svg></svg>"), "x.png", "scan", rule); resource.CodeOf(err) != resource.CodeUnsupportedMedia || !strings.Contains(err.Error(), "scan") {
		t.Fatalf("wrong type = %v", err)
	}
	n := 0
	st.Blobs().List(ctx, "", func(blob.Info) error { n++; return nil })
	if n != 0 {
		t.Fatalf("refused uploads left %d objects", n)
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		`C:\x\report.pdf`:                 "report.pdf",
		".hidden":                         "hidden",
		"a\x00b\nc.txt":                   "abc.txt",
		`"quoted"; x=y.png`:               "quoted x=y.png",
		"":                                "file",
		"..":                              "file",
		"résumé.pdf":                      "résumé.pdf",
		strings.Repeat("a", 300) + ".png": strings.Repeat("a", 251) + ".png",
	} {
		if got := files.SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCollectPages: the collector reads the revisions of more resources
// than one page of its scan (500), the soft-deleted ones included, and
// keeps every upload one of them references.
func TestCollectPages(t *testing.T) {
	ctx := context.Background()
	st, svc, backend, schema, clk := setup(t)
	const n = 1203
	var used []resource.File
	for i := range n {
		f := upload(t, st, "file of resource "+strconv.Itoa(i))
		env, err := svc.Create(ctx, docKind, doc(t, "doc", &f), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i%100 == 7 {
			if _, err := svc.Delete(ctx, docKind, env.Meta.ResourceID, resource.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		used = append(used, f)
	}
	upload(t, st, "never referenced") // the one record to go
	clk.now = clk.now.Add(2 * time.Minute)
	s, err := st.Collect(ctx, backend, schema)
	if err != nil {
		t.Fatal(err)
	}
	if s.Referenced != n || s.DeletedUploads != 1 {
		t.Fatalf("Collect = %+v; want %d referenced contents and only the orphan's record deleted", s, n)
	}
	for _, f := range used {
		if !exists(t, st, f) {
			t.Fatalf("the file %s of a resource was collected", f.ID)
		}
	}
}
