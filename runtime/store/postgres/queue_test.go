package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
)

// TestQueuedWriteErrors checks that record writes, which are sent with
// the next statement or with COMMIT, report their failures as if they
// had been sent at once: a unique violation names the field, a taken id
// is ErrExists, whether the next read or COMMIT finds it; and that the
// aborted transaction keeps reporting it, to its end.
func TestQueuedWriteErrors(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	author := kinds.Author
	put := func(w resource.Writer, id, data string, create bool) error {
		rec, rev := resourcetest.NewRecord(id, data)
		if err := w.PutRevision(author, rev); err != nil {
			return err
		}
		if create {
			return w.CreateRecord(author, rec)
		}
		return w.PutRecord(author, rec)
	}
	if err := s.Update(ctx, func(w resource.Writer) error { return put(w, "a", `{"email":"a@example.com"}`, true) }); err != nil {
		t.Fatal(err)
	}
	isUnique := func(err error) bool {
		var uv *resource.UniqueViolation
		return errors.As(err, &uv) && uv.Kind == "Author" && uv.Field == "email"
	}
	isExists := func(err error) bool { return errors.Is(err, resource.ErrExists) }
	tests := []struct {
		name   string
		id     string
		create bool
		want   func(error) bool
	}{
		{name: "put taken email", id: "b", want: isUnique},
		{name: "create taken email", id: "b", create: true, want: isUnique},
		{name: "create taken id", id: "a", create: true, want: isExists},
	}
	for _, tt := range tests {
		data := `{"email":"a@example.com"}`
		if tt.id == "a" {
			data = `{"email":"other@example.com"}`
		}
		t.Run(tt.name+" at COMMIT", func(t *testing.T) {
			err := s.Update(ctx, func(w resource.Writer) error { return put(w, tt.id, data, tt.create) })
			if !tt.want(err) {
				t.Fatalf("Update = %v", err)
			}
		})
		t.Run(tt.name+" at the next read", func(t *testing.T) {
			var readErr, laterErr error
			err := s.Update(ctx, func(w resource.Writer) error {
				if err := put(w, tt.id, data, tt.create); err != nil {
					return err
				}
				_, readErr = w.Get(author, "a")
				_, laterErr = w.Revisions(author, "a")
				return nil // swallowed: COMMIT must still fail with it
			})
			if !tt.want(readErr) {
				t.Fatalf("Get after the write = %v", readErr)
			}
			if !tt.want(laterErr) {
				t.Fatalf("a later read = %v", laterErr)
			}
			if !tt.want(err) {
				t.Fatalf("Update = %v", err)
			}
		})
	}
	// Nothing of the failed transactions was written.
	err := s.View(ctx, func(r resource.Reader) error {
		if _, err := r.Get(author, "b"); !errors.Is(err, resource.ErrNotFound) {
			t.Errorf("Get b = %v, want ErrNotFound", err)
		}
		rec, err := r.Get(author, "a")
		if err != nil || string(rec.Data) != `{"email":"a@example.com"}` {
			t.Errorf("Get a = %v, %v", rec, err)
		}
		revs, err := r.Revisions(author, "a")
		if err != nil || len(revs) != 1 {
			t.Errorf("revisions of a = %v, %v", revs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestQueuedWriteServiceConflicts checks the Service's 409s when the
// unique violation or the taken id is found at COMMIT.
func TestQueuedWriteServiceConflicts(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, kinds.Schema)
	if _, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"b@example.com"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	conflictOn := func(err error) string {
		var e *resource.Error
		if !errors.As(err, &e) || e.Code != resource.CodeConflict || len(e.Fields) != 1 {
			t.Fatalf("error = %v, want a 409 naming one field", err)
		}
		return e.Fields[0].Field
	}
	_, err = svc.Create(ctx, kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
	if f := conflictOn(err); f != "email" {
		t.Fatalf("create: conflict on %q, want email", f)
	}
	_, err = svc.Update(ctx, kinds.Author, b.Meta.ResourceID, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
	if f := conflictOn(err); f != "email" {
		t.Fatalf("update: conflict on %q, want email", f)
	}
	got, err := svc.Get(ctx, kinds.Author, b.Meta.ResourceID, resource.ReadOptions{})
	if err != nil || string(got.Data) != `{"email":"b@example.com"}` || got.Meta.TotalRevisionCount != 1 {
		t.Fatalf("after the refused update: %v, %v", got, err)
	}
}
