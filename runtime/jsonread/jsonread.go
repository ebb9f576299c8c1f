// Package jsonread reads JSON without reflection: a cursor over the bytes
// of one value, with methods that read objects, arrays and the scalar
// types of the spec's fields. Generated code uses it to decode stored
// data faster than encoding/json (which resolves every field by
// reflection), for the data the GraphQL fast path writes.
//
// Its input must be valid JSON, as stored data is (the server writes it):
// it checks what it needs to read a value, not the whole grammar. It
// reads what encoding/json reads, with the same results; anything it is
// not sure of (a key that does not
// match exactly, a number or a string it cannot take as such) is an
// error, and the caller then decodes with encoding/json, which answers
// for every case, so the results never differ.
package jsonread

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"
)

// ErrSyntax is the error of a value the reader does not take.
var ErrSyntax = errors.New("jsonread: unexpected input")

// Reader reads one JSON value. The first error stops it: every later
// read returns zero values, and Err reports the error.
type Reader struct {
	data []byte
	pos  int
	err  error
}

// New returns a reader of data.
func New(data []byte) *Reader { return &Reader{data: data} }

// Reset makes r a reader of data, as New does, so that a Reader can live
// on the caller's stack.
func (r *Reader) Reset(data []byte) { *r = Reader{data: data} }

// Err returns the first error, or nil; after a complete read, it also
// reports bytes left after the value.
func (r *Reader) Err() error { return r.err }

// Done checks that nothing but white space follows the value and returns
// Err.
func (r *Reader) Done() error {
	if r.err == nil && r.skipSpace() {
		r.fail()
	}
	return r.err
}

// Fail stops the reader with ErrSyntax: the caller met a key or value it
// does not read.
func (r *Reader) Fail() { r.fail() }

func (r *Reader) fail() {
	if r.err == nil {
		r.err = ErrSyntax
	}
	r.pos = len(r.data)
}

// skipSpace skips white space and reports whether a byte follows.
func (r *Reader) skipSpace() bool {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return true
		}
	}
	return false
}

// peek returns the next byte after white space, 0 at the end.
func (r *Reader) peek() byte {
	if !r.skipSpace() {
		return 0
	}
	return r.data[r.pos]
}

// expect consumes byte c, or fails.
func (r *Reader) expect(c byte) bool {
	if r.peek() != c {
		r.fail()
		return false
	}
	r.pos++
	return true
}

// Null consumes a null and reports true, or reports false and consumes
// nothing.
func (r *Reader) Null() bool {
	if r.peek() == 'n' && len(r.data)-r.pos >= 4 && string(r.data[r.pos:r.pos+4]) == "null" {
		r.pos += 4
		return true
	}
	return false
}

// Object starts an object; iterate over its members with Key.
func (r *Reader) Object() bool { return r.expect('{') }

// Key returns the key of the next member of the current object (then
// read its value), or false after the last member. A key with escapes
// fails: stored keys are plain names.
func (r *Reader) Key() ([]byte, bool) {
	if r.err != nil {
		return nil, false
	}
	switch r.peek() {
	case '}':
		r.pos++
		return nil, false
	case ',':
		r.pos++
	}
	if r.peek() != '"' {
		r.fail()
		return nil, false
	}
	start := r.pos + 1
	end := start
	for end < len(r.data) && r.data[end] != '"' {
		if r.data[end] == '\\' || r.data[end] < 0x20 {
			r.fail()
			return nil, false
		}
		end++
	}
	if end >= len(r.data) {
		r.fail()
		return nil, false
	}
	r.pos = end + 1
	if !r.expect(':') {
		return nil, false
	}
	return r.data[start:end], true
}

// Array starts an array; iterate over its elements with Next.
func (r *Reader) Array() bool { return r.expect('[') }

// Next reports whether the current array has another element (then read
// it), or false after the last.
func (r *Reader) Next() bool {
	if r.err != nil {
		return false
	}
	switch r.peek() {
	case ']':
		r.pos++
		return false
	case ',':
		r.pos++
	case 0:
		r.fail()
		return false
	}
	return true
}

// token returns the bytes of the next scalar token (up to a delimiter).
func (r *Reader) token() []byte {
	r.skipSpace()
	start := r.pos
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return r.data[start:r.pos]
		}
		r.pos++
	}
	return r.data[start:r.pos]
}

// String reads a string. A string with escapes is decoded by
// encoding/json.
func (r *Reader) String() string {
	if r.peek() != '"' {
		r.fail()
		return ""
	}
	start := r.pos + 1
	for i := start; i < len(r.data); i++ {
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			return string(r.data[start:i])
		case c == '\\' || c < 0x20 || c >= 0x80:
			// Escapes, and bytes that are not ASCII (encoding/json replaces
			// invalid UTF-8): encoding/json's decoding is the reference.
			return r.escapedString()
		}
	}
	r.fail()
	return ""
}

// escapedString reads the string at pos with encoding/json.
func (r *Reader) escapedString() string {
	i := r.pos + 1
	for i < len(r.data) && r.data[i] != '"' {
		if r.data[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(r.data) {
		r.fail()
		return ""
	}
	var s string
	if err := json.Unmarshal(r.data[r.pos:i+1], &s); err != nil {
		r.fail()
		return ""
	}
	r.pos = i + 1
	return s
}

// Int64 reads an integer.
func (r *Reader) Int64() int64 {
	n, err := strconv.ParseInt(string(r.token()), 10, 64)
	if err != nil {
		r.fail()
	}
	return n
}

// Float64 reads a number.
func (r *Reader) Float64() float64 {
	tok := r.token()
	if len(tok) == 0 || !(tok[0] == '-' || tok[0] >= '0' && tok[0] <= '9') {
		r.fail()
		return 0
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		r.fail()
	}
	return f
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	switch string(r.token()) {
	case "true":
		return true
	case "false":
		return false
	}
	r.fail()
	return false
}

// Time reads a time as time.Time's UnmarshalJSON does (RFC 3339).
func (r *Reader) Time() time.Time {
	if r.peek() != '"' {
		r.fail()
		return time.Time{}
	}
	end := r.pos + 1
	for end < len(r.data) && r.data[end] != '"' {
		end++
	}
	if end >= len(r.data) {
		r.fail()
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalJSON(r.data[r.pos : end+1]); err != nil {
		r.fail()
		return time.Time{}
	}
	r.pos = end + 1
	return t
}

// Raw returns a copy of the next value's bytes, as json.RawMessage keeps
// it.
func (r *Reader) Raw() json.RawMessage {
	span := r.Span()
	if r.err != nil {
		return nil
	}
	return append(json.RawMessage(nil), span...)
}

// Span returns the bytes of the next value, without copying them: they
// are the reader's input, valid as long as it is. A string's escapes are
// not checked.
func (r *Reader) Span() []byte {
	r.skipSpace()
	start := r.pos
	r.Skip()
	if r.err != nil {
		return nil
	}
	return r.data[start:r.pos]
}

// Skip skips the next value.
func (r *Reader) Skip() {
	switch r.peek() {
	case '{', '[':
		depth := 0
		inString := false
		for ; r.pos < len(r.data); r.pos++ {
			c := r.data[r.pos]
			switch {
			case inString && c == '\\':
				r.pos++
			case c == '"':
				inString = !inString
			case inString:
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					r.pos++
					return
				}
			}
		}
		r.fail()
	case '"':
		r.skipString()
	case 0:
		r.fail()
	default:
		if len(r.token()) == 0 {
			r.fail()
		}
	}
}

// skipString skips the string at pos, escapes included, without
// decoding it: its end is the first quote after an even number of
// backslashes (each pair is one escaped backslash).
func (r *Reader) skipString() {
	for i := r.pos + 1; ; {
		j := bytes.IndexByte(r.data[i:], '"')
		if j < 0 {
			r.fail()
			return
		}
		end := i + j
		k := end
		for k > r.pos+1 && r.data[k-1] == '\\' {
			k--
		}
		if (end-k)%2 == 0 {
			r.pos = end + 1
			return
		}
		i = end + 1
	}
}

// Value decodes the next value into v with encoding/json: the types the
// reader has no method for.
func (r *Reader) Value(v any) {
	raw := r.Raw()
	if r.err != nil {
		return
	}
	if err := json.Unmarshal(raw, v); err != nil {
		r.fail()
	}
}
