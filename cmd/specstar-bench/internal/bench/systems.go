package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/load"
	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/pocketbase"
	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/proc"
	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/pypeer"
)

// Role is what a system stands for in the comparison.
type Role string

// Roles. Every specstar system is compared with the raw and fixed
// baselines of its storage and with every peer.
const (
	RoleSpecstar Role = "specstar" // the generated server (examples/bench)
	RoleRaw      Role = "raw"      // a hand-written echo handler over the same storage
	RoleFixed    Role = "fixed"    // an echo handler returning a constant body
	RolePeer     Role = "peer"     // another product: PocketBase, Django REST Framework, FastAPI
)

// System is one server the benchmark runs. The matrix (Systems) is data:
// a new storage backend is one specstar entry and one raw entry, a new
// peer one peer entry.
type System struct {
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	Storage string `json:"storage"` // "sqlite", "postgres", "memory"; "" for a peer compared with every storage
	Doc     string `json:"doc"`
	// Tree says the server runs as a master and worker processes
	// (gunicorn, uvicorn): it is measured over the whole process tree.
	Tree bool `json:"process_tree,omitempty"`
	// Needs names the systems that must launch first in the same run
	// (a raw baseline reuses the data its specstar system seeded).
	Needs   []string `json:"needs,omitempty"`
	dialect *dialect
	launch  func(ctx context.Context, r *runner, s *System) (*instance, error)
}

// Systems returns the systems a run with cfg can measure, in launch
// order, and notes on the ones it cannot.
func Systems(cfg Config) ([]*System, []string) {
	systems := []*System{
		{
			Name: "specstar-sqlite", Role: RoleSpecstar, Storage: "sqlite",
			Doc:     "the generated server over its embedded SQLite store (the default)",
			dialect: specstarDialect(),
			launch:  launchSpecstarSQLite,
		},
		{
			Name: "raw-sqlite", Role: RoleRaw, Storage: "sqlite", Needs: []string{"specstar-sqlite"},
			Doc:     "hand-written echo handlers and SQL on a copy of the same seeded SQLite file",
			dialect: restDialect(),
			launch:  launchRawSQLite,
		},
		{
			Name: "raw-sqlite-planner", Role: RoleRaw, Storage: "sqlite", Needs: []string{"specstar-sqlite"},
			Doc: "raw-sqlite's list with the plan left to SQLite, which takes the category index and sorts " +
				"every item of the category: what the engine's choice of the sort index is worth",
			dialect: listOnly(restDialect()),
			launch:  launchRawSQLitePlanner,
		},
	}
	var notes []string
	if cfg.Postgres != "" {
		systems = append(systems,
			&System{
				Name: "specstar-postgres", Role: RoleSpecstar, Storage: "postgres",
				Doc:     "the generated server over its PostgreSQL store, on a database created for the run",
				dialect: specstarDialect(),
				launch:  launchSpecstarPostgres,
			},
			&System{
				Name: "raw-postgres", Role: RoleRaw, Storage: "postgres", Needs: []string{"specstar-postgres"},
				Doc:     "hand-written echo handlers and pgx (pgxpool) on a copy of the database specstar-postgres seeded",
				dialect: restDialect(),
				launch:  launchRawPostgres,
			})
		notes = append(notes, "PostgreSQL runs in its own processes: the CPU/req and RSS of specstar-postgres and raw-postgres "+
			"are those of the server process alone, without the database's work, and the database server may be busy with other work.")
	} else {
		notes = append(notes, "PostgreSQL: specstar-postgres and raw-postgres skipped: no PostgreSQL URL "+
			"(pass --postgres or set SPECSTAR_TEST_POSTGRES_URL).")
	}
	systems = append(systems,
		&System{
			Name: "specstar-memory", Role: RoleSpecstar, Storage: "memory",
			Doc:     "the generated server over the in-memory store",
			dialect: specstarDialect(),
			launch:  launchSpecstarMemory,
		},
		&System{
			Name: "raw-memory", Role: RoleRaw, Storage: "memory",
			Doc:     "hand-written echo handlers over a map guarded by a sync.RWMutex",
			dialect: restDialect(),
			launch:  launchRawMemory,
		},
		&System{
			Name: "fixed-json", Role: RoleFixed, Storage: "memory", Needs: []string{"specstar-memory"},
			Doc:     "an echo handler returning a constant body: a real envelope of the generated server",
			dialect: fixedDialect(),
			launch:  launchFixed,
		})
	if slices.Contains(cfg.Peers, "pocketbase") {
		systems = append(systems, &System{
			Name: "pocketbase", Role: RolePeer,
			Doc:     "PocketBase " + pocketbase.Package + ", a collection of the same shape and indexes, rules open, logs off",
			dialect: pocketBaseDialect(),
			launch:  launchPocketBase,
		})
	}
	for _, app := range []*pypeer.App{pypeer.Django, pypeer.FastAPI} {
		if !slices.Contains(cfg.Peers, app.Name) {
			continue
		}
		systems = append(systems, pythonSystem(app, "sqlite"))
		if cfg.Postgres != "" {
			systems = append(systems, pythonSystem(app, "postgres"))
		}
	}
	if slices.Contains(cfg.Peers, "django") || slices.Contains(cfg.Peers, "fastapi") {
		notes = append(notes, "django-* and fastapi-* run as a master and worker processes: their CPU/req is summed over "+
			"every process of the tree, their idle RSS is the sum of each process's proportional share (Pss: pages the "+
			"workers share count once), their peak RSS the sum of each process's peak.")
	}
	return systems, notes
}

// pythonSystem is the Python peer app on storage ("sqlite", "postgres").
func pythonSystem(app *pypeer.App, storage string) *System {
	on := map[string]string{"sqlite": "on a SQLite file (WAL)", "postgres": "on a PostgreSQL database created for the run"}
	return &System{
		Name: app.Name + "-" + storage, Role: RolePeer, Storage: storage, Tree: true,
		Doc:     app.Doc + ", " + on[storage],
		dialect: pythonDialect(app.Name),
		launch:  launchPython(app, storage),
	}
}

// selectSystems keeps the systems named in names and what they need, in
// matrix order; nil names keeps all.
func selectSystems(all []*System, names []string) ([]*System, error) {
	if len(names) == 0 {
		return all, nil
	}
	byName := make(map[string]*System)
	for _, s := range all {
		byName[s.Name] = s
	}
	keep := make(map[string]bool)
	var add func(name string) error
	add = func(name string) error {
		s := byName[name]
		// Every system on PostgreSQL is named <what>-postgres.
		if s == nil && strings.HasSuffix(name, "-postgres") {
			return fmt.Errorf("-systems: %s needs a PostgreSQL server: pass --postgres URL or set SPECSTAR_TEST_POSTGRES_URL", name)
		}
		if s == nil {
			var known []string
			for _, s := range all {
				known = append(known, s.Name)
			}
			return fmt.Errorf("-systems: unknown system %q (available: %v)", name, known)
		}
		keep[name] = true
		for _, n := range s.Needs {
			if err := add(n); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := add(n); err != nil {
			return nil, err
		}
	}
	var out []*System
	for _, s := range all {
		if keep[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

// instance is a launched system: its process and what requests need.
type instance struct {
	sys      *System
	proc     *proc.Process
	target   target
	seedTime time.Duration // 0 when the data came from another system
	seededBy string        // the system whose seeding produced the data
	idle     proc.Stats
	version  string // what a peer runs ("Django 3.2.25, ..."); "" when the Doc says it
}

// startTimeout bounds a server's start (migrations included).
const startTimeout = 2 * time.Minute

// start starts a server process on a free loopback port, with env added
// to its environment, and waits until its health path answers.
func (r *runner) start(ctx context.Context, s *System, bin string, args func(addr string) []string, env ...string) (*proc.Process, string, error) {
	port, err := proc.FreePort()
	if err != nil {
		return nil, "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dir := filepath.Join(r.work, s.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	startFn := proc.Start
	if s.Tree {
		startFn = proc.StartTree
	}
	p, err := startFn(s.Name, bin, args(addr), env, dir, filepath.Join(r.work, s.Name+".log"))
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := p.WaitHTTP(ctx, base+s.dialect.health, startTimeout); err != nil {
		p.Kill()
		return nil, "", fmt.Errorf("%w (log: %s)", err, filepath.Join(r.work, s.Name+".log"))
	}
	return p, base, nil
}

// seed creates cfg.Rows items through inst's create API, with the
// load generator's concurrency, and records the ids and the time taken.
func (r *runner) seed(ctx context.Context, inst *instance) error {
	d := inst.sys.dialect
	if d.create == nil {
		return errNoCreate
	}
	n := r.cfg.Rows
	ids := make([]string, n)
	r.logf("%s: seeding %d items", inst.sys.Name, n)
	start := time.Now()
	err := load.Each(ctx, r.client, r.cfg.Concurrency, n,
		func(i int) (*http.Request, error) { return d.create(&inst.target, MakeRow(i).JSON()) },
		func(i int, body []byte) error {
			id, err := d.idOf(body)
			ids[i] = id
			return err
		})
	if err != nil {
		return fmt.Errorf("seed %s: %w", inst.sys.Name, err)
	}
	inst.seedTime = time.Since(start)
	inst.seededBy = inst.sys.Name
	inst.target.ids = ids
	inst.target.rows = n
	r.logf("%s: seeded %d items in %s (%.0f/s)", inst.sys.Name, n, inst.seedTime.Round(time.Millisecond),
		float64(n)/inst.seedTime.Seconds())
	return nil
}

// specstarArgs returns the example server's arguments for a database URL.
// Request logging is at warn, so that the access log is off, as
// PocketBase's is.
func specstarArgs(databaseURL string) func(string) []string {
	return func(addr string) []string {
		return []string{"-addr", addr, "-database-url", databaseURL, "-log-level", "warn"}
	}
}

// launchSpecstarSQLite starts the example server on a fresh SQLite file,
// seeds it, stops it, keeps a copy of the seeded file for the raw
// baseline, and starts it again on the seeded file, so that its idle
// memory is that of a server started on existing data.
func launchSpecstarSQLite(ctx context.Context, r *runner, s *System) (*instance, error) {
	db := filepath.Join(r.work, s.Name, "specstar.db")
	p, base, err := r.start(ctx, s, r.bins.example, specstarArgs("sqlite:"+db))
	if err != nil {
		return nil, err
	}
	inst := &instance{sys: s, proc: p, target: target{base: base}}
	if err := r.seed(ctx, inst); err != nil {
		p.Kill()
		return nil, err
	}
	if err := p.Stop(stopTimeout); err != nil {
		return nil, err
	}
	r.shared.sqliteDB = filepath.Join(r.work, "seed", "specstar.db")
	if err := copySQLite(db, r.shared.sqliteDB); err != nil {
		return nil, err
	}
	r.shared.sqliteIDs = inst.target.ids
	if inst.proc, inst.target.base, err = r.start(ctx, s, r.bins.example, specstarArgs("sqlite:"+db)); err != nil {
		return nil, err
	}
	return inst, nil
}

// launchRawSQLite starts the raw SQLite baseline on a copy of the file
// specstar-sqlite seeded: the same tables, rows and indexes.
func launchRawSQLite(ctx context.Context, r *runner, s *System) (*instance, error) {
	return r.startRawSQLite(ctx, s)
}

// launchRawSQLitePlanner is launchRawSQLite with the list plan left to
// SQLite.
func launchRawSQLitePlanner(ctx context.Context, r *runner, s *System) (*instance, error) {
	return r.startRawSQLite(ctx, s, "-planner-list")
}

// startRawSQLite starts the raw SQLite baseline with extra arguments on
// its own copy of the seeded file.
func (r *runner) startRawSQLite(ctx context.Context, s *System, extra ...string) (*instance, error) {
	if r.shared.sqliteDB == "" {
		return nil, errors.New(s.Name + " needs the file specstar-sqlite seeds")
	}
	db := filepath.Join(r.work, s.Name, "specstar.db")
	if err := copySQLite(r.shared.sqliteDB, db); err != nil {
		return nil, err
	}
	p, base, err := r.start(ctx, s, r.bins.raw, func(addr string) []string {
		return append([]string{"-mode", "sqlite", "-db", db, "-addr", addr}, extra...)
	})
	if err != nil {
		return nil, err
	}
	return &instance{sys: s, proc: p, seededBy: "specstar-sqlite",
		target: target{base: base, ids: r.shared.sqliteIDs, rows: len(r.shared.sqliteIDs)}}, nil
}

// pgServerArgs returns the example server's arguments for PostgreSQL:
// the database URL goes in the environment (SPECSTAR_DATABASE_URL), where
// other users' ps does not show its password.
func pgServerArgs(addr string) []string {
	return []string{"-addr", addr, "-log-level", "warn"}
}

// launchSpecstarPostgres creates a fresh database, starts the example
// server on it (it migrates at startup), seeds it, stops it, gathers the
// planner's statistics, copies the seeded database for the raw baseline
// (CREATE DATABASE ... TEMPLATE, which needs the template without
// connections), and starts the server again on the seeded data, as
// launchSpecstarSQLite does.
func launchSpecstarPostgres(ctx context.Context, r *runner, s *System) (*instance, error) {
	suffix, err := newDatabaseSuffix()
	if err != nil {
		return nil, err
	}
	name := "specstar_bench_" + suffix
	u, err := r.createDatabase(ctx, name, "")
	if err != nil {
		return nil, err
	}
	env := "SPECSTAR_DATABASE_URL=" + u
	p, base, err := r.start(ctx, s, r.bins.example, pgServerArgs, env)
	if err != nil {
		return nil, err
	}
	inst := &instance{sys: s, proc: p, target: target{base: base}}
	if err := r.seed(ctx, inst); err != nil {
		p.Kill()
		return nil, err
	}
	if err := p.Stop(stopTimeout); err != nil {
		return nil, err
	}
	// Statistics now, not whenever autovacuum gets to it: the list's plan
	// depends on them (without, PostgreSQL sorts every item of the
	// category instead of walking the happened_at index), and the copy
	// below carries them, so that both systems plan alike from the start.
	r.logf("postgres: ANALYZE %s", name)
	if err := pgAdmin(ctx, u, "ANALYZE"); err != nil {
		return nil, fmt.Errorf("analyze %s: %w", name, err)
	}
	if r.shared.pgRawURL, err = r.createDatabase(ctx, "raw_bench_"+suffix, name); err != nil {
		return nil, err
	}
	r.shared.pgIDs = inst.target.ids
	if inst.proc, inst.target.base, err = r.start(ctx, s, r.bins.example, pgServerArgs, env); err != nil {
		return nil, err
	}
	return inst, nil
}

// launchRawPostgres starts the raw PostgreSQL baseline on the copy of the
// database specstar-postgres seeded: the same tables, rows and indexes.
func launchRawPostgres(ctx context.Context, r *runner, s *System) (*instance, error) {
	if r.shared.pgRawURL == "" {
		return nil, errors.New(s.Name + " needs the database specstar-postgres seeds")
	}
	p, base, err := r.start(ctx, s, r.bins.raw, func(addr string) []string {
		return []string{"-mode", "postgres", "-addr", addr}
	}, "SPECSTAR_DATABASE_URL="+r.shared.pgRawURL)
	if err != nil {
		return nil, err
	}
	return &instance{sys: s, proc: p, seededBy: "specstar-postgres",
		target: target{base: base, ids: r.shared.pgIDs, rows: len(r.shared.pgIDs)}}, nil
}

// launchSpecstarMemory starts the example server on the memory store,
// seeds it, and keeps one of its envelopes for the fixed baseline.
func launchSpecstarMemory(ctx context.Context, r *runner, s *System) (*instance, error) {
	p, base, err := r.start(ctx, s, r.bins.example, specstarArgs("memory:"))
	if err != nil {
		return nil, err
	}
	inst := &instance{sys: s, proc: p, target: target{base: base}}
	if err := r.seed(ctx, inst); err != nil {
		p.Kill()
		return nil, err
	}
	resp, err := r.client.Get(base + "/api/items/" + inst.target.ids[0])
	if err != nil {
		p.Kill()
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		p.Kill()
		return nil, fmt.Errorf("read an envelope for the fixed baseline: %s %v", resp.Status, err)
	}
	r.shared.envelope, r.shared.etag, r.shared.memoryIDs = body, resp.Header.Get("ETag"), inst.target.ids
	return inst, nil
}

// launchRawMemory starts the raw memory baseline and seeds it.
func launchRawMemory(ctx context.Context, r *runner, s *System) (*instance, error) {
	p, base, err := r.start(ctx, s, r.bins.raw, func(addr string) []string {
		return []string{"-mode", "memory", "-addr", addr}
	})
	if err != nil {
		return nil, err
	}
	inst := &instance{sys: s, proc: p, target: target{base: base}}
	if err := r.seed(ctx, inst); err != nil {
		p.Kill()
		return nil, err
	}
	return inst, nil
}

// launchFixed starts the fixed-body baseline with the envelope
// specstar-memory served.
func launchFixed(ctx context.Context, r *runner, s *System) (*instance, error) {
	if r.shared.envelope == nil {
		return nil, errors.New("fixed-json needs an envelope of specstar-memory")
	}
	path := filepath.Join(r.work, "envelope.json")
	if err := os.WriteFile(path, r.shared.envelope, 0o644); err != nil {
		return nil, err
	}
	p, base, err := r.start(ctx, s, r.bins.raw, func(addr string) []string {
		return []string{"-mode", "fixed", "-body", path, "-etag", r.shared.etag, "-addr", addr}
	})
	if err != nil {
		return nil, err
	}
	return &instance{sys: s, proc: p, seededBy: "specstar-memory",
		target: target{base: base, ids: r.shared.memoryIDs, rows: len(r.shared.memoryIDs)}}, nil
}

// launchPocketBase installs PocketBase (once), creates a fresh data
// directory with a superuser, configures the collection, seeds it, and
// restarts it on the seeded data.
func launchPocketBase(ctx context.Context, r *runner, s *System) (*instance, error) {
	if r.bins.pocketbase == "" {
		gobin := filepath.Join(r.work, "pocketbase-bin")
		if err := os.MkdirAll(gobin, 0o755); err != nil {
			return nil, err
		}
		logPath := filepath.Join(r.work, "pocketbase-install.log")
		log, err := os.Create(logPath)
		if err != nil {
			return nil, err
		}
		r.logf("pocketbase: go install %s (or the cached build)", pocketbase.Package)
		start := time.Now()
		bin, cached, err := pocketbase.Install(ctx, gobin, log)
		log.Close()
		if err != nil {
			return nil, fmt.Errorf("%w (log: %s)", err, logPath)
		}
		if cached {
			r.logf("pocketbase: using the build cached in %s", filepath.Dir(bin))
		} else {
			r.logf("pocketbase: installed in %s (cached in %s for the next run)", time.Since(start).Round(time.Second), pocketbase.CacheDir())
		}
		r.bins.pocketbase = bin
	}
	dataDir := filepath.Join(r.work, s.Name, "pb_data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.OpenFile(filepath.Join(r.work, s.Name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	err = pocketbase.CreateSuperuser(ctx, r.bins.pocketbase, dataDir, log)
	log.Close()
	if err != nil {
		return nil, err
	}
	args := func(addr string) []string { return pocketbase.ServeArgs(addr, dataDir) }
	p, base, err := r.start(ctx, s, r.bins.pocketbase, args)
	if err != nil {
		return nil, err
	}
	if err := pocketbase.Configure(ctx, r.client, base, Categories); err != nil {
		p.Kill()
		return nil, err
	}
	inst := &instance{sys: s, proc: p, target: target{base: base}}
	if err := r.seed(ctx, inst); err != nil {
		p.Kill()
		return nil, err
	}
	if err := p.Stop(stopTimeout); err != nil {
		return nil, err
	}
	if inst.proc, inst.target.base, err = r.start(ctx, s, r.bins.pocketbase, args); err != nil {
		return nil, err
	}
	return inst, nil
}

// stopTimeout bounds a graceful stop.
const stopTimeout = 30 * time.Second

// copySQLite copies a closed SQLite database, with its WAL file if one
// was left behind.
func copySQLite(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(src+suffix, dst+suffix); err != nil {
			if suffix != "" && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("copy the seeded database: %w", err)
		}
	}
	return nil
}

// copyFile copies one file.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
