package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// The kill -9 test runs a child process (this test binary again, running
// TestKill9Child) that works jobs, kills it in the middle of a job, and
// checks that after a restart every job completes, the one that was
// running included, and that no job's record completes twice.

// Environment of the child: the database ("sqlite:<path>" or
// "postgres:<schema>") and the log file both processes append to.
const (
	envKillDB  = "SPECSTAR_JOBS_KILL_DB"
	envKillLog = "SPECSTAR_JOBS_KILL_LOG"
)

// killJobs is how many quick jobs the kill test enqueues besides the one
// it kills the child in.
const killJobs = 40

// eventLog appends lines to a file shared by the two processes. Each
// line is one write to a file opened O_APPEND, so lines do not mix.
type eventLog struct {
	mu sync.Mutex
	f  *os.File
}

func openEventLog(t testing.TB, path string) *eventLog {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &eventLog{f: f}
}

func (l *eventLog) printf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.f, format+"\n", a...)
}

// readLines returns the lines of the log.
func readLines(t testing.TB, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// killTypes are the job types of the kill test: Crash blocks in its first
// attempt (the child is killed meanwhile), Quick takes 30ms. Both log.
func killTypes(l *eventLog, who string) []Type {
	return []Type{
		{Name: "Crash", Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
			l.printf("start %d %d %s", run.ID, run.Attempt, who)
			if run.Attempt == 1 {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			l.printf("done %d %d %s", run.ID, run.Attempt, who)
			return nil, nil
		}},
		{Name: "Quick", Handler: func(ctx context.Context, run *Run) (json.RawMessage, error) {
			time.Sleep(30 * time.Millisecond)
			l.printf("done %d %d %s", run.ID, run.Attempt, who)
			return nil, nil
		}},
	}
}

// openKillEngine opens an engine of the kill test on db.
func openKillEngine(t testing.TB, db string, cfg Config) *Engine {
	ctx := context.Background()
	kind, arg, _ := strings.Cut(db, ":")
	cfg = testConfig(cfg)
	cfg.Heartbeat, cfg.WorkerTTL = 200*time.Millisecond, time.Second
	var e *Engine
	var err error
	switch kind {
	case "sqlite":
		e, err = OpenSQLite(ctx, arg, cfg)
	case "postgres":
		var pool *pgxpool.Pool
		if pool, err = pgxpool.New(ctx, pgtest.URL(t)); err == nil {
			t.Cleanup(pool.Close)
			e, err = OpenPostgres(ctx, pool, arg, cfg)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// TestKill9Child is the child of TestKill9: it works the jobs until it is
// killed.
func TestKill9Child(t *testing.T) {
	db := os.Getenv(envKillDB)
	if db == "" {
		t.Skip("run by TestKill9")
	}
	l := openEventLog(t, os.Getenv(envKillLog))
	e := openKillEngine(t, db, Config{
		InstanceID: "child", Workers: 2, Types: killTypes(l, "child"),
		Observer: func(_ context.Context, c Change) { l.printf("event %s %d child", c.Event, c.Job.ID) },
	})
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.printf("ready")
	time.Sleep(time.Hour)
}

func TestKill9(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db := "sqlite:" + dir + "/jobs.db"
			if kind == "postgres" {
				db = "postgres:" + pgtest.Schema(t, pgtest.URL(t))
			}
			logPath := dir + "/log"
			l := openEventLog(t, logPath)

			// Enqueue the jobs, the one to crash in first.
			setup := openKillEngine(t, db, Config{Types: killTypes(l, "setup")})
			crash, err := setup.Enqueue(ctx, "Crash", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			ids := []int64{crash.Job.ID}
			for i := range killJobs {
				res, err := setup.Enqueue(ctx, "Quick", mustJSON(map[string]int{"i": i}), nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.Job.ID)
			}
			setup.Close()

			// The child works them; kill it once it is in the crash job
			// and has done a few others.
			var out bytes.Buffer
			cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Child$", "-test.v", "-test.timeout=10m")
			cmd.Env = append(os.Environ(), envKillDB+"="+db, envKillLog+"="+logPath)
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 30*time.Second, "the child to start the crash job and finish five others", func() bool {
				lines := readLines(t, logPath)
				started, done := false, 0
				for _, line := range lines {
					started = started || line == fmt.Sprintf("start %d 1 child", crash.Job.ID)
					if strings.HasPrefix(line, "done ") {
						done++
					}
				}
				return started && done >= 5
			})
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
				t.Fatalf("child: %v\n%s", err, out.String())
			}
			killedAt := time.Now()
			doneBefore := 0
			for _, line := range readLines(t, logPath) {
				if strings.HasPrefix(line, "done ") {
					doneBefore++
				}
			}

			// The restart: another instance finishes everything.
			e := openKillEngine(t, db, Config{
				InstanceID: "restart", Types: killTypes(l, "restart"),
				Observer: func(_ context.Context, c Change) { l.printf("event %s %d restart", c.Event, c.Job.ID) },
			})
			if err := e.Start(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 30*time.Second, "every job to complete", func() bool {
				jobs, err := e.List(ctx, ListOptions{Status: []Status{StatusCompleted}, Limit: 1000})
				if err != nil {
					t.Fatal(err)
				}
				return len(jobs) == len(ids)
			})
			recovered := time.Since(killedAt)
			if err := e.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			j, err := e.Get(ctx, crash.Job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.Attempts != 2 || len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "instance child, which ran the job, stopped recording heartbeats") || j.WorkedBy != "restart" {
				t.Fatalf("crash job %+v", j)
			}
			// Count, per job, the completions recorded (events told after
			// River committed them) and the handler runs that finished.
			completed := make(map[int64]int)
			done := make(map[int64]int)
			for _, line := range readLines(t, logPath) {
				var id int64
				var ev, who string
				var attempt int
				if n, _ := fmt.Sscanf(line, "event %s %d %s", &ev, &id, &who); n == 3 && ev == "completed" {
					completed[id]++
				}
				if n, _ := fmt.Sscanf(line, "done %d %d %s", &id, &attempt, &who); n == 3 {
					done[id]++
				}
			}
			twice := 0
			for _, id := range ids {
				if completed[id] != 1 {
					t.Errorf("job %d: %d completions recorded, want 1", id, completed[id])
				}
				if done[id] > 1 {
					twice++ // finished by the child, killed before River recorded it
				}
			}
			t.Logf("%d jobs; %d finished by the child before the kill; all completed %s after the kill; %d ran to the end twice (at least once: finished, not yet recorded, when the child died)",
				len(ids), doneBefore, recovered.Round(10*time.Millisecond), twice)
		})
	}
}

// TestScheduleThreeInstances runs three engines on one PostgreSQL database
// with an @every 1s schedule, and checks that every tick ran exactly
// once. It runs for 20 seconds (5 with -short).
func TestScheduleThreeInstances(t *testing.T) {
	run := 20 * time.Second
	if testing.Short() {
		run = 5 * time.Second
	}
	ctx := context.Background()
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	var mu sync.Mutex
	runs := make(map[int64][]string) // tick (Unix) -> instances that ran it
	var engines []*Engine
	for i := range 3 {
		name := fmt.Sprintf("i%d", i)
		pool, err := pgxpool.New(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		e, err := OpenPostgres(ctx, pool, schema, testConfig(Config{InstanceID: name, Types: []Type{{
			Name: "Tick", Schedule: "@every 1s",
			Handler: func(_ context.Context, r *Run) (json.RawMessage, error) {
				mu.Lock()
				runs[r.Tick.Unix()] = append(runs[r.Tick.Unix()], name)
				mu.Unlock()
				return nil, nil
			},
		}}}))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		engines = append(engines, e)
	}
	begin := time.Now()
	for _, e := range engines {
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(run)
	end := time.Now()
	for _, e := range engines {
		stop, cancel := context.WithTimeout(ctx, 5*time.Second)
		if err := e.Stop(stop); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	jobs, err := engines[0].List(ctx, ListOptions{Type: "Tick", Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	byTick := make(map[time.Time][]*Job)
	var ticks []time.Time
	for _, j := range jobs {
		if byTick[j.Tick] == nil {
			ticks = append(ticks, j.Tick)
		}
		byTick[j.Tick] = append(byTick[j.Tick], j)
	}
	sort.Slice(ticks, func(i, j int) bool { return ticks[i].Before(ticks[j]) })
	if len(ticks) == 0 {
		t.Fatal("no ticks")
	}
	// Every second from the first tick to the last has its job.
	if want := int(ticks[len(ticks)-1].Sub(ticks[0])/time.Second) + 1; len(ticks) != want {
		t.Errorf("%d ticks from %s to %s, want %d (one a second)", len(ticks), ticks[0], ticks[len(ticks)-1], want)
	}
	if first := ticks[0].Sub(begin); first > 1500*time.Millisecond {
		t.Errorf("first tick %s after the start", first)
	}
	if last := end.Sub(ticks[len(ticks)-1]); last > 1500*time.Millisecond {
		t.Errorf("last tick %s before the end", last)
	}
	by := make(map[string]int)
	mu.Lock()
	defer mu.Unlock()
	for _, tick := range ticks {
		js := byTick[tick]
		if len(js) != 1 {
			t.Errorf("tick %s: %d jobs", tick, len(js))
			continue
		}
		if js[0].Status != StatusCompleted && tick.Before(end.Add(-time.Second)) {
			t.Errorf("tick %s: job %+v", tick, js[0])
		}
		if js[0].Status == StatusCompleted && len(runs[tick.Unix()]) != 1 {
			t.Errorf("tick %s: ran %d times (%v)", tick, len(runs[tick.Unix()]), runs[tick.Unix()])
		}
		for _, who := range runs[tick.Unix()] {
			by[who]++
		}
	}
	t.Logf("%d ticks in %s, each enqueued once and run once; runs by instance: %v", len(ticks), run, by)
}
