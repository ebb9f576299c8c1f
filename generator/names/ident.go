package names

import (
	"fmt"
	"go/token"
	"strings"
	"unicode"
	"unicode/utf8"
)

// predeclared reports whether s is one of Go's predeclared identifiers
// (types, constants, zero value and builtin functions). Declaring them is
// legal but shadows the builtin, so generated code never does.
func predeclared(s string) bool {
	switch s {
	case "any", "bool", "byte", "comparable", "complex64", "complex128",
		"error", "float32", "float64", "int", "int8", "int16", "int32",
		"int64", "rune", "string", "uint", "uint8", "uint16", "uint32",
		"uint64", "uintptr",
		"true", "false", "iota", "nil",
		"append", "cap", "clear", "close", "complex", "copy", "delete",
		"imag", "len", "make", "max", "min", "new", "panic", "print",
		"println", "real", "recover":
		return true
	}
	return false
}

// Ident returns s if it can be declared as a Go identifier by generated
// code, or an error saying why not: s is not an identifier (empty, starts
// with a digit, contains other characters), is the blank identifier, is a
// keyword, or is a predeclared identifier such as any, string, error or
// len.
//
//	BlogPost       => BlogPost
//	blogPost       => blogPost
//	2fa            => error: not a Go identifier
//	type           => error: a Go keyword
//	string         => error: a predeclared Go identifier
func Ident(s string) (string, error) {
	switch {
	case s == "":
		return "", fmt.Errorf("empty Go identifier")
	case s == "_":
		return "", fmt.Errorf("%q is the blank identifier", s)
	case token.IsKeyword(s):
		return "", fmt.Errorf("%q is a Go keyword", s)
	case !token.IsIdentifier(s):
		return "", fmt.Errorf("%q is not a Go identifier", s)
	case predeclared(s):
		return "", fmt.Errorf("%q is a predeclared Go identifier", s)
	}
	return s, nil
}

// MustIdent is like Ident but panics when s is not a valid identifier. It
// is meant for emitters, which only see identifiers that model.Build has
// already checked: a panic there is a generator bug, not a spec mistake.
func MustIdent(s string) string {
	id, err := Ident(s)
	if err != nil {
		panic("names: " + err.Error())
	}
	return id
}

// Exported reports whether s is an identifier that Go exports: its first
// rune is an upper-case letter.
func Exported(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// Receiver returns a short, stable method receiver name for the type name
// s: the lower-cased first letter of each word. When that is a keyword or a
// predeclared identifier, it is the first letter alone.
//
//	Post           => p
//	BlogPost       => bp
//	HTTPServer     => hs
//	AuthorID       => ai
//	GameObject     => g    ("go" is a keyword)
//	MaxAgeX        => m    ("max" is predeclared)
//	(no letters)   => r
func Receiver(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		r, _ := utf8.DecodeRuneInString(w)
		b.WriteRune(unicode.ToLower(r))
	}
	recv := b.String()
	if recv == "" || !unicode.IsLetter([]rune(recv)[0]) {
		return "r"
	}
	if _, err := Ident(recv); err != nil {
		return string([]rune(recv)[:1])
	}
	return recv
}
