package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Index name prefixes. Migrate owns every index of a kind's table whose
// name starts with one of them, and drops those the schema no longer asks
// for.
const (
	uniquePrefix = "ux_" // UNIQUE over live rows, per unique field
	indexPrefix  = "ix_" // per indexed field, for filters and sorts
	refPrefix    = "rx_" // over live rows, per ref field, for Referrers
	livePrefix   = "lx_" // (is_deleted, resource_id): live lists and counts
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
	putRevision   *sql.Stmt
	deleteNumbers *sql.Stmt
}

// readStmts are the read statements, prepared on one of the two pools.
type readStmts struct {
	get, getMany, revision, revisions *sql.Stmt
}

// Migrate creates the tables and indexes of every kind of schema and drops
// indexes the schema no longer asks for. It runs in one BEGIN IMMEDIATE
// transaction with IF NOT EXISTS statements, so it is idempotent and two
// processes migrating the same file at once serialize on the file lock.
func (s *Store) Migrate(ctx context.Context, schema *resource.Schema) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer tx.Rollback()
	for _, k := range schema.Kinds {
		if err := migrateKind(ctx, tx, k); err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", k.Name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	// New indexes have no statistics yet.
	if err := s.optimize(ctx, "PRAGMA optimize"); err != nil {
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

// index is one managed index of a kind's table.
type index struct {
	name string
	sql  string
	// field is the JSON path of the unique field, for error mapping.
	field string
}

// migrateKind creates the tables and indexes of k.
func migrateKind(ctx context.Context, tx *sql.Tx, k *resource.Kind) error {
	if k.Table == "" {
		return errors.New("kind has no table name")
	}
	table, revs := quote(k.Table), quote(k.Table+"_revisions")
	stmts := []string{
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
		// commit because Service writes revision 1 before the record.
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
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	want := managedIndexes(k)
	existing, err := existingIndexes(ctx, tx, k.Table)
	if err != nil {
		return err
	}
	// Drop the indexes the schema no longer asks for, and those whose
	// definition changed (a field's type, a new expression): CREATE
	// INDEX IF NOT EXISTS below recreates them.
	for name, def := range existing {
		if ix, ok := want[name]; !ok || !sameIndexSQL(ix.sql, def) {
			if _, err := tx.ExecContext(ctx, `DROP INDEX IF EXISTS `+quote(name)); err != nil {
				return err
			}
		}
	}
	for _, ix := range sortedIndexes(want) {
		if _, err := tx.ExecContext(ctx, ix.sql); err != nil {
			if ix.field != "" && isUniqueErr(err) {
				return fmt.Errorf("cannot make %s unique: live records share a value", ix.field)
			}
			return fmt.Errorf("create index %s: %w", ix.name, err)
		}
	}
	return nil
}

// managedIndexes returns the indexes k needs, by name.
func managedIndexes(k *resource.Kind) map[string]index {
	table := quote(k.Table)
	want := map[string]index{
		livePrefix + k.Table: {
			name: livePrefix + k.Table,
			sql: fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (is_deleted, resource_id)`,
				quote(livePrefix+k.Table), table),
		},
	}
	add := func(prefix, create string, f *resource.Field, partial bool) {
		name := indexName(prefix, k.Table, f.JSON)
		expr := extract(f.JSON)
		if prefix == indexPrefix {
			// Filters and sorts use fieldExpr; so must the index.
			expr = fieldExpr(filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type)})
		}
		q := fmt.Sprintf(`CREATE %s IF NOT EXISTS %s ON %s (%s)`, create, quote(name), table, expr)
		if partial {
			q += ` WHERE is_deleted = 0`
		}
		ix := index{name: name, sql: q}
		if prefix == uniquePrefix {
			ix.field = f.JSON
		}
		want[name] = ix
	}
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.List {
			// Elements of a JSON array cannot be indexed by an
			// expression index; queries on them scan.
			continue
		}
		if f.Unique {
			add(uniquePrefix, "UNIQUE INDEX", f, true)
		}
		if f.Indexed {
			add(indexPrefix, "INDEX", f, false)
		}
		if f.Ref != nil {
			add(refPrefix, "INDEX", f, true)
		}
	}
	return want
}

// sortedIndexes returns the indexes in name order, so that migrations run
// deterministically.
func sortedIndexes(m map[string]index) []index {
	out := make([]index, 0, len(m))
	for _, ix := range m {
		out = append(out, ix)
	}
	slices.SortFunc(out, func(a, b index) int { return strings.Compare(a.name, b.name) })
	return out
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
		for _, p := range []string{uniquePrefix, indexPrefix, refPrefix, livePrefix} {
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
	ks.putRecord = prep(s.write, `INSERT INTO `+ks.table+` (`+recordColumns+`)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
		ks.putRecord, ks.putRevision, ks.deleteNumbers,
	} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, ks.queries.close())
	return errors.Join(errs...)
}

// quote returns name as an SQL identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// unsafeIndexChars are replaced in index names.
var unsafeIndexChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// indexName returns the name of a managed index: "ux_post_slug",
// "ix_author_address_city".
func indexName(prefix, table, path string) string {
	return prefix + table + "_" + unsafeIndexChars.ReplaceAllString(path, "_")
}

// simpleKey matches JSON path members that need no quoting.
var simpleKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jsonPath returns the SQL string literal of the JSON path of a dotted
// field path: "address.city" => '$.address.city'.
func jsonPath(path string) string {
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
	return "'" + strings.ReplaceAll(b.String(), "'", "''") + "'"
}

// extract returns the SQL expression of a field's value. Queries must use
// exactly this text for SQLite to match the expression indexes.
func extract(path string) string {
	return "json_extract(data, " + jsonPath(path) + ")"
}
