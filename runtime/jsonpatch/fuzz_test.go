package jsonpatch

import (
	"encoding/json"
	"testing"
)

// FuzzDiffApply checks the Diff property: for any two JSON documents,
// applying Diff(from, to) to from gives a document equal to to.
func FuzzDiffApply(f *testing.F) {
	f.Add([]byte(`{}`), []byte(`{"a":1}`))
	f.Add([]byte(`{"a":[1,2,3],"b":{"c":"d"}}`), []byte(`{"a":[1],"b":{"c":"e","f":null}}`))
	f.Add([]byte(`[1,[2,3]]`), []byte(`[[2],1,4]`))
	f.Fuzz(func(t *testing.T, from, to []byte) {
		a, errA := decode(from)
		b, errB := decode(to)
		if errA != nil || errB != nil {
			return
		}
		ops, err := Diff(from, to)
		if err != nil {
			t.Fatalf("Diff(%s, %s): %v", from, to, err)
		}
		patch, err := json.Marshal(ops)
		if err != nil {
			t.Fatalf("marshal patch: %v", err)
		}
		got, err := Apply(from, patch)
		if err != nil {
			t.Fatalf("Apply(%s, %s): %v", from, patch, err)
		}
		g, err := decode(got)
		if err != nil {
			t.Fatalf("Apply result %s is not JSON: %v", got, err)
		}
		if !equal(g, b) {
			t.Fatalf("Apply(from, Diff(from, to)) = %s, want %s (from %s, patch %s)", got, to, from, patch)
		}
		if equal(a, b) && len(ops) != 0 {
			t.Fatalf("Diff of equal documents is %s, want []", patch)
		}
	})
}

// FuzzApply checks that Apply never panics and that a successful result
// is valid JSON.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`{"foo":["bar","baz"]}`), []byte(`[{"op":"add","path":"/foo/1","value":"qux"}]`))
	f.Add([]byte(`{"a":{"b":[1]}}`), []byte(`[{"op":"move","from":"/a/b/0","path":"/a/c"},{"op":"test","path":"/a/c","value":1}]`))
	f.Add([]byte(`[1,2]`), []byte(`[{"op":"copy","from":"","path":"/-"},{"op":"remove","path":"/0"}]`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		got, err := Apply(doc, patch)
		if err != nil {
			return
		}
		if _, err := decode(got); err != nil {
			t.Fatalf("Apply(%s, %s) = %s, which is not JSON: %v", doc, patch, got, err)
		}
	})
}
