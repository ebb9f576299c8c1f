package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// Index name prefixes (see package sqlschema). Migrate owns every index of
// a kind's table whose name starts with one of them.
const (
	uniquePrefix = sqlschema.UniquePrefix // UNIQUE over live rows, per unique field
	indexPrefix  = sqlschema.IndexPrefix  // per indexed field, for filters and sorts
)

// recordColumns are the columns of a kind's main table, in scan order.
const recordColumns = `resource_id, current_revision_id, total_revision_count, schema_version,
	created_time, created_by, updated_time, updated_by, is_deleted,
	rev_id, rev_number, rev_parent, rev_status, rev_data_hash, rev_schema_version,
	rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data`

// infoColumns are the info columns of a revisions table, in scan order.
const infoColumns = `resource_id, revision_id, n, parent, status, data_hash, schema_version,
	created_time, created_by, updated_time, updated_by`

// kindSQL is the storage of one kind: quoted names, the unique index map
// and prepared statements for the hot paths.
type kindSQL struct {
	kind    *resource.Kind
	table   string            // quoted main table
	revs    string            // quoted revisions table
	uniques map[string]string // unique index name -> field JSON path
	// referrers maps a ref field to its Referrers query.
	referrers map[string]string

	// statsCache holds the planner statistics sortIndex reads.
	statsCache statsCache
	// queries caches the prepared list and count statements of the
	// read pool.
	queries stmtCache

	read, write   readStmts
	putRecord     *sql.Stmt
	createRecord  *sql.Stmt
	putRevision   *sql.Stmt
	deleteNumbers *sql.Stmt
}

// readStmts are the read statements, prepared on one of the two pools.
type readStmts struct {
	get, getMany, revision, revisions *sql.Stmt
}

// Migrate makes the database hold the storage of every kind of schema and
// prepares the statements of each kind.
//
// When schema.Migrations has SQLite migrations (generated code embeds
// them), Migrate applies those the database has not applied yet, in
// order, each in its own BEGIN IMMEDIATE transaction recorded in goose's
// version table (see package migrate and docs/migrations.md). Otherwise
// it creates the tables and indexes from the kinds (sqlschema) and drops
// the managed indexes the schema no longer asks for, in one BEGIN
// IMMEDIATE transaction of IF NOT EXISTS statements. Either way it is
// idempotent, and processes migrating one file at once take turns on the
// file's write lock.
func (s *Store) Migrate(ctx context.Context, schema *resource.Schema) error {
	for _, k := range schema.Kinds {
		if err := sqlschema.SQLite.CheckKind(k); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
	}
	if fsys := schema.Migrations[string(sqlschema.SQLite)]; fsys != nil {
		ms, err := migrate.Load(fsys)
		if err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		if _, err := migrate.Run(ctx, &driver{db: s.write}, ms); err != nil {
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
	} else if err := s.migrateKinds(ctx, schema.Kinds); err != nil {
		return err
	}
	if _, err := s.write.ExecContext(ctx, sqlschema.SQLite.CreateShapeTable("")); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	// New indexes have no statistics yet. A busy file (another process
	// writing) only delays them to the next optimize.
	if err := s.optimize(ctx, "PRAGMA optimize"); err != nil && !isBusy(err) {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	kinds := make(map[string]*kindSQL, len(schema.Kinds))
	for _, k := range schema.Kinds {
		ks, err := s.prepare(ctx, k)
		if err != nil {
			for _, p := range kinds {
				p.close()
			}
			return fmt.Errorf("sqlite: migrate %s: %w", k.Name, err)
		}
		kinds[k.Name] = ks
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kinds == nil {
		for _, p := range kinds {
			p.close()
		}
		return errors.New("sqlite: store is closed")
	}
	for name, ks := range kinds {
		if old := s.kinds[name]; old != nil {
			old.close()
		}
		s.kinds[name] = ks
	}
	return nil
}

// migrateKinds creates the storage of kinds without versioned
// migrations, in one transaction.
func (s *Store) migrateKinds(ctx context.Context, kinds []*resource.Kind) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback()
	for _, k := range kinds {
		if err := migrateKind(ctx, tx, k); err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", k.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return nil
}

// migrateKind creates the tables and indexes of k and drops the managed
// indexes k no longer asks for.
func migrateKind(ctx context.Context, tx *sql.Tx, k *resource.Kind) error {
	if err := renameKind(ctx, tx, k); err != nil {
		return err
	}
	for _, q := range sqlschema.SQLite.CreateTables("", k) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	want := make(map[string]sqlschema.Index)
	for _, ix := range sqlschema.SQLite.Indexes(k) {
		want[ix.Name] = ix
	}
	existing, err := existingIndexes(ctx, tx, k.Table)
	if err != nil {
		return err
	}
	// Drop the indexes the schema no longer asks for, and those whose
	// definition changed (a field's type, a new expression): CREATE
	// INDEX IF NOT EXISTS below recreates them.
	for name, def := range existing {
		if ix, ok := want[name]; !ok || !sameIndexSQL(createIndex(k, ix), def) {
			if _, err := tx.ExecContext(ctx, sqlschema.SQLite.DropIndex("", name)); err != nil {
				return err
			}
		}
	}
	for _, ix := range sqlschema.SQLite.Indexes(k) {
		if _, err := tx.ExecContext(ctx, createIndex(k, ix)); err != nil {
			if ix.Unique && isUniqueErr(err) {
				return explainUnique(ctx, tx, createIndex(k, ix), sqlschema.UniqueError(k, ix))
			}
			return fmt.Errorf("create index %s: %w", ix.Name, err)
		}
	}
	return nil
}

// createIndex returns the CREATE INDEX statement of ix on k's table.
func createIndex(k *resource.Kind, ix sqlschema.Index) string {
	return sqlschema.SQLite.CreateIndex("", k.Table, ix)[0]
}

// existingIndexes returns the managed indexes that exist on table: their
// CREATE statements by name.
func existingIndexes(ctx context.Context, tx *sql.Tx, table string) (map[string]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' AND tbl_name = ?`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return nil, err
		}
		for _, p := range sqlschema.SQLite.Prefixes() {
			if strings.HasPrefix(name, p) {
				out[name] = def
				break
			}
		}
	}
	return out, rows.Err()
}

// sameIndexSQL reports whether the stored CREATE statement of an index
// (SQLite keeps the text without "IF NOT EXISTS") is the wanted one.
func sameIndexSQL(want, stored string) bool {
	norm := func(s string) string {
		return strings.Join(strings.Fields(strings.Replace(s, " IF NOT EXISTS", "", 1)), " ")
	}
	return norm(want) == norm(stored)
}

// prepare builds the statements of kind k.
func (s *Store) prepare(ctx context.Context, k *resource.Kind) (ks *kindSQL, err error) {
	ks = &kindSQL{
		kind:      k,
		table:     quote(k.Table),
		revs:      quote(k.Table + "_revisions"),
		uniques:   make(map[string]string),
		referrers: make(map[string]string),
	}
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Unique && !f.List {
			ks.uniques[indexName(uniquePrefix, k.Table, f.JSON)] = f.JSON
		}
		if f.Ref == nil {
			continue
		}
		if f.List {
			ks.referrers[f.JSON] = fmt.Sprintf(`SELECT resource_id FROM %s WHERE is_deleted = 0
	AND EXISTS (SELECT 1 FROM json_each(%s.data, %s) WHERE value = ?) ORDER BY resource_id`,
				ks.table, ks.table, jsonPath(f.JSON))
		} else {
			ks.referrers[f.JSON] = fmt.Sprintf(`SELECT resource_id FROM %s WHERE %s = ? AND is_deleted = 0 ORDER BY resource_id`,
				ks.table, extract(f.JSON))
		}
	}
	defer func() {
		if err != nil {
			ks.close()
		}
	}()
	prep := func(db *sql.DB, q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, q)
		return st
	}
	for _, p := range []struct {
		db *sql.DB
		rs *readStmts
	}{{s.read, &ks.read}, {s.write, &ks.write}} {
		p.rs.get = prep(p.db, `SELECT `+recordColumns+` FROM `+ks.table+` WHERE resource_id = ?`)
		p.rs.getMany = prep(p.db, `SELECT `+recordColumns+` FROM `+ks.table+
			` WHERE resource_id IN (SELECT value FROM json_each(?))`)
		p.rs.revision = prep(p.db, `SELECT `+infoColumns+`, data FROM `+ks.revs+` WHERE resource_id = ? AND n = ?`)
		p.rs.revisions = prep(p.db, `SELECT `+infoColumns+` FROM `+ks.revs+` WHERE resource_id = ? ORDER BY n DESC`)
	}
	insertRecord := `INSERT INTO ` + ks.table + ` (` + recordColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	ks.createRecord = prep(s.write, insertRecord)
	ks.putRecord = prep(s.write, insertRecord+`
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
	data = excluded.data`)
	ks.putRevision = prep(s.write, `INSERT INTO `+ks.revs+` (`+infoColumns+`, data)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (resource_id, n) DO UPDATE SET
	revision_id = excluded.revision_id, parent = excluded.parent, status = excluded.status,
	data_hash = excluded.data_hash, schema_version = excluded.schema_version,
	created_time = excluded.created_time, created_by = excluded.created_by,
	updated_time = excluded.updated_time, updated_by = excluded.updated_by,
	data = excluded.data`)
	ks.deleteNumbers = prep(s.write, `DELETE FROM `+ks.revs+` WHERE resource_id = ? AND n IN (SELECT value FROM json_each(?))`)
	return ks, err
}

// close closes the prepared statements of the kind.
func (ks *kindSQL) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{
		ks.read.get, ks.read.getMany, ks.read.revision, ks.read.revisions,
		ks.write.get, ks.write.getMany, ks.write.revision, ks.write.revisions,
		ks.putRecord, ks.createRecord, ks.putRevision, ks.deleteNumbers,
	} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, ks.queries.close())
	return errors.Join(errs...)
}

// quote returns name as an SQL identifier.
func quote(name string) string { return sqlschema.QuoteIdent(name) }

// indexName returns the name of a managed index: "ux_post_slug",
// "ix_author_address_city".
func indexName(prefix, table, path string) string {
	return sqlschema.SQLite.IndexName(prefix, table, path)
}

// jsonPath returns the SQL string literal of the JSON path of a dotted
// field path: "address.city" => '$.address.city'.
func jsonPath(path string) string { return sqlschema.SQLiteJSONPath(path) }

// extract returns the SQL expression of a field's value. Queries must use
// exactly this text for SQLite to match the expression indexes.
func extract(path string) string { return sqlschema.SQLiteExtract(path) }

// renameKind renames the tables of a renamed kind (Kind.FormerTables)
// when its table does not exist and a former one does.
func renameKind(ctx context.Context, tx *sql.Tx, k *resource.Kind) error {
	exists := func(table string) (bool, error) {
		var n int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, table).Scan(&n)
		return n > 0, err
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
		for _, q := range sqlschema.SQLite.RenameTables("", former, k.Table) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("rename %s to %s: %w", former, k.Table, err)
			}
		}
		return nil
	}
	return nil
}

// explainUnique returns the error of a unique index stmt that rows
// holding equal values kept from being created: the values and the
// records holding them, or cause when it cannot tell.
func explainUnique(ctx context.Context, tx *sql.Tx, stmt string, cause error) error {
	c, ok := migrate.ParseCreateUnique(stmt)
	if !ok {
		return cause
	}
	dups, err := duplicates(ctx, tx.QueryContext, c.Table, c.Expr, c.Where, 5)
	if err != nil || len(dups) == 0 {
		return cause
	}
	return c.Err(dups, cause)
}
