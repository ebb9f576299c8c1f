package memory_test

import (
	"context"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

func open(tb testing.TB) *memory.Store {
	s := memory.New()
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

func TestClosed(t *testing.T) {
	s := memory.New()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name string
		run  func() error
	}{
		{name: "migrate", run: func() error { return s.Migrate(ctx, resourcetest.NewKinds().Schema) }},
		{name: "view", run: func() error { return s.View(ctx, func(resource.Reader) error { return nil }) }},
		{name: "update", run: func() error { return s.Update(ctx, func(resource.Writer) error { return nil }) }},
		{name: "ping", run: func() error { return s.Ping(ctx) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.run(); err != memory.ErrClosed {
				t.Fatalf("error = %v, want ErrClosed", err)
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
	// The failed migration left the old indexes in place.
	if n, err := svc.Count(ctx, kinds.Note, resource.ListQuery{}); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

func BenchmarkUpdate(b *testing.B)         { resourcetest.BenchUpdate(b, open(b)) }
func BenchmarkCreate(b *testing.B)         { resourcetest.BenchCreate(b, open(b)) }
func BenchmarkCreateParallel(b *testing.B) { resourcetest.BenchCreateParallel(b, open(b)) }
func BenchmarkUpdateParallel(b *testing.B) { resourcetest.BenchUpdateParallel(b, open(b)) }
func BenchmarkGet(b *testing.B)            { resourcetest.BenchGet(b, open(b)) }
func BenchmarkList(b *testing.B)           { resourcetest.BenchList(b, open(b)) }

func TestSearch(t *testing.T) {
	resourcetest.RunSearch(t, resourcetest.NamedBackend{
		Name: "memory",
		Open: func(tb testing.TB) resource.Backend { return open(tb) },
	})
}

// TestMigrateFold makes Member.email ignore case on existing data.
func TestMigrateFold(t *testing.T) {
	resourcetest.MigrateFold(t, open(t), func(fold bool) *resource.Schema {
		kinds := resourcetest.NewKinds()
		kinds.Member.Fields[0].Fold = fold
		return kinds.Schema
	})
}
