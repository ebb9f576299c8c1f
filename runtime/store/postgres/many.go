package postgres

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Writes of many rows (resource.ManyWriter).
//
// The Service's batched writes (PatchMany, TransactionMany) send the
// revisions of one kind with one INSERT over unnest of column arrays, and
// the records likewise, instead of a statement per row: the rows cost
// what they cost, but a statement's parse, plan and executor start are
// paid once. The statements do what putRevision, putRecord and
// createRecord do row by row, conflicts included.

// manySQL are the statements of one kind.
type manySQL struct {
	putRevisions, putRecords, createRecords string
}

// manyStatements caches the manySQL of each kindSQL.
var manyStatements sync.Map // *kindSQL -> *manySQL

// revisionArrays are the column types of infoColumns, data, as arrays.
const revisionArrays = `$1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], ` +
	`$8::timestamptz[], $9::text[], $10::timestamptz[], $11::text[], $12::text[]`

// recordArrays are the column types of recordColumns, as arrays.
const recordArrays = `$1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::text[], ` +
	`$7::timestamptz[], $8::text[], $9::boolean[], $10::text[], $11::bigint[], $12::text[], $13::text[], ` +
	`$14::text[], $15::bigint[], $16::timestamptz[], $17::text[], $18::timestamptz[], $19::text[], $20::text[]`

// many returns the statements of ks.
func (ks *kindSQL) many() *manySQL {
	if m, ok := manyStatements.Load(ks); ok {
		return m.(*manySQL)
	}
	revCols := `u.c1, u.c2, u.c3, u.c4, u.c5, u.c6, u.c7, u.c8, u.c9, u.c10, u.c11, u.c12::json`
	recCols := `u.c1, u.c2, u.c3, u.c4, u.c5, u.c6, u.c7, u.c8, u.c9, u.c10, u.c11, u.c12, u.c13, u.c14, ` +
		`u.c15, u.c16, u.c17, u.c18, u.c19, u.c20::json`
	alias := func(n int) string {
		s := ` AS u(`
		for i := 1; i <= n; i++ {
			if i > 1 {
				s += `, `
			}
			s += `c` + strconv.Itoa(i)
		}
		return s + `)`
	}
	m := &manySQL{}
	// The statements of one row end with VALUES (...) and, for the
	// upserts, their ON CONFLICT clause: the same clause follows the
	// SELECT here.
	_, revConflict, _ := cutAfterValues(ks.putRevision)
	_, recConflict, _ := cutAfterValues(ks.putRecord)
	m.putRevisions = `INSERT INTO ` + ks.revs + ` (` + infoColumns + `, data)
	SELECT ` + revCols + ` FROM unnest(` + revisionArrays + `)` + alias(12) + revConflict
	m.createRecords = `INSERT INTO ` + ks.table + ` (` + recordColumns + `)
	SELECT ` + recCols + ` FROM unnest(` + recordArrays + `)` + alias(20)
	m.putRecords = m.createRecords + recConflict
	actual, _ := manyStatements.LoadOrStore(ks, m)
	return actual.(*manySQL)
}

// cutAfterValues splits a one-row INSERT after its VALUES (...) list and
// returns what follows (the ON CONFLICT clause, or "").
func cutAfterValues(stmt string) (before, after string, ok bool) {
	i := strings.Index(stmt, "VALUES (")
	if i < 0 {
		return stmt, "", false
	}
	j := strings.Index(stmt[i:], ")")
	if j < 0 {
		return stmt, "", false
	}
	return stmt[:i], stmt[i+j+1:], true
}

// PutRevisions inserts or replaces revisions with one statement, sent
// with the next one (or with COMMIT).
func (t *txn) PutRevisions(k *resource.Kind, revs []*resource.Revision) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	n := len(revs)
	var (
		rid, revID, parent, status, hash, cby, uby, data = make([]string, n), make([]string, n), make([]*string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		num, sv                                          = make([]int64, n), make([]int64, n)
		ct, ut                                           = make([]time.Time, n), make([]time.Time, n)
	)
	for x, r := range revs {
		if err := checkData(r.Data); err != nil {
			return err
		}
		i := &r.Info
		rid[x], revID[x], num[x], parent[x], status[x], hash[x] = i.ResourceID, i.RevisionID, int64(i.Number), copyPtr(i.ParentRevisionID), i.Status, i.DataHash
		sv[x], ct[x], cby[x], ut[x], uby[x], data[x] = int64(i.SchemaVersion), i.CreatedTime, i.CreatedBy, i.UpdatedTime, i.UpdatedBy, string(r.Data)
	}
	t.queue(queued{
		sql:  ks.many().putRevisions,
		args: []any{rid, revID, num, parent, status, hash, sv, ct, cby, ut, uby, data},
		op:   "put revisions", kind: k.Name, id: strconv.Itoa(n) + " revisions",
	})
	return nil
}

// PutRecords inserts or replaces records (with create, inserts them,
// failing with resource.ErrExists when one exists) with one statement,
// sent with the next one (or with COMMIT). A unique violation names the
// field, not the record.
func (t *txn) PutRecords(k *resource.Kind, recs []*resource.Record, create bool) error {
	if !t.writable {
		return errReadOnly
	}
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	n := len(recs)
	var (
		id, cur, cby, uby, revID, status, hash, rcby, ruby, data = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		total, sv, num, rsv                                      = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		ct, ut, rct, rut                                         = make([]time.Time, n), make([]time.Time, n), make([]time.Time, n), make([]time.Time, n)
		deleted                                                  = make([]bool, n)
		parent                                                   = make([]*string, n)
	)
	for x, r := range recs {
		if err := checkData(r.Data); err != nil {
			return err
		}
		m, c := &r.Meta, &r.Current
		id[x], cur[x], total[x], sv[x] = m.ResourceID, m.CurrentRevisionID, int64(m.TotalRevisionCount), int64(m.SchemaVersion)
		ct[x], cby[x], ut[x], uby[x], deleted[x] = m.CreatedTime, m.CreatedBy, m.UpdatedTime, m.UpdatedBy, m.IsDeleted
		revID[x], num[x], parent[x], status[x], hash[x], rsv[x] = c.RevisionID, int64(c.Number), copyPtr(c.ParentRevisionID), c.Status, c.DataHash, int64(c.SchemaVersion)
		rct[x], rcby[x], rut[x], ruby[x], data[x] = c.CreatedTime, c.CreatedBy, c.UpdatedTime, c.UpdatedBy, string(r.Data)
	}
	stmt, op := ks.many().putRecords, "put records"
	if create {
		stmt, op = ks.many().createRecords, "create records"
	}
	t.queue(queued{
		sql: stmt,
		args: []any{id, cur, total, sv, ct, cby, ut, uby, deleted, revID, num, parent, status, hash, rsv,
			rct, rcby, rut, ruby, data},
		op: op, kind: k.Name, id: strconv.Itoa(n) + " records",
		record: ks, create: create,
	})
	return nil
}

// PgxConnPending returns, as PgxConn does, the connection of a write
// transaction for another library's statements, but sends nothing:
// pending holds what must be sent before them, in order (BEGIN, when the
// transaction has sent nothing yet), and the transaction counts it as
// sent. The caller sends pending in the same round trip as its first
// statement, saving the round trip PgxConn spends on BEGIN (runtime/jobs
// sends it with River's insert). A caller that fails before sending it
// must fail the transaction, which then rolls back (there is nothing to
// roll back on the server). With writes queued it sends them first, as
// PgxConn does, and returns no pending statement.
func (t *txn) PgxConnPending() (conn *pgx.Conn, pending []string, err error) {
	if !t.writable {
		return nil, nil, errors.New("postgres: a read-only transaction has no connection to write on")
	}
	if t.failed != nil {
		return nil, nil, t.failed
	}
	if len(t.queued) > 0 {
		c, err := t.PgxConn()
		return c, nil, err
	}
	if !t.begun {
		t.begun = true
		pending = []string{t.begin}
	}
	return t.conn.Conn(), pending, nil
}
