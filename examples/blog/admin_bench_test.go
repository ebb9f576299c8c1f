package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// BenchmarkAdminList50 measures the server time of an admin list page of
// 50 posts on SQLite (filter builder, counts, ref labels, rendering), as
// a logged-in editor; BenchmarkAdminListAPI50 is the same page of the
// REST API, the baseline of the same run. The budget is 5 ms.
func BenchmarkAdminList50(b *testing.B) {
	h, cookies := adminBenchServer(b)
	req := httptest.NewRequest("GET", "/admin/posts?limit=50", nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	benchPage(b, h, req, "50 shown of 60 posts")
}

func BenchmarkAdminListAPI50(b *testing.B) {
	h, _ := adminBenchServer(b)
	req := httptest.NewRequest("GET", "/api/posts?limit=50&count=true", nil)
	benchPage(b, h, req, `"total":60`)
}

func benchPage(b *testing.B, h http.Handler, req *http.Request, want string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), want) {
		b.Fatalf("status %d, want a page with %q:\n%.2000s", rec.Code, want, rec.Body.String())
	}
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

// adminBenchServer serves the blog on SQLite with 60 posts by 5 authors
// and returns the cookies of an editor's login.
func adminBenchServer(b *testing.B) (http.Handler, []*http.Cookie) {
	e := newAdminEnvTB(b)
	sys := resource.AsSystem(context.Background())
	var authors []string
	for i := range 5 {
		env, err := e.svc.Create(sys, e.kind("Author"), json.RawMessage(fmt.Sprintf(`{"name":"Author %d","email":"a%d@example.com"}`, i, i)), resource.WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		authors = append(authors, env.Meta.ResourceID)
	}
	for i := range 60 {
		data := fmt.Sprintf(`{"title":"Post number %d","status":"published","tags":["go","web"],"views":%d,"author":%q,"published_at":"2024-05-01T08:00:00Z"}`, i, i, authors[i%5])
		if _, err := e.svc.Create(sys, e.kind("Post"), json.RawMessage(data), resource.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	h := e.srv.Handler()
	login := httptest.NewRequest("GET", "/admin/login", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	csrf := rec.Result().Cookies()[0]
	form := "email=ed%40example.com&password=" + strings.ReplaceAll(adminPassword, " ", "+") + "&csrf=" + csrf.Value
	post := httptest.NewRequest("POST", "/admin/login", strings.NewReader(form))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(csrf)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, post)
	if rec.Code != http.StatusSeeOther {
		b.Fatalf("login: %d %s", rec.Code, rec.Body.String())
	}
	return h, append(rec.Result().Cookies(), csrf)
}
