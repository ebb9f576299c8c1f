package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// fullApp is every interface the generated blog app implements.
type fullApp interface {
	server.JobsApp
	server.ServiceApp
	server.AuthApp
	server.DocumentedApp
	server.GraphQLApp
}

// everySecond is the blog app with the DailyDigest job scheduled every
// second instead of every day, so that a test sees many ticks.
type everySecond struct{ fullApp }

// JobDefs returns the blog's job types, DailyDigest rescheduled.
func (a everySecond) JobDefs() []*jobres.Def {
	var out []*jobres.Def
	for _, d := range a.fullApp.JobDefs() {
		if d.Type.Name == "DailyDigest" {
			c := *d
			c.Type.Schedule = "@every 1s"
			d = &c
		}
		out = append(out, d)
	}
	return out
}

// scheduleWindow is how long the three instances run.
const scheduleWindow = 20 * time.Second

// TestJobScheduleThreeInstances runs three blog servers on one PostgreSQL
// schema with DailyDigest every second for 20 seconds: every tick must
// have run exactly once, on one of them, and its job's record must show
// it completed once.
func TestJobScheduleThreeInstances(t *testing.T) {
	dbURL := pgtest.SchemaURL(t, pgtest.URL(t))
	var mu sync.Mutex
	runs := make(map[time.Time][]int) // tick -> the instances that ran it
	var servers []*server.Server
	for i := range 3 {
		app := blog.App(blog.WithDailyDigestHandler(func(ctx context.Context, run *blog.DailyDigestRun) (any, error) {
			mu.Lock()
			runs[run.Tick] = append(runs[run.Tick], i)
			mu.Unlock()
			return map[string]int{"instance": i}, nil
		})).(fullApp)
		srv, err := server.New(server.Config{DatabaseURL: dbURL, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler),
			JobLease: 3 * time.Second}, everySecond{app})
		if err != nil {
			t.Fatal(err)
		}
		servers = append(servers, srv)
	}
	start := time.Now()
	time.Sleep(scheduleWindow)
	for _, srv := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		srv.Jobs().Stop(ctx)
		cancel()
	}
	end := time.Now()
	c := &client{t: t, hc: nil}
	ts := httptest.NewServer(actAsAdmin(servers[0].Handler()))
	defer ts.Close()
	c.base, c.hc = ts.URL, ts.Client()
	for _, srv := range servers {
		defer srv.Close()
	}

	// Every second of the window has a tick, run once.
	mu.Lock()
	defer mu.Unlock()
	var ticks []time.Time
	for tick, who := range runs {
		ticks = append(ticks, tick)
		if len(who) != 1 {
			t.Errorf("tick %s ran %d times (instances %v), want once", tick.Format(time.RFC3339), len(who), who)
		}
	}
	sort.Slice(ticks, func(i, j int) bool { return ticks[i].Before(ticks[j]) })
	if len(ticks) < int(scheduleWindow/time.Second)-3 {
		t.Fatalf("%d ticks ran in %s, want about %d", len(ticks), scheduleWindow, int(scheduleWindow/time.Second))
	}
	for i := 1; i < len(ticks); i++ {
		if d := ticks[i].Sub(ticks[i-1]); d != time.Second {
			t.Errorf("ticks %s and %s are %s apart: a tick was missed", ticks[i-1].Format(time.RFC3339), ticks[i].Format(time.RFC3339), d)
		}
	}
	if first, last := ticks[0], ticks[len(ticks)-1]; first.Sub(start) > 2*time.Second || end.Sub(last) > 3*time.Second {
		t.Errorf("ticks from %s to %s, in a window from %s to %s", first, last, start, end)
	}
	instances := map[int]bool{}
	for _, who := range runs {
		instances[who[0]] = true
	}
	t.Logf("%d ticks, run by instances %v", len(ticks), instances)

	// One job per tick, each completed once in its record.
	ctx := resource.AsSystem(context.Background())
	jobsOf := make(map[time.Time]int)
	cl := blog.NewClient(servers[0].Service())
	var cursor *string
	for {
		q := resource.ListQuery{Limit: 1000}
		if cursor != nil {
			q.Cursor = *cursor
		}
		recs, next, err := cl.DailyDigestJob.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			jobsOf[r.Data.RunAt.UTC()]++
			if _, ran := runs[r.Data.RunAt.UTC()]; ran && r.Data.Status != blog.DailyDigestJobStatusCompleted {
				t.Errorf("job %s of tick %s: status %s", r.Meta.ResourceID, r.Data.RunAt, r.Data.Status)
			}
			statuses := c.jobStatusesOf("/api/jobs/daily-digest", r.Meta.ResourceID)
			if n := countOf(statuses, "completed"); n > 1 {
				t.Errorf("job %s: statuses %v: completed %d times", r.Meta.ResourceID, statuses, n)
			}
		}
		if next == nil {
			break
		}
		cursor = next
	}
	for tick, n := range jobsOf {
		if n != 1 {
			t.Errorf("tick %s has %d jobs, want 1", tick.Format(time.RFC3339), n)
		}
	}
	for _, tick := range ticks {
		if jobsOf[tick.UTC()] != 1 {
			t.Errorf("tick %s ran but has %d job resources", tick.Format(time.RFC3339), jobsOf[tick.UTC()])
		}
	}
}

// jobStatusesOf returns the status of every revision of a job, oldest
// first, without failing on a slow mirror.
func (c *client) jobStatusesOf(path, id string) []string {
	statuses, _ := c.jobStatuses(path, id)
	return statuses
}

// countOf counts s in list.
func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
