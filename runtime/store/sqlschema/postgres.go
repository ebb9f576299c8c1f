package sqlschema

import (
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// PostgreSQL expressions. The data column is of type json, which keeps the
// canonical bytes the Service wrote (jsonb would reorder keys and rewrite
// numbers, changing data_hash). Values are read with the json operators
// -> and ->>:
//
//	PostgresText("addr.city")    (data -> 'addr' ->> 'city')
//	PostgresFieldExpr (string, date)  ((data ->> 'name') COLLATE "C")
//	PostgresFieldExpr (datetime)      the text normalized to nine fractional digits, COLLATE "C"
//	PostgresFieldExpr (int)           ((data ->> 'views')::numeric)
//	PostgresFieldExpr (float)         ((data ->> 'score')::double precision)
//	PostgresFieldExpr (bool)          ((data ->> 'active')::boolean)
//	PostgresJSONB("tags")        NULLIF((data -> 'tags')::jsonb, 'null'::jsonb)
//
// COLLATE "C" makes strings compare byte by byte, which for UTF-8 is code
// point order: the order of Go's strings.Compare and of SQLite's BINARY
// collation, whatever the database's default collation. Int fields are
// numeric (a cast that accepts every JSON number); float fields are double
// precision. Datetimes are normalized to exactly nine fractional digits,
// as on SQLite. PostgresJSONB is the jsonb value of a field with JSON null
// made SQL NULL: unique indexes use it (jsonb equality treats 1 and 1.0 as
// one number but "1" as another value) and so do the GIN indexes of lists
// of strings (containment @> and ?|).

// PostgresData is the name of the column holding the JSON data.
const PostgresData = "data"

// PostgresJSON returns the expression of the json value at a dotted field
// path: PostgresJSON("addr.city") is (data -> 'addr' -> 'city'). A missing
// key gives SQL NULL; a JSON null gives the json value null.
func PostgresJSON(path string) string {
	var b strings.Builder
	b.WriteString("(" + PostgresData)
	for seg := range strings.SplitSeq(path, ".") {
		b.WriteString(" -> " + QuoteLiteral(seg))
	}
	b.WriteByte(')')
	return b.String()
}

// PostgresText returns the expression of the text of the JSON value at a
// dotted field path: PostgresText("addr.city") is
// (data -> 'addr' ->> 'city'). It is NULL when the value is null or
// absent; a string gives its decoded text, another value its JSON text.
func PostgresText(path string) string {
	segs := strings.Split(path, ".")
	var b strings.Builder
	b.WriteString("(" + PostgresData)
	for i, seg := range segs {
		if i == len(segs)-1 {
			b.WriteString(" ->> ")
		} else {
			b.WriteString(" -> ")
		}
		b.WriteString(QuoteLiteral(seg))
	}
	b.WriteByte(')')
	return b.String()
}

// PostgresJSONB returns the jsonb value of a field, NULL when the field is
// null or absent: the expression of unique indexes and of the GIN indexes
// of lists of strings.
func PostgresJSONB(path string) string {
	return "NULLIF(" + PostgresJSON(path) + "::jsonb, 'null'::jsonb)"
}

// PostgresTyped returns the typed, comparable expression of the text
// expression x holding a value of type t: a field's PostgresText, or the
// text of a list element.
func PostgresTyped(x string, t resource.FieldType) string {
	switch t {
	case resource.TypeInt:
		return "(" + x + "::numeric)"
	case resource.TypeFloat:
		return "(" + x + "::double precision)"
	case resource.TypeBool:
		return "(" + x + "::boolean)"
	case resource.TypeDateTime:
		return "(" + PostgresDateTime(x) + ` COLLATE "C")`
	}
	return "(" + x + ` COLLATE "C")`
}

// PostgresDateTime returns the expression that normalizes the RFC 3339 UTC
// string x ("2024-05-01T08:30:00Z", "…:00.5Z") to exactly nine fractional
// digits ("2024-05-01T08:30:00.000000000Z", "…:00.500000000Z"), so that it
// sorts as text in time order; NULL stays NULL. It is immutable, so
// indexes may use it.
func PostgresDateTime(x string) string {
	return "(CASE WHEN substr(" + x + ", 20, 1) = '.' " +
		"THEN substr(" + x + ", 1, 20) || rpad(substr(" + x + ", 21, length(" + x + ") - 21), 9, '0') || 'Z' " +
		"ELSE substr(" + x + ", 1, 19) || '.000000000Z' END)"
}

// PostgresFieldExpr returns the expression of a scalar data field of type
// t at a dotted path: PostgresTyped(PostgresText(path), t). Filters,
// sorts, keyset bounds and the ix_ indexes use this text.
func PostgresFieldExpr(path string, t resource.FieldType) string {
	return PostgresTyped(PostgresText(path), t)
}

// postgresASCIIFold are the translate() arguments that lower-case the
// ASCII letters A-Z and nothing else.
const postgresASCIIFold = `'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'`

// PostgresFold returns the expression of the text x with the ASCII
// letters A-Z lower-cased and nothing else changed:
// translate(x, 'A…Z', 'a…z'). lower() would depend on the collation
// (and fold É to é under most), translate does not; it is immutable, so
// indexes may use it. Contains filters and the ux_ indexes of Fold fields
// use it.
func PostgresFold(x string) string {
	return "translate(" + x + ", " + postgresASCIIFold + ")"
}

// postgresUnique returns the key expression of the ux_ index of unique
// field f: PostgresJSONB (jsonb equality treats 1 and 1.0 as one number
// but "1" as another value), or for a Fold field the folded text in the C
// collation, so that the index does not depend on the database's
// collation.
func postgresUnique(f *resource.Field) string {
	if f.Fold {
		return "(" + PostgresFold(PostgresText(f.JSON)) + ` COLLATE "C")`
	}
	return "(" + PostgresJSONB(f.JSON) + ")"
}

// PostgresContainable reports whether a list field of type t is tested
// with jsonb containment (and has a GIN index): strings and dates compare
// as exact strings, which is jsonb string equality. Lists of other types
// are tested element by element and have no index.
func PostgresContainable(t resource.FieldType) bool {
	return t == resource.TypeString || t == resource.TypeDate
}

// postgresIndexes returns the managed indexes of k on PostgreSQL,
// unsorted:
//
//   - ux_ for each unique scalar field: UNIQUE on PostgresJSONB (on the
//     folded text for a Fold field, see postgresUnique) WHERE NOT
//     is_deleted, so that only live records hold a value and JSON null
//     holds none;
//   - ix_ for each indexed scalar field (but those with NoIndex): btree on PostgresFieldExpr NULLS
//     FIRST (the order of every list: a forward scan is ascending with
//     nulls first, a backward scan descending with nulls last), then the
//     kind's default order and resource_id (see orderKeys); for an
//     indexed list of strings or dates, GIN on PostgresJSONB
//     (containment); lists of other types have no index;
//   - rx_ for each ref field, over live rows: btree on the string
//     PostgresFieldExpr, or GIN on PostgresJSONB for a list of refs;
//   - dx_<table>: btree on resource_id WHERE is_deleted.
func postgresIndexes(k *resource.Kind) []Index {
	out := []Index{{
		Name: Postgres.IndexName(DeletedPrefix, k.Table, ""),
		Def:  "USING btree (resource_id) WHERE is_deleted",
	}}
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Unique && !f.List {
			out = append(out, Index{
				Name:   Postgres.IndexName(UniquePrefix, k.Table, f.JSON),
				Unique: true,
				Def:    "USING btree (" + postgresUnique(f) + ") WHERE NOT is_deleted",
				Field:  f.JSON,
			})
		}
		if f.HasIndex() {
			var def string
			switch {
			case !f.List:
				def = "USING btree (" + PostgresFieldExpr(f.JSON, f.Type) + " NULLS FIRST" + orderKeys(Postgres, k, f) + ")"
			case PostgresContainable(f.Type):
				def = "USING gin ((" + PostgresJSONB(f.JSON) + "))"
			}
			if def != "" {
				out = append(out, Index{Name: Postgres.IndexName(IndexPrefix, k.Table, f.JSON), Def: def, Field: f.JSON})
			}
		}
		if f.Ref != nil {
			def := "USING btree (" + PostgresFieldExpr(f.JSON, resource.TypeString) + ") WHERE NOT is_deleted"
			if f.List {
				def = "USING gin ((" + PostgresJSONB(f.JSON) + ")) WHERE NOT is_deleted"
			}
			out = append(out, Index{Name: Postgres.IndexName(RefPrefix, k.Table, f.JSON), Def: def, Field: f.JSON})
		}
	}
	return out
}

// postgresTables returns the CREATE TABLE statements of kind k's tables in
// schema. Times are timestamptz, data is json (see above). The revisions
// reference their record (postgresRevisionRef), except those of a job
// kind (see Dialect.RevisionRef).
func postgresTables(schema string, k *resource.Kind) []string {
	table, revs := Qualify(schema, k.Table), Qualify(schema, k.Table+"_revisions")
	ref := ""
	if Postgres.RevisionRef(k) {
		ref = " REFERENCES " + table + postgresRevisionRef
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS ` + table + ` (
	resource_id          text COLLATE "C" NOT NULL PRIMARY KEY,
	current_revision_id  text NOT NULL,
	total_revision_count bigint NOT NULL,
	schema_version       bigint NOT NULL,
	created_time         timestamptz NOT NULL,
	created_by           text COLLATE "C" NOT NULL,
	updated_time         timestamptz NOT NULL,
	updated_by           text COLLATE "C" NOT NULL,
	is_deleted           boolean NOT NULL DEFAULT false,
	rev_id               text NOT NULL,
	rev_number           bigint NOT NULL,
	rev_parent           text,
	rev_status           text NOT NULL,
	rev_data_hash        text NOT NULL,
	rev_schema_version   bigint NOT NULL,
	rev_created_time     timestamptz NOT NULL,
	rev_created_by       text NOT NULL,
	rev_updated_time     timestamptz NOT NULL,
	rev_updated_by       text NOT NULL,
	data                 json NOT NULL
)`,
		`CREATE TABLE IF NOT EXISTS ` + revs + ` (
	resource_id    text COLLATE "C" NOT NULL` + ref + `,
	n              bigint NOT NULL,
	revision_id    text NOT NULL,
	parent         text,
	status         text NOT NULL,
	data_hash      text NOT NULL,
	schema_version bigint NOT NULL,
	created_time   timestamptz NOT NULL,
	created_by     text NOT NULL,
	updated_time   timestamptz NOT NULL,
	updated_by     text NOT NULL,
	data           json NOT NULL,
	PRIMARY KEY (resource_id, n)
)`,
	}
}

// postgresRevisionRef follows "REFERENCES <table>" in the revisions'
// reference to their record. The check is deferred to commit because the
// Service writes revision 1 before the record.
const postgresRevisionRef = ` (resource_id)
	               ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED`

// postgresRevisionRefName returns the name PostgreSQL gives the foreign
// key of the revisions table of table (its makeObjectName: the table and
// column names shortened, the longer first, until
// "<table>_revisions_resource_id_fkey" fits in 63 bytes).
func postgresRevisionRefName(table string) string {
	name1, name2, label := table+"_revisions", "resource_id", "fkey"
	avail := PostgresMaxIdent - 1 - (len(label) + 1)
	n1, n2 := len(name1), len(name2)
	for n1+n2 > avail {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	return name1[:n1] + "_" + name2[:n2] + "_" + label
}
