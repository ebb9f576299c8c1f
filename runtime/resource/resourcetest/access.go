package resourcetest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
)

// accessTests check the permission rules of Kind.Access on the Ticket
// kind: row conditions compiled into lists, counts and cursors, 404 for
// rows outside the read rule, 401/403 for refused writes, conditions on
// the current and the resulting data, and field-level read and write.
func accessTests() []struct {
	name string
	run  func(t *testing.T, e *env)
} {
	return []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{name: "access: lists show exactly the readable rows", run: testAccessList},
		{name: "access: reads outside the rule are 404", run: testAccessRead},
		{name: "access: refused writes change nothing", run: testAccessWrite},
		{name: "access: field rules", run: testAccessFields},
		{name: "access: expand, batch loads, referrers and events", run: testAccessRelated},
		{name: "access: a cascade restore applies every kind's restore rule", run: testAccessRestoreCascade},
	}
}

// Principals of the access tests.
var (
	anon   = &resource.Principal{}
	alice  = &resource.Principal{ID: "alice"}
	bob    = &resource.Principal{ID: "bob"}
	editor = &resource.Principal{ID: "ed", Roles: []string{"editor"}}
	admin  = &resource.Principal{ID: "root", Roles: []string{"admin"}}
)

// as returns a context acting as p.
func as(p *resource.Principal) context.Context {
	return resource.WithPrincipal(context.Background(), p)
}

// tickets creates the tickets of the access tests and returns their ids
// by name: alice's two drafts (one assigned to bob), alice's published
// one, and bob's draft; then the editor adds notes to each (revision 2).
func tickets(t *testing.T, e *env) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, tc := range []struct {
		name string
		by   *resource.Principal
		data string
	}{
		{"alice-draft", alice, `{"title":"a1","status":"draft"}`},
		{"alice-assigned", alice, `{"title":"a2","status":"draft","assignee":"bob"}`},
		{"alice-published", alice, `{"title":"a3","status":"published"}`},
		{"bob-draft", bob, `{"title":"b1","status":"draft"}`},
	} {
		env, err := e.svc.Create(as(tc.by), e.Ticket, json.RawMessage(tc.data), resource.WriteOptions{})
		if err != nil {
			t.Fatalf("create %s: %v", tc.name, err)
		}
		ids[tc.name] = env.Meta.ResourceID
		// The editor's notes: only editors see or change them.
		noted := strings.TrimSuffix(tc.data, "}") + `,"notes":"note of ` + tc.name + `"}`
		if _, err := e.svc.Update(as(editor), e.Ticket, env.Meta.ResourceID, json.RawMessage(noted), resource.WriteOptions{}); err != nil {
			t.Fatalf("editor notes %s: %v", tc.name, err)
		}
	}
	return ids
}

// listIDs pages through the tickets p may list, limit at a time, and
// returns their ids; it checks the total of count=true on every page.
func listIDs(t *testing.T, e *env, p *resource.Principal, q resource.ListQuery) []string {
	t.Helper()
	var out []string
	q.Count = true
	for {
		page, err := e.svc.List(as(p), e.Ticket, q)
		if err != nil {
			t.Fatalf("List as %q: %v", p.ID, err)
		}
		for _, env := range page.Items {
			out = append(out, env.Meta.ResourceID)
		}
		if page.NextCursor == nil {
			if *page.Total != len(out) {
				t.Fatalf("List as %q: total %d, listed %d", p.ID, *page.Total, len(out))
			}
			return out
		}
		q.Cursor = *page.NextCursor
	}
}

// wantIDs fails unless got holds exactly the tickets named.
func wantIDs(t *testing.T, who string, got []string, ids map[string]string, names ...string) {
	t.Helper()
	var want []string
	for _, n := range names {
		want = append(want, ids[n])
	}
	slices.Sort(want)
	sorted := slices.Sorted(slices.Values(got))
	if !slices.Equal(sorted, want) {
		t.Fatalf("%s sees %v, want %v (%v)", who, sorted, want, names)
	}
	if len(slices.Compact(sorted)) != len(got) {
		t.Fatalf("%s: a row listed twice: %v", who, got)
	}
}

// wantDenied fails unless err has the given code.
func wantDenied(t *testing.T, what string, err error, code resource.Code) {
	t.Helper()
	if got := resource.CodeOf(err); err == nil || got != code {
		t.Fatalf("%s: got %v (%s), want %s", what, err, got, code)
	}
}

func testAccessList(t *testing.T, e *env) {
	ids := tickets(t, e)
	for _, limit := range []int{1, 2, 20} {
		q := resource.ListQuery{Limit: limit}
		wantIDs(t, "anonymous", listIDs(t, e, anon, q), ids, "alice-published")
		wantIDs(t, "alice", listIDs(t, e, alice, q), ids, "alice-draft", "alice-assigned", "alice-published")
		wantIDs(t, "bob", listIDs(t, e, bob, q), ids, "alice-assigned", "alice-published", "bob-draft")
		wantIDs(t, "editor", listIDs(t, e, editor, q), ids, "alice-draft", "alice-assigned", "alice-published", "bob-draft")
		wantIDs(t, "admin", listIDs(t, e, admin, q), ids, "alice-draft", "alice-assigned", "alice-published", "bob-draft")
	}
	// The caller's filter and sort combine with the rule.
	q := resource.ListQuery{Filter: `status = "draft"`, Sort: "-resource_id", Limit: 1}
	wantIDs(t, "bob drafts", listIDs(t, e, bob, q), ids, "alice-assigned", "bob-draft")
	n, err := e.svc.Count(as(bob), e.Ticket, resource.ListQuery{Filter: `status = "draft"`})
	if err != nil || n != 2 {
		t.Fatalf("Count as bob = %d, %v; want 2", n, err)
	}
	// A rule's rows are not a filter the caller can widen.
	q = resource.ListQuery{Filter: `status = "draft" || status = "published"`}
	wantIDs(t, "bob widening", listIDs(t, e, bob, q), ids, "alice-assigned", "alice-published", "bob-draft")
}

func testAccessRead(t *testing.T, e *env) {
	ids := tickets(t, e)
	draft := ids["alice-draft"]
	for _, p := range []*resource.Principal{bob} {
		_, err := e.svc.Get(as(p), e.Ticket, draft, resource.ReadOptions{})
		wantDenied(t, "bob reads alice's draft", err, resource.CodeNotFound)
		_, err = e.svc.Revisions(as(p), e.Ticket, draft, resource.RevisionQuery{})
		wantDenied(t, "bob lists its revisions", err, resource.CodeNotFound)
		_, err = e.svc.Revision(as(p), e.Ticket, draft, "1", resource.RevisionOptions{})
		wantDenied(t, "bob reads a revision", err, resource.CodeNotFound)
		_, err = e.svc.Diff(as(p), e.Ticket, draft, "1", "", resource.RevisionOptions{})
		wantDenied(t, "bob diffs it", err, resource.CodeNotFound)
		_, err = e.svc.Referrers(as(p), e.Ticket, draft)
		wantDenied(t, "bob asks its referrers", err, resource.CodeNotFound)
	}
	// The 404 of a hidden row is the 404 of a missing one.
	_, hidden := e.svc.Get(as(bob), e.Ticket, draft, resource.ReadOptions{})
	_, missing := e.svc.Get(as(bob), e.Ticket, "no-such-ticket", resource.ReadOptions{})
	if strings.ReplaceAll(hidden.Error(), draft, "X") != strings.ReplaceAll(missing.Error(), "no-such-ticket", "X") {
		t.Fatalf("hidden row answers %q, missing row %q", hidden, missing)
	}
	if _, err := e.svc.Get(as(alice), e.Ticket, draft, resource.ReadOptions{}); err != nil {
		t.Fatalf("owner reads own draft: %v", err)
	}
	if _, err := e.svc.Get(as(bob), e.Ticket, ids["alice-assigned"], resource.ReadOptions{}); err != nil {
		t.Fatalf("assignee reads the ticket (where @me): %v", err)
	}
	if _, err := e.svc.Get(as(anon), e.Ticket, ids["alice-published"], resource.ReadOptions{}); err != nil {
		t.Fatalf("anonymous reads a published ticket (where without @me): %v", err)
	}
	_, err := e.svc.Get(as(anon), e.Ticket, draft, resource.ReadOptions{})
	wantDenied(t, "anonymous reads a draft", err, resource.CodeNotFound)
	// An action the rule grants anonymous callers nothing of is a 401.
	_, err = e.svc.Create(as(anon), e.Ticket, json.RawMessage(`{"title":"x"}`), resource.WriteOptions{})
	wantDenied(t, "anonymous create", err, resource.CodeUnauthenticated)
	// Listing a kind the rule grants nothing: 403 (Reply lists are
	// public, Ticket deletes editor-only).
	err = e.svc.Allow(as(alice), e.Ticket, resource.ActionDelete)
	wantDenied(t, "alice may not delete tickets", err, resource.CodeForbidden)
}

func testAccessWrite(t *testing.T, e *env) {
	ids := tickets(t, e)
	revs := func(id string) int {
		env, err := e.svc.Get(as(admin), e.Ticket, id, resource.ReadOptions{IncludeDeleted: true})
		if err != nil {
			t.Fatal(err)
		}
		return env.Meta.TotalRevisionCount
	}
	before := map[string]int{}
	for name, id := range ids {
		before[name] = revs(id)
	}
	upd := func(p *resource.Principal, name, data string) error {
		_, err := e.svc.Update(as(p), e.Ticket, ids[name], json.RawMessage(data), resource.WriteOptions{})
		return err
	}
	wantDenied(t, "bob updates alice's draft", upd(bob, "alice-draft", `{"title":"x","status":"draft"}`), resource.CodeNotFound)
	wantDenied(t, "bob updates a published ticket he does not own", upd(bob, "alice-published", `{"title":"x","status":"published"}`), resource.CodeForbidden)
	wantDenied(t, "anonymous updates", upd(anon, "alice-published", `{"title":"x"}`), resource.CodeUnauthenticated)
	// where(assignee = @me) on the result: bob may not hand the ticket on.
	wantDenied(t, "bob moves his ticket out of his scope", upd(bob, "alice-assigned", `{"title":"a2","status":"draft","assignee":"carol"}`), resource.CodeForbidden)
	_, err := e.svc.Patch(as(bob), e.Ticket, ids["alice-assigned"], func(cur json.RawMessage) (json.RawMessage, error) {
		return setMember(t, cur, "assignee", "carol"), nil
	}, resource.WriteOptions{})
	wantDenied(t, "bob patches his ticket out of his scope", err, resource.CodeForbidden)
	_, err = e.svc.Delete(as(alice), e.Ticket, ids["alice-draft"], resource.WriteOptions{})
	wantDenied(t, "alice deletes (editor only)", err, resource.CodeForbidden)
	// An action the rule grants the caller on no row is a 403 whatever
	// the row: it tells nothing about the row.
	_, err = e.svc.Delete(as(bob), e.Ticket, ids["alice-draft"], resource.WriteOptions{})
	wantDenied(t, "bob deletes a row he cannot see", err, resource.CodeForbidden)
	_, err = e.svc.Delete(as(bob), e.Ticket, "no-such-ticket", resource.WriteOptions{})
	wantDenied(t, "bob deletes a missing row", err, resource.CodeForbidden)
	err = e.svc.Purge(as(editor), e.Ticket, ids["alice-draft"], resource.WriteOptions{})
	wantDenied(t, "editor purges (admin only)", err, resource.CodeForbidden)
	_, err = e.svc.Switch(as(bob), e.Ticket, ids["bob-draft"], "1", resource.WriteOptions{})
	wantDenied(t, "bob switches to a revision with another notes value", err, resource.CodeForbidden)
	for name, id := range ids {
		if got := revs(id); got != before[name] {
			t.Fatalf("%s: %d revisions after refused writes, want %d", name, got, before[name])
		}
	}
	// What the rules allow works.
	if err := upd(bob, "alice-assigned", `{"title":"a2 by bob","status":"draft","assignee":"bob"}`); err != nil {
		t.Fatalf("assignee updates within scope: %v", err)
	}
	if err := upd(alice, "alice-draft", `{"title":"a1 v2","status":"draft"}`); err != nil {
		t.Fatalf("owner updates: %v", err)
	}
	if _, err := e.svc.Delete(as(editor), e.Ticket, ids["alice-draft"], resource.WriteOptions{}); err != nil {
		t.Fatalf("editor deletes: %v", err)
	}
	if _, err := e.svc.Restore(as(editor), e.Ticket, ids["alice-draft"], resource.WriteOptions{}); err != nil {
		t.Fatalf("editor restores (restore defaults to delete): %v", err)
	}
	if err := e.svc.Purge(as(admin), e.Ticket, ids["alice-draft"], resource.WriteOptions{}); err != nil {
		t.Fatalf("admin purges: %v", err)
	}
}

func testAccessFields(t *testing.T, e *env) {
	ids := tickets(t, e)
	id := ids["alice-draft"]
	hasNotes := func(data json.RawMessage) bool {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		_, ok := m["notes"]
		return ok
	}
	env, err := e.svc.Get(as(alice), e.Ticket, id, resource.ReadOptions{})
	if err != nil || hasNotes(env.Data) {
		t.Fatalf("owner reads notes: %s, %v", env.Data, err)
	}
	if env, err = e.svc.Get(as(editor), e.Ticket, id, resource.ReadOptions{}); err != nil || !hasNotes(env.Data) {
		t.Fatalf("editor misses notes: %v", err)
	}
	page, err := e.svc.List(as(alice), e.Ticket, resource.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if hasNotes(it.Data) {
			t.Fatalf("list shows notes to alice: %s", it.Data)
		}
	}
	rev, err := e.svc.Revision(as(alice), e.Ticket, id, "2", resource.RevisionOptions{})
	if err != nil || hasNotes(rev.Data) {
		t.Fatalf("revision shows notes to alice: %v", err)
	}
	// Filters, sorts and fields= cannot name a hidden field.
	for _, q := range []resource.ListQuery{{Filter: `notes = "x"`}, {Sort: "notes"}, {Fields: []string{"notes"}}} {
		_, err := e.svc.List(as(alice), e.Ticket, q)
		wantDenied(t, "alice names notes in a list", err, resource.CodeBadRequest)
		if _, err := e.svc.List(as(editor), e.Ticket, q); err != nil {
			t.Fatalf("editor names notes: %v", err)
		}
	}
	// Writing a field the caller may not write is a 403 naming it;
	// leaving it out keeps its value.
	_, err = e.svc.Update(as(alice), e.Ticket, id, json.RawMessage(`{"title":"a1","status":"draft","notes":"mine"}`), resource.WriteOptions{})
	wantDenied(t, "alice writes notes", err, resource.CodeForbidden)
	if !strings.Contains(err.Error(), "notes") {
		t.Fatalf("the 403 does not name the field: %v", err)
	}
	_, err = e.svc.Create(as(alice), e.Ticket, json.RawMessage(`{"title":"new","notes":"smuggled"}`), resource.WriteOptions{})
	wantDenied(t, "alice creates with notes", err, resource.CodeForbidden)
	if _, err := e.svc.Update(as(alice), e.Ticket, id, json.RawMessage(`{"title":"a1 v2","status":"draft"}`), resource.WriteOptions{}); err != nil {
		t.Fatalf("alice updates without notes: %v", err)
	}
	_, err = e.svc.Patch(as(alice), e.Ticket, id, func(cur json.RawMessage) (json.RawMessage, error) {
		if hasNotes(cur) {
			t.Errorf("a patch of alice sees notes: %s", cur)
		}
		return setMember(t, cur, "title", "a1 v3"), nil
	}, resource.WriteOptions{})
	if err != nil {
		t.Fatalf("alice patches: %v", err)
	}
	env, err = e.svc.Get(as(editor), e.Ticket, id, resource.ReadOptions{})
	if err != nil || !strings.Contains(string(env.Data), `"note of alice-draft"`) || !strings.Contains(string(env.Data), "a1 v3") {
		t.Fatalf("notes were not kept through alice's writes: %s, %v", env.Data, err)
	}
	// A hidden field with a default: the default a caller's decoding
	// fills in is not a change, the stored value stays.
	if _, err := e.svc.Update(as(editor), e.Ticket, id, json.RawMessage(`{"title":"a1 v3","status":"draft","notes":"note of alice-draft","priority":5}`), resource.WriteOptions{}); err != nil {
		t.Fatalf("editor sets the priority: %v", err)
	}
	if _, err := e.svc.Update(as(alice), e.Ticket, id, json.RawMessage(`{"title":"a1 v4","status":"draft","priority":3}`), resource.WriteOptions{}); err != nil {
		t.Fatalf("alice writes the default of a field she cannot see: %v", err)
	}
	env, err = e.svc.Get(as(editor), e.Ticket, id, resource.ReadOptions{})
	if err != nil || !strings.Contains(string(env.Data), `"priority":5`) {
		t.Fatalf("the hidden priority did not keep its value: %s, %v", env.Data, err)
	}
	_, err = e.svc.Update(as(alice), e.Ticket, id, json.RawMessage(`{"title":"a1 v4","status":"draft","priority":1}`), resource.WriteOptions{})
	wantDenied(t, "alice sets a field she may not write", err, resource.CodeForbidden)
	// Sending the stored value of a field she cannot read is refused too:
	// accepting it would confirm her guess.
	_, err = e.svc.Update(as(alice), e.Ticket, id, json.RawMessage(`{"title":"a1 v4","status":"draft","priority":5}`), resource.WriteOptions{})
	wantDenied(t, "alice guesses the hidden priority", err, resource.CodeForbidden)
	ops, err := e.svc.Diff(as(alice), e.Ticket, ids["bob-draft"], "2", "1", resource.RevisionOptions{})
	if err == nil {
		t.Fatalf("alice diffs bob's draft: %v", ops)
	}
	ops, err = e.svc.Diff(as(bob), e.Ticket, ids["bob-draft"], "2", "1", resource.RevisionOptions{})
	if err != nil || len(ops) != 0 {
		t.Fatalf("bob's diff of the editor's note shows %v, %v; want no visible change", ops, err)
	}
}

func testAccessRelated(t *testing.T, e *env) {
	ids := tickets(t, e)
	var replies []string
	for _, name := range []string{"alice-draft", "alice-published"} {
		env, err := e.svc.Create(as(editor), e.Reply, json.RawMessage(`{"ticket":"`+ids[name]+`"}`), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		replies = append(replies, env.Meta.ResourceID)
	}
	page, err := e.svc.List(as(bob), e.Reply, resource.ListQuery{Expand: []string{"ticket"}, Sort: "resource_id"})
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Items[0].Expand["ticket"]; got != (*resource.Envelope)(nil) {
		t.Fatalf("bob expands alice's draft: %v", got)
	}
	pub, _ := page.Items[1].Expand["ticket"].(*resource.Envelope)
	if pub == nil || strings.Contains(string(pub.Data), "notes") {
		t.Fatalf("bob's expansion of the published ticket: %+v", pub)
	}
	got, err := e.svc.GetMany(as(bob), e.Ticket, []string{ids["alice-draft"], ids["alice-published"], ids["bob-draft"]})
	if err != nil || len(got) != 2 || got[ids["alice-draft"]] != nil || strings.Contains(string(got[ids["bob-draft"]].Data), "notes") {
		t.Fatalf("GetMany as bob: %v, %v", got, err)
	}
	groups, err := e.svc.Referrers(as(anon), e.Ticket, ids["alice-published"])
	if err != nil || len(groups) != 1 || len(groups[0].IDs) != 1 || groups[0].IDs[0] != replies[1] {
		t.Fatalf("Referrers as anonymous: %+v, %v", groups, err)
	}
	// A reference is a read of its target: bob cannot point at a draft he
	// cannot see (as if it did not exist), alice can.
	_, err = e.svc.Create(as(bob), e.Reply, json.RawMessage(`{"ticket":"`+ids["alice-draft"]+`"}`), resource.WriteOptions{})
	wantDenied(t, "bob refers to alice's draft", err, resource.CodeValidation)
	if !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a reference to a hidden row must read as a missing one: %v", err)
	}
	if _, err := e.svc.Create(as(alice), e.Reply, json.RawMessage(`{"ticket":"`+ids["alice-draft"]+`"}`), resource.WriteOptions{}); err != nil {
		t.Fatalf("alice refers to her draft: %v", err)
	}
	draft, _ := e.svc.Get(as(admin), e.Ticket, ids["alice-draft"], resource.ReadOptions{})
	if _, ok := e.svc.Visible(as(bob), e.Ticket, draft); ok {
		t.Fatal("bob receives the change of alice's draft")
	}
	if v, ok := e.svc.Visible(as(alice), e.Ticket, draft); !ok || strings.Contains(string(v.Data), "notes") {
		t.Fatalf("alice's event of her draft: %v %v", ok, v)
	}
	if v, ok := e.svc.Visible(as(editor), e.Ticket, draft); !ok || !strings.Contains(string(v.Data), "notes") {
		t.Fatalf("editor's event: %v %v", ok, v)
	}
}

// testAccessRestoreCascade: a cascade restore applies the caller's
// restore rule of every kind it brings back; a refusal anywhere refuses
// the whole call.
func testAccessRestoreCascade(t *testing.T, e *env) {
	ids := tickets(t, e)
	id := ids["alice-published"]
	reply, err := e.svc.Create(as(admin), e.Reply, json.RawMessage(`{"ticket":"`+id+`"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if _, err := e.svc.Delete(as(editor), e.Ticket, id, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := reply.Meta.ResourceID
	if !e.get(e.Reply, r).Meta.IsDeleted {
		t.Fatal("the reply was not deleted with its ticket")
	}
	before := e.get(e.Ticket, id)
	e.clock.Add(time.Minute)
	// The editor may restore tickets, but no rule lets anyone but an
	// admin restore replies: the cascade is refused as a whole.
	_, err = e.svc.Restore(as(editor), e.Ticket, id, resource.WriteOptions{Cascade: true})
	wantDenied(t, "editor's cascade restore", err, resource.CodeForbidden)
	if diff := cmp.Diff(before, e.get(e.Ticket, id)); diff != "" {
		t.Errorf("the ticket changed by a refused cascade restore (-before +after):\n%s", diff)
	}
	if !e.get(e.Reply, r).Meta.IsDeleted {
		t.Error("the reply was restored by a refused cascade restore")
	}
	if _, err := e.svc.Restore(as(admin), e.Ticket, id, resource.WriteOptions{Cascade: true}); err != nil {
		t.Fatalf("admin's cascade restore: %v", err)
	}
	if e.get(e.Reply, r).Meta.IsDeleted || e.get(e.Ticket, id).Meta.IsDeleted {
		t.Error("admin's cascade restore left the ticket or its reply deleted")
	}
}
