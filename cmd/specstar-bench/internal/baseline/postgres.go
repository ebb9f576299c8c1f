package baseline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
)

// The SQL of the raw PostgreSQL baseline, on the tables the specstar
// PostgreSQL backend creates for the Item kind
// (runtime/store/sqlschema/postgres.go): the record table "item" (meta, a
// copy of the current revision and its data as json) and
// "item_revisions". Names are unqualified: the connection's search_path
// picks the schema, as it does for the backend.
const (
	pgGet = `SELECT ` + recordColumns + ` FROM "item" WHERE resource_id = $1`

	// pgCurrent locks the record for the rest of the update's transaction,
	// as the backend's read in a write transaction does.
	pgCurrent = pgGet + ` FOR UPDATE`

	pgInsertRevision = `INSERT INTO "item_revisions" (resource_id, revision_id, n, parent, status,
	data_hash, schema_version, created_time, created_by, updated_time, updated_by, data)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

	pgInsertRecord = `INSERT INTO "item" (` + recordColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`

	pgUpdateRecord = `UPDATE "item" SET current_revision_id = $1, total_revision_count = $2,
	updated_time = $3, updated_by = $4, rev_id = $5, rev_number = $6, rev_parent = $7, rev_status = $8,
	rev_data_hash = $9, rev_schema_version = $10, rev_created_time = $11, rev_created_by = $12,
	rev_updated_time = $13, rev_updated_by = $14, data = $15
	WHERE resource_id = $16`

	// pgIndexComment reads the comment the backend puts on each index it
	// manages: "specstar: " and the index definition, whose key
	// expression the list query repeats so that PostgreSQL can use the
	// index.
	pgIndexComment = `SELECT coalesce(obj_description(to_regclass($1), 'pg_class'), '')`
)

// pgStore is the raw PostgreSQL baseline: a pgx pool with pgx's defaults
// (the backend's too: statements prepared and cached per connection, as
// many connections as CPUs and at least 4) and hand-written SQL.
type pgStore struct {
	pool *pgxpool.Pool
	list string // the list query: category, limit
}

// NewPostgres returns the raw PostgreSQL baseline over the database at
// url (a pgx connection string), which must hold the Item tables of the
// specstar PostgreSQL backend.
func NewPostgres(ctx context.Context, url string) (*Server, error) {
	st, err := openPostgres(ctx, url)
	if err != nil {
		return nil, err
	}
	e := newEcho()
	e.GET("/api/items/:id", st.handleGet)
	e.GET("/api/items", st.handleList)
	e.POST("/api/items", st.handleCreate)
	e.PUT("/api/items/:id", st.handleUpdate)
	return &Server{echo: e, close: func() error { st.pool.Close(); return nil }}, nil
}

// openPostgres opens the pool and builds the list query from the
// database's indexes.
func openPostgres(ctx context.Context, url string) (*pgStore, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("raw postgres: the database URL does not parse (want postgres://user@host:port/database?options)")
	}
	where := fmt.Sprintf("%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("raw postgres: open %s: %w", where, err)
	}
	st := &pgStore{pool: pool}
	if st.list, err = pgListSQL(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("raw postgres: open %s: %w", where, err)
	}
	return st, nil
}

// pgListSQL returns the list query: live items of one category, newest
// happened_at first, then by id, at most $2 of them. It is the query the
// backend runs for filter=category = "C"&sort=-happened_at (see
// runtime/store/postgres/query.go), less the query builder: the filter and
// the sort repeat the key expressions of the backend's indexes on the two
// fields (ix_item_category, and ix_item_happened_at, which normalizes RFC
// 3339 text so that it sorts as time), so that PostgreSQL can use the
// same indexes, and the descending sort is NULLS LAST, the backward scan
// of those NULLS FIRST indexes. The plan is left to PostgreSQL, as the
// backend leaves it. The sort key is selected last, for the cursor.
func pgListSQL(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	category, err := pgIndexExpr(ctx, pool, "ix_item_category")
	if err != nil {
		return "", err
	}
	happenedAt, err := pgIndexExpr(ctx, pool, "ix_item_happened_at")
	if err != nil {
		return "", err
	}
	return `SELECT ` + recordColumns + `, ` + happenedAt + ` FROM "item"
	WHERE NOT is_deleted AND ` + category + ` = $1::text
	ORDER BY ` + happenedAt + ` DESC NULLS LAST, resource_id LIMIT $2`, nil
}

// pgIndexExpr returns the first key expression of a btree index the
// backend manages on the item table, from the comment that records its
// definition: "specstar: USING btree (<expr> NULLS FIRST, <more keys>)".
func pgIndexExpr(ctx context.Context, pool *pgxpool.Pool, name string) (string, error) {
	var comment string
	if err := pool.QueryRow(ctx, pgIndexComment, name).Scan(&comment); err != nil {
		return "", err
	}
	if comment == "" {
		return "", fmt.Errorf("no index %s with a specstar comment: the database was not created by the specstar PostgreSQL backend for examples/bench", name)
	}
	const prefix, suffix = "specstar: USING btree (", " NULLS FIRST"
	if !strings.HasPrefix(comment, prefix) || !strings.HasSuffix(comment, ")") {
		return "", fmt.Errorf("index %s: unexpected definition %q", name, comment)
	}
	key := firstKey(comment[len(prefix) : len(comment)-1])
	if !strings.HasSuffix(key, suffix) {
		return "", fmt.Errorf("index %s: unexpected definition %q", name, comment)
	}
	return strings.TrimSuffix(key, suffix), nil
}

// pgScanEnvelope scans the record columns of one row, then extra
// destinations.
func pgScanEnvelope(scan func(...any) error, extra ...any) (*envelope, error) {
	var env envelope
	var data []byte
	m, r := &env.Meta, &env.RevisionInfo
	dest := append([]any{&m.ResourceID, &m.CurrentRevisionID, &m.TotalRevisionCount, &m.SchemaVersion,
		&m.CreatedTime, &m.CreatedBy, &m.UpdatedTime, &m.UpdatedBy, &m.IsDeleted,
		&r.RevisionID, &r.Number, &r.ParentRevisionID, &r.Status, &r.DataHash, &r.SchemaVersion,
		&r.CreatedTime, &r.CreatedBy, &r.UpdatedTime, &r.UpdatedBy, &data}, extra...)
	if err := scan(dest...); err != nil {
		return nil, err
	}
	// pgx returns timestamptz in the local zone; envelopes carry UTC.
	m.CreatedTime, m.UpdatedTime = m.CreatedTime.UTC(), m.UpdatedTime.UTC()
	r.CreatedTime, r.UpdatedTime = r.CreatedTime.UTC(), r.UpdatedTime.UTC()
	r.ResourceID = m.ResourceID
	env.Data = data
	return &env, nil
}

// pgStorable reports whether id can be sent as text: PostgreSQL refuses
// invalid UTF-8 and U+0000, and no stored id holds them.
func pgStorable(id string) bool {
	return utf8.ValidString(id) && strings.IndexByte(id, 0) < 0
}

// handleGet serves GET /api/items/:id: one SELECT of the record row on a
// pooled connection.
func (st *pgStore) handleGet(c echo.Context) error {
	id := c.Param("id")
	if !pgStorable(id) {
		return notFound(id)
	}
	env, err := pgScanEnvelope(st.pool.QueryRow(c.Request().Context(), pgGet, id).Scan)
	if errors.Is(err, pgx.ErrNoRows) {
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

// handleList serves GET /api/items?category=C&limit=N: one query for N+1
// rows (the extra one tells whether a next page exists).
func (st *pgStore) handleList(c echo.Context) error {
	category, limit, err := listParams(c)
	if err != nil {
		return err
	}
	rows, err := st.pool.Query(c.Request().Context(), st.list, category, limit+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	out := page{Items: make([]*envelope, 0, limit)}
	var lastKey string
	for rows.Next() {
		var key string
		env, err := pgScanEnvelope(rows.Scan, &key)
		if err != nil {
			return err
		}
		if len(out.Items) == limit {
			cur := lastKey + "," + out.Items[limit-1].Meta.ResourceID
			out.NextCursor = &cur
			break
		}
		out.Items = append(out.Items, env)
		lastKey = key
	}
	rows.Close()
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
// round trip. The two INSERTs go in one pgx batch, which PostgreSQL runs
// as one implicit transaction (one Sync): both are written or neither.
// The backend does the same for a transaction that only writes.
func (st *pgStore) handleCreate(c echo.Context) error {
	data, _, err := decodeItem(c)
	if err != nil {
		return err
	}
	id, err := newID()
	if err != nil {
		return err
	}
	env := firstRevision(id, data, now())
	m, r := &env.Meta, &env.RevisionInfo
	b := &pgx.Batch{}
	queueRevision(b, env)
	b.Queue(pgInsertRecord,
		m.ResourceID, m.CurrentRevisionID, m.TotalRevisionCount, m.SchemaVersion,
		m.CreatedTime, m.CreatedBy, m.UpdatedTime, m.UpdatedBy, m.IsDeleted,
		r.RevisionID, r.Number, nil, r.Status, r.DataHash, r.SchemaVersion,
		r.CreatedTime, r.CreatedBy, r.UpdatedTime, r.UpdatedBy, []byte(data))
	if err := st.pool.SendBatch(c.Request().Context(), b).Close(); err != nil {
		return err
	}
	return created(c, env)
}

// handleUpdate serves PUT /api/items/:id in one transaction of two round
// trips: BEGIN with the read of the current record (FOR UPDATE), then,
// unless the content is unchanged, revision n+1, the record's UPDATE and
// COMMIT. (The backend takes three: it sends COMMIT on its own.)
func (st *pgStore) handleUpdate(c echo.Context) error {
	data, _, err := decodeItem(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	if !pgStorable(id) {
		return notFound(id)
	}
	hash := dataHash(data)
	t := now()
	ctx := c.Request().Context()
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	env, err := func() (*envelope, error) {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(pgCurrent, id)
		br := conn.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return nil, err
		}
		return pgScanEnvelope(br.QueryRow().Scan)
	}()
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = notFound(id)
	case err == nil && env.Meta.IsDeleted:
		err = gone(id)
	}
	if err != nil {
		pgRollback(conn)
		return err
	}
	if env.RevisionInfo.DataHash == hash && env.RevisionInfo.Status == "stable" {
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			pgRollback(conn)
			return err
		}
		return writeEnvelope(c, http.StatusOK, env)
	}
	env = nextRevision(env, data, hash, t)
	m, r := &env.Meta, &env.RevisionInfo
	b := &pgx.Batch{}
	queueRevision(b, env)
	b.Queue(pgUpdateRecord,
		m.CurrentRevisionID, m.TotalRevisionCount, m.UpdatedTime, m.UpdatedBy,
		r.RevisionID, r.Number, r.ParentRevisionID, r.Status, r.DataHash, r.SchemaVersion,
		r.CreatedTime, r.CreatedBy, r.UpdatedTime, r.UpdatedBy, []byte(data), id)
	var tag string
	b.Queue("COMMIT").Exec(func(ct pgconn.CommandTag) error { tag = ct.String(); return nil })
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		pgRollback(conn)
		return err
	}
	if tag != "COMMIT" {
		// PostgreSQL answers the COMMIT of a failed transaction with
		// ROLLBACK and no error.
		return fmt.Errorf("update %s: the transaction was rolled back (%s)", id, tag)
	}
	return writeEnvelope(c, http.StatusOK, env)
}

// queueRevision queues the INSERT of the current revision of env.
func queueRevision(b *pgx.Batch, env *envelope) {
	r := &env.RevisionInfo
	b.Queue(pgInsertRevision,
		r.ResourceID, r.RevisionID, r.Number, r.ParentRevisionID, r.Status, r.DataHash, r.SchemaVersion,
		r.CreatedTime, r.CreatedBy, r.UpdatedTime, r.UpdatedBy, []byte(env.Data))
}

// pgRollback ends the transaction left open on conn, if any. When the
// ROLLBACK itself fails, the pool closes the connection on release, since
// it is still in a transaction.
func pgRollback(conn *pgxpool.Conn) {
	if conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn.Exec(ctx, "ROLLBACK")
}
