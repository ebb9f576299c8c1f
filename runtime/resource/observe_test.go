package resource_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

// TestObserverSeesCommittedChanges checks the changes each write reports:
// one per changed resource (cascades and set_null included), after the
// commit, and none for writes that fail or change nothing.
func TestObserverSeesCommittedChanges(t *testing.T) {
	ctx := context.Background()
	authors := &resource.Kind{Name: "Author", Table: "author", Path: "authors", SchemaVersion: 1}
	posts := &resource.Kind{Name: "Post", Table: "post", Path: "posts", SchemaVersion: 1, Fields: []resource.Field{
		{JSON: "author", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.Cascade}},
		{JSON: "editor", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Author", OnDelete: resource.SetNull}},
		{JSON: "slug", Type: resource.TypeString, Unique: true},
	}}
	schema := &resource.Schema{Kinds: []*resource.Kind{authors, posts}}
	b := memory.New()
	if err := b.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	var got []string
	svc := resource.NewService(b, schema, resource.WithObserver(func(_ context.Context, c resource.Change) {
		deleted := c.Envelope != nil && c.Envelope.Meta.IsDeleted
		got = append(got, fmt.Sprintf("%s %s %s deleted=%v", c.Op, c.Kind.Name, c.ID, deleted))
	}))
	expect := func(step string, want ...string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: changes\n%s\nwant\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		got = nil
	}
	create := func(k *resource.Kind, data string) string {
		t.Helper()
		env, err := svc.Create(ctx, k, json.RawMessage(data), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return env.Meta.ResourceID
	}
	ada, bob := create(authors, `{"n":"ada"}`), create(authors, `{"n":"bob"}`)
	expect("create", "created Author "+ada+" deleted=false", "created Author "+bob+" deleted=false")
	p := create(posts, fmt.Sprintf(`{"author":%q,"editor":%q,"slug":"p"}`, bob, ada))
	expect("create post", "created Post "+p+" deleted=false")

	if _, err := svc.Create(ctx, posts, json.RawMessage(fmt.Sprintf(`{"author":%q,"slug":"p"}`, bob)), resource.WriteOptions{}); err == nil {
		t.Fatal("duplicate slug accepted")
	}
	expect("failed write")
	if _, err := svc.Update(ctx, authors, ada, json.RawMessage(`{"n":"ada"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("identical update")
	if _, err := svc.Update(ctx, authors, ada, json.RawMessage(`{"n":"Ada"}`), resource.WriteOptions{Mode: resource.ModeModify, Status: resource.StatusDraft}); err != nil {
		t.Fatal(err)
	}
	expect("modify", "updated Author "+ada+" deleted=false")
	if _, err := svc.Update(ctx, authors, ada, json.RawMessage(`{"n":"Ada L."}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("update", "updated Author "+ada+" deleted=false")
	if _, err := svc.Switch(ctx, authors, ada, "2", resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("switch to the current revision")
	if _, err := svc.Switch(ctx, authors, ada, "1", resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("switch", "switched Author "+ada+" deleted=false")
	if _, err := svc.Delete(ctx, authors, ada, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("delete with set_null", "updated Post "+p+" deleted=false", "deleted Author "+ada+" deleted=true")
	if _, err := svc.Restore(ctx, authors, ada, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("restore", "restored Author "+ada+" deleted=false")
	if _, err := svc.Delete(ctx, authors, bob, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("delete with cascade", "deleted Post "+p+" deleted=true", "deleted Author "+bob+" deleted=true")
	if err := svc.Purge(ctx, posts, p, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	expect("purge", "purged Post "+p+" deleted=false")
}
