package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// The middleware is written here rather than taken from
// echo/v4/middleware, whose package imports golang.org/x/time (for its
// rate limiter), a module this one does not require.

// maxRequestIDLen bounds a client-supplied X-Request-ID.
const maxRequestIDLen = 128

// requestID gives every request an id in the X-Request-ID response
// header: the client's, when it is short printable ASCII, else a new one
// from ids.
func requestID(ids *requestIDs) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			id := c.Request().Header.Get(echo.HeaderXRequestID)
			if !validRequestID(id) {
				id = ids.next()
			}
			// The key is canonical already: skip Header.Set's
			// canonicalization on this per-request path.
			c.Response().Header()[echo.HeaderXRequestID] = []string{id}
			return next(c)
		}
	}
}

// requestIDs generates request ids unique across processes: a random
// prefix drawn once per server and a counter. Request ids correlate log
// lines, they are not secrets, so they need not be unpredictable; a
// counter costs a fraction of reading crypto/rand on every request.
type requestIDs struct {
	prefix string
	n      atomic.Uint64
}

// newRequestIDs returns a generator with a fresh random prefix.
func newRequestIDs() *requestIDs {
	return &requestIDs{prefix: rand.Text()[:13] + "-"}
}

// next returns the next id: the prefix and the counter in base 32.
func (g *requestIDs) next() string {
	var buf [32]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendUint(b, g.n.Add(1), 32)
	return string(b)
}

// validRequestID reports whether a client-supplied id is safe to echo and
// log.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// accessLog logs one line per request once the response, error responses
// included, has been written.
func accessLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if !logger.Enabled(req.Context(), slog.LevelInfo) {
				// Access logging is off (-log-level warn or above):
				// skip the clock reads and the attributes.
				return next(c)
			}
			start := time.Now()
			if err := next(c); err != nil {
				// Write the error response now, so that the status is
				// known; echo does not call the handler again for nil.
				c.Error(err)
			}
			res := c.Response()
			logger.LogAttrs(req.Context(), slog.LevelInfo, "request",
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", res.Status),
				slog.Duration("duration", time.Since(start)),
				slog.Int64("bytes", res.Size),
				slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			)
			return nil
		}
	}
}

// recoverPanic turns a panic in a handler into an error (a 500 problem)
// and logs its stack. http.ErrAbortHandler is re-panicked: net/http uses
// it to abort a response on purpose.
func recoverPanic(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				r := recover()
				if r == nil {
					return
				}
				if r == http.ErrAbortHandler {
					panic(r)
				}
				logger.ErrorContext(c.Request().Context(), "panic in handler",
					"panic", fmt.Sprint(r),
					"request_id", c.Response().Header().Get(echo.HeaderXRequestID),
					"stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}()
			return next(c)
		}
	}
}

// bodyLimit refuses request bodies over limit bytes with a 413: at once
// when Content-Length says so, else when a read passes the limit (the
// body reader then returns an *http.MaxBytesError, which rest maps to a
// 413).
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if isUpload(req) {
				return next(c) // files bounds each part (max_size) while it streams
			}
			if req.ContentLength > limit {
				return resource.Errorf(resource.CodePayloadTooLarge,
					"the request body is larger than the limit of %d bytes", limit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				// The underlying writer, so that net/http learns of the
				// overflow and closes the connection after the response.
				req.Body = http.MaxBytesReader(c.Response().Writer, req.Body, limit)
			}
			return next(c)
		}
	}
}

// requestDeadline ends the context of every request when the server's
// write timeout passes: net/http then cuts the connection, so nobody is
// left to read the answer, and the work behind it (storage queries,
// GraphQL execution, hooks) should stop rather than run to completion.
// Writes whose transaction has not committed then roll back. GraphQL
// subscriptions (a WebSocket upgrade, or an SSE stream) are exempt: they
// clear the connection's deadlines and live until the client leaves.
func requestDeadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if d <= 0 || streaming(req) {
				return next(c)
			}
			ctx, cancel := context.WithTimeout(req.Context(), d)
			defer cancel()
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// streaming reports whether req opens a stream that outlives ordinary
// requests: a WebSocket upgrade or a Server-Sent Events request (the
// GraphQL handler lifts the connection's deadlines for the same ones).
func streaming(req *http.Request) bool {
	return req.Header.Get("Upgrade") != "" || strings.Contains(req.Header.Get("Accept"), "text/event-stream")
}

// isUpload reports whether req is a multipart/form-data request to the
// API (a write with file parts or POST /api/files), a GraphQL multipart
// request, or a form with file inputs to the admin. Their parts are bounded
// as they stream (the files package: max_size, Options.MaxUpload; the
// GraphQL handler: gql.Options BodyLimit and MaxUpload; the admin bounds its
// forms' text parts), so the body limit of JSON requests does not apply.
func isUpload(req *http.Request) bool {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data" &&
		(strings.HasPrefix(req.URL.Path, "/api/") || req.URL.Path == graphQLPath ||
			strings.HasPrefix(req.URL.Path, adminPath+"/"))
}
