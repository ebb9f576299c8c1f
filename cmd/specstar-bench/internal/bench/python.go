package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/pypeer"
)

// skipError is returned by a launch when the system cannot run on this
// machine (a peer that cannot be installed): the run reports it as
// skipped, with the reason, and goes on.
type skipError struct{ reason string }

// Error implements error.
func (e *skipError) Error() string { return "skipped: " + e.reason }

// pythonState is what the run learnt of one Python peer app: the
// versions it runs, or why it cannot run.
type pythonState struct {
	versions string
	err      error
}

// ensurePython checks that app imports under Debian's Python and, when it
// does not and the run may (--install-peers, as root), installs its
// packages. The outcome is kept for the run: the app's SQLite and
// PostgreSQL systems ask once. A peer that cannot run is a skipError.
func (r *runner) ensurePython(ctx context.Context, app *pypeer.App) (string, error) {
	if st, ok := r.python[app.Name]; ok {
		return st.versions, st.err
	}
	versions, err := app.Check(ctx)
	if err != nil && ctx.Err() == nil {
		err = r.installPython(ctx, app, err)
		if err == nil {
			versions, err = app.Check(ctx)
			if err != nil {
				err = &skipError{fmt.Sprintf("installed, but %v", err)}
			}
		}
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	r.python[app.Name] = pythonState{versions, err}
	return versions, err
}

// installPython installs app's packages after Check failed with
// checkErr, when the run may; it returns nil once installed, else a
// skipError with the reason.
func (r *runner) installPython(ctx context.Context, app *pypeer.App, checkErr error) error {
	if !r.cfg.InstallPeers {
		return &skipError{fmt.Sprintf("%v (install with: %s)", checkErr, app.InstallCommand())}
	}
	logPath := filepath.Join(r.work, app.Name+"-install.log")
	log, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer log.Close()
	r.logf("%s: %v; installing: %s", app.Name, checkErr, app.InstallCommand())
	if err := app.Install(ctx, log); err != nil {
		if errors.Is(err, pypeer.ErrCannotInstall) {
			return &skipError{fmt.Sprintf("%v, and %v", checkErr, err)}
		}
		return &skipError{fmt.Sprintf("%v, and the install failed: %v (log: %s)", checkErr, err, logPath)}
	}
	return nil
}

// launchPython returns the launch of app on storage: it writes the app's
// sources into the system's directory, creates its tables (on a fresh
// SQLite file, or on a PostgreSQL database created for the run), starts
// the server, seeds it through its API, and restarts it on the seeded
// data, as the other systems that seed. On PostgreSQL the planner's
// statistics are gathered after seeding, as for specstar-postgres.
func launchPython(app *pypeer.App, storage string) func(ctx context.Context, r *runner, s *System) (*instance, error) {
	return func(ctx context.Context, r *runner, s *System) (*instance, error) {
		versions, err := r.ensurePython(ctx, app)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(r.work, s.Name)
		if err := app.Write(dir); err != nil {
			return nil, err
		}
		databaseURL := "sqlite:" + filepath.Join(dir, "items.db")
		if storage == "postgres" {
			suffix, err := newDatabaseSuffix()
			if err != nil {
				return nil, err
			}
			if databaseURL, err = r.createDatabase(ctx, app.Name+"_bench_"+suffix, ""); err != nil {
				return nil, err
			}
		}
		logPath := filepath.Join(r.work, s.Name+".log")
		log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		err = app.Migrate(ctx, dir, databaseURL, log)
		log.Close()
		if err != nil {
			return nil, fmt.Errorf("%w (log: %s)", err, logPath)
		}
		workers := app.Workers(runtime.NumCPU())
		args := func(addr string) []string { return app.ServeArgs(addr, workers) }
		env := pypeer.Env(databaseURL)
		r.logf("%s: %s with %d workers", s.Name, versions, workers)
		p, base, err := r.start(ctx, s, pypeer.Python, args, env...)
		if err != nil {
			return nil, err
		}
		inst := &instance{sys: s, proc: p, target: target{base: base}, version: versions}
		if err := r.seed(ctx, inst); err != nil {
			p.Kill()
			return nil, err
		}
		if err := p.Stop(stopTimeout); err != nil {
			return nil, err
		}
		if storage == "postgres" {
			if err := pgAdmin(ctx, databaseURL, "ANALYZE"); err != nil {
				return nil, fmt.Errorf("analyze: %w", err)
			}
		}
		if inst.proc, inst.target.base, err = r.start(ctx, s, pypeer.Python, args, env...); err != nil {
			return nil, err
		}
		return inst, nil
	}
}
