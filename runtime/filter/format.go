package filter

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format prints e in canonical form: one space around binary operators,
// strings re-quoted with the fewest escapes, numbers as written, and
// parentheses only where precedence needs them:
//
//	status in ["draft", "published"] && (views >= 10 || !tags = "go")
//
// Parse(Format(e)) gives e back, up to positions and the Raw text of
// strings, and Format never nests deeper than the source it was parsed
// from. (It can be longer, by the spaces it adds.) Format(nil) is "".
func Format(e Expr) string {
	var b strings.Builder
	format(&b, e)
	return b.String()
}

// format writes e to b.
func format(b *strings.Builder, e Expr) {
	switch e := e.(type) {
	case nil:
	case *Or:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(" || ")
			}
			_, paren := t.(*Or)
			formatTerm(b, t, paren)
		}
	case *And:
		for i, t := range e.Terms {
			if i > 0 {
				b.WriteString(" && ")
			}
			_, or := t.(*Or)
			_, and := t.(*And)
			formatTerm(b, t, or || and)
		}
	case *Not:
		b.WriteString("!")
		_, or := e.X.(*Or)
		_, and := e.X.(*And)
		formatTerm(b, e.X, or || and)
	case *Cmp:
		b.WriteString(e.Field.Name)
		b.WriteString(" ")
		b.WriteString(string(e.Op))
		b.WriteString(" ")
		b.WriteString(formatValue(e.Value))
	case *In:
		b.WriteString(e.Field.Name)
		b.WriteString(" in [")
		for i, v := range e.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(formatValue(v))
		}
		b.WriteString("]")
	case *IsNull:
		b.WriteString(e.Field.Name)
		if e.Not {
			b.WriteString(" is not null")
		} else {
			b.WriteString(" is null")
		}
	default:
		panic(fmt.Sprintf("filter.Format: unknown node %T", e))
	}
}

// formatTerm writes e, in parentheses when paren is set.
func formatTerm(b *strings.Builder, e Expr, paren bool) {
	if paren {
		b.WriteString("(")
	}
	format(b, e)
	if paren {
		b.WriteString(")")
	}
}

// formatValue prints a literal. A number prints as written (Raw), so that
// an int beyond 2^53 keeps its digits; a number built without Raw prints
// in the shortest form that parses back to Num.
func formatValue(v Value) string {
	switch v.Kind {
	case KindString:
		return quote(v.Str)
	case KindNumber:
		if v.Raw != "" {
			return v.Raw
		}
		return strconv.FormatFloat(v.Num, 'g', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindParam:
		return "@" + v.Str
	}
	return "null"
}

// quote returns s as a filter string literal: double quotes, with only
// the escapes JSON requires (quote, backslash, control characters).
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case utf8.RuneError:
			// Parse never produces invalid UTF-8; a hand-built string might.
			b.WriteString(`\ufffd`)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FormatSort prints sort keys as ParseSort reads them: "-views,title".
func FormatSort(keys []SortKey) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k.String())
	}
	return b.String()
}
