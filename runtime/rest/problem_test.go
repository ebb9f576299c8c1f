package rest

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

func TestErrorHandler(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   resource.Code
		wantType   string
		wantDetail string
		wantFields []resource.FieldError
		wantLog    bool
	}{
		{name: "resource not found", err: resource.Errorf(resource.CodeNotFound, "post 1 not found"),
			wantStatus: 404, wantCode: resource.CodeNotFound, wantType: "https://specstar.dev/problems/not-found",
			wantDetail: "post 1 not found"},
		{name: "validation with fields", err: &resource.Error{Code: resource.CodeValidation, Detail: "bad",
			Fields: []resource.FieldError{{Field: "title", Message: "is required"}}},
			wantStatus: 422, wantCode: resource.CodeValidation, wantType: "https://specstar.dev/problems/validation-error",
			wantDetail: "bad", wantFields: []resource.FieldError{{Field: "title", Message: "is required"}}},
		{name: "wrapped resource error", err: fmt.Errorf("handler: %w", resource.Errorf(resource.CodeConflict, "taken")),
			wantStatus: 409, wantCode: resource.CodeConflict, wantType: "https://specstar.dev/problems/conflict", wantDetail: "taken"},
		{name: "precondition failed", err: resource.Errorf(resource.CodePreconditionFailed, "etag mismatch"),
			wantStatus: 412, wantCode: resource.CodePreconditionFailed, wantType: "https://specstar.dev/problems/precondition-failed", wantDetail: "etag mismatch"},
		{name: "resource internal hides detail", err: resource.Errorf(resource.CodeInternal, "disk /var/x failed"),
			wantStatus: 500, wantCode: resource.CodeInternal, wantType: "https://specstar.dev/problems/internal",
			wantDetail: "internal server error", wantLog: true},
		{name: "echo route not found", err: echo.ErrNotFound,
			wantStatus: 404, wantCode: resource.CodeNotFound, wantType: "https://specstar.dev/problems/not-found",
			wantDetail: "no resource matches the request URL"},
		{name: "echo method not allowed", err: echo.ErrMethodNotAllowed,
			wantStatus: 405, wantCode: resource.CodeBadRequest, wantType: "about:blank",
			wantDetail: "the request method is not allowed for this URL"},
		{name: "echo body limit", err: echo.ErrStatusRequestEntityTooLarge,
			wantStatus: 413, wantCode: resource.CodePayloadTooLarge, wantType: "https://specstar.dev/problems/payload-too-large",
			wantDetail: "the request body is too large"},
		{name: "echo unauthorized", err: echo.NewHTTPError(http.StatusUnauthorized, "missing token"),
			wantStatus: 401, wantCode: resource.CodeUnauthenticated, wantType: "https://specstar.dev/problems/unauthenticated",
			wantDetail: "missing token"},
		{name: "echo too many requests", err: echo.ErrTooManyRequests,
			wantStatus: 429, wantCode: resource.CodeRateLimited, wantType: "https://specstar.dev/problems/rate-limited",
			wantDetail: "too many requests"},
		{name: "echo other 4xx", err: echo.NewHTTPError(http.StatusRequestURITooLong),
			wantStatus: 414, wantCode: resource.CodeBadRequest, wantType: "about:blank", wantDetail: "uri too long"},
		{name: "echo non-string message", err: echo.NewHTTPError(http.StatusBadRequest, map[string]int{"a": 1}),
			wantStatus: 400, wantCode: resource.CodeBadRequest, wantType: "https://specstar.dev/problems/bad-request", wantDetail: "bad request"},
		{name: "echo 503 hides message", err: echo.NewHTTPError(http.StatusServiceUnavailable, "db at 10.0.0.1 down"),
			wantStatus: 500, wantCode: resource.CodeInternal, wantType: "https://specstar.dev/problems/internal",
			wantDetail: "internal server error", wantLog: true},
		{name: "echo invalid status", err: echo.NewHTTPError(299, "odd"),
			wantStatus: 500, wantCode: resource.CodeInternal, wantDetail: "internal server error", wantLog: true,
			wantType: "https://specstar.dev/problems/internal"},
		{name: "max bytes error", err: &http.MaxBytesError{Limit: 10},
			wantStatus: 413, wantCode: resource.CodePayloadTooLarge, wantType: "https://specstar.dev/problems/payload-too-large",
			wantDetail: "larger than the limit of 10 bytes"},
		{name: "plain error", err: errors.New("sql: connection refused at /tmp/secret.db"),
			wantStatus: 500, wantCode: resource.CodeInternal, wantType: "https://specstar.dev/problems/internal",
			wantDetail: "internal server error", wantLog: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := ErrorHandler(slog.New(slog.NewTextHandler(&logs, nil)))
			c, rec := newContext(http.MethodGet, "/api/posts", "", "")
			c.Response().Header().Set(echo.HeaderXRequestID, "req-42")
			h(tt.err, c)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			p := decodeProblem(t, rec)
			if p.Code != tt.wantCode || p.Type != tt.wantType || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Errorf("problem = %+v, want code %s, type %s, detail containing %q", p, tt.wantCode, tt.wantType, tt.wantDetail)
			}
			if p.Errors == nil || len(p.Errors) != len(tt.wantFields) {
				t.Errorf("errors = %#v, want %v", p.Errors, tt.wantFields)
			}
			for i := range tt.wantFields {
				if i < len(p.Errors) && p.Errors[i] != tt.wantFields[i] {
					t.Errorf("errors[%d] = %+v, want %+v", i, p.Errors[i], tt.wantFields[i])
				}
			}
			if !strings.Contains(rec.Body.String(), `"errors":[`) {
				t.Errorf("body %s has no errors array", rec.Body)
			}
			logged := logs.String()
			if tt.wantLog {
				if !strings.Contains(logged, "request_id=req-42") || !strings.Contains(logged, "error=") {
					t.Errorf("log %q lacks the request id or error", logged)
				}
				if strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "10.0.0.1") {
					t.Errorf("body leaks internals: %s", rec.Body)
				}
			} else if logged != "" {
				t.Errorf("unexpected log %q", logged)
			}
		})
	}
}

func TestErrorHandlerHead(t *testing.T) {
	h := ErrorHandler(slog.New(slog.DiscardHandler))
	c, rec := newContext(http.MethodHead, "/api/posts/1", "", "")
	h(resource.Errorf(resource.CodeGone, "deleted"), c)
	if rec.Code != http.StatusGone {
		t.Errorf("status = %d, want 410", rec.Code)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("HEAD response has a body: %q", rec.Body)
	}
	if ct := rec.Header().Get(echo.HeaderContentType); ct != ProblemContentType {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestErrorHandlerCommitted(t *testing.T) {
	var logs bytes.Buffer
	h := ErrorHandler(slog.New(slog.NewTextHandler(&logs, nil)))
	c, rec := newContext(http.MethodGet, "/api/posts", "", "")
	if err := c.String(http.StatusOK, "partial"); err != nil {
		t.Fatal(err)
	}
	h(errors.New("stream broke"), c)
	if rec.Code != http.StatusOK || rec.Body.String() != "partial" {
		t.Errorf("response = %d %q, want the committed 200 untouched", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "stream broke") {
		t.Errorf("log %q does not record the error", logs.String())
	}
}

func TestErrorHandlerRouting(t *testing.T) {
	e := echo.New()
	e.HTTPErrorHandler = ErrorHandler(slog.New(slog.DiscardHandler))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, 8)
			return next(c)
		}
	})
	e.GET("/api/posts", func(c echo.Context) error { return c.NoContent(http.StatusNoContent) })
	e.POST("/api/posts", func(c echo.Context) error {
		var v map[string]any
		return DecodeJSON(c, &v)
	})
	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		wantStatus int
		wantCode   resource.Code
	}{
		{name: "unknown route", method: http.MethodGet, target: "/nope", wantStatus: 404, wantCode: resource.CodeNotFound},
		{name: "wrong method", method: http.MethodDelete, target: "/api/posts", wantStatus: 405, wantCode: resource.CodeBadRequest},
		{name: "body over limit", method: http.MethodPost, target: "/api/posts", body: `{"a":"0123456789"}`,
			wantStatus: 413, wantCode: resource.CodePayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if p := decodeProblem(t, rec); p.Code != tt.wantCode {
				t.Errorf("code = %s, want %s", p.Code, tt.wantCode)
			}
		})
	}
}

// TestUnauthenticatedNamesTheScheme checks that a 401 carries
// WWW-Authenticate: Bearer unless the handler set its own.
func TestUnauthenticatedNamesTheScheme(t *testing.T) {
	for _, tc := range []struct{ name, set, want string }{
		{name: "default", want: `Bearer realm="api"`},
		{name: "handler's own", set: `Bearer error="invalid_token"`, want: `Bearer error="invalid_token"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			rec := httptest.NewRecorder()
			c := e.NewContext(httptest.NewRequest(http.MethodGet, "/api/posts", nil), rec)
			if tc.set != "" {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, tc.set)
			}
			ErrorHandler(slog.New(slog.DiscardHandler))(resource.Errorf(resource.CodeUnauthenticated, "sign in"), c)
			if rec.Code != http.StatusUnauthorized || rec.Header().Get(echo.HeaderWWWAuthenticate) != tc.want {
				t.Fatalf("status %d, WWW-Authenticate %q; want 401, %q", rec.Code, rec.Header().Get(echo.HeaderWWWAuthenticate), tc.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
	ErrorHandler(slog.New(slog.DiscardHandler))(resource.Errorf(resource.CodeForbidden, "no"), c)
	if h := rec.Header().Get(echo.HeaderWWWAuthenticate); h != "" {
		t.Fatalf("a 403 carries WWW-Authenticate %q", h)
	}
}
