package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Index name prefixes. Migrate owns every index of a kind's table whose
// name starts with one of them, and drops those the schema no longer asks
// for (or whose definition changed).
const (
	uniquePrefix  = "ux_" // UNIQUE over live rows, per unique field
	indexPrefix   = "ix_" // per indexed field, for filters and sorts
	refPrefix     = "rx_" // over live rows, per ref field, for Referrers
	deletedPrefix = "dx_" // resource_id of deleted rows, for deleted=only lists
)

// commentPrefix starts the comment Migrate puts on each index it creates:
// the comment holds the index definition, so that a later Migrate sees
// whether the definition changed.
const commentPrefix = "specstar: "

// maxIdent is PostgreSQL's identifier length limit (NAMEDATALEN - 1).
const maxIdent = 63

// recordColumns are the columns of a kind's main table, in scan order.
const recordColumns = `resource_id, current_revision_id, total_revision_count, schema_version, ` +
	`created_time, created_by, updated_time, updated_by, is_deleted, ` +
	`rev_id, rev_number, rev_parent, rev_status, rev_data_hash, rev_schema_version, ` +
	`rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data`

// infoColumns are the info columns of a revisions table, in scan order.
const infoColumns = `resource_id, revision_id, n, parent, status, data_hash, schema_version, ` +
	`created_time, created_by, updated_time, updated_by`

// Index is one index Migrate manages on a kind's main table.
type Index struct {
	// Name is the index name, unique in the schema: a prefix (ux_
	// unique, ix_ indexed, rx_ ref, dx_ deleted rows), the table and the
	// field path, at most 63 bytes.
	Name string
	// Unique is set for the unique indexes of unique fields.
	Unique bool
	// Def is the definition after "ON <table>": the method, the key
	// expression and the partial index predicate, e.g.
	// `USING btree (((data ->> 'name') COLLATE "C") NULLS FIRST)`.
	Def string
	// Field is the JSON path of the field the index serves ("" for dx_).
	Field string
}

// SQL returns the CREATE INDEX IF NOT EXISTS statement of the index on
// table (a quoted, possibly schema-qualified name).
func (ix Index) SQL(table string) string {
	create := "CREATE INDEX"
	if ix.Unique {
		create = "CREATE UNIQUE INDEX"
	}
	return create + " IF NOT EXISTS " + quoteIdent(ix.Name) + " ON " + table + " " + ix.Def
}

// comment returns the COMMENT ON INDEX statement that records the
// definition, in schema (empty: the current schema).
func (ix Index) comment(schema string) string {
	return "COMMENT ON INDEX " + qualify(schema, ix.Name) + " IS " + quoteLiteral(commentPrefix+ix.Def)
}

// Indexes returns the indexes of kind k's main table, in name order:
//
//   - ux_<table>_<field> for each unique scalar field: UNIQUE on
//     JSONB(field) WHERE NOT is_deleted, so that only live records hold
//     a value and JSON null holds none;
//   - ix_<table>_<field> for each indexed scalar field: btree on
//     FieldExpr NULLS FIRST (the order of every list: a forward scan is
//     ascending with nulls first, a backward scan descending with nulls
//     last); for an indexed list of strings or dates, GIN on JSONB(field)
//     (containment); lists of other types have no index;
//   - rx_<table>_<field> for each ref field, over live rows: btree on the
//     string FieldExpr, or GIN on JSONB(field) for a list of refs;
//   - dx_<table>: btree on resource_id WHERE is_deleted.
func Indexes(k *resource.Kind) []Index {
	out := []Index{{
		Name: indexName(deletedPrefix, k.Table, ""),
		Def:  "USING btree (resource_id) WHERE is_deleted",
	}}
	for i := range k.Fields {
		f := &k.Fields[i]
		info := filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List}
		if f.Unique && !f.List {
			out = append(out, Index{
				Name:   indexName(uniquePrefix, k.Table, f.JSON),
				Unique: true,
				Def:    "USING btree ((" + JSONB(f.JSON) + ")) WHERE NOT is_deleted",
				Field:  f.JSON,
			})
		}
		if f.Indexed {
			var def string
			switch {
			case !f.List:
				def = "USING btree (" + FieldExpr(info) + " NULLS FIRST)"
			case containable(info.Type):
				def = "USING gin ((" + JSONB(f.JSON) + "))"
			}
			if def != "" {
				out = append(out, Index{Name: indexName(indexPrefix, k.Table, f.JSON), Def: def, Field: f.JSON})
			}
		}
		if f.Ref != nil {
			def := "USING btree (" + FieldExpr(filter.FieldInfo{Name: f.JSON, Type: filter.String}) + ") WHERE NOT is_deleted"
			if f.List {
				def = "USING gin ((" + JSONB(f.JSON) + ")) WHERE NOT is_deleted"
			}
			out = append(out, Index{Name: indexName(refPrefix, k.Table, f.JSON), Def: def, Field: f.JSON})
		}
	}
	slices.SortFunc(out, func(a, b Index) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// DDL returns the statements Migrate runs to create the storage of kind k
// in schema (empty: the current schema, unqualified names), in order: the
// main table <table>, the revisions table <table>_revisions, then each
// index of Indexes with the comment that records its definition. Each
// statement is idempotent (IF NOT EXISTS). Versioned migrations must
// create the same indexes with the same definitions, or queries will not
// use them.
func DDL(schema string, k *resource.Kind) []string {
	table, revs := qualify(schema, k.Table), qualify(schema, k.Table+"_revisions")
	out := []string{
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
		// Revisions reference their record; the check is deferred to
		// commit because Service writes revision 1 before the record.
		`CREATE TABLE IF NOT EXISTS ` + revs + ` (
	resource_id    text COLLATE "C" NOT NULL REFERENCES ` + table + ` (resource_id)
	               ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
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
	for _, ix := range Indexes(k) {
		out = append(out, ix.SQL(table), ix.comment(schema))
	}
	return out
}

// qualify returns the quoted name, qualified by schema when it is set.
func qualify(schema, name string) string {
	if schema == "" {
		return quoteIdent(name)
	}
	return quoteIdent(schema) + "." + quoteIdent(name)
}

// unsafeIndexChars are replaced in index names.
var unsafeIndexChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// indexName returns the name of a managed index: "ux_post_slug",
// "ix_author_address_city", "dx_post". A name longer than PostgreSQL's
// 63 bytes is cut and ends with a hash of the full name, so that it stays
// unique and stable.
func indexName(prefix, table, path string) string {
	name := prefix + table
	if path != "" {
		name += "_" + unsafeIndexChars.ReplaceAllString(path, "_")
	}
	if len(name) <= maxIdent {
		return name
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fmt.Sprintf("%s_%08x", name[:maxIdent-9], h.Sum32())
}

// migrateLockKey returns the key of the advisory lock that serializes
// Migrate calls on one schema, across processes.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("specstar migrate\x00" + schema))
	return int64(h.Sum64())
}

// Migrate creates the tables and indexes of every kind of s, drops the
// managed indexes the schema no longer asks for and recreates those whose
// definition changed (see DDL and Indexes). It runs in one transaction
// holding a transaction-level advisory lock on the schema, so it is
// idempotent and several processes may migrate at once: they take turns,
// and the later ones find everything in place. When the store names a
// schema that does not exist, Migrate creates it.
//
// Creating an index blocks writes to its table while it builds; on a
// large table, prefer creating new indexes beforehand (CONCURRENTLY, with
// the definitions of DDL).
func (s *Store) Migrate(ctx context.Context, schema *resource.Schema) error {
	for _, k := range schema.Kinds {
		if err := checkKind(k); err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", k.Name, err)
		}
	}
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey(s.schema)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if s.schema != "" {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.schema).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+quoteIdent(s.schema)); err != nil {
					return fmt.Errorf("create schema %s: %w", s.schema, err)
				}
			}
		}
		for _, k := range schema.Kinds {
			if err := s.migrateKind(ctx, tx, k); err != nil {
				return fmt.Errorf("%s: %w", k.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	kinds := make(map[string]*kindSQL, len(schema.Kinds))
	for _, k := range schema.Kinds {
		kinds[k.Name] = newKindSQL(s.schema, k)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kinds == nil {
		return errors.New("postgres: store is closed")
	}
	for name, ks := range kinds {
		s.kinds[name] = ks
	}
	return nil
}

// checkKind rejects kinds whose names PostgreSQL would cut.
func checkKind(k *resource.Kind) error {
	switch {
	case k.Table == "":
		return errors.New("kind has no table name")
	case len(k.Table+"_revisions") > maxIdent:
		return fmt.Errorf("table name %q is too long for PostgreSQL (at most %d bytes with the _revisions suffix)", k.Table, maxIdent)
	}
	return nil
}

// migrateKind creates the tables and indexes of k in tx.
func (s *Store) migrateKind(ctx context.Context, tx pgx.Tx, k *resource.Kind) error {
	ddl := DDL(s.schema, k)
	for _, q := range ddl[:2] {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	existing, err := existingIndexes(ctx, tx, qualify(s.schema, k.Table))
	if err != nil {
		return err
	}
	want := Indexes(k)
	wanted := make(map[string]Index, len(want))
	for _, ix := range want {
		wanted[ix.Name] = ix
	}
	// Drop the indexes the schema no longer asks for, and those whose
	// definition changed (a field's type, a new expression).
	for name, comment := range existing {
		if ix, ok := wanted[name]; ok && comment == commentPrefix+ix.Def {
			continue
		}
		if _, err := tx.Exec(ctx, `DROP INDEX IF EXISTS `+qualify(s.schema, name)); err != nil {
			return err
		}
		delete(existing, name)
	}
	table := qualify(s.schema, k.Table)
	for _, ix := range want {
		if _, ok := existing[ix.Name]; ok {
			continue
		}
		if _, err := tx.Exec(ctx, ix.SQL(table)); err != nil {
			if ix.Unique && pgCode(err) == codeUniqueViolation {
				return fmt.Errorf("cannot make %s unique: live records share a value", ix.Field)
			}
			return fmt.Errorf("create index %s: %w", ix.Name, err)
		}
		if _, err := tx.Exec(ctx, ix.comment(s.schema)); err != nil {
			return fmt.Errorf("comment on index %s: %w", ix.Name, err)
		}
	}
	return nil
}

// existingIndexes returns the managed indexes of table (a quoted,
// possibly qualified name): their comments by name.
func existingIndexes(ctx context.Context, tx pgx.Tx, table string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, coalesce(obj_description(c.oid, 'pg_class'), '')
	FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	WHERE i.indrelid = to_regclass($1)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, comment string
		if err := rows.Scan(&name, &comment); err != nil {
			return nil, err
		}
		for _, p := range []string{uniquePrefix, indexPrefix, refPrefix, deletedPrefix} {
			if strings.HasPrefix(name, p) {
				out[name] = comment
				break
			}
		}
	}
	return out, rows.Err()
}

// kindSQL is the SQL of one kind: quoted names, the unique index map and
// the statements of the hot paths (pgx prepares and caches them per
// connection by their text).
type kindSQL struct {
	kind    *resource.Kind
	table   string            // quoted, qualified main table
	revs    string            // quoted, qualified revisions table
	uniques map[string]string // unique index name -> field JSON path
	// referrers maps a ref field to its Referrers query (the write
	// transaction variant locks the rows).
	referrers map[string]string

	get, getForUpdate         string
	getMany, getManyForUpdate string
	revision, revisions       string
	putRecord, putRevision    string
	deleteNumbers             string
	purgeRevisions, purge     string
}

// newKindSQL builds the SQL of kind k in schema.
func newKindSQL(schema string, k *resource.Kind) *kindSQL {
	ks := &kindSQL{
		kind:      k,
		table:     qualify(schema, k.Table),
		revs:      qualify(schema, k.Table+"_revisions"),
		uniques:   make(map[string]string),
		referrers: make(map[string]string),
	}
	for _, ix := range Indexes(k) {
		if ix.Unique {
			ks.uniques[ix.Name] = ix.Field
		}
	}
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Ref == nil {
			continue
		}
		cond := FieldExpr(filter.FieldInfo{Name: f.JSON, Type: filter.String}) + " = $1"
		if f.List {
			cond = JSONB(f.JSON) + " @> jsonb_build_array($1::text)"
		}
		ks.referrers[f.JSON] = `SELECT resource_id FROM ` + ks.table + ` WHERE ` + cond + ` AND NOT is_deleted ORDER BY resource_id`
	}
	ks.get = `SELECT ` + recordColumns + ` FROM ` + ks.table + ` WHERE resource_id = $1`
	ks.getForUpdate = ks.get + ` FOR UPDATE`
	ks.getMany = `SELECT ` + recordColumns + ` FROM ` + ks.table + ` WHERE resource_id = ANY($1::text[])`
	ks.getManyForUpdate = ks.getMany + ` ORDER BY resource_id FOR UPDATE`
	ks.revision = `SELECT ` + infoColumns + `, data FROM ` + ks.revs + ` WHERE resource_id = $1 AND n = $2`
	ks.revisions = `SELECT ` + infoColumns + ` FROM ` + ks.revs + ` WHERE resource_id = $1 ORDER BY n DESC`
	ks.putRecord = `INSERT INTO ` + ks.table + ` (` + recordColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
	ON CONFLICT (resource_id) DO UPDATE SET
	current_revision_id = excluded.current_revision_id,
	total_revision_count = excluded.total_revision_count,
	schema_version = excluded.schema_version,
	created_time = excluded.created_time, created_by = excluded.created_by,
	updated_time = excluded.updated_time, updated_by = excluded.updated_by,
	is_deleted = excluded.is_deleted,
	rev_id = excluded.rev_id, rev_number = excluded.rev_number, rev_parent = excluded.rev_parent,
	rev_status = excluded.rev_status, rev_data_hash = excluded.rev_data_hash,
	rev_schema_version = excluded.rev_schema_version,
	rev_created_time = excluded.rev_created_time, rev_created_by = excluded.rev_created_by,
	rev_updated_time = excluded.rev_updated_time, rev_updated_by = excluded.rev_updated_by,
	data = excluded.data`
	ks.putRevision = `INSERT INTO ` + ks.revs + ` (` + infoColumns + `, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (resource_id, n) DO UPDATE SET
	revision_id = excluded.revision_id, parent = excluded.parent, status = excluded.status,
	data_hash = excluded.data_hash, schema_version = excluded.schema_version,
	created_time = excluded.created_time, created_by = excluded.created_by,
	updated_time = excluded.updated_time, updated_by = excluded.updated_by,
	data = excluded.data`
	ks.deleteNumbers = `DELETE FROM ` + ks.revs + ` WHERE resource_id = $1 AND n = ANY($2::bigint[])`
	ks.purgeRevisions = `DELETE FROM ` + ks.revs + ` WHERE resource_id = $1`
	ks.purge = `DELETE FROM ` + ks.table + ` WHERE resource_id = $1`
	return ks
}
