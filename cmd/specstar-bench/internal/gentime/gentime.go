// Package gentime times the specstar generator the way a developer runs
// it: `specstar gen` on the blog example and on a generated 50-resource
// spec, each in a scratch module, warm (one untimed run first, so the
// binary and the files are in the page cache), then the median of several
// runs; and `specstar gen --check` on the unchanged tree. MeasureCold
// compares the first gen on a machine with the first go build of its
// output.
package gentime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Timing is the timing of one generator command.
type Timing struct {
	Name   string          `json:"name"`      // "gen blog", "gen --check blog", ...
	Spec   string          `json:"spec"`      // the case: "blog", "50 resources"
	Check  bool            `json:"check"`     // a gen --check run
	Runs   []time.Duration `json:"runs_ns"`   // every timed run, in order
	Median time.Duration   `json:"median_ns"` // of Runs
}

// Case is one spec to time: a scratch module holding the spec.
type Case struct {
	Name     string // short name used in timing names: "blog", "50 resources"
	Module   string // module path of the scratch module
	SpecDir  string // slash path of the spec's directory inside the module
	Spec     []byte // the spec
	Output   string // slash path of the output directory, relative to SpecDir
	Resource int    // number of resources, for the report
}

// Measure times `specstar gen` and `specstar gen --check` on each case:
// for each, it writes the scratch module under workDir, runs gen once
// untimed, then runs times timed runs of gen (each after removing the
// output directory, so every run writes every file) and times runs of
// gen --check, which must report the tree up to date.
//
// A scratch module requires the specstar checkout at repoRoot through a
// replace directive, with the checkout's requirements and go.sum, as a
// user's project would (the generator runs the go command on it for
// gqlgen), and needs no network.
func Measure(ctx context.Context, specstar, repoRoot, workDir string, runs int, cases []Case) ([]Timing, error) {
	if runs < 1 {
		return nil, fmt.Errorf("gentime: runs must be at least 1, got %d", runs)
	}
	var out []Timing
	for _, c := range cases {
		root := filepath.Join(workDir, strings.ReplaceAll(c.Name, " ", "-"))
		dir := filepath.Join(root, filepath.FromSlash(c.SpecDir))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := writeModule(root, c.Module, repoRoot); err != nil {
			return nil, fmt.Errorf("gentime: %s: %w", c.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "specstar.yaml"), c.Spec, 0o644); err != nil {
			return nil, err
		}
		if _, err := run(ctx, specstar, dir, "gen", "-q"); err != nil {
			return nil, fmt.Errorf("gentime: %s: warm-up: %w", c.Name, err)
		}
		gen := Timing{Name: "gen " + c.Name, Spec: c.Name}
		for range runs {
			if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(c.Output))); err != nil {
				return nil, err
			}
			d, err := run(ctx, specstar, dir, "gen", "-q")
			if err != nil {
				return nil, fmt.Errorf("gentime: %s: %w", gen.Name, err)
			}
			gen.Runs = append(gen.Runs, d)
		}
		check := Timing{Name: "gen --check " + c.Name, Spec: c.Name, Check: true}
		for range runs {
			d, err := run(ctx, specstar, dir, "gen", "--check")
			if err != nil {
				return nil, fmt.Errorf("gentime: %s (the tree was just generated): %w", check.Name, err)
			}
			check.Runs = append(check.Runs, d)
		}
		gen.Median, check.Median = median(gen.Runs), median(check.Runs)
		out = append(out, gen, check)
	}
	return out, nil
}

// writeModule writes the go.mod and go.sum of a scratch module at dir
// with the given path.
func writeModule(dir, module, repoRoot string) error {
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		return err
	}
	_, requires, ok := strings.Cut(string(gomod), "\nrequire")
	if !ok {
		return fmt.Errorf("%s has no require block", filepath.Join(repoRoot, "go.mod"))
	}
	mod := "module " + module + "\n\ngo 1.26.0\n\nrequire " + specstarModule + " v0.0.0\n\n" +
		"replace " + specstarModule + " => " + repoRoot + "\n\nrequire" + requires
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(repoRoot, "go.sum"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
}

// specstarModule is the module path of the specstar checkout.
const specstarModule = "github.com/specstar-go/specstar"

// run runs specstar with args in dir and returns its wall-clock time.
func run(ctx context.Context, specstar, dir string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, specstar, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("specstar %s: %w\n%s", strings.Join(args, " "), err, out.Bytes())
	}
	return d, nil
}

// median returns the median of ds (the mean of the middle two for an even
// count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// BlogCase returns the case of the blog example, laid out as in the
// repository (so that its Source headers and output equal the committed
// files), reading the spec from the repository at repoRoot.
func BlogCase(repoRoot string) (Case, error) {
	spec, err := os.ReadFile(filepath.Join(repoRoot, "examples", "blog", "specstar.yaml"))
	if err != nil {
		return Case{}, fmt.Errorf("gentime: %w", err)
	}
	return Case{
		Name:     "blog",
		Module:   "example.com/genbench",
		SpecDir:  "examples/blog",
		Spec:     spec,
		Output:   "blog",
		Resource: 3,
	}, nil
}

// LargeCase returns the case of a generated spec with n resources.
func LargeCase(n int) (Case, error) {
	if n < 1 {
		return Case{}, errors.New("gentime: a spec needs at least one resource")
	}
	return Case{
		Name:     fmt.Sprintf("%d resources", n),
		Module:   "example.com/large",
		SpecDir:  ".",
		Spec:     Spec(n),
		Output:   "large",
		Resource: n,
	}, nil
}

// Spec returns a valid spec with n resources, each with a dozen fields of
// every kind the generator handles: constrained strings, a unique slug and
// uuid, an enum with a default, an indexed list, numbers, times, a URL, an
// email, free JSON, a nested object with an indexed member, and (after the
// first) a ref to the previous resource.
func Spec(n int) []byte {
	var b strings.Builder
	b.WriteString("# A generated spec for timing the generator.\nspecstar: 1\npackage: large\nresources:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  Thing%02d:\n", i)
		fmt.Fprintf(&b, "    description: Generated resource number %d.\n", i)
		b.WriteString("    fields:\n")
		b.WriteString("      name:     {type: string, required: true, min_length: 1, max_length: 100, index: true, display: true}\n")
		b.WriteString("      slug:     {type: string, required: true, pattern: \"^[a-z0-9-]+$\", unique: true}\n")
		b.WriteString("      body:     {type: text, max_length: 10000}\n")
		b.WriteString("      status:   {type: enum, values: [new, active, archived], default: new, index: true}\n")
		b.WriteString("      tags:     {type: list, of: string, max_length: 20, index: true}\n")
		b.WriteString("      count:    {type: int, min: 0, default: 0, index: true}\n")
		b.WriteString("      ratio:    {type: float, min: 0, max: 1}\n")
		b.WriteString("      active:   {type: bool, default: true}\n")
		b.WriteString("      due_at:   {type: datetime, index: true}\n")
		b.WriteString("      day:      {type: date}\n")
		b.WriteString("      contact:  {type: email}\n")
		b.WriteString("      site:     {type: url}\n")
		b.WriteString("      external: {type: uuid, unique: true}\n")
		b.WriteString("      extra:    {type: json}\n")
		b.WriteString("      address:\n        type: object\n        fields:\n")
		b.WriteString("          city:    {type: string, max_length: 80, index: true}\n")
		b.WriteString("          country: {type: string, pattern: \"^[A-Z]{2}$\"}\n")
		if i > 1 {
			fmt.Fprintf(&b, "      parent:   {type: ref, to: Thing%02d, on_delete: set_null, index: true}\n", i-1)
		}
		b.WriteString("    revisions: {keep_last: 50}\n")
	}
	return []byte(b.String())
}

// Cold is the first run of the generator on a machine, compared with the
// first build of what it generated: `specstar gen` of a case with an
// empty Go build cache and an empty specstar cache (so gen builds gqlgen
// and compiles what gqlgen loads, as on a new machine), and `go build` of
// the generated package with another empty Go build cache. The specstar
// binary itself is built beforehand: a user installs it once, and its
// build is not part of a gen.
type Cold struct {
	Spec     string        `json:"spec"`
	Gen      time.Duration `json:"gen_ns"`   // cold specstar gen
	Build    time.Duration `json:"build_ns"` // cold go build of the generated package
	MaxRatio float64       `json:"max_ratio"`
}

// ColdMaxRatio is the target: a cold gen within twice a cold go build of
// the generated package.
const ColdMaxRatio = 2.0

// Ratio is Gen / Build.
func (c Cold) Ratio() float64 {
	if c.Build <= 0 {
		return 0
	}
	return float64(c.Gen) / float64(c.Build)
}

// Pass reports whether the ratio is within the target.
func (c Cold) Pass() bool { return c.Build > 0 && c.Ratio() <= c.MaxRatio }

// Line is the report line: "PASS cold gen blog 31.2s = 0.93x cold go build 33.5s (target <= 2x)".
func (c Cold) Line() string {
	status := "MISS"
	if c.Pass() {
		status = "PASS"
	}
	return fmt.Sprintf("%s cold gen %s %s = %.2fx cold go build %s (target <= %gx)",
		status, c.Spec, c.Gen.Round(100*time.Millisecond), c.Ratio(), c.Build.Round(100*time.Millisecond), c.MaxRatio)
}

// MeasureCold measures c cold (see Cold) in a scratch module under
// workDir. The empty caches are directories under workDir, removed
// afterwards; the module cache is the user's (downloads are not what is
// measured, and the benchmark runs offline).
func MeasureCold(ctx context.Context, specstar, repoRoot, workDir string, c Case) (Cold, error) {
	res := Cold{Spec: c.Name, MaxRatio: ColdMaxRatio}
	root := filepath.Join(workDir, "cold-"+strings.ReplaceAll(c.Name, " ", "-"))
	dir := filepath.Join(root, filepath.FromSlash(c.SpecDir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, err
	}
	defer os.RemoveAll(root)
	if err := writeModule(root, c.Module, repoRoot); err != nil {
		return res, fmt.Errorf("gentime: cold %s: %w", c.Name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "specstar.yaml"), c.Spec, 0o644); err != nil {
		return res, err
	}
	// Each measurement gets caches of its own, created empty.
	fresh := func(name string) (string, error) {
		d := filepath.Join(root, ".cache", name)
		return d, os.MkdirAll(d, 0o755)
	}
	genCache, err := fresh("gen-gocache")
	if err != nil {
		return res, err
	}
	userCache, err := fresh("gen-usercache")
	if err != nil {
		return res, err
	}
	env := append(os.Environ(), "GOCACHE="+genCache, "XDG_CACHE_HOME="+userCache, "GOFLAGS=-mod=mod")
	if res.Gen, err = runEnv(ctx, env, dir, specstar, "gen", "-q"); err != nil {
		return res, fmt.Errorf("gentime: cold gen %s: %w", c.Name, err)
	}
	buildCache, err := fresh("build-gocache")
	if err != nil {
		return res, err
	}
	env = append(os.Environ(), "GOCACHE="+buildCache, "GOFLAGS=-mod=mod")
	pkg := "./" + path.Join(c.SpecDir, c.Output)
	if res.Build, err = runEnv(ctx, env, root, "go", "build", pkg); err != nil {
		return res, fmt.Errorf("gentime: cold go build %s: %w", pkg, err)
	}
	return res, nil
}

// runEnv runs name with args in dir with env and returns its wall-clock
// time.
func runEnv(ctx context.Context, env []string, dir, name string, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return d, nil
}
