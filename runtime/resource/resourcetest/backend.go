package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
)

// NewRecord returns a live record at revision 1 with the given data, and
// that revision, for tests that write through a Writer directly.
func NewRecord(id, data string) (*resource.Record, *resource.Revision) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	info := resource.RevisionInfo{
		RevisionID: resource.RevisionID(id, 1), ResourceID: id, Number: 1, Status: resource.StatusStable,
		DataHash: resource.DataHash([]byte(data)), SchemaVersion: 1,
		CreatedTime: now, CreatedBy: "t", UpdatedTime: now, UpdatedBy: "t",
	}
	rec := &resource.Record{
		Meta: resource.Meta{
			ResourceID: id, CurrentRevisionID: info.RevisionID, TotalRevisionCount: 1, SchemaVersion: 1,
			CreatedTime: now, CreatedBy: "t", UpdatedTime: now, UpdatedBy: "t",
		},
		Current: info,
		Data:    json.RawMessage(data),
	}
	return rec, &resource.Revision{Info: info, Data: json.RawMessage(data)}
}

// put stores a record and its revision in one transaction.
func (e *env) put(k *resource.Kind, rec *resource.Record, rev *resource.Revision) error {
	return e.b.Update(e.ctx, func(w resource.Writer) error {
		if err := w.PutRevision(k, rev); err != nil {
			return err
		}
		return w.PutRecord(k, rec)
	})
}

// snapshot reads everything the backend holds about one resource.
func (e *env) snapshot(k *resource.Kind, id string) (rec *resource.Record, revs []resource.RevisionInfo, err error) {
	err = e.b.View(e.ctx, func(r resource.Reader) error {
		if rec, err = r.Get(k, id); err != nil && !errors.Is(err, resource.ErrNotFound) {
			return err
		}
		revs, err = r.Revisions(k, id)
		return err
	})
	return rec, revs, err
}

func testBackendAbort(t *testing.T, e *env) {
	boom := errors.New("boom")
	rec, rev := NewRecord("r1", `{"email":"a@example.com"}`)
	if err := e.put(e.Author, rec, rev); err != nil {
		t.Fatal(err)
	}
	wantRec, wantRevs, err := e.snapshot(e.Author, "r1")
	if err != nil {
		t.Fatal(err)
	}
	err = e.b.Update(e.ctx, func(w resource.Writer) error {
		// A new resource...
		nrec, nrev := NewRecord("r2", `{"email":"b@example.com"}`)
		if err := w.PutRevision(e.Author, nrev); err != nil {
			return err
		}
		if err := w.PutRecord(e.Author, nrec); err != nil {
			return err
		}
		// ...a new revision and a changed (deleted) record...
		r2 := *rev
		r2.Info.Number, r2.Info.RevisionID = 2, resource.RevisionID("r1", 2)
		r2.Data = json.RawMessage(`{"email":"c@example.com"}`)
		if err := w.PutRevision(e.Author, &r2); err != nil {
			return err
		}
		changed := *rec
		changed.Meta.IsDeleted = true
		changed.Data = r2.Data
		if err := w.PutRecord(e.Author, &changed); err != nil {
			return err
		}
		// ...an old revision dropped, then the transaction fails.
		if err := w.DeleteRevisions(e.Author, "r1", []int{1}); err != nil {
			return err
		}
		got, err := w.Get(e.Author, "r2")
		if err != nil || got.Meta.ResourceID != "r2" {
			t.Errorf("a transaction does not read its own write: %v, %v", got, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want the function's error", err)
	}
	gotRec, gotRevs, err := e.snapshot(e.Author, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantRec, gotRec); diff != "" {
		t.Fatalf("aborted transaction changed the record (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantRevs, gotRevs); diff != "" {
		t.Fatalf("aborted transaction changed the revisions (-want +got):\n%s", diff)
	}
	if r2, revs, err := e.snapshot(e.Author, "r2"); err != nil || r2 != nil || len(revs) != 0 {
		t.Fatalf("aborted create left %v, %v, %v", r2, revs, err)
	}
	// The unique values the aborted transaction wrote are free.
	free, freeRev := NewRecord("r3", `{"email":"b@example.com"}`)
	if err := e.put(e.Author, free, freeRev); err != nil {
		t.Fatalf("unique value of an aborted write is still taken: %v", err)
	}
	// And the live record still holds its own.
	dup, dupRev := NewRecord("r4", `{"email":"a@example.com"}`)
	var uv *resource.UniqueViolation
	if err := e.put(e.Author, dup, dupRev); !errors.As(err, &uv) {
		t.Fatalf("unique value of the surviving record is free: %v", err)
	}
	// Service-level: a write that fails halfway (the cascade reaches a
	// restricted comment) leaves the whole graph as it was.
	a := e.create(e.Author, `{"email":"s@example.com"}`).Meta.ResourceID
	p := e.create(e.Post, `{"slug":"s","author":"`+a+`"}`).Meta.ResourceID
	e.create(e.Comment, `{"post":"`+p+`"}`)
	before := e.get(e.Post, p)
	if _, err := e.svc.Delete(e.ctx, e.Author, a, resource.WriteOptions{}); resource.CodeOf(err) != resource.CodeConflict {
		t.Fatalf("Delete = %v, want a conflict", err)
	}
	if diff := cmp.Diff(before, e.get(e.Post, p)); diff != "" {
		t.Fatalf("failed cascade changed the post (-want +got):\n%s", diff)
	}
}

func testBackendPanic(t *testing.T, e *env) {
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Update swallowed the panic")
			}
		}()
		_ = e.b.Update(e.ctx, func(w resource.Writer) error {
			rec, rev := NewRecord("p1", `{"email":"p@example.com"}`)
			if err := w.PutRevision(e.Author, rev); err != nil {
				return err
			}
			if err := w.PutRecord(e.Author, rec); err != nil {
				return err
			}
			panic("crash in the middle of a transaction")
		})
	}()
	if rec, revs, err := e.snapshot(e.Author, "p1"); err != nil || rec != nil || len(revs) != 0 {
		t.Fatalf("panicked transaction left %v, %v, %v", rec, revs, err)
	}
	// The backend is still usable, and the value is free.
	rec, rev := NewRecord("p2", `{"email":"p@example.com"}`)
	if err := e.put(e.Author, rec, rev); err != nil {
		t.Fatal(err)
	}
}

func testBackendCancelled(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	err := e.b.Update(ctx, func(w resource.Writer) error {
		rec, rev := NewRecord("c1", `{}`)
		if err := w.PutRevision(e.Note, rev); err != nil {
			return err
		}
		return w.PutRecord(e.Note, rec)
	})
	if err == nil {
		t.Fatalf("Update with a cancelled context succeeded")
	}
	if rec, _, err := e.snapshot(e.Note, "c1"); err != nil || rec != nil {
		t.Fatalf("cancelled transaction left %v, %v", rec, err)
	}
	if _, err := e.svc.Create(ctx, e.Note, json.RawMessage(`{}`), resource.WriteOptions{}); err == nil {
		t.Fatalf("Create with a cancelled context succeeded")
	}
}

func testBackendCopies(t *testing.T, e *env) {
	rec, rev := NewRecord("k1", `{"email":"k@example.com"}`)
	if err := e.put(e.Author, rec, rev); err != nil {
		t.Fatal(err)
	}
	// Scribble over the caller's buffers after the write.
	for i := range rec.Data {
		rec.Data[i] = ' '
	}
	for i := range rev.Data {
		rev.Data[i] = ' '
	}
	got, _, err := e.snapshot(e.Author, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data) != `{"email":"k@example.com"}` {
		t.Fatalf("store aliases the caller's data: %q", got.Data)
	}
	for i := range got.Data {
		got.Data[i] = ' '
	}
	again, _, err := e.snapshot(e.Author, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Data) != `{"email":"k@example.com"}` {
		t.Fatalf("store hands out its own memory: %q", again.Data)
	}
}

func testBackendUnique(t *testing.T, e *env) {
	tests := []struct {
		name  string
		data  string
		field string // "" when it must succeed
	}{
		{name: "first", data: `{"email":"u@example.com","profile":{"handle":"u"}}`},
		{name: "same email", data: `{"email":"u@example.com"}`, field: "email"},
		{name: "same handle", data: `{"email":"v@example.com","profile":{"handle":"u"}}`, field: "profile.handle"},
		{name: "number is not the string", data: `{"email":1}`},
		{name: "same number", data: `{"email":1.0}`, field: "email"},
		{name: "null", data: `{"email":null}`},
		{name: "null again", data: `{"email":null}`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, rev := NewRecord(string(rune('a'+i)), tt.data)
			err := e.put(e.Author, rec, rev)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var uv *resource.UniqueViolation
			if !errors.As(err, &uv) || uv.Field != tt.field || uv.Kind != "Author" || uv.ID != rec.Meta.ResourceID {
				t.Fatalf("PutRecord = %v (%+v), want a unique violation on Author.%s by %s", err, uv, tt.field, rec.Meta.ResourceID)
			}
		})
	}
	// A deleted record holds no unique value.
	rec, rev := NewRecord("z", `{"email":"u@example.com"}`)
	rec.Meta.IsDeleted = true
	if err := e.put(e.Author, rec, rev); err != nil {
		t.Fatalf("deleted duplicate: %v", err)
	}
}

// testBackendCreateRecord checks that CreateRecord inserts new records,
// refuses a taken id (live or deleted) without writing, and enforces
// unique fields as PutRecord does.
func testBackendCreateRecord(t *testing.T, e *env) {
	create := func(rec *resource.Record, rev *resource.Revision) error {
		return e.b.Update(e.ctx, func(w resource.Writer) error {
			if err := w.PutRevision(e.Author, rev); err != nil {
				return err
			}
			return w.CreateRecord(e.Author, rec)
		})
	}
	rec, rev := NewRecord("c1", `{"email":"c1@example.com"}`)
	if err := create(rec, rev); err != nil {
		t.Fatal(err)
	}
	got, _, err := e.snapshot(e.Author, "c1")
	if err != nil || got == nil || string(got.Data) != `{"email":"c1@example.com"}` {
		t.Fatalf("created record = %v, %v", got, err)
	}
	// The same id again, with other data: refused, nothing replaced.
	again, againRev := NewRecord("c1", `{"email":"other@example.com"}`)
	if err := create(again, againRev); !errors.Is(err, resource.ErrExists) {
		t.Fatalf("CreateRecord of a taken id = %v, want ErrExists", err)
	}
	got, revs, err := e.snapshot(e.Author, "c1")
	if err != nil || string(got.Data) != `{"email":"c1@example.com"}` || len(revs) != 1 || revs[0].DataHash != rev.Info.DataHash {
		t.Fatalf("after a refused create: %s, %v, %v", got.Data, revs, err)
	}
	// A deleted record keeps its id.
	del, delRev := NewRecord("c2", `{"email":"c2@example.com"}`)
	del.Meta.IsDeleted = true
	if err := e.put(e.Author, del, delRev); err != nil {
		t.Fatal(err)
	}
	if err := create(NewRecord("c2", `{"email":"c3@example.com"}`)); !errors.Is(err, resource.ErrExists) {
		t.Fatalf("CreateRecord of a deleted record's id = %v, want ErrExists", err)
	}
	// Unique fields hold as for PutRecord.
	var uv *resource.UniqueViolation
	if err := create(NewRecord("c4", `{"email":"c1@example.com"}`)); !errors.As(err, &uv) || uv.Field != "email" {
		t.Fatalf("CreateRecord of a taken email = %v, want a unique violation on Author.email", err)
	}
}

func testBackendReferrers(t *testing.T, e *env) {
	a := e.create(e.Author, `{"email":"a@example.com"}`).Meta.ResourceID
	var want []string
	for range 3 {
		want = append(want, e.create(e.Post, `{"author":"`+a+`"}`).Meta.ResourceID)
	}
	gone := e.create(e.Post, `{"author":"`+a+`"}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Post, gone, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	moved := e.create(e.Post, `{"author":"`+a+`"}`).Meta.ResourceID
	e.update(e.Post, moved, `{"author":null}`)
	got, err := e.referrers(e.Post, "author", a)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Referrers (-want +got):\n%s", diff)
	}
	if got, err := e.referrers(e.Post, "editor", a); err != nil || len(got) != 0 {
		t.Fatalf("Referrers through editor = %v, %v", got, err)
	}
}

func testMigrateIdempotent(t *testing.T, e *env) {
	id := e.create(e.Author, `{"email":"m@example.com"}`).Meta.ResourceID
	if err := e.b.Migrate(e.ctx, e.Schema); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	e.get(e.Author, id)
	_, err := e.svc.Create(e.ctx, e.Author, json.RawMessage(`{"email":"m@example.com"}`), resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict)
	if err := e.b.Ping(e.ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := e.svc.Ping(e.ctx); err != nil {
		t.Fatalf("Service.Ping: %v", err)
	}
}
