package filter

import (
	"fmt"
	"strings"
)

// Limits of Parse.
const (
	MaxLength = 4096 // bytes of an expression
	MaxDepth  = 32   // nested "(" and "!"
)

// Parse parses a filter expression (DESIGN.md §5):
//
//	expr   := or
//	or     := and ("||" and)*
//	and    := unary ("&&" unary)*
//	unary  := "!" unary | "(" or ")" | cmp
//	cmp    := field op value | field "in" "[" value ("," value)* "]" | field "is" ["not"] "null"
//	op     := "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "!~" | "^="
//	value  := string | number | "true" | "false" | "null"
//	field  := name ("." name)*    name := [a-z_][a-z0-9_]*
//
// Strings are double-quoted with JSON escapes, numbers use JSON syntax,
// and whitespace between tokens is ignored. "in", "is", "not", "null",
// "true" and "false" are keywords only where the grammar expects them, so
// a field may be named "in".
//
// Nested "&&" (and "||") terms are flattened into one *And (*Or), also
// across parentheses: "(a && b) && c" gives the same tree as "a && b && c".
//
// An empty or blank src is no filter: Parse returns nil, nil. An
// expression longer than MaxLength bytes, nesting "(" and "!" deeper than
// MaxDepth, or with an "in" list longer than MaxIn is an error. The error
// is an ErrorList holding the first problem; Parse does not check field
// names or value types: Check does.
func Parse(src string) (Expr, error) {
	if len(src) > MaxLength {
		return nil, ErrorList{{Param: "filter", Pos: MaxLength + 1,
			Msg: fmt.Sprintf("filter is %d bytes long; at most %d are allowed", len(src), MaxLength)}}
	}
	return parse(src)
}

// parse is Parse without the length limit. (Format adds spaces, so the
// round-trip test of FuzzParse needs it.)
func parse(src string) (Expr, error) {
	p := &parser{lex: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, ErrorList{err}
	}
	if p.tok.kind == tokEOF {
		return nil, nil
	}
	e, err := p.or(0)
	if err == nil && p.tok.kind != tokEOF {
		err = p.errorf("unexpected %s after a complete condition; join conditions with && or ||", p.tok.describe())
	}
	if err != nil {
		return nil, ErrorList{err}
	}
	return e, nil
}

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	lex lexer
	tok token // the current token
}

// advance reads the next token.
func (p *parser) advance() *Error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// errorf returns a problem at the current token.
func (p *parser) errorf(format string, args ...any) *Error {
	return &Error{Param: "filter", Pos: p.tok.pos, Msg: fmt.Sprintf(format, args...)}
}

// or parses: and ("||" and)*.
func (p *parser) or(depth int) (Expr, *Error) {
	first, err := p.and(depth)
	if err != nil || p.tok.kind != tokOr {
		return first, err
	}
	terms := appendOr(nil, first)
	for p.tok.kind == tokOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		terms = appendOr(terms, t)
	}
	return &Or{At: first.Pos(), Terms: terms}, nil
}

// and parses: unary ("&&" unary)*.
func (p *parser) and(depth int) (Expr, *Error) {
	first, err := p.unary(depth)
	if err != nil || p.tok.kind != tokAnd {
		return first, err
	}
	terms := appendAnd(nil, first)
	for p.tok.kind == tokAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		terms = appendAnd(terms, t)
	}
	return &And{At: first.Pos(), Terms: terms}, nil
}

// appendOr appends e to terms, splicing in the terms of a parenthesized *Or.
func appendOr(terms []Expr, e Expr) []Expr {
	if o, ok := e.(*Or); ok {
		return append(terms, o.Terms...)
	}
	return append(terms, e)
}

// appendAnd appends e to terms, splicing in the terms of a parenthesized *And.
func appendAnd(terms []Expr, e Expr) []Expr {
	if a, ok := e.(*And); ok {
		return append(terms, a.Terms...)
	}
	return append(terms, e)
}

// unary parses: "!" unary | "(" or ")" | cmp. depth counts the enclosing
// "!" and "(".
func (p *parser) unary(depth int) (Expr, *Error) {
	switch p.tok.kind {
	case tokNot, tokLParen:
		if depth >= MaxDepth {
			return nil, p.errorf("filter nests deeper than %d levels of \"(\" and \"!\"", MaxDepth)
		}
	case tokWord:
		return p.cmp()
	default:
		return nil, p.errorf("expected a condition (a field name, \"!\" or \"(\"), got %s", p.tok.describe())
	}
	open := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if open.kind == tokNot {
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{At: open.pos, X: x}, nil
	}
	e, err := p.or(depth + 1)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokRParen {
		return nil, p.errorf("expected \")\" to close the \"(\" at position %d, got %s", open.pos, p.tok.describe())
	}
	return e, p.advance()
}

// cmp parses a comparison; the current token is a word.
func (p *parser) cmp() (Expr, *Error) {
	ref := Ref{At: p.tok.pos, Name: p.tok.text}
	if msg := checkFieldName(ref.Name); msg != "" {
		return nil, p.errorf("%s", msg)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch {
	case p.tok.kind == tokOp:
		op := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.value(fmt.Sprintf("after %q", op.text))
		if err != nil {
			return nil, err
		}
		return &Cmp{At: ref.At, Field: ref, Op: Op(op.text), Value: v}, nil
	case p.tok.kind == tokWord && p.tok.text == "in":
		return p.in(ref)
	case p.tok.kind == tokWord && p.tok.text == "is":
		return p.isNull(ref)
	}
	return nil, p.errorf("expected an operator after %q (= != > >= < <= ~ !~ ^= in is), got %s", ref.Name, p.tok.describe())
}

// in parses the list of an "in" comparison; the current token is "in".
func (p *parser) in(ref Ref) (Expr, *Error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokLBrack {
		return nil, p.errorf("expected \"[\" after \"in\", got %s", p.tok.describe())
	}
	open := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokRBrack {
		return nil, p.errorf("an \"in\" list needs at least one value")
	}
	e := &In{At: ref.At, Field: ref}
	for {
		if len(e.Values) == MaxIn {
			return nil, p.errorf("too many values in the \"in\" list: at most %d are allowed", MaxIn)
		}
		v, err := p.value("in the \"in\" list")
		if err != nil {
			return nil, err
		}
		e.Values = append(e.Values, v)
		switch p.tok.kind {
		case tokComma:
			if err := p.advance(); err != nil {
				return nil, err
			}
		case tokRBrack:
			return e, p.advance()
		default:
			return nil, p.errorf("expected \",\" or \"]\" to close the \"[\" at position %d, got %s", open.pos, p.tok.describe())
		}
	}
}

// isNull parses "is" ["not"] "null"; the current token is "is".
func (p *parser) isNull(ref Ref) (Expr, *Error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	e := &IsNull{At: ref.At, Field: ref}
	if p.tok.kind == tokWord && p.tok.text == "not" {
		e.Not = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if p.tok.kind != tokWord || p.tok.text != "null" {
		return nil, p.errorf("expected \"null\" or \"not null\" after \"is\", got %s", p.tok.describe())
	}
	return e, p.advance()
}

// value parses a literal; where says where it stands, for errors.
func (p *parser) value(where string) (Value, *Error) {
	t := p.tok
	v := Value{At: t.pos, Raw: t.text}
	switch {
	case t.kind == tokString:
		v.Kind, v.Str = KindString, t.str
	case t.kind == tokNumber:
		v.Kind, v.Num = KindNumber, t.num
	case t.kind == tokWord && (t.text == "true" || t.text == "false"):
		v.Kind, v.Bool = KindBool, t.text == "true"
	case t.kind == tokWord && t.text == "null":
		v.Kind = KindNull
	case t.kind == tokParam:
		v.Kind, v.Str = KindParam, t.text[1:]
	case t.kind == tokWord:
		switch lower := strings.ToLower(t.text); lower {
		case "true", "false", "null":
			return v, p.errorf("expected a value %s, got %s (did you mean %s?)", where, t.describe(), lower)
		}
		return v, p.errorf("expected a value %s, got %s; write strings in double quotes: %s", where, t.describe(), quote(t.text))
	default:
		return v, p.errorf("expected a value %s (a \"string\", a number, true, false or null), got %s", where, t.describe())
	}
	return v, p.advance()
}

// checkFieldName returns why name is not a valid field name, or "".
func checkFieldName(name string) string {
	valid := func(name string) bool {
		for seg := range strings.SplitSeq(name, ".") {
			if seg == "" || isDigit(seg[0]) || strings.ContainsFunc(seg, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
				return false
			}
		}
		return true
	}
	if valid(name) {
		return ""
	}
	const rule = "names are lower-case letters, digits and \"_\", dotted for nested fields, such as address.city"
	if lower := strings.ToLower(name); valid(lower) {
		return fmt.Sprintf("invalid field name %q: %s (did you mean %q?)", name, rule, lower)
	}
	return fmt.Sprintf("invalid field name %q: %s", name, rule)
}
