package sqlite_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

// backends are the memory reference and SQLite: the search suite runs
// every query on both and requires identical answers.
var backends = []resourcetest.NamedBackend{
	{Name: "memory", Open: func(tb testing.TB) resource.Backend {
		s := memory.New()
		tb.Cleanup(func() { s.Close() })
		return s
	}},
	{Name: "sqlite", Open: func(tb testing.TB) resource.Backend { return open(tb) }},
}

func TestSearch(t *testing.T) {
	resourcetest.RunSearch(t, backends...)
}

// FuzzMemoryVsSQLite runs random valid queries (resourcetest.RandomQuery)
// on the same seeded data in memory and in SQLite; both must give the
// brute-force oracle's answer, page by page.
func FuzzMemoryVsSQLite(f *testing.F) {
	for _, seed := range resourcetest.SearchSeeds(20) {
		f.Add(seed)
	}
	fx := resourcetest.NewSearchFixture(f, backends...)
	f.Fuzz(func(t *testing.T, seed []byte) {
		fx.Check(t, resourcetest.RandomQuery(seed))
	})
}

// TestInjection feeds SQL and LIKE metacharacters and injection attempts
// through every operator on every filterable field: each query must give
// the oracle's answer (or a 400 on both backends when the value does not
// fit the field), and the tables must survive.
func TestInjection(t *testing.T) {
	fx := resourcetest.NewSearchFixture(t, backends...)
	payloads := []string{`'`, `''`, `'; DROP TABLE item; --`, `" OR 1=1 --`, `') OR ('1'='1`, `%`, `_`, `%_%`,
		`\`, `\'`, `\%`, `a%b`, `gamma_1`, `*/ /*`, `?`, `?1`, `:a`, `@a`, `$.name`, "\x00", "nul\x00byte",
		"ü'", "日本語'", `1; DELETE FROM item`, `0) OR 1=1 --`, "\u2028"}
	fields := []string{"name", "status", "views", "score", "active", "at", "day", "tags", "addr.city", "owner",
		"resource_id", "created_time", "updated_time", "created_by", "updated_by"}
	ops := []string{"=", "!=", ">", ">=", "<", "<=", "~", "!~", "^="}
	quoted := make([]string, len(payloads))
	for i, p := range payloads {
		lit, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		quoted[i] = string(lit)
	}
	// Every payload on its own through every operator on a string field;
	// then, on every field, each operator with all payloads at once.
	for _, lit := range quoted {
		for _, op := range ops {
			fx.Check(t, resource.ListQuery{Filter: "name " + op + " " + lit, Limit: 100})
		}
	}
	for _, f := range fields {
		for _, op := range ops {
			terms := make([]string, len(quoted))
			for i, lit := range quoted {
				terms[i] = f + " " + op + " " + lit
			}
			fx.Check(t, resource.ListQuery{Filter: strings.Join(terms, " || "), Limit: 100})
		}
		fx.Check(t, resource.ListQuery{Filter: f + " in [" + strings.Join(quoted, ", ") + "]", Limit: 100})
	}
	for _, p := range payloads {
		fx.Check(t, resource.ListQuery{Sort: p, Limit: 100})
	}
	ctx := context.Background()
	for _, b := range fx.Backends {
		n, err := b.Service.Count(ctx, fx.Kinds.Item, resource.ListQuery{IncludeDeleted: true})
		if err != nil || n != resourcetest.SearchItems {
			t.Fatalf("%s: %d items after the injection attempts (%v), want %d", b.Name, n, err, resourcetest.SearchItems)
		}
		n, err = b.Service.Count(ctx, fx.Kinds.Owner, resource.ListQuery{})
		if err != nil || n != resourcetest.SearchOwners {
			t.Fatalf("%s: %d owners after the injection attempts (%v), want %d", b.Name, n, err, resourcetest.SearchOwners)
		}
	}
}

// TestListNotArray stores list fields that hold no array (a string, a
// number, an object: data generated code never writes, but a Backend
// accepts) and checks that SQLite treats them as the memory backend does,
// as null: every element test is null, so "!" of it too, and "is null"
// is true. (SQLite's json_each reads a scalar as a list of one.)
func TestListNotArray(t *testing.T) {
	ctx := context.Background()
	data := []string{`{"tags":"go"}`, `{"tags":7}`, `{"tags":{"go":1}}`, `{"tags":["go"]}`, `{"tags":null}`, `{}`, `{"tags":[]}`}
	want := map[string][]string{
		`tags = "go"`:         {"id-000004"},
		`!(tags = "go")`:      {"id-000007"},
		`tags in ["go", "x"]`: {"id-000004"},
		`tags ~ "G"`:          {"id-000004"},
		`!(tags ~ "G")`:       {"id-000007"},
		`tags is null`:        {"id-000001", "id-000002", "id-000003", "id-000005", "id-000006"},
		`tags is not null`:    {"id-000004", "id-000007"},
	}
	for _, nb := range backends {
		t.Run(nb.Name, func(t *testing.T) {
			b := nb.Open(t)
			kinds := resourcetest.NewSearchKinds()
			if err := b.Migrate(ctx, kinds.Schema); err != nil {
				t.Fatal(err)
			}
			svc := resource.NewService(b, kinds.Schema, resource.WithIDs(resourcetest.SeqIDs()))
			for _, d := range data {
				if _, err := svc.Create(ctx, kinds.Item, json.RawMessage(d), resource.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			for filter, ids := range want {
				page, err := svc.List(ctx, kinds.Item, resource.ListQuery{Filter: filter, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, env := range page.Items {
					got = append(got, env.Meta.ResourceID)
				}
				if strings.Join(got, ",") != strings.Join(ids, ",") {
					t.Errorf("%s: %v, want %v", filter, got, ids)
				}
			}
		})
	}
}
