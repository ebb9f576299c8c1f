// Package postgres is a resource.Backend on PostgreSQL (pgx v5, pgxpool).
// Several processes may share one database: every rule that must hold
// across them is enforced by the database itself.
//
// Each kind has two tables, <table> with the meta row and a copy of the
// current revision, and <table>_revisions with every stored revision (see
// DDL). Data is stored in json columns, which keep the canonical bytes
// exactly, and read through the expression builders of expr.go, which
// the indexes use too.
//
// Transactions:
//
//   - View runs in a REPEATABLE READ, READ ONLY transaction: one snapshot
//     for every read of fn.
//   - Update runs in a READ COMMITTED transaction in which every read of a
//     record (Get, GetMany, Referrers) locks it (SELECT … FOR UPDATE). The
//     Service reads a record before it writes it, so two writers of one
//     resource take turns, and the second one reads what the first
//     committed: If-Match is checked against the latest revision, in
//     every process. A reference check locks its target, so a concurrent
//     delete of the target waits (or is seen). Referrers re-checks its
//     condition on rows that changed while it waited for their locks.
//     READ COMMITTED lets writers queue on a hot row instead of failing
//     with serialization errors, as REPEATABLE READ would. A transaction
//     that only writes (a create) sends its writes in one pipeline
//     without BEGIN and COMMIT, which PostgreSQL runs as one implicit
//     transaction (see txn.implicitWrites).
//   - Deadlocks (40P01) and serialization failures (40001) roll back and
//     run fn again, up to WithMaxRetries times; Retries counts them.
//   - Unique fields are partial unique indexes on live rows; a violation
//     (23505 on one of them) is a *resource.UniqueViolation naming the
//     field. Of two concurrent writes of one value, the second waits for
//     the first to commit, then fails.
//   - Writes are queued and sent with the transaction's next statement,
//     or with COMMIT, to save round trips: a write's failure (a unique
//     violation, a taken id) is returned by that statement or by Update.
//
// PostgreSQL text cannot hold U+0000, so data containing the JSON escape
// \u0000 is refused with a 422 (the json operators the indexes use would
// fail on it), and an id that contains it names no resource.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Store is a PostgreSQL resource.Backend. Open returns one; Close releases
// it.
type Store struct {
	pool       *pgxpool.Pool
	schema     string // "" for the current schema (unqualified names)
	maxRetries int
	retries    atomic.Uint64 // transactions run again, for Retries

	mu    sync.RWMutex
	kinds map[string]*kindSQL // by Kind.Name, set by Migrate; nil when closed
}

var _ resource.Backend = (*Store)(nil)

// config holds the options of Open.
type config struct {
	schema     string
	maxConns   int32
	maxRetries int
}

// Option configures Open.
type Option func(*config)

// WithSchema puts the tables in the named schema (Migrate creates it when
// it does not exist). It overrides the first entry of the URL's
// search_path.
func WithSchema(name string) Option {
	return func(c *config) { c.schema = name }
}

// WithMaxConns sets the size of the connection pool (default: pgxpool's,
// max(4, number of CPUs), or the URL's pool_max_conns).
func WithMaxConns(n int32) Option {
	return func(c *config) { c.maxConns = n }
}

// WithMaxRetries sets how many times Update runs its function again after
// a deadlock or a serialization failure (default 10).
func WithMaxRetries(n int) Option {
	return func(c *config) { c.maxRetries = n }
}

// Open connects to the PostgreSQL database at url, a postgres:// URL or a
// key=value connection string as pgx accepts them (pgxpool's pool_*
// parameters included), and checks that the database answers. It creates
// nothing: call Migrate before use.
//
// The tables live in the schema given by WithSchema, else in the first
// schema of the URL's search_path parameter (postgres://…?search_path=app),
// else in the connection's current schema (public by default), unqualified.
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	cfg := config{maxRetries: 10}
	for _, o := range opts {
		o(&cfg)
	}
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included.
		return nil, errors.New("postgres: open: the database URL does not parse (want postgres://user@host:port/database?options or key=value pairs)")
	}
	if cfg.maxConns > 0 {
		pc.MaxConns = cfg.maxConns
	}
	if cfg.schema == "" {
		cfg.schema = firstSchema(pc.ConnConfig.RuntimeParams["search_path"])
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s:%d/%s: %w", pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Database, err)
	}
	return &Store{pool: pool, schema: cfg.schema, maxRetries: cfg.maxRetries, kinds: make(map[string]*kindSQL)}, nil
}

// firstSchema returns the first schema of a search_path value, or "" when
// it is empty or "$user".
func firstSchema(searchPath string) string {
	first, _, _ := strings.Cut(searchPath, ",")
	first = strings.TrimSpace(first)
	if len(first) >= 2 && first[0] == '"' && first[len(first)-1] == '"' {
		first = strings.ReplaceAll(first[1:len(first)-1], `""`, `"`)
	}
	if first == "$user" {
		return ""
	}
	return first
}

// Schema returns the schema that holds the tables, "" for the
// connection's current schema.
func (s *Store) Schema() string { return s.schema }

// Pool returns the connection pool, for health checks and tools that
// share it.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

// Close closes the connection pool, waiting for the connections in use to
// be released.
func (s *Store) Close() error {
	s.mu.Lock()
	s.kinds = nil
	s.mu.Unlock()
	s.pool.Close()
	return nil
}

// kind returns the SQL of kind k.
func (s *Store) kind(k *resource.Kind) (*kindSQL, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ks := s.kinds[k.Name]
	if ks == nil {
		if s.kinds == nil {
			return nil, errors.New("postgres: store is closed")
		}
		return nil, fmt.Errorf("postgres: kind %q is not migrated", k.Name)
	}
	return ks, nil
}

// Transaction statements. BEGIN is sent with the first statement of a
// transaction, in one round trip, and COMMIT with the writes still queued.
const (
	beginRead  = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
	beginWrite = "BEGIN ISOLATION LEVEL READ COMMITTED, READ WRITE"
)

// View runs fn in a read-only REPEATABLE READ transaction: one consistent
// snapshot, concurrent with writers. BEGIN is sent with the first
// statement, and the transaction ends after View returns, so a read of
// one statement costs its caller one round trip.
func (s *Store) View(ctx context.Context, fn func(resource.Reader) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin read: %w", err)
	}
	t := &txn{s: s, ctx: ctx, conn: conn, begin: beginRead}
	defer t.endRead()
	return fn(t)
}

// Update runs fn in a READ COMMITTED transaction whose reads lock the
// records they return (see the package documentation), and commits it.
// When fn fails or panics the transaction is rolled back; after a
// deadlock or a serialization failure it runs fn again in a new
// transaction, up to WithMaxRetries times.
func (s *Store) Update(ctx context.Context, fn func(resource.Writer) error) error {
	for attempt := 0; ; attempt++ {
		retry, err := s.update(ctx, fn)
		if !retry || attempt >= s.maxRetries {
			return err
		}
		// Back off a little, with jitter, so that the transactions that
		// collided do not collide again.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5)))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		s.retries.Add(1)
	}
}

// Retries returns how many times Update has run a function again after a
// deadlock or a serialization failure since the store was opened: a
// running count for monitoring (package metrics reads it at each scrape).
// A steady rise means writers contend for the same rows.
func (s *Store) Retries() uint64 { return s.retries.Load() }

// update runs fn in one transaction; retry reports a deadlock or a
// serialization failure.
func (s *Store) update(ctx context.Context, fn func(resource.Writer) error) (retry bool, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("postgres: begin: %w", err)
	}
	defer conn.Release()
	t := &txn{s: s, ctx: ctx, conn: conn, begin: beginWrite, writable: true}
	done := false
	defer func() {
		if !done {
			t.rollback()
		}
	}()
	if err := fn(t); err != nil {
		return t.retry || retryable(err), err
	}
	done = true
	if err := t.commit(); err != nil {
		return t.retry, err
	}
	return false, nil
}

// PostgreSQL error codes the store handles.
const (
	codeUniqueViolation      = "23505"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// pgError returns the PostgreSQL error in err's chain, or nil.
func pgError(err error) *pgconn.PgError {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	if e := pgError(err); e != nil {
		return e.Code
	}
	return ""
}

// retryable reports whether err is a deadlock or a serialization failure,
// after which the transaction may simply run again.
func retryable(err error) bool {
	switch pgCode(err) {
	case codeSerializationFailure, codeDeadlockDetected:
		return true
	}
	return false
}
