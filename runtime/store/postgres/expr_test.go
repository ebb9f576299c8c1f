package postgres

import (
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

func TestExpressions(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "text", got: Text("name"), want: `(data ->> 'name')`},
		{name: "nested text", got: Text("addr.city"), want: `(data -> 'addr' ->> 'city')`},
		{name: "quoted key", got: Text("o'k"), want: `(data ->> 'o''k')`},
		{name: "json", got: JSON("addr.city"), want: `(data -> 'addr' -> 'city')`},
		{name: "jsonb", got: JSONB("tags"), want: `NULLIF((data -> 'tags')::jsonb, 'null'::jsonb)`},
		{name: "string", got: FieldExpr(filter.FieldInfo{Name: "name", Type: filter.String}), want: `((data ->> 'name') COLLATE "C")`},
		{name: "date", got: FieldExpr(filter.FieldInfo{Name: "day", Type: filter.Date}), want: `((data ->> 'day') COLLATE "C")`},
		{name: "int", got: FieldExpr(filter.FieldInfo{Name: "views", Type: filter.Int}), want: `((data ->> 'views')::numeric)`},
		{name: "float", got: FieldExpr(filter.FieldInfo{Name: "score", Type: filter.Float}), want: `((data ->> 'score')::double precision)`},
		{name: "bool", got: FieldExpr(filter.FieldInfo{Name: "on", Type: filter.Bool}), want: `((data ->> 'on')::boolean)`},
		{name: "meta", got: FieldExpr(filter.FieldInfo{Name: "created_time", Type: filter.DateTime, Meta: true}), want: `"created_time"`},
		{name: "datetime", got: FieldExpr(filter.FieldInfo{Name: "at", Type: filter.DateTime}),
			want: `((CASE WHEN substr((data ->> 'at'), 20, 1) = '.' THEN substr((data ->> 'at'), 1, 20) || ` +
				`rpad(substr((data ->> 'at'), 21, length((data ->> 'at')) - 21), 9, '0') || 'Z' ` +
				`ELSE substr((data ->> 'at'), 1, 19) || '.000000000Z' END) COLLATE "C")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got  %s\nwant %s", tt.got, tt.want)
			}
		})
	}
}

func TestIndexes(t *testing.T) {
	k := &resource.Kind{Name: "Post", Table: "post", Fields: []resource.Field{
		{JSON: "title", Type: resource.TypeString, Indexed: true},
		{JSON: "slug", Type: resource.TypeString, Unique: true},
		{JSON: "views", Type: resource.TypeInt, Indexed: true},
		{JSON: "tags", Type: resource.TypeString, List: true, Indexed: true},
		{JSON: "scores", Type: resource.TypeFloat, List: true, Indexed: true},
		{JSON: "author", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Author"}},
		{JSON: "editors", Type: resource.TypeString, List: true, Ref: &resource.Ref{Kind: "Author"}},
		{JSON: "codes", Type: resource.TypeString, List: true, Unique: true},
	}}
	want := map[string]string{
		"dx_post":         `USING btree (resource_id) WHERE is_deleted`,
		"ix_post_author":  `USING btree (((data ->> 'author') COLLATE "C") NULLS FIRST, resource_id)`,
		"ix_post_tags":    `USING gin ((NULLIF((data -> 'tags')::jsonb, 'null'::jsonb)))`,
		"ix_post_title":   `USING btree (((data ->> 'title') COLLATE "C") NULLS FIRST, resource_id)`,
		"ix_post_views":   `USING btree (((data ->> 'views')::numeric) NULLS FIRST, resource_id)`,
		"rx_post_author":  `USING btree (((data ->> 'author') COLLATE "C")) WHERE NOT is_deleted`,
		"rx_post_editors": `USING gin ((NULLIF((data -> 'editors')::jsonb, 'null'::jsonb))) WHERE NOT is_deleted`,
		"ux_post_slug":    `USING btree ((NULLIF((data -> 'slug')::jsonb, 'null'::jsonb))) WHERE NOT is_deleted`,
	}
	got := Indexes(k)
	if len(got) != len(want) {
		t.Fatalf("%d indexes, want %d: %+v", len(got), len(want), got)
	}
	for i, ix := range got {
		if i > 0 && got[i-1].Name >= ix.Name {
			t.Fatalf("indexes not in name order: %s before %s", got[i-1].Name, ix.Name)
		}
		if want[ix.Name] != ix.Def {
			t.Fatalf("%s: got  %s\nwant %s", ix.Name, ix.Def, want[ix.Name])
		}
		if ix.Unique != strings.HasPrefix(ix.Name, "ux_") {
			t.Fatalf("%s: unique = %v", ix.Name, ix.Unique)
		}
	}
	ddl := DDL("app", k)
	if len(ddl) != 2+2*len(want) || !strings.HasPrefix(ddl[0], `CREATE TABLE IF NOT EXISTS "app"."post" (`) ||
		!strings.HasPrefix(ddl[1], `CREATE TABLE IF NOT EXISTS "app"."post_revisions" (`) {
		t.Fatalf("DDL = %q", ddl)
	}
	if ddl[2] != `CREATE INDEX IF NOT EXISTS "dx_post" ON "app"."post" USING btree (resource_id) WHERE is_deleted` ||
		ddl[3] != `COMMENT ON INDEX "app"."dx_post" IS 'specstar: USING btree (resource_id) WHERE is_deleted'` {
		t.Fatalf("DDL of dx_post = %q, %q", ddl[2], ddl[3])
	}
}

func TestIndexName(t *testing.T) {
	tests := []struct {
		name, prefix, table, path, want string
		cut                             bool // want is a prefix, followed by _ and a hash
	}{
		{name: "plain", prefix: "ix_", table: "post", path: "title", want: "ix_post_title"},
		{name: "nested", prefix: "ux_", table: "author", path: "profile.handle", want: "ux_author_profile_handle"},
		{name: "table only", prefix: "dx_", table: "post", want: "dx_post"},
		{name: "long", prefix: "ix_", table: strings.Repeat("t", 40), path: strings.Repeat("f", 40),
			want: "ix_" + strings.Repeat("t", 40) + "_" + strings.Repeat("f", 10), cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := indexName(tt.prefix, tt.table, tt.path)
			if len(got) > maxIdent {
				t.Fatalf("%q is %d bytes", got, len(got))
			}
			if tt.cut && (!strings.HasPrefix(got, tt.want+"_") || len(got) != maxIdent) {
				t.Fatalf("indexName = %q, want %q, an underscore and a hash", got, tt.want)
			}
			if !tt.cut && got != tt.want {
				t.Fatalf("indexName = %q, want %q", got, tt.want)
			}
		})
	}
	a := indexName("ix_", strings.Repeat("t", 40), strings.Repeat("f", 40)+"a")
	b := indexName("ix_", strings.Repeat("t", 40), strings.Repeat("f", 40)+"b")
	if a == b {
		t.Fatalf("two long names cut to the same %q", a)
	}
}

func TestCheckData(t *testing.T) {
	tests := []struct {
		name string
		data string
		bad  bool
	}{
		{name: "plain", data: `{"a":"b"}`},
		{name: "other escapes", data: `{"a":"\u0001\n\\"}`},
		{name: "escaped backslash then u0000", data: `{"a":"\\u0000"}`},
		{name: "nul escape", data: `{"a":"\u0000"}`, bad: true},
		{name: "nul after an escaped backslash", data: `{"a":"\\\u0000"}`, bad: true},
		{name: "nul in a key", data: `{"\u0000":1}`, bad: true},
		{name: "raw nul byte", data: "{\"a\":\"\x00\"}", bad: true},
		{name: "upper-case hex is another character", data: `{"a":"\u000A"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkData([]byte(tt.data))
			if (err != nil) != tt.bad {
				t.Fatalf("checkData(%s) = %v, want an error: %v", tt.data, err, tt.bad)
			}
			if err != nil && resource.CodeOf(err) != resource.CodeValidation {
				t.Fatalf("checkData(%s) = %v, want a validation error", tt.data, err)
			}
		})
	}
}

func TestFirstSchema(t *testing.T) {
	tests := []struct{ name, path, want string }{
		{name: "empty", path: "", want: ""},
		{name: "one", path: "app", want: "app"},
		{name: "several", path: "app, public", want: "app"},
		{name: "user", path: `"$user", public`, want: ""},
		{name: "quoted", path: `"My ""App""",public`, want: `My "App"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := firstSchema(tt.path); got != tt.want {
				t.Fatalf("firstSchema(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

func TestWithSearchPath(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{name: "url", url: "postgres://u@h:5432/db?sslmode=disable", want: "postgres://u@h:5432/db?search_path=s1&sslmode=disable"},
		{name: "url replaces", url: "postgresql://u@h/db?search_path=old", want: "postgresql://u@h/db?search_path=s1"},
		{name: "key value", url: "host=h dbname=db", want: "host=h dbname=db search_path=s1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pgtest.WithSearchPath(tt.url, "s1")
			if err != nil || got != tt.want {
				t.Fatalf("WithSearchPath(%q) = %q, %v; want %q", tt.url, got, err, tt.want)
			}
		})
	}
}
