package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDrain stops an engine while jobs run: the one that finishes within
// the deadline completes, the one that does not is released, its attempt
// not counted, and another instance runs it.
func TestDrain(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "memory" {
				t.Skip("a memory queue does not outlive its engine")
			}
			ctx := context.Background()
			rec := &recorder{}
			started := make(chan string, 2)
			e := b.open(t, Config{Observer: rec.observe, Types: []Type{
				{Name: "Quick", Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
					started <- "quick"
					time.Sleep(300 * time.Millisecond) // finishes within the drain
					return json.RawMessage(`"done"`), nil
				}},
				{Name: "Slow", Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
					started <- "slow"
					<-ctx.Done()
					return nil, ctx.Err()
				}},
			}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			quick, _ := e.Enqueue(ctx, "Quick", nil, nil)
			slow, _ := e.Enqueue(ctx, "Slow", nil, nil)
			<-started
			<-started
			stopCtx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			begun := time.Now()
			if err := e.Stop(stopCtx); err == nil {
				t.Fatal("Stop returned nil; want the deadline's error")
			}
			if d := time.Since(begun); d < 900*time.Millisecond || d > 5*time.Second {
				t.Errorf("Stop took %s", d)
			}
			j, err := e.Get(ctx, quick.Job.ID)
			if err != nil || j.Status != StatusCompleted {
				t.Fatalf("quick job after the drain: %+v, %v", j, err)
			}
			j, err = e.Get(ctx, slow.Job.ID)
			if err != nil || j.Status != StatusPending || j.Attempts != 0 || j.LastError != "" {
				t.Fatalf("slow job after the drain: %+v, %v", j, err)
			}
			if got := strings.Join(eventStrings(rec.events(slow.Job.ID)), ","); got != "enqueued,started,interrupted" {
				t.Errorf("slow job events %s", got)
			}
			// Another instance runs it.
			var ran atomic.Int32
			other := b.open(t, Config{Types: []Type{
				{Name: "Quick", Handler: func(context.Context, *Run) (json.RawMessage, error) { return nil, nil }},
				{Name: "Slow", Handler: func(_ context.Context, run *Run) (json.RawMessage, error) {
					ran.Add(1)
					return nil, nil
				}},
			}})
			if err := other.Start(ctx); err != nil {
				t.Fatal(err)
			}
			j = waitStatus(t, other, slow.Job.ID, StatusCompleted)
			if j.Attempts != 1 || ran.Load() != 1 {
				t.Fatalf("slow job %+v, ran %d", j, ran.Load())
			}
		})
	}
}

// TestTakeBack checks leases: a job whose instance stops recording
// heartbeats is taken back and run by another instance; a job that runs
// past its timeout on a live instance is taken back too.
func TestTakeBack(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "memory" {
				t.Skip("one engine per memory queue")
			}
			ctx := context.Background()
			cfg := Config{WorkerTTL: 600 * time.Millisecond, StuckGrace: 200 * time.Millisecond}
			release := make(chan struct{})
			defer close(release)
			started := make(chan int64, 4)
			frozen := func(ctx context.Context, run *Run) (json.RawMessage, error) {
				started <- run.ID
				<-release // ignores its context
				return nil, nil
			}
			cfg.Types = []Type{{Name: "Work", Handler: frozen}}
			a := b.open(t, cfg)
			if err := a.Start(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := a.Enqueue(ctx, "Work", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			<-started
			// a freezes: it fetches no more jobs, its loops stop, its
			// heartbeat goes; its handler stays blocked.
			go a.q.stopAndCancel(ctx)
			a.stop()
			a.loops.Wait()
			if err := a.q.forget(ctx, a.InstanceID()); err != nil {
				t.Fatal(err)
			}
			rec := &recorder{}
			cfg.Observer = rec.observe
			cfg.Types = []Type{{Name: "Work", Handler: func(context.Context, *Run) (json.RawMessage, error) {
				return json.RawMessage(`"by b"`), nil
			}}}
			bEngine := b.open(t, cfg)
			if err := bEngine.Start(ctx); err != nil {
				t.Fatal(err)
			}
			j := waitStatus(t, bEngine, res.Job.ID, StatusCompleted)
			if j.Attempts != 2 || len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "instance "+a.InstanceID()+", which ran the job, stopped recording heartbeats") || string(j.Result) != `"by b"` {
				t.Fatalf("job %+v", j)
			}
			// Observers are told asynchronously; Stop delivers what is queued.
			bEngine.Stop(ctx)
			if got := strings.Join(eventStrings(rec.events(j.ID)), ","); got != "rescued,started,completed" {
				t.Errorf("events on b: %s", got)
			}

			// Overrun on a live instance: b's own job is taken back by b.
			cfg.Types = []Type{{Name: "Work", Timeout: 100 * time.Millisecond, Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
				if run.Attempt == 1 {
					return frozen(ctx, run)
				}
				return nil, nil
			}}}
			c := b.open(t, cfg)
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			// The stuck job is visible in Stats (the metric
			// specstar_jobs_stale) from the lease pass that takes it back.
			var stale atomic.Int64
			watching, watched := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(watched)
				for {
					if stats, err := c.Stats(ctx); err == nil {
						for _, s := range stats {
							if s.Type == "Work" && s.Stale > stale.Load() {
								stale.Store(s.Stale)
							}
						}
					}
					select {
					case <-watching:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			res, err = c.Enqueue(ctx, "Work", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			j = waitStatus(t, c, res.Job.ID, StatusCompleted)
			close(watching)
			<-watched
			if j.Attempts != 2 || len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "past its timeout") {
				t.Fatalf("overrun job %+v", j)
			}
			if stale.Load() != 1 {
				t.Errorf("Stats showed at most %d stale Work jobs, want the overrun one", stale.Load())
			}
		})
	}
}
