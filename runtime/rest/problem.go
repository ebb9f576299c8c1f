package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// ProblemContentType is the media type of error responses (RFC 9457).
const ProblemContentType = "application/problem+json"

// ProblemTypeBase prefixes the type URI of every problem whose status is
// the natural status of its code: "https://specstar.dev/problems/not-found"
// for NOT_FOUND. Problems with another status (405 with BAD_REQUEST) use
// "about:blank", whose meaning is the HTTP status itself.
const ProblemTypeBase = "https://specstar.dev/problems/"

// internalDetail is the only detail a 500 response ever carries.
const internalDetail = "internal server error"

// timeoutDetail is the detail of a request stopped by its context: the
// server's time limit passed, the client left, or the server shut down.
const timeoutDetail = "the request was stopped before it finished: it ran past the server's time limit, or the server is shutting down; nothing it did was kept unless it was a write that had already committed"

// Problem is the body of every error response (RFC 9457 problem details
// with the specstar extensions code and errors).
type Problem struct {
	Type   string                `json:"type"`
	Title  string                `json:"title"`
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Code   resource.Code         `json:"code"`
	Errors []resource.FieldError `json:"errors"`
}

// newProblem builds a problem; errors is never nil, so it encodes as [].
func newProblem(status int, code resource.Code, detail string, fields []resource.FieldError) *Problem {
	typ := "about:blank"
	if status == code.Status() {
		typ = ProblemTypeBase + strings.ReplaceAll(strings.ToLower(string(code)), "_", "-")
	}
	if fields == nil {
		fields = []resource.FieldError{}
	}
	return &Problem{Type: typ, Title: http.StatusText(status), Status: status, Detail: detail, Code: code, Errors: fields}
}

// ErrorHandler returns an echo error handler that answers every error
// with an application/problem+json body:
//
//   - a *resource.Error (anywhere in the chain) gives its code, its
//     status, its detail and its field errors;
//   - an *echo.HTTPError gives its status, the code that matches it
//     (404 NOT_FOUND, 405 BAD_REQUEST, 413 PAYLOAD_TOO_LARGE, ...) and its
//     message as the detail;
//   - an *http.MaxBytesError gives 413 PAYLOAD_TOO_LARGE;
//   - an error of the request's context (its deadline passed, the client
//     left, the server is shutting down) gives 503 TIMEOUT, logged as a
//     warning;
//   - anything else, and any 5xx, gives 500 INTERNAL with the detail
//     "internal server error"; the real error is logged with the request
//     id, never sent.
//
// HEAD requests get the status and headers without a body. When the
// response is already committed the error is only logged. A nil logger
// means slog.Default().
func ErrorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(err error, c echo.Context) {
		p := problemFor(err)
		req := c.Request()
		if p.Code == resource.CodeTimeout {
			logger.WarnContext(req.Context(), "request stopped",
				"method", req.Method, "path", req.URL.Path, "request_id", requestID(c), "error", err)
		} else if p.Status >= http.StatusInternalServerError {
			logger.ErrorContext(req.Context(), "request failed",
				"method", req.Method, "path", req.URL.Path, "request_id", requestID(c), "error", err)
		}
		if c.Response().Committed {
			if p.Status < http.StatusInternalServerError {
				logger.WarnContext(req.Context(), "error after the response was committed",
					"method", req.Method, "path", req.URL.Path, "request_id", requestID(c), "error", err)
			}
			return
		}
		if werr := writeProblem(c, p); werr != nil {
			logger.WarnContext(req.Context(), "writing error response",
				"method", req.Method, "path", req.URL.Path, "request_id", requestID(c), "error", werr)
		}
	}
}

// writeProblem sends p; HEAD responses have no body.
func writeProblem(c echo.Context, p *Problem) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return err
	}
	// RFC 9110 §11.6.1: a 401 names the scheme that authenticates.
	if h := c.Response().Header(); p.Status == http.StatusUnauthorized && h.Get(echo.HeaderWWWAuthenticate) == "" {
		h.Set(echo.HeaderWWWAuthenticate, `Bearer realm="api"`)
	}
	if c.Request().Method == http.MethodHead {
		c.Response().Header().Set(echo.HeaderContentType, ProblemContentType)
		return c.NoContent(p.Status)
	}
	return c.Blob(p.Status, ProblemContentType, buf.Bytes())
}

// requestID returns the request id set by the request id middleware (on
// the response) or sent by the client.
func requestID(c echo.Context) string {
	if id := c.Response().Header().Get(echo.HeaderXRequestID); id != "" {
		return id
	}
	return c.Request().Header.Get(echo.HeaderXRequestID)
}

// problemFor maps an error to the problem sent to the client.
func problemFor(err error) *Problem {
	var re *resource.Error
	var he *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return newProblem(http.StatusServiceUnavailable, resource.CodeTimeout, timeoutDetail, nil)
	case errors.As(err, &re):
		status := re.HTTPStatus()
		if status < http.StatusBadRequest || status >= http.StatusInternalServerError {
			return newProblem(http.StatusInternalServerError, resource.CodeInternal, internalDetail, nil)
		}
		return newProblem(status, re.Code, re.Detail, re.Fields)
	case errors.As(err, &he):
		return httpErrorProblem(he)
	case errors.As(err, &mbe):
		return newProblem(http.StatusRequestEntityTooLarge, resource.CodePayloadTooLarge, bodyTooLargeDetail(mbe.Limit), nil)
	}
	return newProblem(http.StatusInternalServerError, resource.CodeInternal, internalDetail, nil)
}

// statusCodes maps HTTP error statuses to their error code. Statuses not
// listed are BAD_REQUEST (4xx) or INTERNAL (anything else).
var statusCodes = map[int]resource.Code{
	http.StatusBadRequest:            resource.CodeBadRequest,
	http.StatusUnauthorized:          resource.CodeUnauthenticated,
	http.StatusForbidden:             resource.CodeForbidden,
	http.StatusNotFound:              resource.CodeNotFound,
	http.StatusConflict:              resource.CodeConflict,
	http.StatusGone:                  resource.CodeGone,
	http.StatusPreconditionFailed:    resource.CodePreconditionFailed,
	http.StatusRequestEntityTooLarge: resource.CodePayloadTooLarge,
	http.StatusUnsupportedMediaType:  resource.CodeUnsupportedMedia,
	http.StatusUnprocessableEntity:   resource.CodeValidation,
	http.StatusTooManyRequests:       resource.CodeRateLimited,
}

// httpErrorProblem maps an echo error (routing, middleware) to a problem.
func httpErrorProblem(he *echo.HTTPError) *Problem {
	status := he.Code
	if status < 400 || status > 599 || http.StatusText(status) == "" {
		status = http.StatusInternalServerError
	}
	if status >= http.StatusInternalServerError {
		return newProblem(http.StatusInternalServerError, resource.CodeInternal, internalDetail, nil)
	}
	code, ok := statusCodes[status]
	if !ok {
		code = resource.CodeBadRequest
	}
	detail, _ := he.Message.(string)
	if detail == "" || detail == http.StatusText(status) {
		detail = defaultDetail(status)
	}
	return newProblem(status, code, detail, nil)
}

// defaultDetail explains a bare echo status error.
func defaultDetail(status int) string {
	switch status {
	case http.StatusNotFound:
		return "no resource matches the request URL"
	case http.StatusMethodNotAllowed:
		return "the request method is not allowed for this URL"
	case http.StatusRequestEntityTooLarge:
		return "the request body is too large"
	case http.StatusUnsupportedMediaType:
		return "the request content type is not supported"
	}
	return strings.ToLower(http.StatusText(status))
}

// bodyTooLargeDetail is the detail of a 413 with a known limit.
func bodyTooLargeDetail(limit int64) string {
	return fmt.Sprintf("the request body is larger than the limit of %d bytes", limit)
}
