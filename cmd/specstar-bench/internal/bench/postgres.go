package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The postgres systems run on databases the run creates on the server of
// --postgres and drops at its end (unless --keep): specstar-postgres
// seeds specstar_bench_<hex> through its API, and raw-postgres gets
// raw_bench_<hex>, a copy made with CREATE DATABASE ... TEMPLATE while
// specstar-postgres is stopped (a template must have no connections).
// The role of the URL needs the CREATEDB privilege.

// pgAdminTimeout bounds one administrative statement (CREATE DATABASE of
// a 100k-row template copies its files).
const pgAdminTimeout = 2 * time.Minute

// newDatabaseSuffix returns the random part of the run's database names.
func newDatabaseSuffix() (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// pgAdmin runs one statement on a new connection to the database of
// adminURL: the --postgres URL for CREATE and DROP DATABASE (a database
// cannot be copied or dropped from a connection to itself).
func pgAdmin(ctx context.Context, adminURL, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, pgAdminTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// createDatabase creates the database name, as a copy of template when it
// is not empty, and returns its URL. The run drops it at its end.
func (r *runner) createDatabase(ctx context.Context, name, template string) (string, error) {
	u, err := databaseURL(r.cfg.Postgres, name)
	if err != nil {
		return "", err
	}
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := pgAdmin(ctx, r.cfg.Postgres, sql); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	r.shared.pgDatabases = append(r.shared.pgDatabases, name)
	r.logf("postgres: created database %s", name)
	return u, nil
}

// dropDatabases drops the databases the run created. FORCE ends the
// sessions still open on them (a server that had to be killed).
func (r *runner) dropDatabases() {
	for _, name := range r.shared.pgDatabases {
		if r.cfg.Keep {
			r.logf("postgres: kept database %s (--keep); drop it with DROP DATABASE %s", name, name)
			continue
		}
		sql := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
		if err := pgAdmin(context.Background(), r.cfg.Postgres, sql); err != nil {
			r.logf("postgres: drop database %s: %v", name, err)
		}
	}
	r.shared.pgDatabases = nil
}

// databaseURL returns the connection string u with its database set to
// name: the path of a postgres:// URL, or a dbname pair appended to a
// key=value string (a later pair wins). Other parameters (user, host,
// sslmode, search_path) are kept.
func databaseURL(u, name string) (string, error) {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		parsed, err := url.Parse(u)
		if err != nil {
			// The URL may hold a password: do not quote it.
			return "", errors.New("--postgres does not parse as a URL")
		}
		parsed.Path = "/" + name
		parsed.RawPath = ""
		return parsed.String(), nil
	}
	if strings.Contains(u, "=") {
		return u + " dbname=" + name, nil
	}
	return "", errors.New(`--postgres must be a postgres:// URL or key=value pairs ("host=... user=... dbname=...")`)
}
