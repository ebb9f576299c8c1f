package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// manyKind has an indexed and a unique field, so that the many-row
// statements write every index the one-row ones do.
var manyKind = &resource.Kind{
	Name: "Many", Table: "many", Path: "many", SchemaVersion: 1,
	Fields: []resource.Field{
		{JSON: "status", Type: resource.TypeString, Indexed: true},
		{JSON: "slug", Type: resource.TypeString, Unique: true},
	},
}

// manyRecord returns the record of resource id at revision n with data.
func manyRecord(id string, n int, data string) (*resource.Record, *resource.Revision) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC).Add(time.Duration(n) * time.Second)
	info := resource.RevisionInfo{
		RevisionID: resource.RevisionID(id, n), ResourceID: id, Number: n, Status: resource.StatusStable,
		DataHash: resource.DataHash([]byte(data)), SchemaVersion: 1,
		CreatedTime: now, CreatedBy: "alice", UpdatedTime: now, UpdatedBy: "bob",
	}
	if n > 1 {
		parent := resource.RevisionID(id, n-1)
		info.ParentRevisionID = &parent
	}
	rec := &resource.Record{
		Meta: resource.Meta{ResourceID: id, CurrentRevisionID: info.RevisionID, TotalRevisionCount: n, SchemaVersion: 1,
			CreatedTime: now, CreatedBy: "alice", UpdatedTime: now, UpdatedBy: "bob"},
		Current: info, Data: []byte(data),
	}
	return rec, &resource.Revision{Info: info, Data: []byte(data)}
}

// TestManyWriter checks that PutRevisions and PutRecords store what
// PutRevision and PutRecord store, replace what they replace, and fail
// where they fail.
func TestManyWriter(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if err := s.Migrate(ctx, &resource.Schema{Kinds: []*resource.Kind{manyKind}}); err != nil {
		t.Fatal(err)
	}
	write := func(fn func(w resource.Writer, m resource.ManyWriter) error) error {
		return s.Update(ctx, func(w resource.Writer) error {
			m, ok := w.(resource.ManyWriter)
			if !ok {
				t.Fatalf("the PostgreSQL writer %T is not a resource.ManyWriter", w)
			}
			return fn(w, m)
		})
	}
	// The same resources, written row by row (a) and many at once (b).
	var recs, many []*resource.Record
	var revs, manyRevs []*resource.Revision
	for i, id := range []string{"a1", "a2", "a3"} {
		rec, rev := manyRecord(id, 1, `{"status":"pending","slug":"a`+string(rune('0'+i))+`"}`)
		recs, revs = append(recs, rec), append(revs, rev)
		rec, rev = manyRecord("b"+id[1:], 1, `{"status":"pending","slug":"b`+string(rune('0'+i))+`"}`)
		many, manyRevs = append(many, rec), append(manyRevs, rev)
	}
	err := write(func(w resource.Writer, m resource.ManyWriter) error {
		for i := range recs {
			if err := w.PutRevision(manyKind, revs[i]); err != nil {
				return err
			}
			if err := w.CreateRecord(manyKind, recs[i]); err != nil {
				return err
			}
		}
		if err := m.PutRevisions(manyKind, manyRevs); err != nil {
			return err
		}
		return m.PutRecords(manyKind, many, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	same := func(want *resource.Record, wantRev *resource.Revision, id string) {
		t.Helper()
		err := s.View(ctx, func(r resource.Reader) error {
			got, err := r.Get(manyKind, id)
			if err != nil {
				return err
			}
			gotRev, err := r.Revision(manyKind, id, wantRev.Info.Number)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("record %s:\n got %+v\nwant %+v", id, got, want)
			}
			if !reflect.DeepEqual(gotRev, wantRev) {
				t.Errorf("revision %s:\n got %+v\nwant %+v", id, gotRev, wantRev)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := range many {
		same(recs[i], revs[i], recs[i].Meta.ResourceID)
		same(many[i], manyRevs[i], many[i].Meta.ResourceID)
	}

	// Upserts: revision 2 of each, and the records replaced.
	var next []*resource.Record
	var nextRevs []*resource.Revision
	for i := range many {
		rec, rev := manyRecord(many[i].Meta.ResourceID, 2, `{"status":"completed","slug":"b`+string(rune('0'+i))+`"}`)
		next, nextRevs = append(next, rec), append(nextRevs, rev)
	}
	err = write(func(_ resource.Writer, m resource.ManyWriter) error {
		if err := m.PutRevisions(manyKind, nextRevs); err != nil {
			return err
		}
		return m.PutRecords(manyKind, next, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range next {
		same(next[i], nextRevs[i], next[i].Meta.ResourceID)
	}
	// A draft revision replaced in place, as PutRevision replaces one.
	draft := *nextRevs[0]
	draft.Info.Status, draft.Data = resource.StatusDraft, []byte(`{"status":"failed","slug":"b0"}`)
	if err := write(func(_ resource.Writer, m resource.ManyWriter) error {
		return m.PutRevisions(manyKind, []*resource.Revision{&draft, nextRevs[1]})
	}); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(r resource.Reader) error {
		got, err := r.Revision(manyKind, draft.Info.ResourceID, 2)
		if err == nil && !reflect.DeepEqual(got, &draft) {
			t.Errorf("replaced revision:\n got %+v\nwant %+v", got, &draft)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Failures: a taken id, a taken unique value; nothing is written.
	taken, _ := manyRecord("a1", 1, `{"slug":"new"}`)
	fresh, _ := manyRecord("c1", 1, `{"slug":"c1"}`)
	err = write(func(_ resource.Writer, m resource.ManyWriter) error {
		return m.PutRecords(manyKind, []*resource.Record{fresh, taken}, true)
	})
	if !errors.Is(err, resource.ErrExists) {
		t.Errorf("create of a taken id: got %v, want resource.ErrExists", err)
	}
	dup, _ := manyRecord("c2", 1, `{"slug":"a1"}`)
	err = write(func(_ resource.Writer, m resource.ManyWriter) error {
		return m.PutRecords(manyKind, []*resource.Record{fresh, dup}, true)
	})
	var uv *resource.UniqueViolation
	if !errors.As(err, &uv) || uv.Field != "slug" {
		t.Errorf("create of a taken unique value: got %v, want a *resource.UniqueViolation of slug", err)
	}
	err = s.View(ctx, func(r resource.Reader) error {
		if _, err := r.Get(manyKind, "c1"); !errors.Is(err, resource.ErrNotFound) {
			t.Errorf("c1 after failed writes: got %v, want not found", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
