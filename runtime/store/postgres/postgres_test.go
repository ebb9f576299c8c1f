package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// open opens a store on a fresh schema of the test database.
func open(tb testing.TB, opts ...postgres.Option) *postgres.Store {
	tb.Helper()
	u := pgtest.URL(tb)
	opts = append([]postgres.Option{postgres.WithSchema(pgtest.Schema(tb, u))}, opts...)
	s, err := postgres.Open(context.Background(), u, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// shared opens n stores (n pools, standing in for n processes) on one
// fresh schema and migrates the conformance schema on all of them at once.
func shared(t *testing.T, n int) ([]*postgres.Store, *resourcetest.Kinds) {
	t.Helper()
	u := pgtest.URL(t)
	schema := pgtest.Schema(t, u)
	stores := make([]*postgres.Store, n)
	for i := range stores {
		s, err := postgres.Open(context.Background(), u, postgres.WithSchema(schema))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	kinds := resourcetest.NewKinds()
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(context.Background(), kinds.Schema) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Migrate: %v", err)
	}
	return stores, kinds
}

func TestConformance(t *testing.T) {
	pgtest.URL(t)
	resourcetest.Run(t, func(t *testing.T) resource.Backend { return open(t) })
}

// TestEvolve runs the schema evolution suite: data written under one
// schema, read, filtered, sorted and patched under the next.
func TestEvolve(t *testing.T) {
	resourcetest.RunEvolve(t, func(t *testing.T) resource.Backend { return open(t) })
}

// backends are the memory reference, SQLite and PostgreSQL: the search
// suite runs every query on all three and requires the oracle's answer
// from each.
var backends = []resourcetest.NamedBackend{
	{Name: "memory", Open: func(tb testing.TB) resource.Backend {
		s := memory.New()
		tb.Cleanup(func() { s.Close() })
		return s
	}},
	{Name: "sqlite", Open: func(tb testing.TB) resource.Backend {
		s, err := sqlite.Open(filepath.Join(tb.TempDir(), "specstar.db"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	}},
	{Name: "postgres", Open: func(tb testing.TB) resource.Backend { return open(tb) }},
}

func TestSearch(t *testing.T) {
	pgtest.URL(t) // skip before building the other backends' fixtures
	resourcetest.RunSearch(t, backends...)
}

// FuzzMemoryVsPostgres runs random valid queries (resourcetest.RandomQuery)
// on the same seeded data in memory, SQLite and PostgreSQL; each must give
// the brute-force oracle's answer, page by page.
func FuzzMemoryVsPostgres(f *testing.F) {
	pgtest.URL(f)
	for _, seed := range resourcetest.SearchSeeds(40) {
		f.Add(seed)
	}
	fx := resourcetest.NewSearchFixture(f, backends...)
	f.Fuzz(func(t *testing.T, seed []byte) {
		fx.Check(t, resourcetest.RandomQuery(seed))
	})
}

// TestInjection feeds SQL and LIKE metacharacters, U+0000 and injection
// attempts through every operator on every filterable field: each query
// must give the oracle's answer (or a 400 on every backend when the value
// does not fit the field), and the tables must survive.
func TestInjection(t *testing.T) {
	pgtest.URL(t)
	fx := resourcetest.NewSearchFixture(t, backends...)
	payloads := []string{`'`, `''`, `'; DROP TABLE item; --`, `" OR 1=1 --`, `') OR ('1'='1`, `%`, `_`, `%_%`,
		`\`, `\'`, `\%`, `a%b`, `gamma_1`, `*/ /*`, `?`, `?1`, `$1`, `$$`, `$a$ x $a$`, `:a`, `@a`, `$.name`,
		"\x00", "nul\x00byte", "Al\x00", "ü'", "日本語'", `1; DELETE FROM item`, `0) OR 1=1 --`, "\u2028",
		`E'\x41'`, `{"a":1}`, `["go"]`, `go"]`, "\U0010FFFF", "\uD7FF", "a\U0010FFFF"}
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
	// Every payload on its own through every operator on a string field
	// and on the list field; then, on every field, each operator with all
	// payloads at once.
	for _, lit := range quoted {
		for _, op := range ops {
			fx.Check(t, resource.ListQuery{Filter: "name " + op + " " + lit, Limit: 100})
			fx.Check(t, resource.ListQuery{Filter: "!(name " + op + " " + lit + ")", Limit: 100})
		}
		fx.Check(t, resource.ListQuery{Filter: "tags = " + lit, Limit: 100})
		fx.Check(t, resource.ListQuery{Filter: "tags ~ " + lit, Limit: 100})
		fx.Check(t, resource.ListQuery{Filter: "tags in [" + lit + "]", Limit: 100})
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
		// Ids that cannot be stored name nothing.
		for _, id := range []string{"nul\x00id", "\xff\xfe", "'; DROP TABLE item; --"} {
			if _, err := b.Service.Get(ctx, fx.Kinds.Item, id, resource.ReadOptions{}); resource.CodeOf(err) != resource.CodeNotFound {
				t.Fatalf("%s: Get(%q) = %v, want a 404", b.Name, id, err)
			}
		}
	}
}

// TestCrossStoreIfMatch races conditional updates of one resource from
// two stores (two pools: two processes), 2 x 50 writers that each read the
// current revision and write with If-Match on it, a few times: every
// accepted write must have the revision it was conditioned on as parent
// (so no two share a parent), the revision count must equal the accepted
// writes, and every other attempt must be a 412.
func TestCrossStoreIfMatch(t *testing.T) {
	stores, kinds := shared(t, 2)
	ctx := context.Background()
	svcs := []*resource.Service{resource.NewService(stores[0], kinds.Schema), resource.NewService(stores[1], kinds.Schema)}
	note, err := svcs[0].Create(ctx, kinds.Note, json.RawMessage(`{"v":0}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := note.Meta.ResourceID
	const perStore, attempts = 50, 3
	var accepted, rejected atomic.Int64
	var mu sync.Mutex
	parents := make(map[string]bool)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 * perStore {
		wg.Go(func() {
			svc := svcs[w%2]
			<-start
			for i := range attempts {
				cur, err := svc.Get(ctx, kinds.Note, id, resource.ReadOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				env, err := svc.Update(ctx, kinds.Note, id, json.RawMessage(fmt.Sprintf(`{"w":%d,"i":%d}`, w, i)),
					resource.WriteOptions{IfMatch: resource.ETag(&cur.RevisionInfo)})
				switch {
				case resource.CodeOf(err) == resource.CodePreconditionFailed:
					rejected.Add(1)
					continue
				case err != nil:
					t.Errorf("Update: %v", err)
					return
				}
				accepted.Add(1)
				parent := *env.RevisionInfo.ParentRevisionID
				if parent != cur.RevisionInfo.RevisionID {
					t.Errorf("write conditioned on %s has parent %s", cur.RevisionInfo.RevisionID, parent)
				}
				mu.Lock()
				if parents[parent] {
					t.Errorf("two accepted writes have parent %s", parent)
				}
				parents[parent] = true
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	if accepted.Load()+rejected.Load() != 2*perStore*attempts || accepted.Load() == 0 {
		t.Fatalf("%d accepted and %d rejected of %d", accepted.Load(), rejected.Load(), 2*perStore*attempts)
	}
	got, err := svcs[1].Get(ctx, kinds.Note, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := int(accepted.Load()) + 1; got.Meta.TotalRevisionCount != want {
		t.Fatalf("%d revisions after %d accepted writes (+1 create)", got.Meta.TotalRevisionCount, accepted.Load())
	}
	page, err := svcs[0].Revisions(ctx, kinds.Note, id, resource.RevisionQuery{Limit: resource.MaxLimit})
	if err != nil || len(page.Items) != int(accepted.Load())+1 {
		t.Fatalf("Revisions = %d items, %v; want %d", len(page.Items), err, accepted.Load()+1)
	}
	t.Logf("%d accepted, %d rejected with 412", accepted.Load(), rejected.Load())

	// Unconditional writes queue on the row lock instead of failing.
	const writers = 40
	before := got.Meta.TotalRevisionCount
	for i := range writers {
		wg.Go(func() {
			if _, err := svcs[i%2].Update(ctx, kinds.Note, id, json.RawMessage(fmt.Sprintf(`{"w":%d}`, i)), resource.WriteOptions{}); err != nil {
				t.Errorf("unconditional Update: %v", err)
			}
		})
	}
	wg.Wait()
	got, err = svcs[0].Get(ctx, kinds.Note, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta.TotalRevisionCount != before+writers {
		t.Fatalf("%d revisions after %d unconditional writes on %d", got.Meta.TotalRevisionCount, writers, before)
	}
}

// TestCrossStoreUnique races creates of one unique value from two stores:
// exactly one succeeds, the others are 409s naming the field.
func TestCrossStoreUnique(t *testing.T) {
	stores, kinds := shared(t, 2)
	ctx := context.Background()
	svcs := []*resource.Service{resource.NewService(stores[0], kinds.Schema), resource.NewService(stores[1], kinds.Schema)}
	const n = 40
	var created, conflicts atomic.Int64
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			data := json.RawMessage(fmt.Sprintf(`{"name":"%d","email":"same@example.com"}`, i))
			_, err := svcs[i%2].Create(ctx, kinds.Author, data, resource.WriteOptions{})
			var e *resource.Error
			switch {
			case err == nil:
				created.Add(1)
			case errors.As(err, &e) && e.Code == resource.CodeConflict && len(e.Fields) == 1 && e.Fields[0].Field == "email":
				conflicts.Add(1)
			default:
				t.Errorf("Create: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if created.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d creates succeeded and %d conflicted across two stores, want 1 and %d", created.Load(), conflicts.Load(), n-1)
	}
	count, err := svcs[1].Count(ctx, kinds.Author, resource.ListQuery{IncludeDeleted: true})
	if err != nil || count != 1 {
		t.Fatalf("Count = %d, %v; want 1", count, err)
	}
}

// TestCrossStoreReadYourWrites checks that a write through one store is
// read back at once through another.
func TestCrossStoreReadYourWrites(t *testing.T) {
	stores, kinds := shared(t, 3)
	ctx := context.Background()
	svcs := make([]*resource.Service, len(stores))
	for i, s := range stores {
		svcs[i] = resource.NewService(s, kinds.Schema)
	}
	env, err := svcs[0].Create(ctx, kinds.Author, json.RawMessage(`{"name":"Ada","email":"ada@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := env.Meta.ResourceID
	for i := range 5 {
		w := svcs[i%3]
		data := fmt.Sprintf(`{"name":"Ada %d","email":"ada@example.com"}`, i)
		if _, err := w.Update(ctx, kinds.Author, id, json.RawMessage(data), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		for j, r := range svcs {
			got, err := r.Get(ctx, kinds.Author, id, resource.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != data {
				t.Fatalf("store %d reads %s after store %d wrote %s", j, got.Data, i%3, data)
			}
		}
	}
}

// TestDataRoundTrip checks that data comes back byte for byte (json
// columns keep the text: no key reordering, no number rewriting) and that
// data holding U+0000 is refused with a 422 before it reaches the
// database.
func TestDataRoundTrip(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	tests := []struct {
		name string
		data string
		code resource.Code // "" when it must be stored
	}{
		{name: "key order and spacing", data: `{"z":1,"a":2,"m":{"y":true,"b":null}}`},
		{name: "numbers as written", data: `{"a":1.0,"b":1e3,"c":-0,"d":12345678901234567890123}`},
		{name: "escapes", data: `{"s":"\u00e9\n\"\\u0000 is text here","t":"\ud83d\ude00"}`},
		{name: "duplicate keys", data: `{"a":1,"a":2}`},
		{name: "nul escape", data: `{"s":"a\u0000b"}`, code: resource.CodeValidation},
		{name: "nul escape in a nested key", data: `{"m":{"k\u0000":1}}`, code: resource.CodeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := svc.Create(ctx, kinds.Note, json.RawMessage(tt.data), resource.WriteOptions{})
			if tt.code != "" {
				if resource.CodeOf(err) != tt.code {
					t.Fatalf("Create(%s) = %v, want %s", tt.data, err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := svc.Get(ctx, kinds.Note, env.Meta.ResourceID, resource.ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != tt.data {
				t.Fatalf("data = %s, want %s", got.Data, tt.data)
			}
			if got.RevisionInfo.DataHash != resource.DataHash([]byte(tt.data)) {
				t.Fatalf("data hash %s does not match the data", got.RevisionInfo.DataHash)
			}
		})
	}
}

func TestMigrateNewUniqueOnDuplicates(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	for range 2 {
		if _, err := svc.Create(ctx, kinds.Note, []byte(`{"code":"x"}`), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kinds.Note.Fields = []resource.Field{{JSON: "code", Type: resource.TypeString, Unique: true}}
	if err := s.Migrate(ctx, kinds.Schema); err == nil || !strings.Contains(err.Error(), `live records share values: "x"`) {
		t.Fatalf("Migrate made a field unique over duplicate values: %v", err)
	}
	// Dropping the unique flag again drops the index; adding an ordinary
	// index works, and so does changing the field's type.
	kinds.Note.Fields = []resource.Field{{JSON: "code", Type: resource.TypeString, Indexed: true}}
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, kinds.Note, []byte(`{"code":"x"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := indexDefs(t, s, "note")
	if !strings.Contains(want["ix_note_code"], `COLLATE "C"`) {
		t.Fatalf("ix_note_code = %q, want a text index", want["ix_note_code"])
	}
	kinds.Note.Fields = []resource.Field{{JSON: "code", Type: resource.TypeDateTime, Indexed: true}}
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	if got := indexDefs(t, s, "note"); !strings.Contains(got["ix_note_code"], "000000000Z") {
		t.Fatalf("ix_note_code after a type change = %q, want the datetime expression", got["ix_note_code"])
	}
	kinds.Note.Fields = nil
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	if got := indexDefs(t, s, "note"); len(got) != 1 || got["dx_note"] == "" {
		t.Fatalf("indexes after dropping the field: %v, want only dx_note", got)
	}
}

// indexDefs returns the definitions of the indexes of table, except its
// primary key, by name.
func indexDefs(t *testing.T, s *postgres.Store, table string) map[string]string {
	t.Helper()
	rows, err := s.Pool().Query(context.Background(),
		`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname <> $3`,
		s.Schema(), table, table+"_pkey")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make(map[string]string)
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		out[name] = def
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMigrateMatchesDDL checks that Migrate creates exactly the indexes
// Indexes lists, and that running DDL again changes nothing: versioned
// migrations built from DDL and Migrate agree.
func TestMigrateMatchesDDL(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	kinds := resourcetest.NewSearchKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	for _, k := range kinds.Schema.Kinds {
		got := indexDefs(t, s, k.Table)
		want := postgres.Indexes(k)
		if len(got) != len(want) {
			t.Fatalf("%s: indexes %v, want %d", k.Name, got, len(want))
		}
		for _, ix := range want {
			if _, ok := got[ix.Name]; !ok {
				t.Fatalf("%s: index %s is missing: %v", k.Name, ix.Name, got)
			}
		}
		for _, q := range postgres.DDL(s.Schema(), k) {
			if _, err := s.Pool().Exec(ctx, q); err != nil {
				t.Fatalf("%s: DDL statement %q: %v", k.Name, q, err)
			}
		}
		if diff := indexDefs(t, s, k.Table); len(diff) != len(got) {
			t.Fatalf("%s: DDL changed the indexes: %v", k.Name, diff)
		}
	}
	var oids []uint32
	if err := s.Pool().QueryRow(ctx, `SELECT array_agg(indexrelid ORDER BY indexrelid) FROM pg_index WHERE indrelid = to_regclass($1)`,
		s.Schema()+".item").Scan(&oids); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	var again []uint32
	if err := s.Pool().QueryRow(ctx, `SELECT array_agg(indexrelid ORDER BY indexrelid) FROM pg_index WHERE indrelid = to_regclass($1)`,
		s.Schema()+".item").Scan(&again); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(oids) != fmt.Sprint(again) {
		t.Fatalf("a second Migrate rebuilt indexes: %v, then %v", oids, again)
	}
}

func TestOpenErrors(t *testing.T) {
	u := pgtest.URL(t)
	tests := []struct {
		name string
		url  string
	}{
		{name: "not a URL", url: "postgres://%zz"},
		{name: "no server", url: "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2"},
		{name: "no database", url: strings.Replace(u, "/test", "/specstar_no_such_database", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.url == u {
				t.Skip("the test URL names no /test database")
			}
			if s, err := postgres.Open(context.Background(), tt.url); err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tt.url)
			}
		})
	}
}

func TestSearchPathSchema(t *testing.T) {
	u := pgtest.URL(t)
	su := pgtest.SchemaURL(t, u)
	s, err := postgres.Open(context.Background(), su)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.Schema(), "t_") {
		t.Fatalf("Schema() = %q, want the search_path schema", s.Schema())
	}
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(context.Background(), kinds.Schema); err != nil {
		t.Fatal(err)
	}
	if got := indexDefs(t, s, "author"); got["ux_author_email"] == "" {
		t.Fatalf("no unique index in schema %s: %v", s.Schema(), got)
	}
}

func BenchmarkUpdate(b *testing.B)         { resourcetest.BenchUpdate(b, open(b)) }
func BenchmarkCreate(b *testing.B)         { resourcetest.BenchCreate(b, open(b)) }
func BenchmarkCreateParallel(b *testing.B) { resourcetest.BenchCreateParallel(b, open(b)) }
func BenchmarkUpdateParallel(b *testing.B) { resourcetest.BenchUpdateParallel(b, open(b)) }
func BenchmarkGet(b *testing.B)            { resourcetest.BenchGet(b, open(b)) }
func BenchmarkList(b *testing.B)           { resourcetest.BenchList(b, open(b)) }

// BenchmarkEvolve measures the data migration of a server start after a
// field was added, on 100,000 records (docs/migrations.md quotes it).
func BenchmarkEvolve(b *testing.B) {
	for range b.N {
		resourcetest.BenchEvolve(b, open(b), 100_000)
	}
}
