// Package sqlite is a resource.Backend on an SQLite file (modernc.org/sqlite,
// pure Go). The database runs in WAL mode: one write connection serializes
// writers (BEGIN IMMEDIATE, so writers in other processes wait on the file
// lock instead of failing halfway), and a pool of read-only connections
// serves snapshot reads in parallel with writes.
//
// Each kind has two tables: <table> with the meta row and a copy of the
// current revision, and <table>_revisions with every stored revision. Unique
// fields are enforced by partial UNIQUE expression indexes over live rows,
// so uniqueness holds across processes sharing the file.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/specstar-go/specstar/runtime/internal/stmtcache"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Store is an SQLite resource.Backend. Open returns one; Close releases it.
type Store struct {
	path  string
	write *sql.DB // exactly one connection
	read  *sql.DB // read-only pool

	mu    sync.RWMutex
	kinds map[string]*kindSQL // by Kind.Name, set by Migrate

	// commits counts committed Update calls, to run PRAGMA optimize
	// now and then.
	commits atomic.Int64

	// The group commit of Update (batch.go): calls waiting for the
	// write connection, and whether one of them is running a group.
	qmu     sync.Mutex
	queue   []*writeCall
	leading bool
	groups  atomic.Int64 // transactions that committed more than one call

	// The background checkpoint (checkpoint.go): closing stopCheckpoints
	// stops it, checkpointsDone is closed once it has.
	stopCheckpoints chan struct{}
	checkpointsDone chan struct{}
}

var _ resource.Backend = (*Store)(nil)

// config holds the options of Open.
type config struct {
	busyTimeout time.Duration
	readConns   int
}

// Option configures Open.
type Option func(*config)

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process before failing (default 5s).
func WithBusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busyTimeout = d }
}

// WithReadConns sets the size of the read connection pool (default: the
// number of CPUs, at least 4).
func WithReadConns(n int) Option {
	return func(c *config) { c.readConns = n }
}

// Open opens (creating it and its parent directory if needed) the SQLite
// database at path. Call Migrate before use.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{busyTimeout: 5 * time.Second, readConns: max(4, runtime.NumCPU())}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: need a file path without '?' or '#'", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
		}
	}
	busy := fmt.Sprintf("busy_timeout(%d)", cfg.busyTimeout.Milliseconds())
	writeDSN := dsn(path, url.Values{
		"_pragma": {busy, "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(1)",
			// Checkpoints run in the background (checkpoint.go); the
			// write connection's own is the backstop.
			fmt.Sprintf("wal_autocheckpoint(%d)", walAutoCheckpoint),
			// ANALYZE (run by PRAGMA optimize) reads at most about this
			// many entries per index, so that it stays fast on big
			// tables. Index entries are read in key order, so a smaller
			// sample would see few keys and report a low-cardinality
			// field as selective (sortIndex relies on rows per key).
			"analysis_limit(100000)"},
		"_txlock": {"immediate"},
	})
	readDSN := dsn(path, url.Values{
		"_pragma": {busy, "foreign_keys(1)", "query_only(1)"},
	})
	s := &Store{path: path, kinds: make(map[string]*kindSQL)}
	var err error
	// The write connection keeps the prepared statements of queries sent
	// as text (the job queue's, which a hook's enqueue runs inside the
	// write's transaction: see runtime/internal/stmtcache); the store's
	// own statements are prepared once anyway.
	s.write = sql.OpenDB(stmtcache.Connector(&sqlite.Driver{}, writeDSN, 256))
	s.write.SetMaxOpenConns(1)
	s.write.SetMaxIdleConns(1)
	s.write.SetConnMaxLifetime(0)
	s.write.SetConnMaxIdleTime(0)
	// The first connection creates the file and switches it to WAL; do it
	// now so that a bad path or a locked file fails here.
	if err := pingRetry(s.write, cfg.busyTimeout); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if s.read, err = sql.Open("sqlite", readDSN); err != nil {
		s.write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.read.SetMaxOpenConns(cfg.readConns)
	s.read.SetMaxIdleConns(cfg.readConns)
	if err := s.read.Ping(); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt, err := sql.Open("sqlite", dsn(path, url.Values{"_pragma": {busy}}))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	s.stopCheckpoints, s.checkpointsDone = make(chan struct{}), make(chan struct{})
	go s.checkpointer(ckpt, s.stopCheckpoints, s.checkpointsDone)
	// Refresh the planner's statistics of tables that changed much
	// since they were last analyzed (SQLite's advice for long-lived
	// connections; 0x10000: check every table). Statistics are an
	// optimisation: another process holding the write lock (migrating
	// the file as it starts, say) must not keep this one from opening.
	if err := s.optimize(context.Background(), "PRAGMA optimize=0x10002"); err != nil && !isBusy(err) {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// dsn builds a modernc.org/sqlite data source name.
func dsn(path string, q url.Values) string {
	return path + "?" + q.Encode()
}

// pingRetry pings db until it succeeds or timeout passes. Switching a new
// file to WAL needs an exclusive lock, and SQLite reports a busy file at
// that point without calling the busy handler, so two processes opening a
// fresh file at once retry here.
func pingRetry(db *sql.DB, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := db.Ping()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
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
	return code == sqlite3.SQLITE_BUSY || code == sqlite3.SQLITE_LOCKED
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Ping checks that both connection pools can serve queries.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// optimizeEvery is how many write transactions pass between two runs of
// PRAGMA optimize.
const optimizeEvery = 1000

// optimize runs PRAGMA optimize on the write connection. The query
// planner needs the statistics it keeps (sqlite_stat1) to choose between
// the indexes of filtered and sorted fields: without them an equality on
// a field with three values looks as selective as a range on a field
// with thousands.
func (s *Store) optimize(ctx context.Context, pragma string) error {
	if _, err := s.write.ExecContext(ctx, pragma); err != nil {
		return fmt.Errorf("optimize: %w", err)
	}
	return nil
}

// Close closes the prepared statements and the database, after a last
// WriteDB returns the pool of the store's one write connection, for a
// job queue that shares it (runtime/jobs.OpenSQLiteDB): SQLite has one
// writer at a time, and writers on one connection take turns in the pool
// instead of in SQLite's busy handler, which sleeps milliseconds. Do not
// close it, nor hold its connection across a call to the store.
func (s *Store) WriteDB() *sql.DB { return s.write }

// PRAGMA optimize.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		close(s.stopCheckpoints)
		<-s.checkpointsDone
		s.stopCheckpoints = nil
	}
	// Statistics are an optimisation: a failure here (a busy file) must
	// not keep the store from closing.
	_ = s.optimize(context.Background(), "PRAGMA optimize")
	s.mu.Lock()
	var errs []error
	for _, k := range s.kinds {
		errs = append(errs, k.close())
	}
	s.kinds = nil
	s.mu.Unlock()
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	errs = append(errs, s.write.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// kind returns the statements of kind k.
func (s *Store) kind(k *resource.Kind) (*kindSQL, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ks := s.kinds[k.Name]
	if ks == nil {
		if s.kinds == nil {
			return nil, errors.New("sqlite: store is closed")
		}
		return nil, fmt.Errorf("sqlite: kind %q is not migrated", k.Name)
	}
	return ks, nil
}

// View runs fn in a read-only transaction: a consistent snapshot of the
// database, concurrent with writers.
func (s *Store) View(ctx context.Context, fn func(resource.Reader) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	// A read transaction has nothing to commit; rolling back ends it.
	defer tx.Rollback()
	return fn(&txn{s: s, ctx: ctx, tx: tx})
}
