package resource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

// manyBackend is the memory backend with a Writer that is a
// resource.ManyWriter (writing row by row) and logs the writes it gets.
type manyBackend struct {
	resource.Backend
	log *[]string
}

func (b manyBackend) Update(ctx context.Context, fn func(resource.Writer) error) error {
	return b.Backend.Update(ctx, func(w resource.Writer) error {
		return fn(&manyLog{Writer: w, log: b.log})
	})
}

type manyLog struct {
	resource.Writer
	log *[]string
}

func (m *manyLog) add(format string, args ...any) {
	*m.log = append(*m.log, fmt.Sprintf(format, args...))
}

func (m *manyLog) PutRevision(k *resource.Kind, r *resource.Revision) error {
	m.add("revision %s", r.Info.RevisionID)
	return m.Writer.PutRevision(k, r)
}

func (m *manyLog) PutRecord(k *resource.Kind, r *resource.Record) error {
	m.add("record %s", r.Meta.ResourceID)
	return m.Writer.PutRecord(k, r)
}

func (m *manyLog) CreateRecord(k *resource.Kind, r *resource.Record) error {
	m.add("create %s", r.Meta.ResourceID)
	return m.Writer.CreateRecord(k, r)
}

func (m *manyLog) Get(k *resource.Kind, id string) (*resource.Record, error) {
	m.add("get %s", id)
	return m.Writer.Get(k, id)
}

func (m *manyLog) PutRevisions(k *resource.Kind, revs []*resource.Revision) error {
	m.add("revisions %d", len(revs))
	for _, r := range revs {
		if err := m.Writer.PutRevision(k, r); err != nil {
			return err
		}
	}
	return nil
}

func (m *manyLog) PutRecords(k *resource.Kind, recs []*resource.Record, create bool) error {
	m.add("records %d create=%v", len(recs), create)
	for _, r := range recs {
		put := m.Writer.PutRecord
		if create {
			put = m.Writer.CreateRecord
		}
		if err := put(k, r); err != nil {
			return err
		}
	}
	return nil
}

// TestTransactionMany checks that the writes of a TransactionMany are
// sent many at once, after the reads that need them, and commit as a
// Transaction's would.
func TestTransactionMany(t *testing.T) {
	ctx := resource.AsSystem(context.Background())
	kinds := resourcetest.NewKinds()
	mem := memory.New()
	if err := mem.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	var log []string
	svc := resource.NewService(manyBackend{Backend: mem, log: &log}, kinds.Schema)
	create := func(ctx context.Context, id string) {
		t.Helper()
		data := json.RawMessage(fmt.Sprintf(`{"name":%q,"email":"%s@example.com"}`, id, id))
		if _, err := svc.Create(ctx, kinds.Author, data, resource.WriteOptions{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	err := svc.TransactionMany(ctx, func(ctx context.Context, tx *resource.Tx) error {
		create(ctx, "a1")
		create(ctx, "a2")
		create(ctx, "a3")
		// A read sends the writes held, and sees them.
		if _, err := svc.Get(ctx, kinds.Author, "a2", resource.ReadOptions{}); err != nil {
			return err
		}
		create(ctx, "a4")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"revisions 3", "records 3 create=true", "get a2",
		"revision a4:1", "create a4",
	}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("writes:\n got %q\nwant %q", log, want)
	}
	for _, id := range []string{"a1", "a2", "a3", "a4"} {
		if _, err := svc.Get(ctx, kinds.Author, id, resource.ReadOptions{}); err != nil {
			t.Errorf("after commit: %s: %v", id, err)
		}
	}

	// PatchMany: every revision in one statement, each record once.
	log = nil
	rename := func(name string) func(json.RawMessage) (json.RawMessage, error) {
		return func(cur json.RawMessage) (json.RawMessage, error) {
			var d map[string]any
			if err := json.Unmarshal(cur, &d); err != nil {
				return nil, err
			}
			d["name"] = name
			return json.Marshal(d)
		}
	}
	var ops []resource.PatchOp
	for _, id := range []string{"a1", "a2", "a3"} {
		ops = append(ops, resource.PatchOp{Kind: kinds.Author, ID: id, Fn: rename(id + "-b")},
			resource.PatchOp{Kind: kinds.Author, ID: id, Fn: rename(id + "-c")})
	}
	if _, err := svc.PatchMany(ctx, ops, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want = []string{"revisions 6", "records 3 create=false"}
	if !reflect.DeepEqual(log, want) {
		t.Errorf("PatchMany writes:\n got %q\nwant %q", log, want)
	}
	page, err := svc.Revisions(ctx, kinds.Author, "a2", resource.RevisionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Errorf("a2 has %d revisions, want 3", len(page.Items))
	}
	env, err := svc.Get(ctx, kinds.Author, "a2", resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var d struct{ Name string }
	if json.Unmarshal(env.Data, &d); d.Name != "a2-c" {
		t.Errorf("a2's name is %q, want a2-c", d.Name)
	}

	// A failure of the held writes rolls the transaction back.
	err = svc.TransactionMany(ctx, func(ctx context.Context, tx *resource.Tx) error {
		for _, id := range []string{"a5", "a1"} { // a1 exists
			data := json.RawMessage(fmt.Sprintf(`{"email":"%s-2@example.com"}`, id))
			if _, err := svc.Create(ctx, kinds.Author, data, resource.WriteOptions{ID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	if resource.CodeOf(err) != resource.CodeConflict {
		t.Errorf("TransactionMany creating a taken id: got %v, want a conflict", err)
	}
	if _, err := svc.Get(ctx, kinds.Author, "a5", resource.ReadOptions{}); resource.CodeOf(err) != resource.CodeNotFound {
		t.Errorf("a5 after a failed TransactionMany: got %v, want not found", err)
	}
}
