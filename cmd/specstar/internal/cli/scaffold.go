package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/gogen"
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/templates"
)

// specstarModule is the module path of the specstar checkout.
const specstarModule = "github.com/specstar-go/specstar"

// scaffoldFile is one file init writes.
type scaffoldFile struct {
	name    string
	content []byte
}

// scaffold renders the files of a new project with module path modPath
// that uses the specstar checkout at root.
func scaffold(modPath, root string) ([]scaffoldFile, error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	goVersion, reqs := parseGoMod(gomod)
	sampleSpec, err := templates.FS.ReadFile("init/specstar.yaml")
	if err != nil {
		return nil, err
	}
	mainGo, err := renderMain()
	if err != nil {
		return nil, fmt.Errorf("render main.go: %w", err)
	}
	glue, err := mainGlue(modPath, sampleSpec)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", gogen.MainGlueFile, err)
	}
	// The generated package, hooks.go included, comes from the first
	// specstar gen: it follows whatever package the spec names by then.
	return []scaffoldFile{
		{"go.mod", projectGoMod(modPath, goVersion, root, reqs)},
		{"go.sum", gosum},
		{"specstar.yaml", sampleSpec},
		{"main.go", mainGo},
		{gogen.MainGlueFile, glue},
	}, nil
}

// mainGlue renders the specstar_main.gen.go of the sample spec: gen
// rewrites it when the spec's package or output changes.
func mainGlue(modPath string, sampleSpec []byte) ([]byte, error) {
	m, err := model.Check(generator.DefaultSpec, sampleSpec)
	if err != nil {
		return nil, err
	}
	f, err := gogen.MainGlue(m, path.Join(modPath, m.Output))
	if err != nil {
		return nil, err
	}
	return f.Content, nil
}

// renderMain renders the user-owned main.go of a new project: it calls
// specstarApp (specstar_main.gen.go) and names no generated package.
func renderMain() ([]byte, error) {
	tmpl, err := template.ParseFS(templates.FS, "init/main.go.tmpl")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		return nil, err
	}
	return format.Source(buf.Bytes())
}

// requirement is one require line of a go.mod file.
type requirement struct{ path, version string }

// parseGoMod returns the go version ("1.26.0" if absent) and the
// requirements of a go.mod file. It reads the canonical layout that the go
// command writes; other directives are ignored.
func parseGoMod(data []byte) (goVersion string, reqs []requirement) {
	goVersion = "1.26.0"
	inRequire := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case inRequire && fields[0] == ")":
			inRequire = false
		case inRequire && len(fields) == 2:
			reqs = append(reqs, requirement{unquote(fields[0]), unquote(fields[1])})
		case fields[0] == "go" && len(fields) == 2:
			goVersion = fields[1]
		case fields[0] == "require" && len(fields) == 2 && fields[1] == "(":
			inRequire = true
		case fields[0] == "require" && len(fields) == 3:
			reqs = append(reqs, requirement{unquote(fields[1]), unquote(fields[2])})
		}
	}
	return goVersion, reqs
}

func unquote(s string) string {
	if u, err := strconv.Unquote(s); err == nil {
		return u
	}
	return s
}

// projectGoMod renders the go.mod of a new project. Besides specstar it
// requires every module the checkout requires, at the same versions: the
// project then builds against exactly the versions the checkout was tested
// with, its module graph is complete without network access (go.sum is
// the checkout's), and `go run .../cmd/specstar` from go:generate finds
// the generator's own dependencies.
func projectGoMod(modPath, goVersion, root string, reqs []requirement) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire %s v0.0.0\n", modPath, goVersion, specstarModule)
	if len(reqs) > 0 {
		b.WriteString("\nrequire (\n")
		for _, r := range reqs {
			if r.path != specstarModule {
				fmt.Fprintf(&b, "\t%s %s // indirect\n", r.path, r.version)
			}
		}
		b.WriteString(")\n")
	}
	fmt.Fprintf(&b, "\n// specstar comes from a local checkout (see specstar init --help).\nreplace %s => %s\n",
		specstarModule, modQuote(root))
	return b.Bytes()
}

// modQuote quotes s for go.mod when it needs quoting, by the rule of
// golang.org/x/mod/modfile.MustQuote.
func modQuote(s string) string {
	need := s == "" || strings.Contains(s, "//") || strings.Contains(s, "/*")
	for _, r := range s {
		switch {
		case strings.ContainsRune(" \"'`", r), strings.ContainsRune("()[]{},", r) && len(s) > 1, !unicode.IsPrint(r):
			need = true
		}
	}
	if need {
		return strconv.Quote(s)
	}
	return s
}

// findCheckout returns the absolute root of the specstar checkout that the
// new project will use.
func findCheckout(opts *InitOptions, wd string) (string, error) {
	abs := func(p string) string {
		if filepath.IsAbs(p) {
			return filepath.Clean(p)
		}
		return filepath.Join(wd, p)
	}
	for _, given := range []struct{ value, from string }{
		{opts.SpecstarRoot, "--specstar-root"},
		{opts.Getenv("SPECSTAR_ROOT"), "SPECSTAR_ROOT"},
	} {
		if given.value == "" {
			continue
		}
		root := abs(given.value)
		if !isCheckout(root) {
			return "", fmt.Errorf("%s=%s is not a specstar checkout (no go.mod declaring module %s there)", given.from, root, specstarModule)
		}
		return root, nil
	}
	var starts []string
	if exe, err := opts.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		starts = append(starts, filepath.Dir(exe))
	}
	starts = append(starts, wd)
	for _, start := range starts {
		for d := start; ; {
			if isCheckout(d) {
				return d, nil
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return "", fmt.Errorf("cannot find the specstar checkout (a go.mod declaring module %s) above the specstar executable or the current directory; pass --specstar-root or set SPECSTAR_ROOT", specstarModule)
}

// isCheckout reports whether dir holds the go.mod of the specstar module.
func isCheckout(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "module" {
			return unquote(fields[1]) == specstarModule
		}
	}
	return false
}

// moduleName derives a module path from a directory name: lower case, with
// every run of characters not allowed in a module path replaced by "-".
//
//	"My App"   => "my-app"
//	"svc_v2"   => "svc_v2"
//	"...", "/" => "app"
func moduleName(base string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(base) {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._~", r)) {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.Trim(b.String(), "-._~")
	if name == "" {
		return "app"
	}
	return name
}

// checkModulePath rejects module paths that go.mod or an import
// declaration cannot hold: it is a simplified golang.org/x/mod/module.CheckPath.
func checkModulePath(p string) error {
	bad := func(why string) error {
		return fmt.Errorf("invalid module path %q: %s; pass --module with a path like example.com/myapp", p, why)
	}
	if p == "" {
		return bad("empty")
	}
	for _, elem := range strings.Split(p, "/") {
		switch {
		case elem == "":
			return bad("empty path element (leading, trailing or double slash)")
		case elem[0] == '.' || elem[len(elem)-1] == '.':
			return bad("path element starts or ends with a dot")
		case elem[0] == '-':
			return bad("path element starts with a dash")
		}
		for _, r := range elem {
			if r >= unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-._~+", r)) {
				return bad(fmt.Sprintf("character %q not allowed", r))
			}
		}
	}
	return nil
}
