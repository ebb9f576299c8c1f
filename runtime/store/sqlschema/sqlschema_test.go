package sqlschema_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// post is a kind with every sort of managed field.
var post = &resource.Kind{
	Name:  "Post",
	Table: "post",
	Fields: []resource.Field{
		{JSON: "slug", Type: resource.TypeString, Indexed: true, Unique: true},
		{JSON: "views", Type: resource.TypeInt, Indexed: true},
		{JSON: "published_at", Type: resource.TypeDateTime, Indexed: true},
		{JSON: "author_id", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.Restrict}},
		{JSON: "tags", Type: resource.TypeString, List: true, Indexed: true, Unique: true},
		{JSON: "scores", Type: resource.TypeFloat, List: true, Indexed: true},
		{JSON: "address.city", Type: resource.TypeString, Indexed: true},
	},
}

func TestIndexes(t *testing.T) {
	tests := []struct {
		name    string
		dialect sqlschema.Dialect
		want    []sqlschema.Index
	}{
		{
			name:    "sqlite",
			dialect: sqlschema.SQLite,
			want: []sqlschema.Index{
				{Name: "ix_post_address_city", Def: `(json_extract(data, '$.address.city'), resource_id)`, Field: "address.city"},
				{Name: "ix_post_author_id", Def: `(json_extract(data, '$.author_id'), resource_id)`, Field: "author_id"},
				{Name: "ix_post_published_at", Def: `((CASE WHEN substr(json_extract(data, '$.published_at'), 20, 1) = '.' THEN substr(json_extract(data, '$.published_at'), 1, 20) || substr(substr(json_extract(data, '$.published_at'), 21, length(json_extract(data, '$.published_at')) - 21) || '000000000', 1, 9) || 'Z' ELSE substr(json_extract(data, '$.published_at'), 1, 19) || '.000000000Z' END), resource_id)`, Field: "published_at"},
				{Name: "ix_post_slug", Def: `(json_extract(data, '$.slug'), resource_id)`, Field: "slug"},
				{Name: "ix_post_views", Def: `(json_extract(data, '$.views'), resource_id)`, Field: "views"},
				{Name: "lx_post", Def: `(is_deleted, resource_id)`},
				{Name: "rx_post_author_id", Def: `(json_extract(data, '$.author_id')) WHERE is_deleted = 0`, Field: "author_id"},
				{Name: "ux_post_slug", Unique: true, Def: `(json_extract(data, '$.slug')) WHERE is_deleted = 0`, Field: "slug"},
			},
		},
		{
			name:    "postgres",
			dialect: sqlschema.Postgres,
			want: []sqlschema.Index{
				{Name: "dx_post", Def: `USING btree (resource_id) WHERE is_deleted`},
				{Name: "ix_post_address_city", Def: `USING btree (((data -> 'address' ->> 'city') COLLATE "C") NULLS FIRST, resource_id)`, Field: "address.city"},
				{Name: "ix_post_author_id", Def: `USING btree (((data ->> 'author_id') COLLATE "C") NULLS FIRST, resource_id)`, Field: "author_id"},
				{Name: "ix_post_published_at", Def: `USING btree (((CASE WHEN substr((data ->> 'published_at'), 20, 1) = '.' THEN substr((data ->> 'published_at'), 1, 20) || rpad(substr((data ->> 'published_at'), 21, length((data ->> 'published_at')) - 21), 9, '0') || 'Z' ELSE substr((data ->> 'published_at'), 1, 19) || '.000000000Z' END) COLLATE "C") NULLS FIRST, resource_id)`, Field: "published_at"},
				{Name: "ix_post_slug", Def: `USING btree (((data ->> 'slug') COLLATE "C") NULLS FIRST, resource_id)`, Field: "slug"},
				{Name: "ix_post_tags", Def: `USING gin ((NULLIF((data -> 'tags')::jsonb, 'null'::jsonb)))`, Field: "tags"},
				{Name: "ix_post_views", Def: `USING btree (((data ->> 'views')::numeric) NULLS FIRST, resource_id)`, Field: "views"},
				{Name: "rx_post_author_id", Def: `USING btree (((data ->> 'author_id') COLLATE "C")) WHERE NOT is_deleted`, Field: "author_id"},
				{Name: "ux_post_slug", Unique: true, Def: `USING btree ((NULLIF((data -> 'slug')::jsonb, 'null'::jsonb))) WHERE NOT is_deleted`, Field: "slug"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.dialect.Indexes(post)); diff != "" {
				t.Errorf("Indexes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestIndexesDefaultOrder checks that the ix_ index of a field holds the
// kind's default order after the field, spelled as ORDER BY spells it,
// so that a list filtered on the field in that order needs no sort.
func TestIndexesDefaultOrder(t *testing.T) {
	kind := func(defaultSort string) *resource.Kind {
		return &resource.Kind{Name: "Item", Table: "item", DefaultSort: defaultSort, Fields: []resource.Field{
			{JSON: "category", Type: resource.TypeString, Indexed: true},
			{JSON: "score", Type: resource.TypeInt, Indexed: true},
			{JSON: "body", Type: resource.TypeString},
		}}
	}
	const cat, score = `json_extract(data, '$.category')`, `json_extract(data, '$.score')`
	const pgCat, pgScore = `((data ->> 'category') COLLATE "C")`, `((data ->> 'score')::numeric)`
	tests := []struct {
		name, defaultSort       string
		sqliteCat, sqliteScore  string
		postgresCat, postgresSc string
	}{
		{name: "none: resource_id", defaultSort: "",
			sqliteCat: "(" + cat + ", resource_id)", sqliteScore: "(" + score + ", resource_id)",
			postgresCat: "USING btree (" + pgCat + " NULLS FIRST, resource_id)", postgresSc: "USING btree (" + pgScore + " NULLS FIRST, resource_id)"},
		{name: "an indexed field, descending", defaultSort: "-score",
			sqliteCat: "(" + cat + ", " + score + " DESC, resource_id)", sqliteScore: "(" + score + ", resource_id)",
			postgresCat: "USING btree (" + pgCat + " NULLS FIRST, " + pgScore + " DESC NULLS LAST, resource_id)",
			postgresSc:  "USING btree (" + pgScore + " NULLS FIRST, resource_id)"},
		{name: "meta fields, resource_id ends the order", defaultSort: "-created_time,resource_id,score",
			sqliteCat: "(" + cat + `, "created_time" DESC, resource_id)`, sqliteScore: "(" + score + `, "created_time" DESC, resource_id)`,
			postgresCat: "USING btree (" + pgCat + ` NULLS FIRST, "created_time" DESC, resource_id)`,
			postgresSc:  "USING btree (" + pgScore + ` NULLS FIRST, "created_time" DESC, resource_id)`},
		{name: "a field that is not indexed: resource_id only", defaultSort: "body,score",
			sqliteCat: "(" + cat + ", resource_id)", sqliteScore: "(" + score + ", resource_id)",
			postgresCat: "USING btree (" + pgCat + " NULLS FIRST, resource_id)", postgresSc: "USING btree (" + pgScore + " NULLS FIRST, resource_id)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := kind(tt.defaultSort)
			defs := func(d sqlschema.Dialect) map[string]string {
				out := map[string]string{}
				for _, ix := range d.Indexes(k) {
					out[ix.Name] = ix.Def
				}
				return out
			}
			sq, pg := defs(sqlschema.SQLite), defs(sqlschema.Postgres)
			for _, c := range []struct{ got, want string }{
				{sq["ix_item_category"], tt.sqliteCat}, {sq["ix_item_score"], tt.sqliteScore},
				{pg["ix_item_category"], tt.postgresCat}, {pg["ix_item_score"], tt.postgresSc},
			} {
				if c.got != c.want {
					t.Errorf("got  %s\nwant %s", c.got, c.want)
				}
			}
		})
	}
}

func TestStatements(t *testing.T) {
	slug := sqlschema.Index{Name: "ux_post_slug", Unique: true, Def: "(x) WHERE is_deleted = 0", Field: "slug"}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{
			name: "sqlite create index",
			got:  sqlschema.SQLite.CreateIndex("", "post", slug),
			want: []string{`CREATE UNIQUE INDEX IF NOT EXISTS "ux_post_slug" ON "post" (x) WHERE is_deleted = 0`},
		},
		{
			name: "postgres create index records its definition",
			got:  sqlschema.Postgres.CreateIndex("s1", "post", sqlschema.Index{Name: "ix_post_a", Def: "USING btree (a)"}),
			want: []string{
				`CREATE INDEX IF NOT EXISTS "ix_post_a" ON "s1"."post" USING btree (a)`,
				`COMMENT ON INDEX "s1"."ix_post_a" IS 'specstar: USING btree (a)'`,
			},
		},
		{
			name: "drop index",
			got:  []string{sqlschema.SQLite.DropIndex("", "ix_a"), sqlschema.Postgres.DropIndex("", "ix_a"), sqlschema.Postgres.DropIndex("s", "ix_a")},
			want: []string{`DROP INDEX IF EXISTS "ix_a"`, `DROP INDEX IF EXISTS "ix_a"`, `DROP INDEX IF EXISTS "s"."ix_a"`},
		},
		{
			name: "drop tables, revisions first",
			got:  sqlschema.Postgres.DropTables("", post),
			want: []string{`DROP TABLE IF EXISTS "post_revisions"`, `DROP TABLE IF EXISTS "post"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateKind(t *testing.T) {
	for _, d := range sqlschema.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			stmts := d.CreateKind("", post)
			if !strings.HasPrefix(stmts[0], `CREATE TABLE IF NOT EXISTS "post" (`) ||
				!strings.HasPrefix(stmts[1], `CREATE TABLE IF NOT EXISTS "post_revisions" (`) {
				t.Fatalf("tables first, got:\n%s\n%s", stmts[0], stmts[1])
			}
			perIndex := 1
			if d == sqlschema.Postgres {
				perIndex = 2
			}
			if got, want := len(stmts), 2+perIndex*len(d.Indexes(post)); got != want {
				t.Errorf("%d statements, want %d", got, want)
			}
		})
	}
}

func TestIndexName(t *testing.T) {
	long := strings.Repeat("a", 70)
	tests := []struct {
		name                 string
		dialect              sqlschema.Dialect
		prefix, table, field string
		want                 string
	}{
		{name: "plain", dialect: sqlschema.SQLite, prefix: "ix_", table: "post", field: "title", want: "ix_post_title"},
		{name: "dotted path", dialect: sqlschema.Postgres, prefix: "ix_", table: "author", field: "address.city", want: "ix_author_address_city"},
		{name: "no field", dialect: sqlschema.SQLite, prefix: "lx_", table: "post", want: "lx_post"},
		{name: "sqlite keeps long names", dialect: sqlschema.SQLite, prefix: "ix_", table: "t", field: long, want: "ix_t_" + long},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.dialect.IndexName(tt.prefix, tt.table, tt.field); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("postgres cuts long names and keeps them distinct", func(t *testing.T) {
		a := sqlschema.Postgres.IndexName("ix_", "t", long+"x")
		b := sqlschema.Postgres.IndexName("ix_", "t", long+"y")
		for _, n := range []string{a, b} {
			if len(n) != sqlschema.PostgresMaxIdent || !strings.HasPrefix(n, ("ix_t_" + long)[:54]+"_") {
				t.Errorf("%q: want 63 bytes starting with the cut name", n)
			}
		}
		if a == b || a != sqlschema.Postgres.IndexName("ix_", "t", long+"x") {
			t.Errorf("names must be distinct and stable: %q, %q", a, b)
		}
	})
}

func TestExpressions(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{name: "sqlite path quotes odd members", got: sqlschema.SQLiteJSONPath(`a.b c.d"e`), want: `'$.a."b c"."d\"e"'`},
		{name: "sqlite path doubles single quotes", got: sqlschema.SQLiteJSONPath(`it's`), want: `'$."it''s"'`},
		{name: "sqlite string field", got: sqlschema.SQLiteFieldExpr("a.b", resource.TypeString), want: `json_extract(data, '$.a.b')`},
		{name: "postgres text", got: sqlschema.PostgresText("a.b"), want: `(data -> 'a' ->> 'b')`},
		{name: "postgres bool", got: sqlschema.PostgresFieldExpr("ok", resource.TypeBool), want: `((data ->> 'ok')::boolean)`},
		{name: "postgres float", got: sqlschema.PostgresFieldExpr("x", resource.TypeFloat), want: `((data ->> 'x')::double precision)`},
		{name: "postgres date", got: sqlschema.PostgresFieldExpr("d", resource.TypeDate), want: `((data ->> 'd') COLLATE "C")`},
		{name: "quote ident", got: sqlschema.QuoteIdent(`a"b`), want: `"a""b"`},
		{name: "qualify", got: sqlschema.Qualify("s", "t"), want: `"s"."t"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
}

func TestCheckKind(t *testing.T) {
	tests := []struct {
		name    string
		dialect sqlschema.Dialect
		kind    *resource.Kind
		wantErr string
	}{
		{name: "ok", dialect: sqlschema.Postgres, kind: post},
		{name: "no table", dialect: sqlschema.SQLite, kind: &resource.Kind{Name: "X"}, wantErr: "kind X has no table name"},
		{name: "too long for postgres", dialect: sqlschema.Postgres, kind: &resource.Kind{Name: "X", Table: strings.Repeat("t", 60)}, wantErr: "too long for PostgreSQL"},
		{name: "long is fine on sqlite", dialect: sqlschema.SQLite, kind: &resource.Kind{Name: "X", Table: strings.Repeat("t", 60)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.dialect.CheckKind(tt.kind)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("CheckKind = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestJobKind checks the storage of a job kind: no index of a NoIndex
// field in either dialect, and revisions without a foreign key on
// PostgreSQL alone.
func TestJobKind(t *testing.T) {
	job := &resource.Kind{Name: "WorkJob", Table: "work_job", Job: true, Fields: []resource.Field{
		{JSON: "status", Type: resource.TypeString, Indexed: true},
		{JSON: "run_at", Type: resource.TypeDateTime, Indexed: true, NoIndex: true},
	}}
	for _, d := range sqlschema.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			var fields []string
			for _, ix := range d.Indexes(job) {
				fields = append(fields, ix.Field)
			}
			slices.Sort(fields)
			if diff := cmp.Diff([]string{"", "status"}, fields); diff != "" {
				t.Errorf("indexes by field (-want +got):\n%s", diff)
			}
			revs := d.CreateTables("", job)[1]
			wantRef := d != sqlschema.Postgres
			if got := strings.Contains(revs, "REFERENCES"); got != wantRef || d.RevisionRef(job) != wantRef {
				t.Errorf("revisions reference their record: %v (RevisionRef %v), want %v:\n%s", got, d.RevisionRef(job), wantRef, revs)
			}
			if got := len(d.DropRevisionRef("", job)) > 0; got != !wantRef {
				t.Errorf("DropRevisionRef has statements: %v, want %v", got, !wantRef)
			}
			plain := *job
			plain.Job = false
			if !d.RevisionRef(&plain) || !strings.Contains(d.CreateTables("", &plain)[1], "REFERENCES") {
				t.Errorf("the revisions of a kind that is not a job's have no foreign key")
			}
		})
	}
}
