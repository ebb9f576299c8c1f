package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/specstar-go/specstar/runtime/resource"
)

func testCreate(t *testing.T, e *env) {
	data := `{"name":"Ann","email":"ann@example.com"}`
	got := e.create(e.Author, data)
	id := got.Meta.ResourceID
	now := epoch().UTC().Truncate(time.Microsecond)
	want := &resource.Envelope{
		Data: json.RawMessage(data),
		Meta: resource.Meta{
			ResourceID: id, CurrentRevisionID: id + ":1", TotalRevisionCount: 1, SchemaVersion: 1,
			CreatedTime: now, CreatedBy: "alice", UpdatedTime: now, UpdatedBy: "alice",
		},
		RevisionInfo: resource.RevisionInfo{
			RevisionID: id + ":1", ResourceID: id, Number: 1, Status: resource.StatusStable,
			DataHash: resource.DataHash([]byte(data)), SchemaVersion: 1,
			CreatedTime: now, CreatedBy: "alice", UpdatedTime: now, UpdatedBy: "alice",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Create (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.RevisionInfo.DataHash, "sha256:") || len(got.RevisionInfo.DataHash) != len("sha256:")+64 {
		t.Fatalf("data hash = %q, want sha256:<64 hex>", got.RevisionInfo.DataHash)
	}
	if diff := cmp.Diff(want, e.get(e.Author, id)); diff != "" {
		t.Fatalf("Get after Create (-want +got):\n%s", diff)
	}
	if tag := resource.ETag(&got.RevisionInfo); tag != `"`+id+`:1"` {
		t.Fatalf("ETag = %s, want %q", tag, id+":1")
	}
	rev, err := e.svc.Revision(e.ctx, e.Author, id, "1", resource.RevisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.RevisionInfo, rev.Info); diff != "" {
		t.Fatalf("Revision 1 (-want +got):\n%s", diff)
	}
	wantJSON(t, rev.Data, data)
}

func testCreateOptions(t *testing.T, e *env) {
	tests := []struct {
		name string
		data string
		o    resource.WriteOptions
		code resource.Code // "" for success
	}{
		{name: "draft", data: `{}`, o: resource.WriteOptions{Status: "draft"}},
		{name: "explicit stable", data: `{}`, o: resource.WriteOptions{Status: "stable"}},
		{name: "bad status", data: `{}`, o: resource.WriteOptions{Status: "final"}, code: resource.CodeBadRequest},
		{name: "modify", data: `{}`, o: resource.WriteOptions{Mode: "modify"}, code: resource.CodeBadRequest},
		{name: "if-match", data: `{}`, o: resource.WriteOptions{IfMatch: "*"}, code: resource.CodePreconditionFailed},
		{name: "array", data: `[1]`, code: resource.CodeValidation},
		{name: "invalid JSON", data: `{"a":`, code: resource.CodeValidation},
		{name: "empty", data: ``, code: resource.CodeValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := e.svc.Create(e.ctx, e.Note, json.RawMessage(tt.data), tt.o)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := resource.StatusStable
			if tt.o.Status == resource.StatusDraft {
				want = resource.StatusDraft
			}
			if env.RevisionInfo.Status != want {
				t.Fatalf("status = %q, want %q", env.RevisionInfo.Status, want)
			}
		})
	}
	n, err := e.svc.Count(e.ctx, e.Note, resource.ListQuery{})
	if err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2 (failed creates store nothing)", n, err)
	}
}

func testUUIDv7(t *testing.T, e *env) {
	svc := resource.NewService(e.b, e.Schema)
	var prev string
	for range 3 {
		env, err := svc.Create(context.Background(), e.Note, json.RawMessage(`{}`), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		id := env.Meta.ResourceID
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Fatalf("id %q is not a UUIDv7 (%v)", id, err)
		}
		if id <= prev {
			t.Fatalf("id %q does not sort after %q", id, prev)
		}
		if env.Meta.CreatedBy != resource.Anonymous {
			t.Fatalf("created_by = %q without a subject, want %q", env.Meta.CreatedBy, resource.Anonymous)
		}
		prev = id
	}
}

func testSubjectAndTimes(t *testing.T, e *env) {
	created := e.create(e.Note, `{"v":1}`)
	id := created.Meta.ResourceID
	e.clock.Add(90*time.Minute + 999*time.Nanosecond)
	bob := resource.WithSubject(context.Background(), "bob")
	updated, err := e.svc.Update(bob, e.Note, id, json.RawMessage(`{"v":2}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := e.get(e.Note, id)
	t0 := epoch().UTC().Truncate(time.Microsecond)
	t1 := epoch().Add(90*time.Minute + 999*time.Nanosecond).UTC().Truncate(time.Microsecond)
	checks := []struct {
		name string
		got  time.Time
		want time.Time
	}{
		{name: "meta created", got: got.Meta.CreatedTime, want: t0},
		{name: "meta updated", got: got.Meta.UpdatedTime, want: t1},
		{name: "revision created", got: got.RevisionInfo.CreatedTime, want: t1},
		{name: "update result", got: updated.Meta.UpdatedTime, want: t1},
	}
	for _, c := range checks {
		if !c.got.Equal(c.want) || c.got.Location() != time.UTC || c.got.Nanosecond()%1000 != 0 {
			t.Errorf("%s time = %v, want %v in UTC, whole microseconds", c.name, c.got, c.want)
		}
	}
	if got.Meta.CreatedBy != "alice" || got.Meta.UpdatedBy != "bob" || got.RevisionInfo.CreatedBy != "bob" {
		t.Fatalf("by = created %q, updated %q, revision %q; want alice, bob, bob",
			got.Meta.CreatedBy, got.Meta.UpdatedBy, got.RevisionInfo.CreatedBy)
	}
}

func testUpdate(t *testing.T, e *env) {
	first := e.create(e.Note, `{"v":1}`)
	id := first.Meta.ResourceID
	e.clock.Add(time.Second)
	got := e.update(e.Note, id, `{"v":2}`)
	parent := id + ":1"
	if got.RevisionInfo.RevisionID != id+":2" || got.RevisionInfo.Number != 2 ||
		got.RevisionInfo.ParentRevisionID == nil || *got.RevisionInfo.ParentRevisionID != parent {
		t.Fatalf("revision info = %+v, want %s:2 with parent %s", got.RevisionInfo, id, parent)
	}
	if got.Meta.CurrentRevisionID != id+":2" || got.Meta.TotalRevisionCount != 2 {
		t.Fatalf("meta = %+v, want current %s:2 and 2 revisions", got.Meta, id)
	}
	if !got.Meta.CreatedTime.Equal(first.Meta.CreatedTime) || got.Meta.UpdatedTime.Equal(first.Meta.UpdatedTime) {
		t.Fatalf("times = %+v, want created kept and updated moved", got.Meta)
	}
	wantJSON(t, e.get(e.Note, id).Data, `{"v":2}`)
	old, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{Revision: "1"})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, old.Data, `{"v":1}`)
	if old.RevisionInfo.Number != 1 || old.Meta.CurrentRevisionID != id+":2" {
		t.Fatalf("Get revision 1 = %+v / %+v, want revision 1 with current meta", old.RevisionInfo, old.Meta)
	}
	if got := e.numbers(e.Note, id, false); !slices.Equal(got, []int{2, 1}) {
		t.Fatalf("revisions = %v, want [2 1]", got)
	}
	_, err = e.svc.Update(e.ctx, e.Note, id, json.RawMessage(`[]`), resource.WriteOptions{})
	wantCode(t, err, resource.CodeValidation)
	_, err = e.svc.Update(e.ctx, e.Note, id, json.RawMessage(`{}`), resource.WriteOptions{Mode: "replace"})
	wantCode(t, err, resource.CodeBadRequest)
}

func testDedupe(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	e.clock.Add(time.Second)
	same := e.update(e.Note, id, `{"v":1}`)
	if same.RevisionInfo.Number != 1 || same.Meta.TotalRevisionCount != 1 {
		t.Fatalf("identical update wrote revision %d (count %d), want none", same.RevisionInfo.Number, same.Meta.TotalRevisionCount)
	}
	if !same.Meta.UpdatedTime.Equal(epoch().UTC().Truncate(time.Microsecond)) {
		t.Fatalf("identical update changed updated_time to %v", same.Meta.UpdatedTime)
	}
	// Same data, other status: a new revision.
	draft, err := e.svc.Update(e.ctx, e.Note, id, json.RawMessage(`{"v":1}`), resource.WriteOptions{Status: "draft"})
	if err != nil {
		t.Fatal(err)
	}
	if draft.RevisionInfo.Number != 2 || draft.RevisionInfo.Status != resource.StatusDraft {
		t.Fatalf("status change = revision %d %s, want 2 draft", draft.RevisionInfo.Number, draft.RevisionInfo.Status)
	}
	if got := e.numbers(e.Note, id, false); !slices.Equal(got, []int{2, 1}) {
		t.Fatalf("revisions = %v, want [2 1]", got)
	}
}

func testPatch(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	var seen string
	got, err := e.svc.Patch(e.ctx, e.Note, id, func(cur json.RawMessage) (json.RawMessage, error) {
		seen = string(cur)
		return json.RawMessage(`{"v":2}`), nil
	}, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if seen != `{"v":1}` || got.RevisionInfo.Number != 2 {
		t.Fatalf("patch saw %s and wrote revision %d, want {\"v\":1} and 2", seen, got.RevisionInfo.Number)
	}
	boom := errors.New("boom")
	_, err = e.svc.Patch(e.ctx, e.Note, id, func(json.RawMessage) (json.RawMessage, error) { return nil, boom }, resource.WriteOptions{})
	if !errors.Is(err, boom) {
		t.Fatalf("Patch error = %v, want the function's error", err)
	}
	invalid := &resource.Error{Code: resource.CodeValidation, Detail: "bad"}
	_, err = e.svc.Patch(e.ctx, e.Note, id, func(json.RawMessage) (json.RawMessage, error) { return nil, invalid }, resource.WriteOptions{})
	if err != invalid {
		t.Fatalf("Patch error = %v, want the function's *Error unchanged", err)
	}
	if got := e.get(e.Note, id); got.Meta.TotalRevisionCount != 2 {
		t.Fatalf("failed patches wrote revisions: count %d", got.Meta.TotalRevisionCount)
	}
}

func testDrafts(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	modify := func(data string, o resource.WriteOptions) (*resource.Envelope, error) {
		o.Mode = resource.ModeModify
		return e.svc.Update(e.ctx, e.Note, id, json.RawMessage(data), o)
	}
	_, err := modify(`{"v":2}`, resource.WriteOptions{})
	wantContains(t, wantCode(t, err, resource.CodeConflict).Detail, "stable")

	e.clock.Add(time.Second)
	d1, err := modify(`{"v":2}`, resource.WriteOptions{Status: "draft"})
	if err != nil {
		t.Fatal(err)
	}
	if d1.RevisionInfo.RevisionID != id+":1" || d1.RevisionInfo.Status != resource.StatusDraft || d1.Meta.TotalRevisionCount != 1 {
		t.Fatalf("modify status=draft = %+v, want revision 1 as a draft", d1.RevisionInfo)
	}
	if d1.RevisionInfo.DataHash != resource.DataHash([]byte(`{"v":2}`)) || !d1.RevisionInfo.UpdatedTime.After(d1.RevisionInfo.CreatedTime) {
		t.Fatalf("draft info = %+v, want new hash and updated_time", d1.RevisionInfo)
	}
	tag1 := resource.ETag(&d1.RevisionInfo)
	hash12 := strings.TrimPrefix(d1.RevisionInfo.DataHash, "sha256:")[:12]
	if tag1 != `"`+id+`:1+`+hash12+`"` {
		t.Fatalf("draft ETag = %s, want revision id + 12 hash digits", tag1)
	}

	d2, err := modify(`{"v":3}`, resource.WriteOptions{IfMatch: tag1})
	if err != nil {
		t.Fatal(err)
	}
	if d2.RevisionInfo.RevisionID != id+":1" || d2.RevisionInfo.Status != resource.StatusDraft {
		t.Fatalf("modify draft = %+v, want revision 1, still a draft", d2.RevisionInfo)
	}
	if tag2 := resource.ETag(&d2.RevisionInfo); tag2 == tag1 {
		t.Fatalf("draft ETag did not change after an edit: %s", tag2)
	}
	_, err = modify(`{"v":4}`, resource.WriteOptions{IfMatch: tag1})
	wantCode(t, err, resource.CodePreconditionFailed)

	rev, err := e.svc.Revision(e.ctx, e.Note, id, "1", resource.RevisionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, rev.Data, `{"v":3}`)
	if rev.Info.Status != resource.StatusDraft {
		t.Fatalf("stored revision status = %q, want draft", rev.Info.Status)
	}

	sealed, err := modify(`{"v":3}`, resource.WriteOptions{Status: "stable"})
	if err != nil {
		t.Fatal(err)
	}
	if sealed.RevisionInfo.RevisionID != id+":1" || sealed.RevisionInfo.Status != resource.StatusStable {
		t.Fatalf("seal = %+v, want revision 1 stable", sealed.RevisionInfo)
	}
	if tag := resource.ETag(&sealed.RevisionInfo); tag != `"`+id+`:1"` {
		t.Fatalf("stable ETag = %s", tag)
	}
	_, err = modify(`{"v":5}`, resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict)

	// A new revision from a draft is an ordinary child of it.
	if _, err := modify(`{"v":5}`, resource.WriteOptions{Status: "draft"}); err != nil {
		t.Fatal(err)
	}
	next := e.update(e.Note, id, `{"v":6}`)
	if next.RevisionInfo.Number != 2 || *next.RevisionInfo.ParentRevisionID != id+":1" || next.RevisionInfo.Status != resource.StatusStable {
		t.Fatalf("update of a draft = %+v, want stable revision 2 with parent 1", next.RevisionInfo)
	}
	if got := e.numbers(e.Note, id, false); !slices.Equal(got, []int{2, 1}) {
		t.Fatalf("revisions = %v, want [2 1]", got)
	}
}

func testIfMatch(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	stale := `"` + id + `:1"`
	e.update(e.Note, id, `{"v":2}`)
	current := `"` + id + `:2"`
	tests := []struct {
		name    string
		ifMatch string
		ok      bool
	}{
		{name: "stale", ifMatch: stale},
		{name: "weak", ifMatch: "W/" + current},
		{name: "garbage", ifMatch: `"nope"`},
		{name: "star", ifMatch: "*", ok: true},
		{name: "quoted", ifMatch: current, ok: true},
		{name: "unquoted", ifMatch: id + ":2", ok: true},
		{name: "list", ifMatch: stale + ", " + current, ok: true},
	}
	ops := []struct {
		name string
		run  func(o resource.WriteOptions) error
	}{
		{name: "update", run: func(o resource.WriteOptions) error {
			_, err := e.svc.Update(e.ctx, e.Note, id, json.RawMessage(`{"v":3}`), o)
			return err
		}},
		{name: "switch", run: func(o resource.WriteOptions) error {
			_, err := e.svc.Switch(e.ctx, e.Note, id, "1", o)
			return err
		}},
		{name: "delete", run: func(o resource.WriteOptions) error {
			_, err := e.svc.Delete(e.ctx, e.Note, id, o)
			return err
		}},
		{name: "purge", run: func(o resource.WriteOptions) error { return e.svc.Purge(e.ctx, e.Note, id, o) }},
	}
	for _, op := range ops {
		for _, tt := range tests {
			if tt.ok {
				continue
			}
			t.Run(op.name+" "+tt.name, func(t *testing.T) {
				wantCode(t, op.run(resource.WriteOptions{IfMatch: tt.ifMatch}), resource.CodePreconditionFailed)
			})
		}
	}
	if got := e.get(e.Note, id); got.Meta.CurrentRevisionID != id+":2" || got.Meta.IsDeleted {
		t.Fatalf("failed preconditions changed the resource: %+v", got.Meta)
	}
	for _, tt := range tests {
		if !tt.ok {
			continue
		}
		t.Run("update "+tt.name, func(t *testing.T) {
			// Each accepted write moves the ETag, so start from a fresh
			// resource for every case.
			rid := e.create(e.Note, `{"v":1}`).Meta.ResourceID
			e.update(e.Note, rid, `{"v":2}`)
			tag := strings.ReplaceAll(tt.ifMatch, id, rid)
			if _, err := e.svc.Update(e.ctx, e.Note, rid, json.RawMessage(`{"v":3}`), resource.WriteOptions{IfMatch: tag}); err != nil {
				t.Fatalf("If-Match %s: %v", tag, err)
			}
		})
	}
	// Restore honours If-Match on the deleted resource's current revision.
	deleted, err := e.svc.Delete(e.ctx, e.Note, id, resource.WriteOptions{IfMatch: current})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Restore(e.ctx, e.Note, id, resource.WriteOptions{IfMatch: stale})
	wantCode(t, err, resource.CodePreconditionFailed)
	if _, err := e.svc.Restore(e.ctx, e.Note, id, resource.WriteOptions{IfMatch: resource.ETag(&deleted.RevisionInfo)}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Purge(e.ctx, e.Note, id, resource.WriteOptions{IfMatch: current}); err != nil {
		t.Fatal(err)
	}
}

func testSwitch(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	e.update(e.Note, id, `{"v":2}`)
	e.update(e.Note, id, `{"v":3}`)
	e.clock.Add(time.Minute)
	sw, err := e.svc.Switch(e.ctx, e.Note, id, "1", resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sw.Meta.CurrentRevisionID != id+":1" || sw.Meta.TotalRevisionCount != 3 || sw.RevisionInfo.Number != 1 {
		t.Fatalf("switch = %+v / %+v, want current revision 1 of 3", sw.Meta, sw.RevisionInfo)
	}
	if !sw.Meta.UpdatedTime.After(sw.Meta.CreatedTime) {
		t.Fatalf("switch did not touch updated_time")
	}
	got := e.get(e.Note, id)
	wantJSON(t, got.Data, `{"v":1}`)
	if got.Meta.CurrentRevisionID != id+":1" {
		t.Fatalf("current after switch = %s", got.Meta.CurrentRevisionID)
	}
	if n := e.numbers(e.Note, id, false); !slices.Equal(n, []int{3, 2, 1}) {
		t.Fatalf("switch wrote a revision: %v", n)
	}
	branch := e.update(e.Note, id, `{"v":4}`)
	if branch.RevisionInfo.Number != 4 || *branch.RevisionInfo.ParentRevisionID != id+":1" {
		t.Fatalf("branch = %+v, want revision 4 with parent 1", branch.RevisionInfo)
	}
	if n := e.numbers(e.Note, id, true); !slices.Equal(n, []int{4, 1}) {
		t.Fatalf("chain = %v, want [4 1]", n)
	}
	if n := e.numbers(e.Note, id, false); !slices.Equal(n, []int{4, 3, 2, 1}) {
		t.Fatalf("revisions = %v, want [4 3 2 1]", n)
	}
	if sw, err := e.svc.Switch(e.ctx, e.Note, id, id+":3", resource.WriteOptions{}); err != nil || sw.RevisionInfo.Number != 3 {
		t.Fatalf("switch by full id = %v, %v", sw, err)
	}
	if sw, err := e.svc.Switch(e.ctx, e.Note, id, "3", resource.WriteOptions{}); err != nil || sw.Meta.CurrentRevisionID != id+":3" {
		t.Fatalf("switch to current = %v, %v", sw, err)
	}
	other := e.create(e.Note, `{}`).Meta.ResourceID
	for _, rev := range []string{"9", "0", "-1", "x", other + ":1", id + ":9", ""} {
		_, err := e.svc.Switch(e.ctx, e.Note, id, rev, resource.WriteOptions{})
		wantCode(t, err, resource.CodeNotFound)
	}
}

func testSwitchChecks(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"x@example.com"}`).Meta.ResourceID
	e.update(e.Author, a, `{"email":"y@example.com"}`)
	e.create(e.Author, `{"email":"x@example.com"}`)
	_, err := e.svc.Switch(e.ctx, e.Author, a, "1", resource.WriteOptions{})
	ue := wantCode(t, err, resource.CodeConflict)
	wantField(t, ue, "email")
	if got := e.get(e.Author, a); got.Meta.CurrentRevisionID != a+":2" {
		t.Fatalf("failed switch moved current to %s", got.Meta.CurrentRevisionID)
	}

	ed := e.create(e.Author, `{"email":"ed@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`","editor":"`+ed+`"}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Author, ed, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// set_null wrote revision 2 without the editor; revision 1 names a
	// deleted author.
	_, err = e.svc.Switch(e.ctx, e.Post, p, "1", resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeValidation), "editor")
}
