package pypeer

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name string
		app  *App
		want []string
	}{
		{name: "django", app: Django, want: []string{"manage.py", "benchsite/__init__.py", "benchsite/settings.py",
			"benchsite/sqlite3/base.py", "items/models.py", "items/views.py", "items/migrations/0001_initial.py"}},
		{name: "fastapi", app: FastAPI, want: []string{"create_tables.py", "itemsapi/__init__.py", "itemsapi/main.py",
			"itemsapi/database.py", "itemsapi/models.py", "itemsapi/schemas.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tt.app.Write(dir); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.want {
				if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
					t.Errorf("missing %s: %v", f, err)
				}
			}
		})
	}
}

func TestCommands(t *testing.T) {
	if got := Django.Workers(2); got != 5 {
		t.Errorf("gunicorn workers on 2 CPUs = %d, want (2 x 2) + 1", got)
	}
	if got := FastAPI.Workers(2); got != 2 {
		t.Errorf("uvicorn workers on 2 CPUs = %d, want one per CPU", got)
	}
	dj := strings.Join(Django.ServeArgs("127.0.0.1:8000", 5), " ")
	if dj != "-m gunicorn benchsite.wsgi --bind 127.0.0.1:8000 --workers 5 --log-level warning" {
		t.Errorf("gunicorn args %q", dj)
	}
	fa := strings.Join(FastAPI.ServeArgs("127.0.0.1:8001", 2), " ")
	if fa != "-m uvicorn itemsapi.main:app --host 127.0.0.1 --port 8001 --workers 2 --no-access-log --log-level warning" {
		t.Errorf("uvicorn args %q", fa)
	}
	env := Env("postgres://u:secret@db/x")
	if !slices.Contains(env, "BENCH_DATABASE_URL=postgres://u:secret@db/x") || !slices.Contains(env, "PYTHONNOUSERSITE=1") {
		t.Errorf("env %q", env)
	}
	if got := FastAPI.InstallCommand(); !strings.HasPrefix(got, "apt-get install -y python3-fastapi python3-uvicorn") {
		t.Errorf("install command %q", got)
	}
}

// TestCheck runs the import check: a module that is nowhere is reported
// by name; the real apps are checked when Debian's Python has them.
func TestCheck(t *testing.T) {
	if _, err := os.Stat(Python); err != nil {
		t.Skipf("no %s", Python)
	}
	missing := &App{Title: "Nothing", Modules: []string{"json", "specstar_no_such_module"}, Dists: nil}
	if _, err := missing.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "specstar_no_such_module") {
		t.Errorf("Check of a missing module: %v", err)
	}
	for _, app := range []*App{Django, FastAPI} {
		versions, err := app.Check(context.Background())
		if err != nil {
			t.Logf("%s not installed: %v", app.Name, err)
			continue
		}
		for _, d := range app.Dists {
			if !strings.Contains(versions, d+" ") {
				t.Errorf("%s versions %q lack %s", app.Name, versions, d)
			}
		}
	}
}

// TestDjangoMigrations checks that the committed migration matches the
// models (makemigrations would write nothing).
func TestDjangoMigrations(t *testing.T) {
	if _, err := Django.Check(context.Background()); err != nil {
		t.Skipf("Django peer not installed: %v", err)
	}
	dir := t.TempDir()
	if err := Django.Write(dir); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Python, "manage.py", "makemigrations", "--check", "--dry-run")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env("sqlite:"+filepath.Join(dir, "check.db"))...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("the models and items/migrations differ (%v):\n%s", err, out.String())
	}
}

// TestCIInstallsThePeers checks that .ci/run installs every package of
// both apps, so that CI's end-to-end run of the benchmark has its peers.
func TestCIInstallsThePeers(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(strings.ReplaceAll(string(data), "\\\n", " "))
	for _, app := range []*App{Django, FastAPI} {
		for _, pkg := range app.Packages {
			if !slices.Contains(words, pkg) {
				t.Errorf(".ci/run does not install %s (%s)", pkg, app.Title)
			}
		}
		for _, mod := range app.Modules {
			if !slices.Contains(words, mod+",") && !slices.Contains(words, mod+"'") {
				t.Errorf(".ci/run does not check that %s imports (%s)", mod, app.Title)
			}
		}
	}
}
