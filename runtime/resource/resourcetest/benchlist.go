package resourcetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// listBenchKind is shaped like specstar-bench's Item: an indexed enum,
// an indexed time and an indexed int next to a 300-byte text.
var listBenchKind = &resource.Kind{
	Name: "Item", Table: "item", Path: "items", SchemaVersion: 1,
	DataFields: []string{"title", "category", "happened_at", "body", "score"},
	Fields: []resource.Field{
		{JSON: "category", Type: resource.TypeString, Indexed: true},
		{JSON: "happened_at", Type: resource.TypeDateTime, Indexed: true},
		{JSON: "score", Type: resource.TypeInt, Indexed: true},
	},
}

// listBenchQueries are list requests of different selectivity: a filter
// matching an eighth of the rows, one matching a thousandth, none.
var listBenchQueries = []struct {
	name string
	q    resource.ListQuery
}{
	{name: "category=one of 8, sort -happened_at", q: resource.ListQuery{Filter: `category = "c3"`, Sort: "-happened_at", Limit: 20}},
	{name: "score=one of 1000, sort -happened_at", q: resource.ListQuery{Filter: `score = 7`, Sort: "-happened_at", Limit: 20}},
	{name: "no filter, sort -happened_at", q: resource.ListQuery{Sort: "-happened_at", Limit: 20}},
}

// BenchList measures Service.List on backend with a filter and a sort over
// 5 000 resources, one page of 20, for queries of different selectivity.
func BenchList(b *testing.B, store resource.Backend) {
	const n = 5000
	schema := &resource.Schema{Kinds: []*resource.Kind{listBenchKind}}
	ctx := context.Background()
	if err := store.Migrate(ctx, schema); err != nil {
		b.Fatal(err)
	}
	svc := resource.NewService(store, schema)
	body := strings.Repeat("lorem ipsum ", 25)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		data, err := json.Marshal(map[string]any{
			"title": fmt.Sprintf("Item %d", i), "category": fmt.Sprintf("c%d", i%8),
			"happened_at": start.Add(time.Duration(i*7919%n) * time.Hour), "body": body, "score": i % 1000,
		})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Create(ctx, listBenchKind, data, resource.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, lq := range listBenchQueries {
		b.Run(lq.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := svc.List(ctx, listBenchKind, lq.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
