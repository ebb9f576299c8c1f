package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/metrics"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	s3store "github.com/specstar-go/specstar/runtime/store/s3"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// dbKind is the kind of database a DatabaseURL names.
type dbKind int

// Kinds of database.
const (
	dbSQLite dbKind = iota
	dbMemory
	dbPostgres
)

// database is a parsed DatabaseURL.
type database struct {
	kind dbKind
	path string // SQLite file; "" for the default one in DataDir
	url  string // PostgreSQL connection URL
}

// Timeouts of opening the storage.
const (
	openTimeout  = 30 * time.Second // connecting to PostgreSQL
	checkTimeout = 10 * time.Second // the startup check of the S3 bucket
)

// parseDatabaseURL parses a Config.DatabaseURL.
func parseDatabaseURL(u string) (database, error) {
	switch {
	case u == "":
		return database{kind: dbSQLite}, nil
	case u == "memory:":
		return database{kind: dbMemory}, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return database{kind: dbPostgres, url: u}, nil
	}
	for _, scheme := range []string{"sqlite:", "file:"} {
		if path, ok := strings.CutPrefix(u, scheme); ok {
			if path == "" {
				return database{}, fmt.Errorf(`database URL %q has an empty path: use "sqlite:PATH" or "file:PATH"`, u)
			}
			return database{kind: dbSQLite, path: path}, nil
		}
	}
	return database{}, fmt.Errorf(`unsupported database URL %q: use "" (SQLite in the data dir), "sqlite:PATH", "file:PATH", "postgres://USER@HOST:PORT/DATABASE" or "memory:"`, redactURL(u))
}

// redactURL hides the password of a URL, for messages and logs.
func redactURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.User == nil {
		return u
	}
	if _, ok := parsed.User.Password(); !ok {
		return u
	}
	parsed.User = url.UserPassword(parsed.User.Username(), "xxxxx")
	return parsed.String()
}

// storage is an opened backend and what the server needs to know of it.
type storage struct {
	backend resource.Backend // what the service runs on
	pg      *postgres.Store  // the PostgreSQL database (under S3 too); nil otherwise
	sqlite  *sqlite.Store    // the SQLite database (under S3 too); nil otherwise
	path    string           // the SQLite database's file
	pgURL   string           // the PostgreSQL database's URL
	s3      *s3store.Store   // nil without S3
	attrs   []any            // describe the storage in the startup log
}

// openStorage opens the database named by cfg.DatabaseURL and, when
// cfg.S3.Bucket is set, the S3 store over it. cfg has been validated.
func openStorage(cfg Config, logger *slog.Logger) (*storage, error) {
	db, err := parseDatabaseURL(cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	st := &storage{}
	switch db.kind {
	case dbMemory:
		st.backend = memory.New()
		st.attrs = []any{"database", "memory"}
	case dbSQLite:
		path := db.path
		if path == "" {
			path = filepath.Join(cfg.DataDir, "specstar.db")
		}
		if st.sqlite, err = sqlite.Open(path); err != nil {
			return nil, err
		}
		st.path = path
		st.backend = st.sqlite
		st.attrs = []any{"database", "sqlite", "path", path}
	case dbPostgres:
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		if st.pg, err = postgres.Open(ctx, db.url); err != nil {
			return nil, err
		}
		st.pgURL = db.url
		st.backend = st.pg
		st.attrs = []any{"database", "postgres", "url", redactURL(db.url)}
	}
	if cfg.S3.Bucket == "" {
		return st, nil
	}
	if st.s3, err = s3store.Open(st.backend, cfg.S3, s3store.WithLogger(logger)); err != nil {
		return nil, errors.Join(err, st.backend.Close())
	}
	st.backend = st.s3
	st.attrs = append(st.attrs, "s3_bucket", cfg.S3.Bucket, "s3_prefix", cfg.S3.Prefix, "s3_endpoint", cfg.S3.Endpoint)
	return st, nil
}

// check verifies, after Migrate, that the storage answers: for S3, that
// the bucket exists and is reachable, so that a misconfigured bucket
// fails at startup rather than on the first write.
func (st *storage) check() error {
	if st.s3 == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	if err := st.s3.Ping(ctx); err != nil {
		return fmt.Errorf("check storage: %w", err)
	}
	return nil
}

// instrument has m read the statistics of the database at each scrape:
// the connection pools and, on PostgreSQL, the transaction retries.
func (st *storage) instrument(m *metrics.Metrics) {
	if st.pg != nil {
		pool := st.pg.Pool()
		m.AddPool("postgres", func() metrics.PoolStats { return metrics.PgxPoolStats(pool) })
		m.CountRetries(st.pg.Retries)
	}
	if st.sqlite != nil {
		db := st.sqlite
		m.AddPool("sqlite_write", func() metrics.PoolStats { w, _ := db.DBStats(); return metrics.SQLPoolStats(w) })
		m.AddPool("sqlite_read", func() metrics.PoolStats { _, r := db.DBStats(); return metrics.SQLPoolStats(r) })
	}
}
