package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/migrategen"
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/generator/output"
)

// testFactory returns a Factory with buffers for output, dir as the working
// directory and generator functions that fail unless a test sets them.
func testFactory(t *testing.T, dir string) (*Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	f := &Factory{
		IO:         &IOStreams{In: strings.NewReader(""), Out: &stdout, ErrOut: &stderr},
		Getwd:      func() (string, error) { return dir, nil },
		Getenv:     func(string) string { return "" },
		Executable: func() (string, error) { return "", errors.New("no executable in tests") },
		Generate: func(context.Context, generator.Config) (*generator.Result, error) {
			t.Error("unexpected call to Generate")
			return nil, errors.New("unexpected")
		},
		Validate: func(context.Context, generator.Config) (*model.Model, error) {
			t.Error("unexpected call to Validate")
			return nil, errors.New("unexpected")
		},
	}
	return f, &stdout, &stderr
}

// specDir returns a temporary directory holding a specstar.yaml.
func specDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "specstar.yaml"), []byte("specstar: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func specErrorList() error {
	var list load.ErrorList
	list.Add(load.Pos{File: "specstar.yaml", Line: 3, Col: 5}, `resources.Post: unknown key "feilds" (did you mean "fields"?)`)
	list.Add(load.Pos{File: "specstar.yaml", Line: 9, Col: 14}, `unknown type "strng" (did you mean "string"?)`)
	return list
}

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		generate   func(context.Context, generator.Config) (*generator.Result, error)
		validate   func(context.Context, generator.Config) (*model.Model, error)
		noSpec     bool
		wantCode   int
		wantStdout string
		// wantStderr must be a prefix of stderr (usage text follows it
		// for usage errors).
		wantStderr string
	}{
		{
			name:       "validate ok",
			args:       []string{"validate"},
			validate:   func(context.Context, generator.Config) (*model.Model, error) { return &model.Model{}, nil },
			wantCode:   ExitOK,
			wantStdout: "ok\n",
		},
		{
			name:     "validate spec errors",
			args:     []string{"validate"},
			validate: func(context.Context, generator.Config) (*model.Model, error) { return nil, specErrorList() },
			wantCode: ExitSpec,
			wantStderr: "specstar.yaml:3:5: resources.Post: unknown key \"feilds\" (did you mean \"fields\"?)\n" +
				"specstar.yaml:9:14: unknown type \"strng\" (did you mean \"string\"?)\n" +
				"specstar: 2 errors\n",
		},
		{
			name: "wrapped spec error list",
			args: []string{"gen", "-q"},
			generate: func(context.Context, generator.Config) (*generator.Result, error) {
				var list load.ErrorList
				list.Add(load.Pos{File: "s.yaml", Line: 1, Col: 1}, "bad")
				return nil, errWrap{list}
			},
			wantCode:   ExitSpec,
			wantStderr: "s.yaml:1:1: bad\nspecstar: 1 error\n",
		},
		{
			name: "other failure",
			args: []string{"gen", "-q"},
			generate: func(context.Context, generator.Config) (*generator.Result, error) {
				return nil, errors.New("output: disk full")
			},
			wantCode:   ExitError,
			wantStderr: "specstar: output: disk full\n",
		},
		{
			// The trap: --check exited 4 when the next migration would
			// be destructive; the output is stale, so it is 1.
			name: "check with a pending destructive change",
			args: []string{"gen", "--check"},
			generate: func(context.Context, generator.Config) (*generator.Result, error) {
				return nil, fmt.Errorf("wrapped: %w", &migrategen.DestructiveError{Fields: []string{"Post.legacy"}})
			},
			wantCode:   ExitStale,
			wantStdout: "destructive: wrapped: removing field Post.legacy drops their values",
		},
		{
			name: "destructive change refused",
			args: []string{"gen", "-q"},
			generate: func(context.Context, generator.Config) (*generator.Result, error) {
				return nil, &migrategen.DestructiveError{Fields: []string{"Post.legacy"}}
			},
			wantCode:   ExitDestructive,
			wantStderr: "specstar: removing field Post.legacy drops their values",
		},
		{
			name: "type change without a schema version",
			args: []string{"gen", "-q"},
			generate: func(context.Context, generator.Config) (*generator.Result, error) {
				return nil, &migrategen.EvolutionError{Problems: []string{"field Post.views: its type changed", "resource Post: schema_version went down"}}
			},
			wantCode:   ExitSpec,
			wantStderr: "field Post.views: its type changed\nresource Post: schema_version went down\nspecstar: 2 errors\n",
		},
		{
			name:       "missing default spec",
			args:       []string{"gen"},
			noSpec:     true,
			wantCode:   ExitError,
			wantStderr: "specstar: no specstar.yaml in ",
		},
		{
			name: "check stale",
			args: []string{"gen", "--check"},
			generate: func(_ context.Context, cfg generator.Config) (*generator.Result, error) {
				return &generator.Result{
					OutputDir: filepath.Join(cfg.Dir, "blog"),
					Check:     &output.CheckResult{Missing: []string{"doc.gen.go"}, Stale: []string{"old.gen.go"}},
				}, nil
			},
			wantCode:   ExitStale,
			wantStdout: "missing: blog/doc.gen.go\nstale: blog/old.gen.go\n",
		},
		{
			name: "check clean",
			args: []string{"gen", "--check"},
			generate: func(_ context.Context, cfg generator.Config) (*generator.Result, error) {
				return &generator.Result{OutputDir: cfg.Dir, Check: &output.CheckResult{}}, nil
			},
			wantCode: ExitOK,
		},
		{name: "unknown command", args: []string{"generate"}, wantCode: ExitUsage, wantStderr: "specstar: unknown command \"generate\" for \"specstar\"\n\nUsage:"},
		{name: "unknown flag", args: []string{"gen", "--chek"}, wantCode: ExitUsage, wantStderr: "specstar: unknown flag: --chek\n\nUsage:\n  specstar gen"},
		{name: "extra argument", args: []string{"validate", "x.yaml"}, wantCode: ExitUsage, wantStderr: "specstar: accepts at most 0 arg(s), received 1\n\nUsage:"},
		{name: "no command prints help", args: nil, wantCode: ExitOK, wantStdout: "specstar turns a spec file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := specDir(t)
			if tt.noSpec {
				dir = t.TempDir()
			}
			f, stdout, stderr := testFactory(t, dir)
			if tt.generate != nil {
				f.Generate = tt.generate
			}
			if tt.validate != nil {
				f.Validate = tt.validate
			}
			code := Main(context.Background(), tt.args, f)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.HasPrefix(stdout.String(), tt.wantStdout) || (tt.wantStdout == "" && stdout.Len() > 0) {
				t.Errorf("stdout = %q, want prefix %q", stdout, tt.wantStdout)
			}
			if !strings.HasPrefix(stderr.String(), tt.wantStderr) || (tt.wantStderr == "" && stderr.Len() > 0) {
				t.Errorf("stderr = %q, want prefix %q", stderr, tt.wantStderr)
			}
			if tt.wantCode != ExitUsage && strings.Contains(stderr.String(), "Usage:") {
				t.Errorf("usage printed for a non-usage error:\n%s", stderr)
			}
		})
	}
}

// errWrap wraps an error the way a stage prefix would.
type errWrap struct{ err error }

func (e errWrap) Error() string { return "load: " + e.err.Error() }
func (e errWrap) Unwrap() error { return e.err }

func TestSpecErrors(t *testing.T) {
	list := specErrorList()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{name: "plain error", err: errors.New("x"), want: 0},
		{name: "list", err: list, want: 2},
		{name: "wrapped list", err: errWrap{list}, want: 2},
		{name: "empty list", err: load.ErrorList{}, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(specErrors(tt.err)); got != tt.want {
				t.Errorf("len(specErrors) = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestNewCmdGen(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    GenOptions
		wantErr bool
	}{
		{name: "defaults", args: nil, want: GenOptions{}},
		{name: "file and check", args: []string{"-f", "api/spec.yaml", "--check"}, want: GenOptions{SpecPath: "api/spec.yaml", Check: true}},
		{name: "long file, quiet", args: []string{"--file=s.yaml", "-q"}, want: GenOptions{SpecPath: "s.yaml", Quiet: true}},
		{name: "allow destructive", args: []string{"--allow-destructive"}, want: GenOptions{AllowDestructive: true}},
		{name: "positional argument", args: []string{"spec.yaml"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := testFactory(t, t.TempDir())
			var got *GenOptions
			cmd := NewCmdGen(f, func(o *GenOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.SpecPath != tt.want.SpecPath || got.Check != tt.want.Check || got.Quiet != tt.want.Quiet || got.AllowDestructive != tt.want.AllowDestructive {
				t.Errorf("options = {%q %v %v %v}, want {%q %v %v %v}", got.SpecPath, got.Check, got.Quiet, got.AllowDestructive,
					tt.want.SpecPath, tt.want.Check, tt.want.Quiet, tt.want.AllowDestructive)
			}
		})
	}
}

func TestGenRun(t *testing.T) {
	tests := []struct {
		name       string
		opts       GenOptions
		terminal   bool
		result     *generator.Result
		wantErr    error
		wantStdout string
		wantStderr []string // substrings, in order
	}{
		{
			name:       "write with progress lines",
			result:     &generator.Result{Written: []string{"a.gen.go"}, Removed: []string{"b.gen.go", "c.gen.go"}, Unchanged: 3},
			wantStderr: []string{"specstar: load ... ", "ms\n", "specstar: model ... ", "ms\n", "specstar: generate ... ", "ms\n", "specstar: gqlgen ... ", "ms\n", "specstar: write ... ", "ms\n", "specstar: wrote 1 file, removed 2, unchanged 3 (in "},
		},
		{
			name:       "allow destructive is passed on",
			opts:       GenOptions{Quiet: true, AllowDestructive: true},
			result:     &generator.Result{},
			wantStderr: nil,
		},
		{
			name:       "quiet",
			opts:       GenOptions{Quiet: true},
			result:     &generator.Result{Written: []string{"a.gen.go"}},
			wantStderr: nil,
		},
		{
			name:       "terminal prints the same lines",
			terminal:   true,
			result:     &generator.Result{Unchanged: 2},
			wantStderr: []string{"specstar: load ... ", "ms\n", "specstar: write ... ", "ms\n", "specstar: wrote 0 files, removed 0, unchanged 2 (in "},
		},
		{
			name:   "check up to date is silent",
			opts:   GenOptions{Check: true},
			result: &generator.Result{Check: &output.CheckResult{}},
		},
		{
			name: "check with a diff",
			opts: GenOptions{Check: true},
			result: &generator.Result{Check: &output.CheckResult{
				Diffs: []output.FileDiff{{Path: "a.gen.go", Old: []byte("x\n"), New: []byte("y\n")}},
			}},
			wantErr:    errStale,
			wantStdout: "--- a/blog/a.gen.go\n+++ b/blog/a.gen.go\n@@ -1 +1 @@\n-x\n+y\n",
			wantStderr: []string{"specstar: load ... ", "ms\n", "specstar: write ... ", "ms\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := specDir(t)
			f, stdout, stderr := testFactory(t, dir)
			f.IO.ErrIsTerminal = tt.terminal
			opts := tt.opts
			opts.IO, opts.Getwd, opts.Context = f.IO, f.Getwd, context.Background()
			opts.Generate = func(_ context.Context, cfg generator.Config) (*generator.Result, error) {
				if cfg.Dir != dir || cfg.Check != opts.Check || cfg.AllowDestructive != opts.AllowDestructive {
					t.Errorf("Config = %+v, want Dir %s, Check %v and AllowDestructive %v", cfg, dir, opts.Check, opts.AllowDestructive)
				}
				if cfg.Progress != nil {
					for _, s := range genSteps {
						cfg.Progress(s)
					}
				}
				res := *tt.result
				res.OutputDir = filepath.Join(dir, "blog")
				return &res, nil
			}
			err := genRun(&opts)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("genRun error = %v, want %v", err, tt.wantErr)
			}
			if stdout.String() != tt.wantStdout {
				t.Errorf("stdout = %q, want %q", stdout, tt.wantStdout)
			}
			rest := stderr.String()
			for _, want := range tt.wantStderr {
				i := strings.Index(rest, want)
				if i < 0 {
					t.Fatalf("stderr %q lacks %q (in order)", stderr, want)
				}
				rest = rest[i+len(want):]
			}
			if tt.wantStderr == nil && stderr.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestValidatePassesSpecPath(t *testing.T) {
	dir := t.TempDir()
	f, stdout, _ := testFactory(t, dir)
	var got generator.Config
	f.Validate = func(_ context.Context, cfg generator.Config) (*model.Model, error) {
		got = cfg
		return &model.Model{}, nil
	}
	if code := Main(context.Background(), []string{"validate", "-f", "api/s.yaml"}, f); code != ExitOK {
		t.Fatalf("exit code %d", code)
	}
	if diff := cmp.Diff(generator.Config{SpecPath: "api/s.yaml", Dir: dir}, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Progress"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("Config (-want +got):\n%s", diff)
	}
	if stdout.String() != "ok\n" {
		t.Errorf("stdout = %q", stdout)
	}
}
