package rest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/specstar-go/specstar/runtime/validate"
)

// The fast path of Decode.
//
// Decode's checks build a generic tree of the body to report every
// mistake at once, then decode the body again into the model: two
// parses, where a valid body, the common case, needs one. decodeValid
// decodes once, strictly, and accepts the result only when the slow path
// could have found nothing to report: the body is one object, every key
// at every depth names a field exactly (encoding/json also matches keys
// that differ in case, which Decode refuses), no key needs unescaping to
// be compared, and every required path is a top-level key with a value
// other than null, and every string and key is Unicode without U+0000
// (validate.TextFault: one vectorised pass over the body, as encoding/json
// would silently replace what is not Unicode). Anything else, valid or
// not, takes the slow path, which decides and explains; the fast path
// never produces an error.

// decodeValid decodes data into v, a pointer to a struct, and reports
// whether it did so with the outcome the slow path would have had. When
// it reports false, v may hold a partial decode.
func decodeValid(data []byte, v any, required []string) bool {
	t := reflect.TypeOf(v)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return false
	}
	for _, path := range required {
		if strings.Contains(path, ".") {
			return false
		}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	if validate.TextFault(data) != validate.FaultNone {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false
	}
	if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) != 0 {
		return false // data after the object
	}
	s := keyScanner{data: trimmed, required: required, present: make([]bool, len(required))}
	if !s.object(t.Elem(), true) {
		return false
	}
	for _, ok := range s.present {
		if !ok {
			return false
		}
	}
	return true
}

// keyScanner walks a JSON value that encoding/json has accepted, so it
// skips syntax checks, and verifies its object keys against Go types.
type keyScanner struct {
	data []byte
	i    int
	// present[i] tells whether the top-level key required[i] has a
	// value other than null.
	required []string
	present  []bool
}

// fieldCache holds jsonFields by type: the fast path asks for the same
// few model types on every request.
var fieldCache sync.Map // reflect.Type -> map[string]jsonField

// cachedFields returns jsonFields(t), computed once per type.
func cachedFields(t reflect.Type) map[string]jsonField {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]jsonField)
	}
	f, _ := fieldCache.LoadOrStore(t, jsonFields(t))
	return f.(map[string]jsonField)
}

// value checks the value at s.i against t (nil: anything goes) and moves
// past it.
func (s *keyScanner) value(t reflect.Type) bool {
	s.space()
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t == timeType || t == numberType ||
		reflect.PointerTo(t).Implements(jsonUnmarshalerType) ||
		reflect.PointerTo(t).Implements(textUnmarshalerType) ||
		t.Kind() == reflect.Interface) {
		t = nil // the type decodes its own input: keys inside are not fields
	}
	switch s.data[s.i] {
	case '{':
		return s.object(t, false)
	case '[':
		if t != nil && t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			// encoding/json fills []byte from an array of numbers too;
			// Decode wants base64 in a string.
			return false
		}
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		s.i++
		for {
			s.space()
			if s.data[s.i] == ']' {
				s.i++
				return true
			}
			if !s.value(elem) {
				return false
			}
			s.space()
			if s.data[s.i] == ',' {
				s.i++
			}
		}
	case '"':
		s.str() // an escaped string value is fine: only keys are compared
		return true
	default: // a number, true, false or null
		for s.i < len(s.data) && !isDelimiter(s.data[s.i]) {
			s.i++
		}
		return true
	}
}

// object checks the object at s.i against t: a struct's keys must name
// its fields exactly; a map's values are checked against its element
// type; any other t (nil) checks nothing below. With top, it records
// which required keys have values other than null.
func (s *keyScanner) object(t reflect.Type, top bool) bool {
	var fields map[string]jsonField
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = cachedFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	s.i++ // '{'
	for {
		s.space()
		switch s.data[s.i] {
		case '}':
			s.i++
			return true
		case ',':
			s.i++
			continue
		}
		key, ok := s.str()
		if !ok || top && key == "resource_id" {
			// An escaped key is compared only after unescaping; a
			// resource_id gets the slow path's own message.
			return false
		}
		valType := elem
		if fields != nil {
			f, ok := fields[key]
			if !ok {
				return false
			}
			valType = f.typ
			if f.quoted {
				valType = nil
			}
		}
		s.space()
		s.i++ // ':'
		s.space()
		if top {
			for i, r := range s.required {
				if r == key {
					// The last of duplicate keys wins, as in
					// encoding/json.
					s.present[i] = !bytes.HasPrefix(s.data[s.i:], []byte("null"))
				}
			}
		}
		if !s.value(valType) {
			return false
		}
	}
}

// str moves past the string at s.i and returns its contents, or false
// when it holds an escape sequence.
func (s *keyScanner) str() (string, bool) {
	s.i++ // '"'
	start, escaped := s.i, false
	for s.data[s.i] != '"' {
		if s.data[s.i] == '\\' {
			escaped = true
			s.i++
		}
		s.i++
	}
	s.i++
	if escaped {
		return "", false
	}
	return string(s.data[start : s.i-1]), true
}

// isDelimiter reports whether c ends a number or literal.
func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// space moves past white space.
func (s *keyScanner) space() {
	for s.i < len(s.data) && (s.data[s.i] == ' ' || s.data[s.i] == '\t' || s.data[s.i] == '\r' || s.data[s.i] == '\n') {
		s.i++
	}
}
