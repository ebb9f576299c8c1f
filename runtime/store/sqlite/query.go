package sqlite

import (
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlquery"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// Lists and counts compile with package sqlquery, the compiler both SQL
// backends share; dialect is what SQLite's SQL supplies to it.
//
// Typed comparisons:
//   - string, date: TEXT, compared bytewise (BINARY collation), as Go does;
//   - int, float: SQLite numbers;
//   - bool: json_extract yields 1 and 0, and so are bools bound;
//   - datetime data fields: generated code stores RFC 3339 UTC strings
//     with 0 to 9 fractional digits, which do not sort as text
//     ("…05Z" > "…05.5Z"), so queries and indexes use
//     sqlschema.SQLiteDateTime, the string with exactly nine fractional
//     digits, and datetimes are bound in that form;
//   - datetime meta fields: INTEGER unix microseconds.
//
// "~" is instr(lower(x), v) > 0: lower() folds ASCII letters only, as the
// memory backend does. List fields are tested with EXISTS over json_each.
type dialect struct{}

// dateTimeLayout is the normalized form of a datetime: nine fractional
// digits, UTC.
const dateTimeLayout = "2006-01-02T15:04:05.000000000Z"

// Field returns the quoted column of a meta field, the (normalized) JSON
// value of a data field (sqlschema.SQLiteFieldExpr). The ix_ indexes use
// the same text.
func (dialect) Field(f filter.FieldInfo) string {
	if f.Meta {
		return quote(f.Name)
	}
	return sqlschema.SQLiteFieldExpr(f.Name, resource.FieldType(f.Type))
}

// arg converts a value of f to the SQL argument compared with its
// expression.
func arg(f filter.FieldInfo, v any) any {
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

// Bind binds v as arg converts it.
//
// The placeholder is written +? (the same value): SQLite, built with
// STAT4 as modernc's is, marks a statement whose plan may depend on a
// parameter compared with an indexed expression, and compiles it again
// at every execution with a new value. For a cached list statement that
// doubled the cost of preparing it, on every request; the unary plus
// keeps the planner from looking at the value, so the statement keeps
// its plan, which rests on sqlite_stat1's rows per key (and on
// sortIndex's choice of index).
func (dialect) Bind(args *sqlquery.Args, f filter.FieldInfo, v any) string {
	args.Add(arg(f, v))
	return "?"
}

// In returns x IN (?, ?, …).
func (dialect) In(args *sqlquery.Args, f filter.FieldInfo, x string, values []any) string {
	var b strings.Builder
	b.WriteString("(" + x + " IN (")
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		args.Add(arg(f, v))
		b.WriteByte('?')
	}
	b.WriteString("))")
	return b.String()
}

// ListPresent returns (json_type(data, path) IS 'array'): false for a
// null, absent or non-array value.
func (dialect) ListPresent(f filter.FieldInfo) string {
	return "(json_type(data, " + jsonPath(f.Name) + ") IS 'array')"
}

// ListElems returns json_each over the list and its value column,
// normalized for datetimes.
func (dialect) ListElems(table string, f filter.FieldInfo) (string, string) {
	elem := "value"
	if f.Type == filter.DateTime {
		elem = sqlschema.SQLiteDateTime(elem)
	}
	return "json_each(" + table + ".data, " + jsonPath(f.Name) + ")", elem
}

// ListHas returns "": SQLite cannot index list elements.
func (dialect) ListHas(*sqlquery.Args, filter.FieldInfo, []string) string { return "" }

// Contains returns instr(lower(x), needle).
func (dialect) Contains(x, needle string) string {
	return "instr(" + sqlschema.SQLiteFold(x) + ", " + needle + ")"
}

// Bool returns 1 or 0.
func (dialect) Bool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Visible returns the deletion mode condition. Most rows are live: the
// unary plus keeps the planner from choosing the (is_deleted,
// resource_id) index for the live condition over the index of a filtered
// or sorted field.
func (dialect) Visible(q *resource.Query) string {
	switch {
	case q.OnlyDeleted:
		return "is_deleted = 1"
	case q.IncludeDeleted:
		return "1"
	}
	return "+is_deleted = 0"
}

// Order returns the key's expression, with DESC when descending: SQLite
// sorts nulls first ascending and last descending, the order every
// backend uses.
func (d dialect) Order(key filter.SortKey) string {
	if key.Desc {
		return d.Field(key.Field) + " DESC"
	}
	return d.Field(key.Field)
}

// Page always returns " LIMIT +? OFFSET +?" (-1: no limit), so that every
// page of a query has the same text and one prepared statement.
//
// The unary plus keeps the values out of the plan. SQLite plans with the
// value of a bare LIMIT parameter, and a statement planned with the
// value of a parameter is compiled again whenever that parameter is
// bound, even to the same value: every execution of a cached list
// statement was compiled twice (once when cached, once when run), a
// tenth of the list's cost. The plan choice a LIMIT drives is sortIndex's.
func (dialect) Page(args *sqlquery.Args, limit, offset int) string {
	if limit <= 0 {
		limit = -1
	}
	args.Add(limit)
	args.Add(offset)
	return " LIMIT +? OFFSET +?"
}

// HoldsNUL reports true: SQLite text holds U+0000.
func (dialect) HoldsNUL() bool { return true }

// listSQL returns the query and arguments of List; index, when set,
// makes SQLite walk that index (INDEXED BY).
func listSQL(table string, q *resource.Query, index string) (string, []any, error) {
	t := sqlquery.Table{Name: table, Columns: recordColumns}
	if index != "" {
		t.From = table + " INDEXED BY " + quote(index)
	}
	return sqlquery.List(dialect{}, t, q)
}

// countSQL returns the query and arguments of Count.
func countSQL(table string, q *resource.Query) (string, []any, error) {
	return sqlquery.Count(dialect{}, sqlquery.Table{Name: table}, q)
}
