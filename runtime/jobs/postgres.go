package jobs

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// OpenPostgres opens the job queue in the PostgreSQL database of pool, in
// schema ("" for the connection's search_path), creating or upgrading
// River's tables under the advisory lock runtime/store/postgres migrates
// under (several instances may start at once), and returns its engine,
// not started. Close leaves the pool open.
//
// River holds one connection of the pool for LISTEN, and its producers,
// completer and maintenance use others: give the engine a pool of its
// own (a copy of the store's configuration), so that a burst of jobs
// does not queue the store's requests behind it.
func OpenPostgres(ctx context.Context, pool *pgxpool.Pool, schema string, cfg Config) (*Engine, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	if err := migratePostgres(ctx, pool, schema); err != nil {
		return nil, fmt.Errorf("jobs: open postgres: %w", err)
	}
	driver := riverpgxv5.New(pool)
	q := &riverQueue[pgx.Tx]{
		sqlDialect: pgSQL{pool: pool, schema: schema},
		schema:     schema,
		driver:     driver,
		unwrap:     unwrapPgxTx,
		accepts:    acceptsPgxTx,
	}
	// One client does everything: PostgreSQL serves the pool's
	// connections in parallel.
	if q.work, err = river.NewClient[pgx.Tx](driver, e.riverConfig(schema)); err != nil {
		return nil, fmt.Errorf("jobs: open postgres: %w", err)
	}
	q.api = q.work
	e.q = q
	return e, nil
}

// migrateLockKey returns the advisory lock key runtime/store/postgres
// migrates a schema under (its migrateLockKey), so that the store's and
// the queue's migrations of one schema never run at once.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("specstar migrate\x00" + schema))
	return int64(h.Sum64())
}

// migratePostgres creates or upgrades River's tables and the engine's
// own, holding the migration lock.
func migratePostgres(ctx context.Context, pool *pgxpool.Pool, schema string) (err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey(schema)); err != nil {
		conn.Release()
		return fmt.Errorf("lock: %w", err)
	}
	defer func() {
		// A connection that still holds the lock must not go back to the
		// pool.
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey(schema)); uerr != nil {
			conn.Hijack().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("unlock: %w", uerr))
			return
		}
		conn.Release()
	}()
	if schema != "" {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	// River's migrations need a transaction each (one adds an enum
	// value that a later one uses, which PostgreSQL refuses in the same
	// transaction), so they run on the pool; the lock held on conn keeps
	// other instances from migrating meanwhile.
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema, Logger: discardLogger})
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+pgTable(schema, "specstar_job_worker")+` (
	id text PRIMARY KEY,
	seen_at timestamptz NOT NULL
)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// pgTable returns a table's name, qualified with schema when set.
func pgTable(schema, table string) string {
	if schema == "" {
		return pgx.Identifier{table}.Sanitize()
	}
	return pgx.Identifier{schema, table}.Sanitize()
}

// unwrapPgxTx returns the pgx.Tx of a store transaction: a pgx.Tx, or a
// transaction over the connection of a value with a PgxConnPending or a
// PgxConn method (the Writer of runtime/store/postgres; see connTx).
// PgxConnPending is preferred: the store's BEGIN then goes with River's
// insert, one round trip instead of two.
func unwrapPgxTx(tx any) (pgx.Tx, bool, error) {
	switch t := tx.(type) {
	case pgx.Tx:
		return t, true, nil
	case interface {
		PgxConnPending() (*pgx.Conn, []string, error)
	}:
		conn, pending, err := t.PgxConnPending()
		if err != nil {
			return nil, false, err
		}
		return &connTx{conn: conn, pending: pending}, true, nil
	case interface{ PgxConn() (*pgx.Conn, error) }:
		conn, err := t.PgxConn()
		if err != nil {
			return nil, false, err
		}
		return &connTx{conn: conn}, true, nil
	}
	return nil, false, nil
}

// acceptsPgxTx reports whether unwrapPgxTx knows tx.
func acceptsPgxTx(tx any) bool {
	switch tx.(type) {
	case pgx.Tx, interface{ PgxConn() (*pgx.Conn, error) }:
		return true
	}
	return false
}

// pgSQL is the engine's own SQL on PostgreSQL. Times are the server's,
// the one clock every instance shares.
type pgSQL struct {
	pool   *pgxpool.Pool
	schema string
}

func (s pgSQL) heartbeat(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO `+pgTable(s.schema, "specstar_job_worker")+` (id, seen_at) VALUES ($1, now())
ON CONFLICT (id) DO UPDATE SET seen_at = now()`, id)
	return err
}

func (s pgSQL) forget(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM `+pgTable(s.schema, "specstar_job_worker")+`
WHERE id = $1 OR seen_at < now() - interval '1 day'`, id)
	return err
}

func (s pgSQL) alive(ctx context.Context, ids []string, ttl time.Duration) (map[string]bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM `+pgTable(s.schema, "specstar_job_worker")+`
WHERE id = ANY($1) AND seen_at > now() - make_interval(secs => $2)`, ids, ttl.Seconds())
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool)
	var id string
	_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
		out[id] = true
		return nil
	})
	return out, err
}

func (s pgSQL) counts(ctx context.Context) ([]stateCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT kind, state::text, count(*) FROM `+pgTable(s.schema, "river_job")+`
WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'discarded')
GROUP BY kind, state`)
	if err != nil {
		return nil, err
	}
	var out []stateCount
	var c stateCount
	var state string
	_, err = pgx.ForEachRow(rows, []any{&c.kind, &state, &c.n}, func() error {
		c.state = rivertype.JobState(state)
		out = append(out, c)
		return nil
	})
	return out, err
}

func (s pgSQL) release(ctx context.Context, id int64) error {
	enum := pgTable(s.schema, "river_job_state")
	_, err := s.pool.Exec(ctx, `UPDATE `+pgTable(s.schema, "river_job")+`
SET state = CASE WHEN scheduled_at > now() THEN 'scheduled'::`+enum+` ELSE 'available'::`+enum+` END
WHERE id = $1 AND state = 'pending'`, id)
	return err
}
