package rest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// newContext returns an echo context for a request, and its recorder.
func newContext(method, target, contentType, body string) (echo.Context, *httptest.ResponseRecorder) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	if contentType != "" {
		req.Header.Set(echo.HeaderContentType, contentType)
	}
	rec := httptest.NewRecorder()
	return echo.New().NewContext(req, rec), rec
}

// assertError checks that err is a *resource.Error with the given code,
// and, when given, field names (in order) and a detail substring.
func assertError(t *testing.T, err error, code resource.Code, fields []string, detail string) {
	t.Helper()
	re, ok := err.(*resource.Error)
	if !ok {
		t.Fatalf("error = %v (%T), want a *resource.Error %s", err, err, code)
	}
	if re.Code != code {
		t.Errorf("code = %s, want %s (error %v)", re.Code, code, re)
	}
	if fields != nil {
		var got []string
		for _, f := range re.Fields {
			got = append(got, f.Field)
		}
		if strings.Join(got, ",") != strings.Join(fields, ",") {
			t.Errorf("fields = %q, want %q (errors %+v)", got, fields, re.Fields)
		}
	}
	if !strings.Contains(re.Detail, detail) {
		t.Errorf("detail = %q, want it to contain %q", re.Detail, detail)
	}
}

// decodeProblem decodes a problem+json response.
func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get(echo.HeaderContentType); ct != ProblemContentType {
		t.Errorf("Content-Type = %q, want %q", ct, ProblemContentType)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body %q is not a problem: %v", rec.Body, err)
	}
	if p.Status != rec.Code {
		t.Errorf("problem status %d != response status %d", p.Status, rec.Code)
	}
	if p.Title != http.StatusText(rec.Code) {
		t.Errorf("title = %q, want %q", p.Title, http.StatusText(rec.Code))
	}
	return p
}
