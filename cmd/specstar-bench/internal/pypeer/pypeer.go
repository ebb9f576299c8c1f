// Package pypeer sets up the Python peers of specstar-bench: a Django REST
// Framework application served by gunicorn, and a FastAPI application
// served by uvicorn. Their sources live next to this file (django/,
// fastapi/) and are embedded, so that a run writes them into its scratch
// directory. Their dependencies come from Debian's packages, which install
// for Debian's own interpreter (/usr/bin/python3), not for a python3 that
// comes earlier on PATH (pyenv, a virtualenv): every command runs that
// interpreter explicitly.
package pypeer

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Python is Debian's interpreter, for which the Debian packages install.
const Python = "/usr/bin/python3"

//go:embed all:django all:fastapi
var sources embed.FS

// App is one Python peer application.
type App struct {
	Name  string // "django", "fastapi": the --peers name and the systems' prefix
	Title string // what the report calls it
	Doc   string // what it is, in a phrase
	// Packages are the Debian packages it needs.
	Packages []string
	// Dists are the Python distributions it imports, whose versions the
	// report records (importlib.metadata names).
	Dists []string
	// Modules must import for the app to run.
	Modules []string
	dir     string // its sources in the embedded tree
	// workers returns the number of server processes for cpus CPUs.
	workers func(cpus int) int
	// migrate is the command (after the interpreter) that creates the
	// tables in the database of BENCH_DATABASE_URL.
	migrate []string
	// serve returns the command (after the interpreter) that serves the
	// app on addr with n workers.
	serve func(addr string, n int) []string
}

// Django is the Django REST Framework peer: a model with
// django-simple-history, a ModelSerializer, a ModelViewSet filtered with
// django-filter, on gunicorn's sync workers.
var Django = &App{
	Name:  "django",
	Title: "Django REST Framework",
	Doc: "Django REST Framework: a model with django-simple-history, a ModelSerializer and a ModelViewSet " +
		"filtered with django-filter, cursor pagination; gunicorn with (2 x CPUs) + 1 sync workers",
	Packages: []string{"python3-django", "python3-djangorestframework", "python3-django-simple-history",
		"python3-django-filters", "gunicorn", "python3-psycopg2"},
	Dists:   []string{"Django", "djangorestframework", "django-simple-history", "django-filter", "gunicorn", "psycopg2"},
	Modules: []string{"django", "rest_framework", "simple_history", "django_filters", "gunicorn", "psycopg2"},
	dir:     "django",
	// Gunicorn's documentation: "(2 x $num_cores) + 1" workers.
	workers: func(cpus int) int { return 2*cpus + 1 },
	migrate: []string{"manage.py", "migrate", "--noinput", "-v", "0"},
	serve: func(addr string, n int) []string {
		// The sync worker, gunicorn's default; no access log (its
		// default), errors at warning, as every system of the benchmark.
		return []string{"-m", "gunicorn", "benchsite.wsgi", "--bind", addr, "--workers", strconv.Itoa(n),
			"--log-level", "warning"}
	},
}

// FastAPI is the FastAPI peer: SQLAlchemy models, Pydantic schemas and a
// history table written in each write's transaction, on uvicorn with
// uvloop and httptools (what `pip install uvicorn[standard]` brings).
var FastAPI = &App{
	Name:  "fastapi",
	Title: "FastAPI",
	Doc: "FastAPI: SQLAlchemy models, Pydantic schemas, a history row in each write's transaction; " +
		"uvicorn (uvloop, httptools) with one worker per CPU",
	Packages: []string{"python3-fastapi", "python3-uvicorn", "python3-uvloop", "python3-httptools",
		"python3-sqlalchemy", "python3-psycopg2"},
	Dists:   []string{"fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools", "SQLAlchemy", "psycopg2"},
	Modules: []string{"fastapi", "pydantic", "uvicorn", "uvloop", "httptools", "sqlalchemy", "psycopg2"},
	dir:     "fastapi",
	// Uvicorn's and FastAPI's deployment documentation: one worker
	// process per core.
	workers: func(cpus int) int { return cpus },
	migrate: []string{"create_tables.py"},
	serve: func(addr string, n int) []string {
		host, port, _ := strings.Cut(addr, ":")
		return []string{"-m", "uvicorn", "itemsapi.main:app", "--host", host, "--port", port,
			"--workers", strconv.Itoa(n), "--no-access-log", "--log-level", "warning"}
	},
}

// Apps are the Python peers, by name.
var Apps = map[string]*App{Django.Name: Django, FastAPI.Name: FastAPI}

// Workers returns the number of server worker processes on cpus CPUs,
// as the server's documentation recommends.
func (a *App) Workers(cpus int) int { return a.workers(cpus) }

// ServeArgs returns the interpreter's arguments that serve the app on
// addr with n workers, run in the app's directory.
func (a *App) ServeArgs(addr string, n int) []string { return a.serve(addr, n) }

// InstallCommand is the shell command that installs the app's packages.
func (a *App) InstallCommand() string {
	return "apt-get install -y " + strings.Join(a.Packages, " ")
}

// Check imports the app's modules with Debian's interpreter and returns
// the versions of its distributions ("Django 3.2.25, ..."), or why it
// cannot run.
func (a *App) Check(ctx context.Context) (string, error) {
	if _, err := os.Stat(Python); err != nil {
		return "", fmt.Errorf("no Debian Python (%s): %w", Python, err)
	}
	var script strings.Builder
	script.WriteString("import importlib.metadata as m\n")
	for _, mod := range a.Modules {
		fmt.Fprintf(&script, "import %s\n", mod)
	}
	fmt.Fprintf(&script, "print(', '.join(d + ' ' + m.version(d) for d in %s))\n", pyList(a.Dists))
	cmd := exec.CommandContext(ctx, Python, "-c", script.String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s does not import under %s: %s", a.Title, Python, lastLine(stderr.String(), err))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// pyList returns a Python list literal of strings.
func pyList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// lastLine returns the last non-empty line of s (a Python traceback's
// error), or err's text.
func lastLine(s string, err error) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := strings.TrimSpace(lines[len(lines)-1]); l != "" {
		return l
	}
	return err.Error()
}

// ErrCannotInstall is wrapped by Install when this machine cannot install
// Debian packages (no apt-get, or not root).
var ErrCannotInstall = errors.New("cannot install Debian packages here")

// Install installs the app's Debian packages with apt-get, updating the
// package lists first when the install fails on stale ones. It needs root
// and apt-get. Its output goes to log.
func (a *App) Install(ctx context.Context, log io.Writer) error {
	if _, err := exec.LookPath("apt-get"); err != nil {
		return fmt.Errorf("%w: no apt-get", ErrCannotInstall)
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not root (run: sudo %s)", ErrCannotInstall, a.InstallCommand())
	}
	install := func() error {
		cmd := exec.CommandContext(ctx, "apt-get", append([]string{"install", "-y"}, a.Packages...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		return cmd.Run()
	}
	if err := install(); err == nil {
		return nil
	}
	update := exec.CommandContext(ctx, "apt-get", "update")
	update.Stdout, update.Stderr = log, log
	if err := update.Run(); err != nil {
		return fmt.Errorf("apt-get update: %w", err)
	}
	if err := install(); err != nil {
		return fmt.Errorf("%s: %w", a.InstallCommand(), err)
	}
	return nil
}

// Write writes the app's sources into dir.
func (a *App) Write(dir string) error {
	sub, err := fs.Sub(sources, a.dir)
	if err != nil {
		return err
	}
	return fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(path))
		if d.IsDir() {
			// Python's byte-code caches are not sources.
			if d.Name() == "__pycache__" {
				return fs.SkipDir
			}
			return os.MkdirAll(dst, 0o755)
		}
		data, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
}

// Migrate creates the app's tables in the database of databaseURL
// ("sqlite:<path>" or a postgres:// URL), running in dir (where Write put
// the sources). Output goes to log.
func (a *App) Migrate(ctx context.Context, dir, databaseURL string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, Python, a.migrate...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), Env(databaseURL)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: create the tables: %w", a.Title, err)
	}
	return nil
}

// Env returns what the app's processes add to the environment for a
// database. The URL goes in the environment, where other users' ps does
// not show a password. PYTHONPATH and PYTHONHOME are emptied (Python
// ignores empty ones) and the user's site directory is left out, so that
// nothing of another Python installation shadows Debian's packages.
func Env(databaseURL string) []string {
	return []string{"BENCH_DATABASE_URL=" + databaseURL, "PYTHONPATH=", "PYTHONHOME=", "PYTHONNOUSERSITE=1"}
}
