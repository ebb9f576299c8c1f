package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/validate"
)

// txn implements resource.Reader and, when writable, resource.Writer on
// one transaction of one connection.
//
// It saves round trips: BEGIN is sent with the first statement, and the
// writes (PutRecord, CreateRecord, PutRevision, DeleteRevisions) are
// queued and sent with the next statement, or with COMMIT. The Service's
// create is then one round trip (the revision and the record, in an
// implicit transaction: see implicitWrites) and its update two (BEGIN
// and the read of the record; the revision, the record, COMMIT). Every
// read sends the queued writes first, so it sees them; a write that
// fails is reported by that read or by COMMIT, mapped as if the write
// itself had returned it (see queued.err).
type txn struct {
	s        *Store
	ctx      context.Context
	conn     *pgxpool.Conn
	begin    string // the BEGIN statement
	begun    bool   // BEGIN was sent
	writable bool
	queued   []queued // writes not sent yet
	// failed is the error of a queued write that failed. The
	// transaction is then aborted: every later statement, COMMIT
	// included, returns it without being sent.
	failed error
	// retry is set when a statement failed with a deadlock or a
	// serialization failure: fn may have turned the error into another
	// one, but the transaction is worth running again.
	retry bool
}

// queued is a write waiting to be sent. Its arguments are copies: the
// caller may reuse its buffers once the write has returned.
type queued struct {
	sql  string
	args []any
	// What the write does, for errors: op ("put revision"), the kind
	// and the resource or revision id.
	op, kind, id string
	// record is set on a write of the record table, whose unique
	// violations are reported as the Service expects; create on a
	// CreateRecord, whose primary key violation is a taken id.
	record *kindSQL
	create bool
}

// err maps the error of the write: a unique violation on a unique field
// is a *resource.UniqueViolation naming it, a taken id of CreateRecord is
// resource.ErrExists, and anything else says which write failed.
func (w *queued) err(err error) error {
	if ks := w.record; ks != nil {
		if field, ok := ks.uniqueField(err); ok {
			return &resource.UniqueViolation{Kind: w.kind, Field: field, ID: w.id}
		}
		if w.create && pgCode(err) == codeUniqueViolation {
			// The record table's one other unique constraint is its
			// primary key.
			return resource.ErrExists
		}
	}
	return fmt.Errorf("postgres: %s %s %s: %w", w.op, w.kind, w.id, err)
}

// note records a retryable failure of a statement and returns err.
func (t *txn) note(err error) error {
	if retryable(err) {
		t.retry = true
	}
	return err
}

// run sends, in one round trip, BEGIN (the first time), the queued writes
// and the statement q (unless it is empty), and then lets read consume
// q's results from br. An error of BEGIN is returned as is, and that of
// a queued write mapped by queued.err (and kept in t.failed), without
// calling read.
func (t *txn) run(q string, args []any, read func(br pgx.BatchResults) error) error {
	if t.failed != nil {
		return t.failed
	}
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(t.queued)+2)}
	first := !t.begun
	if first {
		b.Queue(t.begin)
	}
	for i := range t.queued {
		b.Queue(t.queued[i].sql, t.queued[i].args...)
	}
	if q != "" {
		b.Queue(q, args...)
	}
	writes := t.queued
	t.begun, t.queued = true, nil
	br := t.conn.SendBatch(t.ctx, b)
	var failed error // the mapped error of a queued write
	err := func() error {
		if first {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("postgres: begin: %w", err)
			}
		}
		for i := range writes {
			if _, err := br.Exec(); err != nil {
				// Statements are answered in order: this error is
				// that of writes[i]. The ones after it were not run.
				failed = writes[i].err(err)
				return err
			}
		}
		if q == "" {
			return nil
		}
		return read(br)
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("postgres: %w", cerr)
	}
	t.note(err)
	if failed != nil {
		t.failed = failed
		return failed
	}
	return err
}

// PgxConn returns the connection of a write transaction, with BEGIN and
// the queued writes sent, so that another library may run statements
// inside the transaction (runtime/jobs enqueues a job with River's
// InsertTx): they commit or roll back with it. It refuses a read-only
// transaction. Statements run on the connection must not end the
// transaction; one that fails aborts it, and its COMMIT then fails.
func (t *txn) PgxConn() (*pgx.Conn, error) {
	if !t.writable {
		return nil, errors.New("postgres: a read-only transaction has no connection to write on")
	}
	if !t.begun || len(t.queued) > 0 {
		if err := t.run("", nil, nil); err != nil {
			return nil, err
		}
	}
	return t.conn.Conn(), nil
}

// queue adds a write to send with the next statement.
func (t *txn) queue(w queued) {
	t.queued = append(t.queued, w)
}

// commit sends the queued writes and COMMIT. A transaction that sent
// nothing has nothing to commit. An error of a queued write is returned
// as queued.err maps it, unwrapped, so that the Service reports a unique
// violation or a taken id found at COMMIT as it does one found by the
// write.
func (t *txn) commit() error {
	if !t.begun && len(t.queued) == 0 {
		return nil
	}
	if !t.begun && t.implicitWrites() {
		t.begun = true // there is nothing to BEGIN
		if err := t.run("", nil, nil); err != nil {
			t.rollback() // nothing to do unless the connection is in an unexpected state
			if err == t.failed {
				return err
			}
			return fmt.Errorf("postgres: commit: %w", err)
		}
		return nil
	}
	err := t.run("COMMIT", nil, func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err == nil && tag.String() != "COMMIT" {
			// PostgreSQL answers COMMIT of a failed transaction with
			// ROLLBACK, and no error.
			err = fmt.Errorf("transaction was rolled back (%s)", tag)
		}
		return err
	})
	if err != nil {
		t.rollback()
		if err == t.failed {
			return err
		}
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// implicitWrites reports whether a transaction that only writes may send
// its writes without BEGIN and COMMIT. PostgreSQL runs the statements of
// one pipeline (up to its Sync) as one implicit transaction, committed
// at the end of the pipeline or rolled back at the first error: all of
// them or none, as in an explicit transaction, for two statements fewer.
// The Service's create is such a transaction.
//
// The implicit transaction has the session's defaults. Its isolation
// level changes nothing for statements that only write, but that a
// REPEATABLE READ or SERIALIZABLE default may fail them with a
// serialization failure, which Update retries. A read-only default
// (default_transaction_read_only, which PostgreSQL reports to the client
// since version 14) would refuse them: the explicit READ WRITE
// transaction is used then, and when the server does not say.
func (t *txn) implicitWrites() bool {
	return t.conn.Conn().PgConn().ParameterStatus("default_transaction_read_only") == "off"
}

// rollback ends the transaction, if one is open, without committing. A
// connection left in a transaction (the rollback failed) is closed by the
// pool when it is released.
func (t *txn) rollback() {
	t.queued = nil
	if t.conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 5*time.Second)
	defer cancel()
	t.conn.Exec(ctx, "ROLLBACK")
}

// endRead ends a read transaction and releases its connection. Its
// results are all read, so ending it cannot change them: the ROLLBACK of
// a transaction that sent statements runs in the background, and the
// caller does not wait for its round trip. (The pool's Close waits for
// it.)
func (t *txn) endRead() {
	if !t.begun {
		t.conn.Release()
		return
	}
	go func() {
		t.rollback()
		t.conn.Release()
	}()
}

// queryRow runs a query that returns at most one row and scans it.
func (t *txn) queryRow(q string, args []any, scan func(pgx.Row) error) error {
	return t.run(q, args, func(br pgx.BatchResults) error { return scan(br.QueryRow()) })
}

// query runs a query and calls each for every row.
func (t *txn) query(q string, args []any, each func(pgx.Rows) error) error {
	return t.run(q, args, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// exec runs a statement.
func (t *txn) exec(q string, args ...any) error {
	return t.run(q, args, func(br pgx.BatchResults) error {
		_, err := br.Exec()
		return err
	})
}

// storable reports whether s can be a text value in PostgreSQL: valid
// UTF-8 without U+0000. No stored id is anything else, so a lookup of
// another string finds nothing (and is not sent, since the database would
// refuse it).
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// Get returns the record of a resource; in a write transaction it locks
// the row until the transaction ends.
func (t *txn) Get(k *resource.Kind, id string) (*resource.Record, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, resource.ErrNotFound
	}
	q := ks.get
	if t.writable {
		q = ks.getForUpdate
	}
	var rec *resource.Record
	err = t.queryRow(q, []any{id}, func(row pgx.Row) (err error) {
		rec, err = scanRecord(row)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, resource.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s %s: %w", k.Name, id, err)
	}
	return rec, nil
}

// GetMany returns the records of the given resources in one query; in a
// write transaction it locks them (in id order, so that two writers do
// not deadlock on them).
func (t *txn) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*resource.Record, len(ids))
	keep := make([]string, 0, len(ids))
	for _, id := range ids {
		if storable(id) {
			keep = append(keep, id)
		}
	}
	if len(keep) == 0 {
		return out, nil
	}
	q := ks.getMany
	if t.writable {
		q = ks.getManyForUpdate
	}
	err = t.query(q, []any{keep}, func(rows pgx.Rows) error {
		rec, err := scanRecord(rows)
		if err != nil {
			return err
		}
		out[rec.Meta.ResourceID] = rec
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: get many %s: %w", k.Name, err)
	}
	return out, nil
}

// Revision returns revision n of a resource.
func (t *txn) Revision(k *resource.Kind, id string, n int) (*resource.Revision, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, resource.ErrNotFound
	}
	var rev resource.Revision
	var data []byte
	err = t.queryRow(ks.revision, []any{id, n}, func(row pgx.Row) error { return scanInfo(&rev.Info, row, &data) })
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, resource.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: revision %s %s:%d: %w", k.Name, id, n, err)
	}
	rev.Data = data
	return &rev, nil
}

// Revisions returns the info of every stored revision, newest first.
func (t *txn) Revisions(k *resource.Kind, id string) ([]resource.RevisionInfo, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, nil
	}
	var out []resource.RevisionInfo
	err = t.query(ks.revisions, []any{id}, func(rows pgx.Rows) error {
		var info resource.RevisionInfo
		if err := scanInfo(&info, rows); err != nil {
			return err
		}
		out = append(out, info)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: revisions %s %s: %w", k.Name, id, err)
	}
	return out, nil
}

// List returns the records matching q in q's order.
func (t *txn) List(k *resource.Kind, q *resource.Query) ([]*resource.Record, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	query, args, err := listSQL(ks.table, q)
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s: %w", k.Name, err)
	}
	var out []*resource.Record
	err = t.query(query, args, func(rows pgx.Rows) error {
		rec, err := scanRecord(rows)
		if err != nil {
			return err
		}
		out = append(out, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list %s: %w", k.Name, err)
	}
	return out, nil
}

// Count returns how many records match q, ignoring its paging.
func (t *txn) Count(k *resource.Kind, q *resource.Query) (int, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return 0, err
	}
	query, args, err := countSQL(ks.table, q)
	if err != nil {
		return 0, fmt.Errorf("postgres: count %s: %w", k.Name, err)
	}
	var n int
	if err := t.queryRow(query, args, func(row pgx.Row) error { return row.Scan(&n) }); err != nil {
		return 0, fmt.Errorf("postgres: count %s: %w", k.Name, err)
	}
	return n, nil
}

// Referrers returns the ids of live records of k whose ref field holds
// target, in id order. In a write transaction it locks them; a row that
// another transaction changed meanwhile is re-checked after the wait.
func (t *txn) Referrers(k *resource.Kind, field, target string) ([]string, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	q, ok := ks.referrers[field]
	if !ok {
		return nil, fmt.Errorf("postgres: %s.%s is not a ref field", k.Name, field)
	}
	if !storable(target) {
		return nil, nil
	}
	if t.writable {
		q += " FOR UPDATE"
	}
	var ids []string
	err = t.query(q, []any{target}, func(rows pgx.Rows) error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: referrers %s.%s: %w", k.Name, field, err)
	}
	return ids, nil
}

// errReadOnly is returned by writes in a View.
var errReadOnly = errors.New("postgres: write in a read-only transaction")

// PutRecord inserts or replaces a record. The statement is sent with the
// next one (or with COMMIT); a violation of a unique index is then
// returned, by that statement or by Update, as a
// *resource.UniqueViolation naming the field.
func (t *txn) PutRecord(k *resource.Kind, r *resource.Record) error {
	return t.putRecord(k, r, false)
}

// CreateRecord inserts a record, as PutRecord does; a taken id is
// returned, by the next statement or by Update, as resource.ErrExists.
func (t *txn) CreateRecord(k *resource.Kind, r *resource.Record) error {
	return t.putRecord(k, r, true)
}

// putRecord queues the record upsert, or with create the plain insert.
func (t *txn) putRecord(k *resource.Kind, r *resource.Record, create bool) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	if err := checkData(r.Data); err != nil {
		return err
	}
	stmt, op := ks.putRecord, "put"
	if create {
		stmt, op = ks.createRecord, "create"
	}
	m, c := &r.Meta, &r.Current
	t.queue(queued{
		sql: stmt,
		args: []any{m.ResourceID, m.CurrentRevisionID, m.TotalRevisionCount, m.SchemaVersion,
			m.CreatedTime, m.CreatedBy, m.UpdatedTime, m.UpdatedBy, m.IsDeleted,
			c.RevisionID, c.Number, copyPtr(c.ParentRevisionID), c.Status, c.DataHash, c.SchemaVersion,
			c.CreatedTime, c.CreatedBy, c.UpdatedTime, c.UpdatedBy, slices.Clone([]byte(r.Data))},
		op: op, kind: k.Name, id: m.ResourceID,
		record: ks, create: create,
	})
	return nil
}

// PutRevision inserts or replaces a revision. The statement is sent with
// the next one (or with COMMIT).
func (t *txn) PutRevision(k *resource.Kind, r *resource.Revision) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	if err := checkData(r.Data); err != nil {
		return err
	}
	i := &r.Info
	t.queue(queued{
		sql: ks.putRevision,
		args: []any{i.ResourceID, i.RevisionID, i.Number, copyPtr(i.ParentRevisionID), i.Status, i.DataHash,
			i.SchemaVersion, i.CreatedTime, i.CreatedBy, i.UpdatedTime, i.UpdatedBy, slices.Clone([]byte(r.Data))},
		op: "put revision", kind: k.Name, id: i.RevisionID,
	})
	return nil
}

// DeleteRevisions removes the given revision numbers of a resource. The
// statement is sent with the next one (or with COMMIT).
func (t *txn) DeleteRevisions(k *resource.Kind, id string, numbers []int) error {
	if !t.writable {
		return errReadOnly
	}
	if len(numbers) == 0 || !storable(id) {
		return nil
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	t.queue(queued{
		sql:  ks.deleteNumbers,
		args: []any{id, slices.Clone(numbers)},
		op:   "delete revisions of", kind: k.Name, id: id,
	})
	return nil
}

// Purge removes a resource's record and all its revisions.
func (t *txn) Purge(k *resource.Kind, id string) error {
	if !t.writable {
		return errReadOnly
	}
	if !storable(id) {
		return nil
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	t.queue(queued{sql: ks.purgeRevisions, args: []any{id}, op: "purge revisions of", kind: k.Name, id: id})
	if err := t.exec(ks.purge, id); err != nil {
		return fmt.Errorf("postgres: purge %s %s: %w", k.Name, id, err)
	}
	return nil
}

// uniqueField maps a unique violation of one of the kind's unique indexes
// to the field.
func (ks *kindSQL) uniqueField(err error) (string, bool) {
	if pgCode(err) != codeUniqueViolation {
		return "", false
	}
	var name string
	if e := pgError(err); e != nil {
		name = e.ConstraintName
	}
	field, ok := ks.uniques[name]
	return field, ok
}

// checkData refuses data the database cannot index: JSON holding the
// escape \u0000 (PostgreSQL text cannot hold U+0000, and the json
// operators fail on a document that contains it anywhere). The Service
// refuses such data before any backend sees it; this is the backstop for
// callers of the Backend itself.
func checkData(data json.RawMessage) error {
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case 0:
			return nulError(data)
		case '\\':
			if i+5 < len(data) && data[i+1] == 'u' && string(data[i+2:i+6]) == "0000" {
				return nulError(data)
			}
			i++ // skip the escaped character
		}
	}
	return nil
}

// nulError is the 422 of data holding U+0000, naming the strings and keys
// that hold it (and any with text that is not Unicode, which PostgreSQL
// refuses too).
func nulError(data json.RawMessage) error {
	e := &resource.Error{
		Code:   resource.CodeValidation,
		Detail: "data contains the character U+0000 (\\u0000), which this server's PostgreSQL storage cannot hold; remove it",
	}
	for _, p := range validate.TextProblems(data) {
		e.Fields = append(e.Fields, resource.FieldError{Field: p.Path, Message: p.Message()})
	}
	return e
}

// scanRecord scans the recordColumns of one row.
func scanRecord(row pgx.Row) (*resource.Record, error) {
	var r resource.Record
	var data []byte
	m, c := &r.Meta, &r.Current
	if err := row.Scan(&m.ResourceID, &m.CurrentRevisionID, &m.TotalRevisionCount, &m.SchemaVersion,
		&m.CreatedTime, &m.CreatedBy, &m.UpdatedTime, &m.UpdatedBy, &m.IsDeleted,
		&c.RevisionID, &c.Number, &c.ParentRevisionID, &c.Status, &c.DataHash, &c.SchemaVersion,
		&c.CreatedTime, &c.CreatedBy, &c.UpdatedTime, &c.UpdatedBy, &data); err != nil {
		return nil, err
	}
	m.CreatedTime, m.UpdatedTime = utc(m.CreatedTime), utc(m.UpdatedTime)
	c.ResourceID = m.ResourceID
	c.CreatedTime, c.UpdatedTime = utc(c.CreatedTime), utc(c.UpdatedTime)
	r.Data = data
	return &r, nil
}

// scanInfo scans the infoColumns of one row, then extra destinations.
func scanInfo(i *resource.RevisionInfo, row pgx.Row, extra ...any) error {
	dest := append([]any{&i.ResourceID, &i.RevisionID, &i.Number, &i.ParentRevisionID, &i.Status, &i.DataHash,
		&i.SchemaVersion, &i.CreatedTime, &i.CreatedBy, &i.UpdatedTime, &i.UpdatedBy}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	i.CreatedTime, i.UpdatedTime = utc(i.CreatedTime), utc(i.UpdatedTime)
	return nil
}

// copyPtr returns a pointer to a copy of *p, or nil.
func copyPtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// utc returns t in UTC: pgx returns timestamptz values in the local
// zone, and the Service's times are UTC.
func utc(t time.Time) time.Time { return t.UTC() }
