// Package sqlquery compiles list and count queries (resource.Query: a
// checked filter, a sort order, a keyset bound, a page) to SQL for the SQL
// backends. It is the one compiler of SQLite and PostgreSQL: what their
// SQL shares (null semantics, the exact comparisons of meta times, prefix
// ranges, case-insensitive contains, list element tests, keyset bounds,
// the page) is written here once, and what differs is asked of a small
// Dialect that each backend implements with the expression builders of
// package sqlschema, which its indexes use too.
//
// SQL text is built only from the table name the caller passes and from
// the dialect's expressions of checked field paths; every literal is a
// bound argument.
//
// The package is pure: it imports nothing but the standard library,
// runtime/filter and runtime/resource, and returns strings and arguments.
//
// # Semantics
//
// The compiled SQL answers every query as the memory backend does
// (package filter, "Semantics"):
//
//   - Comparisons follow SQL null semantics, as filters do; "is null" is
//     never null. A condition that does not depend on a field's value
//     (an "in" list left empty, see below) is still null when the field
//     is null, so that "!" of it stays null.
//   - Strings compare byte by byte (code point order).
//   - "~" and "!~" fold the ASCII letters A-Z and nothing else, on both
//     sides (Dialect.Contains); the value is plain text, so % and _
//     match themselves.
//   - "^=" is the range x >= p AND x < prefixEnd(p), which an index
//     serves.
//   - A list field that is null, absent or not an array makes every test
//     on its elements null; "is null" is true for it. An empty list is
//     not null: every element test is false.
//   - Meta times are whole microseconds (both backends store them so); a
//     literal with a finer part compares exactly (see metaTime).
//   - In a dialect whose text cannot hold U+0000 (Dialect.HoldsNUL),
//     no stored string contains it, and a literal that does is compared
//     through the part before its first U+0000 instead of being sent
//     (see str).
package sqlquery

import (
	"strings"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Dialect is what the SQL of one backend supplies to the compiler. Values
// passed to it are typed as resource.SortValue returns them: string for
// string and date fields, int64, float64, bool, and a UTC time.Time for
// datetime fields. A FieldInfo with List set stands for one element of the
// list.
type Dialect interface {
	// Field returns the comparable expression of a scalar field: the
	// quoted column of a meta field, or the expression of a data field
	// that the field's ix_ index is built on.
	Field(f filter.FieldInfo) string
	// Bind adds the value v of field f to args, converted to what the
	// database compares with Field(f), and returns its placeholder.
	Bind(args *Args, f filter.FieldInfo, v any) string
	// In returns the condition "x equals one of values" (values of f, at
	// least one), binding what it needs in args.
	In(args *Args, f filter.FieldInfo, x string, values []any) string
	// ListPresent returns the condition, never null, "list field f holds
	// an array".
	ListPresent(f filter.FieldInfo) string
	// ListElems returns the FROM item that yields the elements of list
	// field f of table (the quoted table name) as rows, and the
	// comparable expression of one element in it.
	ListElems(table string, f filter.FieldInfo) (from, elem string)
	// ListHas returns the condition "list field f has an element equal to
	// one of strs" (at least one; f is a list of strings or dates) when
	// the dialect has an operator an index serves for it, binding strs in
	// args; it is null when the list is null or absent. Otherwise it
	// returns "" and binds nothing, and the compiler tests the elements.
	ListHas(args *Args, f filter.FieldInfo, strs []string) string
	// Contains returns the position (from 1; 0 when absent) of needle, the
	// placeholder of a string without upper-case ASCII letters, in the
	// text x with its ASCII letters A-Z lower-cased and no other change.
	Contains(x, needle string) string
	// Bool returns the literal of b.
	Bool(b bool) string
	// Visible returns the condition that selects the rows of q's deletion
	// mode: live rows, every row, or deleted rows only.
	Visible(q *resource.Query) string
	// Order returns the ORDER BY term of key: Field(key.Field), ascending
	// with nulls first or descending with nulls last.
	Order(key filter.SortKey) string
	// Page returns the LIMIT and OFFSET clause (with a leading space) of
	// a limit and an offset, 0 meaning none, binding them in args; "" when
	// both are 0 is allowed.
	Page(args *Args, limit, offset int) string
	// HoldsNUL reports whether stored strings (and bound arguments) may
	// contain U+0000.
	HoldsNUL() bool
}

// Args collects the bound arguments of a statement, in placeholder order.
type Args struct {
	list []any
}

// Add appends v and returns its number, from 1.
func (a *Args) Add(v any) int {
	a.list = append(a.list, v)
	return len(a.list)
}

// Table names the table a statement reads.
type Table struct {
	// Name is the quoted table name; list element tests qualify the data
	// column with it.
	Name string
	// From is the FROM item of List, "" for Name (SQLite: Name with an
	// INDEXED BY clause).
	From string
	// Columns are the columns List selects.
	Columns string
}

// List returns the statement and arguments of one page of q on t:
// SELECT t.Columns FROM t.From WHERE (deletion mode, filter, keyset
// bound) ORDER BY (q's order) and the page.
func List(d Dialect, t Table, q *resource.Query) (string, []any, error) {
	c := &compiler{d: d, table: t.Name}
	from := t.From
	if from == "" {
		from = t.Name
	}
	// One allocation for most statements: the columns, and room for the
	// conditions, the order and the page (datetime expressions are long).
	c.b.Grow(len(t.Columns) + len(from) + listRoom)
	c.b.WriteString("SELECT ")
	c.b.WriteString(t.Columns)
	c.b.WriteString(" FROM ")
	c.b.WriteString(from)
	if err := c.where(q, true); err != nil {
		return "", nil, err
	}
	c.orderBy(SortKeys(q))
	c.b.WriteString(d.Page(&c.args, q.Limit, q.Offset))
	return c.b.String(), c.args.list, nil
}

// listRoom is the room List reserves for the text after FROM.
const listRoom = 1024

// Count returns the statement and arguments that count the rows of q on
// t, ignoring its keyset bound and page.
func Count(d Dialect, t Table, q *resource.Query) (string, []any, error) {
	c := &compiler{d: d, table: t.Name}
	c.b.WriteString("SELECT count(*) FROM " + t.Name)
	if err := c.where(q, false); err != nil {
		return "", nil, err
	}
	return c.b.String(), c.args.list, nil
}

// SortKeys returns q's order, resource_id ascending when it has none.
func SortKeys(q *resource.Query) []filter.SortKey {
	if len(q.Sort) == 0 {
		return []filter.SortKey{resource.ResourceIDKey}
	}
	return q.Sort
}

// asciiLower lower-cases the ASCII letters A-Z of s and nothing else, as
// Dialect.Contains does in the database.
func asciiLower(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}
