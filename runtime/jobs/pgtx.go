package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// connTx is a pgx.Tx over the connection of a transaction that someone
// else opened and will end: runtime/store/postgres runs its transactions
// on a connection with statements it pipelines itself, not through a
// pgx.Tx, and hands out that connection (PgxConn) once BEGIN and its
// queued writes are sent. River inserts jobs through it like through any
// pgx.Tx; Begin makes a savepoint, as pgx does for a nested transaction,
// and Commit and Rollback of the transaction itself are refused: it
// commits or rolls back with the store's write.
type connTx struct {
	conn *pgx.Conn
	// pending are statements of the store's transaction not sent yet
	// (its BEGIN: see PgxConnPending in runtime/store/postgres), sent
	// with the first statement run here, in one round trip.
	pending []string
	// savepoint is the number of the savepoint this nested transaction
	// is (0 for the store's transaction itself); depth is the number of
	// the last savepoint made inside it.
	savepoint int
	depth     *int
	done      bool
}

// errForeignTx is returned by Commit and Rollback of the store's
// transaction.
var errForeignTx = errors.New("jobs: the transaction belongs to the store write that opened it: it commits or rolls back with that write")

// sendPending sends the pending statements in a round trip of their own,
// before a statement that cannot carry them.
func (t *connTx) sendPending(ctx context.Context) error {
	if len(t.pending) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, q := range t.pending {
		b.Queue(q)
	}
	t.pending = nil
	return t.conn.SendBatch(ctx, b).Close()
}

// withPending sends the pending statements and sql in one round trip,
// and returns the results of sql; close ends the batch.
func (t *connTx) withPending(ctx context.Context, sql string, args []any) (br pgx.BatchResults, err error) {
	b := &pgx.Batch{}
	for _, q := range t.pending {
		b.Queue(q)
	}
	b.Queue(sql, args...)
	n := len(t.pending)
	t.pending = nil
	br = t.conn.SendBatch(ctx, b)
	for range n {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return nil, err
		}
	}
	return br, nil
}

// batchRows are the rows of the last statement of a batch: closing them
// closes the batch.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		r.err = r.br.Close()
		r.br = nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// Begin starts a nested transaction: a savepoint.
func (t *connTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.sendPending(ctx); err != nil {
		return nil, err
	}
	if t.depth == nil {
		t.depth = new(int)
	}
	*t.depth++
	n := *t.depth
	if _, err := t.conn.Exec(ctx, fmt.Sprintf("SAVEPOINT specstar_jobs_%d", n)); err != nil {
		return nil, err
	}
	return &connTx{conn: t.conn, savepoint: n, depth: t.depth}, nil
}

// Commit releases a savepoint; the store's transaction refuses it.
func (t *connTx) Commit(ctx context.Context) error {
	if t.savepoint == 0 {
		return errForeignTx
	}
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	_, err := t.conn.Exec(ctx, fmt.Sprintf("RELEASE SAVEPOINT specstar_jobs_%d", t.savepoint))
	return err
}

// Rollback rolls back to a savepoint; the store's transaction refuses it.
// A nested transaction that has ended returns pgx.ErrTxClosed, as pgx's
// do (callers defer Rollback and ignore that).
func (t *connTx) Rollback(ctx context.Context) error {
	if t.savepoint == 0 {
		return errForeignTx
	}
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	_, err := t.conn.Exec(ctx, fmt.Sprintf("ROLLBACK TO SAVEPOINT specstar_jobs_%d", t.savepoint))
	return err
}

// The statements of the transaction run on the connection.

func (t *connTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.sendPending(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if len(t.pending) > 0 {
		qs := make([]*pgx.QueuedQuery, 0, len(t.pending)+len(b.QueuedQueries))
		for _, q := range t.pending {
			qs = append(qs, &pgx.QueuedQuery{SQL: q})
		}
		t.pending = nil
		br := t.conn.SendBatch(ctx, &pgx.Batch{QueuedQueries: append(qs, b.QueuedQueries...)})
		return &skipResults{BatchResults: br, skip: len(qs)}
	}
	return t.conn.SendBatch(ctx, b)
}

// LargeObjects is not supported: pgx builds them only on its own
// transactions. River does not use them.
func (t *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.sendPending(ctx); err != nil {
		return nil, err
	}
	return t.conn.Prepare(ctx, name, sql)
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if len(t.pending) == 0 {
		return t.conn.Exec(ctx, sql, args...)
	}
	br, err := t.withPending(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if len(t.pending) == 0 {
		return t.conn.Query(ctx, sql, args...)
	}
	br, err := t.withPending(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if len(t.pending) == 0 {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := t.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err}
	}
	return rowOf{rows}
}

// skipResults are the results of a batch sent after pending statements,
// whose results it reads first.
type skipResults struct {
	pgx.BatchResults
	skip int
	err  error
}

// skipped reads the results of the pending statements once.
func (r *skipResults) skipped() error {
	for ; r.skip > 0 && r.err == nil; r.skip-- {
		_, r.err = r.BatchResults.Exec()
	}
	return r.err
}

func (r *skipResults) Exec() (pgconn.CommandTag, error) {
	if err := r.skipped(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return r.BatchResults.Exec()
}

func (r *skipResults) Query() (pgx.Rows, error) {
	if err := r.skipped(); err != nil {
		return nil, err
	}
	return r.BatchResults.Query()
}

func (r *skipResults) QueryRow() pgx.Row {
	if err := r.skipped(); err != nil {
		return errRow{err}
	}
	return r.BatchResults.QueryRow()
}

// errRow is a pgx.Row that fails with err.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// rowOf is the pgx.Row of the first row of rows, as pgx's QueryRow.
type rowOf struct{ rows pgx.Rows }

func (r rowOf) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

func (t *connTx) Conn() *pgx.Conn { return t.conn }
