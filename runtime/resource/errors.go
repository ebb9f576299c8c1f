package resource

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a machine-readable error code, shared by REST (problem+json
// "code") and GraphQL (extensions.code).
type Code string

// Error codes and their HTTP statuses (DESIGN.md §5).
const (
	CodeValidation         Code = "VALIDATION_ERROR"       // 422
	CodeBadRequest         Code = "BAD_REQUEST"            // 400
	CodeUnauthenticated    Code = "UNAUTHENTICATED"        // 401
	CodeForbidden          Code = "FORBIDDEN"              // 403
	CodeNotFound           Code = "NOT_FOUND"              // 404
	CodeGone               Code = "GONE"                   // 410
	CodeConflict           Code = "CONFLICT"               // 409
	CodePreconditionFailed Code = "PRECONDITION_FAILED"    // 412
	CodePayloadTooLarge    Code = "PAYLOAD_TOO_LARGE"      // 413
	CodeUnsupportedMedia   Code = "UNSUPPORTED_MEDIA_TYPE" // 415
	CodeRateLimited        Code = "RATE_LIMITED"           // 429
	CodeInternal           Code = "INTERNAL"               // 500
	CodeTimeout            Code = "TIMEOUT"                // 503
)

// Status returns the HTTP status of the code.
func (c Code) Status() int {
	switch c {
	case CodeValidation:
		return http.StatusUnprocessableEntity
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeGone:
		return http.StatusGone
	case CodeConflict:
		return http.StatusConflict
	case CodePreconditionFailed:
		return http.StatusPreconditionFailed
	case CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case CodeRateLimited:
		return http.StatusTooManyRequests
	case CodeTimeout:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// FieldError is one problem with one field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the error type of the engine: a code, a human-readable detail
// safe to show to clients, and optional per-field errors. Hooks and custom
// routes return it to answer a client mistake; REST sends it as
// problem+json, GraphQL as an error whose extensions.code is Code.
type Error struct {
	Code   Code
	Detail string
	Fields []FieldError
	// Status is the HTTP status of a code of the application's own
	// (NewError); 0 means Code.Status().
	Status int
}

// HTTPStatus returns the HTTP status of the error: Status when set, else
// the status of its code.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Code.Status()
}

// Invalid returns a VALIDATION_ERROR (422) that names one field, as
// generated validation reports it. To report several fields at once,
// collect them in a ValidationErrors.
func Invalid(field, message string) *Error {
	return &Error{Code: CodeValidation, Detail: field + " " + message, Fields: []FieldError{{Field: field, Message: message}}}
}

// Forbidden returns a FORBIDDEN (403) error with a formatted detail.
func Forbidden(format string, args ...any) *Error {
	return Errorf(CodeForbidden, format, args...)
}

// NewError returns an error with the application's own HTTP status and
// code, such as NewError(402, "PAYMENT_REQUIRED", "the plan's quota is
// used up"). The detail is shown to clients. A status outside 400-499 is
// a server failure: clients get a bare 500 and the detail is only logged.
func NewError(status int, code Code, detail string) *Error {
	return &Error{Code: code, Detail: detail, Status: status}
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Detail)
	}
	return fmt.Sprintf("%s: %s: %s: %s", e.Code, e.Detail, e.Fields[0].Field, e.Fields[0].Message)
}

// Errorf returns an *Error with a formatted detail.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err: its *Error code, or CodeInternal.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ValidationErrors collects field errors during generated validation.
// The zero value is ready to use.
type ValidationErrors []FieldError

// Add records a problem with field.
func (v *ValidationErrors) Add(field, message string) {
	*v = append(*v, FieldError{Field: field, Message: message})
}

// Err returns nil when nothing was recorded, else a VALIDATION_ERROR.
func (v ValidationErrors) Err() error {
	if len(v) == 0 {
		return nil
	}
	return &Error{Code: CodeValidation, Detail: "the request body is not valid", Fields: v}
}

// Backend errors. Backends return these (possibly wrapped); Service turns
// them into *Error values with client-safe details.
var (
	// ErrNotFound: no such resource or revision.
	ErrNotFound = errors.New("not found")
	// ErrExists: Writer.CreateRecord found a record with the same id.
	ErrExists = errors.New("already exists")
)

// UniqueViolation is returned by a backend write that would make a unique
// field value appear on two live resources.
type UniqueViolation struct {
	Kind  string
	Field string
	// ID is the resource whose write violated the constraint, when the
	// backend knows it: a backend that reports the violation only at
	// COMMIT names the write it came from.
	ID string
}

func (u *UniqueViolation) Error() string {
	return fmt.Sprintf("unique violation on %s.%s", u.Kind, u.Field)
}
