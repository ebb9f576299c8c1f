// Package gqlrun runs gqlgen, the one stage of the generator that is not
// a pure function: gqlgen loads the output package with the go command
// to bind the GraphQL schema to its Go types, and writes the executable
// schema next to it.
//
// Run never lets gqlgen touch the user's tree. It builds a temporary copy
// of the output module holding only what gqlgen needs (go.mod and go.sum,
// with relative replace paths made absolute; the output package as the
// emitters rendered it, minus the files that need gqlgen's output; the
// packages of the same module that the output package imports), runs
// `go run github.com/99designs/gqlgen generate` there, and returns the
// file gqlgen wrote with specstar's header. The version of gqlgen is the
// one the module graph selects: specstar's go.mod requires it, so the
// generator and the runtime library always agree.
package gqlrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/specstar-go/specstar/generator/gen"
)

// GQLGen is the package Run executes with go run.
const GQLGen = "github.com/99designs/gqlgen"

// Config says what to run gqlgen on.
type Config struct {
	// ModuleRoot is the directory of the go.mod of the output module.
	ModuleRoot string
	// ModulePath is the module path declared there.
	ModulePath string
	// PkgPath is the import path of the output package; it must be
	// ModulePath or below it.
	PkgPath string
	// Files is the output package as gqlgen must see it: its Go files and
	// the schema, paths relative to the package directory.
	Files []*gen.File
	// ConfigFile and Config are the name and content of the gqlgen
	// configuration, placed in the package directory.
	ConfigFile string
	Config     []byte
	// Outputs are the files gqlgen writes that Run returns, relative to
	// the package directory.
	Outputs []string
	// Header is the header that replaces the first line of every Go
	// output (gqlgen's "Code generated" line).
	Header []string
	// Env is the environment of the go command; nil means os.Environ().
	Env []string
	// CacheDir overrides the cache of gqlgen outputs (see cache.go);
	// "" means the user cache directory unless SPECSTAR_NO_CACHE=1.
	CacheDir string
}

// Run runs gqlgen on cfg in a temporary module and returns cfg.Outputs.
func Run(ctx context.Context, cfg Config) ([]*gen.File, error) {
	rel, ok := strings.CutPrefix(cfg.PkgPath, cfg.ModulePath)
	if !ok || (rel != "" && rel[0] != '/') {
		return nil, fmt.Errorf("gqlgen: package %s is not in module %s", cfg.PkgPath, cfg.ModulePath)
	}
	rel = strings.TrimPrefix(rel, "/")
	tmp, err := os.MkdirTemp("", "specstar-gqlgen-")
	if err != nil {
		return nil, fmt.Errorf("gqlgen: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := writeModule(tmp, cfg.ModuleRoot, cfg.ModulePath); err != nil {
		return nil, fmt.Errorf("gqlgen: %w", err)
	}
	pkgDir := filepath.Join(tmp, filepath.FromSlash(rel))
	for _, f := range cfg.Files {
		if err := writeFile(filepath.Join(pkgDir, filepath.FromSlash(f.Path)), f.Content); err != nil {
			return nil, fmt.Errorf("gqlgen: %w", err)
		}
	}
	if err := writeFile(filepath.Join(pkgDir, cfg.ConfigFile), cfg.Config); err != nil {
		return nil, fmt.Errorf("gqlgen: %w", err)
	}
	if err := copyLocalImports(tmp, cfg); err != nil {
		return nil, fmt.Errorf("gqlgen: %w", err)
	}
	raw, err := generate(ctx, tmp, pkgDir, cfg)
	if err != nil {
		return nil, err
	}
	var files []*gen.File
	for _, name := range cfg.Outputs {
		data := raw[name]
		if strings.HasSuffix(name, ".go") {
			data = withHeader(data, cfg.Header)
		}
		files = append(files, &gen.File{Path: name, Content: data})
	}
	return files, nil
}

// generate returns gqlgen's outputs for the module assembled in tmp, from
// the cache when an entry for exactly these inputs exists, else by running
// gqlgen in pkgDir.
func generate(ctx context.Context, tmp, pkgDir string, cfg Config) (map[string][]byte, error) {
	dir := cacheDir(cfg)
	var key string
	if dir != "" {
		k, err := cacheKey(ctx, tmp, cfg)
		if err != nil {
			return nil, fmt.Errorf("gqlgen: cache key: %w", err)
		}
		key = k
		if files := cacheGet(dir, key, cfg.Outputs); files != nil {
			return files, nil
		}
	}
	cmd := exec.CommandContext(ctx, "go", "run", GQLGen, "generate", "--config", cfg.ConfigFile)
	cmd.Dir = pkgDir
	cmd.Env = environ(cfg.Env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("gqlgen: go run %s generate: %v\n%s", GQLGen, err, strings.TrimSpace(strings.ReplaceAll(out.String(), tmp, "$WORK")))
	}
	files := make(map[string][]byte, len(cfg.Outputs))
	for _, name := range cfg.Outputs {
		data, err := os.ReadFile(filepath.Join(pkgDir, filepath.FromSlash(name)))
		if err != nil {
			return nil, fmt.Errorf("gqlgen: %s was not generated: %w", name, err)
		}
		files[name] = data
	}
	if dir != "" {
		cachePut(dir, key, files)
	}
	return files, nil
}

// environ is the environment of the go command: base, with the settings
// a throwaway module needs.
//
//   - GOWORK=off: a go.work of the user's tree does not list the copy.
//   - -mod=mod: the copy may add the go.sum lines of gqlgen's command that
//     the user's module never needed. (The user's other GOFLAGS, such as
//     -modfile, would point outside the copy.)
//   - -trimpath: without it the build cache keys every package of the
//     module by its directory, which is new on every run, so gqlgen's
//     loading of the output package would recompile it and its in-module
//     imports each time (seconds). With it, a warm run hits the cache.
func environ(base []string) []string {
	if base == nil {
		base = os.Environ()
	}
	env := slices.DeleteFunc(slices.Clone(base), func(kv string) bool {
		return strings.HasPrefix(kv, "GOWORK=") || strings.HasPrefix(kv, "GOFLAGS=")
	})
	return append(env, "GOWORK=off", "GOFLAGS=-mod=mod -trimpath")
}

// specstarModule is the module the generated code imports its runtime
// from.
const specstarModule = "github.com/specstar-go/specstar"

// requires reports whether mf requires module path.
func requires(mf *modfile.File, path string) bool {
	for _, r := range mf.Require {
		if r.Mod.Path == path {
			return true
		}
	}
	return false
}

// withHeader replaces the first line of a Go file with header.
func withHeader(data []byte, header []string) []byte {
	_, rest, _ := bytes.Cut(data, []byte("\n"))
	var buf bytes.Buffer
	for _, line := range header {
		buf.WriteString(line + "\n")
	}
	buf.Write(rest)
	return buf.Bytes()
}

// writeModule writes go.mod, with every replace by a relative path made
// absolute (relative to root), and go.sum into dir. The module must
// require specstar (unless it is specstar): gqlgen type-checks the
// generated package, which imports specstar's runtime.
func writeModule(dir, root, modPath string) error {
	name := filepath.Join(root, "go.mod")
	data, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	mf, err := modfile.Parse(name, data, nil)
	if err != nil {
		return err
	}
	if !requires(mf, specstarModule) && modPath != specstarModule {
		return fmt.Errorf("%s does not require %s, whose runtime the generated code imports: run `go get %s` in %s (specstar init does this for new projects)",
			name, specstarModule, specstarModule, root)
	}
	for _, r := range mf.Replace {
		if r.New.Version == "" && modfile.IsDirectoryPath(r.New.Path) && !filepath.IsAbs(r.New.Path) {
			abs := filepath.Join(root, filepath.FromSlash(r.New.Path))
			if err := mf.AddReplace(r.Old.Path, r.Old.Version, abs, ""); err != nil {
				return err
			}
		}
	}
	mf.Cleanup()
	out, err := mf.Format()
	if err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "go.mod"), out); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, "go.sum"), sum)
}

// copyLocalImports copies into the temporary module the packages of the
// output module that the output package imports, directly or not. The
// output package of a user's project imports only specstar's runtime and
// other modules; this matters when the output module is the one that
// provides the runtime (specstar's own examples).
func copyLocalImports(tmp string, cfg Config) error {
	var queue []string
	for _, f := range cfg.Files {
		if strings.HasSuffix(f.Path, ".go") {
			imps, err := importsOf(f.Path, f.Content)
			if err != nil {
				return err
			}
			queue = append(queue, imps...)
		}
	}
	seen := map[string]bool{cfg.PkgPath: true}
	for len(queue) > 0 {
		imp := queue[0]
		queue = queue[1:]
		rel, ok := strings.CutPrefix(imp, cfg.ModulePath)
		if seen[imp] || !ok || (rel != "" && rel[0] != '/') {
			continue
		}
		seen[imp] = true
		more, err := copyPackage(filepath.Join(cfg.ModuleRoot, filepath.FromSlash(rel)), filepath.Join(tmp, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		queue = append(queue, more...)
	}
	return nil
}

// copyPackage copies the non-test Go files of the package in from to to,
// and every subdirectory when the package embeds files, and returns the
// imports of the copied files.
func copyPackage(from, to string) ([]string, error) {
	entries, err := os.ReadDir(from)
	if err != nil {
		return nil, err
	}
	var imports []string
	embeds := false
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, name))
		if err != nil {
			return nil, err
		}
		imps, err := importsOf(name, data)
		if err != nil {
			return nil, err
		}
		imports = append(imports, imps...)
		embeds = embeds || bytes.Contains(data, []byte("//go:embed"))
		if err := writeFile(filepath.Join(to, name), data); err != nil {
			return nil, err
		}
	}
	if embeds {
		for _, e := range entries {
			if e.IsDir() && e.Name() != "testdata" {
				if err := os.CopyFS(filepath.Join(to, e.Name()), os.DirFS(filepath.Join(from, e.Name()))); err != nil {
					return nil, err
				}
			}
		}
	}
	return imports, nil
}

// importsOf returns the import paths of a Go file.
func importsOf(name string, src []byte) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, path.Clean(p))
	}
	return out, nil
}

// writeFile writes data to name, creating its directory.
func writeFile(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return os.WriteFile(name, data, 0o644)
}
