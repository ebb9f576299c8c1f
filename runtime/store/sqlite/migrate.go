package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// driver is the migrate.Driver of a store: it runs on the single write
// connection, in BEGIN IMMEDIATE transactions (the write DSN's _txlock),
// so that each migration holds the file's write lock from its first
// statement: another process applying migrations at the same time waits,
// then finds the version recorded when it looks again inside its own
// transaction (migrate.Run does).
type driver struct {
	db *sql.DB // the write pool: one connection
}

// Init creates goose's version table and its version 0 row.
func (d *driver) Init(ctx context.Context) error {
	return d.Do(ctx, false, func(tx migrate.Tx) error {
		if err := tx.Exec(ctx, migrate.SQLiteVersionTable); err != nil {
			return err
		}
		return tx.Exec(ctx, `INSERT INTO `+migrate.VersionTable+` (version_id, is_applied)
	SELECT 0, 1 WHERE NOT EXISTS (SELECT 1 FROM `+migrate.VersionTable+`)`)
	})
}

// Do runs fn in a write transaction, or on the write connection without
// one. A migration of another process may hold the write lock for longer
// than the busy timeout (building an index on a big table), so starting
// the transaction is retried while the file is busy, until ctx ends.
func (d *driver) Do(ctx context.Context, noTx bool, fn func(migrate.Tx) error) error {
	if noTx {
		conn, err := d.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		return fn(&migrationTx{exec: conn.ExecContext, query: conn.QueryContext})
	}
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(&migrationTx{exec: tx.ExecContext, query: tx.QueryContext}); err != nil {
		return err
	}
	return tx.Commit()
}

// begin starts a write transaction, waiting for the write lock as long as
// ctx allows.
func (d *driver) begin(ctx context.Context) (*sql.Tx, error) {
	for {
		tx, err := d.db.BeginTx(ctx, nil)
		if err == nil || !isBusy(err) {
			return tx, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for another process's migration: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// migrationTx is a migrate.Tx on a transaction or a connection.
type migrationTx struct {
	exec  func(ctx context.Context, query string, args ...any) (sql.Result, error)
	query func(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (t *migrationTx) Exec(ctx context.Context, query string) error {
	_, err := t.exec(ctx, query)
	return err
}

func (t *migrationTx) Records(ctx context.Context) ([]migrate.Record, error) {
	rows, err := t.query(ctx, `SELECT version_id, is_applied FROM `+migrate.VersionTable+` ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []migrate.Record
	for rows.Next() {
		var r migrate.Record
		if err := rows.Scan(&r.Version, &r.Applied); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (t *migrationTx) Insert(ctx context.Context, version int64) error {
	_, err := t.exec(ctx, `INSERT INTO `+migrate.VersionTable+` (version_id, is_applied) VALUES (?, 1)`, version)
	return err
}

// Duplicates lists values of expr that several rows of table share.
func (t *migrationTx) Duplicates(ctx context.Context, table, expr, where string, limit int) ([]migrate.Duplicate, error) {
	return duplicates(ctx, t.query, table, expr, where, limit)
}

// duplicates runs sqlschema's DuplicatesQuery.
func duplicates(ctx context.Context, query func(ctx context.Context, query string, args ...any) (*sql.Rows, error), table, expr, where string, limit int) ([]migrate.Duplicate, error) {
	rows, err := query(ctx, sqlschema.SQLite.DuplicatesQuery(table, expr, where, limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []migrate.Duplicate
	for rows.Next() {
		var d migrate.Duplicate
		var ids string
		if err := rows.Scan(&d.Value, &d.Count, &ids); err != nil {
			return nil, err
		}
		d.IDs = strings.Split(ids, "\x1f")
		slices.Sort(d.IDs)
		d.IDs = d.IDs[:min(3, len(d.IDs))]
		out = append(out, d)
	}
	return out, rows.Err()
}
