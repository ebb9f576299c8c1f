package baseline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// The SQL of the raw SQLite baseline, on the tables the specstar SQLite
// backend creates for the Item kind (runtime/store/sqlite/schema.go): the
// record table "item" (meta, a copy of the current revision and its data)
// and "item_revisions".
const (
	recordColumns = `resource_id, current_revision_id, total_revision_count, schema_version,
	created_time, created_by, updated_time, updated_by, is_deleted,
	rev_id, rev_number, rev_parent, rev_status, rev_data_hash, rev_schema_version,
	rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data`

	sqlGet = `SELECT ` + recordColumns + ` FROM "item" WHERE resource_id = ?`

	// sqlIndex reads the definition of an index, whose expression the
	// list query repeats so that SQLite can use the index.
	sqlIndex = `SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'item' AND name = ?`

	sqlInsertRevision = `INSERT INTO "item_revisions" (resource_id, revision_id, n, parent, status,
	data_hash, schema_version, created_time, created_by, updated_time, updated_by, data)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	sqlInsertRecord = `INSERT INTO "item" (` + recordColumns + `)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	sqlCurrent = `SELECT ` + recordColumns + ` FROM "item" WHERE resource_id = ?`

	sqlUpdateRecord = `UPDATE "item" SET current_revision_id = ?, total_revision_count = ?,
	updated_time = ?, updated_by = ?, rev_id = ?, rev_number = ?, rev_parent = ?, rev_status = ?,
	rev_data_hash = ?, rev_schema_version = ?, rev_created_time = ?, rev_created_by = ?,
	rev_updated_time = ?, rev_updated_by = ?, data = ?
	WHERE resource_id = ?`
)

// sqliteStore is the raw SQLite baseline: the connection setup of the
// specstar SQLite backend (WAL, one write connection with BEGIN
// IMMEDIATE, a read-only pool) and prepared statements.
type sqliteStore struct {
	write, read *sql.DB

	get, list                             *sql.Stmt // on read
	current, insertRevision, insertRecord *sql.Stmt // on write
	updateRecord                          *sql.Stmt // on write
}

// ListPlan is how the raw SQLite list query is planned.
type ListPlan int

// List plans.
const (
	// PlanEngine reads the category index (INDEXED BY), which holds the
	// kind's default order (newest happened_at first, then resource_id)
	// after the category, from the start of the category's range: a page
	// is the first 20 entries, no sort. It is the plan the specstar SQLite
	// backend chooses for an equality in the default order.
	PlanEngine ListPlan = iota
	// PlanSQLite leaves the choice to SQLite's planner.
	PlanSQLite
)

// NewSQLite returns the raw SQLite baseline over the database file at
// path, which must hold the Item tables of the specstar SQLite backend,
// with the given plan for its list query.
func NewSQLite(path string, plan ListPlan) (*Server, error) {
	st, err := openSQLite(path, plan)
	if err != nil {
		return nil, err
	}
	e := newEcho()
	e.GET("/api/items/:id", st.handleGet)
	e.GET("/api/items", st.handleList)
	e.POST("/api/items", st.handleCreate)
	e.PUT("/api/items/:id", st.handleUpdate)
	return &Server{echo: e, close: st.close}, nil
}

// openSQLite opens the two pools and prepares the statements.
func openSQLite(path string, plan ListPlan) (_ *sqliteStore, err error) {
	dsn := func(q url.Values) string { return path + "?" + q.Encode() }
	st := &sqliteStore{}
	defer func() {
		if err != nil {
			st.close()
			err = fmt.Errorf("raw sqlite: open %s: %w", path, err)
		}
	}()
	if st.write, err = sql.Open("sqlite", dsn(url.Values{
		"_pragma": {"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)"},
		"_txlock": {"immediate"},
	})); err != nil {
		return nil, err
	}
	st.write.SetMaxOpenConns(1)
	st.write.SetMaxIdleConns(1)
	if st.read, err = sql.Open("sqlite", dsn(url.Values{
		"_pragma": {"busy_timeout(5000)", "foreign_keys(1)", "query_only(1)"},
	})); err != nil {
		return nil, err
	}
	conns := max(4, runtime.NumCPU())
	st.read.SetMaxOpenConns(conns)
	st.read.SetMaxIdleConns(conns)
	list, err := listSQL(st.read, plan)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		db   *sql.DB
		dst  **sql.Stmt
		text string
	}{
		{st.read, &st.get, sqlGet},
		{st.read, &st.list, list},
		{st.write, &st.current, sqlCurrent},
		{st.write, &st.insertRevision, sqlInsertRevision},
		{st.write, &st.insertRecord, sqlInsertRecord},
		{st.write, &st.updateRecord, sqlUpdateRecord},
	} {
		if *p.dst, err = p.db.Prepare(p.text); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// listSQL returns the list query: live items of one category, newest
// happened_at first, then by id, at most ? of them. The filter and the
// sort repeat the expressions of the indexes the specstar backend created
// on the two fields (ix_item_category and ix_item_happened_at; the time
// index normalizes RFC 3339 strings so that they sort as times), which is
// what lets SQLite use them, and the unary plus on is_deleted keeps the
// (is_deleted, resource_id) index out of the plan, as the backend does:
// the query is the one the generated server runs, less the query builder.
// Its LIMIT is written +?, as the backend writes it, so that SQLite does
// not compile the statement again at each execution (see the backend's
// dialect.Page).
func listSQL(db *sql.DB, plan ListPlan) (string, error) {
	category, err := indexExpr(db, "ix_item_category")
	if err != nil {
		return "", err
	}
	happenedAt, err := indexExpr(db, "ix_item_happened_at")
	if err != nil {
		return "", err
	}
	from := `"item"`
	if plan == PlanEngine {
		from += ` INDEXED BY "ix_item_category"`
	}
	return `SELECT ` + recordColumns + `, ` + happenedAt + ` FROM ` + from + `
	WHERE +is_deleted = 0 AND ` + category + ` = ?
	ORDER BY ` + happenedAt + ` DESC, resource_id LIMIT +?`, nil
}

// indexExpr returns the expression of the first key of an index on the
// item table.
func indexExpr(db *sql.DB, name string) (string, error) {
	var def string
	err := db.QueryRow(sqlIndex, name).Scan(&def)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("no index %s: the database was not created by the specstar SQLite backend for examples/bench", name)
	}
	if err != nil {
		return "", err
	}
	on := strings.Index(def, `ON "item" (`)
	if on < 0 || !strings.HasSuffix(def, ")") {
		return "", fmt.Errorf("index %s: unexpected definition %q", name, def)
	}
	return firstKey(def[on+len(`ON "item" (`) : len(def)-1]), nil
}

// firstKey returns the first of the comma-separated index keys in keys:
// the text up to the first comma outside parentheses and quotes.
func firstKey(keys string) string {
	depth, quoted := 0, false
	for i := 0; i < len(keys); i++ {
		switch c := keys[i]; {
		case c == '\'':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			return keys[:i]
		}
	}
	return keys
}

// close closes the statements and pools.
func (st *sqliteStore) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{st.get, st.list, st.current, st.insertRevision, st.insertRecord, st.updateRecord} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	for _, db := range []*sql.DB{st.read, st.write} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// scanEnvelope scans the record columns of one row, then extra
// destinations.
func scanEnvelope(scan func(...any) error, extra ...any) (*envelope, error) {
	var env envelope
	var created, updated, revCreated, revUpdated int64
	var parent sql.NullString
	var data []byte
	m, r := &env.Meta, &env.RevisionInfo
	dest := append([]any{&m.ResourceID, &m.CurrentRevisionID, &m.TotalRevisionCount, &m.SchemaVersion,
		&created, &m.CreatedBy, &updated, &m.UpdatedBy, &m.IsDeleted,
		&r.RevisionID, &r.Number, &parent, &r.Status, &r.DataHash, &r.SchemaVersion,
		&revCreated, &r.CreatedBy, &revUpdated, &r.UpdatedBy, &data}, extra...)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	m.CreatedTime, m.UpdatedTime = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	r.ResourceID = m.ResourceID
	if parent.Valid {
		r.ParentRevisionID = &parent.String
	}
	r.CreatedTime, r.UpdatedTime = time.UnixMicro(revCreated).UTC(), time.UnixMicro(revUpdated).UTC()
	env.Data = data
	return &env, nil
}

// handleGet serves GET /api/items/:id: one indexed row read.
func (st *sqliteStore) handleGet(c echo.Context) error {
	id := c.Param("id")
	env, err := scanEnvelope(st.get.QueryRowContext(c.Request().Context(), id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(id)
	}
	if err != nil {
		return err
	}
	if env.Meta.IsDeleted {
		return gone(id)
	}
	return writeEnvelope(c, http.StatusOK, env)
}

// handleList serves GET /api/items?category=C&limit=N: one indexed query
// for N+1 rows (the extra one tells whether a next page exists).
func (st *sqliteStore) handleList(c echo.Context) error {
	category, limit, err := listParams(c)
	if err != nil {
		return err
	}
	rows, err := st.list.QueryContext(c.Request().Context(), category, limit+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := page{Items: make([]*envelope, 0, limit)}
	var lastKey string
	for rows.Next() {
		var key string
		env, err := scanEnvelope(rows.Scan, &key)
		if err != nil {
			return err
		}
		if len(out.Items) == limit {
			last := out.Items[limit-1]
			cur := lastKey + "," + last.Meta.ResourceID
			out.NextCursor = &cur
			break
		}
		out.Items = append(out.Items, env)
		lastKey = key
	}
	if err := rows.Err(); err != nil {
		return err
	}
	body, err := json.Marshal(&out)
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, body)
}

// handleCreate serves POST /api/items: revision 1 and the record in one
// write transaction.
func (st *sqliteStore) handleCreate(c echo.Context) error {
	data, _, err := decodeItem(c)
	if err != nil {
		return err
	}
	id, err := newID()
	if err != nil {
		return err
	}
	env := firstRevision(id, data, now())
	ctx := c.Request().Context()
	err = st.inTx(ctx, func(tx *sql.Tx) error {
		if err := st.putRevision(ctx, tx, env); err != nil {
			return err
		}
		m, r := &env.Meta, &env.RevisionInfo
		_, err := tx.StmtContext(ctx, st.insertRecord).ExecContext(ctx,
			m.ResourceID, m.CurrentRevisionID, m.TotalRevisionCount, m.SchemaVersion,
			m.CreatedTime.UnixMicro(), m.CreatedBy, m.UpdatedTime.UnixMicro(), m.UpdatedBy, m.IsDeleted,
			r.RevisionID, r.Number, nil, r.Status, r.DataHash, r.SchemaVersion,
			r.CreatedTime.UnixMicro(), r.CreatedBy, r.UpdatedTime.UnixMicro(), r.UpdatedBy, string(data))
		return err
	})
	if err != nil {
		return err
	}
	return created(c, env)
}

// handleUpdate serves PUT /api/items/:id: in one write transaction, read
// the current record, and unless the content is unchanged write revision
// n+1 and update the record.
func (st *sqliteStore) handleUpdate(c echo.Context) error {
	data, _, err := decodeItem(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	hash := dataHash(data)
	t := now()
	ctx := c.Request().Context()
	var env *envelope
	err = st.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := scanEnvelope(tx.StmtContext(ctx, st.current).QueryRowContext(ctx, id).Scan)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		if cur.Meta.IsDeleted {
			return gone(id)
		}
		if cur.RevisionInfo.DataHash == hash && cur.RevisionInfo.Status == "stable" {
			env = cur
			return nil
		}
		env = nextRevision(cur, data, hash, t)
		if err := st.putRevision(ctx, tx, env); err != nil {
			return err
		}
		m, r := &env.Meta, &env.RevisionInfo
		_, err = tx.StmtContext(ctx, st.updateRecord).ExecContext(ctx,
			m.CurrentRevisionID, m.TotalRevisionCount, m.UpdatedTime.UnixMicro(), m.UpdatedBy,
			r.RevisionID, r.Number, *r.ParentRevisionID, r.Status, r.DataHash, r.SchemaVersion,
			r.CreatedTime.UnixMicro(), r.CreatedBy, r.UpdatedTime.UnixMicro(), r.UpdatedBy, string(data),
			id)
		return err
	})
	if err != nil {
		return err
	}
	return writeEnvelope(c, http.StatusOK, env)
}

// putRevision inserts the current revision of env.
func (st *sqliteStore) putRevision(ctx context.Context, tx *sql.Tx, env *envelope) error {
	r := &env.RevisionInfo
	_, err := tx.StmtContext(ctx, st.insertRevision).ExecContext(ctx,
		r.ResourceID, r.RevisionID, r.Number, r.ParentRevisionID, r.Status, r.DataHash, r.SchemaVersion,
		r.CreatedTime.UnixMicro(), r.CreatedBy, r.UpdatedTime.UnixMicro(), r.UpdatedBy, string(env.Data))
	return err
}

// inTx runs fn in a write transaction and commits it.
func (st *sqliteStore) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := st.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
