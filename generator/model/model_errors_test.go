package model_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/specstar-go/specstar/generator/internal/golden"
	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// errorCases is the directory of spec-error cases: each holds spec.yaml
// and stderr.txt, the exact diagnostics, with positions relative to the
// case directory.
const errorCases = "../../testdata/errors"

// check runs the loader and the model on a spec, as `specstar validate`
// does: the mistakes of both stages in one run.
func check(name string, data []byte) (*model.Model, error) {
	return model.Check(name, data)
}

func TestSpecErrors(t *testing.T) {
	entries, err := os.ReadDir(errorCases)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("no cases in %s", errorCases)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(errorCases, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(dir, "spec.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := check("spec.yaml", data)
			if err == nil {
				t.Fatalf("spec.yaml has no errors (model for package %q)", m.Package)
			}
			if m != nil {
				t.Errorf("Build returned a model and an error")
			}
			golden.Assert(t, filepath.Join(dir, "stderr.txt"), []byte(err.Error()+"\n"))
		})
	}
}

// TestErrorListSorted checks that errors from both stages come back as a
// sorted list of positioned errors.
func TestErrorListSorted(t *testing.T) {
	tests := []struct {
		name string
		spec string
	}{
		{"load errors", "specstar: 1\nzzz: 1\npackage: blog\naaa: 2\nresources: {P: {fields: {a: {type: string, bogus: 1}}}}\n"},
		{"model errors", "specstar: 1\npackage: blog\nresources:\n  P:\n    fields:\n      z: {type: nope}\n      a: {type: int, min: 5, max: 1}\n      b: {type: enum}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := check("x.yaml", []byte(tt.spec))
			if err == nil {
				t.Fatal("no error")
			}
			var list []error
			switch l := err.(type) {
			case load.ErrorList:
				if len(l) < 2 {
					t.Fatalf("want several errors, got %v", l)
				}
				for i := 1; i < len(l); i++ {
					if l[i].Pos.Line < l[i-1].Pos.Line {
						t.Errorf("errors not sorted: %v", l)
					}
				}
				for _, e := range l {
					list = append(list, e)
				}
			case model.ErrorList:
				if len(l) < 2 {
					t.Fatalf("want several errors, got %v", l)
				}
				for i := 1; i < len(l); i++ {
					if l[i].Pos.Line < l[i-1].Pos.Line {
						t.Errorf("errors not sorted: %v", l)
					}
				}
				for _, e := range l {
					list = append(list, e)
				}
			default:
				t.Fatalf("error type %T, want an ErrorList", err)
			}
			for _, e := range list {
				if got := e.Error(); len(got) < len("x.yaml:1:1: ") || got[:7] != "x.yaml:" {
					t.Errorf("error %q is not positioned", got)
				}
			}
		})
	}
}
