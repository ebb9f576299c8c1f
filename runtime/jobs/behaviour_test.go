package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOutcomes runs handlers that fail in each way and checks where their
// jobs end.
func TestOutcomes(t *testing.T) {
	cases := []struct {
		name        string
		maxAttempts int
		timeout     time.Duration
		// handle is called with the attempt number.
		handle     func(ctx context.Context, attempt int) (json.RawMessage, error)
		wantStatus Status
		wantTries  int
		wantError  string // in LastError
		wantEvents string
	}{
		{
			name: "retried then completed",
			handle: func(_ context.Context, attempt int) (json.RawMessage, error) {
				if attempt < 3 {
					return nil, fmt.Errorf("flaky %d", attempt)
				}
				return json.RawMessage(`{"ok":true}`), nil
			},
			wantStatus: StatusCompleted, wantTries: 3, wantError: "flaky 2",
			wantEvents: "enqueued,started,retry,started,retry,started,completed",
		},
		{
			name:        "attempts used up",
			maxAttempts: 2,
			handle: func(context.Context, int) (json.RawMessage, error) {
				return nil, errors.New("always")
			},
			wantStatus: StatusFailed, wantTries: 2, wantError: "always",
			wantEvents: "enqueued,started,retry,started,failed",
		},
		{
			name:        "fail without retry",
			maxAttempts: 5,
			handle: func(context.Context, int) (json.RawMessage, error) {
				return nil, Fail(errors.New("bad request"))
			},
			wantStatus: StatusFailed, wantTries: 1, wantError: "bad request",
			wantEvents: "enqueued,started,failed",
		},
		{
			name: "cancelled by its handler",
			handle: func(context.Context, int) (json.RawMessage, error) {
				return nil, Cancel(errors.New("not wanted"))
			},
			wantStatus: StatusCancelled, wantTries: 1, wantError: "not wanted",
			wantEvents: "enqueued,started,cancelled",
		},
		{
			name:        "timeout",
			maxAttempts: 1,
			timeout:     50 * time.Millisecond,
			handle: func(ctx context.Context, _ int) (json.RawMessage, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			},
			wantStatus: StatusFailed, wantTries: 1, wantError: "deadline exceeded",
			wantEvents: "enqueued,started,failed",
		},
		{
			name: "panic",
			handle: func(_ context.Context, attempt int) (json.RawMessage, error) {
				if attempt == 1 {
					panic("boom")
				}
				return nil, nil
			},
			wantStatus: StatusCompleted, wantTries: 2, wantError: "boom",
			wantEvents: "enqueued,started,retry,started,completed",
		},
		{
			name: "result not JSON",
			handle: func(context.Context, int) (json.RawMessage, error) {
				return json.RawMessage(`{nope`), nil
			},
			wantStatus: StatusFailed, wantTries: 1, wantError: "not JSON",
			wantEvents: "enqueued,started,failed",
		},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			rec := &recorder{}
			var types []Type
			for i, c := range cases {
				types = append(types, Type{
					Name:        fmt.Sprintf("Case%d", i),
					MaxAttempts: c.maxAttempts,
					Timeout:     c.timeout,
					Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
						return c.handle(ctx, run.Attempt)
					},
				})
			}
			e := b.open(t, Config{Types: types, Observer: rec.observe})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			ids := make([]int64, len(cases))
			for i := range cases {
				res, err := e.Enqueue(ctx, fmt.Sprintf("Case%d", i), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids[i] = res.Job.ID
			}
			for i, c := range cases {
				j := waitStatus(t, e, ids[i], c.wantStatus)
				if j.Attempts != c.wantTries || !strings.Contains(j.LastError, c.wantError) {
					t.Errorf("%s: attempts %d, last error %q; want %d, %q", c.name, j.Attempts, j.LastError, c.wantTries, c.wantError)
				}
			}
			if err := e.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			for i, c := range cases {
				if got := strings.Join(eventStrings(rec.events(ids[i])), ","); got != c.wantEvents {
					t.Errorf("%s: events %s, want %s", c.name, got, c.wantEvents)
				}
			}
		})
	}
}

// TestRetryAfter checks that a handler's delay replaces the backoff.
func TestRetryAfter(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			var first atomic.Int64
			var gap atomic.Int64
			e := b.open(t, Config{Types: []Type{{Name: "Later", Handler: func(_ context.Context, run *Run) (json.RawMessage, error) {
				if run.Attempt == 1 {
					first.Store(time.Now().UnixNano())
					return nil, RetryAfter(700*time.Millisecond, errors.New("busy"))
				}
				gap.Store(time.Now().UnixNano() - first.Load())
				return nil, nil
			}}}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			res, err := e.Enqueue(ctx, "Later", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			j := waitStatus(t, e, res.Job.ID, StatusCompleted)
			if d := time.Duration(gap.Load()); d < 650*time.Millisecond || d > 3*time.Second {
				t.Errorf("second attempt %s after the first, want about 700ms", d)
			}
			if j.Attempts != 2 || j.LastError != "retry after 700ms: busy" {
				t.Errorf("job %+v", j)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	b := &backoff{base: time.Second, max: time.Minute}
	for _, c := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 500 * time.Millisecond, time.Second},
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{7, 30 * time.Second, time.Minute},
		{100, 30 * time.Second, time.Minute},
	} {
		for range 50 {
			if d := b.delay(c.attempt); d < c.min || d > c.max {
				t.Fatalf("attempt %d: delay %s, want in [%s, %s]", c.attempt, d, c.min, c.max)
			}
		}
	}
}

// TestRunAt checks that a job runs once its run_at has passed, and not
// before.
func TestRunAt(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			ranAt := make(chan time.Time, 3)
			e := b.open(t, Config{Types: []Type{{Name: "At", Handler: func(context.Context, *Run) (json.RawMessage, error) {
				ranAt <- time.Now()
				return nil, nil
			}}}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			for _, ahead := range []time.Duration{-time.Hour, 800 * time.Millisecond} {
				runAt := time.Now().Add(ahead)
				res, err := e.Enqueue(ctx, "At", nil, &EnqueueOptions{RunAt: runAt})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Job.RunAt.Equal(runAt.UTC().Round(time.Millisecond)) && !res.Job.RunAt.Equal(runAt.UTC().Truncate(time.Microsecond)) {
					t.Errorf("run_at %s, want %s", res.Job.RunAt, runAt)
				}
				select {
				case at := <-ranAt:
					if early := runAt.Sub(at); early > 0 {
						t.Errorf("ran %s before its run_at", early)
					}
					if late := at.Sub(runAt); ahead > 0 && late > 1500*time.Millisecond {
						t.Errorf("ran %s after its run_at", late)
					}
				case <-time.After(10 * time.Second):
					t.Fatalf("job due in %s did not run", ahead)
				}
			}
		})
	}
}

// TestConcurrency checks the per-instance limits: a type's concurrency,
// and the engine's workers for the types without one.
func TestConcurrency(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			type gauge struct {
				mu       sync.Mutex
				now, max int
			}
			var limited, shared gauge
			work := func(g *gauge) Handler {
				return func(context.Context, *Run) (json.RawMessage, error) {
					g.mu.Lock()
					g.now++
					g.max = max(g.max, g.now)
					g.mu.Unlock()
					time.Sleep(50 * time.Millisecond)
					g.mu.Lock()
					g.now--
					g.mu.Unlock()
					return nil, nil
				}
			}
			e := b.open(t, Config{Workers: 3, Types: []Type{
				{Name: "Limited", Concurrency: 2, Handler: work(&limited)},
				{Name: "Shared", Handler: work(&shared)},
			}})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for range 8 {
				for _, typ := range []string{"Limited", "Shared"} {
					res, err := e.Enqueue(ctx, typ, nil, nil)
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, res.Job.ID)
				}
			}
			for _, id := range ids {
				waitStatus(t, e, id, StatusCompleted)
			}
			if limited.max > 2 || shared.max > 3 {
				t.Errorf("at most %d Limited and %d Shared jobs ran at once, want at most 2 and 3", limited.max, shared.max)
			}
			if limited.max < 2 {
				t.Errorf("at most %d Limited job ran at once: the limit of 2 was never used", limited.max)
			}
		})
	}
}
