package postgres

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Filters compile to SQL text built only from the kind's table name and
// the field paths of checked filter.FieldInfo values (through the
// builders of expr.go, which quote them), with every literal bound as a
// parameter ($n). The result equals the memory backend's on every query:
//
//   - Comparisons follow SQL null semantics, as filters do.
//   - Strings compare byte by byte (COLLATE "C").
//   - "~" is strpos(translate(x, 'A…Z', 'a…z'), lower(v)) > 0: translate
//     folds the ASCII letters A-Z and nothing else (lower() and ILIKE
//     would fold É to é under most collations), and strpos takes the
//     value as plain text, so % and _ match themselves.
//   - "^=" is the range x >= p AND x < p', where p' is p with its last
//     code point incremented, the smallest string after every string
//     starting with p; a btree index serves it.
//   - Lists of strings (and dates) use jsonb containment, which a GIN
//     index serves: "tags = v" is JSONB(tags) @> [v], "tags in [...]" is
//     JSONB(tags) ?| array[...]. Other list tests run EXISTS over
//     json_array_elements_text. A list that is null, absent or not an
//     array makes every test on it null.
//   - Meta times are timestamptz (whole microseconds); a literal with a
//     finer part compares exactly (see metaTime).
//   - PostgreSQL text cannot hold U+0000, so no stored string contains
//     it; a literal that does is compared through the part before its
//     first U+0000 (see stringCmp) instead of being sent.

// compiler builds a WHERE clause and its arguments.
type compiler struct {
	b    strings.Builder
	args []any
}

// arg appends a bound parameter and writes its placeholder, with a cast
// when cast is not empty.
func (c *compiler) arg(v any, cast string) {
	c.args = append(c.args, v)
	c.b.WriteString("$" + strconv.Itoa(len(c.args)))
	if cast != "" {
		c.b.WriteString("::" + cast)
	}
}

// sqlType returns the SQL type of a value compared with FieldExpr(f).
func sqlType(f filter.FieldInfo) string {
	if f.Meta {
		if f.Type == filter.DateTime {
			return "timestamptz"
		}
		return "text"
	}
	switch f.Type {
	case filter.Int:
		return "numeric"
	case filter.Float:
		return "double precision"
	case filter.Bool:
		return "boolean"
	}
	return "text"
}

// dateTimeLayout is the normalized text of a datetime data field (see
// DateTime): nine fractional digits, UTC.
const dateTimeLayout = "2006-01-02T15:04:05.000000000Z"

// sqlArg converts a value typed as resource.SortValue returns it to the
// argument compared with FieldExpr(f).
func sqlArg(f filter.FieldInfo, v any) any {
	if t, ok := v.(time.Time); ok {
		if f.Meta {
			return t.UTC()
		}
		return t.UTC().Format(dateTimeLayout)
	}
	return v
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
		f := e.Field.Info
		switch {
		case f.List && e.Not:
			c.b.WriteString(ListPresent(f.Name))
		case f.List:
			c.b.WriteString("(NOT " + ListPresent(f.Name) + ")")
		case e.Not:
			c.b.WriteString("(" + FieldExpr(f) + " IS NOT NULL)")
		default:
			c.b.WriteString("(" + FieldExpr(f) + " IS NULL)")
		}
		return nil
	case *filter.Cmp:
		f := e.Field.Info
		v := resource.LiteralValue(e.Value, f.Type)
		if v == nil {
			return fmt.Errorf("postgres: %s %s null: compare with null (the filter was not checked)", f.Name, e.Op)
		}
		if f.List {
			if e.Op == filter.Eq && containable(f.Type) {
				return c.contains(f, []filter.Value{e.Value})
			}
			return c.list(f, func(elem string) error { return c.cmp(f, elem, e.Op, v) })
		}
		if t, ok := v.(time.Time); ok && f.Meta {
			return c.metaTime(FieldExpr(f), e.Op, t)
		}
		return c.cmp(f, FieldExpr(f), e.Op, v)
	case *filter.In:
		f := e.Field.Info
		if f.List {
			if containable(f.Type) {
				return c.contains(f, e.Values)
			}
			return c.list(f, func(elem string) error { return c.in(f, elem, e.Values) })
		}
		return c.in(f, FieldExpr(f), e.Values)
	}
	return fmt.Errorf("postgres: unknown filter node %T", e)
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

// constant writes a condition that is null when x is null and value
// otherwise: a comparison whose outcome does not depend on x's value.
func (c *compiler) constant(x string, value bool) {
	c.b.WriteString("(CASE WHEN " + x + " IS NULL THEN NULL ELSE " + strconv.FormatBool(value) + " END)")
}

// cmp compiles "x op v" for a non-null v; x is FieldExpr(f) or the typed
// expression of a list element.
func (c *compiler) cmp(f filter.FieldInfo, x string, op filter.Op, v any) error {
	if s, ok := v.(string); ok {
		return c.stringCmp(x, op, s)
	}
	switch op {
	case filter.Eq, filter.Ne, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		c.b.WriteString("(" + x + " " + sqlOp(op) + " ")
		c.arg(sqlArg(f, v), sqlType(f))
		c.b.WriteByte(')')
		return nil
	}
	return fmt.Errorf("postgres: %s does not apply to %s (a %T value)", op, f.Name, v)
}

// sqlOp returns the SQL operator of a comparison.
func sqlOp(op filter.Op) string {
	if op == filter.Ne {
		return "<>"
	}
	return string(op)
}

// asciiFold is the translate() argument pair that lower-cases ASCII
// letters only.
const asciiFold = `'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'`

// stringCmp compiles "x op s" on a text expression x with the C collation.
//
// Stored strings never contain U+0000 (PostgreSQL text cannot hold it),
// and the database would refuse it as an argument, so a literal holding
// it is compared without sending it: with p the part before its first
// U+0000, a string x without U+0000 is greater than s exactly when it is
// greater than p, and less than s exactly when it is at most p; it never
// equals, contains or starts with s.
func (c *compiler) stringCmp(x string, op filter.Op, s string) error {
	if i := strings.IndexByte(s, 0); i >= 0 {
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
		c.arg(s, "text")
	case filter.Contains, filter.NotContains:
		c.b.WriteString("strpos(translate(" + x + ", " + asciiFold + "), ")
		c.arg(asciiLower(s), "text")
		if op == filter.Contains {
			c.b.WriteString(") > 0")
		} else {
			c.b.WriteString(") = 0")
		}
	case filter.Prefix:
		c.b.WriteString(x + " >= ")
		c.arg(s, "text")
		if end, ok := prefixEnd(s); ok {
			c.b.WriteString(" AND " + x + " < ")
			c.arg(end, "text")
		}
	default:
		return fmt.Errorf("postgres: unknown operator %q", op)
	}
	c.b.WriteByte(')')
	return nil
}

// in compiles "x IN (values)" as x = ANY($n), one array argument, so that
// the statement text does not depend on the number of values.
func (c *compiler) in(f filter.FieldInfo, x string, values []filter.Value) error {
	var args []any
	for _, lv := range values {
		v := resource.LiteralValue(lv, f.Type)
		switch v := v.(type) {
		case nil:
			continue
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				continue // equals no stored string
			}
		case time.Time:
			// A meta time is whole microseconds: a finer value never equals it.
			if f.Meta && v.Nanosecond()%1000 != 0 {
				continue
			}
		}
		args = append(args, sqlArg(f, v))
	}
	if len(args) == 0 {
		c.constant(x, false)
		return nil
	}
	c.b.WriteString("(" + x + " = ANY(")
	c.arg(typedArray(f, args), sqlType(f)+"[]")
	c.b.WriteString("))")
	return nil
}

// typedArray converts the arguments of an "in" list to a slice pgx
// encodes as an array of sqlType(f).
func typedArray(f filter.FieldInfo, args []any) any {
	switch sqlType(f) {
	case "numeric":
		out := make([]int64, len(args))
		for i, a := range args {
			out[i] = a.(int64)
		}
		return out
	case "double precision":
		out := make([]float64, len(args))
		for i, a := range args {
			out[i] = a.(float64)
		}
		return out
	case "boolean":
		out := make([]bool, len(args))
		for i, a := range args {
			out[i] = a.(bool)
		}
		return out
	case "timestamptz":
		out := make([]time.Time, len(args))
		for i, a := range args {
			out[i] = a.(time.Time)
		}
		return out
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.(string)
	}
	return out
}

// contains compiles "the list of strings f has an element equal to one of
// values" with jsonb containment, which the GIN index of f serves: null
// when the list is null or absent.
func (c *compiler) contains(f filter.FieldInfo, values []filter.Value) error {
	var strs []string
	for _, lv := range values {
		s, ok := resource.LiteralValue(lv, f.Type).(string)
		if !ok {
			return fmt.Errorf("postgres: %s: list element %v is not a string", f.Name, lv)
		}
		if strings.IndexByte(s, 0) < 0 {
			strs = append(strs, s)
		}
	}
	x := JSONB(f.Name)
	switch len(strs) {
	case 0:
		c.constant(x, false)
	case 1:
		c.b.WriteString("(" + x + " @> jsonb_build_array(")
		c.arg(strs[0], "text")
		c.b.WriteString("))")
	default:
		c.b.WriteString("(" + x + " ?| ")
		c.arg(strs, "text[]")
		c.b.WriteByte(')')
	}
	return nil
}

// list compiles a condition on the elements of a list field: null when
// the list is null, absent or not an array, else whether an element
// satisfies elem's condition (elem receives the typed expression of the
// element).
func (c *compiler) list(f filter.FieldInfo, elem func(x string) error) error {
	c.b.WriteString("(CASE WHEN " + ListPresent(f.Name) + " THEN EXISTS (SELECT 1 FROM json_array_elements_text(" +
		ListArray(f.Name) + ") AS e(v) WHERE ")
	if err := elem(Typed("e.v", f.Type)); err != nil {
		return err
	}
	c.b.WriteString(") END)")
	return nil
}

// metaTime compiles a comparison of a meta time column (timestamptz:
// whole microseconds, never null) with t, exactly even when t has a finer
// part.
func (c *compiler) metaTime(col string, op filter.Op, t time.Time) error {
	lo := time.UnixMicro(t.UnixMicro()).UTC() // floor to the microsecond
	if t.Equal(lo) {
		c.b.WriteString("(" + col + " " + sqlOp(op) + " ")
		c.arg(lo, "timestamptz")
		c.b.WriteByte(')')
		return nil
	}
	// lo < t < lo+1µs, and the column holds whole microseconds.
	switch op {
	case filter.Eq:
		c.b.WriteString("false")
		return nil
	case filter.Ne:
		c.b.WriteString("true")
		return nil
	case filter.Gt, filter.Ge:
		c.b.WriteString("(" + col + " > ")
	case filter.Lt, filter.Le:
		c.b.WriteString("(" + col + " <= ")
	default:
		return fmt.Errorf("postgres: %s does not apply to %s", op, col)
	}
	c.arg(lo, "timestamptz")
	c.b.WriteByte(')')
	return nil
}

// keyCmp compiles "x op v" for a sort key value v (non-null), as cmp does.
func (c *compiler) keyCmp(f filter.FieldInfo, op filter.Op, v any) error {
	return c.cmp(f, FieldExpr(f), op, v)
}

// keyset compiles "the row comes after bound in the order keys": for some
// i, the first i keys equal the bound's and key i comes after it, with
// nulls first ascending and last descending.
//
// When the first key's bound restricts its values to one side (ascending
// with a value, or descending on a column that is never null), the range
// is also written as a plain conjunct (x >= v, x <= v), which an index on
// the first key turns into the start of its scan: the OR form alone
// would make PostgreSQL walk the index from its beginning.
func (c *compiler) keyset(keys []filter.SortKey, bound []any) error {
	if len(bound) != len(keys) {
		return fmt.Errorf("postgres: keyset bound has %d values for %d sort keys", len(bound), len(keys))
	}
	c.b.WriteByte('(')
	first := keys[0]
	if v := bound[0]; v != nil && (!first.Desc || first.Field.Meta) {
		op := filter.Ge
		if first.Desc {
			op = filter.Le
		}
		if err := c.keyCmp(first.Field, op, v); err != nil {
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
				c.b.WriteString(FieldExpr(keys[j].Field) + " IS NULL")
			} else if err := c.keyCmp(keys[j].Field, filter.Eq, bound[j]); err != nil {
				return err
			}
			c.b.WriteString(" AND ")
		}
		x := FieldExpr(key.Field)
		switch {
		case v == nil:
			c.b.WriteString(x + " IS NOT NULL")
		case key.Desc:
			c.b.WriteByte('(')
			if err := c.keyCmp(key.Field, filter.Lt, v); err != nil {
				return err
			}
			c.b.WriteString(" OR " + x + " IS NULL)")
		default:
			if err := c.keyCmp(key.Field, filter.Gt, v); err != nil {
				return err
			}
		}
		c.b.WriteByte(')')
	}
	if terms == 0 {
		c.b.WriteString("false")
	}
	c.b.WriteString("))")
	return nil
}

// orderBy returns the ORDER BY clause of keys: nulls first ascending and
// last descending, the order every backend uses, and the order of the
// ix_ indexes (built NULLS FIRST, so that a forward scan gives ascending
// and a backward scan descending order). Meta columns are never null and
// take no NULLS clause, so that their own indexes (the primary key) serve
// them.
func orderBy(keys []filter.SortKey) string {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	for i, key := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(FieldExpr(key.Field))
		switch {
		case key.Field.Meta && key.Desc:
			b.WriteString(" DESC")
		case key.Field.Meta:
		case key.Desc:
			b.WriteString(" DESC NULLS LAST")
		default:
			b.WriteString(" NULLS FIRST")
		}
	}
	return b.String()
}

// sortKeys returns q's order, resource_id ascending when it has none.
func sortKeys(q *resource.Query) []filter.SortKey {
	if len(q.Sort) == 0 {
		return []filter.SortKey{resource.ResourceIDKey}
	}
	return q.Sort
}

// whereClause returns the WHERE clause of q (deletion mode, filter and,
// when bounded, the keyset bound) and its arguments.
func whereClause(q *resource.Query, bounded bool) (string, []any, error) {
	c := &compiler{}
	c.b.WriteString(" WHERE ")
	switch {
	case q.OnlyDeleted:
		c.b.WriteString("is_deleted")
	case q.IncludeDeleted:
		c.b.WriteString("true")
	default:
		c.b.WriteString("NOT is_deleted")
	}
	if q.Filter != nil {
		c.b.WriteString(" AND ")
		if err := c.expr(q.Filter); err != nil {
			return "", nil, err
		}
	}
	if bounded && q.After != nil {
		c.b.WriteString(" AND ")
		if err := c.keyset(sortKeys(q), q.After); err != nil {
			return "", nil, err
		}
	}
	return c.b.String(), c.args, nil
}

// listSQL returns the query and arguments of List on table.
func listSQL(table string, q *resource.Query) (string, []any, error) {
	where, args, err := whereClause(q, true)
	if err != nil {
		return "", nil, err
	}
	var b strings.Builder
	b.WriteString("SELECT " + recordColumns + " FROM " + table + where + orderBy(sortKeys(q)))
	if q.Limit > 0 {
		args = append(args, q.Limit)
		b.WriteString(" LIMIT $" + strconv.Itoa(len(args)))
	}
	if q.Offset > 0 {
		args = append(args, q.Offset)
		b.WriteString(" OFFSET $" + strconv.Itoa(len(args)))
	}
	return b.String(), args, nil
}

// countSQL returns the query and arguments of Count on table.
func countSQL(table string, q *resource.Query) (string, []any, error) {
	where, args, err := whereClause(q, false)
	if err != nil {
		return "", nil, err
	}
	return "SELECT count(*) FROM " + table + where, args, nil
}

// asciiLower lower-cases ASCII letters only, as translate(x, asciiFold)
// does in the database.
func asciiLower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

// prefixEnd returns the smallest valid UTF-8 string greater (in code
// point order, which is byte order) than every string that starts with
// p, or false when there is none (p is empty or all U+10FFFF). It
// increments the last code point, skipping the surrogates, which UTF-8
// cannot encode. Filter literals are valid UTF-8 (the lexer checks), and
// the database refuses any other text argument.
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
