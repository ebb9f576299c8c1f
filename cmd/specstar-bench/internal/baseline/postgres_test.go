package baseline

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	benchitem "github.com/specstar-go/specstar/examples/bench/item"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// specstarPostgres migrates the specstar PostgreSQL backend into a fresh
// schema of the test server and returns a service over it and the URL of
// the schema (search_path set). It skips without
// SPECSTAR_TEST_POSTGRES_URL, and fails without it under CI=true.
func specstarPostgres(t *testing.T) (*resource.Service, string) {
	t.Helper()
	u := pgtest.SchemaURL(t, pgtest.URL(t))
	ctx := context.Background()
	st, err := postgres.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	schema := benchitem.App().Schema()
	if err := st.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	return resource.NewService(st, schema), u
}

// TestPostgresSharesTheEngineRows checks the raw PostgreSQL baseline
// against the specstar PostgreSQL backend (see checkSharesTheEngineRows):
// the same GET bytes and ETag, the same list, the same revision rows.
func TestPostgresSharesTheEngineRows(t *testing.T) {
	svc, u := specstarPostgres(t)
	raw, err := NewPostgres(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	checkSharesTheEngineRows(t, svc, raw)
	checkRequestErrors(t, "postgres", raw.Handler())
}

// TestPostgresListUsesTheIndexes checks that the raw list query repeats
// the key expressions of the backend's indexes: with sequential scans
// off, PostgreSQL plans it on one of them, which it can only do when an
// expression is the index's own.
func TestPostgresListUsesTheIndexes(t *testing.T) {
	_, u := specstarPostgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	pool, err := openPostgres(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.pool.Close()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, "EXPLAIN "+pool.list, "gamma", 21)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if !strings.Contains(plan, "ix_item_category") && !strings.Contains(plan, "ix_item_happened_at") {
		t.Errorf("the list query uses neither ix_item_category nor ix_item_happened_at:\n%s", plan)
	}
}

func TestPostgresNeedsTheEngineSchema(t *testing.T) {
	u := pgtest.SchemaURL(t, pgtest.URL(t))
	_, err := NewPostgres(context.Background(), u)
	if err == nil || !strings.Contains(err.Error(), "not created by the specstar PostgreSQL backend") {
		t.Fatalf("err = %v, want a missing-index error", err)
	}
}
