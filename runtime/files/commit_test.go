package files_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

// folderSetup returns a files store over the folder dir, and a service
// of kind k (on the memory backend) with the store's hooks: on a folder
// store uploads answer before their bytes are committed. The store is
// flushed when tb ends.
func folderSetup(tb testing.TB, dir string, k *resource.Kind) (*files.Store, *resource.Service) {
	tb.Helper()
	d, err := blob.NewDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	schema := &resource.Schema{Kinds: []*resource.Kind{k}}
	backend := memory.New()
	if err := backend.Migrate(context.Background(), schema); err != nil {
		tb.Fatal(err)
	}
	st := files.New(d, files.Options{})
	tb.Cleanup(st.Flush)
	return st, resource.NewService(backend, schema, st.ServiceOptions(schema)...)
}

// TestDeferredCommit: on the folder store an upload answers before its
// bytes are synced and renamed into place, and a write that references
// it waits for that before it commits; Flush waits for every upload.
func TestDeferredCommit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	st, svc := folderSetup(t, dir, docKind)
	release := make(chan struct{})
	files.SetFinishHook(st, func(string) error { <-release; return nil })
	defer files.SetFinishHook(st, nil)
	ctx := context.Background()
	u, err := st.Save(ctx, strings.NewReader("deferred bytes"), "d.txt", "scan", nil)
	if err != nil {
		t.Fatal(err)
	}
	blobPath := filepath.Join(dir, filepath.FromSlash(files.BlobKey(u.File.SHA256)))
	if _, err := os.Stat(blobPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the blob is in place before its commit: %v", err)
	}
	wrote := make(chan error, 1)
	go func() {
		_, err := svc.Create(ctx, docKind, doc(t, "waits", &resource.File{ID: u.File.ID}), resource.WriteOptions{})
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("the write committed before the upload's bytes (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(blobPath); err != nil || string(b) != "deferred bytes" {
		t.Fatalf("blob after the write: %q, %v", b, err)
	}

	// Flush returns only once the uploads in flight are committed.
	hold := make(chan struct{})
	files.SetFinishHook(st, func(string) error { <-hold; return nil })
	u2, err := st.Save(ctx, strings.NewReader("flushed bytes"), "f.txt", "scan", nil)
	if err != nil {
		t.Fatal(err)
	}
	flushed := make(chan struct{})
	go func() { st.Flush(); close(flushed) }()
	select {
	case <-flushed:
		t.Fatal("Flush returned with an upload in flight")
	case <-time.After(50 * time.Millisecond):
	}
	close(hold)
	<-flushed
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(files.BlobKey(u2.File.SHA256)))); err != nil {
		t.Fatalf("blob after Flush: %v", err)
	}
}

// TestDeferredCommitFails: when the commit of an upload fails after it
// answered, the write that references it fails and changes nothing, and
// neither the bytes nor an upload record are left behind.
func TestDeferredCommitFails(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	st, svc := folderSetup(t, dir, docKind)
	started := make(chan struct{})
	fail := make(chan struct{})
	files.SetFinishHook(st, func(string) error { close(started); <-fail; return errors.New("disk full") })
	defer files.SetFinishHook(st, nil)
	ctx := context.Background()
	u, err := st.Save(ctx, strings.NewReader("lost bytes"), "l.txt", "scan", nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	go func() { time.Sleep(50 * time.Millisecond); close(fail) }()
	_, err = svc.Create(ctx, docKind, doc(t, "fails", &resource.File{ID: u.File.ID}), resource.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("write referencing a failed upload: %v", err)
	}
	page, err := svc.List(ctx, docKind, resource.ListQuery{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("resources after the failed write: %d, %v", len(page.Items), err)
	}
	st.Flush()
	var left []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
	// Later, the id names no upload at all: a 422 on the field.
	files.SetFinishHook(st, nil)
	_, err = svc.Create(ctx, docKind, doc(t, "again", &resource.File{ID: u.File.ID}), resource.WriteOptions{})
	if resource.CodeOf(err) != resource.CodeValidation {
		t.Fatalf("a later write: %v, want a 422", err)
	}
}
