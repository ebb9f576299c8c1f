package server

import (
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/templates"
)

// documentedApp is testApp with an OpenAPI document.
type documentedApp struct {
	*testApp
	doc []byte
}

func (a documentedApp) OpenAPI() []byte { return a.doc }

// get performs a GET on h and returns the response and its body.
func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func newDocsServer(t *testing.T, app App) http.Handler {
	t.Helper()
	s, err := New(Config{DatabaseURL: "memory:", Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Handler()
}

func TestDocsNotServedWithoutDocument(t *testing.T) {
	h := newDocsServer(t, newTestApp())
	for _, target := range []string{"/openapi.json", "/docs", "/docs/assets/docs.js"} {
		if res, body := get(t, h, target); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404 for an app without a document; body: %.200s", target, res.StatusCode, body)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	doc := []byte(`{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}}` + "\n")
	h := newDocsServer(t, documentedApp{newTestApp(), doc})
	res, body := get(t, h, "/openapi.json")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("Content-Type %q, want application/json", res.Header.Get("Content-Type"))
	}
	if body != string(doc) {
		t.Errorf("body %q, want the app's document %q", body, doc)
	}
}

// assetRefs finds the URLs a page loads: src= and href= attribute values.
var assetRefs = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']([^"']*)["']`)

// TestDocsPageIsSelfContained checks that /docs loads only files this
// server serves from the binary: no URL in the page names another host
// (or any scheme at all), every script and style it references is served
// here with the right type, and the Content-Security-Policy forbids
// loading anything from elsewhere.
func TestDocsPageIsSelfContained(t *testing.T) {
	h := newDocsServer(t, documentedApp{newTestApp(), []byte(`{}`)})
	res, page := get(t, h, "/docs")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /docs: status %d", res.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "text/html" {
		t.Errorf("GET /docs: Content-Type %q, want text/html", res.Header.Get("Content-Type"))
	}
	if strings.Contains(page, "//") {
		t.Errorf("the page contains \"//\" (an absolute or protocol-relative URL):\n%s", page)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, directive := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, directive) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
		}
	}
	if strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Errorf("Content-Security-Policy %q allows other hosts", csp)
	}

	base, _ := url.Parse("http://server.test/docs")
	wantTypes := map[string]string{".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
	matches := assetRefs.FindAllStringSubmatch(page, -1)
	if len(matches) < 3 {
		t.Fatalf("found %d asset references in the page, want the stylesheet, the bundle and the init script:\n%s", len(matches), page)
	}
	for _, m := range matches {
		ref, err := url.Parse(m[1])
		if err != nil || ref.Scheme != "" || ref.Host != "" {
			t.Errorf("page references %q, want a path on this server", m[1])
			continue
		}
		u := base.ResolveReference(ref)
		if !strings.HasPrefix(u.Path, "/docs/assets/") {
			t.Errorf("page references %q (%s), want a file under /docs/assets/", m[1], u.Path)
		}
		res, body := get(t, h, u.Path)
		if res.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET %s: status %d, %d bytes; want the embedded file", u.Path, res.StatusCode, len(body))
			continue
		}
		name := strings.TrimPrefix(u.Path, "/docs/assets/")
		want, err := fs.ReadFile(templates.FS, "docs/assets/"+name)
		if err != nil || body != string(want) {
			t.Errorf("GET %s does not serve templates/docs/assets/%s (err %v)", u.Path, name, err)
		}
		for ext, typ := range wantTypes {
			if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); strings.HasSuffix(name, ext) && mt != typ {
				t.Errorf("GET %s: Content-Type %q, want %s", u.Path, res.Header.Get("Content-Type"), typ)
			}
		}
	}
	_, init := get(t, h, "/docs/assets/docs.js")
	for _, want := range []string{`url: "openapi.json"`, "validatorUrl: null"} {
		if !strings.Contains(init, want) {
			t.Errorf("docs.js lacks %s: the UI must load this server's document and never call a remote validator", want)
		}
	}
}

func TestDocsAssetsNotFound(t *testing.T) {
	h := newDocsServer(t, documentedApp{newTestApp(), []byte(`{}`)})
	tests := []struct {
		name   string
		target string
	}{
		{name: "missing file", target: "/docs/assets/nope.js"},
		{name: "dot-dot", target: "/docs/assets/../index.html"},
		{name: "encoded dot-dot", target: "/docs/assets/%2e%2e/index.html"},
	}
	for _, tt := range tests {
		res, body := get(t, h, tt.target)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: GET %s: status %d, want 404; body: %.200s", tt.name, tt.target, res.StatusCode, body)
		}
		if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want application/problem+json", tt.name, res.Header.Get("Content-Type"))
		}
	}
}
