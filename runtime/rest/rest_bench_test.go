package rest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// benchData is the canonical data of a typical resource: a few short
// fields and a 300-byte text.
var benchData = json.RawMessage(`{"title":"Item 42","category":"gamma","happened_at":"2023-04-05T06:07:08Z",` +
	`"body":"` + strings.Repeat("lorem ipsum ", 25) + `","score":42}`)

// benchEnvelope returns the envelope of revision n of a resource.
func benchEnvelope(n int) *resource.Envelope {
	t := time.Date(2024, 5, 1, 8, 30, 0, 123456000, time.UTC)
	id := "0190f2a4-7c3e-7b7a-9d4e-" + strconv.Itoa(100000000000+n)
	parent := id + ":1"
	rev := resource.RevisionInfo{
		RevisionID: id + ":2", ParentRevisionID: &parent, ResourceID: id, Number: 2, Status: resource.StatusStable,
		DataHash:      "sha256:" + strings.Repeat("ab", 32),
		SchemaVersion: 1, CreatedTime: t, CreatedBy: "anonymous", UpdatedTime: t, UpdatedBy: "anonymous",
	}
	return &resource.Envelope{
		Data: benchData,
		Meta: resource.Meta{
			ResourceID: id, CurrentRevisionID: rev.RevisionID, TotalRevisionCount: 2, SchemaVersion: 1,
			CreatedTime: t, CreatedBy: "anonymous", UpdatedTime: t, UpdatedBy: "anonymous",
		},
		RevisionInfo: rev,
	}
}

// BenchmarkEnvelope measures writing one envelope response (a GET): the
// ETag and the JSON encoding.
func BenchmarkEnvelope(b *testing.B) {
	e := echo.New()
	env := benchEnvelope(1)
	req := httptest.NewRequest(http.MethodGet, "/api/items/x", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		if err := Envelope(e.NewContext(req, rec), http.StatusOK, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPage measures writing a list response of 20 envelopes.
func BenchmarkPage(b *testing.B) {
	e := echo.New()
	page := &resource.Page{}
	for i := range 20 {
		page.Items = append(page.Items, benchEnvelope(i))
	}
	next := "cursor"
	page.NextCursor = &next
	req := httptest.NewRequest(http.MethodGet, "/api/items", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		if err := JSON(e.NewContext(req, rec), http.StatusOK, page); err != nil {
			b.Fatal(err)
		}
	}
}

// benchItem is the typed model a generated handler decodes a body into.
type benchItem struct {
	Title      string    `json:"title"`
	Category   string    `json:"category"`
	HappenedAt time.Time `json:"happened_at"`
	Body       *string   `json:"body"`
	Score      *int64    `json:"score"`
}

// BenchmarkDecodeJSON measures the strict decoding of a create or update
// body into the typed model, with its required fields.
func BenchmarkDecodeJSON(b *testing.B) {
	e := echo.New()
	body := string(benchData)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/items", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		var v benchItem
		if err := DecodeJSON(e.NewContext(req, httptest.NewRecorder()), &v, "title", "category", "happened_at"); err != nil {
			b.Fatal(err)
		}
	}
}
