package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/specstar-go/specstar/runtime/resource"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// axeSource is axe-core from the npm registry (testdata/axe/README).
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// chromium returns the path of Chromium, skipping the test without it
// (failing under CI=true, where .ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	path := chromiumPath
	if p := os.Getenv("SPECSTAR_CHROMIUM"); p != "" {
		path = p
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is missing at %s under CI=true (apt-get install -y chromium): %v", path, err)
		}
		t.Skipf("no Chromium at %s (apt-get install -y chromium, or set SPECSTAR_CHROMIUM): skipping the admin's browser tests", path)
	}
	return path
}

// newChrome starts a headless Chromium with a fresh profile and returns a
// tab's context, in the zone Europe/Paris.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(cancelTab)
	ctx, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTime)
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Paris"})
		return err
	})); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// browse runs browser actions, failing the test with what was being done.
func browse(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

// setValue sets the value of the input sel selects, as a user's typing
// would leave it.
func setValue(sel, v string) chromedp.Action[chromedp.Void] {
	qs, _ := json.Marshal(sel)
	qv, _ := json.Marshal(v)
	return chromedp.Evaluate[chromedp.Void](`document.querySelector(` + string(qs) + `).value = ` + string(qv))
}

// waitURL waits until the page's address contains sub: after a click
// that loads a page with the same elements as the one before.
func waitURL(sub string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		for {
			loc, err := chromedp.Location()(ctx, tg)
			if err != nil {
				return err
			}
			if strings.Contains(loc, sub) {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}

// value runs an action that reads something from the page.
func value[T any](t *testing.T, ctx context.Context, what string, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, loc, err)
	}
	return v
}

// checkAxe runs axe-core in the page and fails on serious or critical
// violations.
func checkAxe(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	script := `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`
	browse(t, ctx, "load axe in "+page, chromedp.Evaluate[chromedp.Void](axeSource))
	out := value(t, ctx, "axe on "+page, chromedp.Evaluate[string](script, chromedp.EvalAwaitPromise))
	var violations []map[string]any
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("axe on %s: %v: %s", page, err, out)
	}
	for _, v := range violations {
		t.Errorf("axe on %s: %v", page, v)
	}
}

// screenshot saves the page as docs/admin/NAME.png when
// SPECSTAR_ADMIN_SCREENSHOTS names the directory (docs/admin.md shows
// them); otherwise it does nothing.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SPECSTAR_ADMIN_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAdminBrowser(t *testing.T) {
	ctx := newChrome(t)
	e := newAdminEnv(t)
	sys := resource.AsSystem(context.Background())
	author, err := e.svc.Create(sys, e.kind("Author"), json.RawMessage(`{"name":"Ada Lovelace","email":"ada@example.com","address":{"city":"London","country":"GB"}}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Notes on the engine", "Sketch of the analytical engine", "On Bernoulli numbers"} {
		data, _ := json.Marshal(map[string]any{"title": title, "status": []string{"published", "draft", "published"}[i], "author": author.Meta.ResourceID,
			"views": 10 * (i + 1), "tags": []string{"history", "math"}[:i%2+1], "published_at": "2024-05-0" + string(rune('1'+i)) + "T08:00:00Z", "review_notes": "check the dates"})
		if _, err := e.svc.Create(sys, e.kind("Post"), data, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var text string

	// Log in.
	browse(t, ctx, "log in",
		chromedp.Navigate(e.url+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
	)
	checkAxe(t, ctx, "login")
	screenshot(t, ctx, "login")
	browse(t, ctx, "log in",
		chromedp.SendKeys(chromedp.CSS(`#email`), "ed@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "Recent changes") || !strings.Contains(text, "Posts") {
		t.Fatalf("dashboard: %s", text)
	}
	// Times are shown in the browser's zone, named.
	if !strings.Contains(text, "(Europe/Paris)") {
		t.Errorf("the dashboard's times do not name the browser's zone: %s", text)
	}
	checkAxe(t, ctx, "dashboard")
	screenshot(t, ctx, "dashboard")

	// Create a post through the form: a validation error, fixed.
	browse(t, ctx, "open the form",
		chromedp.Navigate(e.url+"/admin/posts/new"),
		chromedp.WaitVisible(chromedp.CSS(`#f-title`)),
	)
	text = value(t, ctx, "read .with-zone .zone", chromedp.Text(chromedp.CSS(`.with-zone .zone`)))
	if text != "Europe/Paris" {
		t.Errorf("the datetime input names the zone %q, want Europe/Paris", text)
	}
	checkAxe(t, ctx, "new post form")
	browse(t, ctx, "submit a title too short",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Hi"),
		chromedp.SendKeys(chromedp.CSS(`#f-author`), author.Meta.ResourceID),
		setValue(`#f-published_at`, "2024-06-01T12:30:00"),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-title-error`)),
	)
	text = value(t, ctx, "read #f-title-error", chromedp.Text(chromedp.CSS(`#f-title-error`)))
	if !strings.Contains(text, "3") {
		t.Errorf("the title's error does not say the minimum: %q", text)
	}
	var kept string
	kept = value(t, ctx, "the title input", chromedp.Value(chromedp.CSS(`#f-title`)))
	if kept != "Hi" {
		t.Errorf("the title input holds %q after the refusal, want Hi", kept)
	}
	checkAxe(t, ctx, "form with errors")
	screenshot(t, ctx, "form-errors")
	browse(t, ctx, "fix and save",
		setValue(`#f-title`, "High, the engine"),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "Post created.") || !strings.Contains(text, "High, the engine") {
		t.Fatalf("after saving: %s", text)
	}
	var created string
	created = value(t, ctx, "location", chromedp.Location())
	id := strings.TrimPrefix(strings.Split(created, "?")[0], e.url+"/admin/posts/")
	env, err := e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env.Data), `"published_at":"2024-06-01T10:30:00Z"`) {
		t.Errorf("12:30 in Paris is not stored as 10:30 UTC: %s", env.Data)
	}

	// Edit twice, then look at the timeline, diff and roll back.
	for _, title := range []string{"High, the engine v2", "High, the engine v3"} {
		browse(t, ctx, "edit",
			chromedp.Navigate(e.url+"/admin/posts/"+id+"/edit"),
			chromedp.WaitVisible(chromedp.CSS(`#f-title`)),
			setValue(`#f-title`, title),
			chromedp.Click(chromedp.CSS(`button[value=save]`)),
			chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
		)
	}
	checkAxe(t, ctx, "detail")
	screenshot(t, ctx, "detail")
	browse(t, ctx, "diff #1 and #3",
		setValue(`#diff-a`, "1"),
		setValue(`#diff-b`, "3"),
		chromedp.Click(chromedp.CSS(`.diff-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`table.diff`)),
	)
	text = value(t, ctx, "read table.diff", chromedp.Text(chromedp.CSS(`table.diff`)))
	if !strings.Contains(text, "High, the engine v3") || !strings.Contains(text, "changed") {
		t.Errorf("diff: %s", text)
	}
	checkAxe(t, ctx, "diff")
	screenshot(t, ctx, "diff")
	browse(t, ctx, "roll back to #1",
		chromedp.Navigate(e.url+"/admin/posts/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
		chromedp.Click(chromedp.CSS(`form[action$="/switch"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm`)),
	)
	checkAxe(t, ctx, "confirmation")
	browse(t, ctx, "confirm the switch",
		chromedp.Click(chromedp.CSS(`form.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "Switched to revision 1.") {
		t.Errorf("after the switch: %s", text)
	}

	// Edit with a concurrent change: the 412 page says who changed what.
	browse(t, ctx, "open the edit form",
		chromedp.Navigate(e.url+"/admin/posts/"+id+"/edit"),
		chromedp.WaitVisible(chromedp.CSS(`#f-title`)),
	)
	if _, err := e.svc.Patch(sys, e.kind("Post"), id, func(cur json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(strings.Replace(string(cur), `"views":0`, `"views":99`, 1)), nil
	}, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	browse(t, ctx, "save over a concurrent change",
		setValue(`#f-title`, "Mine"),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.conflict`)),
	)
	text = value(t, ctx, "read section.conflict", chromedp.Text(chromedp.CSS(`section.conflict`)))
	if !strings.Contains(text, "views") || !strings.Contains(text, "99") {
		t.Errorf("the conflict does not show the change: %s", text)
	}
	checkAxe(t, ctx, "conflict")
	screenshot(t, ctx, "conflict")

	// Filter and page the list.
	browse(t, ctx, "filter",
		chromedp.Navigate(e.url+"/admin/posts"),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
		setValue(`#f\.status`, "published"),
		setValue(`#limit`, "20"),
		chromedp.Click(chromedp.CSS(`.filters button[type=submit]`)),
		waitURL("f.status=published"),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
	)
	text = value(t, ctx, "read .counts", chromedp.Text(chromedp.CSS(`.counts`)))
	if !strings.HasPrefix(text, "2 shown of 2 posts") {
		t.Errorf("filtered list: %q", text)
	}
	checkAxe(t, ctx, "list")
	screenshot(t, ctx, "list")
	browse(t, ctx, "a filter with a mistake",
		setValue(`#filter`, `views >= "x"`),
		chromedp.Click(chromedp.CSS(`.filters button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#filter-error`)),
	)
	text = value(t, ctx, "read #filter-error", chromedp.Text(chromedp.CSS(`#filter-error`)))
	if !strings.Contains(text, "position") {
		t.Errorf("filter error: %q", text)
	}
	browse(t, ctx, "pages of one",
		chromedp.Navigate(e.url+"/admin/posts?limit=1&sort=views"),
		chromedp.WaitVisible(chromedp.CSS(`a[rel=next]`)),
		chromedp.Click(chromedp.CSS(`a[rel=next]`)),
		waitURL("cursor="),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
	)
	text = value(t, ctx, "read table.list tbody", chromedp.Text(chromedp.CSS(`table.list tbody`)))
	if !strings.Contains(text, "Sketch of the analytical engine") {
		t.Errorf("second page by views: %q", text)
	}
	// Phone width.
	browse(t, ctx, "phone width", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.url+"/admin/posts/"+id), chromedp.WaitVisible(chromedp.CSS(`#history-h`)))
	checkAxe(t, ctx, "detail at phone width")
	screenshot(t, ctx, "phone")
	browse(t, ctx, "desktop width", chromedp.EmulateViewport(1280, 900))

	// Delete and restore.
	browse(t, ctx, "delete",
		chromedp.Click(chromedp.CSS(`form[action$="/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm`)),
		chromedp.Click(chromedp.CSS(`form.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "Post deleted.") {
		t.Errorf("after delete: %s", text)
	}
	browse(t, ctx, "restore",
		chromedp.Navigate(e.url+"/admin/posts/"+id),
		chromedp.Click(chromedp.CSS(`form[action$="/restore"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm`)),
		chromedp.Click(chromedp.CSS(`form.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "Post restored.") {
		t.Errorf("after restore: %s", text)
	}

	// A forged post from another site is refused and changes nothing.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(`<!doctype html><form id="f" method="post" action="` + e.url + `/admin/posts/` + id + `/delete"><input name="confirm" value="yes"><input name="csrf" value="guessed-guessed-guessed-guessed-guessed-guessed"></form><script>document.getElementById("f").submit()</script>`))
	}))
	defer evil.Close()
	browse(t, ctx, "forged post",
		chromedp.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "CSRF") {
		t.Errorf("the forged post's answer: %s", text)
	}
	if env, err := e.svc.Get(sys, e.kind("Post"), id, resource.ReadOptions{}); err != nil || env.Meta.IsDeleted {
		t.Fatalf("the forged post deleted the post: %v", err)
	}

	// A viewer sees no editor-only field and no forbidden action.
	vctx, cancel := chromedp.NewContext(ctx) // same browser, new tab: the cookies are shared, so log out first
	defer cancel()
	browse(t, vctx, "log out, log in as a viewer",
		chromedp.Navigate(e.url+"/admin/"),
		chromedp.Click(chromedp.CSS(`.logout button`)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "vi@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
		chromedp.Navigate(e.url+"/admin/posts/"+id),
		chromedp.WaitVisible(chromedp.CSS(`#data-h`)),
	)
	text = value(t, ctx, "read main", chromedp.OuterHTML(chromedp.CSS(`main`)))
	for _, absent := range []string{"Review notes", "check the dates", `/edit"`, `/delete"`, `/switch"`} {
		if strings.Contains(text, absent) {
			t.Errorf("a viewer's page shows %q", absent)
		}
	}
}
