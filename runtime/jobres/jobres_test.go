package jobres_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// The kinds of the tests: Post, which payloads refer to, and the job
// kinds Work (payload {"n": int, "post": ref}) and Tick (scheduled).
var (
	postKind = &resource.Kind{Name: "Post", Table: "post", Path: "posts", SchemaVersion: 1}
	workKind = &resource.Kind{Name: "WorkJob", Table: "work_job", Path: "jobs/work", SchemaVersion: 1,
		DefaultSort: "-created_time", Job: true,
		Fields: []resource.Field{
			{JSON: "status", Type: resource.TypeString, Indexed: true},
			{JSON: "attempts", Type: resource.TypeInt, Indexed: true, NoIndex: true},
		},
		DataFields: []string{"payload", "status", "attempts", "max_attempts", "run_at", "started_at", "finished_at", "last_error", "result", "logs"},
	}
	tickKind = &resource.Kind{Name: "TickJob", Table: "tick_job", Path: "jobs/tick", SchemaVersion: 1, Job: true,
		Fields:     []resource.Field{{JSON: "status", Type: resource.TypeString, Indexed: true}},
		DataFields: workKind.DataFields,
	}
	schema = &resource.Schema{Kinds: []*resource.Kind{postKind, workKind, tickKind}}
)

// env is a service and a queue over one store.
type env struct {
	svc *resource.Service
	q   *jobres.Queue
	ctx context.Context
}

// handlers are the handlers of one test.
type handlers struct {
	work func(ctx context.Context, run *jobs.Run) (json.RawMessage, error)
	tick func(ctx context.Context, run *jobs.Run) (json.RawMessage, error)
}

func defs(schedule string) []*jobres.Def {
	return []*jobres.Def{
		{Type: jobs.Type{Name: "Work", MaxAttempts: 3, Timeout: 5 * time.Second}, Kind: workKind,
			Refs: []jobres.Ref{{Field: "post", Kind: "Post"}}},
		{Type: jobs.Type{Name: "Tick", Schedule: schedule}, Kind: tickKind},
	}
}

var logger = func() *slog.Logger {
	if os.Getenv("SPECSTAR_JOBS_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.DiscardHandler)
}()

// open opens a store of kind ("memory", "sqlite", "postgres"), its
// service and queue, and starts the queue with h.
func open(t *testing.T, kind string, h handlers, schedule string, opts ...resource.Option) *env {
	t.Helper()
	ctx := context.Background()
	q, err := jobres.New(defs(schedule), jobres.Options{Logger: logger, ReconcileInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := q.EngineConfig(jobs.Config{Logger: logger, RetryBase: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond,
		FetchPollInterval: 100 * time.Millisecond, Heartbeat: 200 * time.Millisecond})
	var b resource.Backend
	var e *jobs.Engine
	switch kind {
	case "memory":
		b = memory.New()
		e, err = jobs.OpenMemory(ctx, cfg)
	case "sqlite":
		path := filepath.Join(t.TempDir(), "db")
		var st *sqlite.Store
		if st, err = sqlite.Open(path); err == nil {
			b = st
			e, err = jobs.OpenSQLiteDB(ctx, st.WriteDB(), cfg)
		}
	case "postgres":
		u := pgtest.SchemaURL(t, pgtest.URL(t))
		var st *postgres.Store
		if st, err = postgres.Open(ctx, u); err == nil {
			b = st
			var pool *pgxpool.Pool
			if pool, err = pgxpool.New(ctx, u); err == nil {
				t.Cleanup(pool.Close)
				e, err = jobs.OpenPostgres(ctx, pool, st.Schema(), cfg)
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if err := b.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(b, schema, append([]resource.Option{q.ServiceOption()}, opts...)...)
	q.Bind(svc)
	q.Attach(e)
	if jobres.From(svc) != q {
		t.Fatal("From does not find the queue of the service")
	}
	noop := func(context.Context, *jobs.Run) (json.RawMessage, error) { return nil, nil }
	if h.work == nil {
		h.work = noop
	}
	if h.tick == nil {
		h.tick = noop
	}
	if err := q.Handle("Work", h.work); err != nil {
		t.Fatal(err)
	}
	if err := q.Handle("Tick", h.tick); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return &env{svc: svc, q: q, ctx: ctx}
}

var backends = []string{"memory", "sqlite", "postgres"}

// statuses returns the statuses of the revisions of a job, oldest first.
func (e *env) statuses(t *testing.T, k *resource.Kind, id string) []string {
	t.Helper()
	page, err := e.svc.Revisions(e.ctx, k, id, resource.RevisionQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(page.Items) - 1; i >= 0; i-- {
		rev, err := e.svc.Revision(e.ctx, k, id, page.Items[i].RevisionID, resource.RevisionOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var d jobres.Data
		if err := json.Unmarshal(rev.Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(d.Status))
	}
	return out
}

// data returns the current data of a job.
func (e *env) data(t *testing.T, k *resource.Kind, id string) jobres.Data {
	t.Helper()
	env, err := e.svc.Get(e.ctx, k, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var d jobres.Data
	if err := json.Unmarshal(env.Data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// waitStatus waits for a job resource to show status.
func (e *env) waitStatus(t *testing.T, k *resource.Kind, id string, status jobs.Status) jobres.Data {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d := e.data(t, k, id)
		if d.Status == status {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: status %s after 20s, want %s", id, d.Status, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLifecycle(t *testing.T) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			var attempts atomic.Int32
			e := open(t, kind, handlers{work: func(ctx context.Context, run *jobs.Run) (json.RawMessage, error) {
				run.Logger.Info("working", "attempt", run.Attempt)
				if attempts.Add(1) == 1 {
					return nil, errors.New("first attempt fails")
				}
				return json.RawMessage(`{"ok":true}`), nil
			}}, "")
			post, err := e.svc.Create(e.ctx, postKind, json.RawMessage(`{}`), resource.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			env, dup, err := e.q.Enqueue(e.ctx, e.q.Def("Work"), json.RawMessage(`{"post":"`+post.Meta.ResourceID+`"}`), jobres.EnqueueOptions{})
			if err != nil || dup {
				t.Fatal(err, dup)
			}
			id := env.Meta.ResourceID
			d := e.waitStatus(t, workKind, id, jobs.StatusCompleted)
			if d.Attempts != 2 || string(d.Result) != `{"ok":true}` || d.LastError == nil || d.StartedAt == nil || d.FinishedAt == nil || len(d.Logs) != 2 {
				t.Fatalf("completed job: %+v", d)
			}
			want := []string{"pending", "running", "pending", "running", "completed"}
			deadline := time.Now().Add(5 * time.Second)
			for got := e.statuses(t, workKind, id); !slices.Equal(got, want); got = e.statuses(t, workKind, id) {
				if time.Now().After(deadline) {
					t.Fatalf("revisions %v, want %v", got, want)
				}
				time.Sleep(10 * time.Millisecond)
			}
			logs, err := e.q.Logs(e.ctx, e.q.Def("Work"), id)
			if err != nil || len(logs) != 2 || !strings.Contains(logs[1].Text, "working") {
				t.Fatalf("logs %+v, %v", logs, err)
			}
			// A bad reference, and one that names nothing.
			_, _, err = e.q.Enqueue(e.ctx, e.q.Def("Work"), json.RawMessage(`{"post":"nope"}`), jobres.EnqueueOptions{})
			if resource.CodeOf(err) != resource.CodeValidation || !strings.Contains(err.Error(), "not found") {
				t.Fatalf("enqueue with a missing post: %v", err)
			}
			// A finished job cannot be cancelled; it can be rerun.
			if _, _, err := e.q.Cancel(e.ctx, e.q.Def("Work"), id); resource.CodeOf(err) != resource.CodeConflict {
				t.Fatalf("cancel of a completed job: %v", err)
			}
			if _, err := e.q.Rerun(e.ctx, e.q.Def("Work"), id); err != nil {
				t.Fatal(err)
			}
			e.waitStatus(t, workKind, id, jobs.StatusCompleted)
			if _, _, err := e.q.Cancel(e.ctx, e.q.Def("Work"), "12345678"); resource.CodeOf(err) != resource.CodeNotFound {
				t.Fatalf("cancel of an unknown job: %v", err)
			}
		})
	}
}

// TestEnqueueInTransaction checks that a job enqueued inside a write's
// transaction exists if and only if the transaction commits.
func TestEnqueueInTransaction(t *testing.T) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			var ran atomic.Int32
			e := open(t, kind, handlers{work: func(ctx context.Context, run *jobs.Run) (json.RawMessage, error) {
				ran.Add(1)
				return nil, nil
			}}, "")
			refused := errors.New("refused")
			var id string
			err := e.svc.Transaction(e.ctx, func(ctx context.Context, tx *resource.Tx) error {
				env, _, err := e.q.Enqueue(ctx, e.q.Def("Work"), json.RawMessage(`{}`), jobres.EnqueueOptions{})
				if err != nil {
					return err
				}
				id = env.Meta.ResourceID
				return refused
			})
			if !errors.Is(err, refused) {
				t.Fatal(err)
			}
			if _, err := e.svc.Get(e.ctx, workKind, id, resource.ReadOptions{}); resource.CodeOf(err) != resource.CodeNotFound {
				t.Fatalf("the resource of a rolled back enqueue: %v", err)
			}
			n, _ := jobIDOf(id)
			if _, err := e.q.Engine().Get(e.ctx, n); !errors.Is(err, jobs.ErrNotFound) && kind != "memory" {
				t.Fatalf("the job of a rolled back enqueue: %v", err)
			}
			err = e.svc.Transaction(e.ctx, func(ctx context.Context, tx *resource.Tx) error {
				env, _, err := e.q.Enqueue(ctx, e.q.Def("Work"), json.RawMessage(`{}`), jobres.EnqueueOptions{})
				id = env.Meta.ResourceID
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			e.waitStatus(t, workKind, id, jobs.StatusCompleted)
			time.Sleep(200 * time.Millisecond)
			if ran.Load() != 1 {
				t.Fatalf("%d runs, want 1 (the rolled back job must not run)", ran.Load())
			}
		})
	}
}

func jobIDOf(id string) (int64, error) {
	var n int64
	err := json.Unmarshal([]byte(id), &n)
	return n, err
}

// TestCancelRunning checks that cancelling a running job cancels its
// handler's context and records it cancelled.
func TestCancelRunning(t *testing.T) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			started := make(chan struct{})
			cancelled := make(chan struct{})
			e := open(t, kind, handlers{work: func(ctx context.Context, run *jobs.Run) (json.RawMessage, error) {
				close(started)
				<-ctx.Done()
				close(cancelled)
				return nil, ctx.Err()
			}}, "")
			env, _, err := e.q.Enqueue(e.ctx, e.q.Def("Work"), nil, jobres.EnqueueOptions{})
			if err != nil {
				t.Fatal(err)
			}
			<-started
			id := env.Meta.ResourceID
			e.waitStatus(t, workKind, id, jobs.StatusRunning)
			_, running, err := e.q.Cancel(e.ctx, e.q.Def("Work"), id)
			if err != nil || !running {
				t.Fatalf("Cancel = running %v, %v", running, err)
			}
			select {
			case <-cancelled:
			case <-time.After(10 * time.Second):
				t.Fatal("the handler's context was not cancelled")
			}
			e.waitStatus(t, workKind, id, jobs.StatusCancelled)
		})
	}
}

// TestTicks checks that the jobs of a schedule's ticks get resources.
func TestTicks(t *testing.T) {
	for _, kind := range backends {
		t.Run(kind, func(t *testing.T) {
			e := open(t, kind, handlers{}, "@every 1s")
			deadline := time.Now().Add(10 * time.Second)
			for {
				page, err := e.svc.List(e.ctx, tickKind, resource.ListQuery{Filter: `status = "completed"`, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) >= 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d completed tick jobs after 10s, want 2", len(page.Items))
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestReconcile checks that a status change the observer did not record
// is recorded by Reconcile.
func TestReconcile(t *testing.T) {
	e := open(t, "sqlite", handlers{}, "")
	// A job whose resource says pending while the queue has completed it:
	// write the resource back to its first revision's data.
	env, _, err := e.q.Enqueue(e.ctx, e.q.Def("Work"), nil, jobres.EnqueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := env.Meta.ResourceID
	e.waitStatus(t, workKind, id, jobs.StatusCompleted)
	time.Sleep(100 * time.Millisecond)
	if _, err := e.svc.Update(resource.AsSystem(e.ctx), workKind, id, env.Data, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if d := e.data(t, workKind, id); d.Status != jobs.StatusPending {
		t.Fatalf("status %s, want the pending written back", d.Status)
	}
	if err := e.q.Reconcile(e.ctx, 0); err != nil {
		t.Fatal(err)
	}
	if d := e.data(t, workKind, id); d.Status != jobs.StatusCompleted {
		t.Fatalf("status after Reconcile %s, want completed", d.Status)
	}
}
