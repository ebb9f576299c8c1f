package jobres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
)

// TestGroupEnqueue enqueues from many goroutines at once, as two
// principals, some with a payload whose reference names nothing: the
// enqueues that share a transaction (group.go) each get their own
// outcome, and every job created has its resource, created by the
// principal that enqueued it, and completes.
func TestGroupEnqueue(t *testing.T) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			e := open(t, kind, handlers{}, "")
			post, err := e.svc.Create(e.ctx, postKind, json.RawMessage(`{}`), resource.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			type outcome struct {
				who, id string
				bad     bool
				err     error
			}
			var mu sync.Mutex
			var outcomes []outcome
			var wg sync.WaitGroup
			for g := range 10 {
				who := []string{"alice", "bob"}[g%2]
				ctx := resource.WithPrincipal(context.Background(), &resource.Principal{ID: who, Roles: []string{resource.RoleAdmin}})
				wg.Go(func() {
					for i := range 6 {
						bad := (g+i)%5 == 0
						target := post.Meta.ResourceID
						if bad {
							target = "missing"
						}
						payload := json.RawMessage(fmt.Sprintf(`{"n":%d,"post":%q}`, i, target))
						env, _, err := e.q.Enqueue(ctx, e.q.Def("Work"), payload, jobres.EnqueueOptions{})
						o := outcome{who: who, bad: bad, err: err}
						if env != nil {
							o.id = env.Meta.ResourceID
						}
						mu.Lock()
						outcomes = append(outcomes, o)
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			created := 0
			for _, o := range outcomes {
				switch {
				case o.bad:
					if resource.CodeOf(o.err) != resource.CodeValidation {
						t.Errorf("enqueue naming a missing post: got %v, want a 422", o.err)
					}
					continue
				case o.err != nil:
					t.Errorf("enqueue as %s: %v", o.who, o.err)
					continue
				}
				created++
				env, err := e.svc.Get(e.ctx, workKind, o.id, resource.ReadOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if env.Meta.CreatedBy != o.who {
					t.Errorf("job %s enqueued by %s was created by %s", o.id, o.who, env.Meta.CreatedBy)
				}
				e.waitStatus(t, workKind, o.id, jobs.StatusCompleted)
			}
			n, err := e.svc.Count(e.ctx, workKind, resource.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if n != created || created != 48 {
				t.Errorf("%d job resources, %d enqueues succeeded, want 48 of both", n, created)
			}
		})
	}
}

// TestGroupFallback checks that a group whose transaction fails as a
// whole (a hook of the job kind refuses one job's resource) runs its
// calls again one by one: the refused one fails, the others succeed.
func TestGroupFallback(t *testing.T) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			refused := errors.New("refused by the hook")
			hooks := resource.WithHooks(workKind, resource.Hooks{BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
				var d struct {
					Payload struct{ N int }
				}
				if err := json.Unmarshal(w.Data, &d); err != nil {
					return nil, err
				}
				if w.Action == resource.ActionCreate && d.Payload.N%4 == 3 {
					return nil, refused
				}
				return w.Data, nil
			}})
			e := open(t, kind, handlers{}, "", hooks)
			var wg sync.WaitGroup
			errs := make([]error, 40)
			ids := make([]string, 40)
			for g := range 8 {
				wg.Go(func() {
					for i := g; i < 40; i += 8 {
						env, _, err := e.q.Enqueue(e.ctx, e.q.Def("Work"), json.RawMessage(fmt.Sprintf(`{"n":%d}`, i)), jobres.EnqueueOptions{})
						errs[i] = err
						if env != nil {
							ids[i] = env.Meta.ResourceID
						}
					}
				})
			}
			wg.Wait()
			for i, err := range errs {
				switch {
				case i%4 == 3 && !errors.Is(err, refused):
					t.Errorf("enqueue %d: got %v, want the hook's refusal", i, err)
				case i%4 != 3 && err != nil:
					t.Errorf("enqueue %d: %v", i, err)
				case i%4 != 3:
					e.waitStatus(t, workKind, ids[i], jobs.StatusCompleted)
				}
			}
			n, err := e.svc.Count(e.ctx, workKind, resource.ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if n != 30 {
				t.Errorf("%d job resources, want 30", n)
			}
			if kind != "memory" {
				// The refused jobs' queue rows rolled back with them.
				list, err := e.q.Engine().List(e.ctx, jobs.ListOptions{Type: "Work", Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(list) != 30 {
					t.Errorf("%d jobs in the queue, want 30", len(list))
				}
			}
		})
	}
}
