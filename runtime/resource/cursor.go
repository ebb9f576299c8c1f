package resource

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/filter"
)

// maxCursor bounds the length of a list cursor a client may send.
const maxCursor = 8192

// listCursor is the JSON inside a list cursor: the sort-key values of the
// last resource of a page (ending with its resource id) and the hash of
// the query that listed it.
type listCursor struct {
	Keys []json.RawMessage `json:"k"`
	Hash string            `json:"h"`
}

// encodeListCursor returns the opaque cursor of a page that ended with a
// resource whose sort-key values are values (see SortValue): the
// base64url encoding of a listCursor.
func encodeListCursor(values []any, hash string) (string, error) {
	c := listCursor{Keys: make([]json.RawMessage, len(values)), Hash: hash}
	for i, v := range values {
		raw, err := cursorValue(v)
		if err != nil {
			return "", err
		}
		c.Keys[i] = raw
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("resource: encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// cursorValue encodes one sort-key value as JSON.
func cursorValue(v any) (json.RawMessage, error) {
	switch v := v.(type) {
	case nil:
		return json.RawMessage("null"), nil
	case float64:
		return json.RawMessage(strconv.FormatFloat(v, 'g', -1, 64)), nil
	case time.Time:
		return json.Marshal(v.UTC().Format(time.RFC3339Nano))
	case string, int64, bool:
		return json.Marshal(v)
	}
	return nil, fmt.Errorf("resource: encode cursor: unexpected sort value %T", v)
}

// decodeListCursor returns the keyset bound of a list cursor (nil for
// none): one value per sort key, typed as SortValue returns them. A
// cursor that was not issued for the same sort order, filter and deletion
// mode (hash) is a 400.
func decodeListCursor(cursor string, sort []filter.SortKey, hash string) ([]any, error) {
	if cursor == "" {
		return nil, nil
	}
	if len(cursor) > maxCursor {
		return nil, badCursor()
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || !utf8.Valid(b) {
		return nil, badCursor()
	}
	var c listCursor
	if err := json.Unmarshal(b, &c); err != nil || len(c.Keys) != len(sort) {
		return nil, badCursor()
	}
	if c.Hash != hash {
		return nil, &Error{
			Code:   CodeBadRequest,
			Detail: "cursor was issued for another sort, filter or deleted= mode: pass the same ones with every page, or start again without cursor",
			Fields: []FieldError{{Field: "cursor", Message: "does not belong to this sort, filter and deleted= mode"}},
		}
	}
	out := make([]any, len(sort))
	for i, key := range sort {
		v, ok := cursorKey(c.Keys[i], key.Field.Type)
		if !ok {
			return nil, badCursor()
		}
		out[i] = v
	}
	if id, ok := out[len(out)-1].(string); !ok || id == "" || len(id) > maxCursor || !printable([]byte(id)) {
		return nil, badCursor()
	}
	return out, nil
}

// cursorKey decodes one sort-key value of type t.
func cursorKey(raw json.RawMessage, t filter.Type) (any, bool) {
	if string(raw) == "null" {
		return nil, true
	}
	switch t {
	case filter.String, filter.Date:
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil
	case filter.DateTime:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, false
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		return tm.UTC(), err == nil
	case filter.Int:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		return n, err == nil
	case filter.Float:
		if len(raw) == 0 || raw[0] == '"' {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		return f, err == nil
	case filter.Bool:
		var v bool
		err := json.Unmarshal(raw, &v)
		return v, err == nil
	}
	return nil, false
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
