// Package generator runs the specstar pipeline: load the spec, build the
// resolved model, emit every file in memory, then write (or check) the
// output directory. Each stage depends only on the previous one.
package generator

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/gogen"
	"github.com/specstar-go/specstar/generator/gqlrun"
	"github.com/specstar-go/specstar/generator/graphqlgen"
	"github.com/specstar-go/specstar/generator/migrategen"
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/generator/openapigen"
	"github.com/specstar-go/specstar/generator/output"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// DefaultSpec is the spec file name gen looks for when none is given.
const DefaultSpec = "specstar.yaml"

// Config says what to generate and how.
type Config struct {
	// SpecPath is the spec file; "" means DefaultSpec in Dir. A relative
	// path is relative to Dir.
	SpecPath string
	// Dir is the working directory: relative paths and error positions are
	// relative to it. "" means the process working directory.
	Dir string
	// Check compares the output directory with what would be generated
	// instead of writing.
	Check bool
	// AllowDestructive lets the next migration drop the tables of a
	// resource that left the spec, with all their data. Without it,
	// Generate refuses such a change (*migrategen.DestructiveError).
	AllowDestructive bool
	// Progress, when set, is called as each stage starts: "load", "model",
	// "generate" (the emitters), "gqlgen" (the GraphQL executable schema:
	// seconds to minutes the first time, see package gqlrun), "write" (or
	// "check").
	Progress func(step string)
}

// Result describes a generation run.
type Result struct {
	OutputDir string      // absolute output directory
	Files     []*gen.File // everything generated, paths relative to OutputDir
	Written   []string    // files created or changed
	Removed   []string    // stale generated files pruned
	Unchanged int         // files already up to date
	Check     *output.CheckResult
	// Notes are things the user should know: migrations that moved with
	// the output directory, files of theirs left in a directory that no
	// longer holds generated code.
	Notes []string
}

// Generate runs the whole pipeline. Spec mistakes come back as a
// model.ErrorList holding every problem found; nothing is written then.
func Generate(ctx context.Context, cfg Config) (*Result, error) {
	p, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	specDir := filepath.Dir(p.specPath)
	// Output this spec left in another directory (its package or output
	// changed): pruned below, and its migrations move to the new one.
	elsewhere, err := output.Elsewhere(specDir, p.outDir, p.model.Source)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	elsewhere = slices.DeleteFunc(elsewhere, func(p string) bool { return p == gogen.MainGlueFile })
	migrationsDir, notes := p.outDir, []string(nil)
	if !exists(filepath.Join(p.outDir, filepath.FromSlash(migrategen.SnapshotFile))) {
		for _, dir := range dirsOf(specDir, elsewhere) {
			if exists(filepath.Join(dir, filepath.FromSlash(migrategen.SnapshotFile))) {
				migrationsDir = dir
				notes = append(notes, fmt.Sprintf("the migrations of %s continue in %s (copied from %s, which you may delete once it holds nothing of yours)",
					p.model.Source, relSlash(specDir, filepath.Join(p.outDir, migrategen.Dir)), relSlash(specDir, filepath.Join(dir, migrategen.Dir))))
				break
			}
		}
	}
	prev, err := readMigrations(migrationsDir)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	cfg.progress("generate")
	e, err := emit(p.model, p.pkgPath, prev, migrategen.Options{AllowDestructive: cfg.AllowDestructive})
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg.progress("gqlgen")
	exec, err := runGQLGen(ctx, p, e)
	if err != nil {
		return nil, err
	}
	files := append(e.files, exec...)
	res := &Result{OutputDir: p.outDir, Files: files, Notes: notes}
	// The glue of a main package next to the spec (specstar init's).
	glueName := filepath.Join(specDir, gogen.MainGlueFile)
	var glue *gen.File
	if exists(glueName) && specDir != p.outDir {
		if glue, err = gogen.MainGlue(p.model, p.pkgPath); err != nil {
			return nil, err
		}
	}
	// Paths outside the output directory, relative to it.
	fromOut := func(rel string) string { return relSlash(p.outDir, filepath.Join(specDir, filepath.FromSlash(rel))) }
	if cfg.Check {
		cfg.progress("check")
		res.Check, err = output.Check(p.outDir, files)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		for _, rel := range elsewhere {
			res.Check.Stale = append(res.Check.Stale, fromOut(rel))
		}
		if glue != nil {
			if old, err := os.ReadFile(glueName); err == nil && !bytes.Equal(old, glue.Content) {
				res.Check.Diffs = append(res.Check.Diffs, output.FileDiff{Path: fromOut(gogen.MainGlueFile), Old: old, New: glue.Content})
			}
		}
		return res, nil
	}
	cfg.progress("write")
	w, err := output.Write(p.outDir, files)
	if err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	res.Written, res.Removed, res.Unchanged = w.Written, w.Removed, w.Unchanged
	if err := output.Remove(specDir, elsewhere); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	for _, rel := range elsewhere {
		res.Removed = append(res.Removed, fromOut(rel))
	}
	for _, dir := range dirsOf(specDir, elsewhere) {
		if left := userFiles(dir); len(left) > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("%s no longer holds generated code (the spec's output is now %s), but still holds files of yours: %s; move them to %s or delete them",
				relSlash(specDir, dir), relSlash(specDir, p.outDir), strings.Join(left, ", "), relSlash(specDir, p.outDir)))
		}
	}
	if glue != nil {
		wrote, err := output.WriteFile(glueName, glue.Content)
		if err != nil {
			return nil, fmt.Errorf("output: %w", err)
		}
		if wrote {
			res.Written = append(res.Written, fromOut(gogen.MainGlueFile))
		} else {
			res.Unchanged++
		}
	}
	return res, nil
}

// exists reports whether a file exists.
func exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// dirsOf returns the absolute directories of the files (slash paths
// relative to root), each once, in order.
func dirsOf(root string, files []string) []string {
	var out []string
	for _, f := range files {
		d := filepath.Join(root, filepath.FromSlash(path.Dir(f)))
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// userFiles lists the names of the files and directories left in dir
// (those that are not generated), or nil for a missing or empty dir.
func userFiles(dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// relSlash returns target relative to base, slash-separated, or target
// itself when it cannot be expressed relative to base.
func relSlash(base, target string) string {
	rel, err := filepath.Rel(base, target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}

// Emit runs every emitter on m and returns all the files of the output
// directory: the Go code (pkgPath is the import path of the output
// package), the OpenAPI document it embeds, the GraphQL schema and
// resolvers, and the migrations of a first generation (00001_init.sql
// per dialect and the snapshot).
//
// Emit is pure: it leaves out what gqlgen generates from these files
// (graphqlgen.ExecFile), which Generate adds by running gqlgen, and the
// migrations an earlier generation wrote, which Generate reads from the
// output directory.
func Emit(m *model.Model, pkgPath string) ([]*gen.File, error) {
	e, err := emit(m, pkgPath, migrategen.Previous{}, migrategen.Options{})
	if err != nil {
		return nil, err
	}
	return e.files, nil
}

// emitted is the outcome of the pure emitters.
type emitted struct {
	files   []*gen.File
	graphql *graphqlgen.Result
}

func emit(m *model.Model, pkgPath string, prev migrategen.Previous, opts migrategen.Options) (*emitted, error) {
	files, err := gogen.Files(m, pkgPath)
	if err != nil {
		return nil, err
	}
	migrations, err := migrategen.Files(m, prev, opts)
	if err != nil {
		return nil, fmt.Errorf("gen: %w", err)
	}
	doc, err := openapigen.File(m)
	if err != nil {
		return nil, err
	}
	gql, err := graphqlgen.Generate(m, pkgPath)
	if err != nil {
		return nil, err
	}
	files = append(files, doc)
	files = append(files, gql.Files...)
	files = append(files, migrations...)
	return &emitted{files: files, graphql: gql}, nil
}

// runGQLGen runs gqlgen on the emitted package (in a temporary copy of
// the module, see package gqlrun) and returns the executable schema. The
// package gqlgen loads holds every emitted file but those that refer to
// gqlgen's output.
func runGQLGen(ctx context.Context, p *prepared, e *emitted) ([]*gen.File, error) {
	var pkg []*gen.File
	for _, f := range e.files {
		if !slices.Contains(e.graphql.Deferred, f.Path) {
			pkg = append(pkg, f)
		}
	}
	return gqlrun.Run(ctx, gqlrun.Config{
		ModuleRoot: p.modRoot,
		ModulePath: p.modPath,
		PkgPath:    p.pkgPath,
		Files:      pkg,
		ConfigFile: graphqlgen.ConfigFile,
		Config:     e.graphql.Config,
		Outputs:    []string{graphqlgen.ExecFile},
		Header:     gen.Header(p.model.Source),
	})
}

// readMigrations reads what an earlier generation left in the migrations
// directory of outDir: the snapshot and every migration file of each
// dialect. Generate passes them to migrategen, which returns the
// migration files unchanged and adds one when the storage changed; the
// output stage never prunes them (they do not start with
// gen.HeaderLine1).
func readMigrations(outDir string) (migrategen.Previous, error) {
	var prev migrategen.Previous
	data, err := os.ReadFile(filepath.Join(outDir, filepath.FromSlash(migrategen.SnapshotFile)))
	switch {
	case err == nil:
		prev.Snapshot = data
	case !errors.Is(err, fs.ErrNotExist):
		return prev, err
	}
	for _, d := range sqlschema.Dialects() {
		dir := path.Join(migrategen.Dir, string(d))
		entries, err := os.ReadDir(filepath.Join(outDir, filepath.FromSlash(dir)))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return prev, err
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
				continue
			}
			p := path.Join(dir, e.Name())
			content, err := os.ReadFile(filepath.Join(outDir, filepath.FromSlash(p)))
			if err != nil {
				return prev, err
			}
			prev.Files = append(prev.Files, &gen.File{Path: p, Content: content})
		}
	}
	return prev, nil
}

// Validate runs the load and model stages only and returns the model. It
// needs no Go module: a spec can be checked anywhere.
func Validate(ctx context.Context, cfg Config) (*model.Model, error) {
	m, _, err := loadModel(ctx, cfg)
	return m, err
}

func (c Config) progress(step string) {
	if c.Progress != nil {
		c.Progress(step)
	}
}

// prepared is the outcome of the load and model stages plus the facts about
// the surrounding Go module that the emitters need.
type prepared struct {
	model    *model.Model
	specPath string // absolute
	outDir   string // absolute
	pkgPath  string // import path of the output package
	modRoot  string // absolute directory of the module's go.mod
	modPath  string // module path
}

func prepare(ctx context.Context, cfg Config) (*prepared, error) {
	m, specPath, err := loadModel(ctx, cfg)
	if err != nil {
		return nil, err
	}
	modRoot, modPath, err := findModule(filepath.Dir(specPath))
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	src, err := filepath.Rel(modRoot, specPath)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	m.Source = filepath.ToSlash(src)
	outDir := filepath.Join(filepath.Dir(specPath), filepath.FromSlash(m.Output))
	rel, err := filepath.Rel(modRoot, outDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("model: output directory %s is outside the Go module at %s", outDir, modRoot)
	}
	return &prepared{model: m, specPath: specPath, outDir: outDir, pkgPath: path.Join(modPath, filepath.ToSlash(rel)), modRoot: modRoot, modPath: modPath}, nil
}

// loadModel reads the spec of cfg and runs the load and model stages; it
// returns the model and the absolute path of the spec.
func loadModel(ctx context.Context, cfg Config) (*model.Model, string, error) {
	dir := cfg.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, "", err
		}
		dir = wd
	}
	specPath := cfg.SpecPath
	if specPath == "" {
		specPath = DefaultSpec
	}
	if !filepath.IsAbs(specPath) {
		specPath = filepath.Join(dir, specPath)
	}
	data, err := os.ReadFile(specPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("load: %s: no such file", displayPath(dir, specPath))
		}
		return nil, "", fmt.Errorf("load: %w", err)
	}
	cfg.progress("load")
	m, err := model.Check(displayPath(dir, specPath), data)
	if err != nil {
		return nil, "", err
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	cfg.progress("model")
	return m, specPath, nil
}

// displayPath is how a file is named in messages: relative to the working
// directory when it is below it, else absolute.
func displayPath(dir, p string) string {
	rel, err := filepath.Rel(dir, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// findModule walks up from dir to the nearest go.mod and returns the
// module root and path. Generated code must live in a module so that it
// can import itself and the runtime.
func findModule(dir string) (root, modPath string, err error) {
	for d := dir; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			mp := modulePath(data)
			if mp == "" {
				return "", "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
			}
			return d, mp, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", "", err
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", fmt.Errorf("no go.mod in %s or any parent: run `go mod init` or `specstar init` first", dir)
		}
		d = parent
	}
}

// modulePath returns the module path declared in go.mod content.
func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "module"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
