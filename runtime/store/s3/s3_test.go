package s3_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/s3"
	"github.com/specstar-go/specstar/runtime/store/s3/s3test"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// prefix is the key prefix the tests configure, so that they check it is
// honoured.
const prefix = "app"

// openIndex opens an SQLite index in a temporary directory.
func openIndex(tb testing.TB) *sqlite.Store {
	tb.Helper()
	idx, err := sqlite.Open(filepath.Join(tb.TempDir(), "index.db"))
	if err != nil {
		tb.Fatal(err)
	}
	return idx
}

// open returns an S3 store over a new SQLite index and the bucket of cfg
// (with the tests' prefix), closed when tb ends.
func open(tb testing.TB, cfg blob.S3Config, opts ...s3.Option) *s3.Store {
	tb.Helper()
	cfg.Prefix = prefix
	s, err := s3.Open(openIndex(tb), cfg, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	resourcetest.Run(t, func(t *testing.T) resource.Backend { return open(t, s3test.Fake(t)) })
}

// TestEvolve runs the schema evolution suite: data written under one
// schema, read, filtered, sorted and patched under the next.
func TestEvolve(t *testing.T) {
	resourcetest.RunEvolve(t, func(t *testing.T) resource.Backend { return open(t, s3test.Fake(t)) })
}

func TestSearch(t *testing.T) {
	resourcetest.RunSearch(t,
		resourcetest.NamedBackend{Name: "memory", Open: func(tb testing.TB) resource.Backend {
			s := memory.New()
			tb.Cleanup(func() { s.Close() })
			return s
		}},
		resourcetest.NamedBackend{Name: "s3+sqlite", Open: func(tb testing.TB) resource.Backend {
			return open(tb, s3test.Fake(tb))
		}},
	)
}

// fixture is a migrated S3 store on a fake server whose requests the test
// can count and fail.
type fixture struct {
	t     *testing.T
	cfg   blob.S3Config
	store *s3.Store
	svc   *resource.Service
	kinds *resourcetest.Kinds
	ctx   context.Context

	failPuts   atomic.Bool // PUT object answers 500
	failGets   atomic.Bool // GET object answers 500
	gets, puts atomic.Int64
}

// isObject reports whether a request addresses an object (path-style:
// /bucket/key), not the bucket.
func isObject(r *http.Request) bool {
	return strings.Count(strings.Trim(r.URL.Path, "/"), "/") >= 1
}

// newFixture starts a fake S3 server with failure switches and opens a
// migrated store on it.
func newFixture(t *testing.T, opts ...s3.Option) *fixture {
	f := &fixture{t: t, kinds: resourcetest.NewKinds(), ctx: context.Background()}
	srv := s3test.Start(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isObject(r) {
				switch r.Method {
				case http.MethodPut:
					f.puts.Add(1)
					if f.failPuts.Load() {
						http.Error(w, "injected PUT failure", http.StatusInternalServerError)
						return
					}
				case http.MethodGet:
					f.gets.Add(1)
					if f.failGets.Load() {
						http.Error(w, "injected GET failure", http.StatusInternalServerError)
						return
					}
				}
			}
			h.ServeHTTP(w, r)
		})
	})
	f.cfg = srv.Config
	f.store = open(t, f.cfg, opts...)
	if err := f.store.Migrate(f.ctx, f.kinds.Schema); err != nil {
		t.Fatal(err)
	}
	f.svc = resource.NewService(f.store, f.kinds.Schema, resource.WithIDs(resourcetest.SeqIDs()))
	return f
}

// objects returns every revision body in the bucket by key (relative to
// the store's revisions folder).
func (f *fixture) objects() map[string]string {
	f.t.Helper()
	cfg := f.cfg
	cfg.Prefix = prefix + "/revisions"
	bs, err := blob.OpenS3(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	out := make(map[string]string)
	err = bs.List(f.ctx, "", func(i blob.Info) error {
		rc, _, err := bs.Get(f.ctx, i.Key)
		if err != nil {
			return err
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		out[i.Key] = string(b)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// raw returns the blob store of the fixture's revisions folder, for
// out-of-band changes.
func (f *fixture) raw() *blob.S3 {
	cfg := f.cfg
	cfg.Prefix = prefix + "/revisions"
	bs, err := blob.OpenS3(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return bs
}

// create creates a resource or fails the test.
func (f *fixture) create(k *resource.Kind, data string) string {
	f.t.Helper()
	env, err := f.svc.Create(f.ctx, k, json.RawMessage(data), resource.WriteOptions{})
	if err != nil {
		f.t.Fatalf("Create %s: %v", data, err)
	}
	return env.Meta.ResourceID
}

// update writes a new revision or fails the test.
func (f *fixture) update(k *resource.Kind, id, data string) {
	f.t.Helper()
	if _, err := f.svc.Update(f.ctx, k, id, json.RawMessage(data), resource.WriteOptions{}); err != nil {
		f.t.Fatalf("Update %s: %v", data, err)
	}
}

// revision reads revision n through the service or fails the test.
func (f *fixture) revision(k *resource.Kind, id string, n int) string {
	f.t.Helper()
	rev, err := f.svc.Revision(f.ctx, k, id, resource.RevisionID(id, n), resource.RevisionOptions{})
	if err != nil {
		f.t.Fatalf("Revision %s:%d: %v", id, n, err)
	}
	return string(rev.Data)
}

// indexState is everything the index holds: records and revision rows
// (with their raw, pointer data) of every kind.
type indexState map[string]any

// indexSnapshot reads the index directly, bypassing S3.
func (f *fixture) indexSnapshot() indexState {
	f.t.Helper()
	out := make(indexState)
	err := f.store.Index().View(f.ctx, func(r resource.Reader) error {
		for _, k := range f.kinds.Schema.Kinds {
			recs, err := r.List(k, &resource.Query{IncludeDeleted: true})
			if err != nil {
				return err
			}
			for _, rec := range recs {
				id := rec.Meta.ResourceID
				out[k.Name+"/"+id] = rec
				infos, err := r.Revisions(k, id)
				if err != nil {
					return err
				}
				for _, info := range infos {
					rev, err := r.Revision(k, id, info.Number)
					if err != nil {
						return err
					}
					out[info.RevisionID] = rev
				}
			}
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// sum returns the hex sha256 of s.
func sum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestBodiesLiveInS3(t *testing.T) {
	f := newFixture(t)
	data := `{"title":"Hello","slug":"hello"}`
	id := f.create(f.kinds.Post, data)
	key := "post/" + id + "/" + sum(data)
	if diff := cmp.Diff(map[string]string{key: data}, f.objects()); diff != "" {
		t.Fatalf("objects (-want +got):\n%s", diff)
	}
	// The index row holds a pointer, not the body.
	err := f.store.Index().View(f.ctx, func(r resource.Reader) error {
		rev, err := r.Revision(f.kinds.Post, id, 1)
		if err != nil {
			return err
		}
		if want := `"s3:sha256:` + sum(data) + `"`; string(rev.Data) != want {
			t.Errorf("index revision data = %s, want %s", rev.Data, want)
		}
		rec, err := r.Get(f.kinds.Post, id)
		if err != nil {
			return err
		}
		if string(rec.Data) != data {
			t.Errorf("index record data = %s, want the current data inline", rec.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.revision(f.kinds.Post, id, 1); got != data {
		t.Fatalf("Revision = %s, want %s", got, data)
	}
}

func TestContentAddressing(t *testing.T) {
	tests := []struct {
		name        string
		run         func(f *fixture) []string // returns the resource ids
		wantObjects int
	}{
		{
			name: "revert stores the old body once",
			run: func(f *fixture) []string {
				id := f.create(f.kinds.Note, `{"v":"a"}`)
				f.update(f.kinds.Note, id, `{"v":"b"}`)
				f.update(f.kinds.Note, id, `{"v":"a"}`)
				f.update(f.kinds.Note, id, `{"v":"b"}`)
				return []string{id}
			},
			wantObjects: 2,
		},
		{
			name: "draft edited back and forth",
			run: func(f *fixture) []string {
				env, err := f.svc.Create(f.ctx, f.kinds.Note, json.RawMessage(`{"v":1}`), resource.WriteOptions{Status: resource.StatusDraft})
				if err != nil {
					f.t.Fatal(err)
				}
				id := env.Meta.ResourceID
				for _, v := range []string{`{"v":2}`, `{"v":1}`, `{"v":2}`} {
					if _, err := f.svc.Update(f.ctx, f.kinds.Note, id, json.RawMessage(v), resource.WriteOptions{Mode: "modify"}); err != nil {
						f.t.Fatal(err)
					}
				}
				return []string{id}
			},
			wantObjects: 2,
		},
		{
			name: "identical bodies of two resources are two objects",
			run: func(f *fixture) []string {
				return []string{f.create(f.kinds.Note, `{"v":"same"}`), f.create(f.kinds.Note, `{"v":"same"}`)}
			},
			wantObjects: 2,
		},
		{
			name: "one transaction writing one body twice",
			run: func(f *fixture) []string {
				err := f.store.Update(f.ctx, func(w resource.Writer) error {
					for n := 1; n <= 2; n++ {
						info := resource.RevisionInfo{ResourceID: "x", RevisionID: resource.RevisionID("x", n), Number: n, Status: resource.StatusStable}
						if err := w.PutRevision(f.kinds.Note, &resource.Revision{Info: info, Data: json.RawMessage(`{}`)}); err != nil {
							return err
						}
					}
					rec := &resource.Record{Meta: resource.Meta{ResourceID: "x", CurrentRevisionID: "x:2", TotalRevisionCount: 2},
						Current: resource.RevisionInfo{ResourceID: "x", RevisionID: "x:2", Number: 2}, Data: json.RawMessage(`{}`)}
					return w.PutRecord(f.kinds.Note, rec)
				})
				if err != nil {
					f.t.Fatal(err)
				}
				return []string{"x"}
			},
			wantObjects: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ids := tt.run(f)
			puts := f.puts.Load()
			objects := f.objects()
			if len(objects) != tt.wantObjects {
				t.Fatalf("%d objects after %d uploads, want %d: %v", len(objects), puts, tt.wantObjects, slices.Sorted(mapsKeys(objects)))
			}
			for key, body := range objects {
				if !strings.HasSuffix(key, "/"+sum(body)) {
					t.Errorf("object %s does not end with the hash of its body", key)
				}
			}
			// Every revision still reads back its own body.
			for _, id := range ids {
				page, err := f.svc.Revisions(f.ctx, f.kinds.Note, id, resource.RevisionQuery{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, info := range page.Items {
					rev, err := f.svc.Revision(f.ctx, f.kinds.Note, id, info.RevisionID, resource.RevisionOptions{})
					if err != nil {
						t.Fatal(err)
					}
					if id != "x" && resource.DataHash(rev.Data) != info.DataHash {
						t.Errorf("revision %s: body %s does not match its data hash", info.RevisionID, rev.Data)
					}
				}
			}
		})
	}
}

// mapsKeys returns an iterator over the keys of m.
func mapsKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestFailedUploadLeavesIndexUnchanged(t *testing.T) {
	tests := []struct {
		name string
		// write runs the write that must fail, on resources seeded by seed.
		write func(f *fixture, ids map[string]string) error
	}{
		{name: "create", write: func(f *fixture, _ map[string]string) error {
			_, err := f.svc.Create(f.ctx, f.kinds.Author, json.RawMessage(`{"email":"new@example.com"}`), resource.WriteOptions{})
			return err
		}},
		{name: "update", write: func(f *fixture, ids map[string]string) error {
			_, err := f.svc.Update(f.ctx, f.kinds.Post, ids["post"], json.RawMessage(`{"slug":"changed"}`), resource.WriteOptions{})
			return err
		}},
		{name: "patch", write: func(f *fixture, ids map[string]string) error {
			_, err := f.svc.Patch(f.ctx, f.kinds.Post, ids["post"], func(json.RawMessage) (json.RawMessage, error) {
				return json.RawMessage(`{"slug":"patched"}`), nil
			}, resource.WriteOptions{})
			return err
		}},
		{name: "modify a draft", write: func(f *fixture, ids map[string]string) error {
			_, err := f.svc.Update(f.ctx, f.kinds.Note, ids["draft"], json.RawMessage(`{"v":"edited"}`), resource.WriteOptions{Mode: "modify"})
			return err
		}},
		{name: "delete setting referrers to null", write: func(f *fixture, ids map[string]string) error {
			_, err := f.svc.Delete(f.ctx, f.kinds.Author, ids["editor"], resource.WriteOptions{})
			return err
		}},
		{name: "backend writes", write: func(f *fixture, _ map[string]string) error {
			return f.store.Update(f.ctx, func(w resource.Writer) error {
				info := resource.RevisionInfo{ResourceID: "raw", RevisionID: "raw:1", Number: 1, Status: resource.StatusStable}
				if err := w.PutRevision(f.kinds.Note, &resource.Revision{Info: info, Data: json.RawMessage(`{}`)}); err != nil {
					return err
				}
				return w.PutRecord(f.kinds.Note, &resource.Record{Meta: resource.Meta{ResourceID: "raw", CurrentRevisionID: "raw:1"}, Current: info, Data: json.RawMessage(`{}`)})
			})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ids := map[string]string{
				"editor": f.create(f.kinds.Author, `{"email":"editor@example.com"}`),
			}
			ids["post"] = f.create(f.kinds.Post, `{"slug":"s","editor":"`+ids["editor"]+`"}`)
			env, err := f.svc.Create(f.ctx, f.kinds.Note, json.RawMessage(`{"v":"draft"}`), resource.WriteOptions{Status: resource.StatusDraft})
			if err != nil {
				t.Fatal(err)
			}
			ids["draft"] = env.Meta.ResourceID
			before, objects := f.indexSnapshot(), f.objects()

			f.failPuts.Store(true)
			puts := f.puts.Load()
			err = tt.write(f, ids)
			if err == nil {
				t.Fatal("the write succeeded with every upload failing")
			}
			if f.puts.Load() == puts {
				t.Fatal("the write did not try to upload")
			}
			if resource.CodeOf(err) != resource.CodeInternal || !strings.Contains(err.Error(), "s3:") {
				t.Errorf("error = %v, want an internal error naming S3", err)
			}
			if diff := cmp.Diff(before, f.indexSnapshot()); diff != "" {
				t.Fatalf("failed upload changed the index (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(objects, f.objects()); diff != "" {
				t.Fatalf("failed upload changed the objects (-before +after):\n%s", diff)
			}
			// Once S3 is back, the same write succeeds and every row
			// resolves.
			f.failPuts.Store(false)
			if err := tt.write(f, ids); err != nil {
				t.Fatalf("write after recovery: %v", err)
			}
			for key := range f.indexSnapshot() {
				kind, id, ok := strings.Cut(key, "/")
				if !ok {
					continue
				}
				k := f.kinds.Schema.Kind(kind)
				err := f.store.View(f.ctx, func(r resource.Reader) error {
					for _, n := range revisionNumbers(t, f, k, id) {
						rev, err := r.Revision(k, id, n)
						if err != nil {
							return err
						}
						if _, ok := f.objects()[strings.ToLower(kind)+"/"+id+"/"+sum(string(rev.Data))]; !ok {
							t.Errorf("no object for revision %s", rev.Info.RevisionID)
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// revisionNumbers lists the stored revision numbers of a resource.
func revisionNumbers(t *testing.T, f *fixture, k *resource.Kind, id string) []int {
	t.Helper()
	var out []int
	err := f.store.View(f.ctx, func(r resource.Reader) error {
		infos, err := r.Revisions(k, id)
		for _, i := range infos {
			out = append(out, i.Number)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFailedFunctionUploadsNothing(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("boom")
	err := f.store.Update(f.ctx, func(w resource.Writer) error {
		info := resource.RevisionInfo{ResourceID: "n", RevisionID: "n:1", Number: 1}
		if err := w.PutRevision(f.kinds.Note, &resource.Revision{Info: info, Data: json.RawMessage(`{"a":1}`)}); err != nil {
			return err
		}
		// The transaction reads its own pending body.
		rev, err := w.Revision(f.kinds.Note, "n", 1)
		if err != nil || string(rev.Data) != `{"a":1}` {
			t.Errorf("Revision in the writing transaction = %v, %v", rev, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	if n := f.puts.Load(); n != 0 {
		t.Fatalf("an aborted transaction made %d uploads", n)
	}
}

func TestFailedRead(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(f *fixture, key string)
		want    string // in the error
		wantIs  error
	}{
		{name: "GET fails", breakIt: func(f *fixture, _ string) { f.failGets.Store(true) }, want: "StatusCode: 500"},
		{name: "object missing", breakIt: func(f *fixture, key string) {
			if err := f.raw().Delete(f.ctx, key); err != nil {
				f.t.Fatal(err)
			}
		}, want: "object not found", wantIs: blob.ErrNotFound},
		{name: "object corrupt", breakIt: func(f *fixture, key string) {
			if err := f.raw().Put(f.ctx, key, strings.NewReader(`{"v":"tampered"}`), -1, ""); err != nil {
				f.t.Fatal(err)
			}
		}, want: "is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, s3.WithCacheSize(0))
			data := `{"v":"original"}`
			id := f.create(f.kinds.Note, data)
			key := "note/" + id + "/" + sum(data)
			tt.breakIt(f, key)
			_, err := f.svc.Revision(f.ctx, f.kinds.Note, id, "1", resource.RevisionOptions{})
			if err == nil {
				t.Fatal("Revision succeeded")
			}
			// A lost body is a server failure, never a 404 of the revision.
			if resource.CodeOf(err) != resource.CodeInternal {
				t.Errorf("code = %s, want %s", resource.CodeOf(err), resource.CodeInternal)
			}
			for _, want := range []string{tt.want, "s3://" + s3test.Bucket + "/" + prefix + "/revisions/" + key, id + ":1"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not match %v", err, tt.wantIs)
			}
			// Reads that need no body still work.
			if _, err := f.svc.Get(f.ctx, f.kinds.Note, id, resource.ReadOptions{}); err != nil {
				t.Errorf("Get of the current data: %v", err)
			}
		})
	}
}

func TestCache(t *testing.T) {
	tests := []struct {
		name     string
		opts     []s3.Option
		wantGets int64 // for three reads of one revision
	}{
		{name: "default cache", wantGets: 1},
		{name: "disabled", opts: []s3.Option{s3.WithCacheSize(0)}, wantGets: 3},
		{name: "too small for the body", opts: []s3.Option{s3.WithCacheSize(64)}, wantGets: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts...)
			data := `{"v":"` + strings.Repeat("x", 100) + `"}`
			id := f.create(f.kinds.Note, data)
			f.update(f.kinds.Note, id, `{"v":"current"}`)
			gets := f.gets.Load()
			for range 3 {
				rev, err := f.svc.Revision(f.ctx, f.kinds.Note, id, "1", resource.RevisionOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if string(rev.Data) != data {
					t.Fatalf("Revision = %s, want %s", rev.Data, data)
				}
				// The caller owns what it gets: scribbling over it must
				// not reach the cache.
				for i := range rev.Data {
					rev.Data[i] = '!'
				}
			}
			if got := f.gets.Load() - gets; got != tt.wantGets {
				t.Fatalf("%d GETs for three reads, want %d", got, tt.wantGets)
			}
			// Get with ?revision= goes through the same path.
			env, err := f.svc.Get(f.ctx, f.kinds.Note, id, resource.ReadOptions{Revision: "1"})
			if err != nil || string(env.Data) != data {
				t.Fatalf("Get revision 1 = %v, %v", env, err)
			}
		})
	}
}

// must returns v or panics: for setup steps whose failure is a bug.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestLegacyInlineRows(t *testing.T) {
	cfg := s3test.Fake(t)
	cfg.Prefix = prefix
	idx := openIndex(t)
	kinds := resourcetest.NewKinds()
	ctx := context.Background()
	if err := idx.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	// Data written by SQLite alone, before S3 was configured...
	plain := resource.NewService(idx, kinds.Schema)
	id := must(plain.Create(ctx, kinds.Note, json.RawMessage(`{"v":"inline"}`), resource.WriteOptions{})).Meta.ResourceID
	// ...stays readable, and new revisions go to S3.
	s, err := s3.Open(idx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	if _, err := svc.Update(ctx, kinds.Note, id, json.RawMessage(`{"v":"in s3"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for n, want := range map[string]string{"1": `{"v":"inline"}`, "2": `{"v":"in s3"}`} {
		rev, err := svc.Revision(ctx, kinds.Note, id, n, resource.RevisionOptions{})
		if err != nil || string(rev.Data) != want {
			t.Fatalf("revision %s = %v, %v, want %s", n, rev, err, want)
		}
	}
	ops, err := svc.Diff(ctx, kinds.Note, id, "2", "", resource.RevisionOptions{})
	if err != nil || len(ops) != 1 {
		t.Fatalf("Diff across the switch to S3 = %v, %v", ops, err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  blob.S3Config
	}{
		{name: "no bucket", cfg: blob.S3Config{Endpoint: "http://127.0.0.1:1"}},
		{name: "access key without secret", cfg: blob.S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", AccessKeyID: "k"}},
		{name: "endpoint without scheme", cfg: blob.S3Config{Endpoint: "127.0.0.1:9000", Bucket: "b"}},
		{name: "bad prefix", cfg: blob.S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", Prefix: "a/../b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := openIndex(t)
			defer idx.Close()
			if s, err := s3.Open(idx, tt.cfg); err == nil {
				s.Close()
				t.Fatalf("Open(%+v) succeeded", tt.cfg)
			}
		})
	}
}

func TestBucketCreationAndPing(t *testing.T) {
	cfg := s3test.Fake(t)
	cfg.Bucket = "fresh-bucket"
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	s := open(t, cfg)
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded without a bucket")
	}
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	if _, err := resource.NewService(s, kinds.Schema).Create(ctx, kinds.Note, json.RawMessage(`{}`), resource.WriteOptions{}); err == nil {
		t.Fatal("Create succeeded without a bucket")
	}
	created := open(t, cfg, s3.WithCreateBucket())
	for range 2 { // idempotent
		if err := created.Migrate(ctx, kinds.Schema); err != nil {
			t.Fatal(err)
		}
	}
	if err := created.Ping(ctx); err != nil {
		t.Fatalf("Ping after creating the bucket: %v", err)
	}
}

func BenchmarkUpdate(b *testing.B) { resourcetest.BenchUpdate(b, open(b, s3test.Fake(b))) }
func BenchmarkCreate(b *testing.B) { resourcetest.BenchCreate(b, open(b, s3test.Fake(b))) }
func BenchmarkGet(b *testing.B)    { resourcetest.BenchGet(b, open(b, s3test.Fake(b))) }

// BenchmarkRevisionRead measures Service.Revision of old revisions, each
// body fetched from S3 or from the cache.
func BenchmarkRevisionRead(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []s3.Option
	}{
		{name: "s3", opts: []s3.Option{s3.WithCacheSize(0)}},
		{name: "cached"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := open(b, s3test.Fake(b), bc.opts...)
			kinds := resourcetest.NewKinds()
			ctx := context.Background()
			if err := s.Migrate(ctx, kinds.Schema); err != nil {
				b.Fatal(err)
			}
			svc := resource.NewService(s, kinds.Schema)
			id := must(svc.Create(ctx, kinds.Note, json.RawMessage(`{"v":0}`), resource.WriteOptions{})).Meta.ResourceID
			const revisions = 64
			for i := 1; i < revisions; i++ {
				must(svc.Update(ctx, kinds.Note, id, json.RawMessage(`{"v":`+strings.Repeat("1", i)+`}`), resource.WriteOptions{}))
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := svc.Revision(ctx, kinds.Note, id, resource.RevisionID(id, 1+i%revisions), resource.RevisionOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
