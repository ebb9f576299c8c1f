package backup_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/backup"
	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/s3"
	"github.com/specstar-go/specstar/runtime/store/s3/s3test"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// backends opens a fresh, empty store of each backend.
var backends = []struct {
	name string
	open func(t testing.TB) resource.Backend
}{
	{"memory", func(t testing.TB) resource.Backend {
		s := memory.New()
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"sqlite", openSQLite},
	{"postgres", func(t testing.TB) resource.Backend {
		u := pgtest.URL(t)
		s, err := postgres.Open(context.Background(), u, postgres.WithSchema(pgtest.Schema(t, u)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"s3", func(t testing.TB) resource.Backend {
		cfg := s3test.Fake(t)
		cfg.Prefix = "backup-test"
		s, err := s3.Open(openSQLite(t), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

func openSQLite(t testing.TB) resource.Backend {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// store is a service over one backend, with a file store.
type store struct {
	svc   *resource.Service
	kinds *resourcetest.Kinds
	files blob.Store
}

func newStore(t testing.TB, b resource.Backend) *store {
	t.Helper()
	kinds := resourcetest.NewKinds()
	if err := b.Migrate(context.Background(), kinds.Schema); err != nil {
		t.Fatal(err)
	}
	dir, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dir.Close() })
	return &store{svc: resource.NewService(b, kinds.Schema), kinds: kinds, files: dir}
}

var ctx = resource.AsSystem(context.Background())

// putFile stores content as an upload and returns its file value.
func (s *store) putFile(t testing.TB, name, content string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	hexSum := hex.EncodeToString(sum[:])
	if err := s.files.Put(ctx, backup.BlobPrefix+hexSum, strings.NewReader(content), int64(len(content)), ""); err != nil {
		t.Fatal(err)
	}
	f, _ := json.Marshal(resource.File{ID: "f-" + name, Name: name, ContentType: "text/plain", Size: int64(len(content)), SHA256: hexSum})
	return string(f)
}

// fill writes histories with drafts, soft deletes, branches, other
// subjects and files (a field, a list, a nested one; one file shared).
func (s *store) fill(t testing.TB) {
	t.Helper()
	k := s.kinds
	bob := resource.WithSubject(context.Background(), "bob")
	a, err := s.svc.Create(bob, k.Author, json.RawMessage(`{"name":"Ann","email":"ann@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.svc.Create(bob, k.Post, json.RawMessage(`{"title":"one","slug":"one","author":"`+a.Meta.ResourceID+`"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 4; i++ {
		if _, err := s.svc.Update(ctx, k.Post, p.Meta.ResourceID, json.RawMessage(fmt.Sprintf(`{"title":"v%d","slug":"one"}`, i)), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.svc.Update(ctx, k.Post, p.Meta.ResourceID, json.RawMessage(`{"title":"draft","slug":"one"}`), resource.WriteOptions{Status: resource.StatusDraft}); err != nil {
		t.Fatal(err)
	}
	cover, shared := s.putFile(t, "cover.png", "PNG bytes"), s.putFile(t, "a.txt", strings.Repeat("shared ", 40000))
	n1, err := s.svc.Create(ctx, k.Note, json.RawMessage(`{"cover":`+cover+`,"attachments":[`+shared+`],"details":{"scan":`+shared+`}}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Update(ctx, k.Note, n1.Meta.ResourceID, json.RawMessage(`{"cover":null,"attachments":[]}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	n2, err := s.svc.Create(ctx, k.Note, json.RawMessage(`{"text":"gone"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Delete(ctx, k.Note, n2.Meta.ResourceID, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Create(ctx, k.Member, json.RawMessage(`{"email":"m@example.com"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

// archive exports the whole store with its files.
func (s *store) archive(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := backup.Export(ctx, s.svc, &buf, backup.ExportOptions{Kinds: s.kinds.Schema.Kinds, Scope: backup.ScopeBackend,
		Files: backup.BlobFiles(s.files), Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	return buf.Bytes()
}

// restore imports an archive into the store as a restore does.
func (s *store) restore(archive []byte, o backup.ImportOptions) (resource.ImportStats, error) {
	o.Kinds = s.kinds.Schema.Kinds
	o.Files = backup.BlobFiles(s.files)
	return backup.Import(ctx, s.svc, bytes.NewReader(archive), o)
}

// blobs lists the keys of the file store.
func (s *store) blobs(t testing.TB) string {
	t.Helper()
	var keys []string
	if err := s.files.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	return strings.Join(keys, ",")
}

// TestRoundTrip moves one archive memory -> SQLite -> PostgreSQL -> S3 ->
// SQLite: every export is the same bytes (ids, revision ids, parents,
// hashes, times, creators, statuses and file bytes).
func TestRoundTrip(t *testing.T) {
	src := newStore(t, backends[0].open(t))
	src.fill(t)
	want := src.archive(t)
	if !bytes.Contains(want, []byte(`"type":"file"`)) || bytes.Count(want, []byte(`"type":"file"`)) != 2 {
		t.Fatalf("the archive does not hold the 2 distinct files:\n%s", want)
	}
	for _, name := range []string{"sqlite", "postgres", "s3", "sqlite"} {
		var open func(testing.TB) resource.Backend
		for _, b := range backends {
			if b.name == name {
				open = b.open
			}
		}
		dst := newStore(t, open(t))
		stats, err := dst.restore(want, backup.ImportOptions{Empty: true})
		if err != nil {
			t.Fatalf("%s: restore: %v", name, err)
		}
		if stats.Resources != 5 || stats.Revisions != bytes.Count(want, []byte(`"type":"revision"`)) {
			t.Fatalf("%s: stats %+v", name, stats)
		}
		got := dst.archive(t)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: the export after restore differs:\n%s", name, lineDiff(got, want))
		}
		want = got
	}
}

// lineDiff names the first differing line.
func lineDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d\ngot:  %.300s\nwant: %.300s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

// TestBadInput feeds every backend broken archives: each is refused with
// a clear error, and leaves the store and the file store as they were.
func TestBadInput(t *testing.T) {
	src := newStore(t, memory.New())
	src.fill(t)
	good := src.archive(t)
	lines := strings.SplitAfter(string(good), "\n")
	replace := func(i int, old, new string) []byte {
		out := append([]string(nil), lines...)
		if !strings.Contains(out[i], old) {
			t.Fatalf("line %d %q has no %q", i+1, out[i], old)
		}
		out[i] = strings.Replace(out[i], old, new, 1)
		return []byte(strings.Join(out, ""))
	}
	find := func(sub string) int {
		for i, l := range lines {
			if strings.Contains(l, sub) {
				return i
			}
		}
		t.Fatalf("no line holds %q", sub)
		return 0
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	fileLine := find(`"type":"file"`)
	tests := []struct {
		name    string
		archive []byte
		o       backup.ImportOptions
		code    resource.Code
		want    string
	}{
		{name: "invalid JSON line", archive: replace(3, `{"type"`, `{"type`), code: resource.CodeBadRequest, want: "line 4 is not valid JSON"},
		{name: "future format version", archive: replace(0, `"version":1`, `"version":2`), code: resource.CodeValidation, want: "format version 2, newer than this build reads (1)"},
		{name: "not an archive", archive: []byte("hello\n"), code: resource.CodeBadRequest, want: "line 1 is not valid JSON"},
		{name: "empty", archive: nil, code: resource.CodeBadRequest, want: "empty"},
		{name: "cut between lines", archive: []byte(strings.Join(lines[:len(lines)/2], "")), code: resource.CodeBadRequest, want: "cut short"},
		{name: "cut in a line", archive: good[:len(good)/3], code: resource.CodeBadRequest, want: "cut short"},
		{name: "cut in file bytes", archive: []byte(strings.Join(lines[:fileLine+2], "")), code: resource.CodeBadRequest, want: "cut short"},
		{name: "gzip cut short", archive: gz.Bytes()[:gz.Len()*2/3], code: resource.CodeBadRequest, want: "cut short"},
		{name: "end counts wrong", archive: replace(len(lines)-2, `"files":2`, `"files":3`), code: resource.CodeBadRequest, want: "lines are missing or extra"},
		{name: "altered revision", archive: replace(find(`"title":"v3"`), `"title":"v3"`, `"title":"v9"`), code: resource.CodeValidation, want: "does not match its data"},
		{name: "damaged file bytes", archive: replace(fileLine+1, `"data":"`, `"data":"AAAA`), code: resource.CodeValidation, want: "bytes"},
		{name: "duplicate under fail", archive: good, o: backup.ImportOptions{OnDuplicate: resource.DuplicateFail}, code: resource.CodeConflict, want: "already exists (on_duplicate=fail"},
		{name: "records failing validation", archive: good, o: backup.ImportOptions{OnDuplicate: resource.DuplicateOverwrite,
			Validate: func(k *resource.Kind, data json.RawMessage) error {
				if k.Name == "Post" && bytes.Contains(data, []byte(`"v3"`)) {
					return &resource.Error{Code: resource.CodeValidation, Detail: "title: too short"}
				}
				return nil
			}}, code: resource.CodeValidation, want: "title: too short"},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dst := newStore(t, b.open(t))
			// The first resource of the archive is already there, so
			// that a duplicate exists; everything else is new.
			first := []byte(strings.Join(append(append([]string(nil), lines[:3]...), fmt.Sprintf(`{"type":"end","resources":1,"revisions":1,"files":0}`+"\n")), ""))
			if _, err := dst.restore(first, backup.ImportOptions{}); err != nil {
				t.Fatalf("import of the first resource: %v", err)
			}
			before, beforeBlobs := dst.archive(t), dst.blobs(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if tt.o.OnDuplicate == "" {
						tt.o.OnDuplicate = resource.DuplicateSkip // past the resource already there
					}
					_, err := dst.restore(tt.archive, tt.o)
					var e *resource.Error
					if !errors.As(err, &e) || e.Code != tt.code || !strings.Contains(e.Detail, tt.want) {
						t.Fatalf("error = %v, want %s containing %q", err, tt.code, tt.want)
					}
					if got := dst.archive(t); !bytes.Equal(got, before) {
						t.Fatalf("a refused archive changed the store:\n%s", lineDiff(got, before))
					}
					if got := dst.blobs(t); got != beforeBlobs {
						t.Fatalf("a refused archive left file bytes: %s, before %s", got, beforeBlobs)
					}
				})
			}
			// The good archive goes in once the first resource is skipped.
			stats, err := dst.restore(good, backup.ImportOptions{OnDuplicate: resource.DuplicateSkip})
			if err != nil || stats.Skipped != 1 || stats.Resources != 4 {
				t.Fatalf("import with skip: %+v, %v", stats, err)
			}
			// A restore refuses the store now that it holds data.
			_, err = dst.restore(good, backup.ImportOptions{Empty: true})
			if resource.CodeOf(err) != resource.CodeConflict || !strings.Contains(err.Error(), "not empty") {
				t.Fatalf("restore into a full store: %v", err)
			}
		})
	}
}

// TestMissingFile refuses an archive whose revisions reference a file
// that is neither in it nor in the file store.
func TestMissingFile(t *testing.T) {
	src := newStore(t, memory.New())
	src.fill(t)
	var buf bytes.Buffer
	// A resource-scope export holds references only.
	if _, err := backup.Export(ctx, src.svc, &buf, backup.ExportOptions{Kinds: []*resource.Kind{src.kinds.Note}}); err != nil {
		t.Fatal(err)
	}
	dst := newStore(t, memory.New())
	_, err := backup.Import(ctx, dst.svc, &buf, backup.ImportOptions{Kinds: []*resource.Kind{dst.kinds.Note}, Files: backup.BlobFiles(dst.files)})
	if resource.CodeOf(err) != resource.CodeValidation || !strings.Contains(err.Error(), "neither in the archive nor in the file store") {
		t.Fatalf("error = %v", err)
	}
	n, _ := dst.svc.Count(ctx, dst.kinds.Note, resource.ListQuery{IncludeDeleted: true})
	if n != 0 {
		t.Fatalf("%d notes written", n)
	}
}

var _ = io.EOF
