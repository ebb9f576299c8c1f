package rest

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

func testEnvelope(status string) *resource.Envelope {
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	return &resource.Envelope{
		Data: json.RawMessage(`{"title":"<hi>"}`),
		Meta: resource.Meta{ResourceID: "0190-abc", CurrentRevisionID: "0190-abc:2", TotalRevisionCount: 2,
			SchemaVersion: 1, CreatedTime: now, UpdatedTime: now},
		RevisionInfo: resource.RevisionInfo{RevisionID: "0190-abc:2", ResourceID: "0190-abc", Number: 2, Status: status,
			DataHash: "sha256:0123456789abcdef0123", SchemaVersion: 1, CreatedTime: now, UpdatedTime: now},
	}
}

func TestJSON(t *testing.T) {
	c, rec := newContext(http.MethodGet, "/api/posts/count", "", "")
	if err := JSON(c, http.StatusOK, map[string]any{"count": 3, "html": "<&>"}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("response = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if got, want := rec.Body.String(), `{"count":3,"html":"<&>"}`+"\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestJSONEncodingError(t *testing.T) {
	c, rec := newContext(http.MethodGet, "/", "", "")
	if err := JSON(c, http.StatusOK, func() {}); err == nil {
		t.Fatal("JSON of a func succeeded")
	}
	if c.Response().Committed || rec.Body.Len() != 0 {
		t.Errorf("an encoding error wrote a response")
	}
}

func TestEnvelope(t *testing.T) {
	tests := []struct {
		name     string
		status   string
		wantETag string
	}{
		{name: "stable", status: resource.StatusStable, wantETag: `"0190-abc:2"`},
		{name: "draft", status: resource.StatusDraft, wantETag: `"0190-abc:2+0123456789ab"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newContext(http.MethodGet, "/api/posts/0190-abc", "", "")
			env := testEnvelope(tt.status)
			if err := Envelope(c, http.StatusOK, env); err != nil {
				t.Fatal(err)
			}
			if got := rec.Header().Get("ETag"); got != tt.wantETag {
				t.Errorf("ETag = %q, want %q", got, tt.wantETag)
			}
			var back resource.Envelope
			if err := json.Unmarshal(rec.Body.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			if string(back.Data) != `{"title":"<hi>"}` || back.Meta.ResourceID != "0190-abc" || back.RevisionInfo.Status != tt.status {
				t.Errorf("body = %s", rec.Body)
			}
		})
	}
}

func TestCreated(t *testing.T) {
	tests := []struct {
		name         string
		target       string
		wantLocation string
	}{
		{name: "collection path", target: "/api/posts", wantLocation: "/api/posts/0190-abc"},
		{name: "trailing slash", target: "/api/posts/", wantLocation: "/api/posts/0190-abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newContext(http.MethodPost, tt.target, "", "")
			if err := Created(c, testEnvelope(resource.StatusStable)); err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusCreated {
				t.Errorf("status = %d, want 201", rec.Code)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			if got := rec.Header().Get("ETag"); got != `"0190-abc:2"` {
				t.Errorf("ETag = %q", got)
			}
		})
	}
}

func TestNotModified(t *testing.T) {
	tests := []struct {
		name        string
		ifNoneMatch string
		want        bool
	}{
		{name: "no header", ifNoneMatch: "", want: false},
		{name: "matching", ifNoneMatch: `"0190-abc:2"`, want: true},
		{name: "in a list", ifNoneMatch: `"x:1", "0190-abc:2"`, want: true},
		{name: "weak matches", ifNoneMatch: `W/"0190-abc:2"`, want: true},
		{name: "star", ifNoneMatch: `*`, want: true},
		{name: "other revision", ifNoneMatch: `"0190-abc:1"`, want: false},
		{name: "unquoted does not match", ifNoneMatch: `0190-abc:2`, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newContext(http.MethodGet, "/api/posts/0190-abc", "", "")
			if tt.ifNoneMatch != "" {
				c.Request().Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			if got := NotModified(c, testEnvelope(resource.StatusStable)); got != tt.want {
				t.Fatalf("NotModified = %v, want %v", got, tt.want)
			}
			if !tt.want {
				if c.Response().Committed {
					t.Error("NotModified wrote a response")
				}
				return
			}
			if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
				t.Errorf("response = %d %q, want an empty 304", rec.Code, rec.Body)
			}
			if rec.Header().Get("ETag") != `"0190-abc:2"` {
				t.Errorf("ETag = %q", rec.Header().Get("ETag"))
			}
		})
	}
}
