package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// tokenKind is the kind of a lexical token.
type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokWord             // a field name or a keyword: in, is, not, null, true, false
	tokString           // "double-quoted", JSON escapes
	tokNumber           // JSON number syntax
	tokOp               // = != > >= < <= ~ !~ ^=
	tokNot              // !
	tokAnd              // &&
	tokOr               // ||
	tokLParen           // (
	tokRParen           // )
	tokLBrack           // [
	tokRBrack           // ]
	tokComma            // ,
	tokParam            // @me: a parameter of a permission rule
)

// token is one lexical token.
type token struct {
	kind tokenKind
	pos  int    // 1-based byte offset of its first byte
	text string // source text
	str  string // the decoded value of a tokString
	num  float64
}

// describe names a token in an error message.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokWord:
		return strconv.Quote(t.text)
	case tokString:
		return "string " + t.text
	case tokNumber:
		return "number " + t.text
	}
	return strconv.Quote(t.text)
}

// lexer splits a filter expression into tokens, one at a time.
type lexer struct {
	src string
	i   int // offset of the next byte
}

// twoByteTokens are the tokens of two bytes, checked before single bytes.
var twoByteTokens = map[string]tokenKind{
	"&&": tokAnd, "||": tokOr,
	"!=": tokOp, "!~": tokOp, ">=": tokOp, "<=": tokOp, "^=": tokOp,
}

// oneByteTokens are the tokens of one byte.
var oneByteTokens = map[byte]tokenKind{
	'=': tokOp, '>': tokOp, '<': tokOp, '~': tokOp, '!': tokNot,
	'(': tokLParen, ')': tokRParen, '[': tokLBrack, ']': tokRBrack, ',': tokComma,
}

// mistakes are common misspellings of operators, with the fix.
var mistakes = map[string]string{
	"==": `"==" is not an operator; use "="`,
	"<>": `"<>" is not an operator; use "!="`,
	"=>": `"=>" is not an operator; use ">="`,
	"=<": `"=<" is not an operator; use "<="`,
	"=~": `"=~" is not an operator; use "~" (contains)`,
}

// next returns the next token.
func (l *lexer) next() (token, *Error) {
	for l.i < len(l.src) && isSpace(l.src[l.i]) {
		l.i++
	}
	start := l.i
	if start >= len(l.src) {
		return token{kind: tokEOF, pos: start + 1}, nil
	}
	c := l.src[start]
	switch {
	case c == '"':
		return l.string()
	case c == '-' || isDigit(c):
		return l.number()
	case c == '@' && start+1 < len(l.src) && isWordStart(l.src[start+1]):
		l.i++
		for l.i < len(l.src) && isWordByte(l.src[l.i]) {
			l.i++
		}
		return token{kind: tokParam, pos: start + 1, text: l.src[start:l.i]}, nil
	case isWordStart(c):
		for l.i < len(l.src) && (isWordByte(l.src[l.i]) || l.src[l.i] == '.') {
			l.i++
		}
		return token{kind: tokWord, pos: start + 1, text: l.src[start:l.i]}, nil
	}
	if start+2 <= len(l.src) {
		two := l.src[start : start+2]
		if k, ok := twoByteTokens[two]; ok {
			l.i += 2
			return token{kind: k, pos: start + 1, text: two}, nil
		}
		if msg, ok := mistakes[two]; ok {
			return token{}, l.errorf(start, "%s", msg)
		}
	}
	if k, ok := oneByteTokens[c]; ok {
		l.i++
		return token{kind: k, pos: start + 1, text: l.src[start:l.i]}, nil
	}
	switch c {
	case '&':
		return token{}, l.errorf(start, `unexpected "&"; use "&&" for and`)
	case '|':
		return token{}, l.errorf(start, `unexpected "|"; use "||" for or`)
	case '\'':
		return token{}, l.errorf(start, `unexpected "'"; write strings in double quotes`)
	}
	r, size := utf8.DecodeRuneInString(l.src[start:])
	if r == utf8.RuneError && size == 1 {
		return token{}, l.errorf(start, "invalid UTF-8 byte 0x%02x", c)
	}
	return token{}, l.errorf(start, "unexpected character %q", r)
}

// errorf returns a problem at the 0-based offset at.
func (l *lexer) errorf(at int, format string, args ...any) *Error {
	return &Error{Param: "filter", Pos: at + 1, Msg: fmt.Sprintf(format, args...)}
}

// string lexes a double-quoted string with JSON escapes (RFC 8259 §7).
func (l *lexer) string() (token, *Error) {
	start := l.i
	l.i++ // opening quote
	var b strings.Builder
	for {
		if l.i >= len(l.src) {
			return token{}, l.errorf(start, "unterminated string: missing closing \"")
		}
		c := l.src[l.i]
		switch {
		case c == '"':
			l.i++
			return token{kind: tokString, pos: start + 1, text: l.src[start:l.i], str: b.String()}, nil
		case c == '\\':
			r, err := l.escape()
			if err != nil {
				return token{}, err
			}
			b.WriteRune(r)
		case c < 0x20:
			return token{}, l.errorf(l.i, "control character %U in string; escape it (\\n, \\t, \\u%04x)", c, c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			l.i++
		default:
			r, size := utf8.DecodeRuneInString(l.src[l.i:])
			if r == utf8.RuneError && size == 1 {
				return token{}, l.errorf(l.i, "invalid UTF-8 byte 0x%02x in string", c)
			}
			b.WriteString(l.src[l.i : l.i+size])
			l.i += size
		}
	}
}

// simpleEscapes are the one-letter JSON escapes.
var simpleEscapes = map[byte]rune{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

// escape decodes the escape sequence at l.i (a backslash), including a
// UTF-16 surrogate pair written as two \u escapes.
func (l *lexer) escape() (rune, *Error) {
	at := l.i
	if at+1 >= len(l.src) {
		return 0, l.errorf(at, "unterminated string: missing closing \"")
	}
	e := l.src[at+1]
	if r, ok := simpleEscapes[e]; ok {
		l.i += 2
		return r, nil
	}
	if e != 'u' {
		r, _ := utf8.DecodeRuneInString(l.src[at+1:])
		return 0, l.errorf(at, "invalid escape \"\\%c\" in string; use \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX", r)
	}
	r, ok := l.hex4(at)
	if !ok {
		return 0, l.errorf(at, `invalid escape in string: \u must be followed by 4 hex digits`)
	}
	l.i += 6
	if !utf16.IsSurrogate(r) {
		return r, nil
	}
	if r < 0xdc00 && strings.HasPrefix(l.src[l.i:], `\u`) {
		if lo, ok := l.hex4(l.i); ok {
			if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
				l.i += 6
				return pair, nil
			}
		}
	}
	return 0, l.errorf(at, "invalid escape in string: %s is half of a UTF-16 surrogate pair", l.src[at:at+6])
}

// hex4 decodes the 4 hex digits of the \u escape at offset at.
func (l *lexer) hex4(at int) (rune, bool) {
	if at+6 > len(l.src) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(l.src[at+2 : at+6]) {
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// number lexes a JSON number. It takes every byte that could continue a
// number or a word, so that "01", "1.5.2" and "5e" are one invalid token
// rather than several confusing ones.
func (l *lexer) number() (token, *Error) {
	start := l.i
	j := start
	if l.src[j] == '-' {
		j++
		if j >= len(l.src) || !isDigit(l.src[j]) {
			return token{}, l.errorf(start, `unexpected "-"; a negative number is written like -5`)
		}
	}
	for j < len(l.src) {
		c := l.src[j]
		if isWordByte(c) || c == '.' || (c == '+' || c == '-') && (l.src[j-1] == 'e' || l.src[j-1] == 'E') {
			j++
			continue
		}
		break
	}
	l.i = j
	text := l.src[start:j]
	if !isJSONNumber(text) {
		return token{}, l.errorf(start, "invalid number %q (numbers use JSON syntax, such as 42, -1.5 or 2e3)", text)
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return token{}, l.errorf(start, "number %s is out of range", text)
	}
	return token{kind: tokNumber, pos: start + 1, text: text, num: f}, nil
}

// isJSONNumber reports whether s is a number in JSON syntax:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// isSpace reports whether c is JSON whitespace.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isWordStart reports whether c can start a word. Upper-case letters are
// lexed so that the parser can explain that names are lower case and
// strings are quoted.
func isWordStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

// isWordByte reports whether c can continue a word.
func isWordByte(c byte) bool { return isWordStart(c) || isDigit(c) }
