package validate

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Text checks. A server that stores exactly what it was sent must refuse
// text it cannot store as sent: encoding/json replaces invalid UTF-8 and
// lone surrogate escapes with U+FFFD, and PostgreSQL text cannot hold
// U+0000, which SQLite and the memory store would keep, so data with it
// could not move between backends. REST decoding (runtime/rest) and the
// resource.Service both check every string, keys included, with these.

// Fault is what is wrong with the text of a JSON string.
type Fault uint8

// The faults, from harmless to worst. A malformed fault (FaultUTF8,
// FaultSurrogate) outranks FaultNUL.
const (
	// FaultNone: the text is Unicode without U+0000.
	FaultNone Fault = iota
	// FaultNUL: the text holds U+0000, sent as the escape \u0000.
	FaultNUL
	// FaultUTF8: bytes that are not UTF-8: invalid or truncated
	// sequences, overlong encodings (0xC0 0xAF), encoded surrogates.
	FaultUTF8
	// FaultSurrogate: a \uD800-\uDFFF escape that is not one half of a
	// surrogate pair (a high one directly followed by a low one).
	FaultSurrogate
)

// Malformed reports whether f makes the text something other than
// Unicode: a decoder would have to replace it with U+FFFD.
func (f Fault) Malformed() bool { return f >= FaultUTF8 }

// TextFault returns the worst fault of the JSON strings in data: a whole
// JSON text, or the contents of one string literal between its quotes
// (escapes not decoded). Outside strings JSON has neither escapes nor
// non-ASCII bytes, so one pass over a whole document checks every key and
// value in it. It is cheap on the common case, valid text without
// backslashes: two vectorised scans.
func TextFault(data []byte) Fault {
	if !utf8.Valid(data) {
		return FaultUTF8
	}
	worst := FaultNone
	if bytes.IndexByte(data, 0) >= 0 {
		worst = FaultNUL // not valid JSON, but not text either
	}
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '\\')
		if j < 0 {
			return worst
		}
		i += j
		if i+1 >= len(data) {
			return worst
		}
		if data[i+1] != 'u' {
			i += 2 // a one-character escape, \\ included
			continue
		}
		r, ok := hex4(data, i+2)
		switch {
		case !ok:
			i += 2 // not JSON; the parser refuses it
		case r == 0:
			worst = FaultNUL
			i += 6
		case r >= 0xD800 && r < 0xDC00:
			if lo, ok := escape(data, i+6); !ok || lo < 0xDC00 || lo >= 0xE000 {
				return FaultSurrogate
			}
			i += 12
		case r >= 0xDC00 && r < 0xE000:
			return FaultSurrogate
		default:
			i += 6
		}
	}
}

// escape returns the code unit of the \uXXXX escape at data[i:].
func escape(data []byte, i int) (rune, bool) {
	if i+1 >= len(data) || data[i] != '\\' || data[i+1] != 'u' {
		return 0, false
	}
	return hex4(data, i+2)
}

// hex4 decodes the four hex digits at data[i:].
func hex4(data []byte, i int) (rune, bool) {
	if i+4 > len(data) {
		return 0, false
	}
	var r rune
	for _, c := range data[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// TextProblem is one string of a JSON document whose text has a fault.
type TextProblem struct {
	// Path is the dotted JSON path of the value, with array indexes
	// ("title", "address.city", "tags[2]"); for a key, the path of the
	// member it names, with U+FFFD for what is not UTF-8.
	Path string
	// Key tells that the fault is in the object key at Path, not in its
	// value.
	Key   bool
	Fault Fault
}

// Message describes the problem to a client, as the message of a field
// error naming Path.
func (p TextProblem) Message() string {
	var what string
	switch p.Fault {
	case FaultNUL:
		what = "must not contain the character U+0000 (\\u0000)"
	case FaultUTF8:
		what = "is not valid UTF-8"
	case FaultSurrogate:
		what = "holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF without its pair), which is no character"
	default:
		return "is valid text"
	}
	if p.Key {
		return "the key " + what
	}
	return what
}

// TextProblems returns the strings of data, one well-formed JSON value,
// whose text has a fault, keys included, in document order. On data that
// is not well-formed it returns what it found before the first syntax
// error. It allocates only for what it reports: the checks call it after
// TextFault has found a fault, to name the fields.
func TextProblems(data []byte) []TextProblem {
	w := textWalker{data: data}
	w.value("")
	return w.out
}

// textWalker walks a JSON value, tracking the path of each string.
type textWalker struct {
	data []byte
	i    int
	out  []TextProblem
}

// value walks the value at w.i, found at path; false stops the walk at a
// syntax error.
func (w *textWalker) value(path string) bool {
	w.space()
	if w.i >= len(w.data) {
		return false
	}
	switch w.data[w.i] {
	case '{':
		return w.object(path)
	case '[':
		return w.array(path)
	case '"':
		raw, ok := w.str()
		if ok {
			w.check(path, false, raw)
		}
		return ok
	}
	start := w.i // a number or a literal
	for w.i < len(w.data) && !strings.ContainsRune(",:]} \t\r\n", rune(w.data[w.i])) {
		w.i++
	}
	return w.i > start
}

// object walks the object at w.i.
func (w *textWalker) object(path string) bool {
	w.i++ // '{'
	for {
		w.space()
		if w.i >= len(w.data) {
			return false
		}
		switch w.data[w.i] {
		case '}':
			w.i++
			return true
		case ',':
			w.i++
			continue
		case '"':
		default:
			return false
		}
		raw, ok := w.str()
		if !ok {
			return false
		}
		p := joinPath(path, keyName(raw))
		w.check(p, true, raw)
		w.space()
		if w.i >= len(w.data) || w.data[w.i] != ':' {
			return false
		}
		w.i++
		if !w.value(p) {
			return false
		}
	}
}

// array walks the array at w.i.
func (w *textWalker) array(path string) bool {
	w.i++ // '['
	for n := 0; ; {
		w.space()
		if w.i >= len(w.data) {
			return false
		}
		switch w.data[w.i] {
		case ']':
			w.i++
			return true
		case ',':
			w.i++
			continue
		}
		if !w.value(path + "[" + strconv.Itoa(n) + "]") {
			return false
		}
		n++
	}
}

// str moves past the string at w.i and returns its contents.
func (w *textWalker) str() ([]byte, bool) {
	w.i++ // '"'
	start := w.i
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case '\\':
			w.i += 2
		case '"':
			w.i++
			return w.data[start : w.i-1], true
		default:
			w.i++
		}
	}
	return nil, false
}

// check records the fault of the string contents raw, if any.
func (w *textWalker) check(path string, key bool, raw []byte) {
	if f := TextFault(raw); f != FaultNone {
		w.out = append(w.out, TextProblem{Path: path, Key: key, Fault: f})
	}
}

// space moves past white space.
func (w *textWalker) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

// keyName returns the name a key's contents stand for, as encoding/json
// decodes it (U+FFFD for what is not UTF-8), for paths.
func keyName(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	quoted := make([]byte, 0, len(raw)+2)
	quoted = append(append(append(quoted, '"'), raw...), '"')
	var s string
	if err := json.Unmarshal(quoted, &s); err != nil {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	return s
}

// joinPath appends an object key to a dotted path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
