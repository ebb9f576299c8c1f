package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/resource"
)

// The job pages of the admin over HTTP: a running job's page polls its
// logs (htmx) and offers Cancel; a finished one offers Rerun; both go
// through the job queue and its rules.

// enqueueNotify enqueues a NotifySubscribers job as the system and returns
// its id.
func (e *adminEnv) enqueueNotify(t *testing.T, post, title string, delayMS int) string {
	t.Helper()
	q := jobres.From(e.svc)
	if q == nil {
		t.Fatal("the blog has no job queue")
	}
	payload, _ := json.Marshal(map[string]any{"post": post, "title": title, "delay_ms": delayMS})
	env, _, err := q.Enqueue(resource.AsSystem(context.Background()), q.Def("NotifySubscribers"), payload, jobres.EnqueueOptions{})
	if err != nil {
		t.Fatalf("enqueue %q: %v", title, err)
	}
	return env.Meta.ResourceID
}

// waitJobPage reloads a job's admin page until it shows status want.
func (b *browser) waitJobPage(path, want string) *page {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := b.get(path)
		if p.Status == http.StatusOK && strings.Contains(p.Body, `class="status status-`+want+`"`) {
			return p
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not %s after 30s: %d\n%s", path, want, p.Status, p.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAdminJobs(t *testing.T) {
	e := newAdminEnv(t)
	ctx := resource.AsSystem(context.Background())
	a, err := e.svc.Create(ctx, e.kind("Author"), json.RawMessage(`{"name":"Jo","email":"jo@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Create(ctx, e.kind("Post"), json.RawMessage(`{"title":"News","status":"draft","author":"`+a.Meta.ResourceID+`"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	post := p.Meta.ResourceID
	b := e.browser()
	b.login("boss@example.com")
	const jobs = "/admin/jobs/notify-subscribers"

	t.Run("cancel a running job", func(t *testing.T) {
		b.t = t
		id := e.enqueueNotify(t, post, "Slow", 60000)
		path := jobs + "/" + id
		running := b.waitJobPage(path, "running")
		// The running job's section polls itself and offers Cancel, not Rerun.
		running.must(t, http.StatusOK, `hx-get="`+path+`"`, `hx-trigger="every 2s"`, `action="`+path+`/cancel"`, "refreshes the job and its logs")
		running.lacks(t, `action="`+path+`/purge"`, "Delete permanently")
		running.lacks(t, `action="`+path+`/rerun"`)

		// An editor is offered nothing and, forced, is refused.
		ed := e.browser()
		ed.login("ed@example.com")
		ed.get("/admin/posts")
		ed.post(path+"/cancel", url.Values{}).must(t, http.StatusForbidden)

		r := b.post(path+"/cancel", url.Values{})
		if r.Status != http.StatusSeeOther || r.Location != path+"?done=cancelled" {
			t.Fatalf("cancel: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		done := b.waitJobPage(r.Location, "cancelled")
		done.must(t, http.StatusOK, "The job was cancelled.", `action="`+path+`/rerun"`)
		done.lacks(t, `hx-get=`, `action="`+path+`/cancel"`)
		// Cancelling it again is a conflict, shown as a page; nothing changes.
		b.post(path+"/cancel", url.Values{}).must(t, http.StatusConflict)
		b.get(path).must(t, http.StatusOK, `class="status status-cancelled"`)
	})

	t.Run("rerun a finished job", func(t *testing.T) {
		b.t = t
		id := e.enqueueNotify(t, post, "Quick", 0)
		path := jobs + "/" + id
		done := b.waitJobPage(path, "completed")
		done.must(t, http.StatusOK, "[attempt 1]", "notified the readers", `action="`+path+`/rerun"`)
		done.lacks(t, `action="`+path+`/cancel"`, "hx-get=")

		// A viewer, forced, is refused the rerun.
		v := e.browser()
		v.login("vi@example.com")
		v.get("/admin/posts")
		v.post(path+"/rerun", url.Values{}).must(t, http.StatusForbidden)

		r := b.post(path+"/rerun", url.Values{})
		if r.Status != http.StatusSeeOther || r.Location != path+"?done=rerun" {
			t.Fatalf("rerun: %d %q\n%s", r.Status, r.Location, r.Body)
		}
		b.get(r.Location).must(t, http.StatusOK, "The job will run again.")
		// It runs again: a second completion, with the logs of both runs.
		deadline := time.Now().Add(30 * time.Second)
		for {
			pg := b.get(path)
			if strings.Contains(pg.Body, `class="status status-completed"`) && strings.Count(pg.Body, "notified the readers") >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the rerun job did not complete again:\n%s", pg.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Without CSRF token the rerun is refused.
		b.post(path+"/rerun", url.Values{"csrf": {strings.Repeat("x", 43)}}).must(t, http.StatusForbidden, "CSRF")
		// An unknown job is a 404 page.
		b.post(jobs+"/987654321/rerun", url.Values{}).must(t, http.StatusNotFound)
	})
}
