package sqlschema

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// SQLite expressions. The data column holds the JSON text; a field is read
// with json_extract:
//
//	SQLiteExtract("addr.city")       json_extract(data, '$.addr.city')
//	SQLiteFieldExpr(datetime field)  SQLiteDateTime(SQLiteExtract(path))
//	SQLiteFieldExpr(other field)     SQLiteExtract(path)
//
// Datetimes are RFC 3339 UTC strings with 0 to 9 fractional digits, which
// do not sort as text ("…05Z" > "…05.5Z"), so filters, sorts and the ix_
// indexes normalize them to exactly nine digits.

// simpleKey matches JSON path members that need no quoting.
var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// SQLiteJSONPath returns the SQL string literal of the JSON path of a
// dotted field path: "address.city" => '$.address.city'; members that are
// not plain identifiers are double-quoted.
func SQLiteJSONPath(path string) string {
	var b strings.Builder
	b.WriteString("$")
	for seg := range strings.SplitSeq(path, ".") {
		b.WriteByte('.')
		if simpleKey.MatchString(seg) {
			b.WriteString(seg)
		} else {
			b.WriteString(`"` + strings.ReplaceAll(seg, `"`, `\"`) + `"`)
		}
	}
	return QuoteLiteral(b.String())
}

// SQLiteExtract returns the SQLite expression of a field's value at a
// dotted path: json_extract(data, '$.path'). It is NULL when the field is
// null or absent.
func SQLiteExtract(path string) string {
	return "json_extract(data, " + SQLiteJSONPath(path) + ")"
}

// SQLiteDateTime returns the SQLite expression that normalizes the RFC
// 3339 UTC string x ("2024-05-01T08:30:00Z", "…:00.5Z") to exactly nine
// fractional digits ("2024-05-01T08:30:00.000000000Z",
// "…:00.500000000Z"), so that it sorts as text in time order; NULL stays
// NULL. It is deterministic, so indexes may use it.
func SQLiteDateTime(x string) string {
	return fmt.Sprintf(`(CASE WHEN substr(%[1]s, 20, 1) = '.' `+
		`THEN substr(%[1]s, 1, 20) || substr(substr(%[1]s, 21, length(%[1]s) - 21) || '000000000', 1, 9) || 'Z' `+
		`ELSE substr(%[1]s, 1, 19) || '.000000000Z' END)`, x)
}

// SQLiteFieldExpr returns the SQLite expression of a scalar data field of
// type t at a dotted path, as filters, sorts and the ix_ indexes spell it.
func SQLiteFieldExpr(path string, t resource.FieldType) string {
	if t == resource.TypeDateTime {
		return SQLiteDateTime(SQLiteExtract(path))
	}
	return SQLiteExtract(path)
}

// SQLiteFold returns the SQLite expression of the text x with the ASCII
// letters A-Z lower-cased and nothing else changed: lower(x), which folds
// ASCII letters only (SQLite without ICU, as modernc.org/sqlite is
// built). Contains filters and the ux_ indexes of Fold fields use it.
func SQLiteFold(x string) string { return "lower(" + x + ")" }

// sqliteUnique returns the key expression of the ux_ index of unique
// field f: SQLiteExtract, lower-cased by SQLiteFold when f.Fold.
func sqliteUnique(f *resource.Field) string {
	if f.Fold {
		return SQLiteFold(SQLiteExtract(f.JSON))
	}
	return SQLiteExtract(f.JSON)
}

// sqliteIndexes returns the managed indexes of k on SQLite, unsorted:
//
//   - ux_ for each unique scalar field: UNIQUE on SQLiteExtract (folded
//     by SQLiteFold for a Fold field) WHERE is_deleted = 0 (JSON null
//     holds no value: SQLite NULLs are distinct);
//   - ix_ for each indexed scalar field: on SQLiteFieldExpr, then the
//     kind's default order and resource_id (see orderKeys);
//   - rx_ for each scalar ref field: on SQLiteExtract WHERE is_deleted = 0;
//   - lx_<table>: (is_deleted, resource_id).
//
// Elements of a JSON array cannot be indexed by an expression index, so
// list fields have none; queries on them scan.
func sqliteIndexes(k *resource.Kind) []Index {
	out := []Index{{Name: SQLite.IndexName(LivePrefix, k.Table, ""), Def: "(is_deleted, resource_id)"}}
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.List {
			continue
		}
		if f.Unique {
			out = append(out, Index{
				Name:   SQLite.IndexName(UniquePrefix, k.Table, f.JSON),
				Unique: true,
				Def:    "(" + sqliteUnique(f) + ") WHERE is_deleted = 0",
				Field:  f.JSON,
			})
		}
		if f.HasIndex() {
			out = append(out, Index{
				Name:  SQLite.IndexName(IndexPrefix, k.Table, f.JSON),
				Def:   "(" + SQLiteFieldExpr(f.JSON, f.Type) + orderKeys(SQLite, k, f) + ")",
				Field: f.JSON,
			})
		}
		if f.Ref != nil {
			out = append(out, Index{
				Name:  SQLite.IndexName(RefPrefix, k.Table, f.JSON),
				Def:   "(" + SQLiteExtract(f.JSON) + ") WHERE is_deleted = 0",
				Field: f.JSON,
			})
		}
	}
	return out
}

// sqliteTables returns the CREATE TABLE statements of a kind's tables.
// Times are INTEGER unix microseconds (UTC), data is the JSON text.
func sqliteTables(name string) []string {
	table, revs := QuoteIdent(name), QuoteIdent(name+"_revisions")
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + table + ` (
	resource_id          TEXT PRIMARY KEY NOT NULL,
	current_revision_id  TEXT NOT NULL,
	total_revision_count INTEGER NOT NULL,
	schema_version       INTEGER NOT NULL,
	created_time         INTEGER NOT NULL, -- unix microseconds, UTC
	created_by           TEXT NOT NULL,
	updated_time         INTEGER NOT NULL,
	updated_by           TEXT NOT NULL,
	is_deleted           INTEGER NOT NULL DEFAULT 0,
	rev_id               TEXT NOT NULL,
	rev_number           INTEGER NOT NULL,
	rev_parent           TEXT,
	rev_status           TEXT NOT NULL,
	rev_data_hash        TEXT NOT NULL,
	rev_schema_version   INTEGER NOT NULL,
	rev_created_time     INTEGER NOT NULL,
	rev_created_by       TEXT NOT NULL,
	rev_updated_time     INTEGER NOT NULL,
	rev_updated_by       TEXT NOT NULL,
	data                 TEXT NOT NULL -- JSON
)`,
		// Revisions reference their record; the check is deferred to
		// commit because the Service writes revision 1 before the record.
		`CREATE TABLE IF NOT EXISTS ` + revs + ` (
	resource_id    TEXT NOT NULL REFERENCES ` + table + `(resource_id)
	               ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	n              INTEGER NOT NULL,
	revision_id    TEXT NOT NULL,
	parent         TEXT,
	status         TEXT NOT NULL,
	data_hash      TEXT NOT NULL,
	schema_version INTEGER NOT NULL,
	created_time   INTEGER NOT NULL,
	created_by     TEXT NOT NULL,
	updated_time   INTEGER NOT NULL,
	updated_by     TEXT NOT NULL,
	data           TEXT NOT NULL,
	PRIMARY KEY (resource_id, n)
)`,
	}
}
