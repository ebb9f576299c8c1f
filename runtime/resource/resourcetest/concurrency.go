package resourcetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

func testConcurrentIfMatch(t *testing.T, e *env) {
	id := e.create(e.Note, `{"w":-1,"i":-1}`).Meta.ResourceID
	const writers, attempts = 8, 10
	var accepted, rejected atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range attempts {
				cur, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				data := json.RawMessage(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i))
				_, err = e.svc.Update(e.ctx, e.Note, id, data, resource.WriteOptions{IfMatch: resource.ETag(&cur.RevisionInfo)})
				switch resource.CodeOf(err) {
				case resource.CodePreconditionFailed:
					rejected.Add(1)
				case resource.CodeInternal:
					if err == nil {
						accepted.Add(1)
						continue
					}
					fallthrough
				default:
					t.Errorf("Update: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if n := accepted.Load() + rejected.Load(); n != writers*attempts {
		t.Fatalf("%d outcomes for %d attempts", n, writers*attempts)
	}
	if accepted.Load() == 0 {
		t.Fatalf("no write was accepted")
	}
	got := e.get(e.Note, id)
	if want := int(accepted.Load()) + 1; got.Meta.TotalRevisionCount != want {
		t.Fatalf("%d revisions for %d accepted writes (+1 create)", got.Meta.TotalRevisionCount, accepted.Load())
	}
	// No lost update: the history is one straight line.
	page, err := e.svc.Revisions(e.ctx, e.Note, id, resource.RevisionQuery{Limit: resource.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range page.Items {
		if info.Number == 1 {
			continue
		}
		if want := resource.RevisionID(id, info.Number-1); info.ParentRevisionID == nil || *info.ParentRevisionID != want {
			t.Fatalf("revision %d has parent %v, want %s", info.Number, info.ParentRevisionID, want)
		}
	}
	t.Logf("%d accepted, %d rejected with 412", accepted.Load(), rejected.Load())
}

func testConcurrentUnique(t *testing.T, e *env) {
	const n = 16
	var ok, conflict atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			data := json.RawMessage(fmt.Sprintf(`{"name":"w%d","email":"same@example.com"}`, i))
			_, err := e.svc.Create(e.ctx, e.Author, data, resource.WriteOptions{})
			switch {
			case err == nil:
				ok.Add(1)
			case resource.CodeOf(err) == resource.CodeConflict:
				conflict.Add(1)
			default:
				t.Errorf("Create: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != n-1 {
		t.Fatalf("%d creates succeeded and %d conflicted, want 1 and %d", ok.Load(), conflict.Load(), n-1)
	}
	if count, err := e.svc.Count(e.ctx, e.Author, resource.ListQuery{IncludeDeleted: true}); err != nil || count != 1 {
		t.Fatalf("Count = %d, %v; want 1", count, err)
	}
}
