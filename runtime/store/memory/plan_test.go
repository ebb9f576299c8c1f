package memory

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestIndexUse checks, through the count of records tested, that a list
// with an indexed equality, "in", range or prefix condition tests only
// the rows of that index range, and that a limited list sorted on an
// indexed field walks the index instead of testing every row.
func TestIndexUse(t *testing.T) {
	s := New()
	defer s.Close()
	k := &resource.Kind{Name: "Row", Table: "row", Path: "rows", SchemaVersion: 1, Fields: []resource.Field{
		{JSON: "n", Type: resource.TypeInt, Indexed: true},
		{JSON: "s", Type: resource.TypeString, Indexed: true},
		{JSON: "tags", Type: resource.TypeString, List: true, Indexed: true},
		{JSON: "free", Type: resource.TypeString},
	}}
	schema := &resource.Schema{Kinds: []*resource.Kind{k}}
	ctx := context.Background()
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, schema)
	const rows = 1000
	for i := range rows {
		data := fmt.Sprintf(`{"n":%d,"s":"s%04d","tags":["t%d"],"free":"f%d"}`, i, i, i%10, i)
		if i%100 == 7 {
			data = `{"free":"nulls"}` // null n, s and tags
		}
		if _, err := svc.Create(ctx, k, []byte(data), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		q           resource.ListQuery
		want        int // rows listed
		maxExamined int64
	}{
		{name: "equality", q: resource.ListQuery{Filter: `n = 500`}, want: 1, maxExamined: 1},
		{name: "in", q: resource.ListQuery{Filter: `n in [1, 2, 3, 3]`}, want: 3, maxExamined: 3},
		{name: "range", q: resource.ListQuery{Filter: `n >= 990`, Limit: 100}, want: 10, maxExamined: 10},
		{name: "below skips nulls", q: resource.ListQuery{Filter: `n < 5`}, want: 5, maxExamined: 5},
		{name: "prefix", q: resource.ListQuery{Filter: `s ^= "s012"`}, want: 10, maxExamined: 10},
		{name: "most selective conjunct", q: resource.ListQuery{Filter: `n >= 10 && s = "s0500" && s ~ "5"`}, want: 1, maxExamined: 1},
		{name: "list element", q: resource.ListQuery{Filter: `tags = "t3"`, Limit: 1000}, want: 100, maxExamined: 100},
		{name: "resource_id", q: resource.ListQuery{Filter: `resource_id > "~"`}, want: 0, maxExamined: 0},
		{name: "sort walks the index", q: resource.ListQuery{Sort: `-n`, Limit: 5}, want: 5, maxExamined: 6},
		// The page asks for one more row than its limit (to know whether a
		// next page exists): 10 nulls, then n = 0..39 for s0009..s0039.
		{name: "sort with filter walks the index", q: resource.ListQuery{Filter: `s ~ "9"`, Sort: `n`, Limit: 3}, want: 3, maxExamined: 50},
		{name: "no index applies", q: resource.ListQuery{Filter: `s ~ "s"`, Sort: `created_time`, Limit: 5}, want: 5, maxExamined: rows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.examined.Load()
			page, err := svc.List(ctx, k, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			examined := s.examined.Load() - before
			if len(page.Items) != tt.want {
				t.Fatalf("%d rows, want %d", len(page.Items), tt.want)
			}
			if examined > tt.maxExamined {
				t.Fatalf("%d rows tested, want at most %d", examined, tt.maxExamined)
			}
		})
	}

	// The next page of an index walk starts at the cursor, not at the
	// start of the index.
	q := resource.ListQuery{Sort: `n`, Limit: 10}
	page, err := svc.List(ctx, k, q)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		q.Cursor = *page.NextCursor
		if page, err = svc.List(ctx, k, q); err != nil {
			t.Fatal(err)
		}
	}
	before := s.examined.Load()
	q.Cursor = *page.NextCursor
	if page, err = svc.List(ctx, k, q); err != nil {
		t.Fatal(err)
	}
	if examined := s.examined.Load() - before; examined > 12 {
		t.Fatalf("page 52 tested %d rows, want at most 12", examined)
	}
}

// TestOrderedIndexMaintenance checks that the ordered indexes follow
// updates, deletes, purges and rolled-back transactions.
func TestOrderedIndexMaintenance(t *testing.T) {
	s := New()
	defer s.Close()
	k := &resource.Kind{Name: "Row", Table: "row", Path: "rows", SchemaVersion: 1, Fields: []resource.Field{
		{JSON: "n", Type: resource.TypeInt, Indexed: true},
	}}
	schema := &resource.Schema{Kinds: []*resource.Kind{k}}
	ctx := context.Background()
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, schema)
	var ids []string
	for i := range 5 {
		env, err := svc.Create(ctx, k, []byte(fmt.Sprintf(`{"n":%d}`, i)), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, env.Meta.ResourceID)
	}
	if _, err := svc.Update(ctx, k, ids[0], []byte(`{"n":10}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Purge(ctx, k, ids[1], resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Delete(ctx, k, ids[2], resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	boom := fmt.Errorf("boom")
	err := s.Update(ctx, func(w resource.Writer) error {
		rec, err := w.Get(k, ids[3])
		if err != nil {
			return err
		}
		rec.Data = []byte(`{"n":-1}`)
		if err := w.PutRecord(k, rec); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Update = %v, want boom", err)
	}
	// Re-migrating rebuilds the indexes in bulk.
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	var got []string
	err = s.View(ctx, func(r resource.Reader) error {
		tbl, err := s.table(k)
		if err != nil {
			return err
		}
		for _, e := range tbl.ordered[0].all() {
			got = append(got, fmt.Sprintf("%v:%s", e.value, e.id))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2:" + ids[2], "3:" + ids[3], "4:" + ids[4], "10:" + ids[0]}
	if !slices.Equal(got, want) {
		t.Fatalf("index entries %v, want %v", got, want)
	}
}
