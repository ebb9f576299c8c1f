package main

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
)

// adminEnv is the blog served over HTTP on SQLite, with users of each
// role, for tests of the admin UI (/admin) as a browser without
// JavaScript uses it: forms, redirects and cookies.
type adminEnv struct {
	t   testing.TB
	url string
	svc *resource.Service
	srv *server.Server
}

// adminPassword is every test user's password.
const adminPassword = "correct horse battery staple"

func newAdminEnv(t *testing.T) *adminEnv { return newAdminEnvTB(t) }

// newAdminEnvTB is newAdminEnv for tests and benchmarks.
func newAdminEnvTB(t testing.TB) *adminEnv {
	t.Helper()
	cfg := server.Config{
		DataDir:     t.TempDir(),
		DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "blog.db"),
		Logger:      slog.New(slog.DiscardHandler),
	}
	srv, err := server.New(cfg, blog.App())
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &adminEnv{t: t, url: ts.URL, svc: srv.Service(), srv: srv}
	for _, u := range []struct{ email, role string }{{"boss@example.com", "admin"}, {"ed@example.com", "editor"}, {"vi@example.com", "viewer"}} {
		data, _ := json.Marshal(map[string]any{"email": u.email, "name": u.role, "roles": []string{u.role}, "password": adminPassword})
		if _, err := e.svc.Create(resource.AsSystem(context.Background()), e.kind("User"), data, resource.WriteOptions{}); err != nil {
			t.Fatalf("create user %s: %v", u.email, err)
		}
	}
	return e
}

func (e *adminEnv) kind(name string) *resource.Kind { return blog.App().Schema().Kind(name) }

// browser is one cookie jar: a browser without JavaScript that does not
// follow redirects (the tests check them).
type browser struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string // the token of the last page with a form
}

func (e *adminEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t.(*testing.T), base: e.url, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is one answer.
type page struct {
	Status   int
	Body     string
	Location string
	Header   http.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	res, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	p := &page{Status: res.StatusCode, Body: string(body), Location: res.Header.Get("Location"), Header: res.Header}
	if m := csrfRE.FindStringSubmatch(p.Body); m != nil {
		b.csrf = m[1]
	}
	return p
}

func (b *browser) get(path string) *page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	return b.do(req)
}

// post sends a form with the CSRF token of the last page.
func (b *browser) post(path string, form url.Values, header ...string) *page {
	b.t.Helper()
	if form.Get("csrf") == "" && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	req, _ := http.NewRequest("POST", b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

// login logs the browser in as email.
func (b *browser) login(email string) {
	b.t.Helper()
	b.get("/admin/login")
	p := b.post("/admin/login", url.Values{"email": {email}, "password": {adminPassword}, "next": {"/admin/"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/" {
		b.t.Fatalf("login %s: %d %s\n%s", email, p.Status, p.Location, p.Body)
	}
}

func (p *page) must(t *testing.T, status int, contains ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d\n%s", p.Status, status, p.Body)
	}
	for _, s := range contains {
		if !strings.Contains(html.UnescapeString(p.Body), s) {
			t.Fatalf("the page lacks %q\n%s", s, p.Body)
		}
	}
}

func (p *page) lacks(t *testing.T, absent ...string) {
	t.Helper()
	for _, s := range absent {
		if strings.Contains(html.UnescapeString(p.Body), s) {
			t.Fatalf("the page has %q\n%s", s, p.Body)
		}
	}
}

// createdID returns the id of a resource a form created from the
// redirect to its page.
func createdID(t *testing.T, p *page, path string) string {
	t.Helper()
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, path+"/") {
		t.Fatalf("create: %d %q, want a redirect under %s\n%s", p.Status, p.Location, path, p.Body)
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(p.Location, path+"/"), "?")
	return id
}

func TestAdminLogin(t *testing.T) {
	e := newAdminEnv(t)
	b := e.browser()
	p := b.get("/admin/posts")
	if p.Status != http.StatusSeeOther || p.Location != "/admin/login?next=%2Fadmin%2Fposts" {
		t.Fatalf("anonymous list: %d %q, want the login page", p.Status, p.Location)
	}
	b.get("/admin/login").must(t, http.StatusOK, "Log in to blog admin", `autocomplete="current-password"`)
	// Without the form's token the login is refused (login CSRF).
	req := url.Values{"email": {"ed@example.com"}, "password": {adminPassword}}
	p = b.post("/admin/login", url.Values{"email": req["email"], "password": req["password"], "csrf": {"forged-forged-forged-forged-forged-forged"}})
	p.must(t, http.StatusForbidden, "CSRF check failed")
	p = b.post("/admin/login", url.Values{"email": req["email"], "password": {"wrong"}})
	p.must(t, http.StatusUnauthorized, "the email or the password is wrong")
	if !strings.Contains(p.Body, `value="ed@example.com"`) {
		t.Error("a refused login forgets the email")
	}
	p = b.post("/admin/login", url.Values{"email": req["email"], "password": req["password"], "next": {"/admin/posts"}})
	if p.Status != http.StatusSeeOther || p.Location != "/admin/posts" {
		t.Fatalf("login: %d %q", p.Status, p.Location)
	}
	cookies := p.Header.Values("Set-Cookie")
	if len(cookies) < 2 {
		t.Fatalf("login set %d cookies: %q", len(cookies), cookies)
	}
	for _, c := range cookies {
		if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || !strings.Contains(c, "Path=/admin") || strings.Contains(c, "Secure") {
			t.Errorf("cookie %q: want HttpOnly, SameSite=Lax, Path=/admin and no Secure over plain HTTP", c)
		}
	}
	b.get("/admin/").must(t, http.StatusOK, "Dashboard", "Posts", "Authors", "ed@example.com")
	// An open redirect after login is refused.
	if got := b.get("/admin/login?next=//evil.example/").Location; got != "/admin/" {
		t.Errorf("next=//evil.example/ redirects to %q", got)
	}
	b.post("/admin/logout", url.Values{}).must(t, http.StatusSeeOther)
	if p := b.get("/admin/"); p.Status != http.StatusSeeOther {
		t.Errorf("after logout the dashboard answers %d", p.Status)
	}
}

func TestAdminCreateEditHistory(t *testing.T) {
	e := newAdminEnv(t)
	b := e.browser()
	b.login("ed@example.com")

	// A form with mistakes: 422, the errors by their fields, the input kept.
	b.get("/admin/authors/new").must(t, http.StatusOK, `name="name"`, `type="email"`, "Address", `<legend>Address</legend>`)
	p := b.post("/admin/authors/new", url.Values{"name": {""}, "email": {"not-an-email"}, "address.country": {"france"}})
	p.must(t, http.StatusUnprocessableEntity, `value="not-an-email"`, `value="france"`, `id="f-email-error"`, `id="f-address-country-error"`)
	p = b.post("/admin/authors/new", url.Values{"name": {"Ada"}, "email": {"ada@example.com"}, "address.city": {"London"}, "address.country": {"GB"}, "bio": {"line one\r\nline two"}})
	author := createdID(t, p, "/admin/authors")
	b.get(p.Location).must(t, http.StatusOK, "Ada", "London", "Author created.", "ed@example.com")
	env, err := e.svc.Get(resource.AsSystem(context.Background()), e.kind("Author"), author, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(env.Data), `"bio":"line one\nline two"`) {
		t.Errorf("textarea line breaks: %s", env.Data)
	}

	// Every widget of a post; the datetime is typed in Paris time.
	b.get("/admin/posts/new").must(t, http.StatusOK, `<select id="f-status"`, `type="number"`, `data-tags`, `type="datetime-local"`, `list="f-author-choices"`, `data-json`)
	p = b.post("/admin/posts/new", url.Values{
		"title": {"Hello admin"}, "author": {author}, "status": {"draft"}, "tags": {"go\r\nweb\r\n"},
		"views": {"3"}, "rating": {"4.5"}, "published_at": {"2024-05-01T10:00"}, "tz": {"Europe/Paris"},
		"metadata": {`{"a": 1}`}, "featured": {"true"}, "review_notes": {"fine"},
	})
	post := createdID(t, p, "/admin/posts")
	env, err = e.svc.Get(resource.AsSystem(context.Background()), e.kind("Post"), post, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"published_at":"2024-05-01T08:00:00Z"`, `"tags":["go","web"]`, `"views":3`, `"rating":4.5`, `"metadata":{"a":1}`, `"featured":true`, `"review_notes":"fine"`} {
		if !strings.Contains(string(env.Data), want) {
			t.Errorf("stored post lacks %s: %s", want, env.Data)
		}
	}
	// Invalid JSON is refused at its field, before the Service sees it.
	p = b.post("/admin/posts/new", url.Values{"title": {"Bad json"}, "author": {author}, "metadata": {`{"a": }`}})
	p.must(t, http.StatusUnprocessableEntity, "is not valid JSON", `{"a": }`)

	// The ref picker's type-ahead over the display field.
	b.get("/admin/authors/choices?field=author&author=ad").must(t, http.StatusOK, `<option value="Ada" data-id="`+author+`">`)
	// The picker shows the target's name and keeps the id beside it; a
	// form without the script sends the name, which names one author.
	b.get("/admin/posts/"+post+"/edit").must(t, http.StatusOK, `id="f-author" name="author" value="Ada"`, `name="author.id" value="`+author+`"`)
	p = b.post("/admin/posts/new", url.Values{"title": {"By name"}, "author": {"ada"}, "submit": {"save"}})
	byName := createdID(t, p, "/admin/posts")
	if env, err := e.svc.Get(resource.AsSystem(context.Background()), e.kind("Post"), byName, resource.ReadOptions{}); err != nil || !strings.Contains(string(env.Data), `"author":"`+author+`"`) {
		t.Fatalf("the post created by the author's name: %v %s", err, env.Data)
	}
	b.post("/admin/posts/new", url.Values{"title": {"By nobody"}, "author": {"Nobody"}, "submit": {"save"}}).
		must(t, http.StatusUnprocessableEntity, `id="f-author-error"`, "no author is named “Nobody”", `value="Nobody"`)

	// Edit with a concurrent change: 412, who changed what, the input kept.
	edit := b.get("/admin/posts/" + post + "/edit")
	edit.must(t, http.StatusOK, `value="Hello admin"`, `name="etag"`)
	etag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(edit.Body)[1]
	if _, err := e.svc.Patch(resource.AsSystem(context.Background()), e.kind("Post"), post, func(cur json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(strings.Replace(string(cur), `"views":3`, `"views":7`, 1)), nil
	}, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	form := url.Values{"title": {"Hello again"}, "author": {author}, "status": {"draft"}, "views": {"3"}, "etag": {html.UnescapeString(etag)}, "submit": {"save"}}
	p = b.post("/admin/posts/"+post+"/edit", form)
	p.must(t, http.StatusPreconditionFailed, "saved revision #2", `value="Hello again"`, "views", "Discard it and reload")
	newTag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(p.Body)[1]
	form.Set("etag", html.UnescapeString(newTag))
	if p = b.post("/admin/posts/"+post+"/edit", form); p.Status != http.StatusSeeOther {
		t.Fatalf("save over the concurrent change: %d\n%s", p.Status, p.Body)
	}

	// Drafts: save as draft, edit the draft in place, publish.
	form.Set("submit", "draft")
	form.Set("title", "Draft title")
	form.Del("etag")
	b.post("/admin/posts/"+post+"/edit", form).must(t, http.StatusSeeOther)
	b.get("/admin/posts/"+post).must(t, http.StatusOK, "draft", "#4")
	form.Set("title", "Draft title 2")
	b.post("/admin/posts/"+post+"/edit", form).must(t, http.StatusSeeOther)
	form.Set("submit", "publish")
	b.post("/admin/posts/"+post+"/edit", form).must(t, http.StatusSeeOther)
	env, _ = e.svc.Get(resource.AsSystem(context.Background()), e.kind("Post"), post, resource.ReadOptions{})
	if env.RevisionInfo.Number != 4 || env.RevisionInfo.Status != resource.StatusStable || !strings.Contains(string(env.Data), "Draft title 2") {
		t.Fatalf("after draft, edit, publish: revision %d %s %s", env.RevisionInfo.Number, env.RevisionInfo.Status, env.Data)
	}

	// Timeline, diff, switch back to revision 1 (after a confirmation).
	d := b.get("/admin/posts/" + post)
	d.must(t, http.StatusOK, "History", "#1", "#2", "#3", "#4", "current", "Switch to #1")
	b.get("/admin/authors/"+author).must(t, http.StatusOK, "Referred to by", "Posts (author)", "Draft title 2")
	b.get("/admin/posts/"+post+"/diff?a=1&b=3").must(t, http.StatusOK, "From #1 to #3", "title", `"Hello admin"`, `"Hello again"`, "changed")
	b.post("/admin/posts/"+post+"/switch", url.Values{"rev": {"1"}}).must(t, http.StatusOK, "Make revision #1")
	b.post("/admin/posts/"+post+"/switch", url.Values{"rev": {"1"}, "confirm": {"yes"}}).must(t, http.StatusSeeOther)
	env, _ = e.svc.Get(resource.AsSystem(context.Background()), e.kind("Post"), post, resource.ReadOptions{})
	if env.Meta.CurrentRevisionID != post+":1" {
		t.Fatalf("after the switch the current revision is %s", env.Meta.CurrentRevisionID)
	}
	// An edit now branches from #1: the timeline shows the branch.
	form = url.Values{"title": {"Branch"}, "author": {author}, "submit": {"save"}}
	b.post("/admin/posts/"+post+"/edit", form).must(t, http.StatusSeeOther)
	b.get("/admin/posts/"+post).must(t, http.StatusOK, `class="branch" aria-label="Branch from #1"`, "#5")

	// Delete and restore, each after a confirmation.
	b.post("/admin/posts/"+post+"/delete", url.Values{}).must(t, http.StatusOK, "Delete post “Branch”?")
	b.post("/admin/posts/"+post+"/delete", url.Values{"confirm": {"yes"}}).must(t, http.StatusSeeOther)
	b.get("/admin/posts").lacks(t, "Branch")
	b.get("/admin/posts?deleted=only").must(t, http.StatusOK, "Branch", "deleted")
	b.post("/admin/posts/"+post+"/restore", url.Values{"confirm": {"yes"}}).must(t, http.StatusSeeOther)
	b.get("/admin/posts").must(t, http.StatusOK, "Branch")
}

func TestAdminListAndRules(t *testing.T) {
	e := newAdminEnv(t)
	ctx := resource.AsSystem(context.Background())
	a, err := e.svc.Create(ctx, e.kind("Author"), json.RawMessage(`{"name":"Bo","email":"bo@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, status := range []string{"published", "draft", "published"} {
		data := `{"title":"Post ` + string(rune('A'+i)) + `","status":"` + status + `","author":"` + a.Meta.ResourceID + `","views":` + string(rune('1'+i)) + `,"review_notes":"secret"}`
		if _, err := e.svc.Create(ctx, e.kind("Post"), json.RawMessage(data), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	b := e.browser()
	b.login("ed@example.com")
	l := b.get("/admin/posts")
	l.must(t, http.StatusOK, "3 shown of 3 posts", "Post A", "Post B", "Post C", "Bo", `aria-label="Select all on this page"`,
		`<th scope="col">Title</th>`) // the title column is headed by the display field's label
	// A raw filter with a mistake shows where it is.
	b.get("/admin/posts?filter="+url.QueryEscape("views >= 1 && nope = 2")).must(t, http.StatusOK, "at position 15", `<mark>nope = 2</mark>`)
	// The builder, sorting and keyset pages.
	b.get("/admin/posts?f.status=published").must(t, http.StatusOK, "2 shown of 2 posts")
	p1 := b.get("/admin/posts?sort=views&limit=2")
	p1.must(t, http.StatusOK, "2 shown of 3 posts", `aria-sort="ascending"`, "Next page")
	next := regexp.MustCompile(`href="([^"]+)" class="button" rel="next"`).FindStringSubmatch(p1.Body)[1]
	b.get(html.UnescapeString(next)).must(t, http.StatusOK, "1 shown of 3 posts", "Post C", "First page")
	// Bulk delete with a confirmation naming them.
	ids := regexp.MustCompile(`name="id" value="([^"]+)"`).FindAllStringSubmatch(l.Body, -1)
	form := url.Values{"action": {"delete"}, "id": {ids[0][1], ids[1][1]}}
	b.post("/admin/posts/bulk", form).must(t, http.StatusOK, "Delete 2 posts?")
	form.Set("confirm", "yes")
	b.post("/admin/posts/bulk", form).must(t, http.StatusSeeOther)
	b.get("/admin/posts?done=deleted&n=2").must(t, http.StatusOK, "2 posts deleted.", "1 shown of 1 posts")

	// A viewer sees no editor-only field and is offered no forbidden action.
	v := e.browser()
	v.login("vi@example.com")
	post := ids[2][1]
	d := v.get("/admin/posts/" + post)
	d.must(t, http.StatusOK, "Post")
	d.lacks(t, "Review notes", "secret", ">Edit<", ">Delete<")
	v.get("/admin/authors").lacks(t, "New author")
	v.get("/admin/").lacks(t, "Users")
	// Forced, the forbidden action is refused by the Service.
	v.post("/admin/posts/"+post+"/delete", url.Values{"confirm": {"yes"}}).must(t, http.StatusForbidden)
	v.get("/admin/posts/"+post+"/edit").must(t, http.StatusForbidden)

	// CSRF: a post without the token, or from another site, changes nothing.
	b.get("/admin/posts")
	b.post("/admin/posts/"+post+"/delete", url.Values{"confirm": {"yes"}, "csrf": {strings.Repeat("x", 43)}}).must(t, http.StatusForbidden, "CSRF")
	b.post("/admin/posts/"+post+"/delete", url.Values{"confirm": {"yes"}}, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site").must(t, http.StatusForbidden, "CSRF")
	if env, err := e.svc.Get(ctx, e.kind("Post"), post, resource.ReadOptions{}); err != nil || env.Meta.IsDeleted {
		t.Fatalf("a forged post deleted the post: %v", err)
	}
}
