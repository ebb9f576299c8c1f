package postgres

import (
	"strings"

	"github.com/specstar-go/specstar/runtime/filter"
)

// This file holds every SQL expression that reads a field. Filters, sorts,
// Referrers and the indexes Migrate creates all use these builders, and
// PostgreSQL only uses an expression index when a query repeats its
// expression, so versioned migrations must create indexes with exactly
// the text DDL returns (which is built here).
//
// The data column is of type json, which keeps the canonical bytes the
// Service wrote (jsonb would reorder keys and rewrite numbers, changing
// data_hash). Values are read with the json operators -> and ->>:
//
//	Text("addr.city")          (data -> 'addr' ->> 'city')
//	FieldExpr (string, date)   ((data ->> 'name') COLLATE "C")
//	FieldExpr (datetime)       the text normalized to nine fractional digits, COLLATE "C"
//	FieldExpr (int)            ((data ->> 'views')::numeric)
//	FieldExpr (float)          ((data ->> 'score')::double precision)
//	FieldExpr (bool)           ((data ->> 'active')::boolean)
//	JSONB("tags")              NULLIF((data -> 'tags')::jsonb, 'null'::jsonb)
//
// COLLATE "C" makes strings compare byte by byte, which for UTF-8 is code
// point order: the order of Go's strings.Compare and of SQLite's BINARY
// collation, whatever the database's default collation. Int fields are
// numeric (a cast that accepts every JSON number); float fields are double
// precision, parsed with correct rounding like Go's strconv.ParseFloat.
// Datetimes are RFC 3339 UTC strings with 0 to 9 fractional digits, which
// do not sort as text ("…05Z" > "…05.5Z"), so they are normalized to
// exactly nine digits, as the SQLite backend does. JSONB is the jsonb
// value of a field with JSON null made SQL NULL: unique indexes use it
// (jsonb equality treats 1 and 1.0 as one number but "1" as another
// value, as the memory backend's unique keys do) and so do GIN indexes of
// lists of strings (containment @> and ?|).

// Data is the name of the column holding the JSON data.
const Data = "data"

// quoteLiteral returns s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// quoteIdent returns name as an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// JSON returns the expression of the json value at a dotted field path:
// JSON("addr.city") is (data -> 'addr' -> 'city'). A missing key gives
// SQL NULL; a JSON null gives the json value null.
func JSON(path string) string {
	var b strings.Builder
	b.WriteString("(" + Data)
	for seg := range strings.SplitSeq(path, ".") {
		b.WriteString(" -> " + quoteLiteral(seg))
	}
	b.WriteByte(')')
	return b.String()
}

// Text returns the expression of the text of the JSON value at a dotted
// field path: Text("addr.city") is (data -> 'addr' ->> 'city'). It is
// NULL when the value is null or absent; a string gives its decoded
// text, another value its JSON text.
func Text(path string) string {
	segs := strings.Split(path, ".")
	var b strings.Builder
	b.WriteString("(" + Data)
	for i, seg := range segs {
		if i == len(segs)-1 {
			b.WriteString(" ->> ")
		} else {
			b.WriteString(" -> ")
		}
		b.WriteString(quoteLiteral(seg))
	}
	b.WriteByte(')')
	return b.String()
}

// JSONB returns the jsonb value of a field, NULL when the field is null or
// absent: the expression of unique indexes and of the GIN indexes of
// lists of strings.
func JSONB(path string) string {
	return "NULLIF(" + JSON(path) + "::jsonb, 'null'::jsonb)"
}

// Typed returns the typed, comparable expression of the text expression x
// holding a value of type t: a field's Text, or the text of a list
// element.
func Typed(x string, t filter.Type) string {
	switch t {
	case filter.Int:
		return "(" + x + "::numeric)"
	case filter.Float:
		return "(" + x + "::double precision)"
	case filter.Bool:
		return "(" + x + "::boolean)"
	case filter.DateTime:
		return "(" + DateTime(x) + ` COLLATE "C")`
	}
	return "(" + x + ` COLLATE "C")`
}

// DateTime returns the expression that normalizes the RFC 3339 UTC string
// x ("2024-05-01T08:30:00Z", "…:00.5Z") to exactly nine fractional digits
// ("2024-05-01T08:30:00.000000000Z", "…:00.500000000Z"), so that it sorts
// as text in time order; NULL stays NULL. It is immutable, so indexes may
// use it.
func DateTime(x string) string {
	return "(CASE WHEN substr(" + x + ", 20, 1) = '.' " +
		"THEN substr(" + x + ", 1, 20) || rpad(substr(" + x + ", 21, length(" + x + ") - 21), 9, '0') || 'Z' " +
		"ELSE substr(" + x + ", 1, 19) || '.000000000Z' END)"
}

// FieldExpr returns the expression of a scalar filterable field: the
// quoted column of a meta field, Typed(Text(path)) of a data field.
// Filters, sorts, keyset bounds and the ix_ indexes use this text.
func FieldExpr(f filter.FieldInfo) string {
	if f.Meta {
		return quoteIdent(f.Name)
	}
	return Typed(Text(f.Name), f.Type)
}

// ListArray returns the json array of a list field, or NULL when the
// field is null, absent or not an array: the argument of
// json_array_elements_text.
func ListArray(path string) string {
	return "(CASE WHEN json_typeof(" + JSON(path) + ") = 'array' THEN " + JSON(path) + " END)"
}

// ListPresent returns the condition "the list field holds an array":
// true for an array (even empty), false otherwise; a list that is null,
// absent or not an array is null for filters.
func ListPresent(path string) string {
	return "(json_typeof(" + JSON(path) + ") IS NOT DISTINCT FROM 'array')"
}

// containable reports whether a list field of type t is tested with
// jsonb containment (and has a GIN index): strings and dates compare as
// exact strings, which is jsonb string equality. Lists of other types
// are tested element by element.
func containable(t filter.Type) bool {
	return t == filter.String || t == filter.Date
}
