package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/backup"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
)

// backupSite is one SQLite database with its data directory.
type backupSite struct {
	dir  string
	args []string
}

func newBackupSite(t *testing.T) backupSite {
	dir := t.TempDir()
	return backupSite{dir: dir, args: []string{"-data-dir", dir, "-database-url", "sqlite:" + filepath.Join(dir, "db.sqlite")}}
}

func (s backupSite) main(t *testing.T, app App, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := Main(context.Background(), append(append([]string(nil), s.args...), args...), app, &stderr)
	return code, stderr.String()
}

// archive exports the site (with its files) for comparison.
func (s backupSite) archive(t *testing.T, app App) []byte {
	t.Helper()
	srv, err := New(Config{DataDir: s.dir, DatabaseURL: s.args[3], Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	files, err := srv.backupFiles()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, err = backup.Export(resource.AsSystem(context.Background()), srv.Service(), &buf, backup.ExportOptions{
		Kinds: app.Schema().Kinds, Scope: backup.ScopeBackend, Files: files, Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBackupRestore: backup writes a compressed archive with the file
// bytes; restore puts it into an empty store, identically, and refuses a
// store with data, a damaged archive and bad usage, writing nothing.
func TestBackupRestore(t *testing.T) {
	app := schemaApp{&resource.Kind{Name: "Note", Table: "note", Path: "notes", SchemaVersion: 1,
		Files: []resource.FileField{{Path: "cover"}}}}
	src := newBackupSite(t)
	srv, err := New(Config{DataDir: src.dir, DatabaseURL: src.args[3], Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	content := strings.Repeat("file bytes ", 50000)
	fs, err := files.Of(srv.Service())
	if err != nil {
		t.Fatal(err)
	}
	up, err := fs.Save(context.Background(), strings.NewReader(content), "c.txt", "cover", app.kind.FileField("cover"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, text := range []string{"a", "b", "c"} {
		data := `{"text":"` + text + `"}`
		if i == 1 {
			data = `{"text":"b","cover":{"id":"` + up.File.ID + `"}}`
		}
		env, err := srv.Service().Create(ctx, app.kind, json.RawMessage(data), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Service().Update(ctx, app.kind, env.Meta.ResourceID, json.RawMessage(`{"text":"`+text+`2"}`), resource.WriteOptions{Status: resource.StatusDraft}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Close()
	want := src.archive(t, app)

	out := filepath.Join(t.TempDir(), "backup.ndjson.gz")
	if code, stderr := src.main(t, app, "backup", "--out", out); code != ExitOK || !strings.Contains(stderr, "backup: wrote "+out+": 3 resources, 6 revisions, 1 files") {
		t.Fatalf("backup = %d:\n%s", code, stderr)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0] != 0x1f || raw[1] != 0x8b || len(raw) > len(want)/4 {
		t.Fatalf("the backup is not compressed: %d bytes for an archive of %d", len(raw), len(want))
	}

	dst := newBackupSite(t)
	if code, stderr := dst.main(t, app, "restore", "--in", out); code != ExitOK || !strings.Contains(stderr, "restore: read "+out+": 3 resources, 6 revisions") {
		t.Fatalf("restore = %d:\n%s", code, stderr)
	}
	if got := dst.archive(t, app); !bytes.Equal(got, want) {
		t.Fatalf("the restored store differs:\n%.2000s\nwant:\n%.2000s", got, want)
	}
	if code, stderr := dst.main(t, app, "restore", "--in", out); code != ExitFailure || !strings.Contains(stderr, "not empty") || !strings.Contains(stderr, "nothing was written") {
		t.Fatalf("restore into a store with data = %d:\n%s", code, stderr)
	}

	// An archive cut in the middle: refused, and nothing stays behind.
	var plain bytes.Buffer
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(&plain, zr)
	for _, cut := range []struct {
		name string
		data []byte
	}{{"gzip cut", raw[:len(raw)/2]}, {"ndjson cut", plain.Bytes()[:plain.Len()*2/3]}} {
		path := filepath.Join(t.TempDir(), "cut")
		os.WriteFile(path, cut.data, 0o644)
		empty := newBackupSite(t)
		if code, stderr := empty.main(t, app, "restore", "--in", path); code != ExitFailure || !strings.Contains(stderr, "cut short") {
			t.Fatalf("%s: restore = %d:\n%s", cut.name, code, stderr)
		}
		if got := empty.archive(t, app); bytes.Count(got, []byte("\n")) != 2 {
			t.Fatalf("%s: a refused restore wrote data:\n%s", cut.name, got)
		}
		entries, _ := os.ReadDir(filepath.Join(empty.dir, "files", "files", "sha256"))
		if len(entries) > 0 {
			t.Fatalf("%s: a refused restore left %d files (%s)", cut.name, len(entries), entries[0].Name())
		}
	}

	// Usage and a place that cannot be written.
	if code, stderr := src.main(t, app, "backup"); code != ExitUsage || !strings.Contains(stderr, "usage: backup --out FILE") {
		t.Fatalf("backup without --out = %d:\n%s", code, stderr)
	}
	if code, stderr := src.main(t, app, "restore", "--in", filepath.Join(t.TempDir(), "missing")); code != ExitFailure || !strings.Contains(stderr, "no such file") {
		t.Fatalf("restore of a missing file = %d:\n%s", code, stderr)
	}
	if code, _ := src.main(t, app, "backup", "--out", filepath.Join(t.TempDir(), "no", "dir", "b.gz")); code != ExitFailure {
		t.Fatalf("backup into a missing directory = %d", code)
	}
}
