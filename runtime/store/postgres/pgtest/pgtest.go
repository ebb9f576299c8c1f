// Package pgtest gives tests a PostgreSQL database: the URL of the test
// server and a fresh schema per test, dropped when the test ends. Every
// test that needs PostgreSQL (the backend's suites, the examples' HTTP
// conformance suite, multi-instance tests) takes it from here, so that
// they all skip or fail the same way:
//
//   - the URL comes from SPECSTAR_TEST_POSTGRES_URL, e.g.
//     postgres://postgres@127.0.0.1:5432/test?sslmode=disable;
//   - when it is unset, the test is skipped with a message, except under
//     CI=true, where it fails: CI must run these tests;
//   - when it is set but the server does not answer, the test fails.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL is the environment variable that holds the test server's URL.
const EnvURL = "SPECSTAR_TEST_POSTGRES_URL"

// ExampleURL is a URL for a local server with trust authentication.
const ExampleURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// reachable caches the outcome of the first connection to each URL.
var reachable sync.Map // url -> error (nil when reachable)

// URL returns the test server's URL (see the package documentation): it
// skips tb when SPECSTAR_TEST_POSTGRES_URL is unset outside CI, and fails
// it under CI=true or when the server does not answer.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set, and CI=true requires the PostgreSQL tests: set it to the test server, e.g. %s", EnvURL, ExampleURL)
		}
		tb.Skipf("PostgreSQL tests skipped: %s is not set (e.g. %s)", EnvURL, ExampleURL)
	}
	errAny, ok := reachable.Load(u)
	if !ok {
		errAny, _ = reachable.LoadOrStore(u, ping(u))
	}
	if err, _ := errAny.(error); err != nil {
		tb.Fatalf("PostgreSQL at %s=%s does not answer: %v", EnvURL, redact(u), err)
	}
	return u
}

// ping connects to u and runs a query, with a timeout.
func ping(u string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

// Schema creates a schema with a fresh name ("t_" and 16 hex digits) in
// the database at u and drops it, with everything in it, when tb ends.
func Schema(tb testing.TB, u string) string {
	tb.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name := "t_" + hex.EncodeToString(b[:])
	if err := exec(u, `CREATE SCHEMA `+name); err != nil {
		tb.Fatalf("create schema %s: %v", name, err)
	}
	tb.Cleanup(func() {
		if err := exec(u, `DROP SCHEMA IF EXISTS `+name+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// SchemaURL returns u with search_path set to a fresh schema (see Schema),
// for code that takes only a URL, such as a server process given
// SPECSTAR_DATABASE_URL.
func SchemaURL(tb testing.TB, u string) string {
	tb.Helper()
	out, err := WithSearchPath(u, Schema(tb, u))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// WithSearchPath returns the connection string u with its search_path
// parameter set to schema: a query parameter of a postgres:// URL, a
// search_path=… pair of a key=value string.
func WithSearchPath(u, schema string) (string, error) {
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		parsed, err := url.Parse(u)
		if err != nil {
			return "", fmt.Errorf("pgtest: %s does not parse as a URL", EnvURL)
		}
		q := parsed.Query()
		q.Set("search_path", schema)
		parsed.RawQuery = q.Encode()
		return parsed.String(), nil
	}
	return u + " search_path=" + schema, nil
}

// exec runs one statement on a new connection to u.
func exec(u, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// redact hides the password of a URL in messages.
func redact(u string) string {
	if parsed, err := url.Parse(u); err == nil && parsed.User != nil {
		if _, ok := parsed.User.Password(); ok {
			parsed.User = url.UserPassword(parsed.User.Username(), "xxxxx")
			return parsed.String()
		}
	}
	return u
}
