package migrategen_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/internal/golden"
	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/migrategen"
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/migrate"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// buildSpec loads and builds a spec file of testdata/steps.
func buildSpec(t *testing.T, file string) *model.Model {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := load.Bytes("specstar.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	m.Source = "specstar.yaml"
	return m
}

// TestSteps generates the migrations of a sequence of spec versions, each
// from what the previous step left, as `specstar gen` does after each
// spec change. The files each step adds (and the snapshot) must equal
// testdata/steps/want/<step>/; files of earlier steps must come back
// unchanged. Every SQLite migration is applied to one database as the
// steps go, which must then hold exactly the indexes sqlschema defines
// for the step's kinds; at the end every Down section is run, newest
// first, which must leave no table behind. Run
// `go test ./generator/migrategen -update` to rewrite the goldens.
func TestSteps(t *testing.T) {
	db := filepath.Join(t.TempDir(), "steps.db")
	var all []*gen.File
	runSteps(t, func(step string, m *model.Model, files, added []*gen.File) {
		got := make(map[string][]byte)
		for _, f := range added {
			got[f.Path] = f.Content
		}
		golden.AssertDir(t, filepath.Join("testdata", "steps", "want", step), got)
		applySQLite(t, step, db, m, files)
		all = files
	})
	rollBackSQLite(t, db, all)
}

// TestStepsPostgres applies the PostgreSQL migrations of the steps of
// TestSteps to one schema, step by step, and checks the indexes each
// step leaves against sqlschema.
func TestStepsPostgres(t *testing.T) {
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	runSteps(t, func(step string, m *model.Model, files, _ []*gen.File) {
		applyPostgres(t, step, u, schema, m, files)
	})
}

// destructiveSteps are the steps that lose data, with the error that
// refuses them without AllowDestructive.
var destructiveSteps = map[string]string{
	"7_drop_resource": "the next migration would drop resource Review (tables review and review_revisions) with all its data; " +
		"run `specstar gen --allow-destructive` to go ahead",
	"9e_remove_field": "removing field Item.color drops their values from every record at the next start " +
		"(old revisions keep them; to rename a field, give the new one renamed_from: <old name>); " +
		"run `specstar gen --allow-destructive` to go ahead",
}

// runSteps generates the migrations of every spec of testdata/steps in
// order and calls check with the step's model, all its migration files
// and those it added (the snapshot included).
func runSteps(t *testing.T, check func(step string, m *model.Model, files, added []*gen.File)) {
	t.Helper()
	specs, err := filepath.Glob(filepath.Join("testdata", "steps", "*.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs in testdata/steps: %v", err)
	}
	var prev migrategen.Previous
	for _, spec := range specs {
		step := strings.TrimSuffix(filepath.Base(spec), ".yaml")
		m := buildSpec(t, spec)
		files, err := migrategen.Files(m, prev, migrategen.Options{})
		var destructive *migrategen.DestructiveError
		want, wantDestructive := destructiveSteps[step]
		if errors.As(err, &destructive) {
			// Refused without the flag, with a message naming the
			// tables or fields; allowed with it.
			if err.Error() != want {
				t.Errorf("%s: error\n%s\nwant\n%s", step, err, want)
			}
			files, err = migrategen.Files(m, prev, migrategen.Options{AllowDestructive: true})
		}
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if wantDestructive && destructive == nil {
			t.Errorf("%s: a destructive change was not refused", step)
		}

		var added []*gen.File
		var next migrategen.Previous
		for _, f := range files {
			if f.Path == migrategen.SnapshotFile {
				added = append(added, f)
				next.Snapshot = f.Content
				continue
			}
			next.Files = append(next.Files, f)
			old := fileContent(prev.Files, f.Path)
			switch {
			case old == nil:
				added = append(added, f)
			case !bytes.Equal(old, f.Content):
				t.Errorf("%s: %s was rewritten", step, f.Path)
			}
			if _, err := migrate.Parse(path.Base(f.Path), f.Content); err != nil {
				t.Errorf("%s: %v", step, err)
			}
		}
		if len(next.Files) < len(prev.Files) {
			t.Errorf("%s: %d migration files, had %d", step, len(next.Files), len(prev.Files))
		}
		check(step, m, next.Files, added)
		prev = next
	}
}

// dialectFS returns the migrations of dialect d among files.
func dialectFS(files []*gen.File, d sqlschema.Dialect) fstest.MapFS {
	fsys := fstest.MapFS{}
	for _, f := range files {
		if dir, base := path.Split(f.Path); dir == migrategen.Dir+"/"+string(d)+"/" {
			fsys[base] = &fstest.MapFile{Data: f.Content}
		}
	}
	return fsys
}

// wantIndexes returns the CREATE INDEX statements (without IF NOT
// EXISTS) of the managed indexes of kinds on SQLite, sorted.
func wantIndexes(kinds []*resource.Kind) []string {
	var want []string
	for _, k := range kinds {
		for _, ix := range sqlschema.SQLite.Indexes(k) {
			q := sqlschema.SQLite.CreateIndex("", k.Table, ix)[0]
			want = append(want, strings.Replace(q, " IF NOT EXISTS", "", 1))
		}
	}
	slices.Sort(want)
	return want
}

// applyPostgres migrates schema with the PostgreSQL migrations and checks
// its managed indexes and their recorded definitions against sqlschema.
func applyPostgres(t *testing.T, step, u, schema string, m *model.Model, files []*gen.File) {
	t.Helper()
	ctx := context.Background()
	kinds := m.Kinds()
	s, err := postgres.Open(ctx, u, postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx, &resource.Schema{Kinds: kinds, Migrations: map[string]fs.FS{"postgres": dialectFS(files, sqlschema.Postgres)}}); err != nil {
		t.Fatalf("%s: migrate: %v", step, err)
	}
	var want []string
	for _, k := range kinds {
		for _, ix := range sqlschema.Postgres.Indexes(k) {
			want = append(want, ix.Name+" "+sqlschema.PostgresCommentPrefix+ix.Def)
		}
	}
	slices.Sort(want)
	rows, err := s.Pool().Query(ctx, `SELECT c.relname || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '')
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = $1 AND c.relkind = 'i' AND c.relname ~ '^(ux|ix|rx|dx)_' ORDER BY 1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: indexes after the migrations (-want +got):\n%s", step, diff)
	}
}

// rollBackSQLite runs the Down section of every SQLite migration of
// files, newest first, on the database at db: the tables of the
// resources must be gone.
func rollBackSQLite(t *testing.T, db string, files []*gen.File) {
	t.Helper()
	ms, err := migrate.Load(dialectFS(files, sqlschema.SQLite))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, m := range slices.Backward(ms) {
		for _, q := range m.Down {
			if _, err := conn.Exec(q); err != nil {
				t.Fatalf("%s: down: %v\n%s", m.Name, err, q)
			}
		}
	}
	var left []string
	rows, err := conn.Query(`SELECT name FROM sqlite_master WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' AND name NOT IN ('goose_db_version', 'specstar_data_shape') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		left = append(left, n)
	}
	if len(left) > 0 {
		t.Errorf("after every Down: %v remain", left)
	}
}

// fileContent returns the content of the file at p, or nil.
func fileContent(files []*gen.File, p string) []byte {
	for _, f := range files {
		if f.Path == p {
			return f.Content
		}
	}
	return nil
}

// applySQLite migrates the database at db with the SQLite migrations and
// checks its managed indexes against sqlschema.
func applySQLite(t *testing.T, step, db string, m *model.Model, files []*gen.File) {
	t.Helper()
	kinds := m.Kinds()
	s, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background(), &resource.Schema{Kinds: kinds, Migrations: map[string]fs.FS{"sqlite": dialectFS(files, sqlschema.SQLite)}}); err != nil {
		t.Fatalf("%s: migrate: %v", step, err)
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY sql`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var q string
		if err := rows.Scan(&q); err != nil {
			t.Fatal(err)
		}
		got = append(got, q)
	}
	slices.Sort(got)
	if diff := cmp.Diff(wantIndexes(kinds), got); diff != "" {
		t.Errorf("%s: indexes after the migrations (-want +got):\n%s", step, diff)
	}
}

func TestFilesErrors(t *testing.T) {
	m := buildSpec(t, filepath.Join("testdata", "steps", "1_init.yaml"))
	init, err := migrategen.Files(m, migrategen.Previous{}, migrategen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sqliteInit := init[1]
	if sqliteInit.Path != "migrations/sqlite/00001_init.sql" {
		t.Fatalf("files are %v", init)
	}
	tests := []struct {
		name    string
		prev    migrategen.Previous
		wantErr string
	}{
		{
			name:    "migrations without a snapshot",
			prev:    migrategen.Previous{Files: []*gen.File{sqliteInit}},
			wantErr: "migrations/schema.json is missing but migrations holds 1 migration files",
		},
		{
			name:    "broken snapshot",
			prev:    migrategen.Previous{Snapshot: []byte("{"), Files: []*gen.File{sqliteInit}},
			wantErr: "migrations/schema.json: unexpected EOF",
		},
		{
			name:    "unknown dialect",
			prev:    migrategen.Previous{Snapshot: []byte("{}"), Files: []*gen.File{{Path: "migrations/mysql/00001_init.sql"}}},
			wantErr: "migrations/mysql/00001_init.sql: not a migration file",
		},
		{
			name:    "bad file name",
			prev:    migrategen.Previous{Snapshot: []byte("{}"), Files: []*gen.File{{Path: "migrations/sqlite/init.sql"}}},
			wantErr: "migrations/sqlite/init.sql: a migration file name is <version>_<name>.sql",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := migrategen.Files(m, tt.prev, migrategen.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestNumberingFollowsExistingFiles checks that a new migration is
// numbered after the highest existing version, hand-written files
// included, and that a snapshot without migrations starts over.
func TestNumberingFollowsExistingFiles(t *testing.T) {
	v1 := buildSpec(t, filepath.Join("testdata", "steps", "1_init.yaml"))
	v2 := buildSpec(t, filepath.Join("testdata", "steps", "2_add_resource.yaml"))
	first, err := migrategen.Files(v1, migrategen.Previous{}, migrategen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		prev migrategen.Previous
		want []string
	}{
		{
			name: "after a hand-written migration",
			prev: migrategen.Previous{
				Snapshot: first[2].Content,
				Files:    append(slices.Clone(first[:2]), &gen.File{Path: "migrations/sqlite/00007_custom.sql", Content: []byte("-- +goose Up\n")}),
			},
			want: []string{
				"migrations/postgres/00001_init.sql", "migrations/sqlite/00001_init.sql", "migrations/sqlite/00007_custom.sql",
				"migrations/postgres/00008_add_review.sql", "migrations/sqlite/00008_add_review.sql", "migrations/schema.json",
			},
		},
		{
			name: "a snapshot without migrations",
			prev: migrategen.Previous{Snapshot: first[2].Content},
			want: []string{"migrations/postgres/00001_init.sql", "migrations/sqlite/00001_init.sql", "migrations/schema.json"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files, err := migrategen.Files(v2, tt.prev, migrategen.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSnapshotRoundTrip checks that a snapshot survives Marshal and
// ParseSnapshot.
func TestSnapshotRoundTrip(t *testing.T) {
	m := buildSpec(t, filepath.Join("testdata", "steps", "3_add_index.yaml"))
	s := migrategen.NewSnapshot(m.Kinds())
	got, err := migrategen.ParseSnapshot(s.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
