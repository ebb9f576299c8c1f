// Package rest holds the echo helpers that generated REST handlers call:
// problem+json error responses (RFC 9457), strict JSON body decoding,
// merge and JSON Patch bodies, query parameters, and envelope responses
// with ETags and conditional requests.
//
// Every client mistake is reported as a *resource.Error, which
// ErrorHandler turns into a problem response with the code's status.
package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// headerETag is the canonical ETag header name (echo has no constant).
const headerETag = "ETag"

// JSON writes v as a JSON response with the given status. HTML characters
// are not escaped. v is encoded before anything is written, so an
// encoding error leaves the response untouched for the error handler.
//
// Envelopes, pages and revision pages (as pointers) take a hand-written
// encoder that yields the same bytes as encoding/json (see encode.go);
// every other value, and those holding anything unusual, is encoded by
// encoding/json.
func JSON(c echo.Context, status int, v any) error {
	buf := getBuffer()
	defer putBuffer(buf)
	out, ok, err := appendFast(*buf, v)
	if !ok || err != nil {
		if err != nil && !errors.Is(err, errUnusual) {
			return err
		}
		w := bytes.NewBuffer(out[:0])
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return err
		}
		out = w.Bytes()
	}
	*buf = out
	return c.Blob(status, echo.MIMEApplicationJSON, out)
}

// Items writes the 200 response {"items": [...]} of a listing that has no
// paging, such as the referrers of a resource; nil items are written as
// an empty list.
func Items[T any](c echo.Context, items []T) error {
	if items == nil {
		items = []T{}
	}
	return JSON(c, http.StatusOK, struct {
		Items []T `json:"items"`
	}{items})
}

// Envelope writes env with the given status and its ETag.
func Envelope(c echo.Context, status int, env *resource.Envelope) error {
	c.Response().Header().Set(headerETag, resource.ETag(&env.RevisionInfo))
	return JSON(c, status, env)
}

// Created writes env as the 201 response of a create, with its ETag and
// a Location of the request path followed by the resource id.
func Created(c echo.Context, env *resource.Envelope) error {
	loc := strings.TrimSuffix(c.Request().URL.Path, "/") + "/" + url.PathEscape(env.Meta.ResourceID)
	c.Response().Header().Set(echo.HeaderLocation, loc)
	return Envelope(c, http.StatusCreated, env)
}

// NotModified handles If-None-Match for a read of env: when the header is
// "*" or lists env's ETag (weak comparison, RFC 9110 §13.1.2), it writes a
// 304 with the ETag and reports true, and the handler must write nothing
// else.
func NotModified(c echo.Context, env *resource.Envelope) bool {
	header := c.Request().Header.Get("If-None-Match")
	if header == "" {
		return false
	}
	etag := resource.ETag(&env.RevisionInfo)
	if !matchNoneMatch(header, etag) {
		return false
	}
	c.Response().Header().Set(headerETag, etag)
	// NoContent only fails when the connection does; the handler has
	// nothing left to do either way.
	_ = c.NoContent(http.StatusNotModified)
	return true
}

// matchNoneMatch reports whether an If-None-Match value matches etag.
func matchNoneMatch(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for part := range strings.SplitSeq(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(part), "W/") == want {
			return true
		}
	}
	return false
}
