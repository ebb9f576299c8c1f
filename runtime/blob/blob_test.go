package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/store/s3/s3test"
)

// stores are the implementations every behaviour test runs on.
var stores = []struct {
	name string
	open func(t *testing.T) blob.Store
}{
	{name: "dir", open: func(t *testing.T) blob.Store {
		d, err := blob.NewDir(t.TempDir() + "/blobs")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}},
	{name: "s3", open: func(t *testing.T) blob.Store {
		cfg := s3test.Fake(t)
		cfg.Prefix = "files"
		s, err := blob.OpenS3(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
	{name: "memory", open: func(t *testing.T) blob.Store { return blob.NewMemory() }},
}

// forEachStore runs fn as a subtest on a fresh store of each kind.
func forEachStore(t *testing.T, fn func(t *testing.T, s blob.Store)) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { fn(t, st.open(t)) })
	}
}

// put stores data under key or fails the test.
func put(t *testing.T, s blob.Store, key, data, ct string) {
	t.Helper()
	if err := s.Put(context.Background(), key, strings.NewReader(data), int64(len(data)), ct); err != nil {
		t.Fatalf("Put %s: %v", key, err)
	}
}

// read returns the bytes and info of key, or the error of Get.
func read(s blob.Store, key string) (string, blob.Info, error) {
	rc, info, err := s.Get(context.Background(), key)
	if err != nil {
		return "", info, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), info, err
}

// keys lists the keys under prefix, sorted.
func keys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var out []string
	err := s.List(context.Background(), prefix, func(i blob.Info) error {
		out = append(out, i.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List %q: %v", prefix, err)
	}
	slices.Sort(out)
	return out
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		data   string
		ct     string
		wantCT string
	}{
		{name: "content type", key: "a.txt", data: "hello", ct: "text/plain", wantCT: "text/plain"},
		{name: "default content type", key: "x/y/z.bin", data: "\x00\x01\x02", wantCT: blob.DefaultContentType},
		{name: "empty object", key: "empty", data: "", ct: "text/plain", wantCT: "text/plain"},
		{name: "unicode key", key: "dossier/résumé 1.pdf", data: "%PDF", ct: "application/pdf", wantCT: "application/pdf"},
		{name: "large", key: "big", data: strings.Repeat("0123456789", 100_000), ct: "text/plain", wantCT: "text/plain"},
	}
	forEachStore(t, func(t *testing.T, s blob.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				put(t, s, tt.key, tt.data, tt.ct)
				got, info, err := read(s, tt.key)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.data {
					t.Fatalf("Get = %d bytes, want %d", len(got), len(tt.data))
				}
				stat, err := s.Stat(context.Background(), tt.key)
				if err != nil {
					t.Fatal(err)
				}
				for _, i := range []blob.Info{info, stat} {
					if i.Key != tt.key || i.Size != int64(len(tt.data)) || i.ContentType != tt.wantCT || i.ModTime.IsZero() {
						t.Fatalf("info = %+v, want key %q, size %d, content type %q and a time", i, tt.key, len(tt.data), tt.wantCT)
					}
				}
			})
		}
	})
}

func TestMissing(t *testing.T) {
	forEachStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "dir/present", "x", "")
		for _, key := range []string{"absent", "dir/absent", "dir"} {
			if _, _, err := s.Get(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Get %s = %v, want ErrNotFound", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("Stat %s = %v, want ErrNotFound", key, err)
			}
		}
		if err := s.Delete(ctx, "absent"); err != nil {
			t.Errorf("Delete of a missing object: %v", err)
		}
	})
}

func TestOverwriteAndDelete(t *testing.T) {
	forEachStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		put(t, s, "k", "first version", "text/plain")
		put(t, s, "k", "v2", "application/json")
		got, info, err := read(s, "k")
		if err != nil || got != "v2" || info.ContentType != "application/json" || info.Size != 2 {
			t.Fatalf("after overwrite: %q %+v %v", got, info, err)
		}
		// The default content type replaces a stored one (on a folder,
		// the metadata file goes).
		put(t, s, "k", "v3", "")
		if got, info, err := read(s, "k"); err != nil || got != "v3" || info.ContentType != blob.DefaultContentType {
			t.Fatalf("after overwrite without a content type: %q %+v %v", got, info, err)
		}
		if err := s.Delete(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := read(s, "k"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
		}
		if got := keys(t, s, ""); len(got) != 0 {
			t.Fatalf("List after Delete = %v", got)
		}
	})
}

func TestList(t *testing.T) {
	all := []string{"a/1", "a/2", "a/b/3", "ab/4", "abc", "b/5"}
	tests := []struct {
		name   string
		prefix string
		want   []string
	}{
		{name: "everything", prefix: "", want: all},
		{name: "folder", prefix: "a/", want: []string{"a/1", "a/2", "a/b/3"}},
		{name: "nested folder", prefix: "a/b/", want: []string{"a/b/3"}},
		{name: "partial name", prefix: "ab", want: []string{"ab/4", "abc"}},
		{name: "partial name in folder", prefix: "a/b", want: []string{"a/b/3"}},
		{name: "exact key", prefix: "abc", want: []string{"abc"}},
		{name: "nothing", prefix: "zz/", want: nil},
	}
	forEachStore(t, func(t *testing.T, s blob.Store) {
		for _, k := range all {
			put(t, s, k, k, "")
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if diff := cmp.Diff(tt.want, keys(t, s, tt.prefix)); diff != "" {
					t.Fatalf("List(%q) (-want +got):\n%s", tt.prefix, diff)
				}
			})
		}
		t.Run("sizes", func(t *testing.T) {
			err := s.List(context.Background(), "a/b/", func(i blob.Info) error {
				if i.Size != int64(len(i.Key)) || i.ModTime.IsZero() {
					t.Errorf("listed %+v", i)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
		t.Run("stops at an error", func(t *testing.T) {
			stop := errors.New("stop")
			n := 0
			err := s.List(context.Background(), "", func(blob.Info) error { n++; return stop })
			if !errors.Is(err, stop) || n != 1 {
				t.Fatalf("List = %v after %d calls, want the callback's error after 1", err, n)
			}
		})
	})
}

// onlyReader hides every method of a reader but Read, so that Put cannot
// seek it.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestPutReaders(t *testing.T) {
	const data = "streamed bytes of a known or unknown length"
	tests := []struct {
		name    string
		r       func() io.Reader
		size    int64
		wantErr bool
	}{
		{name: "seekable", r: func() io.Reader { return strings.NewReader(data) }, size: int64(len(data))},
		{name: "seekable unknown size", r: func() io.Reader { return strings.NewReader(data) }, size: -1},
		{name: "stream known size", r: func() io.Reader { return onlyReader{strings.NewReader(data)} }, size: int64(len(data))},
		{name: "stream unknown size", r: func() io.Reader { return onlyReader{strings.NewReader(data)} }, size: -1},
		{name: "one byte at a time", r: func() io.Reader { return iotest.OneByteReader(strings.NewReader(data)) }, size: int64(len(data))},
		{name: "seekable too short", r: func() io.Reader { return strings.NewReader(data) }, size: int64(len(data)) + 1, wantErr: true},
		{name: "seekable too long", r: func() io.Reader { return strings.NewReader(data) }, size: 3, wantErr: true},
		{name: "stream too short", r: func() io.Reader { return onlyReader{strings.NewReader(data)} }, size: int64(len(data)) + 5, wantErr: true},
		{name: "stream too long", r: func() io.Reader { return onlyReader{strings.NewReader(data)} }, size: 3, wantErr: true},
		{name: "failing reader", r: func() io.Reader { return iotest.ErrReader(errors.New("disk on fire")) }, size: -1, wantErr: true},
	}
	forEachStore(t, func(t *testing.T, s blob.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				key := "readers/" + strings.ReplaceAll(tt.name, " ", "-")
				err := s.Put(context.Background(), key, tt.r(), tt.size, "text/plain")
				if tt.wantErr {
					if err == nil {
						t.Fatalf("Put succeeded")
					}
					if _, serr := s.Stat(context.Background(), key); !errors.Is(serr, blob.ErrNotFound) {
						t.Fatalf("failed Put left an object: %v", serr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got, _, err := read(s, key); err != nil || got != data {
					t.Fatalf("Get = %q, %v", got, err)
				}
			})
		}
	})
}

func TestFailedPutKeepsOldObject(t *testing.T) {
	forEachStore(t, func(t *testing.T, s blob.Store) {
		put(t, s, "keep", "old", "text/plain")
		err := s.Put(context.Background(), "keep", onlyReader{strings.NewReader("new, but short")}, 100, "text/html")
		if err == nil {
			t.Fatal("Put of a short reader succeeded")
		}
		if got, info, err := read(s, "keep"); err != nil || got != "old" || info.ContentType != "text/plain" {
			t.Fatalf("after a failed overwrite: %q %+v %v", got, info, err)
		}
	})
}

func TestCancelledContext(t *testing.T) {
	forEachStore(t, func(t *testing.T, s blob.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Put(ctx, "c", bytes.NewReader([]byte("x")), 1, ""); err == nil {
			t.Fatal("Put with a cancelled context succeeded")
		}
		if _, err := s.Stat(context.Background(), "c"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("cancelled Put stored an object: %v", err)
		}
		if _, _, err := s.Get(ctx, "c"); err == nil {
			t.Fatal("Get with a cancelled context succeeded")
		}
	})
}

func TestInvalidKeys(t *testing.T) {
	tests := []struct {
		name string
		key  string
	}{
		{name: "empty", key: ""},
		{name: "absolute", key: "/etc/passwd"},
		{name: "parent", key: "../x"},
		{name: "inner parent", key: "a/../../x"},
		{name: "dot", key: "a/./b"},
		{name: "trailing slash", key: "a/"},
		{name: "double slash", key: "a//b"},
		{name: "backslash", key: `a\b`},
		{name: "hidden element", key: "a/.meta"},
		{name: "nul", key: "a\x00b"},
		{name: "newline", key: "a\nb"},
		{name: "invalid utf-8", key: "a\xffb"},
		{name: "too long", key: strings.Repeat("k", blob.MaxKeyLen+1)},
	}
	forEachStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := blob.ValidKey(tt.key); err == nil {
					t.Fatalf("ValidKey(%q) = nil", tt.key)
				}
				if err := s.Put(ctx, tt.key, strings.NewReader("x"), 1, ""); err == nil {
					t.Errorf("Put(%q) succeeded", tt.key)
				}
				if _, _, err := s.Get(ctx, tt.key); err == nil || errors.Is(err, blob.ErrNotFound) {
					t.Errorf("Get(%q) = %v, want a key error", tt.key, err)
				}
				if _, err := s.Stat(ctx, tt.key); err == nil || errors.Is(err, blob.ErrNotFound) {
					t.Errorf("Stat(%q) = %v, want a key error", tt.key, err)
				}
				if err := s.Delete(ctx, tt.key); err == nil {
					t.Errorf("Delete(%q) succeeded", tt.key)
				}
			})
		}
		if got := keys(t, s, ""); len(got) != 0 {
			t.Fatalf("invalid keys stored %v", got)
		}
	})
}

func TestValidKeys(t *testing.T) {
	for _, key := range []string{"a", "a/b/c.txt", "files/2025/ü.png", "with space", "a..b", strings.Repeat("k", blob.MaxKeyLen)} {
		if err := blob.ValidKey(key); err != nil {
			t.Errorf("ValidKey(%q) = %v", key, err)
		}
	}
}

func TestS3Prefixes(t *testing.T) {
	cfg := s3test.Fake(t)
	ctx := context.Background()
	open := func(prefix string) *blob.S3 {
		c := cfg
		c.Prefix = prefix
		s, err := blob.OpenS3(c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, a2, b, root := open("tenant-a"), open("/tenant-a/"), open("tenant-b"), open("")
	put(t, a, "doc", "A", "")
	put(t, b, "doc", "B", "")
	if got, _, err := read(a2, "doc"); err != nil || got != "A" {
		t.Fatalf("prefix %q and %q differ: %q, %v", "tenant-a", "/tenant-a/", got, err)
	}
	if got, _, err := read(b, "doc"); err != nil || got != "B" {
		t.Fatalf("tenant-b/doc = %q, %v", got, err)
	}
	if diff := cmp.Diff([]string{"doc"}, keys(t, a, "")); diff != "" {
		t.Fatalf("List under a prefix (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"tenant-a/doc", "tenant-b/doc"}, keys(t, root, "")); diff != "" {
		t.Fatalf("List of the bucket (-want +got):\n%s", diff)
	}
	if got := a.URL("doc"); got != "s3://"+s3test.Bucket+"/tenant-a/doc" {
		t.Fatalf("URL = %s", got)
	}
	if err := a.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestS3Bucket(t *testing.T) {
	cfg := s3test.Fake(t)
	cfg.Bucket = "not-yet"
	ctx := context.Background()
	s, err := blob.OpenS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping of a missing bucket succeeded")
	}
	err = s.Put(ctx, "k", strings.NewReader("x"), 1, "")
	if err == nil {
		t.Fatal("Put into a missing bucket succeeded")
	}
	// A HEAD answer has no body, so Stat cannot tell a missing bucket
	// from a missing object; Get can.
	if _, err := s.Stat(ctx, "k"); err == nil {
		t.Fatal("Stat in a missing bucket succeeded")
	}
	if _, _, err := s.Get(ctx, "k"); errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get in a missing bucket = %v, want an error other than a missing object", err)
	}
	for range 2 { // idempotent
		if err := s.CreateBucket(ctx); err != nil {
			t.Fatal(err)
		}
	}
	put(t, s, "k", "x", "")
}

func TestS3Config(t *testing.T) {
	tests := []struct {
		name    string
		cfg     blob.S3Config
		wantErr bool
	}{
		{name: "fake", cfg: blob.S3Config{Endpoint: "http://127.0.0.1:9000", AccessKeyID: "k", SecretAccessKey: "s", Bucket: "b"}},
		{name: "aws", cfg: blob.S3Config{Region: "eu-west-1", AccessKeyID: "k", SecretAccessKey: "s", Bucket: "b"}},
		{name: "anonymous", cfg: blob.S3Config{Endpoint: "https://s3.example.com", Bucket: "b"}},
		{name: "secret only", cfg: blob.S3Config{SecretAccessKey: "s", Bucket: "b"}, wantErr: true},
		{name: "endpoint without scheme", cfg: blob.S3Config{Endpoint: "s3.example.com", Bucket: "b"}, wantErr: true},
		{name: "no bucket", cfg: blob.S3Config{Endpoint: "http://127.0.0.1:9000"}, wantErr: true},
		{name: "invalid prefix", cfg: blob.S3Config{Bucket: "b", Prefix: "a/./b"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := blob.OpenS3(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("OpenS3 = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			o := s.Client().Options()
			wantRegion := tt.cfg.Region
			if wantRegion == "" {
				wantRegion = blob.DefaultRegion
			}
			if !o.UsePathStyle || o.Region != wantRegion {
				t.Fatalf("client options: path style %v, region %q", o.UsePathStyle, o.Region)
			}
		})
	}
}

// TestDirFailedPutLeavesNoTemp: a Put whose reader yields the wrong number
// of bytes stores nothing, not even its temporary file.
func TestDirFailedPutLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	d, err := blob.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(t.Context(), "a/b", strings.NewReader("abc"), 5, ""); err == nil {
		t.Fatal("Put of 3 bytes announced as 5 succeeded")
	}
	var left []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("files left after a failed Put: %q", left)
	}
}

// TestDirRemoveTemps: the temporary files of writes that never finished
// go once they are older than the cutoff; recent ones, objects and
// metadata files stay.
func TestDirRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	d, err := blob.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	put(t, d, "files/sha256/abc", "object", "image/png")
	old := time.Now().Add(-2 * time.Hour)
	for _, name := range []string{".spool-old", "files/sha256/.tmp-old", ".spool-new", "files/uploads/.tmp-new"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "-old") {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	n, err := d.RemoveTemps(t.Context(), time.Now().Add(-time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("RemoveTemps = %d, %v; want 2 removed", n, err)
	}
	var left []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			left = append(left, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(left)
	want := []string{".spool-new", "files/sha256/.abc.meta", "files/sha256/abc", "files/uploads/.tmp-new"}
	if !slices.Equal(left, want) {
		t.Fatalf("left %q, want %q", left, want)
	}
}
