package main

import (
	"context"
	"encoding/json"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestAdminBrowserFilesTags creates a post in Chromium with a cover image,
// two attachments and tags typed as chips with the keyboard, then
// downloads the files under the admin's session.
func TestAdminBrowserFilesTags(t *testing.T) {
	ctx := newChrome(t)
	e := newAdminEnv(t)
	sys := resource.AsSystem(context.Background())
	author, err := e.svc.Create(sys, e.kind("Author"), json.RawMessage(`{"name":"Ada Lovelace","email":"ada@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cover := filepath.Join(dir, "cover.png")
	notes := filepath.Join(dir, "notes.txt")
	sums := filepath.Join(dir, "sums.csv")
	os.WriteFile(cover, pngSized(t, color.RGBA{11, 87, 208, 255}, 160, 100), 0o644)
	os.WriteFile(notes, []byte("the engine's notes\n"), 0o644)
	os.WriteFile(sums, []byte("n,bernoulli\n1,-1/2\n"), 0o644)

	browse(t, ctx, "log in",
		chromedp.Navigate(e.url+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "ed@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
		chromedp.Navigate(e.url+"/admin/posts/new"),
		chromedp.WaitVisible(chromedp.CSS(`.chips input#f-tags`)),
	)
	// Tags as chips, with the keyboard only: Enter and a comma add,
	// Backspace in the empty input removes the last, a chip's button
	// (reached with Tab) removes it.
	browse(t, ctx, "type tags",
		chromedp.Focus(chromedp.CSS(`#f-tags`)),
		chromedp.KeyEvent("history"),
		chromedp.KeyEvent("\r"),
		chromedp.KeyEvent("math,"),
		chromedp.KeyEvent("typo,"),
		chromedp.KeyEvent(kb.Backspace),
		chromedp.KeyEvent("engines\r"),
	)
	if got := value(t, ctx, "the tags' textarea", chromedp.Value(chromedp.CSS(`#f-tags-text`))); got != "history\nmath\nengines" {
		t.Fatalf("the tags typed as chips: %q", got)
	}
	browse(t, ctx, "remove a chip with its button",
		chromedp.Focus(chromedp.CSS(`.chip button[aria-label="Remove math"]`)),
		chromedp.KeyEvent("\r"),
	)
	if got := value(t, ctx, "the tags' textarea", chromedp.Value(chromedp.CSS(`#f-tags-text`))); got != "history\nengines" {
		t.Fatalf("after removing math: %q", got)
	}
	if got := value(t, ctx, "the focused element", chromedp.Evaluate[string](`document.activeElement.id`)); got != "f-tags" {
		t.Errorf("after a chip's removal the focus is on %q, want the tags input", got)
	}
	label := value(t, ctx, "the tags' label", chromedp.Evaluate[string](`document.querySelector("label[for=f-tags]").textContent`))
	if !strings.Contains(label, "Tags") {
		t.Errorf("the chips' input has no label: %q", label)
	}

	// The author by name, the files chosen, saved.
	browse(t, ctx, "fill in the post with files",
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "The engine, illustrated"),
		chromedp.SendKeys(chromedp.CSS(`#f-author`), "Ada Lovelace"),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-cover`), []string{cover}),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-attachments`), []string{notes, sums}),
	)
	// The chosen image is previewed before it is saved.
	browse(t, ctx, "the chosen cover's preview", chromedp.WaitVisible(chromedp.CSS(`.chosen img.preview`)))
	checkAxe(t, ctx, "form with chips and files")
	screenshot(t, ctx, "form-files")
	browse(t, ctx, "save",
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text := value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{"Post created.", "cover.png", "notes.txt", "sums.csv", "history, engines", "Ada Lovelace"} {
		if !strings.Contains(text, want) {
			t.Errorf("the new post's page lacks %q: %s", want, text)
		}
	}
	// The cover's preview loaded: the image is served under the session.
	browse(t, ctx, "wait for the preview", chromedp.WaitVisible(chromedp.CSS(`img.preview`)))
	if w := value(t, ctx, "the preview's width", chromedp.Evaluate[int](`new Promise(r => { const i = document.querySelector("img.preview"); i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth) })`, chromedp.EvalAwaitPromise)); w != 160 {
		t.Errorf("the cover's image is %d pixels wide, want 160", w)
	}
	checkAxe(t, ctx, "post with files")
	screenshot(t, ctx, "detail-files")
	// Download an attachment as the page links it.
	got := value(t, ctx, "download", chromedp.Evaluate[string](`(async () => { const r = await fetch(document.querySelector("a[href$='/files/attachments/1']").href); return r.status + " " + r.headers.get("content-disposition") + "\n" + await r.text(); })()`, chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(got, `200 inline; filename=sums.csv`) || !strings.HasSuffix(got, "n,bernoulli\n1,-1/2\n") {
		t.Errorf("the attachment's download: %q", got)
	}

	// Edit: the files are shown; remove one attachment, replace the cover.
	browse(t, ctx, "edit the files",
		chromedp.Click(chromedp.CSS(`a.button.primary[href$="/edit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-cover`)),
	)
	if v := value(t, ctx, "the author picker", chromedp.Value(chromedp.CSS(`#f-author`))); v != "Ada Lovelace" {
		t.Errorf("the author picker shows %q, want the author's name", v)
	}
	checkAxe(t, ctx, "edit form with files")
	browse(t, ctx, "remove notes.txt",
		chromedp.Click(chromedp.CSS(`#f-attachments-rm-0`)),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if strings.Contains(text, "notes.txt") || !strings.Contains(text, "sums.csv") || !strings.Contains(text, "cover.png") {
		t.Errorf("after removing notes.txt: %s", text)
	}
	if env, err := e.svc.Get(sys, e.kind("Post"), strings.Split(strings.TrimPrefix(value(t, ctx, "location", chromedp.Location()), e.url+"/admin/posts/"), "?")[0], resource.ReadOptions{}); err != nil || !strings.Contains(string(env.Data), `"author":"`+author.Meta.ResourceID+`"`) {
		t.Errorf("the post's author, picked by name: %v", err)
	}
}

// TestAdminBrowserUsers manages users in Chromium as an admin, and checks
// that an editor is not offered the page and is refused it.
func TestAdminBrowserUsers(t *testing.T) {
	ctx := newChrome(t)
	e := newAdminEnv(t)
	browse(t, ctx, "log in as the admin",
		chromedp.Navigate(e.url+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "boss@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
		chromedp.Click(chromedp.CSS(`nav.side a[href$="/admin/users"]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.list`)),
	)
	checkAxe(t, ctx, "users")
	screenshot(t, ctx, "users")
	browse(t, ctx, "a new user with a short password",
		chromedp.Navigate(e.url+"/admin/users/new"),
		chromedp.WaitVisible(chromedp.CSS(`#f-email`)),
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "grace@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Grace"),
		chromedp.Click(chromedp.CSS(`input[name=roles][value=editor]`)),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "short"),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-password-error`)),
	)
	text := value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "one field needs a change") || !strings.Contains(text, "Password: must be") {
		t.Errorf("the refused user form: %s", text)
	}
	if !value(t, ctx, "the editor role", chromedp.Evaluate[bool](`document.querySelector("input[name=roles][value=editor]").checked`)) {
		t.Error("the refused form forgets the checked role")
	}
	checkAxe(t, ctx, "user form with errors")
	browse(t, ctx, "fix the password",
		chromedp.Click(chromedp.CSS(`.problems a`)),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "User created.") || !strings.Contains(text, "editor") {
		t.Fatalf("after creating the user: %s", text)
	}
	checkAxe(t, ctx, "user")
	screenshot(t, ctx, "user")
	browse(t, ctx, "reset the password",
		chromedp.Click(chromedp.CSS(`a[href$="/password"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-repeat`)),
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "a brand new password"),
		chromedp.SendKeys(chromedp.CSS(`#f-repeat`), "a brand new passwort"),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#f-repeat-error`)),
	)
	checkAxe(t, ctx, "password form with an error")
	screenshot(t, ctx, "password")
	browse(t, ctx, "reset the password again",
		chromedp.SendKeys(chromedp.CSS(`#f-password`), "a brand new password"),
		chromedp.SendKeys(chromedp.CSS(`#f-repeat`), "a brand new password"),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
		chromedp.Click(chromedp.CSS(`form[action$="/disable"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`form.confirm`)),
	)
	checkAxe(t, ctx, "disable confirmation")
	browse(t, ctx, "confirm",
		chromedp.Click(chromedp.CSS(`form.confirm button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/enable"]`)),
	)
	text = value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(text, "The account was disabled") {
		t.Errorf("after disabling: %s", text)
	}

	// An editor has no Users in the navigation and is refused the page.
	browse(t, ctx, "log in as an editor",
		chromedp.Click(chromedp.CSS(`.logout button`)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "ed@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
	)
	if n := value(t, ctx, "count Users links", chromedp.Evaluate[int](`document.querySelectorAll("nav.side a[href$='/admin/users']").length`)); n != 0 {
		t.Error("an editor's navigation offers Users")
	}
	browse(t, ctx, "force the users page",
		chromedp.Navigate(e.url+"/admin/users"),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)),
	)
	if h := value(t, ctx, "read h1", chromedp.Text(chromedp.CSS(`main h1`))); h != "Forbidden" {
		t.Errorf("an editor's users page: %q", h)
	}
}

// TestAdminBrowserWithoutScript fills in a post in Chromium with
// JavaScript off: the tags are a textarea, one per line; the author is
// typed by name and found by the server; a file is uploaded all the same.
func TestAdminBrowserWithoutScript(t *testing.T) {
	ctx := newChrome(t)
	e := newAdminEnv(t)
	sys := resource.AsSystem(context.Background())
	if _, err := e.svc.Create(sys, e.kind("Author"), json.RawMessage(`{"name":"Ada Lovelace","email":"ada@example.com"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notes, []byte("plain notes\n"), 0o644)
	browse(t, ctx, "turn JavaScript off, log in",
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(e.url+"/admin/"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), "ed@example.com"),
		chromedp.SendKeys(chromedp.CSS(`#password`), adminPassword),
		chromedp.Click(chromedp.CSS(`button[type=submit].primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#recent-h`)),
		chromedp.Navigate(e.url+"/admin/posts/new"),
		chromedp.WaitVisible(chromedp.CSS(`textarea#f-tags`)),
		chromedp.SendKeys(chromedp.CSS(`#f-title`), "Written without a script"),
		chromedp.SendKeys(chromedp.CSS(`textarea#f-tags`), "alpha\nbeta"),
		chromedp.SendKeys(chromedp.CSS(`#f-author`), "ada lovelace"),
		chromedp.SetUploadFiles(chromedp.CSS(`#f-attachments`), []string{notes}),
		chromedp.Click(chromedp.CSS(`button[value=save]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history-h`)),
	)
	text := value(t, ctx, "read main", chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{"Post created.", "alpha, beta", "Ada Lovelace", "notes.txt"} {
		if !strings.Contains(text, want) {
			t.Errorf("the post saved without a script lacks %q: %s", want, text)
		}
	}
}
