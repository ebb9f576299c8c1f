package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// initMigration returns a goose migration that creates the storage of
// kinds, as the generator writes 00001_init.sql.
func initMigration(kinds []*resource.Kind) []byte {
	var b strings.Builder
	b.WriteString("-- +goose Up\n")
	for _, k := range kinds {
		for _, q := range sqlschema.SQLite.CreateKind("", k) {
			b.WriteString(q + ";\n")
		}
	}
	b.WriteString("-- +goose Down\n")
	for _, k := range slices.Backward(kinds) {
		for _, q := range sqlschema.SQLite.DropTables("", k) {
			b.WriteString(q + ";\n")
		}
	}
	return []byte(b.String())
}

// withMigrations migrates with versioned migrations made from the kinds
// of the schema instead of the kinds themselves.
type withMigrations struct{ *sqlite.Store }

func (w withMigrations) Migrate(ctx context.Context, s *resource.Schema) error {
	c := *s
	c.Migrations = map[string]fs.FS{"sqlite": fstest.MapFS{"00001_init.sql": {Data: initMigration(s.Kinds)}}}
	return w.Store.Migrate(ctx, &c)
}

// TestConformanceWithMigrations runs the backend suite on storage created
// by a versioned migration built with sqlschema.
func TestConformanceWithMigrations(t *testing.T) {
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
	s.Migrations = map[string]fs.FS{"sqlite": fsys}
	return &s, kinds
}

// versions returns the rows of goose's version table, oldest first.
func versions(t *testing.T, path string) []int64 {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// objects returns the names of the tables and indexes of the file.
func objects(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestMigrateAppliesVersionedMigrations(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "m.db")
	init := string(initMigration(resourcetest.NewKinds().Schema.Kinds))
	extra := "-- +goose Up\nCREATE TABLE extra (x TEXT);\n-- +goose StatementBegin\n" +
		"CREATE TRIGGER extra_t AFTER INSERT ON extra BEGIN\n  SELECT 1;\nEND;\n-- +goose StatementEnd\n-- +goose Down\nDROP TABLE extra;\n"
	schema, kinds := migrationSchema(map[string]string{"00001_init.sql": init, "00002_extra.sql": extra})

	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	// Running again applies nothing and keeps the data.
	svc := resource.NewService(s, schema)
	a, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if _, err := svc.Get(ctx, kinds.Author, a.Meta.ResourceID, resource.ReadOptions{}); err != nil {
		t.Fatalf("read after the second Migrate: %v", err)
	}
	s.Close()
	if diff := cmp.Diff([]int64{0, 1, 2}, versions(t, path)); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
	got := objects(t, path)
	for _, want := range []string{"author", "author_revisions", "ux_author_email", "extra", "extra_t", "goose_db_version"} {
		if !slices.Contains(got, want) {
			t.Errorf("no %s in the database; it has %v", want, got)
		}
	}

	// A build that knows only 00001 refuses the database.
	older, _ := migrationSchema(map[string]string{"00001_init.sql": init})
	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Migrate(ctx, older)
	var newer *migrate.NewerSchemaError
	if !errors.As(err, &newer) || !strings.Contains(err.Error(), "migrated by a newer build") {
		t.Fatalf("Migrate with an older schema = %v, want a *migrate.NewerSchemaError", err)
	}
}

func TestMigrateFailureRollsBackAndStops(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fail.db")
	init := string(initMigration(resourcetest.NewKinds().Schema.Kinds))
	files := map[string]string{
		"00001_init.sql":   init,
		"00002_broken.sql": "-- +goose Up\nCREATE TABLE half (x TEXT);\nCREATE INDEX ix_nope ON missing_table (x);\n",
		"00003_after.sql":  "-- +goose Up\nCREATE TABLE after (x TEXT);\n",
	}
	schema, _ := migrationSchema(files)
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Migrate(ctx, schema)
	s.Close()
	if err == nil || !strings.Contains(err.Error(), "apply 00002_broken.sql: statement 2:") {
		t.Fatalf("Migrate = %v, want the failure of 00002_broken.sql statement 2", err)
	}
	if diff := cmp.Diff([]int64{0, 1}, versions(t, path)); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
	got := objects(t, path)
	for _, name := range []string{"half", "after"} {
		if slices.Contains(got, name) {
			t.Errorf("%s exists: the failed migration was not rolled back, or the run went on", name)
		}
	}

	// Fixed, the run resumes at 00002.
	files["00002_broken.sql"] = "-- +goose Up\nCREATE TABLE half (x TEXT);\n"
	schema, _ = migrationSchema(files)
	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if diff := cmp.Diff([]int64{0, 1, 2, 3}, versions(t, path)); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
}

// TestMigrateConcurrently starts several stores on one new file at once,
// as several server processes would: every migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "concurrent.db")
	init := string(initMigration(resourcetest.NewKinds().Schema.Kinds))
	// A slow second migration keeps the write lock for a while.
	slow := "-- +goose Up\nCREATE TABLE numbers (n INTEGER);\n" +
		"INSERT INTO numbers WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 200000) SELECT n FROM c;\n"
	schema, _ := migrationSchema(map[string]string{"00001_init.sql": init, "00002_slow.sql": slow})
	const n = 4
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			s, err := sqlite.Open(path)
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Migrate(ctx, schema)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("store %d: %v", i, err)
		}
	}
	if diff := cmp.Diff([]int64{0, 1, 2}, versions(t, path)); diff != "" {
		t.Errorf("goose_db_version (-want +got):\n%s", diff)
	}
}

// TestMigrateAdoptsKindStorage switches a database created from kinds
// (before versioned migrations) to migrations: the init migration finds
// the tables and indexes in place and the data stays.
func TestMigrateAdoptsKindStorage(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "adopt.db")
	s, kinds := migrated(t, path)
	svc := resource.NewService(s, kinds.Schema)
	a, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := objects(t, path)

	schema, kinds := migrationSchema(map[string]string{"00001_init.sql": string(initMigration(kinds.Schema.Kinds))})
	s, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	svc = resource.NewService(s, schema)
	if _, err := svc.Get(ctx, kinds.Author, a.Meta.ResourceID, resource.ReadOptions{}); err != nil {
		t.Fatal(err)
	}
	after := objects(t, path)
	if diff := cmp.Diff(append(before, "goose_db_version"), after, cmp.Transformer("sort", func(s []string) []string {
		s = slices.Clone(s)
		slices.Sort(s)
		return s
	})); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
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
	files := fstest.MapFS{"00001_init.sql": {Data: initMigration(exact.Schema.Kinds)}}
	if fold {
		for _, ix := range sqlschema.SQLite.Indexes(kinds.Member) {
			if ix.Name == "ux_member_email" {
				up := sqlschema.SQLite.DropIndex("", ix.Name) + ";\n" + sqlschema.SQLite.CreateIndex("", "member", ix)[0] + ";\n"
				files["00002_alter_member_email.sql"] = &fstest.MapFile{Data: []byte("-- +goose Up\n" + up + "-- +goose Down\n")}
			}
		}
	}
	s := *kinds.Schema
	s.Migrations = map[string]fs.FS{"sqlite": files}
	return &s
}

// TestMigrateFold makes Member.email ignore case on existing data, from
// the kinds and with a versioned migration.
func TestMigrateFold(t *testing.T) {
	for _, versioned := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", versioned), func(t *testing.T) {
			resourcetest.MigrateFold(t, open(t), func(fold bool) *resource.Schema { return foldSchema(fold, versioned) })
		})
	}
}
