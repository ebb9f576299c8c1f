package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Unique fields with Fold (generated for email fields) compare with the
// ASCII letters A-Z lower-cased, on every backend: the stored value stays
// as written, filters compare it exactly, and letters outside A-Z are
// not folded (every backend folds the same letters, whatever its
// collation or Unicode tables).

// testFoldedUnique checks Fold through the Service: creates, updates,
// switch, delete and restore refuse a value that differs from a live one
// only in ASCII case, with a 409 naming the field.
func testFoldedUnique(t *testing.T, e *env) {
	a := e.create(e.Member, `{"email":"CaseX@Example.com"}`).Meta.ResourceID
	for _, email := range []string{"casex@example.com", "CASEX@EXAMPLE.COM", "cAsEx@eXaMpLe.CoM"} {
		_, err := e.svc.Create(e.ctx, e.Member, json.RawMessage(`{"email":"`+email+`"}`), resource.WriteOptions{})
		ue := wantCode(t, err, resource.CodeConflict)
		wantField(t, ue, "email")
		wantContains(t, ue.Detail, `email "`+email+`" is already used by another member (compared without regard to case)`)
	}
	if n, err := e.svc.Count(e.ctx, e.Member, resource.ListQuery{IncludeDeleted: true}); err != nil || n != 1 {
		t.Fatalf("Count = %d, %v after refused creates; want 1", n, err)
	}
	// The stored value is the one sent, and filters compare it exactly.
	wantJSON(t, e.get(e.Member, a).Data, `{"email":"CaseX@Example.com"}`)
	e.update(e.Member, a, `{"email":"CASEX@example.com"}`) // its own value, in other letters
	wantJSON(t, e.get(e.Member, a).Data, `{"email":"CASEX@example.com"}`)
	for filter, want := range map[string]int{
		`email = "casex@example.com"`: 0,
		`email = "CASEX@example.com"`: 1,
		`email ~ "casex@"`:            1,
	} {
		page, err := e.svc.List(e.ctx, e.Member, resource.ListQuery{Filter: filter})
		if err != nil || len(page.Items) != want {
			t.Fatalf("List %s = %v, %v; want %d items", filter, page, err, want)
		}
	}

	// Only A-Z fold: É and é are other letters, and distinct.
	e.create(e.Member, `{"email":"ÉLODIE@example.com"}`)
	e.create(e.Member, `{"email":"élodie@example.com"}`)
	_, err := e.svc.Create(e.ctx, e.Member, json.RawMessage(`{"email":"Élodie@EXAMPLE.com"}`), resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "email")

	// An update of another member to a variant is refused, and writes
	// nothing.
	b := e.create(e.Member, `{"email":"other@example.com"}`).Meta.ResourceID
	_, err = e.svc.Update(e.ctx, e.Member, b, json.RawMessage(`{"email":"casex@EXAMPLE.com"}`), resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "email")
	if got := e.get(e.Member, b); got.Meta.TotalRevisionCount != 1 || string(got.Data) != `{"email":"other@example.com"}` {
		t.Fatalf("refused update changed the member: %+v %s", got.Meta, got.Data)
	}

	// Switching back to a revision whose value another member now holds
	// in other letters is refused.
	c := e.create(e.Member, `{"email":"sw@example.com"}`).Meta.ResourceID
	e.update(e.Member, c, `{"email":"sw2@example.com"}`)
	e.create(e.Member, `{"email":"SW@Example.com"}`)
	_, err = e.svc.Switch(e.ctx, e.Member, c, "1", resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "email")

	// Deleting frees the value in every case; restoring while a variant
	// is taken is refused.
	if _, err := e.svc.Delete(e.ctx, e.Member, a, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	d := e.create(e.Member, `{"email":"casex@example.com"}`).Meta.ResourceID
	_, err = e.svc.Restore(e.ctx, e.Member, a, resource.WriteOptions{})
	wantField(t, wantCode(t, err, resource.CodeConflict), "email")
	if _, err := e.svc.Delete(e.ctx, e.Member, d, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Restore(e.ctx, e.Member, a, resource.WriteOptions{}); err != nil {
		t.Fatalf("restore after the value was freed: %v", err)
	}
}

// testConcurrentFoldedUnique creates one address in 16 spellings at once:
// exactly one create succeeds.
func testConcurrentFoldedUnique(t *testing.T, e *env) {
	const n = 16
	var ok, conflict atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			// Bit j of i upper-cases letter j of "same".
			local := []byte("same")
			for j := range local {
				if i&(1<<j) != 0 {
					local[j] -= 'a' - 'A'
				}
			}
			data := json.RawMessage(fmt.Sprintf(`{"email":"%s@example.com"}`, local))
			_, err := e.svc.Create(e.ctx, e.Member, data, resource.WriteOptions{})
			switch {
			case err == nil:
				ok.Add(1)
			case resource.CodeOf(err) == resource.CodeConflict:
				conflict.Add(1)
			default:
				t.Errorf("Create: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if ok.Load() != 1 || conflict.Load() != n-1 {
		t.Fatalf("%d creates succeeded and %d conflicted, want 1 and %d", ok.Load(), conflict.Load(), n-1)
	}
}

// testBackendFoldedUnique checks Fold on the Backend itself: PutRecord
// refuses a case variant of a live value with a *resource.UniqueViolation
// naming the field, and keeps the data as written.
func testBackendFoldedUnique(t *testing.T, e *env) {
	tests := []struct {
		name  string
		id    string
		data  string
		field string // "" when it must succeed
	}{
		{name: "first", id: "m1", data: `{"email":"Fold@Example.com"}`},
		{name: "lower case", id: "m2", data: `{"email":"fold@example.com"}`, field: "email"},
		{name: "upper case", id: "m3", data: `{"email":"FOLD@EXAMPLE.COM"}`, field: "email"},
		{name: "another address", id: "m4", data: `{"email":"fold@example.co"}`},
		{name: "own value in other letters", id: "m1", data: `{"email":"FOLD@example.com"}`},
		{name: "null", id: "m5", data: `{"email":null}`},
		{name: "null again", id: "m6", data: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, rev := NewRecord(tt.id, tt.data)
			err := e.put(e.Member, rec, rev)
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				got, _, err := e.snapshot(e.Member, tt.id)
				if err != nil || got == nil || string(got.Data) != tt.data {
					t.Fatalf("stored %v, %v; want the data as written, %s", got, err, tt.data)
				}
				return
			}
			var uv *resource.UniqueViolation
			if !errors.As(err, &uv) || uv.Field != tt.field || uv.Kind != "Member" || uv.ID != rec.Meta.ResourceID {
				t.Fatalf("PutRecord = %v (%+v), want a unique violation on Member.%s by %s", err, uv, tt.field, rec.Meta.ResourceID)
			}
			if got, _, err := e.snapshot(e.Member, tt.id); err != nil || got != nil {
				t.Fatalf("a refused record was stored: %v, %v", got, err)
			}
		})
	}
	// A deleted record holds no value.
	rec, rev := NewRecord("m7", `{"email":"fold@EXAMPLE.com"}`)
	rec.Meta.IsDeleted = true
	if err := e.put(e.Member, rec, rev); err != nil {
		t.Fatalf("deleted variant: %v", err)
	}
	var ids []string
	err := e.b.View(e.ctx, func(r resource.Reader) error {
		recs, err := r.List(e.Member, &resource.Query{IncludeDeleted: true})
		for _, rec := range recs {
			ids = append(ids, rec.Meta.ResourceID)
		}
		return err
	})
	if want := []string{"m1", "m4", "m5", "m6", "m7"}; err != nil || !slices.Equal(ids, want) {
		t.Fatalf("records %v, %v; want %v", ids, err, want)
	}
}

// MigrateFold checks that Migrate of backend b turns an exact unique field
// into a Fold one, the change a generated migration makes when a project
// from before Fold is regenerated, and that it refuses to while live
// records hold two spellings of one value, changing nothing. schema
// returns the suite's schema before the change (fold false: Member.email
// compared exactly) or after it; a backend with versioned migrations
// returns them in the schema (one more migration after the change).
func MigrateFold(t *testing.T, b resource.Backend, schema func(fold bool) *resource.Schema) {
	t.Helper()
	ctx := resource.WithSubject(context.Background(), "alice")
	before, after := schema(false), schema(true)
	if f := before.Kind("Member").Field("email"); f == nil || f.Fold {
		t.Fatalf("schema(false) has Member.email %+v, want it without Fold", f)
	}
	if f := after.Kind("Member").Field("email"); f == nil || !f.Fold {
		t.Fatalf("schema(true) has Member.email %+v, want it with Fold", f)
	}
	if err := b.Migrate(ctx, before); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(b, before)
	member := before.Kind("Member")
	create := func(svc *resource.Service, email string) (string, error) {
		env, err := svc.Create(ctx, member, json.RawMessage(`{"email":"`+email+`"}`), resource.WriteOptions{})
		if err != nil {
			return "", err
		}
		return env.Meta.ResourceID, nil
	}
	var ids []string
	for _, email := range []string{"Ann@Example.com", "ann@example.com", "bob@example.com"} {
		id, err := create(svc, email)
		if err != nil {
			t.Fatalf("exact unique: create %s: %v", email, err)
		}
		ids = append(ids, id)
	}

	err := b.Migrate(ctx, after)
	if err == nil || !strings.Contains(err.Error(), "email") {
		t.Fatalf("Migrate over two spellings of one address = %v, want an error naming email", err)
	}
	// Nothing changed: the records are there and the exact index holds.
	if n, err := svc.Count(ctx, member, resource.ListQuery{}); err != nil || n != 3 {
		t.Fatalf("%d members after the refused Migrate (%v), want 3", n, err)
	}
	if _, err := create(svc, "bob@example.com"); resource.CodeOf(err) != resource.CodeConflict {
		t.Fatalf("duplicate after the refused Migrate: %v, want a conflict", err)
	}
	third, err := create(svc, "ANN@example.com")
	if err != nil {
		t.Fatalf("a third spelling after the refused Migrate (the old index is exact): %v", err)
	}

	// Once one spelling is left, the change applies.
	for _, id := range []string{ids[1], third} {
		if _, err := svc.Delete(ctx, member, id, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Migrate(ctx, after); err != nil {
		t.Fatalf("Migrate with one spelling left: %v", err)
	}
	svc = resource.NewService(b, after)
	member = after.Kind("Member")
	for _, email := range []string{"aNN@EXAMPLE.com", "BOB@example.com"} {
		if _, err := create(svc, email); resource.CodeOf(err) != resource.CodeConflict {
			t.Fatalf("create %s after the change = %v, want a conflict", email, err)
		}
	}
	env, err := svc.Get(ctx, member, ids[0], resource.ReadOptions{})
	if err != nil || string(env.Data) != `{"email":"Ann@Example.com"}` {
		t.Fatalf("member after the change: %v, %v; want its data unchanged", env, err)
	}
	if _, err := create(svc, "carol@example.com"); err != nil {
		t.Fatal(err)
	}
}
