// Package sqlschema builds the storage DDL of resource kinds for the SQL
// backends: the CREATE TABLE, CREATE INDEX and DROP statements and the SQL
// expressions that read a field of the JSON data.
//
// It is the one place these texts are spelled. The backends use it for
// the tables they create from kinds (Migrate without versioned
// migrations) and for the field expressions of their query compilers, and
// the generator uses it to write versioned migrations. SQLite and
// PostgreSQL only use an expression index when a query repeats its
// expression exactly, so a migration that spelled an index differently
// from the queries would leave it unused.
//
// The package is pure: it imports nothing but the standard library and
// runtime/resource, and only returns strings.
//
// Each kind has two tables, <table> with the meta row and a copy of the
// current revision and <table>_revisions with every stored revision, and
// managed indexes on <table> whose names start with a prefix that says
// what they serve:
//
//	ux_<table>_<field>  UNIQUE over live rows, per unique scalar field
//	ix_<table>_<field>  per indexed field, for filters and sorts
//	rx_<table>_<field>  per ref field, over live rows, for referrer lookups
//	lx_<table>          SQLite: (is_deleted, resource_id), live lists and counts
//	dx_<table>          PostgreSQL: resource_id of deleted rows
package sqlschema

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Dialect names the SQL flavour of a backend. Its value is also the key of
// resource.Schema.Migrations and the directory of the generated migrations.
type Dialect string

// The dialects of the SQL backends.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Dialects lists every dialect, in name order.
func Dialects() []Dialect { return []Dialect{Postgres, SQLite} }

// Index name prefixes. A backend owns every index of a kind's table whose
// name starts with one of them.
const (
	UniquePrefix  = "ux_" // UNIQUE over live rows, per unique field
	IndexPrefix   = "ix_" // per indexed field, for filters and sorts
	RefPrefix     = "rx_" // over live rows, per ref field, for referrer lookups
	LivePrefix    = "lx_" // SQLite: (is_deleted, resource_id)
	DeletedPrefix = "dx_" // PostgreSQL: resource_id of deleted rows
)

// Prefixes returns the managed index prefixes of dialect d.
func (d Dialect) Prefixes() []string {
	if d == Postgres {
		return []string{UniquePrefix, IndexPrefix, RefPrefix, DeletedPrefix}
	}
	return []string{UniquePrefix, IndexPrefix, RefPrefix, LivePrefix}
}

// PostgresCommentPrefix starts the comment PostgreSQL indexes carry: the
// comment holds the index definition (Index.Def), so that Migrate sees
// whether a definition changed (PostgreSQL does not keep the text of an
// index as SQLite does).
const PostgresCommentPrefix = "specstar: "

// PostgresMaxIdent is PostgreSQL's identifier length limit
// (NAMEDATALEN - 1).
const PostgresMaxIdent = 63

// Index is one managed index on a kind's main table.
type Index struct {
	// Name is the index name: a prefix, the table and the field path
	// (IndexName).
	Name string
	// Unique is set for the unique indexes of unique fields.
	Unique bool
	// Def is the definition after "ON <table> ": the key expressions and
	// the partial index predicate, with the method first on PostgreSQL,
	// e.g. `(json_extract(data, '$.slug')) WHERE is_deleted = 0` or
	// `USING btree (((data ->> 'name') COLLATE "C") NULLS FIRST)`.
	Def string
	// Field is the JSON path of the field the index serves ("" for the
	// lx_ and dx_ indexes).
	Field string
}

// Indexes returns the managed indexes of kind k's main table in dialect d,
// in name order.
func (d Dialect) Indexes(k *resource.Kind) []Index {
	var out []Index
	if d == Postgres {
		out = postgresIndexes(k)
	} else {
		out = sqliteIndexes(k)
	}
	slices.SortFunc(out, func(a, b Index) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// CreateIndex returns the statements that create ix on table (unquoted) in
// schema ("" for unqualified names; PostgreSQL only): CREATE [UNIQUE]
// INDEX IF NOT EXISTS, and on PostgreSQL the COMMENT ON INDEX that records
// the definition.
func (d Dialect) CreateIndex(schema, table string, ix Index) []string {
	create := "CREATE INDEX"
	if ix.Unique {
		create = "CREATE UNIQUE INDEX"
	}
	if d == Postgres {
		return []string{
			create + " IF NOT EXISTS " + QuoteIdent(ix.Name) + " ON " + Qualify(schema, table) + " " + ix.Def,
			"COMMENT ON INDEX " + Qualify(schema, ix.Name) + " IS " + QuoteLiteral(PostgresCommentPrefix+ix.Def),
		}
	}
	return []string{create + " IF NOT EXISTS " + QuoteIdent(ix.Name) + " ON " + QuoteIdent(table) + " " + ix.Def}
}

// DropIndex returns the statement that drops the index named name in
// schema, if it exists.
func (d Dialect) DropIndex(schema, name string) string {
	if d == Postgres {
		return "DROP INDEX IF EXISTS " + Qualify(schema, name)
	}
	return "DROP INDEX IF EXISTS " + QuoteIdent(name)
}

// CreateTables returns the statements that create the two tables of kind
// k in schema, if they do not exist: <table> then <table>_revisions.
func (d Dialect) CreateTables(schema string, k *resource.Kind) []string {
	if d == Postgres {
		return postgresTables(schema, k)
	}
	return sqliteTables(k.Table)
}

// RevisionRef reports whether the revisions table of kind k references
// its main table in dialect d (a foreign key, deferred to commit, which
// deletes the revisions with their record). Every kind's does but, on
// PostgreSQL, a job kind's (resource.Kind.Job): its records are never
// deleted and the queue writes them with their revisions, and there the
// check of each revision row (a lookup and a lock of its record at
// commit) is a good part of what a job costs (docs/jobs.md). SQLite
// keeps it: it costs little there, and removing it means rebuilding the
// table.
func (d Dialect) RevisionRef(k *resource.Kind) bool {
	return d != Postgres || !k.Job
}

// DropRevisionRef returns the statements that remove the foreign keys of
// the revisions table of kind k in schema, if it has any (PostgreSQL;
// none on SQLite, whose job kinds keep theirs): what an existing job
// kind's tables need since RevisionRef says so. The key is found by
// table, not by name, which a renamed table keeps from its old one.
func (d Dialect) DropRevisionRef(schema string, k *resource.Kind) []string {
	if d != Postgres {
		return nil
	}
	revs := Qualify(schema, k.Table+"_revisions")
	return []string{`DO $$
DECLARE c name;
BEGIN
	FOR c IN SELECT conname FROM pg_constraint WHERE conrelid = ` + QuoteLiteral(revs) + `::regclass AND contype = 'f' LOOP
		EXECUTE ` + QuoteLiteral("ALTER TABLE "+revs+" DROP CONSTRAINT ") + ` || quote_ident(c);
	END LOOP;
END $$`}
}

// AddRevisionRef returns the statements that give the revisions table of
// kind k in schema its foreign key back (PostgreSQL): the down migration
// of DropRevisionRef.
func (d Dialect) AddRevisionRef(schema string, k *resource.Kind) []string {
	if d != Postgres {
		return nil
	}
	return []string{"ALTER TABLE " + Qualify(schema, k.Table+"_revisions") + " ADD CONSTRAINT " +
		QuoteIdent(postgresRevisionRefName(k.Table)) + " FOREIGN KEY (resource_id) REFERENCES " +
		Qualify(schema, k.Table) + postgresRevisionRef}
}

// DropTables returns the statements that drop the two tables of kind k in
// schema, revisions first, with all their data and indexes.
func (d Dialect) DropTables(schema string, k *resource.Kind) []string {
	if d == Postgres {
		return []string{
			"DROP TABLE IF EXISTS " + Qualify(schema, k.Table+"_revisions"),
			"DROP TABLE IF EXISTS " + Qualify(schema, k.Table),
		}
	}
	return []string{
		"DROP TABLE IF EXISTS " + QuoteIdent(k.Table+"_revisions"),
		"DROP TABLE IF EXISTS " + QuoteIdent(k.Table),
	}
}

// CreateKind returns every statement that creates the storage of kind k:
// CreateTables, then CreateIndex for each index of Indexes.
func (d Dialect) CreateKind(schema string, k *resource.Kind) []string {
	out := d.CreateTables(schema, k)
	for _, ix := range d.Indexes(k) {
		out = append(out, d.CreateIndex(schema, k.Table, ix)...)
	}
	return out
}

// CheckKind reports why the storage of kind k cannot be created in dialect
// d: no table name, or (PostgreSQL) a table name that would be cut.
func (d Dialect) CheckKind(k *resource.Kind) error {
	switch {
	case k.Table == "":
		return fmt.Errorf("kind %s has no table name", k.Name)
	case d == Postgres && len(k.Table+"_revisions") > PostgresMaxIdent:
		return fmt.Errorf("table name %q is too long for PostgreSQL (at most %d bytes with the _revisions suffix)", k.Table, PostgresMaxIdent)
	}
	return nil
}

// QuoteIdent returns name as an SQL identifier: "name", with inner double
// quotes doubled.
func QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// QuoteLiteral returns s as an SQL string literal: 's', with inner single
// quotes doubled.
func QuoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Qualify returns the quoted name, qualified by the quoted schema when
// schema is not "".
func Qualify(schema, name string) string {
	if schema == "" {
		return QuoteIdent(name)
	}
	return QuoteIdent(schema) + "." + QuoteIdent(name)
}

// unsafeIndexChars are replaced in index names.
var unsafeIndexChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// IndexName returns the name of a managed index in dialect d: the prefix,
// the table and the field path with every character but ASCII letters,
// digits and '_' replaced by '_' ("ux_post_slug",
// "ix_author_address_city", "dx_post" for an empty path). On PostgreSQL a
// name longer than 63 bytes is cut and ends with a hash of the full name,
// so that it stays unique and stable.
func (d Dialect) IndexName(prefix, table, path string) string {
	name := prefix + table
	if path != "" {
		name += "_" + unsafeIndexChars.ReplaceAllString(path, "_")
	}
	if d != Postgres || len(name) <= PostgresMaxIdent {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s_%08x", name[:PostgresMaxIdent-9], h.Sum32())
}

// UniqueError is the error of creating the unique index ix of kind k over
// live records that share a value: it names the field, and says when the
// index ignores case (Field.Fold).
func UniqueError(k *resource.Kind, ix Index) error {
	how := ""
	if f := k.Field(ix.Field); f != nil && f.Fold {
		how = " (compared without regard to case)"
	}
	return fmt.Errorf("cannot make %s unique: live records share a value%s", ix.Field, how)
}

// ShapeTable is the table in which a backend records, per kind table, the
// shape its records' data was last upgraded to (resource.ShapeStore).
// Backends create it in Migrate; generated migrations do not manage it.
const ShapeTable = "specstar_data_shape"

// CreateShapeTable returns the statement that creates ShapeTable in
// schema, if it does not exist.
func (d Dialect) CreateShapeTable(schema string) string {
	return "CREATE TABLE IF NOT EXISTS " + Qualify(schema, ShapeTable) +
		" (table_name text PRIMARY KEY NOT NULL, shape text NOT NULL)"
}

// SetShape returns the statement that records a table's shape in
// ShapeTable: its arguments are the table name and the shape.
func (d Dialect) SetShape(schema string) string {
	args := "(?, ?)"
	if d == Postgres {
		args = "($1, $2)"
	}
	return "INSERT INTO " + Qualify(schema, ShapeTable) + " (table_name, shape) VALUES " + args +
		" ON CONFLICT (table_name) DO UPDATE SET shape = excluded.shape"
}

// SelectShapes returns the query of every recorded shape: table name and
// shape.
func (d Dialect) SelectShapes(schema string) string {
	return "SELECT table_name, shape FROM " + Qualify(schema, ShapeTable)
}

// RenameTables returns the statements that rename the two tables of a
// kind from table from to table to in schema: the data and revisions move
// with them (and on SQLite the revisions' reference to their records).
// The managed indexes keep their old names; the caller drops and
// recreates them.
func (d Dialect) RenameTables(schema, from, to string) []string {
	return []string{
		"ALTER TABLE " + Qualify(schema, from) + " RENAME TO " + QuoteIdent(to),
		"ALTER TABLE " + Qualify(schema, from+"_revisions") + " RENAME TO " + QuoteIdent(to+"_revisions"),
	}
}

// DuplicatesQuery returns the query of up to limit values of the index
// key expression expr that several rows of table (as a statement spells
// it, quoted) share among those satisfying where ("" for all), most
// shared first: the value as text, the number of rows, and the resource
// ids of up to three of them (SQLite: all of them, joined by U+001F).
// It explains why a unique index cannot be created.
func (d Dialect) DuplicatesQuery(table, expr, where string, limit int) string {
	cond := "(" + expr + ") IS NOT NULL"
	if where != "" {
		cond = "(" + where + ") AND " + cond
	}
	if d == Postgres {
		return fmt.Sprintf(`SELECT (%[1]s)::text, count(*), (array_agg(resource_id ORDER BY resource_id))[1:3] FROM %[2]s WHERE %[3]s GROUP BY (%[1]s) HAVING count(*) > 1 ORDER BY count(*) DESC, 1 LIMIT %[4]d`, expr, table, cond, limit)
	}
	return fmt.Sprintf(`SELECT CAST((%[1]s) AS TEXT), count(*), group_concat(resource_id, char(31)) FROM %[2]s WHERE %[3]s GROUP BY (%[1]s) HAVING count(*) > 1 ORDER BY count(*) DESC, 1 LIMIT %[4]d`, expr, table, cond, limit)
}

// sortKey is one key of a kind's default order, as an index holds it.
type sortKey struct {
	name string
	typ  resource.FieldType // of a data field
	meta bool
	desc bool
}

// metaColumns are the meta fields a list may sort on, which are columns.
var metaColumns = []string{"resource_id", "created_time", "updated_time", "created_by", "updated_by"}

// defaultOrder returns the keys of k's default list order (Kind.DefaultSort,
// "-published_at,title") that an index can hold after an indexed field,
// ending with resource_id, the tie-break of every order: resource_id
// alone when there is no default sort, or when it names a field that is
// not an indexed scalar (the Service refuses such a kind anyway).
func defaultOrder(k *resource.Kind) []sortKey {
	var keys []sortKey
	for part := range strings.SplitSeq(k.DefaultSort, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key := sortKey{name: part}
		if strings.HasPrefix(part, "-") {
			key.name, key.desc = part[1:], true
		} else if strings.HasPrefix(part, "+") {
			key.name = part[1:]
		}
		if slices.Contains(metaColumns, key.name) {
			key.meta = true
		} else if f := k.Field(key.name); f != nil && f.Indexed && !f.List {
			key.typ = f.Type
		} else {
			return []sortKey{{name: "resource_id", meta: true}}
		}
		keys = append(keys, key)
		if key.name == "resource_id" {
			return keys
		}
	}
	return append(keys, sortKey{name: "resource_id", meta: true})
}

// orderKeys returns the index key terms that follow the key of indexed
// field f in its ix_ index: the default order of k (without f itself),
// each term spelled as the dialect's ORDER BY spells it, so that a list
// filtered on f by equality, in the default order, is a range scan of
// the index that needs no sort.
func orderKeys(d Dialect, k *resource.Kind, f *resource.Field) string {
	var b strings.Builder
	for _, key := range defaultOrder(k) {
		if !key.meta && key.name == f.JSON {
			continue
		}
		b.WriteString(", ")
		switch {
		case key.meta && key.name == "resource_id":
			b.WriteString("resource_id")
		case key.meta:
			b.WriteString(QuoteIdent(key.name))
			if key.desc {
				b.WriteString(" DESC")
			}
		case d == Postgres:
			b.WriteString(PostgresFieldExpr(key.name, key.typ))
			if key.desc {
				b.WriteString(" DESC NULLS LAST")
			} else {
				b.WriteString(" NULLS FIRST")
			}
		default:
			b.WriteString(SQLiteFieldExpr(key.name, key.typ))
			if key.desc {
				b.WriteString(" DESC")
			}
		}
	}
	return b.String()
}

// OrderKey is a sort key an index holds: a field (meta or data) and its
// direction.
type OrderKey struct {
	Name string
	Desc bool
}

// IndexedOrder returns the sort keys that the ix_ index of the indexed
// scalar field field of k holds after the field itself: k's default
// order, ending with resource_id. A list with an equality condition on
// field, sorted by exactly these keys, reads that index's range in order.
func IndexedOrder(k *resource.Kind, field string) []OrderKey {
	var out []OrderKey
	for _, key := range defaultOrder(k) {
		if !key.meta && key.name == field {
			continue
		}
		out = append(out, OrderKey{Name: key.name, Desc: key.desc})
	}
	return out
}
