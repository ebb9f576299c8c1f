package baseline

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	benchitem "github.com/specstar-go/specstar/examples/bench/item"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// body returns the JSON of an item.
func body(title, category string, at time.Time, score int) string {
	b, _ := json.Marshal(map[string]any{
		"title": title, "category": category, "happened_at": at, "body": "some text", "score": score,
	})
	return string(b)
}

// do sends a request to h and returns the response.
func do(t *testing.T, h http.Handler, method, path, reqBody string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(reqBody))
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decodeEnvelope decodes an envelope response.
func decodeEnvelope(t *testing.T, rec *httptest.ResponseRecorder) *resource.Envelope {
	t.Helper()
	var env resource.Envelope
	if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return &env
}

// specstarStore opens the SQLite backend of the generated server on a new
// file and returns it with a service and the file path.
func specstarStore(t *testing.T) (*resource.Service, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "specstar.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	schema := benchitem.App().Schema()
	if err := st.Migrate(context.Background(), schema); err != nil {
		t.Fatal(err)
	}
	return resource.NewService(st, schema), path
}

// TestSQLiteSharesTheEngineRows checks the raw SQLite baseline, with
// either list plan, against the specstar SQLite backend (see
// checkSharesTheEngineRows).
func TestSQLiteSharesTheEngineRows(t *testing.T) {
	svc, path := specstarStore(t)
	raw, err := NewSQLite(path, PlanEngine)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	planner, err := NewSQLite(path, PlanSQLite)
	if err != nil {
		t.Fatal(err)
	}
	defer planner.Close()
	checkSharesTheEngineRows(t, svc, raw, planner)
}

// checkSharesTheEngineRows checks that a raw baseline does the engine's
// work on the engine's rows: what it writes the engine reads back as the
// same resource with a revision history, what the engine writes it serves
// as the same envelope, and its list (and that of every server in
// others, on the same rows) returns what the engine's filtered, sorted
// list returns.
func checkSharesTheEngineRows(t *testing.T, svc *resource.Service, raw *Server, others ...*Server) {
	t.Helper()
	kind := svc.Schema().Kind("Item")
	ctx := context.Background()
	h := raw.Handler()
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)

	// A raw create, then a raw update, as the engine sees them.
	rec := do(t, h, http.MethodPost, "/api/items", body("first", "gamma", base, 1))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	created := decodeEnvelope(t, rec)
	id := created.Meta.ResourceID
	if loc := rec.Header().Get("Location"); loc != "/api/items/"+id {
		t.Errorf("Location = %q", loc)
	}
	rec = do(t, h, http.MethodPut, "/api/items/"+id, body("second", "gamma", base, 2))
	if rec.Code != http.StatusOK {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	updated := decodeEnvelope(t, rec)
	if updated.RevisionInfo.RevisionID != id+":2" || *updated.RevisionInfo.ParentRevisionID != id+":1" {
		t.Errorf("update wrote revision %q with parent %v, want %s:2 after %s:1",
			updated.RevisionInfo.RevisionID, updated.RevisionInfo.ParentRevisionID, id, id)
	}
	got, err := svc.Get(ctx, kind, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, updated.Data) || got.RevisionInfo.DataHash != resource.DataHash(updated.Data) {
		t.Errorf("engine reads data %s hash %s; raw wrote %s", got.Data, got.RevisionInfo.DataHash, updated.Data)
	}
	if got.Meta.TotalRevisionCount != 2 || got.Meta.CurrentRevisionID != id+":2" {
		t.Errorf("engine reads meta %+v", got.Meta)
	}
	revs, err := svc.Revisions(ctx, kind, id, resource.RevisionQuery{Chain: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(revs.Items) != 2 {
		t.Errorf("engine sees %d revisions in the chain, want 2", len(revs.Items))
	}
	// An update with the same content writes nothing.
	rec = do(t, h, http.MethodPut, "/api/items/"+id, body("second", "gamma", base, 2))
	if env := decodeEnvelope(t, rec); env.RevisionInfo.RevisionID != id+":2" {
		t.Errorf("unchanged update wrote %s", env.RevisionInfo.RevisionID)
	}

	// Engine writes, served by the raw GET as the engine's own envelope.
	repo := benchitem.NewItemRepository(svc)
	for i, cat := range []string{"gamma", "alpha", "gamma", "gamma"} {
		score := int64(i)
		_, err := repo.Create(ctx, &benchitem.Item{
			Title: "engine", Category: benchitem.ItemCategory(cat),
			HappenedAt: base.Add(time.Duration(i+1) * time.Hour), Score: &score,
		}, resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	page, err := svc.List(ctx, kind, resource.ListQuery{Filter: `category = "gamma"`, Sort: "-happened_at", Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range page.Items {
		rec := do(t, h, http.MethodGet, "/api/items/"+env.Meta.ResourceID, "")
		want := httptest.NewRecorder()
		c := echoContext(want)
		if err := rest.Envelope(c, http.StatusOK, env); err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(rec.Body.String()) != strings.TrimSpace(want.Body.String()) {
			t.Errorf("raw GET body\n%s\nengine envelope\n%s", rec.Body, want.Body)
		}
		if rec.Header().Get("ETag") != want.Header().Get("ETag") {
			t.Errorf("raw ETag %q, engine %q", rec.Header().Get("ETag"), want.Header().Get("ETag"))
		}
	}

	// The raw list returns the engine's list: same ids, same order.
	var wantIDs []string
	for _, env := range page.Items {
		wantIDs = append(wantIDs, env.Meta.ResourceID)
	}
	for _, srv := range append([]*Server{raw}, others...) {
		rec = do(t, srv.Handler(), http.MethodGet, "/api/items?category=gamma&limit=20", "")
		if rec.Code != http.StatusOK {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		var rawPage struct {
			Items []resource.Envelope `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &rawPage); err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		for _, env := range rawPage.Items {
			gotIDs = append(gotIDs, env.Meta.ResourceID)
		}
		if strings.Join(gotIDs, ",") != strings.Join(wantIDs, ",") || len(wantIDs) != 4 {
			t.Errorf("raw list %v, engine list %v (want 4 gamma items)", gotIDs, wantIDs)
		}
	}
}

func TestSQLiteNeedsTheEngineSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.db")
	_, err := NewSQLite(path, PlanEngine)
	if err == nil || !strings.Contains(err.Error(), "not created by the specstar SQLite backend") {
		t.Fatalf("err = %v, want a missing-index error", err)
	}
}

func TestMemory(t *testing.T) {
	h := NewMemory().Handler()
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	var ids []string
	for i, cat := range []string{"beta", "gamma", "beta", "beta"} {
		rec := do(t, h, http.MethodPost, "/api/items", body("item", cat, base.Add(time.Duration(i)*time.Hour), i))
		if rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		ids = append(ids, decodeEnvelope(t, rec).Meta.ResourceID)
	}
	rec := do(t, h, http.MethodPut, "/api/items/"+ids[0], body("changed", "beta", base, 9))
	if env := decodeEnvelope(t, rec); rec.Code != http.StatusOK || env.Meta.TotalRevisionCount != 2 {
		t.Fatalf("update: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, h, http.MethodGet, "/api/items/"+ids[0], "")
	env := decodeEnvelope(t, rec)
	if rec.Code != http.StatusOK || !strings.Contains(string(env.Data), `"changed"`) || rec.Header().Get("ETag") != `"`+ids[0]+`:2"` {
		t.Errorf("get after update: %d %s ETag %s", rec.Code, rec.Body, rec.Header().Get("ETag"))
	}
	rec = do(t, h, http.MethodGet, "/api/items?category=beta&limit=2", "")
	var page struct {
		Items      []resource.Envelope `json:"items"`
		NextCursor *string             `json:"next_cursor"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].Meta.ResourceID != ids[3] || page.Items[1].Meta.ResourceID != ids[2] || page.NextCursor == nil {
		t.Errorf("list: %s; want items 3 and 2 (newest first) and a next cursor", rec.Body)
	}
}

// requestError is a bad request and the status every baseline answers.
type requestError struct {
	name   string
	method string
	path   string
	body   string
	want   int
}

// requestErrors returns the bad requests of TestRequestErrors.
func requestErrors() []requestError {
	at := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	return []requestError{
		{name: "unknown field", method: http.MethodPost, path: "/api/items", body: `{"title":"x","category":"beta","happened_at":"2024-01-01T00:00:00Z","nope":1}`, want: http.StatusBadRequest},
		{name: "bad category", method: http.MethodPost, path: "/api/items", body: body("x", "omega", at, 1), want: http.StatusUnprocessableEntity},
		{name: "missing title", method: http.MethodPost, path: "/api/items", body: body("", "beta", at, 1), want: http.StatusUnprocessableEntity},
		{name: "negative score", method: http.MethodPost, path: "/api/items", body: body("x", "beta", at, -1), want: http.StatusUnprocessableEntity},
		{name: "unknown id", method: http.MethodGet, path: "/api/items/nope", want: http.StatusNotFound},
		{name: "update of an unknown id", method: http.MethodPut, path: "/api/items/nope", body: body("x", "beta", at, 1), want: http.StatusNotFound},
		{name: "list without category", method: http.MethodGet, path: "/api/items", want: http.StatusBadRequest},
		{name: "list with a bad limit", method: http.MethodGet, path: "/api/items?category=beta&limit=0", want: http.StatusBadRequest},
	}
}

// checkRequestErrors sends every request of requestErrors to h.
func checkRequestErrors(t *testing.T, name string, h http.Handler) {
	for _, tt := range requestErrors() {
		t.Run(name+"/"+tt.name, func(t *testing.T) {
			if rec := do(t, h, tt.method, tt.path, tt.body); rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	_, path := specstarStore(t)
	sqliteServer, err := NewSQLite(path, PlanEngine)
	if err != nil {
		t.Fatal(err)
	}
	defer sqliteServer.Close()
	checkRequestErrors(t, "sqlite", sqliteServer.Handler())
	checkRequestErrors(t, "memory", NewMemory().Handler())
}

func TestFixed(t *testing.T) {
	const envelope = `{"data":{"title":"x"}}`
	h := NewFixed([]byte(envelope), `"abc:1"`).Handler()
	for _, id := range []string{"a", "b"} {
		rec := do(t, h, http.MethodGet, "/api/items/"+id, "")
		if rec.Code != http.StatusOK || rec.Body.String() != envelope || rec.Header().Get("ETag") != `"abc:1"` {
			t.Errorf("GET %s: %d %q ETag %q", id, rec.Code, rec.Body, rec.Header().Get("ETag"))
		}
	}
}
