package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// hookTests are the conformance tests of hooks and authorizers: what a hook
// writes inside a call commits or rolls back with it on every backend.
func hookTests() []struct {
	name string
	run  func(t *testing.T, e *env)
} {
	return []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{name: "hook changes data and writes another resource", run: testHookWrites},
		{name: "hook write rolls back with the call", run: testHookRollback},
		{name: "failed write inside a hook fails the call", run: testHookNestedFailure},
		{name: "hook reads its own writes", run: testHookReadsOwnWrites},
		{name: "hook errors keep their class", run: testHookErrors},
		{name: "before delete restore switch refuse", run: testHookRefusals},
		{name: "after commit", run: testAfterCommit},
		{name: "hook recursion is bounded", run: testHookRecursion},
		{name: "transaction ends with the hook", run: testHookTxEnds},
		{name: "authorizer guards every door", run: testAuthorizer},
		{name: "get with fields and expand", run: testGetProjection},
		{name: "referrers", run: testReferrers},
		{name: "transaction, commit and rollback callbacks, given ids", run: testTransaction},
	}
}

// withOptions replaces the service of e by one over the same backend,
// clock and ids with opts added.
func (e *env) withOptions(opts ...resource.Option) {
	all := append([]resource.Option{resource.WithClock(e.clock.Now), resource.WithIDs(e.ids)}, opts...)
	e.svc = resource.NewService(e.b, e.Schema, all...)
}

// noteCount returns how many live Notes exist.
func (e *env) noteCount() int {
	e.t.Helper()
	n, err := e.svc.Count(e.ctx, e.Note, resource.ListQuery{})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// setMember returns data with member key set to the JSON value v.
func setMember(t *testing.T, data json.RawMessage, key string, v any) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m[key] = v
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testHookWrites(t *testing.T, e *env) {
	var seen []*resource.Write
	e.withOptions(resource.WithHooks(e.Post, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
			seen = append(seen, w)
			note := `{"about":"` + w.ID + `","action":"` + string(w.Action) + `"}`
			if _, err := e.svc.Create(ctx, e.Note, json.RawMessage(note), resource.WriteOptions{}); err != nil {
				return nil, err
			}
			return setMember(t, w.Data, "title", "computed"), nil
		},
	}))
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`"}`)
	wantJSON(t, p.Data, `{"slug":"p","author":"`+a+`","title":"computed"}`)
	if len(seen) != 1 || seen[0].Action != resource.ActionCreate || seen[0].Current != nil || seen[0].ID != p.Meta.ResourceID {
		t.Fatalf("create hook saw %+v", seen)
	}
	if n := e.noteCount(); n != 1 {
		t.Fatalf("%d notes after the create, want 1", n)
	}
	id := p.Meta.ResourceID
	up, err := e.svc.Patch(e.ctx, e.Post, id, func(cur json.RawMessage) (json.RawMessage, error) {
		return setMember(t, cur, "slug", "p2"), nil
	}, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if up.RevisionInfo.Number != 2 || len(seen) != 2 || seen[1].Action != resource.ActionPatch || seen[1].Current == nil ||
		seen[1].Current.RevisionInfo.Number != 1 {
		t.Fatalf("patch: revision %d, hook saw %+v", up.RevisionInfo.Number, seen[1])
	}
	// An update the hook turns into the current data writes no revision.
	same, err := e.svc.Update(e.ctx, e.Post, id, json.RawMessage(`{"slug":"p2","author":"`+a+`","title":"other"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if same.RevisionInfo.Number != 2 || seen[2].Action != resource.ActionUpdate {
		t.Fatalf("update to the current data wrote revision %d (hook saw %s)", same.RevisionInfo.Number, seen[2].Action)
	}
	if n := e.noteCount(); n != 3 {
		t.Fatalf("%d notes after three writes, want 3", n)
	}
	// Notes were written by the caller.
	page, err := e.svc.List(e.ctx, e.Note, resource.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range page.Items {
		if it.Meta.CreatedBy != "alice" {
			t.Fatalf("note created by %q, want alice", it.Meta.CreatedBy)
		}
	}
}

func testHookRollback(t *testing.T, e *env) {
	fail := errors.New("boom")
	var mode string
	e.withOptions(resource.WithHooks(e.Post, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
			if _, err := e.svc.Create(ctx, e.Note, json.RawMessage(`{"n":1}`), resource.WriteOptions{}); err != nil {
				return nil, err
			}
			switch mode {
			case "error":
				return nil, fail
			case "panic":
				panic("hook panic")
			case "taken slug":
				return setMember(t, w.Data, "slug", "taken"), nil
			}
			return nil, nil
		},
	}))
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	e.create(e.Post, `{"slug":"taken","author":"`+a+`"}`)
	if n := e.noteCount(); n != 1 {
		t.Fatalf("%d notes, want 1", n)
	}
	for _, m := range []string{"error", "panic", "taken slug"} {
		mode = m
		_, err := e.svc.Create(e.ctx, e.Post, json.RawMessage(`{"slug":"new","author":"`+a+`"}`), resource.WriteOptions{})
		switch {
		case m == "error" && !errors.Is(err, fail):
			t.Fatalf("%s: error %v, want the hook's", m, err)
		case m == "panic" && (err == nil || resource.CodeOf(err) != resource.CodeInternal || !strings.Contains(err.Error(), "hook panic")):
			t.Fatalf("%s: error %v, want an internal error naming the panic", m, err)
		case m == "taken slug":
			wantField(t, wantCode(t, err, resource.CodeConflict), "slug")
		}
		if n := e.noteCount(); n != 1 {
			t.Fatalf("%s: %d notes after a failed call, want 1: the hook's write was not rolled back", m, n)
		}
		if ids := e.list(e.Post); len(ids) != 1 {
			t.Fatalf("%s: %d posts after a failed call, want 1", m, len(ids))
		}
	}
}

func testHookNestedFailure(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	e.create(e.Post, `{"slug":"taken","author":"`+a+`"}`)
	e.withOptions(resource.WithHooks(e.Note, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
			// The nested create breaks uniqueness; the hook ignores it.
			_, _ = e.svc.Create(ctx, e.Post, json.RawMessage(`{"slug":"taken","author":"`+a+`"}`), resource.WriteOptions{})
			return nil, nil
		},
	}))
	_, err := e.svc.Create(e.ctx, e.Note, json.RawMessage(`{}`), resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "slug")
	if n := e.noteCount(); n != 0 {
		t.Fatalf("%d notes after a failed nested write, want 0", n)
	}
	if ids := e.list(e.Post); len(ids) != 1 {
		t.Fatalf("%d posts, want 1", len(ids))
	}
}

func testHookReadsOwnWrites(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	e.withOptions(resource.WithHooks(e.Post, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
			n, err := e.svc.Create(ctx, e.Note, json.RawMessage(`{"k":"v"}`), resource.WriteOptions{})
			if err != nil {
				return nil, err
			}
			got, err := e.svc.Get(ctx, e.Note, n.Meta.ResourceID, resource.ReadOptions{})
			if err != nil {
				return nil, err
			}
			page, err := e.svc.List(ctx, e.Note, resource.ListQuery{Count: true})
			if err != nil {
				return nil, err
			}
			if got.Meta.ResourceID != n.Meta.ResourceID || *page.Total != 1 {
				return nil, resource.Invalid("note", "the hook does not see its own write")
			}
			// The author, read inside the transaction, can be changed too.
			_, err = e.svc.Update(ctx, e.Author, a, json.RawMessage(`{"email":"a@example.com","name":"has posts"}`), resource.WriteOptions{})
			return nil, err
		},
	}))
	e.create(e.Post, `{"slug":"p","author":"`+a+`"}`)
	wantJSON(t, e.get(e.Author, a).Data, `{"email":"a@example.com","name":"has posts"}`)
}

func testHookErrors(t *testing.T, e *env) {
	var ret error
	e.withOptions(resource.WithHooks(e.Note, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) { return nil, ret },
	}))
	tests := []struct {
		name   string
		err    error
		code   resource.Code
		status int
	}{
		{name: "validation", err: resource.Invalid("title", "must not shout"), code: resource.CodeValidation, status: 422},
		{name: "forbidden", err: resource.Forbidden("notes are closed"), code: resource.CodeForbidden, status: 403},
		{name: "not found", err: resource.Errorf(resource.CodeNotFound, "no such thing"), code: resource.CodeNotFound, status: 404},
		{name: "conflict", err: resource.Errorf(resource.CodeConflict, "busy"), code: resource.CodeConflict, status: 409},
		{name: "custom", err: resource.NewError(http.StatusPaymentRequired, "QUOTA_EXCEEDED", "the plan's quota is used up"), code: "QUOTA_EXCEEDED", status: 402},
		{name: "wrapped", err: fmtErr(resource.Forbidden("wrapped")), code: resource.CodeForbidden, status: 403},
		{name: "plain", err: errors.New("secret cause"), code: resource.CodeInternal, status: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ret = tt.err
			_, err := e.svc.Create(e.ctx, e.Note, json.RawMessage(`{}`), resource.WriteOptions{})
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v does not wrap the hook's %v", err, tt.err)
			}
			var re *resource.Error
			switch {
			case tt.code == resource.CodeInternal:
				if errors.As(err, &re) {
					t.Fatalf("a plain error became %+v", re)
				}
			case !errors.As(err, &re) || re.Code != tt.code || re.HTTPStatus() != tt.status:
				t.Fatalf("error %v, want code %s status %d", err, tt.code, tt.status)
			}
		})
	}
	if n := e.noteCount(); n != 0 {
		t.Fatalf("%d notes after refused writes", n)
	}
}

// fmtErr wraps err as user code often does.
func fmtErr(err error) error { return &wrapped{err} }

type wrapped struct{ err error }

func (w *wrapped) Error() string { return "hook: " + w.err.Error() }
func (w *wrapped) Unwrap() error { return w.err }

func testHookRefusals(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`"}`).Meta.ResourceID
	e.update(e.Post, p, `{"slug":"p","author":"`+a+`","title":"v2"}`)
	l := e.create(e.Like, `{"post":"`+p+`"}`).Meta.ResourceID
	var events []string
	refuse := map[resource.Action]bool{}
	hook := func(ctx context.Context, ev *resource.Event) error {
		events = append(events, string(ev.Action)+" "+ev.Current.Meta.ResourceID)
		if ev.Action == resource.ActionSwitch && (ev.Target == nil || ev.Target.Info.Number != 1) {
			return errors.New("switch event without its target")
		}
		if refuse[ev.Action] {
			return resource.Forbidden("%s refused", ev.Action)
		}
		return nil
	}
	hooks := resource.Hooks{BeforeDelete: hook, BeforeRestore: hook, BeforeSwitch: hook}
	e.withOptions(resource.WithHooks(e.Post, hooks), resource.WithHooks(e.Like, hooks))

	refuse[resource.ActionSwitch] = true
	_, err := e.svc.Switch(e.ctx, e.Post, p, "1", resource.WriteOptions{})
	wantCode(t, err, resource.CodeForbidden)
	if n := e.get(e.Post, p).RevisionInfo.Number; n != 2 {
		t.Fatalf("refused switch moved to revision %d", n)
	}
	// A cascade runs the hooks of what it deletes: refusing the like
	// refuses deleting the author.
	refuse = map[resource.Action]bool{resource.ActionDelete: true}
	events = nil
	_, err = e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{})
	wantCode(t, err, resource.CodeForbidden)
	if len(events) == 0 || e.get(e.Post, p).Meta.IsDeleted || e.get(e.Author, a).Meta.IsDeleted || e.get(e.Like, l).Meta.IsDeleted {
		t.Fatalf("refused cascade: events %v; something was deleted", events)
	}
	refuse = map[resource.Action]bool{}
	events = nil
	if _, err := e.svc.Switch(e.ctx, e.Post, p, "1", resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"switch " + p, "delete " + p, "delete " + l}
	if !slices.Equal(events, want) {
		t.Fatalf("events %v, want %v", events, want)
	}
	if _, err := e.svc.Restore(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	refuse[resource.ActionRestore] = true
	_, err = e.svc.Restore(e.ctx, e.Post, p, resource.WriteOptions{})
	wantCode(t, err, resource.CodeForbidden)
	if !e.get(e.Post, p).Meta.IsDeleted {
		t.Fatal("refused restore restored")
	}
	refuse[resource.ActionPurge] = true
	err = e.svc.Purge(e.ctx, e.Post, p, resource.WriteOptions{})
	wantCode(t, err, resource.CodeForbidden)
	e.get(e.Post, p)
}

func testAfterCommit(t *testing.T, e *env) {
	var got []string
	fail := false
	e.withOptions(
		resource.WithHooks(e.Post, resource.Hooks{
			BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
				if fail {
					return nil, resource.Invalid("slug", "no")
				}
				return nil, nil
			},
			AfterCommit: func(ctx context.Context, c resource.Change) error {
				if resource.TxFrom(ctx) != nil {
					got = append(got, "inside a transaction")
				}
				got = append(got, string(c.Op)+" "+c.Kind.Name)
				return errors.New("after-commit errors are logged")
			},
		}),
		resource.WithHooks(e.Like, resource.Hooks{
			AfterCommit: func(ctx context.Context, c resource.Change) error {
				got = append(got, string(c.Op)+" "+c.Kind.Name)
				panic("after commit panics")
			},
		}),
	)
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`"}`).Meta.ResourceID
	e.create(e.Like, `{"post":"`+p+`"}`) // its hook panics; the create stands
	fail = true
	if _, err := e.svc.Update(e.ctx, e.Post, p, json.RawMessage(`{"slug":"q","author":"`+a+`"}`), resource.WriteOptions{}); err == nil {
		t.Fatal("the refused update succeeded")
	}
	fail = false
	if _, err := e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"created Post", "created Like", "deleted Like", "deleted Post"} // a cascade deletes referrers first
	if !slices.Equal(got, want) {
		t.Fatalf("after-commit calls %v, want %v", got, want)
	}
	if n := len(e.list(e.Like)); n != 0 {
		t.Fatalf("%d likes live after the cascade", n)
	}
}

func testHookRecursion(t *testing.T, e *env) {
	e.withOptions(resource.WithHooks(e.Note, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
			_, err := e.svc.Create(ctx, e.Note, json.RawMessage(`{}`), resource.WriteOptions{})
			return nil, err
		},
	}))
	_, err := e.svc.Create(e.ctx, e.Note, json.RawMessage(`{}`), resource.WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "nested writes") {
		t.Fatalf("error %v, want the nesting limit", err)
	}
	if n := e.noteCount(); n != 0 {
		t.Fatalf("%d notes after a failed recursion", n)
	}
}

func testHookTxEnds(t *testing.T, e *env) {
	var kept context.Context
	e.withOptions(resource.WithHooks(e.Note, resource.Hooks{
		BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
			if resource.TxFrom(ctx) != w.Tx || w.Tx == nil {
				return nil, errors.New("the hook's context does not carry its Tx")
			}
			kept = ctx
			return nil, nil
		},
	}))
	e.create(e.Note, `{}`)
	if _, err := e.svc.Create(kept, e.Note, json.RawMessage(`{}`), resource.WriteOptions{}); err == nil || !strings.Contains(err.Error(), "ended") {
		t.Fatalf("write in an ended transaction: %v", err)
	}
	if _, err := e.svc.List(kept, e.Note, resource.ListQuery{}); err == nil {
		t.Fatal("read in an ended transaction succeeded")
	}
	if n := e.noteCount(); n != 1 {
		t.Fatalf("%d notes, want 1", n)
	}
}

func testAuthorizer(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`"}`).Meta.ResourceID
	var asked []string
	e.withOptions(
		resource.WithAuthorizer(func(ctx context.Context, k *resource.Kind, act resource.Action) error {
			asked = append(asked, k.Name+" "+string(act))
			if resource.PrincipalFrom(ctx).HasRole("admin") {
				return nil
			}
			if k == e.Author || act == resource.ActionDelete {
				return resource.Forbidden("%s %s is not allowed", act, k.Name)
			}
			return nil
		}),
		resource.WithHooks(e.Post, resource.Hooks{
			// Hooks act for the caller without asking again.
			BeforeWrite: func(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
				_, err := e.svc.Get(ctx, e.Author, a, resource.ReadOptions{})
				return nil, err
			},
		}),
	)
	_, err := e.svc.Get(e.ctx, e.Author, a, resource.ReadOptions{})
	wantCode(t, err, resource.CodeForbidden)
	_, err = e.svc.Delete(e.ctx, e.Post, p, resource.WriteOptions{})
	wantCode(t, err, resource.CodeForbidden)
	page, err := e.svc.List(e.ctx, e.Post, resource.ListQuery{Expand: []string{"author"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := page.Items[0].Expand["author"]; got != (*resource.Envelope)(nil) {
		t.Fatalf("expand of an unreadable kind embedded %v", got)
	}
	env, err := e.svc.Get(e.ctx, e.Post, p, resource.ReadOptions{Expand: []string{"author"}})
	if err != nil || env.Expand["author"] != (*resource.Envelope)(nil) {
		t.Fatalf("get with expand of an unreadable kind: %v, %v", env, err)
	}
	many, err := e.svc.GetMany(e.ctx, e.Author, []string{a})
	if err != nil || len(many) != 0 {
		t.Fatalf("GetMany of an unreadable kind: %v, %v", many, err)
	}
	if _, err := e.svc.Update(e.ctx, e.Post, p, json.RawMessage(`{"slug":"p2","author":"`+a+`"}`), resource.WriteOptions{}); err != nil {
		t.Fatalf("update whose hook reads an unreadable kind: %v", err)
	}
	asked = nil
	admin := resource.WithPrincipal(context.Background(), &resource.Principal{ID: "root", Roles: []string{"admin"}})
	if _, err := e.svc.Delete(admin, e.Post, p, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []string{"Post delete"}) {
		t.Fatalf("authorizer asked %v, want once for the call", asked)
	}
	if got := e.get(e.Post, p).Meta.UpdatedBy; got != "root" {
		t.Fatalf("updated_by %q, want the principal's id", got)
	}
}

func testGetProjection(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com","name":"Ada"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","title":"T","author":"`+a+`"}`).Meta.ResourceID
	e.update(e.Post, p, `{"slug":"p","title":"T2","author":"`+a+`"}`)
	for _, rev := range []string{"", "1"} {
		env, err := e.svc.Get(e.ctx, e.Post, p, resource.ReadOptions{Revision: rev, Fields: []string{"title", "author"}, Expand: []string{"author"}})
		if err != nil {
			t.Fatal(err)
		}
		title := "T2"
		if rev == "1" {
			title = "T"
		}
		wantJSON(t, env.Data, `{"title":"`+title+`","author":"`+a+`"}`)
		author, ok := env.Expand["author"].(*resource.Envelope)
		if !ok || author.Meta.ResourceID != a {
			t.Fatalf("revision %q: expand author = %v", rev, env.Expand["author"])
		}
	}
	_, err := e.svc.Get(e.ctx, e.Post, p, resource.ReadOptions{Expand: []string{"title"}})
	wantField(t, wantCode(t, err, resource.CodeBadRequest), "expand")
}

func testReferrers(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p1 := e.create(e.Post, `{"slug":"p1","author":"`+a+`"}`).Meta.ResourceID
	p2 := e.create(e.Post, `{"slug":"p2","author":"`+a+`","editor":"`+a+`"}`).Meta.ResourceID
	p3 := e.create(e.Post, `{"slug":"p3","author":"`+a+`"}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Post, p3, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Referrers(e.ctx, e.Author, a)
	if err != nil {
		t.Fatal(err)
	}
	want := []resource.ReferrerGroup{
		{Resource: "Post", Path: "posts", Field: "author", IDs: []string{p1, p2}},
		{Resource: "Post", Path: "posts", Field: "editor", IDs: []string{p2}},
	}
	if len(got) != len(want) {
		t.Fatalf("referrers %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Resource != want[i].Resource || got[i].Field != want[i].Field || !slices.Equal(got[i].IDs, want[i].IDs) {
			t.Fatalf("referrers %+v, want %+v", got, want)
		}
	}
	none, err := e.svc.Referrers(e.ctx, e.Post, p1)
	if err != nil || len(none) != 0 {
		t.Fatalf("referrers of an unreferenced post: %+v, %v", none, err)
	}
	_, err = e.svc.Referrers(e.ctx, e.Author, "nope")
	wantCode(t, err, resource.CodeNotFound)
	_, err = e.svc.Referrers(e.ctx, e.Post, p3)
	wantCode(t, err, resource.CodeGone)
}

// testTransaction checks Service.Transaction (its calls commit together or
// not at all), the Tx's OnCommit and OnRollback callbacks (one or the
// other, once, after the transaction ends), StoreTx (the backend's
// Writer) and a create with a given id (WriteOptions.ID).
func testTransaction(t *testing.T, e *env) {
	var committed, rolledBack int
	run := func(fail bool) error {
		return e.svc.Transaction(e.ctx, func(ctx context.Context, tx *resource.Tx) error {
			if tx.StoreTx() == nil {
				t.Fatal("StoreTx is nil inside a transaction")
			}
			tx.OnCommit(func() { committed++ })
			tx.OnRollback(func() { rolledBack++ })
			for range 2 {
				if _, err := e.svc.Create(ctx, e.Note, json.RawMessage(`{"n":1}`), resource.WriteOptions{}); err != nil {
					return err
				}
			}
			if fail {
				return errors.New("refused")
			}
			return nil
		})
	}
	if err := run(false); err != nil {
		t.Fatal(err)
	}
	if n := e.noteCount(); n != 2 || committed != 1 || rolledBack != 0 {
		t.Fatalf("after a committed transaction: %d notes, %d commit and %d rollback callbacks; want 2, 1, 0", n, committed, rolledBack)
	}
	if err := run(true); err == nil || err.Error() != "refused" {
		t.Fatalf("Transaction = %v, want fn's error as it is", err)
	}
	if n := e.noteCount(); n != 2 || committed != 1 || rolledBack != 1 {
		t.Fatalf("after a failed transaction: %d notes, %d commit and %d rollback callbacks; want 2, 1, 1", n, committed, rolledBack)
	}

	// A failed call inside fails the transaction even when fn ignores it.
	err := e.svc.Transaction(e.ctx, func(ctx context.Context, tx *resource.Tx) error {
		tx.OnCommit(func() { committed++ })
		e.svc.Create(ctx, e.Note, json.RawMessage(`{"n":1}`), resource.WriteOptions{})
		e.svc.Update(ctx, e.Note, "no-such-note", json.RawMessage(`{"n":2}`), resource.WriteOptions{})
		return nil
	})
	if resource.CodeOf(err) != resource.CodeNotFound || e.noteCount() != 2 || committed != 1 {
		t.Fatalf("Transaction with a failed call = %v (%d notes, %d commits), want the 404, nothing written, no commit callback", err, e.noteCount(), committed)
	}

	// A given id, and a taken one.
	env, err := e.svc.Create(e.ctx, e.Note, json.RawMessage(`{"n":3}`), resource.WriteOptions{ID: "42"})
	if err != nil || env.Meta.ResourceID != "42" || env.RevisionInfo.RevisionID != "42:1" {
		t.Fatalf("Create with ID 42 = %+v, %v", env, err)
	}
	_, err = e.svc.Create(e.ctx, e.Note, json.RawMessage(`{"n":4}`), resource.WriteOptions{ID: "42"})
	wantCode(t, err, resource.CodeConflict)
	_, err = e.svc.Create(e.ctx, e.Note, json.RawMessage(`{"n":4}`), resource.WriteOptions{ID: "a/b"})
	wantCode(t, err, resource.CodeBadRequest)

	// Inside a hook's transaction, Transaction joins it.
	e.withOptions(resource.WithHooks(e.Post, resource.Hooks{
		AfterWrite: func(ctx context.Context, w *resource.Write, stored *resource.Envelope) error {
			return e.svc.Transaction(ctx, func(ctx context.Context, tx *resource.Tx) error {
				if tx != w.Tx {
					t.Error("Transaction inside a hook did not join the hook's transaction")
				}
				_, err := e.svc.Create(ctx, e.Note, json.RawMessage(`{"n":5}`), resource.WriteOptions{})
				return err
			})
		},
	}))
	a := e.create(e.Author, `{"email":"tx@example.com"}`).Meta.ResourceID
	e.create(e.Post, `{"slug":"tx","author":"`+a+`"}`)
	if n := e.noteCount(); n != 4 {
		t.Fatalf("%d notes, want 4", n)
	}
}
