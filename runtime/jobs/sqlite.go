package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"

	"github.com/specstar-go/specstar/runtime/internal/stmtcache"
)

// OpenSQLite opens the job queue in the SQLite database at path (the
// store's file: runtime/store/sqlite opens it in WAL mode), creating or
// upgrading River's tables, and returns its engine, not started.
//
// The engine has two connections of its own, each of which serializes
// its statements as River's SQLite driver wants: one for the worker
// client (fetching, completing, leader election, maintenance), one for
// enqueues and reads. Writers of other connections, the store's included,
// take turns with them on SQLite's write lock (busy timeout 10s); every
// transaction of theirs begins IMMEDIATE, so none fails halfway on a
// lock it cannot upgrade.
func OpenSQLite(ctx context.Context, path string, cfg Config) (*Engine, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("jobs: open %q: need a file path without '?' or '#' (OpenMemory for a database in memory)", path)
	}
	dsn := path + "?" + url.Values{
		"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"},
		"_txlock": {"immediate"},
	}.Encode()
	work, err := openSQLiteDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	api, err := openSQLiteDB(dsn)
	if err != nil {
		work.Close()
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	e, err := openSQLite(ctx, cfg, work, api, func() error { return errors.Join(work.Close(), api.Close()) })
	if err != nil {
		return nil, fmt.Errorf("jobs: open %s: %w", path, err)
	}
	return e, nil
}

// OpenSQLiteDB opens the job queue on db, the pool of one write
// connection of the store's SQLite file (runtime/store/sqlite's WriteDB),
// as OpenSQLite does on a connection of its own. The store's writes and
// the queue's then take turns on that connection, without contending for
// SQLite's write lock, whose busy handler sleeps for milliseconds: with
// the store writing a job's resource at each status change, that is the
// difference between taking turns and waiting. db must have at most one
// connection, begin its transactions IMMEDIATE, and keep prepared
// statements (runtime/internal/stmtcache); Close leaves it open.
func OpenSQLiteDB(ctx context.Context, db *sql.DB, cfg Config) (*Engine, error) {
	e, err := openSQLite(ctx, cfg, db, db, func() error { return nil })
	if err != nil {
		return nil, fmt.Errorf("jobs: open: %w", err)
	}
	return e, nil
}

// OpenMemory returns an engine whose queue is an SQLite database in
// memory, for tests and development with the memory store: nothing
// survives the process. It has one connection (each connection to
// ":memory:" is a database of its own).
func OpenMemory(ctx context.Context, cfg Config) (*Engine, error) {
	db, err := openSQLiteDB(":memory:?_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("jobs: open memory: %w", err)
	}
	e, err := openSQLite(ctx, cfg, db, db, db.Close)
	if err != nil {
		return nil, fmt.Errorf("jobs: open memory: %w", err)
	}
	return e, nil
}

// openSQLiteDB opens a pool of one connection that keeps its prepared
// statements (see package stmtcache).
func openSQLiteDB(dsn string) (*sql.DB, error) {
	db := sql.OpenDB(stmtcache.Connector(&sqlite.Driver{}, dsn, 256))
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	// Switching a new file to WAL needs an exclusive lock, and SQLite
	// reports a busy file then without waiting: retry for a while, as
	// runtime/store/sqlite does.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := db.Ping()
		if err == nil {
			return db, nil
		}
		if !isBusy(err) || time.Now().After(deadline) {
			db.Close()
			return nil, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED.
func isBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	code := e.Code() & 0xff
	return code == 5 || code == 6
}

// openSQLite migrates the database and builds the engine on its pools.
func openSQLite(ctx context.Context, cfg Config, work, api *sql.DB, closeFn func() error) (*Engine, error) {
	e, err := newEngine(cfg)
	if err != nil {
		closeFn()
		return nil, err
	}
	if err := migrateSQLite(ctx, api); err != nil {
		closeFn()
		return nil, err
	}
	k := newKicks()
	workDriver := &sqliteDriver{Driver: riversqlite.New(work), kicks: k}
	apiDriver := riversqlite.New(api)
	q := &riverQueue[*sql.Tx]{
		sqlDialect: sqliteSQL{db: api},
		driver:     apiDriver,
		unwrap:     unwrapSQLTx,
		accepts:    acceptsSQLTx,
		kicker:     k.kick,
		closeFn:    closeFn,
	}
	if q.work, err = river.NewClient[*sql.Tx](workDriver, e.riverConfig("")); err != nil {
		closeFn()
		return nil, err
	}
	if q.api, err = river.NewClient[*sql.Tx](apiDriver, e.apiConfig("")); err != nil {
		closeFn()
		return nil, err
	}
	e.serial = true
	e.q = q
	return e, nil
}

// migrateSQLite creates or upgrades River's tables and the engine's own,
// in one transaction: it begins IMMEDIATE, so processes opening the file
// at once take turns, and the later ones find nothing to do.
func migrateSQLite(ctx context.Context, db *sql.DB) error {
	m, err := rivermigrate.New(riversqlite.New(db), &rivermigrate.Config{Logger: discardLogger})
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS specstar_job_worker (
	id TEXT PRIMARY KEY,
	seen_at INTEGER NOT NULL -- Unix milliseconds
) WITHOUT ROWID`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// unwrapSQLTx returns the *sql.Tx of a store transaction: a *sql.Tx, or a
// value with an SQLTx method (the Writer of runtime/store/sqlite).
func unwrapSQLTx(tx any) (*sql.Tx, bool, error) {
	switch t := tx.(type) {
	case *sql.Tx:
		return t, true, nil
	case interface{ SQLTx() *sql.Tx }:
		if st := t.SQLTx(); st != nil {
			return st, true, nil
		}
		return nil, false, errors.New("jobs: the store transaction has no SQL transaction (read-only?)")
	}
	return nil, false, nil
}

// acceptsSQLTx reports whether unwrapSQLTx knows tx.
func acceptsSQLTx(tx any) bool {
	switch tx.(type) {
	case *sql.Tx, interface{ SQLTx() *sql.Tx }:
		return true
	}
	return false
}

// sqliteDriver is River's SQLite driver with a listener that the engine
// can hurry. SQLite has no notifications: River's driver keeps them in a
// table that its listener polls every 50ms, and River sends at most one
// per queue per FetchCooldown. After a commit of this process that
// enqueued jobs, the engine tells its own listener directly (kick), which
// hands River's producer an insert notification at once: the job starts
// within milliseconds rather than within 50, and a job whose
// notification River held back does not wait for FetchPollInterval.
type sqliteDriver struct {
	*riversqlite.Driver
	kicks *kicks
}

// GetListener returns the driver's listener, wrapped.
func (d *sqliteDriver) GetListener(p *riverdriver.GetListenenerParams) riverdriver.Listener {
	return &kickListener{Listener: d.Driver.GetListener(p), kicks: d.kicks}
}

// kicks are the queues to notify, set by kick and taken by the listener.
type kicks struct {
	mu     sync.Mutex
	queues map[string]bool
	wake   chan struct{}
}

func newKicks() *kicks {
	return &kicks{queues: make(map[string]bool), wake: make(chan struct{}, 1)}
}

// kick asks for an insert notification of each queue.
func (k *kicks) kick(queues ...string) {
	k.mu.Lock()
	for _, q := range queues {
		k.queues[q] = true
	}
	k.mu.Unlock()
	select {
	case k.wake <- struct{}{}:
	default:
	}
}

// take returns an insert notification of a kicked queue, if any.
func (k *kicks) take() *riverdriver.Notification {
	k.mu.Lock()
	defer k.mu.Unlock()
	for q := range k.queues {
		delete(k.queues, q)
		payload, _ := json.Marshal(map[string]string{"queue": q})
		return &riverdriver.Notification{Topic: insertTopic, Payload: string(payload)}
	}
	return nil
}

// insertTopic is River's topic of insert notifications (its notifier's
// NotificationTopicInsert, internal to River); the producer of a queue
// fetches jobs when it gets one naming its queue.
const insertTopic = "river_insert"

// kickListener is a listener that returns the kicks' notifications
// first, and whose wait a kick interrupts.
type kickListener struct {
	riverdriver.Listener
	kicks *kicks
}

// WaitForNotification returns a kicked queue's notification, or waits for
// the next notification in the table or the next kick.
func (l *kickListener) WaitForNotification(ctx context.Context) (*riverdriver.Notification, error) {
	for {
		if n := l.kicks.take(); n != nil {
			return n, nil
		}
		wctx, cancel := context.WithCancel(ctx)
		kicked := make(chan struct{})
		go func() {
			select {
			case <-l.kicks.wake:
				close(kicked)
				cancel()
			case <-wctx.Done():
			}
		}()
		n, err := l.Listener.WaitForNotification(wctx)
		cancel()
		select {
		case <-kicked:
			if n != nil || ctx.Err() != nil {
				return n, err
			}
		default:
			return n, err
		}
	}
}

// sqliteSQL is the engine's own SQL on SQLite. Heartbeats are in the
// process's clock, which every process sharing the file shares.
type sqliteSQL struct{ db *sql.DB }

func (s sqliteSQL) heartbeat(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO specstar_job_worker (id, seen_at) VALUES (?, ?)
ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`, id, time.Now().UnixMilli())
	return err
}

func (s sqliteSQL) forget(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM specstar_job_worker WHERE id = ? OR seen_at < ?`,
		id, time.Now().Add(-24*time.Hour).UnixMilli())
	return err
}

func (s sqliteSQL) alive(ctx context.Context, ids []string, ttl time.Duration) (map[string]bool, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM specstar_job_worker
WHERE id IN (SELECT value FROM json_each(?)) AND seen_at > ?`, string(list), time.Now().Add(-ttl).UnixMilli())
	if err != nil {
		return nil, err
	}
	return scanAlive(rows)
}

// scanAlive reads a column of ids into a set.
func scanAlive(rows *sql.Rows) (map[string]bool, error) {
	defer rows.Close()
	out := make(map[string]bool)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

func (s sqliteSQL) release(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE river_job
SET state = CASE WHEN scheduled_at > ? THEN 'scheduled' ELSE 'available' END
WHERE id = ? AND state = 'pending'`, sqliteTime(time.Now()), id)
	return err
}

// sqliteTime formats a time as River's SQLite driver stores times (text
// that compares in time order).
func sqliteTime(t time.Time) string {
	return t.UTC().Round(time.Millisecond).Format("2006-01-02 15:04:05.000")
}

func (s sqliteSQL) counts(ctx context.Context) ([]stateCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job
WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'discarded')
GROUP BY kind, state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []stateCount
	for rows.Next() {
		var c stateCount
		var state string
		if err := rows.Scan(&c.kind, &state, &c.n); err != nil {
			return nil, err
		}
		c.state = rivertype.JobState(state)
		out = append(out, c)
	}
	return out, rows.Err()
}
