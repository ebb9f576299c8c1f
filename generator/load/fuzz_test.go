package load_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// FuzzLoad checks that loading and building any input never panics and
// that every failure is a positioned error list.
//
//	go test ./generator/load -run '^$' -fuzz FuzzLoad -fuzztime 1m
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"",
		"specstar: 1\npackage: x\nresources: {P: {fields: {a: string}}}\n",
		"specstar: 1\npackage: x\nresources:\n  P:\n    fields: &f\n      a: {type: object, fields: *f}\n",
		"specstar: 1\npackage: x\nresources:\n  P:\n    fields:\n      s: {type: enum, values: [a, b], default: a}\n      l: {type: list, of: int, default: [1, 2]}\n      r: {type: ref, to: P, on_delete: set_null}\n",
		"- [a, {b: c}]\n",
		"a: {b: [\n",
	}
	if data, err := os.ReadFile("../../examples/blog/specstar.yaml"); err == nil {
		seeds = append(seeds, string(data))
	}
	if cases, err := filepath.Glob("../../testdata/errors/*/spec.yaml"); err == nil {
		for _, c := range cases {
			if data, err := os.ReadFile(c); err == nil {
				seeds = append(seeds, string(data))
			}
		}
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := load.Bytes("fuzz.yaml", data)
		if err != nil {
			list, ok := err.(load.ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("load error %T %v is not a non-empty ErrorList", err, err)
			}
			assertPositioned(t, err.Error())
			return
		}
		m, err := model.Build(spec)
		if err != nil {
			list, ok := err.(model.ErrorList)
			if !ok || len(list) == 0 {
				t.Fatalf("model error %T %v is not a non-empty ErrorList", err, err)
			}
			assertPositioned(t, err.Error())
			return
		}
		if m == nil || len(m.Resources) == 0 {
			t.Fatal("Build succeeded without resources")
		}
	})
}

func assertPositioned(t *testing.T, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "fuzz.yaml:") {
			t.Fatalf("unpositioned error line %q", line)
		}
	}
}
