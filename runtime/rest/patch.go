package rest

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/jsonpatch"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Patch media types accepted by ReadPatch.
const (
	MIMEMergePatch = "application/merge-patch+json" // RFC 7386
	MIMEJSONPatch  = "application/json-patch+json"  // RFC 6902
)

// ReadPatch reads a PATCH request body and returns the function that
// applies it to the current data, for resource.Service.Patch. The
// Content-Type chooses the format: application/merge-patch+json (RFC 7386)
// or application/json-patch+json (RFC 6902); anything else, plain
// application/json included, is 415. Body limits give 413, an empty or
// malformed body 400.
//
// The returned function returns the patched document, which the caller
// must still decode and validate (with Decode). Its errors are
// *resource.Error values: a malformed JSON Patch is 400 BAD_REQUEST, a
// failed test operation 409 CONFLICT, and an operation on a location that
// does not exist 422 VALIDATION_ERROR naming the path.
func ReadPatch(c echo.Context) (func(current json.RawMessage) (json.RawMessage, error), error) {
	media, err := requireContentType(c, MIMEMergePatch, MIMEJSONPatch)
	if err != nil {
		return nil, err
	}
	body, err := readBody(c)
	if err != nil {
		return nil, err
	}
	if _, err := parseBody(body); err != nil {
		return nil, err
	}
	if media == MIMEMergePatch {
		return func(current json.RawMessage) (json.RawMessage, error) {
			out, err := jsonpatch.MergePatch(current, body)
			if err != nil {
				return nil, patchError(err)
			}
			return out, nil
		}, nil
	}
	return func(current json.RawMessage) (json.RawMessage, error) {
		out, err := jsonpatch.Apply(current, body)
		if err != nil {
			return nil, patchError(err)
		}
		return out, nil
	}, nil
}

// patchError maps a jsonpatch error to a client error. Other errors (the
// stored document is not JSON) are internal.
func patchError(err error) error {
	path := ""
	var oe *jsonpatch.OpError
	if errors.As(err, &oe) {
		path = oe.Path
	}
	switch {
	case errors.Is(err, jsonpatch.ErrInvalidPatch):
		return resource.Errorf(resource.CodeBadRequest, "invalid patch: %v", err)
	case errors.Is(err, jsonpatch.ErrTestFailed):
		return resource.Errorf(resource.CodeConflict, "patch test failed: %v", err)
	case errors.Is(err, jsonpatch.ErrPathNotFound):
		return &resource.Error{
			Code:   resource.CodeValidation,
			Detail: fmt.Sprintf("patch cannot be applied: %v", err),
			Fields: []resource.FieldError{{Field: path, Message: "does not exist"}},
		}
	}
	return fmt.Errorf("rest: applying patch: %w", err)
}
