package resourcetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
)

func testDeleteRestorePurge(t *testing.T, e *env) {
	id := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	e.clock.Add(time.Second)
	del, err := e.svc.Delete(e.ctx, e.Note, id, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !del.Meta.IsDeleted || del.Meta.TotalRevisionCount != 1 || !del.Meta.UpdatedTime.After(del.Meta.CreatedTime) {
		t.Fatalf("delete = %+v, want deleted, no new revision, updated_time moved", del.Meta)
	}
	gone := []struct {
		name string
		run  func() error
	}{
		{name: "get", run: func() error {
			_, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{})
			return err
		}},
		{name: "get revision", run: func() error {
			_, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{Revision: "1"})
			return err
		}},
		{name: "update", run: func() error {
			_, err := e.svc.Update(e.ctx, e.Note, id, json.RawMessage(`{"v":2}`), resource.WriteOptions{})
			return err
		}},
		{name: "delete again", run: func() error {
			_, err := e.svc.Delete(e.ctx, e.Note, id, resource.WriteOptions{})
			return err
		}},
		{name: "switch", run: func() error {
			_, err := e.svc.Switch(e.ctx, e.Note, id, "1", resource.WriteOptions{})
			return err
		}},
		{name: "revisions", run: func() error {
			_, err := e.svc.Revisions(e.ctx, e.Note, id, resource.RevisionQuery{})
			return err
		}},
		{name: "revision", run: func() error {
			_, err := e.svc.Revision(e.ctx, e.Note, id, "1", resource.RevisionOptions{})
			return err
		}},
		{name: "diff", run: func() error {
			_, err := e.svc.Diff(e.ctx, e.Note, id, "1", "", resource.RevisionOptions{})
			return err
		}},
	}
	for _, tt := range gone {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.run(), resource.CodeGone) })
	}
	got, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{IncludeDeleted: true})
	if err != nil || !got.Meta.IsDeleted {
		t.Fatalf("Get include_deleted = %+v, %v", got, err)
	}
	if _, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{IncludeDeleted: true, Revision: "1"}); err != nil {
		t.Fatalf("Get include_deleted revision 1: %v", err)
	}
	testDeletedHistory(t, e, id)

	e.clock.Add(time.Second)
	restored, err := e.svc.Restore(e.ctx, e.Note, id, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if restored.Meta.IsDeleted || restored.Meta.TotalRevisionCount != 1 || !restored.Meta.UpdatedTime.After(del.Meta.UpdatedTime) {
		t.Fatalf("restore = %+v", restored.Meta)
	}
	_, err = e.svc.Restore(e.ctx, e.Note, id, resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict)
	wantJSON(t, e.get(e.Note, id).Data, `{"v":1}`)

	// Purge works on live and on deleted resources.
	if err := e.svc.Purge(e.ctx, e.Note, id, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	other := e.create(e.Note, `{}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Note, other, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Purge(e.ctx, e.Note, other, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, pid := range []string{id, other} {
		_, err := e.svc.Get(e.ctx, e.Note, pid, resource.ReadOptions{IncludeDeleted: true})
		wantCode(t, err, resource.CodeNotFound)
		err = e.b.View(e.ctx, func(r resource.Reader) error {
			_, err := r.Revision(e.Note, pid, 1)
			return err
		})
		if err != resource.ErrNotFound {
			t.Fatalf("revision of a purged resource: %v, want ErrNotFound", err)
		}
	}
	n, err := e.svc.Count(e.ctx, e.Note, resource.ListQuery{IncludeDeleted: true})
	if err != nil || n != 0 {
		t.Fatalf("Count after purge = %d, %v", n, err)
	}
}

// testDeletedHistory checks that the history of the soft-deleted resource
// id (one revision, {"v":1}) is readable with IncludeDeleted (engine
// decision 1), and that reading it changes nothing.
func testDeletedHistory(t *testing.T, e *env, id string) {
	t.Helper()
	before := e.get(e.Note, id)
	incl := resource.RevisionOptions{IncludeDeleted: true}
	page, err := e.svc.Revisions(e.ctx, e.Note, id, resource.RevisionQuery{IncludeDeleted: true})
	if err != nil {
		t.Fatalf("Revisions include_deleted: %v", err)
	}
	if len(page.Items) != 1 || page.Items[0].RevisionID != id+":1" || page.NextCursor != nil {
		t.Fatalf("Revisions include_deleted = %+v, want revision 1 only", page)
	}
	chain, err := e.svc.Revisions(e.ctx, e.Note, id, resource.RevisionQuery{IncludeDeleted: true, Chain: true})
	if err != nil || len(chain.Items) != 1 {
		t.Fatalf("Revisions include_deleted chain = %+v, %v", chain, err)
	}
	rev, err := e.svc.Revision(e.ctx, e.Note, id, "1", incl)
	if err != nil {
		t.Fatalf("Revision include_deleted: %v", err)
	}
	wantJSON(t, rev.Data, `{"v":1}`)
	ops, err := e.svc.Diff(e.ctx, e.Note, id, id+":1", "", incl)
	if err != nil {
		t.Fatalf("Diff include_deleted: %v", err)
	}
	patch, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON(t, patch, `[{"op":"add","path":"/v","value":1}]`)
	// An unknown revision is still a 404, not a 410.
	_, err = e.svc.Revision(e.ctx, e.Note, id, "2", incl)
	wantCode(t, err, resource.CodeNotFound)
	_, err = e.svc.Diff(e.ctx, e.Note, id, "1", "7", incl)
	wantCode(t, err, resource.CodeNotFound)
	if diff := cmp.Diff(before, e.get(e.Note, id)); diff != "" {
		t.Fatalf("reading the history changed the resource (-before +after):\n%s", diff)
	}
}

func testUnknown(t *testing.T, e *env) {
	const id = "no-such-id"
	w := resource.WriteOptions{}
	ops := []struct {
		name string
		run  func() error
	}{
		{name: "get", run: func() error { _, err := e.svc.Get(e.ctx, e.Note, id, resource.ReadOptions{}); return err }},
		{name: "update", run: func() error {
			_, err := e.svc.Update(e.ctx, e.Note, id, json.RawMessage(`{}`), w)
			return err
		}},
		{name: "delete", run: func() error { _, err := e.svc.Delete(e.ctx, e.Note, id, w); return err }},
		{name: "restore", run: func() error { _, err := e.svc.Restore(e.ctx, e.Note, id, w); return err }},
		{name: "purge", run: func() error { return e.svc.Purge(e.ctx, e.Note, id, w) }},
		{name: "switch", run: func() error { _, err := e.svc.Switch(e.ctx, e.Note, id, "1", w); return err }},
		{name: "revisions", run: func() error {
			_, err := e.svc.Revisions(e.ctx, e.Note, id, resource.RevisionQuery{})
			return err
		}},
		{name: "revision", run: func() error { _, err := e.svc.Revision(e.ctx, e.Note, id, "1", resource.RevisionOptions{}); return err }},
		{name: "diff", run: func() error { _, err := e.svc.Diff(e.ctx, e.Note, id, "1", "", resource.RevisionOptions{}); return err }},
	}
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			err := wantCode(t, tt.run(), resource.CodeNotFound)
			wantContains(t, err.Detail, `note "no-such-id" not found`)
		})
	}
}

func testUnique(t *testing.T, e *env) {
	a := e.create(e.Author, `{"name":"A","email":"a@example.com"}`).Meta.ResourceID
	_, err := e.svc.Create(e.ctx, e.Author, json.RawMessage(`{"name":"B","email":"a@example.com"}`), resource.WriteOptions{})
	ue := wantCode(t, err, resource.CodeConflict)
	wantField(t, ue, "email")
	wantContains(t, ue.Detail, `email "a@example.com" is already used by another author`)

	b := e.create(e.Author, `{"name":"B","email":"b@example.com"}`).Meta.ResourceID
	_, err = e.svc.Update(e.ctx, e.Author, b, json.RawMessage(`{"name":"B","email":"a@example.com"}`), resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "email")
	if got := e.get(e.Author, b); got.Meta.TotalRevisionCount != 1 {
		t.Fatalf("conflicting update wrote a revision: %+v", got.Meta)
	}
	// Keeping one's own value is fine; missing and null values never clash.
	e.update(e.Author, a, `{"name":"A2","email":"a@example.com"}`)
	e.create(e.Author, `{"name":"C"}`)
	e.create(e.Author, `{"name":"D","email":null}`)

	// Deleting frees the value; restoring while it is taken is a 409.
	if _, err := e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	c := e.create(e.Author, `{"name":"E","email":"a@example.com"}`).Meta.ResourceID
	_, err = e.svc.Restore(e.ctx, e.Author, a, resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "email")
	if got := e.get(e.Author, a); !got.Meta.IsDeleted {
		t.Fatalf("failed restore undeleted the resource")
	}
	if _, err := e.svc.Delete(e.ctx, e.Author, c, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Restore(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatalf("restore after the value was freed: %v", err)
	}
}

func testNestedUnique(t *testing.T, e *env) {
	e.create(e.Author, `{"email":"a@example.com","profile":{"handle":"ann","bio":"x"},"address":{"city":"Oslo"}}`)
	_, err := e.svc.Create(e.ctx, e.Author, json.RawMessage(`{"email":"b@example.com","profile":{"bio":"y","handle":"ann"}}`), resource.WriteOptions{})
	ue := wantCode(t, err, resource.CodeConflict)
	wantField(t, ue, "profile.handle")
	wantContains(t, ue.Detail, `profile.handle "ann" is already used by another author`)
	e.create(e.Author, `{"email":"c@example.com","profile":{"handle":"bob"},"address":{"city":"Oslo"}}`)
	e.create(e.Author, `{"email":"d@example.com","profile":null}`)
	e.create(e.Author, `{"email":"e@example.com","profile":{}}`)
}

func testRefs(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	gone := e.create(e.Author, `{"email":"g@example.com"}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Author, gone, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    string
		field   string // "" when valid
		message string
	}{
		{name: "valid", data: `{"slug":"a","author":"` + a + `"}`},
		{name: "null editor", data: `{"slug":"b","author":"` + a + `","editor":null}`},
		{name: "missing author", data: `{"slug":"c","author":"nope"}`, field: "author", message: `author "nope" not found`},
		{name: "deleted author", data: `{"slug":"d","author":"` + gone + `"}`, field: "author", message: `author "` + gone + `" was deleted`},
		{name: "not a string", data: `{"slug":"e","author":42}`, field: "author", message: "must be a resource id"},
		{name: "missing editor", data: `{"slug":"f","author":"` + a + `","editor":"nope"}`, field: "editor", message: `author "nope" not found`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Create(e.ctx, e.Post, json.RawMessage(tt.data), resource.WriteOptions{})
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			re := wantCode(t, err, resource.CodeValidation)
			wantField(t, re, tt.field)
			wantContains(t, re.Fields[0].Message, tt.message)
		})
	}
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`"}`).Meta.ResourceID
	_, err := e.svc.Update(e.ctx, e.Post, p, json.RawMessage(`{"slug":"p","author":"nope"}`), resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeValidation), "author")

	// Restore re-checks references: the editor was deleted meanwhile.
	ed := e.create(e.Author, `{"email":"ed@example.com"}`).Meta.ResourceID
	q := e.create(e.Post, `{"slug":"q","author":"`+a+`","editor":"`+ed+`"}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Post, q, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Delete(e.ctx, e.Author, ed, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Restore(e.ctx, e.Post, q, resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeValidation), "editor")
}

func testRestrict(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`"}`).Meta.ResourceID
	c1 := e.create(e.Comment, `{"post":"`+p+`"}`).Meta.ResourceID
	e.create(e.Comment, `{"post":"`+p+`"}`)
	_, err := e.svc.Delete(e.ctx, e.Post, p, resource.WriteOptions{})
	re := wantCode(t, err, resource.CodeConflict)
	wantContains(t, re.Detail, `post "`+p+`" is referenced by 2 live comment(s) through field post; delete them first`)
	err = e.svc.Purge(e.ctx, e.Post, p, resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict)
	if got := e.get(e.Post, p); got.Meta.IsDeleted {
		t.Fatalf("restricted delete deleted the post")
	}
	// Deleted referrers do not restrict.
	for _, c := range e.list(e.Comment) {
		if _, err := e.svc.Delete(e.ctx, e.Comment, c, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Delete(e.ctx, e.Post, p, resource.WriteOptions{}); err != nil {
		t.Fatalf("delete without live referrers: %v", err)
	}
	// A comment cannot be restored onto a deleted post.
	_, err = e.svc.Restore(e.ctx, e.Comment, c1, resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeValidation), "post")
}

func testCascade(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	b := e.create(e.Author, `{"email":"b@example.com"}`).Meta.ResourceID
	p1 := e.create(e.Post, `{"slug":"p1","author":"`+a+`"}`).Meta.ResourceID
	p2 := e.create(e.Post, `{"slug":"p2","author":"`+a+`","editor":"`+b+`"}`).Meta.ResourceID
	p3 := e.create(e.Post, `{"slug":"p3","author":"`+b+`"}`).Meta.ResourceID
	l1 := e.create(e.Like, `{"post":"`+p1+`"}`).Meta.ResourceID
	l3 := e.create(e.Like, `{"post":"`+p3+`"}`).Meta.ResourceID
	e.clock.Add(time.Minute)
	if _, err := e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kind    *resource.Kind
		id      string
		deleted bool
	}{
		{name: "author", kind: e.Author, id: a, deleted: true},
		{name: "post of author", kind: e.Post, id: p1, deleted: true},
		{name: "other post of author", kind: e.Post, id: p2, deleted: true},
		{name: "like of post", kind: e.Like, id: l1, deleted: true},
		{name: "other author", kind: e.Author, id: b},
		{name: "post of other author", kind: e.Post, id: p3},
		{name: "like of other post", kind: e.Like, id: l3},
	}
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	for _, tt := range tests {
		got := e.get(tt.kind, tt.id)
		if got.Meta.IsDeleted != tt.deleted {
			t.Errorf("%s: deleted = %v, want %v", tt.name, got.Meta.IsDeleted, tt.deleted)
		}
		if tt.deleted && (!got.Meta.UpdatedTime.Equal(now) || got.Meta.UpdatedBy != "alice" || got.Meta.TotalRevisionCount != 1) {
			t.Errorf("%s: meta = %+v, want soft delete by alice at %v without a revision", tt.name, got.Meta, now)
		}
	}
}

func testCascadeAtomic(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	p1 := e.create(e.Post, `{"slug":"p1","author":"`+a+`"}`).Meta.ResourceID
	p2 := e.create(e.Post, `{"slug":"p2","author":"`+a+`"}`).Meta.ResourceID
	l1 := e.create(e.Like, `{"post":"`+p1+`"}`).Meta.ResourceID
	e.create(e.Comment, `{"post":"`+p2+`"}`)
	before := map[string]*resource.Envelope{a: e.get(e.Author, a), p1: e.get(e.Post, p1), p2: e.get(e.Post, p2), l1: e.get(e.Like, l1)}
	e.clock.Add(time.Minute)
	_, err := e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{})
	wantContains(t, wantCode(t, err, resource.CodeConflict).Detail, "comment")
	kinds := map[string]*resource.Kind{a: e.Author, p1: e.Post, p2: e.Post, l1: e.Like}
	for id, want := range before {
		got := e.get(kinds[id], id)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s %s changed by a failed cascade (-before +after):\n%s", kinds[id].Name, id, diff)
		}
	}
}

func testSetNull(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	ed := e.create(e.Author, `{"email":"ed@example.com"}`).Meta.ResourceID
	data := `{"title":"T","slug":"p","author":"` + a + `","editor":"` + ed + `","n":1}`
	p := e.create(e.Post, data).Meta.ResourceID
	e.clock.Add(time.Minute)
	bob := resource.WithSubject(e.ctx, "bob")
	if _, err := e.svc.Delete(bob, e.Author, ed, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got := e.get(e.Post, p)
	wantData := `{"title":"T","slug":"p","author":"` + a + `","editor":null,"n":1}`
	if string(got.Data) != wantData {
		t.Fatalf("set_null data = %s, want %s (other bytes and key order kept)", got.Data, wantData)
	}
	info := got.RevisionInfo
	if got.Meta.IsDeleted || info.Number != 2 || *info.ParentRevisionID != p+":1" ||
		info.DataHash != resource.DataHash([]byte(wantData)) || info.Status != resource.StatusStable ||
		info.CreatedBy != "bob" || got.Meta.UpdatedBy != "bob" {
		t.Fatalf("set_null revision = %+v, meta %+v", info, got.Meta)
	}
	refs, err := e.referrers(e.Post, "editor", ed)
	if err != nil || len(refs) != 0 {
		t.Fatalf("referrers after set_null = %v, %v", refs, err)
	}
}

func testCycle(t *testing.T, e *env) {
	n1 := e.create(e.Node, `{}`).Meta.ResourceID
	n2 := e.create(e.Node, `{"parent":"`+n1+`"}`).Meta.ResourceID
	n3 := e.create(e.Node, `{"parent":"`+n2+`"}`).Meta.ResourceID
	e.update(e.Node, n1, `{"parent":"`+n3+`"}`)
	self := e.create(e.Node, `{}`).Meta.ResourceID
	e.update(e.Node, self, `{"parent":"`+self+`"}`)
	if _, err := e.svc.Delete(e.ctx, e.Node, n1, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{n1, n2, n3} {
		if !e.get(e.Node, id).Meta.IsDeleted {
			t.Errorf("node %s of the cycle is live", id)
		}
	}
	if _, err := e.svc.Delete(e.ctx, e.Node, self, resource.WriteOptions{}); err != nil {
		t.Fatalf("delete of a self-referencing node: %v", err)
	}
}

func testPurgeOnDelete(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	ed := e.create(e.Author, `{"email":"ed@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"p","author":"`+a+`","editor":"`+ed+`"}`).Meta.ResourceID
	if err := e.svc.Purge(e.ctx, e.Author, ed, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	wantJSON(t, e.get(e.Post, p).Data, `{"slug":"p","author":"`+a+`","editor":null}`)
	if err := e.svc.Purge(e.ctx, e.Author, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(e.Post, p); !got.Meta.IsDeleted {
		t.Fatalf("purging the author did not cascade to its post")
	}
}

// list returns the ids of every live resource of k.
func (e *env) list(k *resource.Kind) []string {
	e.t.Helper()
	page, err := e.svc.List(e.ctx, k, resource.ListQuery{Limit: resource.MaxLimit})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, it := range page.Items {
		ids = append(ids, it.Meta.ResourceID)
	}
	return ids
}

// referrers asks the backend for the live referrers of target.
func (e *env) referrers(k *resource.Kind, field, target string) ([]string, error) {
	var ids []string
	err := e.b.View(e.ctx, func(r resource.Reader) error {
		var err error
		ids, err = r.Referrers(k, field, target)
		return err
	})
	return slices.Clip(ids), err
}

// testRestoreCascade: a restore with Cascade brings back exactly what the
// delete cascaded to (recursively, cycles included), not the referrers
// deleted by an earlier call, atomically; a plain restore brings back the
// resource alone.
func testRestoreCascade(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	c := e.create(e.Author, `{"email":"c@example.com"}`).Meta.ResourceID
	p0 := e.create(e.Post, `{"slug":"p0","author":"`+a+`"}`).Meta.ResourceID
	p1 := e.create(e.Post, `{"slug":"p1","author":"`+a+`"}`).Meta.ResourceID
	p2 := e.create(e.Post, `{"slug":"p2","author":"`+a+`"}`).Meta.ResourceID
	pc := e.create(e.Post, `{"slug":"pc","author":"`+c+`"}`).Meta.ResourceID
	l0 := e.create(e.Like, `{"post":"`+p0+`"}`).Meta.ResourceID
	l1 := e.create(e.Like, `{"post":"`+p1+`"}`).Meta.ResourceID
	e.clock.Add(time.Minute)
	// Deleted by its own call first: not part of the author's cascade.
	if _, err := e.svc.Delete(e.ctx, e.Post, p0, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	for _, id := range []string{a, c} {
		if _, err := e.svc.Delete(e.ctx, e.Author, id, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	// A plain restore leaves the cascade deleted.
	e.clock.Add(time.Minute)
	if _, err := e.svc.Restore(e.ctx, e.Author, c, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if !e.get(e.Post, pc).Meta.IsDeleted {
		t.Errorf("a restore without cascade restored the post of the author")
	}

	// A referrer that cannot come back (its unique slug is taken again)
	// refuses the whole restore: nothing changes.
	taken := e.create(e.Post, `{"slug":"p2"}`).Meta.ResourceID
	before := map[string]*resource.Envelope{a: e.get(e.Author, a), p1: e.get(e.Post, p1), p2: e.get(e.Post, p2), l1: e.get(e.Like, l1)}
	e.clock.Add(time.Minute)
	_, err := e.svc.Restore(e.ctx, e.Author, a, resource.WriteOptions{Cascade: true})
	wantCode(t, err, resource.CodeConflict)
	kinds := map[string]*resource.Kind{a: e.Author, p1: e.Post, p2: e.Post, l1: e.Like}
	for id, want := range before {
		if diff := cmp.Diff(want, e.get(kinds[id], id)); diff != "" {
			t.Errorf("%s %s changed by a failed cascade restore (-before +after):\n%s", kinds[id].Name, id, diff)
		}
	}
	if err := e.svc.Purge(e.ctx, e.Post, taken, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	e.clock.Add(time.Minute)
	restored, err := e.svc.Restore(e.ctx, e.Author, a, resource.WriteOptions{Cascade: true})
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now().UTC().Truncate(time.Microsecond)
	if restored.Meta.IsDeleted || !restored.Meta.UpdatedTime.Equal(now) {
		t.Fatalf("restore = %+v", restored.Meta)
	}
	tests := []struct {
		name    string
		kind    *resource.Kind
		id      string
		deleted bool
	}{
		{name: "post of the cascade", kind: e.Post, id: p1},
		{name: "other post of the cascade", kind: e.Post, id: p2},
		{name: "like of a post of the cascade", kind: e.Like, id: l1},
		{name: "post deleted before", kind: e.Post, id: p0, deleted: true},
		{name: "like deleted with the post deleted before", kind: e.Like, id: l0, deleted: true},
	}
	for _, tt := range tests {
		got := e.get(tt.kind, tt.id)
		if got.Meta.IsDeleted != tt.deleted {
			t.Errorf("%s: deleted = %v, want %v", tt.name, got.Meta.IsDeleted, tt.deleted)
		}
		if !tt.deleted && !got.Meta.UpdatedTime.Equal(now) {
			t.Errorf("%s: updated_time = %v, want the restore's %v", tt.name, got.Meta.UpdatedTime, now)
		}
	}

	// A cycle comes back whole.
	n1 := e.create(e.Node, `{}`).Meta.ResourceID
	n2 := e.create(e.Node, `{"parent":"`+n1+`"}`).Meta.ResourceID
	n3 := e.create(e.Node, `{"parent":"`+n2+`"}`).Meta.ResourceID
	e.update(e.Node, n1, `{"parent":"`+n3+`"}`)
	e.clock.Add(time.Minute)
	if _, err := e.svc.Delete(e.ctx, e.Node, n1, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(time.Minute)
	if _, err := e.svc.Restore(e.ctx, e.Node, n1, resource.WriteOptions{Cascade: true}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{n1, n2, n3} {
		if e.get(e.Node, id).Meta.IsDeleted {
			t.Errorf("node %s of the cycle is still deleted", id)
		}
	}
}
