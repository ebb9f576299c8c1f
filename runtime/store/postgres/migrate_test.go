package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// initMigration returns a goose migration that creates the storage of
// kinds with unqualified names, as the generator writes 00001_init.sql.
func initMigration(kinds []*resource.Kind) string {
	var b strings.Builder
	b.WriteString("-- +goose Up\n")
	for _, k := range kinds {
		for _, q := range sqlschema.Postgres.CreateKind("", k) {
			b.WriteString(q + ";\n")
		}
	}
	b.WriteString("-- +goose Down\n")
	for _, k := range slices.Backward(kinds) {
		for _, q := range sqlschema.Postgres.DropTables("", k) {
			b.WriteString(q + ";\n")
		}
	}
	return b.String()
}

// withMigrations migrates with a versioned migration made from the kinds
// of the schema instead of the kinds themselves.
type withMigrations struct{ *postgres.Store }

func (w withMigrations) Migrate(ctx context.Context, s *resource.Schema) error {
	c := *s
	c.Migrations = map[string]fs.FS{"postgres": fstest.MapFS{"00001_init.sql": {Data: []byte(initMigration(s.Kinds))}}}
	return w.Store.Migrate(ctx, &c)
}

// TestConformanceWithMigrations runs the backend suite on storage created
// by a versioned migration, in the store's schema through search_path.
func TestConformanceWithMigrations(t *testing.T) {
	pgtest.URL(t)
	resourcetest.Run(t, func(t *testing.T) resource.Backend { return withMigrations{open(t)} })
}

// migrationSchema returns the suite's kinds with the given migration
// files (name -> content).
func migrationSchema(files map[string]string) (*resource.Schema, *resourcetest.Kinds) {
	kinds := resourcetest.NewKinds()
	fsys := fstest.MapFS{}
	for name, src := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(src)}
	}
	s := *kinds.Schema
	s.Migrations = map[string]fs.FS{"postgres": fsys}
	return &s, kinds
}

// inspect returns the applied versions of goose_db_version and the tables
// and indexes of schema, by name.
func inspect(t *testing.T, u, schema string) (versions []int64, objects []string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT version_id FROM `+sqlschema.Qualify(schema, migrate.VersionTable)+` WHERE is_applied ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	if versions, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = $1 AND c.relkind IN ('r', 'i') ORDER BY c.relname`, schema)
	if err != nil {
		t.Fatal(err)
	}
	if objects, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	return versions, objects
}

// openSchema opens a store on schema (created by pgtest).
func openSchema(t *testing.T, u, schema string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), u, postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestMigrateAppliesVersionedMigrations(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	init := initMigration(resourcetest.NewKinds().Schema.Kinds)
	extra := "-- +goose Up\nCREATE TABLE extra (x text);\n-- +goose StatementBegin\n" +
		"CREATE FUNCTION extra_f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END; $$;\n-- +goose StatementEnd\n" +
		"-- +goose Down\nDROP TABLE extra;\n"
	sc, kinds := migrationSchema(map[string]string{"00001_init.sql": init, "00002_extra.sql": extra})

	s := openSchema(t, u, schema)
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, sc)
	a, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Running again applies nothing and keeps the data.
	if err := s.Migrate(ctx, sc); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, err := svc.Get(ctx, kinds.Author, a.Meta.ResourceID, resource.ReadOptions{}); err != nil {
		t.Fatalf("read after the second Migrate: %v", err)
	}
	versions, objects := inspect(t, u, schema)
	if diff := cmp.Diff([]int64{0, 1, 2}, versions); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
	for _, want := range []string{"author", "author_revisions", "ux_author_email", "extra", "goose_db_version"} {
		if !slices.Contains(objects, want) {
			t.Errorf("no %s in schema %s; it has %v", want, schema, objects)
		}
	}
	// The pool's connections keep their own search_path.
	var path string
	if err := s.Pool().QueryRow(ctx, `SHOW search_path`).Scan(&path); err != nil || strings.Contains(path, schema) {
		t.Errorf("search_path after Migrate = %q, %v: the migration's setting leaked into the pool", path, err)
	}

	// A build that knows only 00001 refuses the database.
	older, _ := migrationSchema(map[string]string{"00001_init.sql": init})
	err = openSchema(t, u, schema).Migrate(ctx, older)
	var newer *migrate.NewerSchemaError
	if !errors.As(err, &newer) {
		t.Fatalf("Migrate with an older schema = %v, want a *migrate.NewerSchemaError", err)
	}
}

func TestMigrateFailureRollsBackAndStops(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	files := map[string]string{
		"00001_init.sql":   initMigration(resourcetest.NewKinds().Schema.Kinds),
		"00002_broken.sql": "-- +goose Up\nCREATE TABLE half (x text);\nCREATE INDEX ix_nope ON missing_table (x);\n",
		"00003_after.sql":  "-- +goose Up\nCREATE TABLE after (x text);\n",
	}
	sc, _ := migrationSchema(files)
	err := openSchema(t, u, schema).Migrate(ctx, sc)
	if err == nil || !strings.Contains(err.Error(), "apply 00002_broken.sql: statement 2:") {
		t.Fatalf("Migrate = %v, want the failure of 00002_broken.sql statement 2", err)
	}
	versions, objects := inspect(t, u, schema)
	if diff := cmp.Diff([]int64{0, 1}, versions); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
	for _, name := range []string{"half", "after"} {
		if slices.Contains(objects, name) {
			t.Errorf("%s exists: the failed migration was not rolled back, or the run went on", name)
		}
	}
	// The failed run released the lock: a fixed build goes on.
	files["00002_broken.sql"] = "-- +goose Up\nCREATE TABLE half (x text);\n"
	sc, _ = migrationSchema(files)
	if err := openSchema(t, u, schema).Migrate(ctx, sc); err != nil {
		t.Fatal(err)
	}
	versions, _ = inspect(t, u, schema)
	if diff := cmp.Diff([]int64{0, 1, 2, 3}, versions); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
}

// TestMigrateConcurrently migrates one new schema from several stores
// (pools standing in for processes) at once: each migration is applied
// once, and every store can serve.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	slow := "-- +goose Up\nCREATE TABLE numbers AS SELECT n FROM generate_series(1, 200000) AS n;\n" +
		"SELECT pg_sleep(0.2);\n"
	sc, kinds := migrationSchema(map[string]string{"00001_init.sql": initMigration(resourcetest.NewKinds().Schema.Kinds), "00002_slow.sql": slow})
	const n = 4
	stores := make([]*postgres.Store, n)
	for i := range stores {
		stores[i] = openSchema(t, u, schema)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx, sc) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	versions, _ := inspect(t, u, schema)
	if diff := cmp.Diff([]int64{0, 1, 2}, versions); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
	for i, s := range stores {
		svc := resource.NewService(s, sc)
		if _, err := svc.List(ctx, kinds.Author, resource.ListQuery{Limit: 1}); err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
}

// foldSchema returns the suite's schema with Member.email compared
// exactly (fold false) or ignoring case, and, when versioned, the
// migrations the generator writes for it: 00001_init.sql of the exact
// schema, then 00002 that replaces the unique index by the folded one.
func foldSchema(fold, versioned bool) *resource.Schema {
	exact := resourcetest.NewKinds()
	exact.Member.Fields[0].Fold = false
	kinds := exact
	if fold {
		kinds = resourcetest.NewKinds()
	}
	if !versioned {
		return kinds.Schema
	}
	files := fstest.MapFS{"00001_init.sql": {Data: []byte(initMigration(exact.Schema.Kinds))}}
	if fold {
		for _, ix := range sqlschema.Postgres.Indexes(kinds.Member) {
			if ix.Name == "ux_member_email" {
				up := []string{sqlschema.Postgres.DropIndex("", ix.Name)}
				up = append(up, sqlschema.Postgres.CreateIndex("", "member", ix)...)
				files["00002_alter_member_email.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\n" + strings.Join(up, ";\n") + ";\n-- +goose Down\n")}
			}
		}
	}
	s := *kinds.Schema
	s.Migrations = map[string]fs.FS{"postgres": files}
	return &s
}

// TestMigrateFold makes Member.email ignore case on existing data, from
// the kinds and with a versioned migration.
func TestMigrateFold(t *testing.T) {
	pgtest.URL(t)
	for _, versioned := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			resourcetest.MigrateFold(t, open(t), func(fold bool) *resource.Schema { return foldSchema(fold, versioned) })
		})
	}
}
