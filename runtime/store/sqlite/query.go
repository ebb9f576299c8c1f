package sqlite

import (
	"fmt"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// Filters compile to SQL text built only from the kind's table name and
// the field paths of checked filter.FieldInfo values (quoted by quote and
// jsonPath), with every literal bound as a parameter.
//
// Typed comparisons:
//   - string, date: TEXT, compared bytewise (BINARY collation), as Go does;
//   - int, float: SQLite numbers;
//   - bool: json_extract yields 1 and 0;
//   - datetime data fields: generated code stores RFC 3339 UTC strings
//     with 0 to 9 fractional digits, which do not sort as text
//     ("…05Z" > "…05.5Z"), so queries and indexes use sqlschema.SQLiteDateTime, the
//     string with exactly nine fractional digits;
//   - datetime meta fields: INTEGER unix microseconds.
//
// "~" is instr(lower(x), lower(v)) > 0: lower() folds ASCII letters only,
// and so does the memory backend. "^=" is a range on x (x >= p AND x <
// p's successor), which an index serves. List fields are tested with
// EXISTS over json_each; a null or absent list makes every comparison on
// it null, as a null scalar does.

// dateTimeLayout is the normalized form of a datetime: nine fractional
// digits, UTC.
const dateTimeLayout = "2006-01-02T15:04:05.000000000Z"

// fieldExpr returns the SQL expression of a scalar field: a column for a
// meta field, the (normalized) JSON value for a data field
// (sqlschema.SQLiteFieldExpr). The ix_ indexes use the same text.
func fieldExpr(f filter.FieldInfo) string {
	if f.Meta {
		return quote(f.Name)
	}
	return sqlschema.SQLiteFieldExpr(f.Name, resource.FieldType(f.Type))
}

// sqlArg converts a value typed as resource.SortValue returns it to the
// SQL argument compared with fieldExpr(f).
func sqlArg(f filter.FieldInfo, v any) any {
	switch v := v.(type) {
	case time.Time:
		if f.Meta {
			return micros(v)
		}
		return v.UTC().Format(dateTimeLayout)
	case bool:
		if v {
			return 1
		}
		return 0
	}
	return v
}

// compiler builds a WHERE clause and its arguments.
type compiler struct {
	table string // quoted table name, to qualify data inside json_each
	b     strings.Builder
	args  []any
}

// arg appends a bound parameter and writes its placeholder.
func (c *compiler) arg(v any) {
	c.args = append(c.args, v)
	c.b.WriteByte('?')
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
		c.b.WriteByte('(')
		if f.List {
			c.b.WriteString(extract(f.Name))
		} else {
			c.b.WriteString(fieldExpr(f))
		}
		if e.Not {
			c.b.WriteString(" IS NOT NULL)")
		} else {
			c.b.WriteString(" IS NULL)")
		}
		return nil
	case *filter.Cmp:
		f := e.Field.Info
		v := resource.LiteralValue(e.Value, f.Type)
		if v == nil {
			return fmt.Errorf("sqlite: %s %s null: compare with null (the filter was not checked)", f.Name, e.Op)
		}
		if f.List {
			return c.list(f, func(elem string) error { return c.cmp(f, elem, e.Op, v) })
		}
		if t, ok := v.(time.Time); ok && f.Meta {
			return c.metaTime(quote(f.Name), e.Op, t)
		}
		return c.cmp(f, fieldExpr(f), e.Op, v)
	case *filter.In:
		f := e.Field.Info
		if f.List {
			return c.list(f, func(elem string) error { return c.in(f, elem, e.Values) })
		}
		return c.in(f, fieldExpr(f), e.Values)
	}
	return fmt.Errorf("sqlite: unknown filter node %T", e)
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

// cmp compiles "x op v" for a non-null v.
func (c *compiler) cmp(f filter.FieldInfo, x string, op filter.Op, v any) error {
	c.b.WriteByte('(')
	switch op {
	case filter.Eq, filter.Ne, filter.Gt, filter.Ge, filter.Lt, filter.Le:
		c.b.WriteString(x + " " + string(op) + " ")
		c.arg(sqlArg(f, v))
	case filter.Contains, filter.NotContains:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("sqlite: %s applies to strings, not %T", op, v)
		}
		c.b.WriteString("instr(lower(" + x + "), ")
		c.arg(asciiLower(s))
		if op == filter.Contains {
			c.b.WriteString(") > 0")
		} else {
			c.b.WriteString(") = 0")
		}
	case filter.Prefix:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("sqlite: %s applies to strings, not %T", op, v)
		}
		c.b.WriteString(x + " >= ")
		c.arg(s)
		if end, ok := prefixEnd(s); ok {
			c.b.WriteString(" AND " + x + " < ")
			c.arg(end)
		}
	default:
		return fmt.Errorf("sqlite: unknown operator %q", op)
	}
	c.b.WriteByte(')')
	return nil
}

// in compiles "x IN (values)".
func (c *compiler) in(f filter.FieldInfo, x string, values []filter.Value) error {
	var args []any
	for _, lv := range values {
		v := resource.LiteralValue(lv, f.Type)
		if t, ok := v.(time.Time); ok && f.Meta {
			// A meta time is whole microseconds: a finer value never equals it.
			if t.Nanosecond()%1000 != 0 {
				continue
			}
		}
		args = append(args, sqlArg(f, v))
	}
	if len(args) == 0 {
		// Only meta times with sub-microsecond parts: no match, and the
		// column is never null.
		c.b.WriteString("(0)")
		return nil
	}
	c.b.WriteString("(" + x + " IN (")
	for i, a := range args {
		if i > 0 {
			c.b.WriteString(", ")
		}
		c.arg(a)
	}
	c.b.WriteString("))")
	return nil
}

// list compiles a condition on the elements of a list field: null when
// the list is null or absent, else whether an element satisfies elem's
// condition (elem receives the SQL expression of the element).
func (c *compiler) list(f filter.FieldInfo, elem func(x string) error) error {
	c.b.WriteString("(CASE WHEN " + extract(f.Name) + " IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM json_each(" +
		c.table + ".data, " + jsonPath(f.Name) + ") WHERE ")
	x := "value"
	if f.Type == filter.DateTime {
		x = sqlschema.SQLiteDateTime("value")
	}
	if err := elem(x); err != nil {
		return err
	}
	c.b.WriteString(") END)")
	return nil
}

// metaTime compiles a comparison of a meta time column (whole unix
// microseconds, never null) with t, exactly even when t has a finer part.
func (c *compiler) metaTime(col string, op filter.Op, t time.Time) error {
	lo := micros(t) // floor: UnixMicro rounds toward the past
	if t.Nanosecond()%1000 == 0 {
		c.b.WriteString("(" + col + " " + string(op) + " ")
		c.arg(lo)
		c.b.WriteByte(')')
		return nil
	}
	// lo < t < lo+1µs, and the column holds whole microseconds.
	switch op {
	case filter.Eq:
		c.b.WriteString("(0)")
		return nil
	case filter.Ne:
		c.b.WriteString("(1)")
		return nil
	case filter.Gt, filter.Ge:
		c.b.WriteString("(" + col + " > ")
	case filter.Lt, filter.Le:
		c.b.WriteString("(" + col + " <= ")
	default:
		return fmt.Errorf("sqlite: %s does not apply to %s", op, col)
	}
	c.arg(lo)
	c.b.WriteByte(')')
	return nil
}

// keyset compiles "the row comes after bound in the order keys": for some
// i, the first i keys equal the bound's and key i comes after it, with
// nulls first ascending and last descending.
func (c *compiler) keyset(keys []filter.SortKey, bound []any) error {
	if len(bound) != len(keys) {
		return fmt.Errorf("sqlite: keyset bound has %d values for %d sort keys", len(bound), len(keys))
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
			x := fieldExpr(keys[j].Field)
			if bound[j] == nil {
				c.b.WriteString(x + " IS NULL AND ")
			} else {
				c.b.WriteString(x + " = ")
				c.arg(sqlArg(keys[j].Field, bound[j]))
				c.b.WriteString(" AND ")
			}
		}
		x := fieldExpr(key.Field)
		switch {
		case v == nil:
			c.b.WriteString(x + " IS NOT NULL")
		case key.Desc:
			c.b.WriteString("(" + x + " < ")
			c.arg(sqlArg(key.Field, v))
			c.b.WriteString(" OR " + x + " IS NULL)")
		default:
			c.b.WriteString(x + " > ")
			c.arg(sqlArg(key.Field, v))
		}
		c.b.WriteByte(')')
	}
	if terms == 0 {
		c.b.WriteString("0")
	}
	c.b.WriteByte(')')
	return nil
}

// orderBy returns the ORDER BY clause of keys. SQLite sorts nulls first
// ascending and last descending, the order every backend uses.
func orderBy(keys []filter.SortKey) string {
	var b strings.Builder
	b.WriteString(" ORDER BY ")
	for i, key := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(fieldExpr(key.Field))
		if key.Desc {
			b.WriteString(" DESC")
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
func whereClause(table string, q *resource.Query, bounded bool) (string, []any, error) {
	c := &compiler{table: table}
	c.b.WriteString(" WHERE ")
	switch {
	case q.OnlyDeleted:
		c.b.WriteString("is_deleted = 1")
	case q.IncludeDeleted:
		c.b.WriteString("1")
	default:
		// Most rows are live: the unary plus keeps the planner from
		// choosing the (is_deleted, resource_id) index for this term
		// over the index of a filtered or sorted field.
		c.b.WriteString("+is_deleted = 0")
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

// listSQL returns the query and arguments of List; index, when set,
// makes SQLite walk that index (INDEXED BY).
func listSQL(table string, q *resource.Query, index string) (string, []any, error) {
	where, args, err := whereClause(table, q, true)
	if err != nil {
		return "", nil, err
	}
	limit := -1 // SQLite: no limit
	if q.Limit > 0 {
		limit = q.Limit
	}
	args = append(args, limit, q.Offset)
	from := table
	if index != "" {
		from += " INDEXED BY " + quote(index)
	}
	return "SELECT " + recordColumns + " FROM " + from + where + orderBy(sortKeys(q)) + " LIMIT ? OFFSET ?", args, nil
}

// asciiLower lower-cases ASCII letters only, as SQLite's lower() does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}

// prefixEnd returns the smallest string greater than every string with
// prefix p (bytewise), or false when there is none (p is empty or all
// 0xff bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}
