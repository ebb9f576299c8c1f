package postgres

import (
	"strconv"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlquery"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// Lists and counts compile with package sqlquery, the compiler both SQL
// backends share; dialect is what PostgreSQL's SQL supplies to it (the
// field expressions of expr.go, which the indexes use):
//
//   - Arguments are $n with the cast of the field's type (sqlType).
//   - Strings compare byte by byte (COLLATE "C").
//   - "~" is strpos(translate(x, 'A…Z', 'a…z'), v) > 0: translate folds
//     the ASCII letters A-Z and nothing else (lower() and ILIKE would
//     fold É to é under most collations), and strpos takes the value as
//     plain text, so % and _ match themselves.
//   - "in" is x = ANY($n), one array argument, so that the statement text
//     does not depend on the number of values.
//   - Lists of strings (and dates) use jsonb containment, which a GIN
//     index serves: "tags = v" is JSONB(tags) @> [v], "tags in [...]" is
//     JSONB(tags) ?| array[...]. Other list tests run EXISTS over
//     json_array_elements_text.
//   - Meta times are timestamptz (whole microseconds).
//   - PostgreSQL text cannot hold U+0000 (HoldsNUL is false).
type dialect struct{}

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

// arg converts a value of f to the argument compared with FieldExpr(f).
func arg(f filter.FieldInfo, v any) any {
	if t, ok := v.(time.Time); ok {
		if f.Meta {
			return t.UTC()
		}
		return t.UTC().Format(dateTimeLayout)
	}
	return v
}

// placeholder returns $n with a cast.
func placeholder(n int, cast string) string {
	return "$" + strconv.Itoa(n) + "::" + cast
}

// Field returns FieldExpr(f).
func (dialect) Field(f filter.FieldInfo) string { return FieldExpr(f) }

// Bind binds v as arg converts it, cast to sqlType(f).
func (dialect) Bind(args *sqlquery.Args, f filter.FieldInfo, v any) string {
	return placeholder(args.Add(arg(f, v)), sqlType(f))
}

// In returns (x = ANY($n::type[])).
func (dialect) In(args *sqlquery.Args, f filter.FieldInfo, x string, values []any) string {
	return "(" + x + " = ANY(" + placeholder(args.Add(typedArray(f, values)), sqlType(f)+"[]") + "))"
}

// typedArray converts the values of an "in" list to a slice pgx encodes
// as an array of sqlType(f).
func typedArray(f filter.FieldInfo, values []any) any {
	switch sqlType(f) {
	case "numeric":
		return convert[int64](f, values)
	case "double precision":
		return convert[float64](f, values)
	case "boolean":
		return convert[bool](f, values)
	case "timestamptz":
		return convert[time.Time](f, values)
	}
	return convert[string](f, values)
}

// convert returns the values, converted by arg, as a []T.
func convert[T any](f filter.FieldInfo, values []any) []T {
	out := make([]T, len(values))
	for i, v := range values {
		out[i] = arg(f, v).(T)
	}
	return out
}

// ListPresent returns ListPresent(f.Name).
func (dialect) ListPresent(f filter.FieldInfo) string { return ListPresent(f.Name) }

// ListElems returns json_array_elements_text over ListArray and the
// typed element.
func (dialect) ListElems(_ string, f filter.FieldInfo) (string, string) {
	return "json_array_elements_text(" + ListArray(f.Name) + ") AS e(v)", Typed("e.v", f.Type)
}

// ListHas returns jsonb containment, which the GIN index of the list
// serves: JSONB(f) @> jsonb_build_array($n::text) for one string,
// JSONB(f) ?| $n::text[] for several.
func (dialect) ListHas(args *sqlquery.Args, f filter.FieldInfo, strs []string) string {
	if !containable(f.Type) {
		return ""
	}
	x := JSONB(f.Name)
	if len(strs) == 1 {
		return "(" + x + " @> jsonb_build_array(" + placeholder(args.Add(strs[0]), "text") + "))"
	}
	return "(" + x + " ?| " + placeholder(args.Add(strs), "text[]") + ")"
}

// Contains returns strpos(translate(x, 'A…Z', 'a…z'), needle).
func (dialect) Contains(x, needle string) string {
	return "strpos(" + sqlschema.PostgresFold(x) + ", " + needle + ")"
}

// Bool returns true or false.
func (dialect) Bool(b bool) string { return strconv.FormatBool(b) }

// Visible returns the deletion mode condition on the boolean is_deleted.
func (dialect) Visible(q *resource.Query) string {
	switch {
	case q.OnlyDeleted:
		return "is_deleted"
	case q.IncludeDeleted:
		return "true"
	}
	return "NOT is_deleted"
}

// Order returns the ORDER BY term of key: nulls first ascending and last
// descending, the order every backend uses, and the order of the ix_
// indexes (built NULLS FIRST, so that a forward scan gives ascending and
// a backward scan descending order). Meta columns are never null and
// take no NULLS clause, so that their own indexes (the primary key)
// serve them.
func (dialect) Order(key filter.SortKey) string {
	x := FieldExpr(key.Field)
	switch {
	case key.Field.Meta && key.Desc:
		return x + " DESC"
	case key.Field.Meta:
		return x
	case key.Desc:
		return x + " DESC NULLS LAST"
	}
	return x + " NULLS FIRST"
}

// Page returns LIMIT n and OFFSET $m for those that are set. The limit
// is written as a number, not a parameter: with LIMIT $n PostgreSQL
// never trusts a prepared statement's generic plan (it cannot cost the
// page) and plans every execution again, which costs a list about as
// much as running it. Page sizes are few, so the statements stay few;
// offsets are many, and stay parameters.
func (dialect) Page(args *sqlquery.Args, limit, offset int) string {
	var out string
	if limit > 0 {
		out += " LIMIT " + strconv.Itoa(limit)
	}
	if offset > 0 {
		out += " OFFSET $" + strconv.Itoa(args.Add(offset))
	}
	return out
}

// HoldsNUL reports false: PostgreSQL text cannot hold U+0000, so data
// holding it is refused (checkData) and no stored string contains it.
func (dialect) HoldsNUL() bool { return false }

// listSQL returns the query and arguments of List on table.
func listSQL(table string, q *resource.Query) (string, []any, error) {
	return sqlquery.List(dialect{}, sqlquery.Table{Name: table, Columns: recordColumns}, q)
}

// countSQL returns the query and arguments of Count on table.
func countSQL(table string, q *resource.Query) (string, []any, error) {
	return sqlquery.Count(dialect{}, sqlquery.Table{Name: table}, q)
}
