package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// TestMigrateJobKindRevisionRef checks that the revisions of a job kind
// have no foreign key on PostgreSQL: Migrate drops the key of tables made
// before (a short table name and one PostgreSQL cuts in the key's name),
// and AddRevisionRef, the down migration, puts back the key PostgreSQL
// made, under its name.
func TestMigrateJobKindRevisionRef(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	s := openSchema(t, u, schema)
	kind := func(table string, job bool) *resource.Kind {
		return &resource.Kind{Name: "K" + table[:3], Table: table, Job: job, Fields: []resource.Field{
			{JSON: "status", Type: resource.TypeString, Indexed: true},
			{JSON: "attempts", Type: resource.TypeInt, Indexed: true, NoIndex: true},
		}}
	}
	tables := []string{"work_job", "long_" + strings.Repeat("x", 48)}
	refs := func(table string) []string {
		t.Helper()
		var names []string
		err := s.Pool().QueryRow(ctx, `SELECT coalesce(array_agg(conname::text), '{}') FROM pg_constraint
			WHERE conrelid = to_regclass($1) AND contype = 'f'`, sqlschema.Qualify(schema, table+"_revisions")).Scan(&names)
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	migrate := func(job bool) {
		t.Helper()
		var kinds []*resource.Kind
		for _, table := range tables {
			kinds = append(kinds, kind(table, job))
		}
		if err := s.Migrate(ctx, &resource.Schema{Kinds: kinds}); err != nil {
			t.Fatal(err)
		}
	}
	migrate(false)
	made := make(map[string]string)
	for _, table := range tables {
		names := refs(table)
		if len(names) != 1 {
			t.Fatalf("%s: foreign keys %q before, want one", table, names)
		}
		made[table] = names[0]
	}
	migrate(true)
	migrate(true) // idempotent
	for _, table := range tables {
		if names := refs(table); len(names) != 0 {
			t.Errorf("%s: foreign keys %q of a job kind, want none", table, names)
		}
		for _, q := range sqlschema.Postgres.AddRevisionRef(schema, kind(table, true)) {
			if _, err := s.Pool().Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if names := refs(table); len(names) != 1 || names[0] != made[table] {
			t.Errorf("%s: AddRevisionRef made %q, want %q as PostgreSQL names it", table, names, made[table])
		}
	}
	if got := sqlschema.Postgres.Indexes(kind(tables[0], true)); len(got) != 2 || got[1].Field != "status" {
		t.Errorf("indexes %+v, want dx_ and the ix_ of status alone", got)
	}
}
