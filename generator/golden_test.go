package generator_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/gqlrun"
	"github.com/specstar-go/specstar/generator/graphqlgen"
	"github.com/specstar-go/specstar/generator/internal/golden"
	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// goldenModule is the module path the golden trees are generated into.
const goldenModule = "example.com/golden"

// TestGolden generates every case under testdata/gen and compares the
// whole output tree with the case's want/ directory. Run
// `go test ./generator -update` to rewrite the goldens after an intended
// change, and review the diff like code.
func TestGolden(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			m := buildCase(t, dir)
			files, err := generator.Emit(m, goldenModule+"/"+m.Output)
			if err != nil {
				t.Fatal(err)
			}
			got := make(map[string][]byte, len(files))
			for _, f := range files {
				got[f.Path] = f.Content
			}
			golden.AssertDir(t, filepath.Join(dir, "want"), got)
		})
	}
}

// TestGoldenCompiles copies every golden tree into a temporary module
// that replaces specstar with this checkout, runs gqlgen on it (the one
// generated file the goldens leave out, because it is not the output of
// a pure emitter), and builds and vets it. testdata is invisible to
// `go build ./...`, so this is what keeps the goldens honest.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("builds generated code with the go command; skipped in -short mode")
	}
	root := repoRoot(t)
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := buildCase(t, dir)
			tmp := t.TempDir()
			writeModule(t, tmp, root)
			copyTree(t, filepath.Join(dir, "want"), filepath.Join(tmp, m.Output))
			runGQLGen(t, m, tmp)
			for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
				cmd := exec.Command("go", args...)
				cmd.Dir = tmp
				cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
		})
	}
}

// TestGenerateBlogIsDeterministic runs the whole pipeline twice in check
// mode on the blog example: the committed output must be up to date and
// generation must not depend on anything but the spec.
func TestGenerateBlogIsDeterministic(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "examples", "blog")
	var first [][]byte
	for i := range 2 {
		res, err := generator.Generate(context.Background(), generator.Config{Dir: dir, Check: true})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Check.Clean() {
			var buf bytes.Buffer
			res.Check.Format(&buf)
			t.Fatalf("examples/blog is stale; run `go generate ./examples/blog`:\n%s", buf.String())
		}
		for j, f := range res.Files {
			if i == 0 {
				first = append(first, f.Content)
			} else if !bytes.Equal(first[j], f.Content) {
				t.Errorf("%s differs between two runs", f.Path)
			}
		}
	}
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "gen", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under testdata/gen: %v", err)
	}
	return dirs
}

// buildCase loads and builds a case's spec with positions relative to the
// case directory, as the CLI would when run there.
func buildCase(t *testing.T, dir string) *model.Model {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := load.Bytes("spec.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	m.Source = "spec.yaml"
	return m
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// writeModule writes a go.mod that requires this checkout through a
// replace directive, with the checkout's requirements and go.sum so that
// the build needs no network.
func writeModule(t *testing.T, dir, root string) {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	_, requires, _ := strings.Cut(string(gomod), "\nrequire")
	mod := "module " + goldenModule + "\n\ngo 1.26.0\n\nrequire github.com/specstar-go/specstar v0.0.0\n\n" +
		"replace github.com/specstar-go/specstar => " + root + "\n\nrequire" + requires
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// runGQLGen runs the gqlgen stage of the pipeline on the golden tree of m
// copied into the module at dir, as Generate does, and adds its output.
func runGQLGen(t *testing.T, m *model.Model, dir string) {
	t.Helper()
	pkgPath := goldenModule + "/" + m.Output
	gql, err := graphqlgen.Generate(m, pkgPath)
	if err != nil {
		t.Fatal(err)
	}
	pkgDir := filepath.Join(dir, filepath.FromSlash(m.Output))
	entries, err := os.ReadDir(pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	var files []*gen.File
	for _, e := range entries {
		if e.IsDir() || slices.Contains(gql.Deferred, e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(pkgDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, &gen.File{Path: e.Name(), Content: data})
	}
	out, err := gqlrun.Run(context.Background(), gqlrun.Config{
		ModuleRoot: dir, ModulePath: goldenModule, PkgPath: pkgPath, Files: files,
		ConfigFile: graphqlgen.ConfigFile, Config: gql.Config,
		Outputs: []string{graphqlgen.ExecFile}, Header: gen.Header(m.Source),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out {
		if err := os.WriteFile(filepath.Join(pkgDir, f.Path), f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
