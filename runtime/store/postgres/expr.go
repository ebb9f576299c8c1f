package postgres

import (
	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// This file holds every SQL expression that reads a field. Filters, sorts,
// Referrers and the indexes Migrate creates all use these builders, and
// PostgreSQL only uses an expression index when a query repeats its
// expression, so the builders of the field expressions live in package
// sqlschema, which the generator's versioned migrations use too: the
// functions here name them for the query compiler.
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
const Data = sqlschema.PostgresData

// quoteLiteral returns s as an SQL string literal.
func quoteLiteral(s string) string { return sqlschema.QuoteLiteral(s) }

// quoteIdent returns name as an SQL identifier.
func quoteIdent(name string) string { return sqlschema.QuoteIdent(name) }

// JSON returns the expression of the json value at a dotted field path:
// JSON("addr.city") is (data -> 'addr' -> 'city'). A missing key gives
// SQL NULL; a JSON null gives the json value null.
func JSON(path string) string { return sqlschema.PostgresJSON(path) }

// Text returns the expression of the text of the JSON value at a dotted
// field path: Text("addr.city") is (data -> 'addr' ->> 'city'). It is
// NULL when the value is null or absent; a string gives its decoded
// text, another value its JSON text.
func Text(path string) string { return sqlschema.PostgresText(path) }

// JSONB returns the jsonb value of a field, NULL when the field is null or
// absent: the expression of unique indexes and of the GIN indexes of
// lists of strings.
func JSONB(path string) string { return sqlschema.PostgresJSONB(path) }

// Typed returns the typed, comparable expression of the text expression x
// holding a value of type t: a field's Text, or the text of a list
// element.
func Typed(x string, t filter.Type) string {
	return sqlschema.PostgresTyped(x, resource.FieldType(t))
}

// DateTime returns the expression that normalizes the RFC 3339 UTC string
// x ("2024-05-01T08:30:00Z", "…:00.5Z") to exactly nine fractional digits
// ("2024-05-01T08:30:00.000000000Z", "…:00.500000000Z"), so that it sorts
// as text in time order; NULL stays NULL. It is immutable, so indexes may
// use it.
func DateTime(x string) string { return sqlschema.PostgresDateTime(x) }

// FieldExpr returns the expression of a scalar filterable field: the
// quoted column of a meta field, Typed(Text(path)) of a data field.
// Filters, sorts, keyset bounds and the ix_ indexes use this text.
func FieldExpr(f filter.FieldInfo) string {
	if f.Meta {
		return quoteIdent(f.Name)
	}
	return sqlschema.PostgresFieldExpr(f.Name, resource.FieldType(f.Type))
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
	return sqlschema.PostgresContainable(resource.FieldType(t))
}
