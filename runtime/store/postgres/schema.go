package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// maxIdent is PostgreSQL's identifier length limit (NAMEDATALEN - 1).
const maxIdent = sqlschema.PostgresMaxIdent

// recordColumns are the columns of a kind's main table, in scan order.
const recordColumns = `resource_id, current_revision_id, total_revision_count, schema_version, ` +
	`created_time, created_by, updated_time, updated_by, is_deleted, ` +
	`rev_id, rev_number, rev_parent, rev_status, rev_data_hash, rev_schema_version, ` +
	`rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data`

// infoColumns are the info columns of a revisions table, in scan order.
const infoColumns = `resource_id, revision_id, n, parent, status, data_hash, schema_version, ` +
	`created_time, created_by, updated_time, updated_by`

// Index is one index Migrate manages on a kind's main table (see
// sqlschema.Index): its name, whether it is unique, its definition after
// "ON <table>" (method, key expression, partial index predicate) and the
// JSON path of the field it serves.
type Index = sqlschema.Index

// Indexes returns the indexes of kind k's main table, in name order
// (sqlschema.Postgres.Indexes):
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
func Indexes(k *resource.Kind) []Index { return sqlschema.Postgres.Indexes(k) }

// DDL returns the statements Migrate runs to create the storage of kind k
// in schema (empty: the current schema, unqualified names), in order: the
// main table <table>, the revisions table <table>_revisions, then each
// index of Indexes with the comment that records its definition. Each
// statement is idempotent (IF NOT EXISTS). The generator's versioned
// migrations are built by the same package (sqlschema), so they create
// the same indexes with the same definitions.
func DDL(schema string, k *resource.Kind) []string { return sqlschema.Postgres.CreateKind(schema, k) }

// qualify returns the quoted name, qualified by schema when it is set.
func qualify(schema, name string) string { return sqlschema.Qualify(schema, name) }

// indexName returns the name of a managed index: "ux_post_slug",
// "ix_author_address_city", "dx_post". A name longer than PostgreSQL's
// 63 bytes is cut and ends with a hash of the full name, so that it stays
// unique and stable.
func indexName(prefix, table, path string) string {
	return sqlschema.Postgres.IndexName(prefix, table, path)
}

// migrateLockKey returns the key of the advisory lock that serializes
// Migrate calls on one schema, across processes.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("specstar migrate\x00" + schema))
	return int64(h.Sum64())
}

// Migrate makes the database hold the storage of every kind of schema.
// When the store names a schema that does not exist, Migrate creates it.
//
// When schema.Migrations has PostgreSQL migrations (generated code embeds
// them), Migrate applies those the database has not applied yet, in
// order, each in its own transaction recorded in goose's version table
// (see package migrate and docs/migrations.md), holding a session-level
// advisory lock on the schema for the whole run. Otherwise it creates the
// tables and indexes from the kinds (DDL), drops the managed indexes the
// schema no longer asks for and recreates those whose definition changed,
// in one transaction holding the same lock. Either way it is idempotent
// and several processes may migrate at once: they take turns, and the
// later ones find everything in place.
//
// Creating an index blocks writes to its table while it builds; on a
// large table, prefer creating new indexes beforehand (CONCURRENTLY, with
// the definitions of DDL).
func (s *Store) Migrate(ctx context.Context, schema *resource.Schema) error {
	for _, k := range schema.Kinds {
		if err := checkKind(k); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
	}
	var err error
	if fsys := schema.Migrations[string(sqlschema.Postgres)]; fsys != nil {
		err = s.runMigrations(ctx, fsys)
	} else {
		err = s.migrateKinds(ctx, schema.Kinds)
	}
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

// migrateKinds creates the storage of kinds without versioned
// migrations, in one transaction.
func (s *Store) migrateKinds(ctx context.Context, kinds []*resource.Kind) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLockKey(s.schema)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if err := s.createSchema(ctx, tx); err != nil {
			return err
		}
		for _, k := range kinds {
			if err := s.migrateKind(ctx, tx, k); err != nil {
				return fmt.Errorf("%s: %w", k.Name, err)
			}
		}
		_, err := tx.Exec(ctx, sqlschema.Postgres.CreateShapeTable(s.schema))
		return err
	})
}

// execer runs statements: a pgx.Tx or a *pgxpool.Conn.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// createSchema creates the store's schema when it names one that does not
// exist.
func (s *Store) createSchema(ctx context.Context, db execer) error {
	if s.schema == "" {
		return nil
	}
	var exists bool
	if err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, s.schema).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := db.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+quoteIdent(s.schema)); err != nil {
		return fmt.Errorf("create schema %s: %w", s.schema, err)
	}
	return nil
}

// checkKind rejects kinds without a table or whose names PostgreSQL
// would cut.
func checkKind(k *resource.Kind) error { return sqlschema.Postgres.CheckKind(k) }

// migrateKind creates the tables and indexes of k in tx.
func (s *Store) migrateKind(ctx context.Context, tx pgx.Tx, k *resource.Kind) error {
	if err := s.renameKind(ctx, tx, k); err != nil {
		return err
	}
	stmts := sqlschema.Postgres.CreateTables(s.schema, k)
	if !sqlschema.Postgres.RevisionRef(k) {
		// Tables created before job kinds went without the reference.
		stmts = append(stmts, sqlschema.Postgres.DropRevisionRef(s.schema, k)...)
	}
	for _, q := range stmts {
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
		if ix, ok := wanted[name]; ok && comment == sqlschema.PostgresCommentPrefix+ix.Def {
			continue
		}
		if _, err := tx.Exec(ctx, `DROP INDEX IF EXISTS `+qualify(s.schema, name)); err != nil {
			return err
		}
		delete(existing, name)
	}
	for _, ix := range want {
		if _, ok := existing[ix.Name]; ok {
			continue
		}
		// CREATE INDEX, then the COMMENT that records its definition.
		stmts := sqlschema.Postgres.CreateIndex(s.schema, k.Table, ix)
		if err := s.createIndex(ctx, tx, stmts[0]); err != nil {
			if ix.Unique && pgCode(err) == codeUniqueViolation {
				return explainUnique(ctx, tx, stmts[0], sqlschema.UniqueError(k, ix))
			}
			return fmt.Errorf("create index %s: %w", ix.Name, err)
		}
		if _, err := tx.Exec(ctx, stmts[1]); err != nil {
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
		for _, p := range sqlschema.Postgres.Prefixes() {
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
	createRecord              string
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
	ks.createRecord = `INSERT INTO ` + ks.table + ` (` + recordColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`
	ks.putRecord = ks.createRecord + `
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

// renameKind renames the tables of a renamed kind (Kind.FormerTables)
// when its table does not exist and a former one does.
func (s *Store) renameKind(ctx context.Context, tx pgx.Tx, k *resource.Kind) error {
	exists := func(table string) (bool, error) {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, qualify(s.schema, table)).Scan(&ok)
		return ok, err
	}
	if len(k.FormerTables) == 0 {
		return nil
	}
	if ok, err := exists(k.Table); err != nil || ok {
		return err
	}
	for _, former := range k.FormerTables {
		ok, err := exists(former)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		for _, q := range sqlschema.Postgres.RenameTables(s.schema, former, k.Table) {
			if _, err := tx.Exec(ctx, q); err != nil {
				return fmt.Errorf("rename %s to %s: %w", former, k.Table, err)
			}
		}
		return nil
	}
	return nil
}

// createIndex runs a CREATE INDEX statement in a savepoint, so that tx
// stays usable when it fails.
func (s *Store) createIndex(ctx context.Context, tx pgx.Tx, stmt string) error {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return err
	}
	if _, err := sp.Exec(ctx, stmt); err != nil {
		return errors.Join(err, sp.Rollback(ctx))
	}
	return sp.Commit(ctx)
}

// explainUnique returns the error of a unique index stmt that rows
// holding equal values kept from being created: the values and the
// records holding them, or cause when it cannot tell.
func explainUnique(ctx context.Context, db execer, stmt string, cause error) error {
	c, ok := migrate.ParseCreateUnique(stmt)
	if !ok {
		return cause
	}
	dups, err := duplicates(ctx, db, c.Table, c.Expr, c.Where, 5)
	if err != nil || len(dups) == 0 {
		return cause
	}
	return c.Err(dups, cause)
}
