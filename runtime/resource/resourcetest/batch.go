package resourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// set returns a patch function that writes data, and records the data it
// was given in seen.
func set(data string, seen *[]string) func(json.RawMessage) (json.RawMessage, error) {
	return func(cur json.RawMessage) (json.RawMessage, error) {
		*seen = append(*seen, string(cur))
		return json.RawMessage(data), nil
	}
}

// testPatchMany checks Service.PatchMany: each op is a Patch, in order,
// in one transaction; ops on one resource chain their revisions; an op
// that changes nothing writes nothing; retention applies; any failure
// writes nothing.
func testPatchMany(t *testing.T, e *env) {
	a := e.create(e.Note, `{"v":1}`).Meta.ResourceID
	b := e.create(e.Note, `{"v":10}`).Meta.ResourceID
	c := e.create(e.Event, `{"n":1}`).Meta.ResourceID
	e.update(e.Event, c, `{"n":2}`)
	var seen []string
	same := func(cur json.RawMessage) (json.RawMessage, error) { seen = append(seen, string(cur)); return cur, nil }
	envs, err := e.svc.PatchMany(e.ctx, []resource.PatchOp{
		{Kind: e.Note, ID: a, Fn: set(`{"v":2}`, &seen)},
		{Kind: e.Note, ID: b, Fn: set(`{"v":20}`, &seen)},
		{Kind: e.Note, ID: a, Fn: set(`{"v":3}`, &seen)},
		{Kind: e.Note, ID: a, Fn: same},
		{Kind: e.Event, ID: c, Fn: set(`{"n":3}`, &seen)},
		{Kind: e.Event, ID: c, Fn: set(`{"n":4}`, &seen)},
	}, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`{"v":1}`, `{"v":10}`, `{"v":2}`, `{"v":3}`, `{"n":2}`, `{"n":3}`}; !slices.Equal(seen, want) {
		t.Fatalf("the ops saw %q, want %q (each the data the op before wrote)", seen, want)
	}
	var got []string
	for _, env := range envs {
		got = append(got, fmt.Sprintf("%s:%d %s", env.Meta.ResourceID, env.RevisionInfo.Number, env.Data))
	}
	want := []string{a + `:2 {"v":2}`, b + `:2 {"v":20}`, a + `:3 {"v":3}`, a + `:3 {"v":3}`, c + `:3 {"n":3}`, c + `:4 {"n":4}`}
	if !slices.Equal(got, want) {
		t.Fatalf("PatchMany returned %q, want %q", got, want)
	}
	if n := e.numbers(e.Note, a, false); !slices.Equal(n, []int{3, 2, 1}) {
		t.Fatalf("revisions of %s = %v, want [3 2 1]: one per op that changed something", a, n)
	}
	if rev, err := e.svc.Revision(e.ctx, e.Note, a, a+":2", resource.RevisionOptions{}); err != nil || string(rev.Data) != `{"v":2}` {
		t.Fatalf("revision 2 of %s = %v, %v, want the first op's data", a, rev, err)
	}
	if n := e.numbers(e.Event, c, false); !slices.Equal(n, []int{4, 3, 2}) {
		t.Fatalf("revisions of %s = %v, want [4 3 2] (the kind keeps 2 before the current one)", c, n)
	}

	// All or nothing: a missing resource, a deleted one, a failing
	// function each leave every resource as it was.
	deleted := e.create(e.Note, `{"v":0}`).Meta.ResourceID
	if _, err := e.svc.Delete(e.ctx, e.Note, deleted, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		op   resource.PatchOp
		code resource.Code
	}{
		{"missing", resource.PatchOp{Kind: e.Note, ID: "nope", Fn: set(`{"v":9}`, &seen)}, resource.CodeNotFound},
		{"deleted", resource.PatchOp{Kind: e.Note, ID: deleted, Fn: set(`{"v":9}`, &seen)}, resource.CodeGone},
		{"function fails", resource.PatchOp{Kind: e.Note, ID: b, Fn: func(json.RawMessage) (json.RawMessage, error) { return nil, boom }}, ""},
		{"invalid data", resource.PatchOp{Kind: e.Note, ID: b, Fn: set(`[1]`, &seen)}, resource.CodeValidation},
	} {
		_, err := e.svc.PatchMany(e.ctx, []resource.PatchOp{{Kind: e.Note, ID: a, Fn: set(`{"v":4}`, &seen)}, tc.op}, resource.WriteOptions{})
		if tc.code == "" {
			if !errors.Is(err, boom) {
				t.Fatalf("%s: error = %v, want the function's", tc.name, err)
			}
		} else {
			wantCode(t, err, tc.code)
		}
		if env := e.get(e.Note, a); env.Meta.TotalRevisionCount != 3 || string(env.Data) != `{"v":3}` {
			t.Fatalf("%s: %s is at revision %d %s, want 3 {\"v\":3}: a failed batch writes nothing", tc.name, a, env.Meta.TotalRevisionCount, env.Data)
		}
	}
	_, err = e.svc.PatchMany(e.ctx, []resource.PatchOp{{Kind: e.Note, ID: a, Fn: same}}, resource.WriteOptions{IfMatch: `"x"`})
	wantCode(t, err, resource.CodeBadRequest)
	if envs, err := e.svc.PatchMany(e.ctx, nil, resource.WriteOptions{}); err != nil || len(envs) != 0 {
		t.Fatalf("PatchMany of no ops = %v, %v, want nothing", envs, err)
	}

	// Hooks run for each op and, inside its transaction, read the
	// resource as the ops before wrote it.
	var stored []string
	e.withOptions(resource.WithHooks(e.Note, resource.Hooks{
		AfterWrite: func(ctx context.Context, w *resource.Write, env *resource.Envelope) error {
			got, err := e.svc.Get(ctx, e.Note, w.ID, resource.ReadOptions{})
			if err != nil {
				return err
			}
			stored = append(stored, fmt.Sprintf("%s %d", got.Data, got.Meta.TotalRevisionCount))
			return nil
		},
	}))
	if _, err := e.svc.PatchMany(e.ctx, []resource.PatchOp{
		{Kind: e.Note, ID: b, Fn: set(`{"v":21}`, &seen)},
		{Kind: e.Note, ID: b, Fn: set(`{"v":22}`, &seen)},
	}, resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := []string{`{"v":21} 3`, `{"v":22} 4`}; !slices.Equal(stored, want) {
		t.Fatalf("AfterWrite read %q, want %q", stored, want)
	}
}
