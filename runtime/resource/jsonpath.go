package resource

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Lookup returns the raw JSON value at a dotted path ("email",
// "address.city") inside a JSON object. It reports false when a member on
// the way is missing or is not an object. The returned slice aliases data.
func Lookup(data json.RawMessage, path string) (json.RawMessage, bool, error) {
	start, end, ok, err := pathSpan(data, path)
	if err != nil || !ok {
		return nil, false, err
	}
	return data[start:end:end], true, nil
}

// replacePath returns a copy of data with the value at a dotted path
// replaced by value. Members keep their order and every other byte is
// kept, so canonical data stays canonical. It reports false when the path
// does not exist.
func replacePath(data json.RawMessage, path string, value []byte) (json.RawMessage, bool, error) {
	start, end, ok, err := pathSpan(data, path)
	if err != nil || !ok {
		return nil, false, err
	}
	out := make([]byte, 0, len(data)-(end-start)+len(value))
	out = append(out, data[:start]...)
	out = append(out, value...)
	out = append(out, data[end:]...)
	return out, true, nil
}

// pathSpan locates the value at a dotted path: data[start:end] is its raw
// JSON.
func pathSpan(data []byte, path string) (start, end int, ok bool, err error) {
	base, obj := 0, data
	for {
		seg, rest, nested := strings.Cut(path, ".")
		s, e, found, err := memberSpan(obj, seg)
		if err != nil || !found {
			return 0, 0, false, err
		}
		if !nested {
			return base + s, base + e, true, nil
		}
		base, obj, path = base+s, obj[s:e], rest
	}
}

// memberSpan locates the value of the member key of the JSON object obj.
// When obj is valid JSON but not an object, the member does not exist. It
// scans bytes without decoding, so lookups on the write path allocate
// nothing (unless a key contains escapes).
func memberSpan(obj []byte, key string) (start, end int, ok bool, err error) {
	i := skipSpace(obj, 0)
	if i == len(obj) {
		return 0, 0, false, errors.New("invalid JSON data: empty")
	}
	if obj[i] != '{' {
		return 0, 0, false, nil
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return 0, 0, false, nil
	}
	for i < len(obj) {
		if obj[i] != '"' {
			break
		}
		ks, ke, escaped, err := scanString(obj, i)
		if err != nil {
			return 0, 0, false, err
		}
		i = skipSpace(obj, ke)
		if i == len(obj) || obj[i] != ':' {
			break
		}
		vs := skipSpace(obj, i+1)
		ve, err := skipValue(obj, vs)
		if err != nil {
			return 0, 0, false, err
		}
		if keyEquals(obj[ks:ke], escaped, key) {
			return vs, ve, true, nil
		}
		i = skipSpace(obj, ve)
		if i < len(obj) && obj[i] == '}' {
			return 0, 0, false, nil
		}
		if i == len(obj) || obj[i] != ',' {
			break
		}
		i = skipSpace(obj, i+1)
	}
	return 0, 0, false, errors.New("invalid JSON data: malformed object")
}

// keyEquals reports whether the raw JSON string raw (with quotes) is key.
func keyEquals(raw []byte, escaped bool, key string) bool {
	if !escaped {
		return string(raw[1:len(raw)-1]) == key
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && s == key
}

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// scanString scans the JSON string starting at b[i] == '"'. It returns
// the span including quotes and whether it contains escapes.
func scanString(b []byte, i int) (start, end int, escaped bool, err error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return i, j + 1, escaped, nil
		}
	}
	return 0, 0, false, errors.New("invalid JSON data: unterminated string")
}

// skipValue returns the end of the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errors.New("invalid JSON data: missing value")
	}
	switch b[i] {
	case '"':
		_, end, _, err := scanString(b, i)
		return end, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				_, end, _, err := scanString(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errors.New("invalid JSON data: unterminated container")
	}
	// A number or a literal: up to the next delimiter.
	j := i
	for j < len(b) && !strings.ContainsRune(" \t\r\n,}]", rune(b[j])) {
		j++
	}
	if j == i {
		return 0, errors.New("invalid JSON data: missing value")
	}
	return j, nil
}

// refIDs returns the resource ids held by the raw value of a ref field: one
// for a string, each element for a list of strings, none for null or a
// missing field.
func refIDs(raw json.RawMessage, list bool) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if list {
		var ids []string
		if err := json.Unmarshal(raw, &ids); err != nil {
			return nil, errors.New("must be a list of resource ids")
		}
		return ids, nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		return nil, errors.New("must be a resource id (a string)")
	}
	return []string{id}, nil
}

// isJSONObject reports whether data is one valid JSON object.
func isJSONObject(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	return len(data) > 0 && data[0] == '{' && json.Valid(data)
}
