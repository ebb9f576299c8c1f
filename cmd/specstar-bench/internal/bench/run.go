// Package bench is specstar-bench: it builds the benchmark example server
// and the raw baselines, starts every system on loopback, seeds the same
// data into each, drives the same scenarios against all of them with the
// built-in load generator, times the specstar generator, and reports
// throughput, latency, memory and CPU with ratios and the targets of the
// benchmark issue. docs/benchmarks.md describes the method.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/gentime"
	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/load"
)

// Exit codes of Main.
const (
	ExitOK      = 0 // the run completed without request errors
	ExitFailure = 1 // a request failed, or a system or step could not run
	ExitUsage   = 2 // bad flags
)

// modulePath is the module the benchmark builds from.
const modulePath = "github.com/specstar-go/specstar"

// Main runs the benchmark with command-line arguments and returns the
// exit code. The table goes to stdout, progress and errors to stderr.
// With "soak" as the first argument it runs the soak instead (soak.go).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "soak" {
		return soakMain(ctx, args[1:], stdout, stderr)
	}
	cfg, err := ParseFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "specstar-bench: %v\n", err)
		return ExitUsage
	}
	var rep *Report
	if cfg.Print != "" {
		rep, err = ReadReport(cfg.Print)
		cfg.Out = ""
	} else {
		rep, err = Run(ctx, cfg, stderr)
	}
	if rep != nil {
		if werr := rep.WriteTable(stdout); werr != nil {
			err = errors.Join(err, werr)
		}
		if cfg.Out != "" {
			if werr := rep.WriteJSONFile(cfg.Out); werr != nil {
				err = errors.Join(err, werr)
			} else {
				fmt.Fprintf(stderr, "specstar-bench: wrote %s\n", cfg.Out)
			}
		}
		if cfg.Chart != "" && len(rep.Results) > 0 {
			if werr := rep.WriteChartFile(cfg.Chart); werr != nil {
				err = errors.Join(err, werr)
			} else {
				fmt.Fprintf(stderr, "specstar-bench: wrote %s\n", cfg.Chart)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "specstar-bench: %v\n", err)
		return ExitFailure
	}
	if rep.Errors > 0 {
		fmt.Fprintf(stderr, "specstar-bench: %d requests failed\n", rep.Errors)
		return ExitFailure
	}
	return ExitOK
}

// runner is the state of one run.
type runner struct {
	cfg    Config
	repo   string
	work   string
	log    io.Writer
	client *http.Client
	bins   struct{ specstar, example, raw, pocketbase string }
	python map[string]pythonState // by app name: checked (and installed) once per run
	// shared is what one system's launch leaves for another's.
	shared struct {
		sqliteDB  string   // the seeded SQLite file, copied for raw-sqlite
		sqliteIDs []string // its ids
		envelope  []byte   // a GET body of specstar-memory, for fixed-json
		etag      string
		memoryIDs []string
		// pgRawURL is the copy of the database specstar-postgres seeded,
		// for raw-postgres; pgIDs its ids.
		pgRawURL string
		pgIDs    []string
		// pgDatabases are the databases the run created, dropped at its
		// end unless --keep.
		pgDatabases []string
	}
}

// logf prints a progress line.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "specstar-bench: "+format+"\n", args...)
}

// Run runs the benchmark and returns its report. Progress goes to log. A
// non-nil error means the run stopped early; the report then holds what
// was measured until then (it is nil when nothing could be).
func Run(ctx context.Context, cfg Config, log io.Writer) (*Report, error) {
	r := &runner{cfg: cfg, log: log, client: load.NewClient(cfg.Concurrency), python: map[string]pythonState{}}
	var err error
	if r.repo, err = findRepo(cfg.RepoRoot); err != nil {
		return nil, err
	}
	systems, notes := Systems(cfg)
	if systems, err = selectSystems(systems, cfg.Systems); err != nil {
		return nil, err
	}
	if r.work, err = workDir(cfg.WorkDir); err != nil {
		return nil, err
	}
	if cfg.Keep || cfg.WorkDir != "" {
		r.logf("scratch directory: %s", r.work)
	} else {
		defer os.RemoveAll(r.work)
	}
	rep := newReport(cfg, notes)
	// Whatever was measured before a failure is reported with its ratios
	// and targets.
	defer func() {
		rep.Machine.LoadEnd = loadAverage()
		rep.finish()
	}()
	if err := r.build(ctx); err != nil {
		return nil, err
	}
	if !cfg.SkipGen {
		if rep.Gen, err = r.timeGenerator(ctx); err != nil {
			return rep, err
		}
	}
	if cfg.GenCold {
		if rep.GenCold, err = r.timeColdGenerator(ctx); err != nil {
			return rep, err
		}
	}
	// Runs after the servers below are stopped: a database in use cannot
	// be dropped without ending its sessions.
	defer r.dropDatabases()
	var insts []*instance
	defer func() {
		for _, inst := range insts {
			if err := inst.proc.Stop(stopTimeout); err != nil {
				r.logf("%v", err)
			}
		}
	}()
	if len(selectedScenarios(cfg)) == 0 {
		systems = nil // only the jobs scenario, which starts its own servers
	}
	for _, s := range systems {
		r.logf("%s: starting", s.Name)
		inst, err := s.launch(ctx, r, s)
		var skip *skipError
		if errors.As(err, &skip) {
			r.logf("%s: SKIP: %s", s.Name, skip.reason)
			rep.Skipped = append(rep.Skipped, SkippedSystem{Name: s.Name, Reason: skip.reason})
			continue
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", s.Name, err)
		}
		insts = append(insts, inst)
		if err := sleep(ctx, cfg.Settle); err != nil {
			return rep, err
		}
		if inst.idle, err = inst.proc.Stats(); err != nil {
			return rep, err
		}
		rep.addSystem(inst)
	}
	for _, sc := range Scenarios {
		if len(cfg.Scenarios) > 0 && !slices.Contains(cfg.Scenarios, sc.Name) {
			continue
		}
		results, err := r.scenario(ctx, sc, insts)
		rep.Results = append(rep.Results, results...)
		if err != nil {
			return rep, err
		}
	}
	if wantsJobs(cfg) {
		// In this process, after the HTTP scenarios' servers are idle.
		r.logf("jobs: starting")
		if rep.Jobs, err = r.runJobs(ctx); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// findRepo returns the specstar repository root: dir if given, else the
// nearest directory above the working directory whose go.mod declares the
// specstar module.
func findRepo(dir string) (string, error) {
	start := dir
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		start = wd
	}
	for d := start; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && bytes.HasPrefix(firstLine(data), []byte("module "+modulePath)) {
			return d, nil
		}
		if dir != "" {
			return "", fmt.Errorf("%s is not the specstar repository (no go.mod declaring %s)", dir, modulePath)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("run specstar-bench inside the specstar repository (no go.mod declaring %s above %s), or pass -repo", modulePath, start)
		}
		d = parent
	}
}

// firstLine returns the first non-blank, non-comment line of data.
func firstLine(data []byte) []byte {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) > 0 && !bytes.HasPrefix(line, []byte("//")) {
			return line
		}
	}
	return nil
}

// workDir creates the scratch directory.
func workDir(dir string) (string, error) {
	if dir == "" {
		return os.MkdirTemp("", "specstar-bench-")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Abs(dir)
}

// build compiles the example server, the raw baselines and the specstar
// CLI into the scratch directory.
func (r *runner) build(ctx context.Context) error {
	bin := filepath.Join(r.work, "bin")
	r.bins.example = filepath.Join(bin, "bench-server")
	r.bins.raw = filepath.Join(bin, "rawserver")
	r.bins.specstar = filepath.Join(bin, "specstar")
	for _, b := range []struct{ out, pkg string }{
		{r.bins.example, "./examples/bench"},
		{r.bins.raw, "./cmd/specstar-bench/internal/rawserver"},
		{r.bins.specstar, "./cmd/specstar"},
	} {
		r.logf("go build %s", b.pkg)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", b.out, b.pkg)
		cmd.Dir = r.repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	return nil
}

// timeGenerator times the generator on the blog example and a
// 50-resource spec.
func (r *runner) timeGenerator(ctx context.Context) ([]gentime.Timing, error) {
	blog, err := gentime.BlogCase(r.repo)
	if err != nil {
		return nil, err
	}
	large, err := gentime.LargeCase(50)
	if err != nil {
		return nil, err
	}
	r.logf("timing specstar gen (%d runs each)", r.cfg.GenRuns)
	return gentime.Measure(ctx, r.bins.specstar, r.repo, filepath.Join(r.work, "gen"), r.cfg.GenRuns, []gentime.Case{blog, large})
}

// timeColdGenerator compares a cold gen of the blog example with a cold
// go build of its output (gentime.MeasureCold).
func (r *runner) timeColdGenerator(ctx context.Context) (*gentime.Cold, error) {
	blog, err := gentime.BlogCase(r.repo)
	if err != nil {
		return nil, err
	}
	r.logf("timing a cold specstar gen and a cold go build of its output (minutes)")
	cold, err := gentime.MeasureCold(ctx, r.bins.specstar, r.repo, filepath.Join(r.work, "gen"), blog)
	if err != nil {
		return nil, err
	}
	r.logf("%s", cold.Line())
	return &cold, nil
}

// scenario runs one scenario on every instance whose dialect serves it.
// Rounds are interleaved across systems (round 1 of each, then round 2 of
// each, ...), so that a drift of the machine's speed during the run
// affects every system alike.
func (r *runner) scenario(ctx context.Context, sc Scenario, insts []*instance) ([]*Result, error) {
	type state struct {
		inst    *instance
		build   load.Request
		check   func([]byte) error
		res     *Result
		rounds  []*load.Result
		nextSeq uint64
		cpu     time.Duration
	}
	var states []*state
	for _, inst := range insts {
		b := inst.sys.dialect.build[sc.Name]
		if b == nil {
			continue
		}
		st := &state{inst: inst, check: inst.sys.dialect.check[sc.Name], res: &Result{System: inst.sys.Name, Scenario: sc.Name}}
		st.build = func(rng *rand.Rand, seq uint64) (*http.Request, error) { return b(&inst.target, rng, seq) }
		states = append(states, st)
	}
	var out []*Result
	for _, st := range states {
		out = append(out, st.res)
		if r.cfg.Warmup > 0 {
			w, err := r.round(ctx, st.build, st.check, r.cfg.Warmup, st.nextSeq)
			if err != nil {
				return out, err
			}
			st.nextSeq += w.Sent
			st.res.addErrors(w)
		}
		if err := st.inst.proc.ResetPeak(); err != nil {
			st.res.Notes = append(st.res.Notes, "peak RSS is the process's lifetime peak: "+err.Error())
		}
	}
	for round := range r.cfg.Rounds {
		for _, st := range states {
			r.logf("%s %s: round %d of %d", st.inst.sys.Name, sc.Name, round+1, r.cfg.Rounds)
			before, err := st.inst.proc.Stats()
			if err != nil {
				return out, err
			}
			res, err := r.round(ctx, st.build, st.check, r.cfg.Duration, st.nextSeq)
			if err != nil {
				return out, err
			}
			after, err := st.inst.proc.Stats()
			if err != nil {
				return out, err
			}
			st.nextSeq += res.Sent
			st.cpu += after.CPU - before.CPU
			st.rounds = append(st.rounds, res)
			st.res.addErrors(res)
		}
	}
	for _, st := range states {
		stats, err := st.inst.proc.Stats()
		if err != nil {
			return out, err
		}
		st.res.summarize(st.rounds, st.cpu, st.inst.idle.RSS, stats.Peak)
	}
	return out, nil
}

// round runs the load generator once; check, when set, judges every 2xx
// body.
func (r *runner) round(ctx context.Context, build load.Request, check func([]byte) error, d time.Duration, firstSeq uint64) (*load.Result, error) {
	return load.Run(ctx, load.Config{
		Concurrency: r.cfg.Concurrency,
		Duration:    d,
		Client:      r.client,
		Seed:        firstSeq + 1,
		FirstSeq:    firstSeq,
		Check:       check,
	}, build)
}

// machine describes the machine the run is on.
func machine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
		GoVersion: runtime.Version(), LoadStart: loadAverage()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(data))
	}
	return m
}

// loadAverage returns the 1-minute load average, or 0 when unknown.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return v
}
