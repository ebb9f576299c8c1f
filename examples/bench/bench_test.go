package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/bench/item"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// categories are the values of the category enum.
var categories = []item.ItemCategory{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"}

// benchItem returns item i of a data set like specstar-bench's.
func benchItem(i int) *item.Item {
	body := strings.Repeat("lorem ipsum ", 25)
	score := int64(i % 1000)
	return &item.Item{
		Title:      "Item " + strconv.Itoa(i),
		Category:   categories[i%len(categories)],
		HappenedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i*7919%1_000_000) * time.Minute),
		Body:       &body,
		Score:      &score,
	}
}

// BenchmarkValidate measures the generated Validate of a valid item.
func BenchmarkValidate(b *testing.B) {
	it := benchItem(1)
	b.ReportAllocs()
	for b.Loop() {
		if err := it.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateInvalid measures Validate collecting every error of an
// invalid item.
func BenchmarkValidateInvalid(b *testing.B) {
	it := &item.Item{Title: strings.Repeat("x", 201), Category: "omega", Score: new(int64(-1))}
	b.ReportAllocs()
	for b.Loop() {
		if err := it.Validate(); err == nil {
			b.Fatal("no error")
		}
	}
}

// benchServer returns the handler of the generated server over the named
// storage, seeded with n items, and their ids.
func benchServer(b *testing.B, storage string, n int) (http.Handler, []string) {
	b.Helper()
	cfg := server.Config{
		DatabaseURL: "memory:",
		Logger:      slog.New(slog.DiscardHandler),
	}
	switch storage {
	case "sqlite":
		cfg.DatabaseURL = "sqlite:" + filepath.Join(b.TempDir(), "bench.db")
	case "postgres":
		cfg.DatabaseURL = pgtest.SchemaURL(b, pgtest.URL(b))
	}
	srv, err := item.NewServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	repo := item.NewItemRepository(srv.Service())
	ids := make([]string, n)
	for i := range ids {
		rec, err := repo.Create(context.Background(), benchItem(i), resource.WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = rec.Meta.ResourceID
	}
	return srv.Handler(), ids
}

// serve runs one request through h and reports a non-2xx answer as an
// error (not a fatal one: serve also runs in RunParallel's goroutines).
func serve(b *testing.B, h http.Handler, method, target, body string) {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code > 299 {
		b.Errorf("%s %s: %d %s", method, target, rec.Code, rec.Body)
		return
	}
	io.Copy(io.Discard, rec.Body)
}

// itemJSON returns the request body of item i, changed by version v.
func itemJSON(i, v int) string {
	it := benchItem(i)
	return fmt.Sprintf(`{"title":%q,"category":%q,"happened_at":%q,"body":%q,"score":%d}`,
		it.Title+" v"+strconv.Itoa(v), it.Category, it.HappenedAt.Format(time.RFC3339), *it.Body, v%1000)
}

// graphQLList is the request body of the GraphQL spelling of the list,
// with every field of the REST envelope, as specstar-bench sends it.
const graphQLList = `{"query":"query($c: ItemCategory!) { items(filter: {category: {eq: $c}}, ` +
	`orderBy: [{field: HAPPENED_AT, direction: DESC}], first: 20) { nodes { id ` +
	`data { title category happenedAt body score } ` +
	`meta { resourceId currentRevisionId totalRevisionCount schemaVersion createdTime createdBy updatedTime updatedBy isDeleted } ` +
	`revisionInfo { revisionId parentRevisionId resourceId number status dataHash schemaVersion createdTime createdBy updatedTime updatedBy } } ` +
	`pageInfo { hasNextPage endCursor } } }","variables":{"c":"GAMMA"}}`

// BenchmarkHandler measures the requests of specstar-bench's scenarios
// through the generated server's whole handler (middleware, decoding,
// engine, storage, encoding), without the network, on each storage. The
// list runs on 2 000 items, so that its sort cost is visible but bounded.
// PostgreSQL runs with SPECSTAR_TEST_POSTGRES_URL set (in a schema of its
// own), and is skipped without it.
func BenchmarkHandler(b *testing.B) {
	for _, storage := range []string{"memory", "sqlite", "postgres"} {
		b.Run(storage, func(b *testing.B) {
			h, ids := benchServer(b, storage, 2000)
			list := "/api/items?filter=" + url.QueryEscape(`category = "gamma"`) + "&sort=-happened_at&limit=20"
			b.Run("get", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					serve(b, h, http.MethodGet, "/api/items/"+ids[i%len(ids)], "")
				}
			})
			b.Run("list", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					serve(b, h, http.MethodGet, list, "")
				}
			})
			b.Run("graphql-list", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					serve(b, h, http.MethodPost, "/graphql", graphQLList)
				}
			})
			b.Run("create", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					serve(b, h, http.MethodPost, "/api/items", itemJSON(len(ids)+i, 0))
				}
			})
			b.Run("update", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					serve(b, h, http.MethodPut, "/api/items/"+ids[i%len(ids)], itemJSON(i%len(ids), i+1))
				}
			})
			// The lists again with 16 requests per CPU in flight, as
			// specstar-bench drives them.
			b.Run("list-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serve(b, h, http.MethodGet, list, "")
					}
				})
			})
			b.Run("graphql-list-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serve(b, h, http.MethodPost, "/graphql", graphQLList)
					}
				})
			})
			// The writes again with 16 requests per CPU in flight, as
			// specstar-bench drives them: on SQLite, concurrent writes
			// commit in groups.
			var n atomic.Int64
			b.Run("create-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serve(b, h, http.MethodPost, "/api/items", itemJSON(int(n.Add(1)), 0))
					}
				})
			})
			b.Run("update-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						i := int(n.Add(1))
						serve(b, h, http.MethodPut, "/api/items/"+ids[i%len(ids)], itemJSON(i%len(ids), i+1))
					}
				})
			})
		})
	}
}
