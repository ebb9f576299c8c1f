package gql

import (
	"bytes"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
)

// decodeParams reads the body of a POST: {"query", "operationName",
// "variables", "extensions"}, numbers in variables kept as json.Number
// as gqlgen's transport keeps them.
//
// A body of the usual shape (the four members at most once each, as
// strings, and variables and extensions whose values are strings,
// booleans or null) is read by readParams, with the results encoding/json
// gives; anything else, invalid JSON included, is decoded by
// encoding/json as gqlgen's transport decodes it, which reports the
// errors.
func decodeParams(body []byte, params *graphql.RawParams) error {
	if readParams(body, params) {
		return nil
	}
	*params = graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(params)
}

// readParams reads body into p when it has the usual shape (see
// decodeParams) and reports true; otherwise it reports false, p partly
// set. Like json.Decoder.Decode, it reads the first value of body and
// ignores what follows it.
func readParams(body []byte, p *graphql.RawParams) bool {
	r := paramReader{data: body}
	if !r.consume('{') {
		return false
	}
	var seen uint8
	if r.consume('}') {
		return true
	}
	for {
		key, ok := r.plainString()
		if !ok || !r.consume(':') {
			return false
		}
		var bit uint8
		switch key {
		case "query":
			bit = 1
			p.Query, ok = r.string()
		case "operationName":
			bit = 2
			p.OperationName, ok = r.string()
		case "variables":
			bit = 4
			p.Variables, ok = r.flatObject()
		case "extensions":
			bit = 8
			p.Extensions, ok = r.flatObject()
		default:
			// Other members, and encoding/json's case-insensitive
			// matches of these.
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if r.consume('}') {
			return true
		}
		if !r.consume(',') {
			return false
		}
	}
}

// paramReader is a strict reader of the JSON of readParams: every byte it
// accepts, encoding/json accepts with the same meaning.
type paramReader struct {
	data []byte
	pos  int
}

// consume skips white space and then c, reporting whether c was there.
func (r *paramReader) consume(c byte) bool {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
			continue
		case c:
			r.pos++
			return true
		}
		return false
	}
	return false
}

// plainString reads a string of printable ASCII without escapes (a key).
func (r *paramReader) plainString() (string, bool) {
	if !r.consume('"') {
		return "", false
	}
	start := r.pos
	for ; r.pos < len(r.data); r.pos++ {
		switch c := r.data[r.pos]; {
		case c == '"':
			r.pos++
			return string(r.data[start : r.pos-1]), true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", false
		}
	}
	return "", false
}

// string reads a string; one with escapes or bytes outside ASCII is
// decoded by encoding/json (which replaces invalid UTF-8).
func (r *paramReader) string() (string, bool) {
	if !r.consume('"') {
		return "", false
	}
	start := r.pos - 1
	plain := true
	for ; r.pos < len(r.data); r.pos++ {
		switch c := r.data[r.pos]; {
		case c == '"':
			r.pos++
			if plain {
				return string(r.data[start+1 : r.pos-1]), true
			}
			var s string
			if json.Unmarshal(r.data[start:r.pos], &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			r.pos++ // the escaped byte; encoding/json checks the escape
		case c < 0x20:
			return "", false
		case c >= 0x80:
			plain = false
		}
	}
	return "", false
}

// flatObject reads an object whose values are strings, booleans or null.
func (r *paramReader) flatObject() (map[string]any, bool) {
	if !r.consume('{') {
		return nil, false
	}
	m := make(map[string]any)
	if r.consume('}') {
		return m, true
	}
	for {
		key, ok := r.string()
		if !ok || !r.consume(':') {
			return nil, false
		}
		var v any
		switch {
		case r.peek() == '"':
			v, ok = r.string()
		case r.literal("true"):
			v = true
		case r.literal("false"):
			v = false
		case r.literal("null"):
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
		m[key] = v // a repeated key: the last value, as encoding/json
		if r.consume('}') {
			return m, true
		}
		if !r.consume(',') {
			return nil, false
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end.
func (r *paramReader) peek() byte {
	for r.pos < len(r.data) {
		switch c := r.data[r.pos]; c {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return c
		}
	}
	return 0
}

// literal consumes word (true, false, null) when it comes next, followed
// by a byte that ends it.
func (r *paramReader) literal(word string) bool {
	r.peek()
	end := r.pos + len(word)
	if end > len(r.data) || string(r.data[r.pos:end]) != word {
		return false
	}
	if end < len(r.data) {
		switch r.data[end] {
		case ' ', '\t', '\n', '\r', ',', '}':
		default:
			return false
		}
	}
	r.pos = end
	return true
}
