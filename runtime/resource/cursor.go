package resource

import (
	"encoding/base64"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// maxCursorID bounds the resource id a list cursor may carry.
const maxCursorID = 512

// encodeListCursor returns the opaque cursor of a list page that ended
// with resource id: the base64url encoding of the id.
func encodeListCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

// decodeListCursor returns the resource id of a list cursor ("" for none).
func decodeListCursor(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) == 0 || len(b) > maxCursorID || !printable(b) {
		return "", badCursor()
	}
	return string(b), nil
}

// encodeRevisionCursor returns the opaque cursor of a revision page that
// ended with revision number n.
func encodeRevisionCursor(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(n)))
}

// decodeRevisionCursor returns the revision number of a revision cursor
// (0 for none).
func decodeRevisionCursor(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, badCursor()
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 || b[0] == '+' {
		return 0, badCursor()
	}
	return n, nil
}

// badCursor is the 400 of a cursor that was not issued by this service.
func badCursor() *Error {
	return &Error{
		Code:   CodeBadRequest,
		Detail: "cursor is not valid: pass next_cursor from a previous page unchanged",
		Fields: []FieldError{{Field: "cursor", Message: "is not a cursor issued by this API"}},
	}
}

// printable reports whether b is valid UTF-8 without control characters.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
