package sqlquery

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// compiler builds one statement and its arguments.
type compiler struct {
	d     Dialect
	table string // quoted table name, for list element tests
	b     strings.Builder
	args  Args
}

// bind binds v, a value of f, and writes its placeholder.
func (c *compiler) bind(f filter.FieldInfo, v any) {
	c.b.WriteString(c.d.Bind(&c.args, f, v))
}

// where writes the WHERE clause of q: the deletion mode, the filter and,
// when bounded, the keyset bound.
func (c *compiler) where(q *resource.Query, bounded bool) error {
	c.b.WriteString(" WHERE ")
	c.b.WriteString(c.d.Visible(q))
	if q.Filter != nil {
		c.b.WriteString(" AND ")
		if err := c.expr(q.Filter); err != nil {
			return err
		}
	}
	if bounded && q.After != nil {
		c.b.WriteString(" AND ")
		if err := c.keyset(SortKeys(q), q.After); err != nil {
			return err
		}
	}
	return nil
}

// expr compiles a checked filter expression.
func (c *compiler) expr(e filter.Expr) error {
	switch e := e.(type) {
	case *filter.And:
		return c.terms(e.Terms, " AND ")
	case *filter.Or:
		return c.terms(e.Terms, " OR ")
	case *filter.Not:
		c.b.WriteString("(NOT ")
		if err := c.expr(e.X); err != nil {
			return err
		}
		c.b.WriteByte(')')
		return nil
	case *filter.IsNull:
		c.isNull(e.Field.Info, e.Not)
		return nil
	case *filter.Cmp:
		f := e.Field.Info
		v := resource.LiteralValue(e.Value, f.Type)
		if v == nil {
			return fmt.Errorf("sqlquery: %s %s null: compare with null (the filter was not checked)", f.Name, e.Op)
		}
		if !f.List {
			return c.compare(f, c.d.Field(f), e.Op, v)
		}
		if e.Op == filter.Eq {
			return c.listAny(f, []any{v})
		}
		return c.list(f, func(x string) error { return c.compare(f, x, e.Op, v) })
	case *filter.In:
		f := e.Field.Info
		values := make([]any, 0, len(e.Values))
		for _, lv := range e.Values {
			values = append(values, resource.LiteralValue(lv, f.Type))
		}
		if f.List {
			return c.listAny(f, values)
		}
		c.in(f, c.d.Field(f), values)
		return nil
	}
	return fmt.Errorf("sqlquery: unknown filter node %T", e)
}

// terms compiles the terms of an AND or an OR.
func (c *compiler) terms(terms []filter.Expr, sep string) error {
	c.b.WriteByte('(')
	for i, t := range terms {
		if i > 0 {
			c.b.WriteString(sep)
		}
		if err := c.expr(t); err != nil {
			return err
		}
	}
	c.b.WriteByte(')')
	return nil
}

// isNull compiles "f is [not] null": for a list, whether it holds an
// array (an empty list is not null).
func (c *compiler) isNull(f filter.FieldInfo, not bool) {
	switch {
	case f.List && not:
		c.b.WriteString(c.d.ListPresent(f))
	case f.List:
		c.b.WriteString("(NOT " + c.d.ListPresent(f) + ")")
	case not:
		c.b.WriteString("(" + c.d.Field(f) + " IS NOT NULL)")
	default:
		c.b.WriteString("(" + c.d.Field(f) + " IS NULL)")
	}
}

// constant writes a condition that is null when x is null and value
// otherwise: a comparison whose outcome does not depend on x's value.
func (c *compiler) constant(x string, value bool) {
	c.b.WriteString("(CASE WHEN " + x + " IS NULL THEN NULL ELSE " + c.d.Bool(value) + " END)")
}

// sqlOp returns the SQL operator of a comparison.
func sqlOp(op filter.Op) string {
	if op == filter.Ne {
		return "<>"
	}
	return string(op)
}

// compare compiles "x op v" for a non-null v; x is Field(f) or the
// expression of a list element.
func (c *compiler) compare(f filter.FieldInfo, x string, op filter.Op, v any) error {
	switch v := v.(type) {
	case string:
		return c.str(f, x, op, v)
	case time.Time:
		if f.Meta {
			return c.metaTime(f, x, op, v)
		}
	}
	switch op {
	case filter.Eq, filter.Ne, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		c.b.WriteString("(" + x + " " + sqlOp(op) + " ")
		c.bind(f, v)
		c.b.WriteByte(')')
		return nil
	}
	return fmt.Errorf("sqlquery: %s does not apply to %s (a %T value)", op, f.Name, v)
}

// str compiles "x op s" on a text expression x.
//
// When stored strings cannot hold U+0000 (Dialect.HoldsNUL), a literal
// holding it is compared without sending it: with p the part before its
// first U+0000, a string x without U+0000 is greater than s exactly when
// it is greater than p, and less than s exactly when it is at most p; it
// never equals, contains or starts with s.
func (c *compiler) str(f filter.FieldInfo, x string, op filter.Op, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 && !c.d.HoldsNUL() {
		p := s[:i]
		switch op {
		case filter.Eq, filter.Contains, filter.Prefix:
			c.constant(x, false)
			return nil
		case filter.Ne, filter.NotContains:
			c.constant(x, true)
			return nil
		case filter.Gt, filter.Ge:
			op, s = filter.Gt, p
		case filter.Lt, filter.Le:
			op, s = filter.Le, p
		}
	}
	c.b.WriteByte('(')
	switch op {
	case filter.Eq, filter.Ne, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		c.b.WriteString(x + " " + sqlOp(op) + " ")
		c.bind(f, s)
	case filter.Contains, filter.NotContains:
		c.b.WriteString(c.d.Contains(x, c.d.Bind(&c.args, f, asciiLower(s))))
		if op == filter.Contains {
			c.b.WriteString(" > 0")
		} else {
			c.b.WriteString(" = 0")
		}
	case filter.Prefix:
		c.b.WriteString(x + " >= ")
		c.bind(f, s)
		if end, ok := prefixEnd(s); ok {
			c.b.WriteString(" AND " + x + " < ")
			c.bind(f, end)
		}
	default:
		return fmt.Errorf("sqlquery: unknown operator %q", op)
	}
	c.b.WriteByte(')')
	return nil
}

// inValues returns the values of an "in" list that a stored value of f can
// equal: without nulls, strings holding U+0000 where no stored string
// does, and meta times with a part finer than the microsecond.
func (c *compiler) inValues(f filter.FieldInfo, values []any) []any {
	out := make([]any, 0, len(values))
	for _, v := range values {
		switch v := v.(type) {
		case nil:
			continue
		case string:
			if !c.d.HoldsNUL() && strings.IndexByte(v, 0) >= 0 {
				continue
			}
		case time.Time:
			if f.Meta && v.Nanosecond()%1000 != 0 {
				continue
			}
		}
		out = append(out, v)
	}
	return out
}

// in compiles "x in values" (values of f).
func (c *compiler) in(f filter.FieldInfo, x string, values []any) {
	values = c.inValues(f, values)
	if len(values) == 0 {
		c.constant(x, false)
		return
	}
	c.b.WriteString(c.d.In(&c.args, f, x, values))
}

// listAny compiles "list field f has an element equal to one of values",
// with the dialect's indexed operator for lists of strings and dates when
// it has one.
func (c *compiler) listAny(f filter.FieldInfo, values []any) error {
	if f.Type == filter.String || f.Type == filter.Date {
		var strs []string
		for _, v := range c.inValues(f, values) {
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("sqlquery: %s: list element %v is not a string", f.Name, v)
			}
			strs = append(strs, s)
		}
		if len(strs) == 0 {
			// Null for a list that is not an array, false otherwise.
			c.b.WriteString("(CASE WHEN " + c.d.ListPresent(f) + " THEN " + c.d.Bool(false) + " END)")
			return nil
		}
		if cond := c.d.ListHas(&c.args, f, strs); cond != "" {
			c.b.WriteString(cond)
			return nil
		}
	}
	if len(values) == 1 {
		return c.list(f, func(x string) error { return c.compare(f, x, filter.Eq, values[0]) })
	}
	return c.list(f, func(x string) error {
		c.in(f, x, values)
		return nil
	})
}

// list compiles a condition on the elements of list field f: null when
// the list is null, absent or not an array, else whether an element
// satisfies elem's condition (elem receives the expression of the
// element and writes the condition).
func (c *compiler) list(f filter.FieldInfo, elem func(x string) error) error {
	from, x := c.d.ListElems(c.table, f)
	c.b.WriteString("(CASE WHEN " + c.d.ListPresent(f) + " THEN EXISTS (SELECT 1 FROM " + from + " WHERE ")
	if err := elem(x); err != nil {
		return err
	}
	c.b.WriteString(") END)")
	return nil
}

// metaTime compiles "x op t" on a meta time column x, which holds whole
// microseconds and is never null, exactly even when t has a finer part.
func (c *compiler) metaTime(f filter.FieldInfo, x string, op filter.Op, t time.Time) error {
	lo := time.UnixMicro(t.UnixMicro()).UTC() // floor: UnixMicro rounds toward the past
	if t.Equal(lo) {
		c.b.WriteString("(" + x + " " + sqlOp(op) + " ")
		c.bind(f, lo)
		c.b.WriteByte(')')
		return nil
	}
	// lo < t < lo+1µs, and the column holds whole microseconds.
	switch op {
	case filter.Eq:
		c.b.WriteString(c.d.Bool(false))
		return nil
	case filter.Ne:
		c.b.WriteString(c.d.Bool(true))
		return nil
	case filter.Gt, filter.Ge:
		c.b.WriteString("(" + x + " > ")
	case filter.Lt, filter.Le:
		c.b.WriteString("(" + x + " <= ")
	default:
		return fmt.Errorf("sqlquery: %s does not apply to %s", op, f.Name)
	}
	c.bind(f, lo)
	c.b.WriteByte(')')
	return nil
}

// keyset compiles "the row comes after bound in the order keys": for some
// i, the first i keys equal the bound's and key i comes after it, with
// nulls first ascending and last descending.
//
// When the first key's bound restricts its values to one side (ascending
// with a value, or descending on a meta column, which is never null), the
// range is also written as a plain conjunct (x >= v, x <= v), which an
// index on the first key turns into the start of its scan: the OR form
// alone makes PostgreSQL walk the index from its beginning.
func (c *compiler) keyset(keys []filter.SortKey, bound []any) error {
	if len(bound) != len(keys) {
		return fmt.Errorf("sqlquery: keyset bound has %d values for %d sort keys", len(bound), len(keys))
	}
	c.b.WriteByte('(')
	first := keys[0]
	if v := bound[0]; v != nil && (!first.Desc || first.Field.Meta) {
		op := filter.Ge
		if first.Desc {
			op = filter.Le
		}
		if err := c.compare(first.Field, c.d.Field(first.Field), op, v); err != nil {
			return err
		}
		c.b.WriteString(" AND ")
	}
	c.b.WriteByte('(')
	terms := 0
	for i, key := range keys {
		v := bound[i]
		if key.Desc && v == nil {
			continue // nothing sorts after null in descending order
		}
		if terms > 0 {
			c.b.WriteString(" OR ")
		}
		terms++
		c.b.WriteByte('(')
		for j := range i {
			if bound[j] == nil {
				c.b.WriteString(c.d.Field(keys[j].Field) + " IS NULL")
			} else if err := c.compare(keys[j].Field, c.d.Field(keys[j].Field), filter.Eq, bound[j]); err != nil {
				return err
			}
			c.b.WriteString(" AND ")
		}
		x := c.d.Field(key.Field)
		switch {
		case v == nil:
			c.b.WriteString(x + " IS NOT NULL")
		case key.Desc:
			c.b.WriteByte('(')
			if err := c.compare(key.Field, x, filter.Lt, v); err != nil {
				return err
			}
			c.b.WriteString(" OR " + x + " IS NULL)")
		default:
			if err := c.compare(key.Field, x, filter.Gt, v); err != nil {
				return err
			}
		}
		c.b.WriteByte(')')
	}
	if terms == 0 {
		c.b.WriteString(c.d.Bool(false))
	}
	c.b.WriteString("))")
	return nil
}

// orderBy writes the ORDER BY clause of keys.
func (c *compiler) orderBy(keys []filter.SortKey) {
	c.b.WriteString(" ORDER BY ")
	for i, key := range keys {
		if i > 0 {
			c.b.WriteString(", ")
		}
		c.b.WriteString(c.d.Order(key))
	}
}

// prefixEnd returns the smallest valid UTF-8 string greater (in code
// point order, which is byte order) than every string that starts with
// p, or false when there is none (p is empty or all U+10FFFF). It
// increments the last code point, skipping the surrogates, which UTF-8
// cannot encode. Filter literals are valid UTF-8 (the lexer checks), and
// so is every bound (PostgreSQL refuses other text; SQLite leaves its
// behaviour undefined).
func prefixEnd(p string) (string, bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == 0xD7FF:
			return p + string(rune(0xE000)), true
		}
		return p + string(r+1), true
	}
	return "", false
}
