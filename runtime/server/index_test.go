package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/gql"
	"github.com/specstar-go/specstar/runtime/resource"
)

// fullApp documents its API and serves GraphQL (a stub that answers 200).
type fullApp struct{ schemaApp }

func (fullApp) OpenAPI() []byte { return []byte(`{"openapi":"3.1.0"}`) }
func (fullApp) GraphQL(*resource.Service, gql.Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"data":{}}`)) })
}

func newFullServer(t *testing.T) http.Handler {
	t.Helper()
	app := fullApp{schemaApp{&resource.Kind{Name: "Staff", Table: "staff", Path: "staff", SchemaVersion: 1}}}
	srv, err := New(Config{DatabaseURL: "memory:", Logger: slog.New(slog.DiscardHandler)}, app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Handler()
}

func request(t *testing.T, h http.Handler, method, path, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestIndex: / points to the docs, GraphQL and the API (it was a 404),
// /docs/ and /graphql/ lead to their pages (they were 404s), and a GET
// of /graphql without a query gets a hint (it was gqlgen's 422).
func TestIndex(t *testing.T) {
	h := newFullServer(t)
	w := request(t, h, "GET", "/", "")
	var idx struct{ Links []link }
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &idx) != nil {
		t.Fatalf("GET / = %d %s", w.Code, w.Body)
	}
	var paths []string
	for _, l := range idx.Links {
		paths = append(paths, l.Path)
	}
	for _, want := range []string{"/docs", "/openapi.json", "/graphql", "/api/staff", "/healthz"} {
		if !strings.Contains(strings.Join(paths, " "), want) {
			t.Errorf("GET / lists %v, not %s", paths, want)
		}
	}
	w = request(t, h, "GET", "/", "text/html,application/xhtml+xml")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `<a href="/docs">`) || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("GET / from a browser = %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}

	for path, to := range map[string]string{"/docs/": "/docs", "/graphql/": "/graphql", "/graphql/?query=%7Bx%7D": "/graphql?query=%7Bx%7D"} {
		w := request(t, h, "GET", path, "")
		if w.Code != http.StatusPermanentRedirect || w.Header().Get("Location") != to {
			t.Errorf("GET %s = %d to %q, want 308 to %s", path, w.Code, w.Header().Get("Location"), to)
		}
	}
	if w := request(t, h, "POST", "/graphql/", ""); w.Code != http.StatusPermanentRedirect {
		t.Errorf("POST /graphql/ = %d, want 308 (keeps the method)", w.Code)
	}

	w = request(t, h, "GET", "/graphql", "*/*") // curl's Accept
	body, _ := io.ReadAll(w.Body)
	if w.Code != http.StatusBadRequest || !strings.Contains(string(body), "POST /graphql") || !strings.Contains(string(body), "GraphiQL") {
		t.Errorf("curl /graphql = %d %s, want a 400 saying how to send a query", w.Code, body)
	}
	if w := request(t, h, "GET", "/graphql?query=%7B__typename%7D", "*/*"); w.Code != http.StatusOK {
		t.Errorf("GET /graphql?query= = %d, want it passed to the API", w.Code)
	}
}
