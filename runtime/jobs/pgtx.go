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

// Begin starts a nested transaction: a savepoint.
func (t *connTx) Begin(ctx context.Context) (pgx.Tx, error) {
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
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

// LargeObjects is not supported: pgx builds them only on its own
// transactions. River does not use them.
func (t *connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t *connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t *connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *connTx) Conn() *pgx.Conn { return t.conn }
