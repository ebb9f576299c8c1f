package reliability

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// The jobs' kill test: the blog server works NotifySubscribers jobs, one
// of them slow; it is killed (SIGKILL) while the slow one runs; a new
// server on the same database finishes them. No job may be lost, and no
// job's record (its revisions: one per status change) may show it
// completed twice. A short lease (SPECSTAR_JOB_LEASE) lets the new
// server take the slow job back quickly.

// Bounds of the jobs' kill test.
const (
	killQuickJobs = 30
	killSlowDelay = 3000 // ms: the slow job's delivery
	killJobLease  = "2s"
	killConverge  = 90 * time.Second
)

func TestJobsKill9SQLite(t *testing.T) {
	needServer(t)
	env := []string{"SPECSTAR_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "blog.db")}
	runJobsKill(t, func(int) []string { return env }, func(*testing.T, int) {})
}

func TestJobsKill9Postgres(t *testing.T) {
	needServer(t)
	admin := pgtest.URL(t)
	u, err := url.Parse(pgtest.SchemaURL(t, admin))
	if err != nil {
		t.Fatal(err)
	}
	appName := func(cycle int) string { return fmt.Sprintf("%s_jobs_%d", u.Query().Get("search_path"), cycle) }
	env := func(cycle int) []string {
		q := u.Query()
		q.Set("application_name", appName(cycle))
		v := *u
		v.RawQuery = q.Encode()
		return []string{"SPECSTAR_DATABASE_URL=" + v.String()}
	}
	runJobsKill(t, env, func(t *testing.T, cycle int) { waitSessionsGone(t, admin, appName(cycle)) })
}

// jobState is what the test reads of a job resource.
type jobState struct {
	Data struct {
		Status   string `json:"status"`
		Attempts int    `json:"attempts"`
	} `json:"data"`
	Meta struct {
		ResourceID string `json:"resource_id"`
	} `json:"meta"`
}

const notifyJobs = "/api/jobs/notify-subscribers"

// runJobsKill runs the kill test on the database env names; settle waits
// for a killed server's sessions to end.
func runJobsKill(t *testing.T, env func(cycle int) []string, settle func(t *testing.T, cycle int)) {
	lease := "SPECSTAR_JOB_LEASE=" + killJobLease
	s1 := startServer(t, "blog-1", append(env(1), lease)...)
	c := newClient(t, s1)
	var author, post jobState
	if _, err := c.expect(http.StatusCreated, &author, "POST", "/api/authors", map[string]any{"name": "Ada", "email": "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.expect(http.StatusCreated, &post, "POST", "/api/posts", map[string]any{"title": "Announced", "author": author.Meta.ResourceID}); err != nil {
		t.Fatal(err)
	}
	enqueue := func(title string, delay int) string {
		var j jobState
		if _, err := c.expect(http.StatusCreated, &j, "POST", notifyJobs, map[string]any{
			"payload": map[string]any{"post": post.Meta.ResourceID, "title": title, "delay_ms": delay},
		}); err != nil {
			t.Fatal(err)
		}
		return j.Meta.ResourceID
	}
	slow := enqueue("slow", killSlowDelay)
	ids := []string{slow}
	for i := range killQuickJobs {
		ids = append(ids, enqueue(fmt.Sprintf("quick %d", i), 50))
	}

	// Kill the server once the slow job runs and a few others are done.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var s jobState
		if _, err := c.expect(http.StatusOK, &s, "GET", notifyJobs+"/"+slow, nil); err != nil {
			t.Fatal(err)
		}
		var done struct {
			Count int `json:"count"`
		}
		if _, err := c.expect(http.StatusOK, &done, "GET", notifyJobs+"/count?filter="+url.QueryEscape(`status = "completed"`), nil); err != nil {
			t.Fatal(err)
		}
		if s.Data.Status == "running" && done.Count >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow job did not start (status %s, %d done)\n%s", s.Data.Status, done.Count, s1.logs.tail(30))
		}
		time.Sleep(10 * time.Millisecond)
	}
	s1.kill()
	settle(t, 1)

	// A new server finishes every job.
	s2 := startServer(t, "blog-2", append(env(2), lease)...)
	c = newClient(t, s2)
	deadline = time.Now().Add(killConverge)
	for {
		var done struct {
			Count int `json:"count"`
		}
		if _, err := c.expect(http.StatusOK, &done, "GET", notifyJobs+"/count?filter="+url.QueryEscape(`status = "completed"`), nil); err != nil {
			t.Fatal(err)
		}
		if done.Count == len(ids) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs completed %s after the restart\n%s", done.Count, len(ids), killConverge, s2.logs.tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var total struct {
		Count int `json:"count"`
	}
	if _, err := c.expect(http.StatusOK, &total, "GET", notifyJobs+"/count", nil); err != nil || total.Count != len(ids) {
		t.Fatalf("%d jobs, want %d (%v)", total.Count, len(ids), err)
	}
	// Every record completes once; the slow job ran twice.
	for _, id := range ids {
		statuses := jobStatuses(t, c, id)
		if n := count(statuses, "completed"); n != 1 || statuses[len(statuses)-1] != "completed" {
			t.Errorf("job %s: statuses %v: completed %d times, want once, last", id, statuses, n)
		}
		if id == slow && count(statuses, "running") < 2 {
			t.Errorf("the slow job's statuses %v do not show it run again", statuses)
		}
	}
}

// jobStatuses returns the status of every revision of a job, oldest
// first.
func jobStatuses(t *testing.T, c *client, id string) []string {
	t.Helper()
	var page struct {
		Items []struct {
			RevisionID string `json:"revision_id"`
		} `json:"items"`
	}
	if _, err := c.expect(http.StatusOK, &page, "GET", notifyJobs+"/"+id+"/revisions?limit=1000", nil); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range slices.Backward(page.Items) {
		var rev jobState
		if _, err := c.expect(http.StatusOK, &rev, "GET", notifyJobs+"/"+id+"/revisions/"+it.RevisionID, nil); err != nil {
			t.Fatal(err)
		}
		out = append(out, rev.Data.Status)
	}
	return out
}

// count counts s in list.
func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
