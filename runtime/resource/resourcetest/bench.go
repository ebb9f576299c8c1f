package resourcetest

import (
	"context"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// benchEnv migrates b and returns a service and a kind with a unique and
// a ref-free indexed field, like a typical resource.
func benchEnv(b *testing.B, backend resource.Backend) (*resource.Service, *resource.Kind) {
	b.Helper()
	kinds := NewKinds()
	if err := backend.Migrate(context.Background(), kinds.Schema); err != nil {
		b.Fatal(err)
	}
	return resource.NewService(backend, kinds.Schema), kinds.Author
}

// benchData returns author data numbered i, about 200 bytes.
func benchData(i int) json.RawMessage {
	n := strconv.Itoa(i)
	return json.RawMessage(`{"name":"Author ` + n + `","email":"author` + n + `@example.com",` +
		`"bio":"A person who writes posts, reviews drafts and answers comments.",` +
		`"address":{"city":"Oslo","country":"NO"},"profile":{"handle":"h` + n + `"}}`)
}

// benchSeed creates n resources and returns their ids.
func benchSeed(b *testing.B, svc *resource.Service, k *resource.Kind, n int) []string {
	b.Helper()
	ids := make([]string, n)
	for i := range ids {
		env, err := svc.Create(context.Background(), k, benchData(i), resource.WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = env.Meta.ResourceID
	}
	return ids
}

// BenchUpdate measures Service.Update writing a new revision of one
// resource (a read, a revision insert and a record update in one
// transaction).
func BenchUpdate(b *testing.B, backend resource.Backend) {
	svc, k := benchEnv(b, backend)
	ctx := context.Background()
	env, err := svc.Create(ctx, k, benchData(0), resource.WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	id := env.Meta.ResourceID
	data := make([]json.RawMessage, 64)
	for i := range data {
		data[i] = benchData(i + 1)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Update(ctx, k, id, data[i%len(data)], resource.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreate measures Service.Create of new resources.
func BenchCreate(b *testing.B, backend resource.Backend) {
	svc, k := benchEnv(b, backend)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Create(ctx, k, benchData(i), resource.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchCreateParallel measures Service.Create of new resources by 16
// goroutines per CPU at once, as a server under load runs them: how
// the backend's writes scale with concurrent writers.
func BenchCreateParallel(b *testing.B, backend resource.Backend) {
	svc, k := benchEnv(b, backend)
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.Create(ctx, k, benchData(int(n.Add(1))), resource.WriteOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchUpdateParallel measures Service.Update of random resources among
// 1000 by 16 goroutines per CPU at once.
func BenchUpdateParallel(b *testing.B, backend resource.Backend) {
	svc, k := benchEnv(b, backend)
	ctx := context.Background()
	ids := benchSeed(b, svc, k, 1000)
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			// Each resource's data alternates, so every update writes.
			if _, err := svc.Update(ctx, k, ids[i%len(ids)], benchData(i), resource.WriteOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchGet measures Service.Get of the current revision among 1000
// resources.
func BenchGet(b *testing.B, backend resource.Backend) {
	svc, k := benchEnv(b, backend)
	ctx := context.Background()
	ids := benchSeed(b, svc, k, 1000)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := svc.Get(ctx, k, ids[i%len(ids)], resource.ReadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
