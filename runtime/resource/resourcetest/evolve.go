package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/jsonpatch"
	"github.com/specstar-go/specstar/runtime/resource"
)

// RunEvolve runs the schema evolution suite: records written under one
// schema, then the backend migrated to the next (Backend.Migrate and
// resource.MigrateData, as the server does at startup), and read, listed,
// filtered, sorted, patched and switched under it (docs/migrations.md,
// "Schema evolution"). open returns a fresh, empty backend that migrates
// from the kinds (no versioned migrations): the suite changes them.
func RunEvolve(t *testing.T, open func(t *testing.T) resource.Backend) {
	tests := []struct {
		name string
		run  func(t *testing.T, b resource.Backend)
	}{
		{name: "add fields", run: testEvolveAdd},
		{name: "remove a field", run: testEvolveRemove},
		{name: "rename a field", run: testEvolveRenameField},
		{name: "rename a resource", run: testEvolveRenameKind},
		{name: "versioned upgrade", run: testEvolveVersion},
		{name: "unique over duplicates", run: testEvolveUnique},
		{name: "index added and removed", run: testEvolveIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, open(t)) })
	}
}

// evolveEnv is a service over one backend at one schema.
type evolveEnv struct {
	t   *testing.T
	b   resource.Backend
	svc *resource.Service
	ctx context.Context
	k   *resource.Kind
}

// evolveIDs numbers ids across the services of a test, so that records
// written under each schema keep a total order.
type evolveIDs struct{ next func() string }

// at migrates b to the schema of kinds (Migrate, then MigrateData) and
// returns a service on it; the first kind is the one under test.
func (ids *evolveIDs) at(t *testing.T, b resource.Backend, kinds ...*resource.Kind) (*evolveEnv, []resource.DataMigration) {
	t.Helper()
	if ids.next == nil {
		ids.next = SeqIDs()
	}
	s := &resource.Schema{Kinds: kinds}
	ctx := context.Background()
	if err := b.Migrate(ctx, s); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	done, err := resource.MigrateData(ctx, b, s, resource.DataMigrationOptions{Batch: 2})
	if err != nil {
		t.Fatalf("MigrateData: %v", err)
	}
	svc := resource.NewService(b, s, resource.WithClock(NewClock(epoch()).Now), resource.WithIDs(ids.next))
	return &evolveEnv{t: t, b: b, svc: svc, ctx: resource.WithSubject(ctx, "alice"), k: kinds[0]}, done
}

func (e *evolveEnv) create(data string) string {
	e.t.Helper()
	env, err := e.svc.Create(e.ctx, e.k, json.RawMessage(data), resource.WriteOptions{})
	if err != nil {
		e.t.Fatalf("Create %s: %v", data, err)
	}
	return env.Meta.ResourceID
}

func (e *evolveEnv) update(id, data string) {
	e.t.Helper()
	if _, err := e.svc.Update(e.ctx, e.k, id, json.RawMessage(data), resource.WriteOptions{}); err != nil {
		e.t.Fatalf("Update %s: %v", data, err)
	}
}

// data returns the current data of a resource, exactly as served.
func (e *evolveEnv) data(id string) string {
	e.t.Helper()
	env, err := e.svc.Get(e.ctx, e.k, id, resource.ReadOptions{})
	if err != nil {
		e.t.Fatalf("Get %s: %v", id, err)
	}
	return string(env.Data)
}

// revision returns revision n of a resource.
func (e *evolveEnv) revision(id string, n int) *resource.Revision {
	e.t.Helper()
	rev, err := e.svc.Revision(e.ctx, e.k, id, fmt.Sprint(n), resource.RevisionOptions{})
	if err != nil {
		e.t.Fatalf("Revision %s %d: %v", id, n, err)
	}
	return rev
}

// ids lists the ids matching filter in sort order.
func (e *evolveEnv) ids(filter, sort string) []string {
	e.t.Helper()
	page, err := e.svc.List(e.ctx, e.k, resource.ListQuery{Filter: filter, Sort: sort, Limit: 100})
	if err != nil {
		e.t.Fatalf("List %q %q: %v", filter, sort, err)
	}
	var out []string
	for _, env := range page.Items {
		out = append(out, env.Meta.ResourceID)
	}
	return out
}

// wantExact fails unless got is exactly want (canonical bytes).
func wantExact(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want)
	}
}

func wantOrder(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// ticketV1 is the kind before the changes of testEvolveAdd.
func ticketV1() *resource.Kind {
	return &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1,
		Fields: []resource.Field{{JSON: "title", Type: resource.TypeString, Indexed: true}},
		Shape: []resource.ShapeField{
			{Name: "title"},
			{Name: "address", Fields: []resource.ShapeField{{Name: "city"}}},
			{Name: "lines", List: true, Fields: []resource.ShapeField{{Name: "sku"}}},
		},
	}
}

// testEvolveAdd adds top-level fields with and without a default,
// indexed and not, and nested fields in an object and in a list of
// objects: old records read with every one of them, filters and sorts
// find them, patches work, and old revisions read in the new form.
func testEvolveAdd(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	v1, _ := ids.at(t, b, ticketV1())
	a := v1.create(`{"title":"a","address":{"city":"Oslo"},"lines":[{"sku":"x"}]}`)
	v1.update(a, `{"title":"a2","address":{"city":"Oslo"},"lines":[{"sku":"x"},{"sku":"y"}]}`)
	c := v1.create(`{"title":"c","address":null,"lines":null}`)

	k2 := ticketV1()
	k2.Fields = append(k2.Fields, resource.Field{JSON: "channel", Type: resource.TypeString, Indexed: true})
	k2.Shape = []resource.ShapeField{
		{Name: "title"},
		{Name: "channel", Default: json.RawMessage(`"web"`)},
		{Name: "due"},
		{Name: "address", Fields: []resource.ShapeField{{Name: "city"}, {Name: "zip", Default: json.RawMessage(`"0000"`)}}},
		{Name: "lines", List: true, Fields: []resource.ShapeField{{Name: "sku"}, {Name: "qty", Default: json.RawMessage(`1`)}}},
	}
	v2, done := ids.at(t, b, k2)
	if len(done) != 1 || done[0].Examined != 2 || done[0].Changed != 2 {
		t.Fatalf("MigrateData = %+v, want Ticket with 2 records examined and changed", done)
	}
	wantContains(t, done[0].What, `adds channel (default "web")`)
	wantContains(t, done[0].What, `adds address.zip (default "0000")`)

	wantExact(t, "upgraded data", v2.data(a),
		`{"title":"a2","channel":"web","due":null,"address":{"city":"Oslo","zip":"0000"},"lines":[{"sku":"x","qty":1},{"sku":"y","qty":1}]}`)
	wantExact(t, "upgraded data", v2.data(c), `{"title":"c","channel":"web","due":null,"address":null,"lines":null}`)
	// Revisions keep their bytes and read in today's form.
	wantExact(t, "revision 1", string(v2.revision(a, 1).Data),
		`{"title":"a","channel":"web","due":null,"address":{"city":"Oslo","zip":"0000"},"lines":[{"sku":"x","qty":1}]}`)
	ops, err := v2.svc.Diff(v2.ctx, v2.k, a, "2", "", resource.RevisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 {
		t.Fatalf("diff of revision 2 = %+v, want the title and the new line only", ops)
	}

	d := v2.create(`{"title":"d","channel":"phone","due":null,"address":null,"lines":null}`)
	wantOrder(t, "channel = web", v2.ids(`channel = "web"`, "title"), a, c)
	wantOrder(t, "sort by channel", v2.ids("", "channel,title"), d, a, c)
	if n, err := v2.svc.Count(v2.ctx, v2.k, resource.ListQuery{Filter: `channel = "web"`}); err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2", n, err)
	}
	// A JSON Patch on an added field of an old record.
	patch := []byte(`[{"op":"replace","path":"/channel","value":"email"},{"op":"replace","path":"/address/zip","value":"0150"}]`)
	env, err := v2.svc.Patch(v2.ctx, v2.k, a, func(cur json.RawMessage) (json.RawMessage, error) {
		return jsonpatch.Apply(cur, patch)
	}, resource.WriteOptions{})
	if err != nil {
		t.Fatalf("Patch: %v", err)
	}
	wantJSON(t, env.Data, `{"title":"a2","channel":"email","due":null,"address":{"city":"Oslo","zip":"0150"},"lines":[{"sku":"x","qty":1},{"sku":"y","qty":1}]}`)
	wantOrder(t, "channel = email", v2.ids(`channel = "email"`, ""), a)

	// Nothing changed since: the next start upgrades nothing.
	if _, again := ids.at(t, b, k2); len(again) != 0 {
		t.Fatalf("second MigrateData = %+v, want nothing to do", again)
	}
}

// testEvolveRemove removes a field: it leaves the current data and every
// read; old revisions keep it in their bytes only.
func testEvolveRemove(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	v1, _ := ids.at(t, b, ticketV1())
	a := v1.create(`{"title":"a","address":{"city":"Oslo"},"lines":[]}`)
	k2 := ticketV1()
	k2.Shape = k2.Shape[:1]
	v2, done := ids.at(t, b, k2)
	if len(done) != 1 || !strings.Contains(done[0].What, "drops address") {
		t.Fatalf("MigrateData = %+v, want Ticket dropping address", done)
	}
	wantExact(t, "data", v2.data(a), `{"title":"a"}`)
	wantExact(t, "revision 1", string(v2.revision(a, 1).Data), `{"title":"a"}`)
}

// testEvolveRenameField renames a unique, indexed field: values, filters,
// the unique constraint and history follow.
func testEvolveRenameField(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	k1 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1,
		Fields: []resource.Field{{JSON: "code", Type: resource.TypeString, Unique: true, Indexed: true}},
		Shape:  []resource.ShapeField{{Name: "code"}, {Name: "body"}},
	}
	v1, _ := ids.at(t, b, k1)
	a := v1.create(`{"code":"A-1","body":"x"}`)
	v1.update(a, `{"code":"A-2","body":"x"}`)
	c := v1.create(`{"code":"C-1","body":"y"}`)

	k2 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1,
		Fields: []resource.Field{{JSON: "ref", Type: resource.TypeString, Unique: true, Indexed: true}},
		Shape:  []resource.ShapeField{{Name: "ref", RenamedFrom: []string{"code"}}, {Name: "body"}},
	}
	v2, done := ids.at(t, b, k2)
	if len(done) != 1 || !strings.Contains(done[0].What, "renames code to ref") {
		t.Fatalf("MigrateData = %+v, want Ticket renaming code to ref", done)
	}
	wantExact(t, "data", v2.data(a), `{"ref":"A-2","body":"x"}`)
	wantExact(t, "revision 1", string(v2.revision(a, 1).Data), `{"ref":"A-1","body":"x"}`)
	wantOrder(t, "ref = C-1", v2.ids(`ref = "C-1"`, ""), c)
	wantOrder(t, "sort by ref", v2.ids("", "-ref"), c, a)
	_, err := v2.svc.Create(v2.ctx, v2.k, json.RawMessage(`{"ref":"C-1","body":"z"}`), resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict)
}

// testEvolveRenameKind renames a resource that another one refers to:
// records, revisions and references stay.
func testEvolveRenameKind(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	post := &resource.Kind{Name: "Post", Table: "post", Path: "posts", SchemaVersion: 1,
		Fields: []resource.Field{{JSON: "title", Type: resource.TypeString, Unique: true}},
		Shape:  []resource.ShapeField{{Name: "title"}}}
	comment := func(target string) *resource.Kind {
		return &resource.Kind{Name: "Comment", Table: "comment", Path: "comments", SchemaVersion: 1,
			Fields: []resource.Field{{JSON: "post", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: target, OnDelete: resource.Restrict}}},
			Shape:  []resource.ShapeField{{Name: "post"}}}
	}
	v1, _ := ids.at(t, b, post, comment("Post"))
	p := v1.create(`{"title":"hello"}`)
	v1.update(p, `{"title":"hello again"}`)
	cv1 := &evolveEnv{t: t, svc: v1.svc, ctx: v1.ctx, k: v1.svc.Schema().Kind("Comment")}
	c := cv1.create(fmt.Sprintf(`{"post":%q}`, p))

	article := &resource.Kind{Name: "Article", Table: "article", Path: "articles", SchemaVersion: 1, FormerTables: []string{"post"},
		Fields: []resource.Field{{JSON: "title", Type: resource.TypeString, Unique: true}},
		Shape:  []resource.ShapeField{{Name: "title"}}}
	v2, _ := ids.at(t, b, article, comment("Article"))
	wantExact(t, "data", v2.data(p), `{"title":"hello again"}`)
	wantExact(t, "revision 1", string(v2.revision(p, 1).Data), `{"title":"hello"}`)
	_, err := v2.svc.Create(v2.ctx, article, json.RawMessage(`{"title":"hello again"}`), resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict) // the unique index came along
	cv2 := &evolveEnv{t: t, svc: v2.svc, ctx: v2.ctx, k: v2.svc.Schema().Kind("Comment")}
	env, err := cv2.svc.Get(cv2.ctx, cv2.k, c, resource.ReadOptions{Expand: []string{"post"}})
	if err != nil {
		t.Fatal(err)
	}
	if target, _ := env.Expand["post"].(*resource.Envelope); target == nil || target.Meta.ResourceID != p {
		t.Fatalf("expand post = %#v, want article %s", env.Expand["post"], p)
	}
	_, err = v2.svc.Delete(v2.ctx, article, p, resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict) // the comment still restricts it
}

// personV2 is a kind whose schema version 2 split name into first and
// last; its Upgrade counts its calls.
func personV2(calls *int) *resource.Kind {
	return &resource.Kind{Name: "Person", Table: "person", Path: "people", SchemaVersion: 2,
		Fields: []resource.Field{{JSON: "last", Type: resource.TypeString, Indexed: true}},
		Shape:  []resource.ShapeField{{Name: "first"}, {Name: "last"}},
		Upgrade: func(old *resource.OldData) (json.RawMessage, error) {
			*calls++
			var p struct {
				First *string `json:"first"`
				Last  *string `json:"last"`
			}
			if err := old.DecodeShaped(&p); err != nil {
				return nil, err
			}
			var name string
			if ok, err := old.Get("name", &name); err != nil || !ok || old.Version != 1 {
				return nil, fmt.Errorf("version %d without a name: %v", old.Version, err)
			}
			first, last, _ := strings.Cut(name, " ")
			p.First, p.Last = &first, &last
			return json.Marshal(p)
		},
	}
}

// testEvolveVersion raises a kind's schema version with an upgrade
// function: current data is upgraded on read before MigrateData runs
// and by it; revisions are upgraded on read and keep their version;
// switching to one stores it in today's form.
func testEvolveVersion(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	k1 := &resource.Kind{Name: "Person", Table: "person", Path: "people", SchemaVersion: 1,
		Shape: []resource.ShapeField{{Name: "name"}}}
	v1, _ := ids.at(t, b, k1)
	a := v1.create(`{"name":"Ada Lovelace"}`)
	v1.update(a, `{"name":"Ada King"}`)
	c := v1.create(`{"name":"Alan Turing"}`)

	// Before the data migration (an older instance still running, say):
	// reads upgrade on the fly.
	calls := 0
	k2 := personV2(&calls)
	if err := b.Migrate(context.Background(), &resource.Schema{Kinds: []*resource.Kind{k2}}); err != nil {
		t.Fatal(err)
	}
	lazy := &evolveEnv{t: t, svc: resource.NewService(b, &resource.Schema{Kinds: []*resource.Kind{k2}}, resource.WithIDs(ids.next)),
		ctx: resource.WithSubject(context.Background(), "bob"), k: k2}
	wantExact(t, "data before migrate", lazy.data(c), `{"first":"Alan","last":"Turing"}`)
	env, err := lazy.svc.Get(lazy.ctx, k2, c, resource.ReadOptions{})
	if err != nil || env.Meta.SchemaVersion != 2 || env.RevisionInfo.SchemaVersion != 1 {
		t.Fatalf("Get = %+v, %v; want meta.schema_version 2 (the data's) and revision_info.schema_version 1", env, err)
	}

	v2, done := ids.at(t, b, k2)
	if len(done) != 1 || done[0].Changed != 2 || !strings.Contains(done[0].What, "schema version 1 to 2") {
		t.Fatalf("MigrateData = %+v", done)
	}
	calls = 0
	wantExact(t, "data", v2.data(a), `{"first":"Ada","last":"King"}`)
	if calls != 0 {
		t.Fatalf("reading migrated data ran Upgrade %d times", calls)
	}
	rev := v2.revision(a, 1)
	wantExact(t, "revision 1", string(rev.Data), `{"first":"Ada","last":"Lovelace"}`)
	if rev.Info.SchemaVersion != 1 {
		t.Fatalf("revision 1 schema_version = %d, want 1 (as written)", rev.Info.SchemaVersion)
	}
	wantOrder(t, "last = Turing", v2.ids(`last = "Turing"`, ""), c)
	env, err = v2.svc.Switch(v2.ctx, k2, a, "1", resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(env.Data) != `{"first":"Ada","last":"Lovelace"}` || env.Meta.SchemaVersion != 2 {
		t.Fatalf("Switch to revision 1 = %s (schema_version %d), want the upgraded data at version 2", env.Data, env.Meta.SchemaVersion)
	}
	wantOrder(t, "last = Lovelace", v2.ids(`last = "Lovelace"`, ""), a)
	// The switched data is stored in today's form: a later start does not
	// upgrade it twice.
	calls = 0
	if _, again := ids.at(t, b, k2); len(again) != 0 || calls != 0 {
		t.Fatalf("second MigrateData = %+v (%d upgrades), want nothing to do", again, calls)
	}
	wantExact(t, "data after a restart", v2.data(a), `{"first":"Ada","last":"Lovelace"}`)
}

// testEvolveUnique makes a field unique that live records share: the
// migration fails naming the values and changes nothing; deleted records
// do not count.
func testEvolveUnique(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	k1 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1, Shape: []resource.ShapeField{{Name: "code"}}}
	v1, _ := ids.at(t, b, k1)
	v1.create(`{"code":"dup-1"}`)
	v1.create(`{"code":"dup-1"}`)
	gone := v1.create(`{"code":"dup-2"}`)
	v1.create(`{"code":"dup-2"}`)
	if _, err := v1.svc.Delete(v1.ctx, k1, gone, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	k2 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1, Shape: k1.Shape,
		Fields: []resource.Field{{JSON: "code", Type: resource.TypeString, Unique: true}}}
	err := b.Migrate(context.Background(), &resource.Schema{Kinds: []*resource.Kind{k2}})
	if err == nil {
		t.Fatal("Migrate made code unique over duplicates")
	}
	wantContains(t, err.Error(), "dup-1")
	if strings.Contains(err.Error(), "dup-2") {
		t.Fatalf("error %q names dup-2, held by one live record only", err)
	}
	// Still usable under the old schema.
	v1.create(`{"code":"dup-1"}`)
}

// testEvolveIndex adds and removes an index on a field with data.
func testEvolveIndex(t *testing.T, b resource.Backend) {
	var ids evolveIDs
	k1 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1, Shape: []resource.ShapeField{{Name: "n"}}}
	v1, _ := ids.at(t, b, k1)
	a := v1.create(`{"n":2}`)
	c := v1.create(`{"n":1}`)
	k2 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1, Shape: k1.Shape,
		Fields: []resource.Field{{JSON: "n", Type: resource.TypeInt, Indexed: true}}}
	v2, done := ids.at(t, b, k2)
	if len(done) != 0 {
		t.Fatalf("an index needs no data migration: %+v", done)
	}
	wantOrder(t, "n >= 1 by n", v2.ids("n >= 1", "n"), c, a)
	v3, _ := ids.at(t, b, k1)
	_, err := v3.svc.List(v3.ctx, k1, resource.ListQuery{Filter: "n = 1"})
	var re *resource.Error
	if !errors.As(err, &re) {
		t.Fatalf("filter on a field no longer indexed = %v, want a client error", err)
	}
	wantExact(t, "data", v3.data(a), `{"n":2}`)
}
