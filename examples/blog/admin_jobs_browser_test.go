package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestAdminBrowserJobRerun reruns a finished job from its page in
// Chromium and watches the page's job section refresh itself (htmx
// polling) until the rerun completes, without a reload.
func TestAdminBrowserJobRerun(t *testing.T) {
	ctx := newChrome(t)
	e := newAdminEnv(t)
	sys := resource.AsSystem(context.Background())
	a, err := e.svc.Create(sys, e.kind("Author"), json.RawMessage(`{"name":"Jo","email":"jo@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Create(sys, e.kind("Post"), json.RawMessage(`{"title":"News","status":"draft","author":"`+a.Meta.ResourceID+`"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A job that takes long enough to be seen running: 2.5 s.
	id := e.enqueueNotify(t, p.Meta.ResourceID, "Slowish", 2500)
	path := "/admin/jobs/notify-subscribers/" + id
	hb := e.browser()
	hb.login("boss@example.com")
	hb.waitJobPage(path, "completed")

	browse(t, ctx, "log in as the admin, open the finished job",
		chromedp.Navigate(e.url+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "boss@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
		chromedp.Navigate(e.url+path),
		chromedp.WaitVisible(chromedp.CSS(`#job .status-completed`)),
	)
	checkAxe(t, ctx, "finished job")
	browse(t, ctx, "rerun",
		chromedp.Click(chromedp.CSS(`form[action$="/rerun"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#live[hx-get]`)),
	)
	text := value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "The job will run again.") || !strings.Contains(text, "refreshes the job and its logs") {
		t.Fatalf("after rerun: %s", text)
	}
	// The run under way is shown, not the earlier run's result, and the
	// job is not offered for deletion while it may still run.
	data := value(t, ctx, "read the data", chromedp.Text(chromedp.CSS(`dl.data`)))
	if strings.Contains(data, "Result") || strings.Contains(data, "Finished at") {
		t.Errorf("the rerun's page shows the earlier run's result: %s", data)
	}
	if n := value(t, ctx, "count purge buttons", chromedp.Evaluate[int](`document.querySelectorAll("form[action$='/purge']").length`)); n != 0 {
		t.Errorf("a job under way is offered Delete permanently")
	}
	checkAxe(t, ctx, "running job")
	screenshot(t, ctx, "job-running")
	// Mark the document: a reload would lose the mark, htmx's swap keeps it.
	start := time.Now()
	browse(t, ctx, "wait for the rerun to complete",
		chromedp.Evaluate[chromedp.Void](`window.specstarMark = "kept"`),
		chromedp.WaitVisible(chromedp.CSS(`#job .status-completed`)),
	)
	if mark := value(t, ctx, "read the mark", chromedp.Evaluate[string](`String(window.specstarMark)`)); mark != "kept" {
		t.Fatalf("the page was reloaded (mark %q), not refreshed in place", mark)
	}
	if data := value(t, ctx, "read the data", chromedp.Text(chromedp.CSS(`dl.data`))); !strings.Contains(data, "Result") || !strings.Contains(data, "Finished at") {
		t.Errorf("the completed rerun's page lacks its result: %s", data)
	}
	logs := value(t, ctx, "read the logs", chromedp.Text(chromedp.CSS(`#job pre.logs`)))
	if strings.Count(logs, "notified the readers") < 2 {
		t.Errorf("the refreshed logs lack the rerun's lines: %q", logs)
	}
	if n := value(t, ctx, "count pollers", chromedp.Evaluate[int](`document.querySelectorAll("#live[hx-get]").length`)); n != 0 {
		t.Errorf("the finished job's section still polls (%d pollers)", n)
	}
	t.Logf("the rerun completed and the page showed it %s after the rerun's page loaded", time.Since(start).Round(100*time.Millisecond))
}
