package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/server"
)

// The jobs of the blog (docs/jobs.md) over REST and GraphQL, on every
// backend: the job resources, their history, cancel, rerun and logs, the
// job the Post hooks enqueue on publish, and the enqueue of a hook whose
// write then fails.

const notifyPath = "/api/jobs/notify-subscribers"

// with returns a client of the same server reporting to t, for subtests.
func (c *client) with(t *testing.T) *client { return &client{t: t, base: c.base, hc: c.hc} }

// waitJob polls a job until its status is want, and returns it.
func (c *client) waitJob(path, id, want string) *response {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := c.must(http.StatusOK, "GET", path+"/"+id, nil)
		if r.str(c.t, "data.status") == want {
			return r
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s: status %s after 30s, want %s: %s", id, r.str(c.t, "data.status"), want, short(r.Body))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// jobStatuses returns the status of each revision of a job, oldest first,
// and who wrote each.
func (c *client) jobStatuses(path, id string) (statuses, writers []string) {
	c.t.Helper()
	page := c.must(http.StatusOK, "GET", path+"/"+id+"/revisions?limit=100", nil)
	items := page.list(c.t, "items")
	for i := len(items) - 1; i >= 0; i-- {
		rev := page.str(c.t, fmt.Sprintf("items.%d.revision_id", i))
		r := c.must(http.StatusOK, "GET", path+"/"+id+"/revisions/"+rev, nil)
		statuses = append(statuses, r.str(c.t, "data.status"))
		writers = append(writers, r.str(c.t, "revision_info.created_by"))
	}
	return statuses, writers
}

// waitStatuses waits until the revisions of a job show want.
func (c *client) waitStatuses(path, id string, want ...string) []string {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, writers := c.jobStatuses(path, id)
		if slices.Equal(got, want) {
			return writers
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s: revisions %v, want %v", id, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestJobs(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, b, nil)
			author := c.createAuthor("Ada", "ada@example.com")
			post := c.createPost("A post to announce", "a-post-to-announce", author)

			t.Run("enqueue, run, history, logs", func(t *testing.T) {
				c := c.with(t)
				r := c.must(http.StatusCreated, "POST", notifyPath, map[string]any{"payload": map[string]any{"post": post, "title": "Hi"}})
				id := r.str(t, "meta.resource_id")
				if r.str(t, "data.status") != "pending" || r.num(t, "data.attempts") != 0 || r.num(t, "data.max_attempts") != 5 ||
					r.Header.Get("Location") != notifyPath+"/"+id || r.num(t, "data.payload.delay_ms") != 0 {
					t.Fatalf("enqueue: %s, Location %q", short(r.Body), r.Header.Get("Location"))
				}
				done := c.waitJob(notifyPath, id, "completed")
				if done.num(t, "data.attempts") != 1 || done.str(t, "data.result.post") != post || done.get(t, "data.finished_at") == nil {
					t.Fatalf("completed job: %s", short(done.Body))
				}
				writers := c.waitStatuses(notifyPath, id, "pending", "running", "completed")
				if !slices.Equal(writers, []string{testAdmin.ID, "system", "system"}) {
					t.Errorf("revisions written by %v, want the enqueuer, then the system", writers)
				}
				logs := c.must(http.StatusOK, "GET", notifyPath+"/"+id+"/logs", nil)
				if logs.num(t, "items.0.attempt") != 1 || !strings.Contains(logs.str(t, "items.0.text"), "notified the readers") {
					t.Errorf("logs: %s", short(logs.Body))
				}
				list := c.must(http.StatusOK, "GET", notifyPath+"?count=true&filter="+url.QueryEscape(`status = "completed" && attempts = 1`), nil)
				if !slices.Contains(list.ids(t, "meta.resource_id"), id) {
					t.Errorf("the completed job is not listed by its status: %s", short(list.Body))
				}
				if n := c.must(http.StatusOK, "GET", notifyPath+"/count?filter="+url.QueryEscape(`status = "completed"`), nil).num(t, "count"); n < 1 {
					t.Errorf("count of completed jobs: %d", n)
				}
				// A rerun runs it again.
				r = c.must(http.StatusOK, "POST", notifyPath+"/"+id+"/rerun", nil)
				if r.str(t, "data.status") != "pending" {
					t.Errorf("rerun: %s", short(r.Body))
				}
				again := c.waitJob(notifyPath, id, "completed")
				if again.num(t, "data.attempts") != 2 {
					t.Errorf("rerun job: %s", short(again.Body))
				}
				c.problem(http.StatusConflict, "CONFLICT", "POST", notifyPath+"/"+id+"/cancel", nil)
			})

			t.Run("bad payloads and unknown jobs", func(t *testing.T) {
				c := c.with(t)
				for _, tt := range []struct {
					body  any
					field string
				}{
					{map[string]any{"payload": map[string]any{"post": post}}, "payload.title"},
					{map[string]any{"payload": map[string]any{"post": "01900000-0000-7000-8000-000000000000", "title": "x"}}, "payload.post"},
					{map[string]any{"payload": map[string]any{"post": post, "title": "x", "delay_ms": -1}}, "payload.delay_ms"},
					{map[string]any{"payload": map[string]any{"post": post, "title": "x", "priority": 1}}, "payload.priority"},
					{map[string]any{"payload": map[string]any{"post": post, "title": "x"}, "status": "completed"}, "status"},
					{map[string]any{}, "payload"},
				} {
					fields := c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", notifyPath, tt.body)
					if !slices.Contains(fields, tt.field) {
						t.Errorf("%v: errors name %v, want %s", tt.body, fields, tt.field)
					}
				}
				c.problem(http.StatusNotFound, "NOT_FOUND", "POST", "/api/jobs/no-such-job", map[string]any{"payload": map[string]any{}})
				c.problem(http.StatusNotFound, "NOT_FOUND", "GET", "/api/jobs/no-such-job/1", nil)
				c.problem(http.StatusNotFound, "NOT_FOUND", "GET", notifyPath+"/987654321", nil)
				c.problem(http.StatusNotFound, "NOT_FOUND", "POST", notifyPath+"/not-an-id/cancel", nil)
				c.problem(http.StatusNotFound, "NOT_FOUND", "GET", notifyPath+"/987654321/logs", nil)
			})

			t.Run("cancel while running", func(t *testing.T) {
				c := c.with(t)
				r := c.must(http.StatusCreated, "POST", notifyPath, map[string]any{"payload": map[string]any{"post": post, "title": "Slow", "delay_ms": 60000}})
				id := r.str(t, "meta.resource_id")
				c.waitJob(notifyPath, id, "running")
				start := time.Now()
				c.must(http.StatusAccepted, "POST", notifyPath+"/"+id+"/cancel", nil)
				done := c.waitJob(notifyPath, id, "cancelled")
				if time.Since(start) > 15*time.Second || done.get(t, "data.finished_at") == nil {
					t.Fatalf("cancelled after %s: %s", time.Since(start), short(done.Body))
				}
				c.waitStatuses(notifyPath, id, "pending", "running", "cancelled")
			})

			t.Run("run_at and filters on times", func(t *testing.T) {
				c := c.with(t)
				at := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
				r := c.must(http.StatusCreated, "POST", notifyPath, map[string]any{"payload": map[string]any{"post": post, "title": "Later"}, "run_at": at.Format(time.RFC3339)})
				id := r.str(t, "meta.resource_id")
				if got, err := time.Parse(time.RFC3339Nano, r.str(t, "data.run_at")); err != nil || !got.Equal(at) || r.str(t, "data.status") != "pending" {
					t.Fatalf("enqueue with run_at %s: %s", at.Format(time.RFC3339), short(r.Body))
				}
				soon := url.QueryEscape(fmt.Sprintf(`run_at > %q && status = "pending" && attempts = 0`, time.Now().Add(30*time.Minute).UTC().Format(time.RFC3339)))
				if ids := c.must(http.StatusOK, "GET", notifyPath+"?limit=100&filter="+soon, nil).ids(t, "meta.resource_id"); !slices.Equal(ids, []string{id}) {
					t.Fatalf("jobs due in more than 30 minutes: %v, want [%s]", ids, id)
				}
				time.Sleep(300 * time.Millisecond)
				if st := c.must(http.StatusOK, "GET", notifyPath+"/"+id, nil).str(t, "data.status"); st != "pending" {
					t.Fatalf("a job due in an hour is %s after 300ms", st)
				}
				// A rerun makes it due now.
				c.must(http.StatusOK, "POST", notifyPath+"/"+id+"/rerun", nil)
				done := c.waitJob(notifyPath, id, "completed")
				since := url.QueryEscape(fmt.Sprintf(`finished_at >= %q && started_at >= %q`, done.str(t, "data.started_at"), done.str(t, "data.started_at")))
				if ids := c.must(http.StatusOK, "GET", notifyPath+"?limit=100&filter="+since, nil).ids(t, "meta.resource_id"); !slices.Contains(ids, id) {
					t.Fatalf("the job is not listed by its times: %v", ids)
				}
			})

			t.Run("metrics", func(t *testing.T) {
				c := c.with(t)
				resp, err := c.hc.Get(c.base + "/metrics")
				if err != nil {
					t.Fatal(err)
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				// The jobs completed above; the queue's counts are there
				// for every job type, zero or not.
				for _, want := range []string{
					`specstar_jobs_finished_total{status="completed",type="NotifySubscribers"} `,
					`specstar_job_wait_seconds_count{type="NotifySubscribers"} `,
					`specstar_job_run_seconds_count{type="NotifySubscribers"} `,
					`specstar_jobs_pending{type="NotifySubscribers"} `,
					`specstar_jobs_due{type="NotifySubscribers"} `,
					`specstar_jobs_running{type="NotifySubscribers"} `,
					`specstar_jobs_failed{type="DailyDigest"} 0`,
					`specstar_jobs_stale{type="NotifySubscribers"} 0`,
				} {
					if !strings.Contains(string(body), want) {
						t.Errorf("/metrics lacks %s", want)
					}
				}
			})

			t.Run("publishing enqueues a notification", func(t *testing.T) {
				c := c.with(t)
				p := c.createPost("Published now", "published-now", author)
				c.must(http.StatusOK, "PATCH", "/api/posts/"+p, map[string]any{"status": "published"}, "Content-Type", "application/merge-patch+json")
				list := c.must(http.StatusOK, "GET", notifyPath+"?limit=100", nil)
				found := ""
				for i := range list.list(t, "items") {
					if list.str(t, fmt.Sprintf("items.%d.data.payload.post", i)) == p {
						found = list.str(t, fmt.Sprintf("items.%d.meta.resource_id", i))
					}
				}
				if found == "" {
					t.Fatalf("no NotifySubscribers job for the published post: %s", short(list.Body))
				}
				c.waitJob(notifyPath, found, "completed")
			})
		})
	}
}

// TestJobEnqueuedByFailedWrite checks that a job a hook enqueues in its
// write's transaction does not exist when the write then fails.
func TestJobEnqueuedByFailedWrite(t *testing.T) {
	refused := errors.New("refused after the enqueue")
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, b, nil, blog.WithPostHooks(blog.PostHooks{
				AfterWrite: func(ctx context.Context, w *blog.PostWrite) error {
					if _, err := w.Tx.NotifySubscribersJob.Enqueue(ctx, &blog.NotifySubscribersPayload{Post: w.ID, Title: w.Stored.Data.Title}, jobres.EnqueueOptions{}); err != nil {
						return err
					}
					if w.Stored.Data.Title == "refuse me" {
						return refused
					}
					return nil
				},
			}))
			author := c.createAuthor("Ada", "ada@example.com")
			c.createPost("kept", "kept", author)
			c.problem(http.StatusInternalServerError, "INTERNAL", "POST", "/api/posts", postBody("refuse me", "refused", author))
			time.Sleep(300 * time.Millisecond) // a job that wrongly survived would be listed by now
			list := c.must(http.StatusOK, "GET", notifyPath+"?limit=100", nil)
			if n := len(list.list(t, "items")); n != 1 || list.str(t, "items.0.data.payload.title") != "kept" {
				t.Fatalf("jobs after a refused write: %s, want only the job of the kept post", short(list.Body))
			}
			if n := c.count("posts", ""); n != 1 {
				t.Fatalf("%d posts, want 1", n)
			}
		})
	}
}

// TestJobsGraphQL enqueues, reads, cancels and reruns a job over GraphQL.
func TestJobsGraphQL(t *testing.T) {
	for _, b := range backends[:2] {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := newGQLServer(t, b, nil)
			author := s.createAuthor("Ada", "ada@example.com")
			post := s.createPost(postInput("A post", "a-post", author))
			d := s.query(`mutation($in: NotifySubscribersJobInput!) { enqueueNotifySubscribers(input: $in) { id data { status payload { post title } } } }`,
				"in", map[string]any{"payload": map[string]any{"post": post, "title": "Hi", "delayMs": 60000}})
			id := d.str("enqueueNotifySubscribers.id")
			if d.str("enqueueNotifySubscribers.data.status") != "PENDING" || d.str("enqueueNotifySubscribers.data.payload.post") != post {
				t.Fatalf("enqueue: %+v", d.v)
			}
			deadline := time.Now().Add(20 * time.Second)
			for s.query(`query($id: ID!) { notifySubscribersJob(id: $id) { data { status } } }`, "id", id).str("notifySubscribersJob.data.status") != "RUNNING" {
				if time.Now().After(deadline) {
					t.Fatal("the job did not start")
				}
				time.Sleep(20 * time.Millisecond)
			}
			s.query(`mutation($id: ID!) { cancelNotifySubscribersJob(id: $id) { id } }`, "id", id)
			for s.query(`query($id: ID!) { notifySubscribersJob(id: $id) { data { status } } }`, "id", id).str("notifySubscribersJob.data.status") != "CANCELLED" {
				if time.Now().After(deadline) {
					t.Fatal("the job was not cancelled")
				}
				time.Sleep(20 * time.Millisecond)
			}
			s.fail("CONFLICT", `mutation($id: ID!) { cancelNotifySubscribersJob(id: $id) { id } }`, "id", id)
			d = s.query(`mutation($id: ID!) { rerunNotifySubscribersJob(id: $id) { data { status } revisions { nodes { number } } } }`, "id", id)
			if d.str("rerunNotifySubscribersJob.data.status") != "PENDING" || len(d.list("rerunNotifySubscribersJob.revisions.nodes")) < 4 {
				t.Fatalf("rerun: %+v", d.v)
			}
			d = s.query(`{ notifySubscribersJobs(filter: {status: {eq: CANCELLED}}) { totalCount } }`)
			_ = d
			s.fail("VALIDATION_ERROR", `mutation($in: NotifySubscribersJobInput!) { enqueueNotifySubscribers(input: $in) { id } }`,
				"in", map[string]any{"payload": map[string]any{"post": "01900000-0000-7000-8000-000000000000", "title": "x"}})
		})
	}
}

// TestJobPermissions checks that jobs are for admins by default: other
// callers get 401 (anonymous) or 403.
func TestJobPermissions(t *testing.T) {
	c := newClient(t, backends[0], func(cfg *server.Config) {})
	author := c.createAuthor("Ada", "ada@example.com")
	post := c.createPost("A post", "a-post", author)
	c.problem(http.StatusUnauthorized, "UNAUTHENTICATED", "GET", notifyPath, nil, anonymousHeader, "1")
	c.problem(http.StatusUnauthorized, "UNAUTHENTICATED", "POST", notifyPath, map[string]any{"payload": map[string]any{"post": post, "title": "x"}}, anonymousHeader, "1")
	if n := c.count("jobs/notify-subscribers", ""); n != 0 {
		t.Fatalf("%d jobs after refused enqueues", n)
	}
}
