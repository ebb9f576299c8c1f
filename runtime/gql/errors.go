package gql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/specstar-go/specstar/runtime/resource"
)

// internalMessage is the only message an internal error ever carries.
const internalMessage = "internal server error"

// InternalError marks an error that is not the client's doing: a storage
// failure or a bug. Its text is logged, never sent. Generated resolvers
// pass every error they return through Wrap, which produces one for
// anything that is not a *resource.Error.
type InternalError struct{ Err error }

func (e *InternalError) Error() string { return "internal: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *InternalError) Unwrap() error { return e.Err }

// Wrap classifies an error returned by the resource service: a
// *resource.Error (a client mistake with a safe detail) is returned as
// is, anything else becomes an *InternalError. Wrap(nil) is nil.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	var re *resource.Error
	var ie *InternalError
	if errors.As(err, &re) || errors.As(err, &ie) {
		return err
	}
	return &InternalError{Err: err}
}

// Codes gqlgen gives the errors it finds before execution. They become
// BAD_REQUEST, the REST code of a malformed request. (The limits of this
// package make their errors BAD_REQUEST themselves: see requestError.)
var requestErrorCodes = map[string]bool{
	errcode.ParseFailed:         true,
	errcode.ValidationFailed:    true,
	"COMPLEXITY_LIMIT_EXCEEDED": true,
}

// ErrorPresenter returns the gqlgen error presenter of the API. Every
// error gets extensions.code, one of the REST codes:
//
//   - a *resource.Error keeps its code and detail; its field errors go to
//     extensions.errors as [{field, message}], as in problem+json;
//   - parse, validation, document limit, depth and complexity errors are BAD_REQUEST
//     with gqlgen's message (extensions.reason keeps gqlgen's own code);
//   - an *InternalError, and a *resource.Error with a 5xx code, is
//     INTERNAL with the message "internal server error"; the cause is
//     logged;
//   - any other error (gqlgen's input coercion, for example) is a client
//     mistake: BAD_REQUEST with its message.
func ErrorPresenter(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		out := graphql.DefaultErrorPresenter(ctx, err)
		if out.Extensions == nil {
			out.Extensions = map[string]any{}
		}
		var re *resource.Error
		var ie *InternalError
		switch {
		case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
			logger.WarnContext(ctx, "graphql: stopped", "path", out.Path.String(), "error", err)
			out.Message = "the request was stopped before it finished: it ran past the server's time limit, or the server is shutting down"
			out.Err = nil
			out.Extensions = map[string]any{"code": string(resource.CodeTimeout)}
		case errors.As(err, &ie):
			logger.ErrorContext(ctx, "graphql: internal error", "path", out.Path.String(), "error", ie.Err)
			internal(out)
		case errors.As(err, &re):
			if st := re.HTTPStatus(); st < http.StatusBadRequest || st >= http.StatusInternalServerError {
				logger.ErrorContext(ctx, "graphql: internal error", "path", out.Path.String(), "error", re)
				internal(out)
				break
			}
			out.Message = re.Detail
			out.Extensions["code"] = string(re.Code)
			if len(re.Fields) > 0 {
				out.Extensions["errors"] = re.Fields
			}
		default:
			if code, ok := out.Extensions["code"].(string); ok && requestErrorCodes[code] {
				out.Extensions["reason"] = code
			}
			out.Extensions["code"] = string(resource.CodeBadRequest)
		}
		return out
	}
}

// internal turns e into the INTERNAL error clients see.
func internal(e *gqlerror.Error) {
	e.Message = internalMessage
	e.Err = nil
	e.Extensions = map[string]any{"code": string(resource.CodeInternal)}
}

// RecoverFunc returns the gqlgen recover function of the API: a panic in
// a resolver is logged with its stack and becomes an INTERNAL error.
func RecoverFunc(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, v any) error {
		logger.ErrorContext(ctx, "graphql: panic in resolver", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		return &InternalError{Err: fmt.Errorf("panic: %v", v)}
	}
}

// writeError answers a request that never reached gqlgen with a GraphQL
// response holding one error.
func writeError(w http.ResponseWriter, status int, e *resource.Error) {
	ext := map[string]any{"code": string(e.Code)}
	if len(e.Fields) > 0 {
		ext["errors"] = e.Fields
	}
	body, _ := json.Marshal(map[string]any{"errors": []map[string]any{{
		"message":    e.Detail,
		"extensions": ext,
	}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// CodeOf returns the code a client sees for err: the code of a
// *resource.Error, INTERNAL for anything else.
func CodeOf(err error) string {
	var ie *InternalError
	if errors.As(err, &ie) {
		return string(resource.CodeInternal)
	}
	return string(resource.CodeOf(err))
}
