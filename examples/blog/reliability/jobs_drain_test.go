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

// The jobs' drain test: SIGTERM while a job runs longer than the
// shutdown timeout. The server stops within the timeout, the job is
// released (pending again, its attempt not counted) and a new server on
// the same database runs it to completion.

func TestJobsDrainSQLite(t *testing.T) {
	needServer(t)
	env := []string{"SPECSTAR_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "blog.db")}
	runJobsDrain(t, func(int) []string { return env }, func(*testing.T, int) {})
}

func TestJobsDrainPostgres(t *testing.T) {
	needServer(t)
	admin := pgtest.URL(t)
	u, err := url.Parse(pgtest.SchemaURL(t, admin))
	if err != nil {
		t.Fatal(err)
	}
	appName := func(cycle int) string { return fmt.Sprintf("%s_drain_%d", u.Query().Get("search_path"), cycle) }
	env := func(cycle int) []string {
		q := u.Query()
		q.Set("application_name", appName(cycle))
		v := *u
		v.RawQuery = q.Encode()
		return []string{"SPECSTAR_DATABASE_URL=" + v.String()}
	}
	runJobsDrain(t, env, func(t *testing.T, cycle int) { waitSessionsGone(t, admin, appName(cycle)) })
}

// runJobsDrain runs the drain test on the database env names; settle
// waits for a stopped server's sessions to end.
func runJobsDrain(t *testing.T, env func(cycle int) []string, settle func(t *testing.T, cycle int)) {
	const shutdown = time.Second
	stop := "SPECSTAR_SHUTDOWN_TIMEOUT=" + shutdown.String()
	s1 := startServer(t, "blog-1", append(env(1), stop)...)
	c := newClient(t, s1)
	var author, post, job jobState
	if _, err := c.expect(http.StatusCreated, &author, "POST", "/api/authors", map[string]any{"name": "Ada", "email": "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.expect(http.StatusCreated, &post, "POST", "/api/posts", map[string]any{"title": "Announced", "author": author.Meta.ResourceID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.expect(http.StatusCreated, &job, "POST", notifyJobs, map[string]any{
		"payload": map[string]any{"post": post.Meta.ResourceID, "title": "slow", "delay_ms": 3000},
	}); err != nil {
		t.Fatal(err)
	}
	id := job.Meta.ResourceID
	waitJobStatus(t, c, id, "running", 30*time.Second)
	code, took, err := s1.terminate(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The job outlives the drain: the server stops at the shutdown
	// timeout (plus the time to release the job and close), not when
	// the job would have finished.
	if took > shutdown+1500*time.Millisecond {
		t.Errorf("the server took %s to stop after SIGTERM with a shutdown timeout of %s (exit %d)", took, shutdown, code)
	}
	settle(t, 1)

	s2 := startServer(t, "blog-2", env(2)...)
	c = newClient(t, s2)
	done := waitJobStatus(t, c, id, "completed", 60*time.Second)
	if done.Data.Attempts != 1 {
		t.Errorf("the released job completed at attempt %d, want 1: an attempt cut short by a shutdown is not counted", done.Data.Attempts)
	}
	statuses := jobStatuses(t, c, id)
	if want := []string{"pending", "running", "pending", "running", "completed"}; !slices.Equal(statuses, want) {
		t.Errorf("the job's revisions show %v, want %v", statuses, want)
	}
}

// waitJobStatus polls a NotifySubscribers job until its status is want.
func waitJobStatus(t *testing.T, c *client, id, want string, within time.Duration) jobState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var s jobState
		if _, err := c.expect(http.StatusOK, &s, "GET", notifyJobs+"/"+id, nil); err != nil {
			t.Fatal(err)
		}
		if s.Data.Status == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %s after %s, want %s", id, s.Data.Status, within, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
