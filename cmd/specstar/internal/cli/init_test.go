package cli

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/templates"
)

const checkoutGoMod = `module github.com/specstar-go/specstar

go 1.26.0

require (
	github.com/labstack/echo/v4 v4.16.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6
)

require github.com/google/uuid v1.6.0
`

// fakeCheckout returns a directory that looks like a specstar checkout.
func fakeCheckout(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), checkoutGoMod)
	writeFile(t, filepath.Join(root, "go.sum"), "github.com/google/uuid v1.6.0 h1:x=\n")
	return root
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestInit(t *testing.T) {
	root := fakeCheckout(t)
	wd := t.TempDir()
	f, stdout, stderr := testFactory(t, wd)
	if code := Main(context.Background(), []string{"init", "--specstar-root", root, "My App"}, f); code != ExitOK {
		t.Fatalf("exit code %d, stderr:\n%s", code, stderr)
	}
	dir := filepath.Join(wd, "My App")
	wantGoMod := "module my-app\n\ngo 1.26.0\n\nrequire github.com/specstar-go/specstar v0.0.0\n\n" +
		"require (\n\tgithub.com/labstack/echo/v4 v4.16.0 // indirect\n\tgo.yaml.in/yaml/v3 v3.0.6 // indirect\n" +
		"\tgithub.com/google/uuid v1.6.0 // indirect\n)\n\n" +
		"// specstar comes from a local checkout (see specstar init --help).\n" +
		"replace github.com/specstar-go/specstar => " + modQuote(root) + "\n"
	if diff := cmp.Diff(wantGoMod, readFile(t, filepath.Join(dir, "go.mod"))); diff != "" {
		t.Errorf("go.mod (-want +got):\n%s", diff)
	}
	if got := readFile(t, filepath.Join(dir, "go.sum")); got != readFile(t, filepath.Join(root, "go.sum")) {
		t.Errorf("go.sum is not the checkout's: %q", got)
	}
	sampleSpec, err := templates.FS.ReadFile("init/specstar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(dir, "specstar.yaml")); got != string(sampleSpec) {
		t.Errorf("specstar.yaml = %q", got)
	}
	mainGo := readFile(t, filepath.Join(dir, "main.go"))
	for _, want := range []string{
		"package main\n",
		"//go:generate go run github.com/specstar-go/specstar/cmd/specstar gen\n",
		"\t\"my-app/library\"\n",
		"\t\"github.com/specstar-go/specstar/runtime/server\"\n",
		"os.Exit(server.Main(context.Background(), os.Args[1:], library.App(), os.Stderr))",
	} {
		if !strings.Contains(mainGo, want) {
			t.Errorf("main.go lacks %q:\n%s", want, mainGo)
		}
	}
	if strings.HasPrefix(mainGo, "// Code generated") {
		t.Error("main.go is user-owned but carries a generated header")
	}
	if got := readFile(t, filepath.Join(dir, ".gitignore")); got != "/data/\n" {
		t.Errorf(".gitignore = %q", got)
	}
	want := "Created module my-app in " + dir + "\n\nNext steps:\n  cd 'My App' && go generate ./... && go run .\n"
	if !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("stdout = %q, want prefix %q", stdout, want)
	}
}

func TestInitRefuses(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string // in the target dir
		args    []string
		env     map[string]string
		wantErr string
	}{
		{name: "existing spec", files: map[string]string{"specstar.yaml": "x"}, wantErr: "already has a specstar.yaml"},
		{name: "existing go.mod", files: map[string]string{"go.mod": "module x\n"}, wantErr: "already has a go.mod"},
		{name: "existing main.go", files: map[string]string{"main.go": "package main\n"}, wantErr: "already has a main.go"},
		{name: "bad module", args: []string{"--module", "example.com//x"}, wantErr: `invalid module path "example.com//x": empty path element`},
		{name: "bad root flag", args: []string{"--specstar-root", "/nonexistent"}, wantErr: "--specstar-root=/nonexistent is not a specstar checkout"},
		{name: "bad root env", env: map[string]string{"SPECSTAR_ROOT": "/nonexistent"}, wantErr: "SPECSTAR_ROOT=/nonexistent is not a specstar checkout"},
		{name: "no checkout", wantErr: "cannot find the specstar checkout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			before := map[string]string{"README.md": "mine\n"}
			for name, content := range tt.files {
				before[name] = content
			}
			for name, content := range before {
				writeFile(t, filepath.Join(dir, name), content)
			}
			f, _, _ := testFactory(t, dir)
			f.Getenv = func(k string) string { return tt.env[k] }
			opts := &InitOptions{IO: f.IO, Getwd: f.Getwd, Getenv: f.Getenv, Executable: f.Executable, Dir: "."}
			cmd := NewCmdInit(f, func(o *InitOptions) error { opts = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			err := initRun(opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("initRun error = %v, want one containing %q", err, tt.wantErr)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != len(before) {
				t.Errorf("refused init changed the directory: %d entries, want %d", len(entries), len(before))
			}
		})
	}
}

func TestInitKeepsGitignore(t *testing.T) {
	tests := []struct {
		name, before, want string
	}{
		{name: "appends", before: "*.log", want: "*.log\n/data/\n"},
		{name: "already there", before: "/data/\n*.log\n", want: "/data/\n*.log\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, ".gitignore"), tt.before)
			f, _, stderr := testFactory(t, dir)
			if code := Main(context.Background(), []string{"init", "--specstar-root", fakeCheckout(t)}, f); code != ExitOK {
				t.Fatalf("exit code %d: %s", code, stderr)
			}
			if got := readFile(t, filepath.Join(dir, ".gitignore")); got != tt.want {
				t.Errorf(".gitignore = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFindCheckout(t *testing.T) {
	root := fakeCheckout(t)
	nested := filepath.Join(root, "cmd", "specstar")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	tests := []struct {
		name string
		opts InitOptions
		wd   string
		want string
	}{
		{name: "flag", opts: InitOptions{SpecstarRoot: root}, wd: other, want: root},
		{name: "relative flag", opts: InitOptions{SpecstarRoot: "cmd/.."}, wd: root, want: root},
		{name: "env", opts: InitOptions{Getenv: func(string) string { return root }}, wd: other, want: root},
		{name: "executable", opts: InitOptions{Executable: func() (string, error) { return filepath.Join(nested, "specstar"), nil }}, wd: other, want: root},
		{name: "working directory", wd: nested, want: root},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if opts.Getenv == nil {
				opts.Getenv = func(string) string { return "" }
			}
			if opts.Executable == nil {
				opts.Executable = func() (string, error) { return filepath.Join(other, "specstar"), nil }
			}
			got, err := findCheckout(&opts, tt.wd)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("findCheckout = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestModuleName(t *testing.T) {
	tests := []struct{ name, base, want string }{
		{name: "plain", base: "myapp", want: "myapp"},
		{name: "spaces and case", base: "My App", want: "my-app"},
		{name: "underscore and dot kept", base: "svc_v2.api", want: "svc_v2.api"},
		{name: "runs collapsed", base: "a  &&  b", want: "a-b"},
		{name: "edges trimmed", base: "-.x.-", want: "x"},
		{name: "non-ASCII", base: "café", want: "caf"},
		{name: "nothing usable", base: "...", want: "app"},
		{name: "root", base: "/", want: "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := moduleName(tt.base)
			if got != tt.want {
				t.Errorf("moduleName(%q) = %q, want %q", tt.base, got, tt.want)
			}
			if err := checkModulePath(got); err != nil {
				t.Errorf("derived name is invalid: %v", err)
			}
		})
	}
}

func TestCheckModulePath(t *testing.T) {
	tests := []struct {
		name, path string
		ok         bool
	}{
		{name: "single element", path: "myapp", ok: true},
		{name: "domain", path: "example.com/team/my-app", ok: true},
		{name: "major version", path: "example.com/x/v2", ok: true},
		{name: "empty", path: ""},
		{name: "trailing slash", path: "example.com/"},
		{name: "leading slash", path: "/x"},
		{name: "dot element", path: "example.com/./x"},
		{name: "dash start", path: "-x"},
		{name: "space", path: "my app"},
		{name: "quote", path: `x"y`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkModulePath(tt.path)
			if (err == nil) != tt.ok {
				t.Errorf("checkModulePath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
			}
		})
	}
}

func TestParseGoMod(t *testing.T) {
	goVersion, reqs := parseGoMod([]byte(checkoutGoMod + "\nreplace x => ../x\n\ntool (\n\texample.com/t\n)\n"))
	if goVersion != "1.26.0" {
		t.Errorf("go version = %q", goVersion)
	}
	want := []requirement{
		{"github.com/labstack/echo/v4", "v4.16.0"},
		{"go.yaml.in/yaml/v3", "v3.0.6"},
		{"github.com/google/uuid", "v1.6.0"},
	}
	if diff := cmp.Diff(want, reqs, cmp.AllowUnexported(requirement{})); diff != "" {
		t.Errorf("requirements (-want +got):\n%s", diff)
	}
}

func TestModQuote(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "plain", in: "/home/me/specstar", want: "/home/me/specstar"},
		{name: "space", in: "/home/me/my specstar", want: `"/home/me/my specstar"`},
		{name: "comment marker", in: "/a//b", want: `"/a//b"`},
		{name: "windows", in: `C:\src\specstar`, want: `C:\src\specstar`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := modQuote(tt.in); got != tt.want {
				t.Errorf("modQuote(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestModuleVersion(t *testing.T) {
	tests := []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{name: "no build info", want: "dev"},
		{name: "checkout build", info: &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, ok: true, want: "dev"},
		{name: "go install at a version", info: &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, ok: true, want: "v1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := moduleVersion(tt.info, tt.ok); got != tt.want {
				t.Errorf("moduleVersion = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	f, stdout, _ := testFactory(t, t.TempDir())
	if code := Main(context.Background(), []string{"version"}, f); code != ExitOK {
		t.Fatalf("exit code %d", code)
	}
	if want := "specstar " + Version() + " (go"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("stdout = %q, want prefix %q", stdout, want)
	}
}
