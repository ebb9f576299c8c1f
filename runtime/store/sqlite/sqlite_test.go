package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// open opens a store on a new file in a temporary directory.
func open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(filepath.Join(tb.TempDir(), "data", "specstar.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	resourcetest.Run(t, func(t *testing.T) resource.Backend { return open(t) })
}

// TestEvolve runs the schema evolution suite: data written under one
// schema, read, filtered, sorted and patched under the next.
func TestEvolve(t *testing.T) {
	resourcetest.RunEvolve(t, func(t *testing.T) resource.Backend { return open(t) })
}

// migrated opens the file at path and migrates the suite's schema.
func migrated(t *testing.T, path string) (*sqlite.Store, *resourcetest.Kinds) {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(context.Background(), kinds.Schema); err != nil {
		s.Close()
		t.Fatal(err)
	}
	return s, kinds
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reopen.db")
	ctx := context.Background()
	s, kinds := migrated(t, path)
	svc := resource.NewService(s, kinds.Schema)
	a, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := a.Meta.ResourceID
	if _, err := svc.Update(ctx, kinds.Author, id, json.RawMessage(`{"email":"b@example.com"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// An aborted write just before the "crash" must not survive it.
	boom := errors.New("crash")
	err = svc.Backend().Update(ctx, func(w resource.Writer) error {
		rec, err := w.Get(kinds.Author, id)
		if err != nil {
			return err
		}
		rec.Meta.IsDeleted = true
		if err := w.PutRecord(kinds.Author, rec); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	want, err := svc.Get(ctx, kinds.Author, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, kinds2 := migrated(t, path)
	defer s2.Close()
	svc2 := resource.NewService(s2, kinds2.Schema)
	got, err := svc2.Get(ctx, kinds2.Author, id, resource.ReadOptions{})
	if err != nil {
		t.Fatalf("after reopening: %v", err)
	}
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("after reopening:\n got %s\nwant %s", gotJSON, wantJSON)
	}
	page, err := svc2.Revisions(ctx, kinds2.Author, id, resource.RevisionQuery{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("revisions after reopening = %v, %v", page, err)
	}
	_, err = svc2.Create(ctx, kinds2.Author, json.RawMessage(`{"email":"b@example.com"}`), resource.WriteOptions{})
	if resource.CodeOf(err) != resource.CodeConflict {
		t.Fatalf("unique index after reopening: %v", err)
	}
}

// TestTwoStoresOneFile stands in for two processes sharing a database: two
// stores (separate connections, so separate SQLite locks) migrate the
// same file at once, then race to create the same unique value and to
// update one resource.
func TestTwoStoresOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	stores := make([]*sqlite.Store, 2)
	for i := range stores {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	kinds := resourcetest.NewKinds()
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(ctx, kinds.Schema)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	svcs := []*resource.Service{resource.NewService(stores[0], kinds.Schema), resource.NewService(stores[1], kinds.Schema)}

	const n = 10
	results := make(chan error, 2*n)
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := json.RawMessage(fmt.Sprintf(`{"name":"%d","email":"same@example.com"}`, i))
			_, err := svcs[i%2].Create(ctx, kinds.Author, data, resource.WriteOptions{})
			results <- err
		}()
	}
	wg.Wait()
	close(results)
	created := 0
	for err := range results {
		switch resource.CodeOf(err) {
		case resource.CodeConflict:
		case resource.CodeInternal:
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			created++
		default:
			t.Fatalf("Create: %v", err)
		}
	}
	if created != 1 {
		t.Fatalf("%d creates of one unique value succeeded across two stores, want 1", created)
	}

	note, err := svcs[0].Create(ctx, kinds.Note, json.RawMessage(`{"v":0}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := note.Meta.ResourceID
	var accepted sync.Map
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := svcs[i%2]
			for {
				cur, err := svc.Get(ctx, kinds.Note, id, resource.ReadOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				_, err = svc.Update(ctx, kinds.Note, id, json.RawMessage(fmt.Sprintf(`{"v":%d}`, i+1)),
					resource.WriteOptions{IfMatch: resource.ETag(&cur.RevisionInfo)})
				if resource.CodeOf(err) == resource.CodePreconditionFailed {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				accepted.Store(i, true)
				return
			}
		}()
	}
	wg.Wait()
	got, err := svcs[1].Get(ctx, kinds.Note, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta.TotalRevisionCount != 2*n+1 {
		t.Fatalf("%d revisions after %d accepted updates from two stores, want %d", got.Meta.TotalRevisionCount, 2*n, 2*n+1)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{name: "empty", path: ""},
		{name: "memory", path: ":memory:"},
		{name: "query", path: filepath.Join(t.TempDir(), "x.db?mode=ro")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := sqlite.Open(tt.path); err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.path)
			}
		})
	}
}

func TestMigrateNewUniqueOnDuplicates(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	for range 2 {
		if _, err := svc.Create(ctx, kinds.Note, []byte(`{"code":"x"}`), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kinds.Note.Fields = []resource.Field{{JSON: "code", Type: resource.TypeString, Unique: true}}
	if err := s.Migrate(ctx, kinds.Schema); err == nil {
		t.Fatalf("Migrate made a field unique over duplicate values")
	}
	// Dropping the unique flag again drops the index; adding an ordinary
	// index works.
	kinds.Note.Fields = []resource.Field{{JSON: "code", Type: resource.TypeString, Indexed: true}}
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, kinds.Note, []byte(`{"code":"x"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkUpdate(b *testing.B)         { resourcetest.BenchUpdate(b, open(b)) }
func BenchmarkCreate(b *testing.B)         { resourcetest.BenchCreate(b, open(b)) }
func BenchmarkCreateParallel(b *testing.B) { resourcetest.BenchCreateParallel(b, open(b)) }
func BenchmarkUpdateParallel(b *testing.B) { resourcetest.BenchUpdateParallel(b, open(b)) }
func BenchmarkGet(b *testing.B)            { resourcetest.BenchGet(b, open(b)) }
func BenchmarkList(b *testing.B)           { resourcetest.BenchList(b, open(b)) }

// BenchmarkEvolve measures the data migration of a server start after a
// field was added, on 100,000 records (docs/migrations.md quotes it).
func BenchmarkEvolve(b *testing.B) {
	for range b.N {
		resourcetest.BenchEvolve(b, open(b), 100_000)
	}
}
