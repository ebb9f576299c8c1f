package load_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/gogen"
	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// equivalentSpecs pairs YAML specs with their Go translations.
func equivalentSpecs() []struct{ name, yaml, goSpec string } {
	return []struct{ name, yaml, goSpec string }{
		{"blog", "../../examples/blog/specstar.yaml", "../../testdata/gospec/blog/spec.go"},
		{"alltypes", "../../testdata/gen/alltypes/spec.yaml", "../../testdata/gospec/alltypes/spec.go"},
		{"auth", "../../testdata/gen/auth/spec.yaml", "../../testdata/gospec/auth/spec.go"},
	}
}

func loadFile(t *testing.T, path, name string) *load.Spec {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := load.Bytes(name, data)
	if err != nil {
		t.Fatalf("%s:\n%v", path, err)
	}
	return s
}

// TestGoSpecSameAST checks that each Go spec loads into the same AST as
// its YAML original, positions and file name aside.
func TestGoSpecSameAST(t *testing.T) {
	for _, tt := range equivalentSpecs() {
		t.Run(tt.name, func(t *testing.T) {
			y := loadFile(t, tt.yaml, "spec.yaml")
			g := loadFile(t, tt.goSpec, "spec.go")
			opts := cmp.Options{
				cmpopts.IgnoreTypes(load.Pos{}),
				cmpopts.IgnoreFields(load.Spec{}, "File"),
			}
			if diff := cmp.Diff(y, g, opts); diff != "" {
				t.Errorf("AST differs (-yaml +go):\n%s", diff)
			}
		})
	}
}

// TestGoSpecSameOutput checks the contract of DESIGN.md §3: the same spec
// written in YAML and in Go generates byte-identical files (the Source
// header line names the spec file, so it is set to one value here).
func TestGoSpecSameOutput(t *testing.T) {
	for _, tt := range equivalentSpecs() {
		t.Run(tt.name, func(t *testing.T) {
			gen := func(path, name string) map[string][]byte {
				m, err := model.Build(loadFile(t, path, name))
				if err != nil {
					t.Fatalf("%s:\n%v", path, err)
				}
				m.Source = "spec"
				files, err := gogen.Files(m, "example.com/x/"+m.Output)
				if err != nil {
					t.Fatal(err)
				}
				out := make(map[string][]byte, len(files))
				for _, f := range files {
					out[f.Path] = f.Content
				}
				return out
			}
			y, g := gen(tt.yaml, "spec.yaml"), gen(tt.goSpec, "spec.go")
			if len(y) == 0 {
				t.Fatal("no files generated")
			}
			for path, want := range y {
				got, ok := g[path]
				switch {
				case !ok:
					t.Errorf("%s: generated from YAML only", path)
				case !bytes.Equal(want, got):
					t.Errorf("%s differs (-yaml +go):\n%s", path, cmp.Diff(string(want), string(got)))
				}
			}
			for path := range g {
				if _, ok := y[path]; !ok {
					t.Errorf("%s: generated from Go only", path)
				}
			}
		})
	}
}

// TestGenerateGoSpec runs the whole pipeline, as `specstar gen -f spec.go`
// does, on a module holding the blog Go spec, and on one holding the
// YAML spec: the written files match except for the spec's file name.
func TestGenerateGoSpec(t *testing.T) {
	run := func(src, specName string) (map[string][]byte, *generator.Result) {
		dir := t.TempDir()
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		// Generate runs gqlgen, which type-checks the generated package:
		// the module requires specstar, from this checkout.
		root, err := filepath.Abs(filepath.Join("..", ".."))
		if err != nil {
			t.Fatal(err)
		}
		gomod := "module example.com/app\n\ngo 1.26\n\nrequire github.com/specstar-go/specstar v0.0.0\n\n" +
			"replace github.com/specstar-go/specstar => " + root + "\n"
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); err != nil {
			t.Fatal(err)
		}
		sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, specName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := generator.Generate(context.Background(), generator.Config{Dir: dir, SpecPath: specName})
		if err != nil {
			t.Fatalf("Generate %s:\n%v", specName, err)
		}
		if len(res.Written) == 0 || len(res.Written) != len(res.Files) {
			t.Fatalf("Generate %s wrote %d of %d files", specName, len(res.Written), len(res.Files))
		}
		out := make(map[string][]byte)
		for _, f := range res.Files {
			content, err := os.ReadFile(filepath.Join(res.OutputDir, filepath.FromSlash(f.Path)))
			if err != nil {
				t.Fatal(err)
			}
			out[f.Path] = content
		}
		return out, res
	}
	goFiles, goRes := run("../../testdata/gospec/blog/spec.go", "spec.go")
	yamlFiles, _ := run("../../examples/blog/specstar.yaml", "specstar.yaml")
	if filepath.Base(goRes.OutputDir) != "blog" {
		t.Errorf("output dir = %s, want .../blog", goRes.OutputDir)
	}
	if len(goFiles) != len(yamlFiles) {
		t.Fatalf("Go spec generated %d files, YAML %d", len(goFiles), len(yamlFiles))
	}
	for path, got := range goFiles {
		// The spec's file name is named by the header of Go files and by
		// the OpenAPI description; nothing else may differ.
		want := bytes.ReplaceAll(yamlFiles[path], []byte("specstar.yaml"), []byte("spec.go"))
		if strings.HasSuffix(path, ".gen.go") && !bytes.Contains(got, []byte("\n// Source: spec.go\n")) {
			t.Errorf("%s: no \"// Source: spec.go\" header line", path)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from the YAML output beyond the spec's name:\n%s", path, cmp.Diff(string(want), string(got)))
		}
	}

	// A second run with --check finds everything up to date.
	dir := filepath.Dir(goRes.OutputDir)
	res, err := generator.Generate(context.Background(), generator.Config{Dir: dir, SpecPath: "spec.go", Check: true})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Check.Clean() {
		t.Error("check after generate is not clean")
	}
}

// TestGoSpecsTypeCheck vets the Go specs with the specstar tag, as an
// editor configured for them would: the marker types of runtime/spec must
// make every valid spec compile.
func TestGoSpecsTypeCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command; skipped in -short mode")
	}
	var pkgs []string
	for _, tt := range equivalentSpecs() {
		pkgs = append(pkgs, "./"+filepath.ToSlash(filepath.Dir(strings.TrimPrefix(tt.goSpec, "../../"))))
	}
	cmd := exec.Command("go", append([]string{"vet", "-tags", "specstar"}, pkgs...)...)
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet -tags specstar %v: %v\n%s", pkgs, err, out)
	}
}
