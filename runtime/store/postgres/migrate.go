package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// runMigrations applies the versioned migrations of fsys (see Migrate) on
// one connection that holds a session-level advisory lock on the schema
// from the first read of the version table to the last migration, so
// that several processes starting at once apply each migration once: the
// others wait for the lock, then find nothing to do. Kind-driven Migrate
// calls take the same lock.
//
// The migrations name tables without a schema; the connection's
// search_path is set to the store's schema for the run, so they, and
// goose's version table, land there.
func (s *Store) runMigrations(ctx context.Context, fsys fs.FS) (err error) {
	ms, err := migrate.Load(fsys)
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey(s.schema)); err != nil {
		conn.Release()
		return fmt.Errorf("lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx ended. A connection that still holds the
		// lock or the migration search_path must not go back to the
		// pool: close it instead.
		bg := context.Background()
		_, unlockErr := conn.Exec(bg, `SELECT pg_advisory_unlock($1)`, migrateLockKey(s.schema))
		if unlockErr == nil && s.schema != "" {
			_, unlockErr = conn.Exec(bg, `RESET search_path`)
		}
		if unlockErr != nil {
			conn.Hijack().Close(bg)
			err = errors.Join(err, fmt.Errorf("unlock: %w", unlockErr))
			return
		}
		conn.Release()
	}()
	if err := s.createSchema(ctx, conn); err != nil {
		return err
	}
	if s.schema != "" {
		if _, err := conn.Exec(ctx, `SELECT set_config('search_path', $1, false)`, quoteIdent(s.schema)); err != nil {
			return fmt.Errorf("set search_path: %w", err)
		}
	}
	if _, err = migrate.Run(ctx, &driver{conn: conn}, ms); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, sqlschema.Postgres.CreateShapeTable(s.schema))
	return err
}

// driver is the migrate.Driver of runMigrations, on the locked
// connection.
type driver struct {
	conn *pgxpool.Conn
}

// Init creates goose's version table and its version 0 row.
func (d *driver) Init(ctx context.Context) error {
	return d.Do(ctx, false, func(tx migrate.Tx) error {
		if err := tx.Exec(ctx, migrate.PostgresVersionTable); err != nil {
			return err
		}
		return tx.Exec(ctx, `INSERT INTO `+migrate.VersionTable+` (version_id, is_applied)
	SELECT 0, true WHERE NOT EXISTS (SELECT 1 FROM `+migrate.VersionTable+`)`)
	})
}

// Do runs fn in a transaction, or on the connection without one.
func (d *driver) Do(ctx context.Context, noTx bool, fn func(migrate.Tx) error) error {
	if noTx {
		return fn(migrationTx{d.conn})
	}
	return pgx.BeginTxFunc(ctx, d.conn, pgx.TxOptions{}, func(tx pgx.Tx) error {
		return fn(migrationTx{tx})
	})
}

// migrationTx is a migrate.Tx on a transaction or a connection.
type migrationTx struct {
	db execer
}

func (t migrationTx) Exec(ctx context.Context, query string) error {
	_, err := t.db.Exec(ctx, query)
	return err
}

func (t migrationTx) Records(ctx context.Context) ([]migrate.Record, error) {
	rows, err := t.db.Query(ctx, `SELECT version_id, is_applied FROM `+migrate.VersionTable+` ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (migrate.Record, error) {
		var r migrate.Record
		err := row.Scan(&r.Version, &r.Applied)
		return r, err
	})
}

func (t migrationTx) Insert(ctx context.Context, version int64) error {
	_, err := t.db.Exec(ctx, `INSERT INTO `+migrate.VersionTable+` (version_id, is_applied) VALUES ($1, true)`, version)
	return err
}

// Duplicates lists values of expr that several rows of table share.
func (t migrationTx) Duplicates(ctx context.Context, table, expr, where string, limit int) ([]migrate.Duplicate, error) {
	return duplicates(ctx, t.db, table, expr, where, limit)
}

// duplicates runs sqlschema's DuplicatesQuery.
func duplicates(ctx context.Context, db execer, table, expr, where string, limit int) ([]migrate.Duplicate, error) {
	rows, err := db.Query(ctx, sqlschema.Postgres.DuplicatesQuery(table, expr, where, limit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (migrate.Duplicate, error) {
		var d migrate.Duplicate
		var n int64
		err := row.Scan(&d.Value, &n, &d.IDs)
		d.Count = int(n)
		return d, err
	})
}
