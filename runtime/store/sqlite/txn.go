package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/specstar-go/specstar/runtime/resource"
)

// txn implements resource.Reader and, when writable, resource.Writer on
// one transaction.
type txn struct {
	s        *Store
	ctx      context.Context
	tx       *sql.Tx
	writable bool
}

// stmts returns the read statements of the pool this transaction runs on.
func (t *txn) stmts(ks *kindSQL) *readStmts {
	if t.writable {
		return &ks.write
	}
	return &ks.read
}

// Get returns the record of a resource.
func (t *txn) Get(k *resource.Kind, id string) (*resource.Record, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	row := t.tx.StmtContext(t.ctx, t.stmts(ks).get).QueryRowContext(t.ctx, id)
	rec, err := scanRecord(row.Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, resource.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s %s: %w", k.Name, id, err)
	}
	return rec, nil
}

// Revision returns revision n of a resource.
func (t *txn) Revision(k *resource.Kind, id string, n int) (*resource.Revision, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	row := t.tx.StmtContext(t.ctx, t.stmts(ks).revision).QueryRowContext(t.ctx, id, n)
	var rev resource.Revision
	var data []byte
	err = scanInfo(&rev.Info, row.Scan, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, resource.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: revision %s %s:%d: %w", k.Name, id, n, err)
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
	rows, err := t.tx.StmtContext(t.ctx, t.stmts(ks).revisions).QueryContext(t.ctx, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: revisions %s %s: %w", k.Name, id, err)
	}
	defer rows.Close()
	var out []resource.RevisionInfo
	for rows.Next() {
		var info resource.RevisionInfo
		if err := scanInfo(&info, rows.Scan); err != nil {
			return nil, fmt.Errorf("sqlite: revisions %s %s: %w", k.Name, id, err)
		}
		out = append(out, info)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: revisions %s %s: %w", k.Name, id, err)
	}
	return out, nil
}

// GetMany returns the records of the given resources.
func (t *txn) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*resource.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := t.tx.StmtContext(t.ctx, t.stmts(ks).getMany).QueryContext(t.ctx, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: get many %s: %w", k.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanRecord(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("sqlite: get many %s: %w", k.Name, err)
		}
		out[rec.Meta.ResourceID] = rec
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: get many %s: %w", k.Name, err)
	}
	return out, nil
}

// List returns the records matching q in q's order.
func (t *txn) List(k *resource.Kind, q *resource.Query) ([]*resource.Record, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	query, args, err := listSQL(ks.table, q, t.sortIndex(ks, q))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", k.Name, err)
	}
	rows, err := t.query(ks, query, args)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", k.Name, err)
	}
	defer rows.Close()
	var out []*resource.Record
	for rows.Next() {
		rec, err := scanRecord(rows.Scan)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list %s: %w", k.Name, err)
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", k.Name, err)
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
		return 0, fmt.Errorf("sqlite: count %s: %w", k.Name, err)
	}
	rows, err := t.query(ks, query, args)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count %s: %w", k.Name, err)
	}
	defer rows.Close()
	var n int
	if !rows.Next() {
		return 0, fmt.Errorf("sqlite: count %s: no row: %w", k.Name, rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count %s: %w", k.Name, err)
	}
	return n, rows.Close()
}

// query runs a generated query in the transaction, with a cached
// prepared statement in read transactions.
func (t *txn) query(ks *kindSQL, query string, args []any) (*sql.Rows, error) {
	if !t.writable {
		if st := ks.queries.get(t.ctx, t.s.read, query); st != nil {
			return t.tx.StmtContext(t.ctx, st).QueryContext(t.ctx, args...)
		}
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

// Referrers returns the ids of live records of k whose ref field holds
// target, in id order.
func (t *txn) Referrers(k *resource.Kind, field, target string) ([]string, error) {
	ks, err := t.s.kind(k)
	if err != nil {
		return nil, err
	}
	q, ok := ks.referrers[field]
	if !ok {
		return nil, fmt.Errorf("sqlite: %s.%s is not a ref field", k.Name, field)
	}
	rows, err := t.tx.QueryContext(t.ctx, q, target)
	if err != nil {
		return nil, fmt.Errorf("sqlite: referrers %s.%s: %w", k.Name, field, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: referrers %s.%s: %w", k.Name, field, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: referrers %s.%s: %w", k.Name, field, err)
	}
	return out, nil
}

// errReadOnly is returned by writes in a View.
var errReadOnly = errors.New("sqlite: write in a read-only transaction")

// PutRecord inserts or replaces a record. A unique index violation is
// returned as a *resource.UniqueViolation naming the field.
func (t *txn) PutRecord(k *resource.Kind, r *resource.Record) error {
	return t.putRecord(k, r, false)
}

// CreateRecord inserts a record, or returns resource.ErrExists when its
// id is taken.
func (t *txn) CreateRecord(k *resource.Kind, r *resource.Record) error {
	return t.putRecord(k, r, true)
}

// putRecord runs the record upsert, or with create the plain insert.
func (t *txn) putRecord(k *resource.Kind, r *resource.Record, create bool) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	stmt := ks.putRecord
	if create {
		stmt = ks.createRecord
	}
	m, c := &r.Meta, &r.Current
	_, err = t.tx.StmtContext(t.ctx, stmt).ExecContext(t.ctx,
		m.ResourceID, m.CurrentRevisionID, m.TotalRevisionCount, m.SchemaVersion,
		micros(m.CreatedTime), m.CreatedBy, micros(m.UpdatedTime), m.UpdatedBy, m.IsDeleted,
		c.RevisionID, c.Number, nullable(c.ParentRevisionID), c.Status, c.DataHash, c.SchemaVersion,
		micros(c.CreatedTime), c.CreatedBy, micros(c.UpdatedTime), c.UpdatedBy, string(r.Data))
	if err != nil {
		if field, ok := ks.uniqueField(err); ok {
			return &resource.UniqueViolation{Kind: k.Name, Field: field, ID: m.ResourceID}
		}
		if isPrimaryKeyErr(err) {
			return resource.ErrExists
		}
		return fmt.Errorf("sqlite: put %s %s: %w", k.Name, m.ResourceID, err)
	}
	return nil
}

// PutRevision inserts or replaces a revision.
func (t *txn) PutRevision(k *resource.Kind, r *resource.Revision) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	i := &r.Info
	_, err = t.tx.StmtContext(t.ctx, ks.putRevision).ExecContext(t.ctx,
		i.ResourceID, i.RevisionID, i.Number, nullable(i.ParentRevisionID), i.Status, i.DataHash,
		i.SchemaVersion, micros(i.CreatedTime), i.CreatedBy, micros(i.UpdatedTime), i.UpdatedBy,
		string(r.Data))
	if err != nil {
		return fmt.Errorf("sqlite: put revision %s %s: %w", k.Name, i.RevisionID, err)
	}
	return nil
}

// DeleteRevisions removes the given revision numbers of a resource.
func (t *txn) DeleteRevisions(k *resource.Kind, id string, numbers []int) error {
	if !t.writable {
		return errReadOnly
	}
	if len(numbers) == 0 {
		return nil
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	list, err := json.Marshal(numbers)
	if err != nil {
		return err
	}
	if _, err := t.tx.StmtContext(t.ctx, ks.deleteNumbers).ExecContext(t.ctx, id, string(list)); err != nil {
		return fmt.Errorf("sqlite: delete revisions of %s %s: %w", k.Name, id, err)
	}
	return nil
}

// Purge removes a resource's record and all its revisions.
func (t *txn) Purge(k *resource.Kind, id string) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM ` + ks.revs + ` WHERE resource_id = ?`,
		`DELETE FROM ` + ks.table + ` WHERE resource_id = ?`,
	} {
		if _, err := t.tx.ExecContext(t.ctx, q, id); err != nil {
			return fmt.Errorf("sqlite: purge %s %s: %w", k.Name, id, err)
		}
	}
	return nil
}

// uniqueField maps a UNIQUE constraint error of one of the kind's unique
// indexes to the field. SQLite names the index of an expression index in
// the message: "UNIQUE constraint failed: index 'ux_author_email'".
func (ks *kindSQL) uniqueField(err error) (string, bool) {
	if !isUniqueErr(err) {
		return "", false
	}
	msg := err.Error()
	for name, field := range ks.uniques {
		if strings.Contains(msg, "'"+name+"'") {
			return field, true
		}
	}
	return "", false
}

// isUniqueErr reports whether err is a UNIQUE constraint violation.
func isUniqueErr(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isPrimaryKeyErr reports whether err is a PRIMARY KEY constraint
// violation: an insert of a taken id.
func isPrimaryKeyErr(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// scanRecord scans the recordColumns of one row.
func scanRecord(scan func(...any) error) (*resource.Record, error) {
	var r resource.Record
	var created, updated, revCreated, revUpdated int64
	var parent sql.NullString
	var data []byte
	m, c := &r.Meta, &r.Current
	if err := scan(&m.ResourceID, &m.CurrentRevisionID, &m.TotalRevisionCount, &m.SchemaVersion,
		&created, &m.CreatedBy, &updated, &m.UpdatedBy, &m.IsDeleted,
		&c.RevisionID, &c.Number, &parent, &c.Status, &c.DataHash, &c.SchemaVersion,
		&revCreated, &c.CreatedBy, &revUpdated, &c.UpdatedBy, &data); err != nil {
		return nil, err
	}
	m.CreatedTime, m.UpdatedTime = fromMicros(created), fromMicros(updated)
	c.ResourceID = m.ResourceID
	c.ParentRevisionID = ptr(parent)
	c.CreatedTime, c.UpdatedTime = fromMicros(revCreated), fromMicros(revUpdated)
	r.Data = data
	return &r, nil
}

// scanInfo scans the infoColumns of one row, then extra destinations.
func scanInfo(i *resource.RevisionInfo, scan func(...any) error, extra ...any) error {
	var created, updated int64
	var parent sql.NullString
	dest := append([]any{&i.ResourceID, &i.RevisionID, &i.Number, &parent, &i.Status, &i.DataHash,
		&i.SchemaVersion, &created, &i.CreatedBy, &updated, &i.UpdatedBy}, extra...)
	if err := scan(dest...); err != nil {
		return err
	}
	i.ParentRevisionID = ptr(parent)
	i.CreatedTime, i.UpdatedTime = fromMicros(created), fromMicros(updated)
	return nil
}

// micros stores a time as UTC unix microseconds; Service truncates times
// to microseconds, so they round-trip exactly.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is the inverse of micros.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullable returns s as an SQL argument: NULL for nil.
func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// ptr returns the string of a nullable column, or nil.
func ptr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// SQLTx returns the SQL transaction of a write transaction, nil for a
// read-only one, so that another library may run statements inside the
// write (runtime/jobs enqueues a job with River's InsertTx): they commit
// or roll back with it, savepoint included when the store runs the write
// in a group (batch.go). Statements run on it must not end it.
func (t *txn) SQLTx() *sql.Tx {
	if !t.writable {
		return nil
	}
	return t.tx
}
