// Package jsonpatch implements JSON Merge Patch (RFC 7386) and JSON Patch
// (RFC 6902): applying both kinds of patch, and computing the JSON Patch
// that turns one document into another.
//
// Documents are decoded with json.Decoder.UseNumber, so numbers (large
// integers in particular) pass through unchanged. Results are re-encoded
// compactly with object keys in sorted order and without HTML escaping.
package jsonpatch

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Operation is one JSON Patch operation (RFC 6902 §4).
//
// Value is meaningful for add, replace and test, and is always written for
// them (a nil Value is written as null). From is meaningful for move and
// copy, and is written only for them.
type Operation struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// MarshalJSON writes the members RFC 6902 defines for o.Op and no others.
func (o Operation) MarshalJSON() ([]byte, error) {
	type opPath struct {
		Op   string `json:"op"`
		Path string `json:"path"`
	}
	switch o.Op {
	case OpAdd, OpReplace, OpTest:
		value := o.Value
		if len(value) == 0 {
			value = json.RawMessage("null")
		}
		return json.Marshal(struct {
			opPath
			Value json.RawMessage `json:"value"`
		}{opPath{o.Op, o.Path}, value})
	case OpMove, OpCopy:
		return json.Marshal(struct {
			opPath
			From string `json:"from"`
		}{opPath{o.Op, o.Path}, o.From})
	default:
		return json.Marshal(opPath{o.Op, o.Path})
	}
}

// The operation names of RFC 6902 §4.
const (
	OpAdd     = "add"
	OpRemove  = "remove"
	OpReplace = "replace"
	OpMove    = "move"
	OpCopy    = "copy"
	OpTest    = "test"
)

// Errors that Apply and MergePatch wrap, so that callers can tell the
// client's mistakes apart with errors.Is.
var (
	// ErrInvalidPatch: the patch document is malformed (not JSON, not an
	// array of operation objects, an unknown op, a missing member, a
	// syntactically invalid JSON Pointer, a move into its own child).
	ErrInvalidPatch = errors.New("invalid patch")
	// ErrPathNotFound: an operation names a location that does not exist
	// in the document (or, for add, whose parent does not exist), or an
	// array index that is not valid for the array.
	ErrPathNotFound = errors.New("path not found")
	// ErrTestFailed: a test operation found a different value.
	ErrTestFailed = errors.New("test failed")
)

// OpError reports which operation of a JSON Patch failed and why. Err
// wraps one of ErrInvalidPatch, ErrPathNotFound or ErrTestFailed.
type OpError struct {
	Index int    // position of the operation in the patch, from 0
	Op    string // its op member, "" when missing
	Path  string // its path member, "" when missing
	Err   error
}

// Error returns "operation <index> (<op> "<path>"): <reason>".
func (e *OpError) Error() string {
	return fmt.Sprintf("operation %d (%s %q): %v", e.Index, e.Op, e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *OpError) Unwrap() error { return e.Err }
