package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/load"
	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/proc"
)

// The soak (specstar-bench soak) runs one generated server at a fixed
// request rate for a long time (10 minutes by default) and checks that
// it does not degrade: its resident memory and its latency in the last
// window are within a tolerance of the first window's. The load is an
// open loop: request k is due at start + k/rate whatever the answers of
// the previous ones, and its latency is measured from when it was due,
// so a server that falls behind shows it in the latency instead of
// slowing the load down (no coordinated omission). A request due when
// MaxInFlight requests are already waiting is dropped and counted.

// SoakConfig is what one soak run does.
type SoakConfig struct {
	System      string        `json:"system"`   // specstar-sqlite, specstar-postgres or specstar-memory
	Rate        float64       `json:"rate_rps"` // requests per second
	Duration    time.Duration `json:"duration_ns"`
	Interval    time.Duration `json:"interval_ns"` // length of a sample window
	Warmup      time.Duration `json:"warmup_ns"`   // load before the first window, not measured
	Rows        int           `json:"rows"`        // items seeded before the load
	MaxInFlight int           `json:"max_in_flight"`
	// Tolerance is how much the last window may exceed the first: RSS
	// within first*(1+Tolerance), p50 and p99 within first*(1+Tolerance)
	// plus soakLatencySlack.
	Tolerance float64 `json:"tolerance"`
	Postgres  string  `json:"-"`
	Out       string  `json:"-"`
	WorkDir   string  `json:"-"`
	Keep      bool    `json:"-"`
	RepoRoot  string  `json:"-"`
}

// soakLatencySlack is added to the latency limits: below a millisecond,
// scheduling noise alone moves a percentile by more than any tolerance.
const soakLatencySlack = time.Millisecond

// soakSystems are the systems a soak can run.
var soakSystems = []string{"specstar-sqlite", "specstar-postgres", "specstar-memory"}

// soakMix is the request mix of the soak, by scenario, in weights.
var soakMix = []struct {
	scenario string
	weight   int
}{{"get", 50}, {"list", 20}, {"create", 15}, {"update", 15}}

// DefaultSoakConfig returns the configuration of a full soak.
func DefaultSoakConfig() SoakConfig {
	return SoakConfig{
		System:      "specstar-sqlite",
		Rate:        200,
		Duration:    10 * time.Minute,
		Interval:    time.Minute,
		Warmup:      30 * time.Second,
		Rows:        10_000,
		MaxInFlight: 64,
		Tolerance:   0.25,
		Out:         "soak.json",
	}
}

// ParseSoakFlags reads a SoakConfig from the arguments after "soak".
// getenv supplies SPECSTAR_TEST_POSTGRES_URL, the default of --postgres.
func ParseSoakFlags(args []string, getenv func(string) string, out io.Writer) (SoakConfig, error) {
	c := DefaultSoakConfig()
	fs := flag.NewFlagSet("specstar-bench soak", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, soakUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.System, "system", c.System, "system to soak: "+strings.Join(soakSystems, ", "))
	fs.Float64Var(&c.Rate, "rate", c.Rate, "requests per second, fixed (open loop)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "measured length of the soak")
	fs.DurationVar(&c.Interval, "interval", c.Interval, "length of one sample window (RSS, p50, p99)")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "load before the first window, not measured")
	fs.IntVar(&c.Rows, "rows", c.Rows, "items seeded before the load")
	fs.IntVar(&c.MaxInFlight, "max-in-flight", c.MaxInFlight, "requests waiting at once; a request due beyond it is dropped")
	fs.Float64Var(&c.Tolerance, "tolerance", c.Tolerance, "how much the last window may exceed the first (0.25: 25%)")
	fs.StringVar(&c.Postgres, "postgres", getenv("SPECSTAR_TEST_POSTGRES_URL"), "PostgreSQL URL for specstar-postgres (default $SPECSTAR_TEST_POSTGRES_URL)")
	fs.StringVar(&c.Out, "out", c.Out, `JSON report file ("" for none)`)
	fs.StringVar(&c.WorkDir, "workdir", "", "scratch directory (default: a new temp dir)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the scratch directory (server log, database)")
	fs.StringVar(&c.RepoRoot, "repo", "", "the specstar repository (default: found from the working directory)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return c, c.validate()
}

// validate reports every invalid setting.
func (c SoakConfig) validate() error {
	var errs []error
	if !slices.Contains(soakSystems, c.System) {
		errs = append(errs, fmt.Errorf("-system: %q cannot be soaked (known: %s)", c.System, strings.Join(soakSystems, ", ")))
	}
	if c.System == "specstar-postgres" && c.Postgres == "" {
		errs = append(errs, errors.New("-system specstar-postgres needs a PostgreSQL server: pass --postgres URL or set SPECSTAR_TEST_POSTGRES_URL"))
	}
	if c.Rate <= 0 {
		errs = append(errs, fmt.Errorf("-rate must be positive, got %g", c.Rate))
	}
	if c.Interval <= 0 || c.Duration < 2*c.Interval {
		errs = append(errs, fmt.Errorf("-duration (%s) must hold at least two -interval windows (%s)", c.Duration, c.Interval))
	}
	if c.Warmup < 0 {
		errs = append(errs, errors.New("-warmup must not be negative"))
	}
	if c.Rows < 1 {
		errs = append(errs, fmt.Errorf("-rows must be at least 1, got %d", c.Rows))
	}
	if c.MaxInFlight < 1 {
		errs = append(errs, fmt.Errorf("-max-in-flight must be at least 1, got %d", c.MaxInFlight))
	}
	if c.Tolerance < 0 {
		errs = append(errs, fmt.Errorf("-tolerance must not be negative, got %g", c.Tolerance))
	}
	return errors.Join(errs...)
}

// soakUsage heads the -h output of the soak.
const soakUsage = `specstar-bench soak runs one generated server (examples/bench) at a fixed
request rate (50% get, 20% list, 15% create, 15% update) and samples its
resident memory (VmRSS) and the p50/p99 latency once per window. It reports
whether both stay flat: the last window within the tolerance of the first.

Usage:
  go run ./cmd/specstar-bench soak [flags]

It prints the windows and the verdict on stdout and writes the JSON report
(--out). It exits 1 when a request failed or was dropped, or when RSS or
latency is not flat; 2 on bad flags.

Flags:
`

// SoakReport is what one soak measured.
type SoakReport struct {
	Started     time.Time     `json:"started"`
	Machine     Machine       `json:"machine"`
	Config      SoakConfig    `json:"config"`
	SeedSeconds float64       `json:"seed_seconds"`
	Windows     []*SoakWindow `json:"windows"`
	Verdicts    []SoakVerdict `json:"verdicts"` // RSS, p50, p99: last window against the first
	Flat        bool          `json:"flat"`     // every verdict flat
	Requests    int           `json:"requests"` // measured, successful
	Errors      int           `json:"errors"`   // failed requests, warm-up included
	Dropped     int           `json:"dropped"`  // due while MaxInFlight requests waited
	Failures    []string      `json:"failures,omitempty"`
	latencies   [][]time.Duration
	mu          sync.Mutex
}

// SoakWindow is one sample window.
type SoakWindow struct {
	Index    int     `json:"index"` // from 1
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Dropped  int     `json:"dropped"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	RSS      int64   `json:"rss_bytes"` // VmRSS at the window's end
}

// SoakVerdict compares the last window with the first for one measure.
type SoakVerdict struct {
	Measure string  `json:"measure"` // "RSS", "p50", "p99"
	First   float64 `json:"first"`   // bytes or milliseconds
	Last    float64 `json:"last"`
	Limit   float64 `json:"limit"` // the largest flat last value
	Flat    bool    `json:"flat"`
}

// verdict judges one measure: last is flat when it is at most
// first*(1+tolerance)+slack.
func verdict(measure string, first, last, tolerance, slack float64) SoakVerdict {
	limit := first*(1+tolerance) + slack
	return SoakVerdict{Measure: measure, First: first, Last: last, Limit: limit, Flat: last <= limit}
}

// soakMain runs the soak subcommand and returns the exit code.
func soakMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := ParseSoakFlags(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "specstar-bench soak: %v\n", err)
		return ExitUsage
	}
	rep, err := RunSoak(ctx, cfg, stderr)
	if rep != nil {
		err = errors.Join(err, rep.WriteTable(stdout))
		if cfg.Out != "" {
			if werr := writeJSONFile(cfg.Out, rep); werr != nil {
				err = errors.Join(err, werr)
			} else {
				fmt.Fprintf(stderr, "specstar-bench soak: wrote %s\n", cfg.Out)
			}
		}
	}
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "specstar-bench soak: %v\n", err)
		return ExitFailure
	case rep.Errors > 0 || rep.Dropped > 0:
		fmt.Fprintf(stderr, "specstar-bench soak: %d requests failed, %d dropped\n", rep.Errors, rep.Dropped)
		return ExitFailure
	case !rep.Flat:
		fmt.Fprintln(stderr, "specstar-bench soak: not flat")
		return ExitFailure
	}
	return ExitOK
}

// writeJSONFile writes v as indented JSON to path.
func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// RunSoak builds the example server, starts the system of cfg on
// loopback, seeds it, and drives it at cfg.Rate for cfg.Warmup plus
// cfg.Duration. Progress goes to log. The report holds what was measured
// even when the error is not nil (it is nil when nothing could be).
func RunSoak(ctx context.Context, cfg SoakConfig, log io.Writer) (*SoakReport, error) {
	r := &runner{
		cfg: Config{Rows: cfg.Rows, Concurrency: 8, Postgres: cfg.Postgres, Keep: cfg.Keep},
		log: log, client: load.NewClient(cfg.MaxInFlight),
	}
	var err error
	if r.repo, err = findRepo(cfg.RepoRoot); err != nil {
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
	r.bins.example = filepath.Join(r.work, "bin", "bench-server")
	r.logf("go build ./examples/bench")
	if err := goBuild(ctx, r.repo, r.bins.example, "./examples/bench"); err != nil {
		return nil, err
	}
	defer r.dropDatabases()
	inst, err := r.launchSoak(ctx, cfg.System)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := inst.proc.Stop(stopTimeout); err != nil {
			r.logf("%v", err)
		}
	}()
	rep := &SoakReport{Started: time.Now().UTC().Truncate(time.Second), Machine: machine(), Config: cfg,
		SeedSeconds: inst.seedTime.Seconds()}
	r.logf("%s: %g req/s for %s after %s of warm-up, windows of %s", cfg.System, cfg.Rate, cfg.Duration, cfg.Warmup, cfg.Interval)
	err = r.soak(ctx, cfg, inst, rep)
	rep.finish(cfg)
	return rep, err
}

// goBuild builds pkg of the repository into out.
func goBuild(ctx context.Context, repo, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = repo
	if data, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, data)
	}
	return nil
}

// launchSoak starts the named specstar system on a fresh store and seeds
// it; unlike a benchmark launch it is not restarted on the seeded data
// (the soak measures a server over its whole life).
func (r *runner) launchSoak(ctx context.Context, name string) (*instance, error) {
	all, _ := Systems(r.cfg)
	i := slices.IndexFunc(all, func(s *System) bool { return s.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("system %s is not available", name)
	}
	s := all[i]
	var args func(string) []string
	var env []string
	switch s.Storage {
	case "sqlite":
		args = specstarArgs("sqlite:" + filepath.Join(r.work, s.Name, "specstar.db"))
	case "memory":
		args = specstarArgs("memory:")
	case "postgres":
		suffix, err := newDatabaseSuffix()
		if err != nil {
			return nil, err
		}
		u, err := r.createDatabase(ctx, "specstar_soak_"+suffix, "")
		if err != nil {
			return nil, err
		}
		args, env = pgServerArgs, []string{"SPECSTAR_DATABASE_URL=" + u}
	}
	p, base, err := r.start(ctx, s, r.bins.example, args, env...)
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

// soak drives the load and samples the windows into rep.
func (r *runner) soak(ctx context.Context, cfg SoakConfig, inst *instance, rep *SoakReport) error {
	n := int((cfg.Duration + cfg.Interval - 1) / cfg.Interval)
	rep.Windows = make([]*SoakWindow, n)
	rep.latencies = make([][]time.Duration, n)
	for i := range rep.Windows {
		rep.Windows[i] = &SoakWindow{Index: i + 1}
	}
	start := time.Now()
	measured := start.Add(cfg.Warmup)
	end := measured.Add(cfg.Duration)
	window := func(at time.Time) int {
		if at.Before(measured) {
			return -1
		}
		return min(int(at.Sub(measured)/cfg.Interval), n-1)
	}
	sampled := make(chan error, 1)
	go func() { sampled <- sampleRSS(ctx, inst.proc, measured, cfg.Interval, rep.Windows) }()

	build := soakBuilder(inst)
	rng := rand.New(rand.NewPCG(1, 2))
	period := time.Duration(float64(time.Second) / cfg.Rate)
	slots := make(chan struct{}, cfg.MaxInFlight)
	var wg sync.WaitGroup
	var buildErr error
	nextWindow := 0
	for k := 0; ctx.Err() == nil; k++ {
		at := start.Add(time.Duration(k) * period)
		if !at.Before(end) {
			break
		}
		if w := window(at); w > nextWindow {
			r.logf("%s: window %d of %d done", cfg.System, w, n)
			nextWindow = w
		}
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		req, err := build(rng, uint64(k))
		if err != nil {
			buildErr = err
			break
		}
		select {
		case slots <- struct{}{}:
		default:
			rep.record(window(at), 0, errors.New("dropped"), true)
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			err := soakDo(r.client, req.WithContext(ctx))
			rep.record(window(at), time.Since(at), err, false)
		})
	}
	wg.Wait()
	return errors.Join(buildErr, ctx.Err(), <-sampled)
}

// soakBuilder returns the request builder of the soak's mix over the
// system's dialect.
func soakBuilder(inst *instance) load.Request {
	total := 0
	for _, m := range soakMix {
		total += m.weight
	}
	return func(rng *rand.Rand, seq uint64) (*http.Request, error) {
		x := rng.IntN(total)
		for _, m := range soakMix {
			if x < m.weight {
				return inst.sys.dialect.build[m.scenario](&inst.target, rng, seq)
			}
			x -= m.weight
		}
		panic("unreachable")
	}
}

// soakDo sends one request; a transport error or a non-2xx answer is an
// error.
func soakDo(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %s: reading the response: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, snippet(body))
	}
	return nil
}

// snippet returns the start of a response body for an error message.
func snippet(body []byte) string {
	const n = 200
	if len(body) > n {
		return string(body[:n]) + "..."
	}
	return string(body)
}

// record adds the outcome of one request due in window w (-1: warm-up).
func (rep *SoakReport) record(w int, latency time.Duration, err error, dropped bool) {
	rep.mu.Lock()
	defer rep.mu.Unlock()
	switch {
	case dropped:
		rep.Dropped++
		if w >= 0 {
			rep.Windows[w].Dropped++
		}
	case err != nil:
		rep.Errors++
		if len(rep.Failures) < 5 {
			rep.Failures = append(rep.Failures, err.Error())
		}
		if w >= 0 {
			rep.Windows[w].Errors++
		}
	case w >= 0:
		rep.Requests++
		rep.Windows[w].Requests++
		rep.latencies[w] = append(rep.latencies[w], latency)
	}
}

// sampleRSS reads the process's VmRSS at the end of each window.
func sampleRSS(ctx context.Context, p *proc.Process, measured time.Time, interval time.Duration, windows []*SoakWindow) error {
	for i, w := range windows {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(measured.Add(time.Duration(i+1) * interval))):
		}
		stats, err := p.Stats()
		if err != nil {
			return err
		}
		w.RSS = stats.RSS
	}
	return nil
}

// finish computes the windows' percentiles and the verdicts.
func (rep *SoakReport) finish(cfg SoakConfig) {
	for i, w := range rep.Windows {
		lat := rep.latencies[i]
		slices.Sort(lat)
		w.P50Ms = ms(load.Percentile(lat, 50))
		w.P99Ms = ms(load.Percentile(lat, 99))
		w.MaxMs = ms(load.Percentile(lat, 100))
	}
	if len(rep.Windows) < 2 {
		return
	}
	first, last := rep.Windows[0], rep.Windows[len(rep.Windows)-1]
	if first.RSS == 0 || last.RSS == 0 || first.Requests == 0 || last.Requests == 0 {
		return // the run stopped early: no verdict
	}
	slack := ms(soakLatencySlack)
	rep.Verdicts = []SoakVerdict{
		verdict("RSS", float64(first.RSS), float64(last.RSS), cfg.Tolerance, 0),
		verdict("p50", first.P50Ms, last.P50Ms, cfg.Tolerance, slack),
		verdict("p99", first.P99Ms, last.P99Ms, cfg.Tolerance, slack),
	}
	rep.Flat = true
	for _, v := range rep.Verdicts {
		rep.Flat = rep.Flat && v.Flat
	}
}

// WriteTable prints the windows and the verdicts.
func (rep *SoakReport) WriteTable(w io.Writer) error {
	c := rep.Config
	var b strings.Builder
	fmt.Fprintf(&b, "soak: %s at %g req/s for %s after %s of warm-up, windows of %s, %d rows seeded; %s, %d CPUs\n\n",
		c.System, c.Rate, c.Duration, c.Warmup, c.Interval, c.Rows, rep.Machine.CPUModel, rep.Machine.CPUs)
	t := newTable([]string{"window", "requests", "errors", "dropped", "p50 ms", "p99 ms", "max ms", "RSS"},
		"window", "requests", "errors", "dropped", "p50 ms", "p99 ms", "max ms", "RSS")
	for _, win := range rep.Windows {
		t.add(fmt.Sprint(win.Index), fmt.Sprint(win.Requests), fmt.Sprint(win.Errors), fmt.Sprint(win.Dropped),
			fmt.Sprintf("%.2f", win.P50Ms), fmt.Sprintf("%.2f", win.P99Ms), fmt.Sprintf("%.2f", win.MaxMs), mib(win.RSS))
	}
	b.WriteString(t.String())
	b.WriteString("\n")
	if len(rep.Verdicts) == 0 {
		b.WriteString("no verdict: the run stopped before its last window\n")
	}
	for _, v := range rep.Verdicts {
		status := "FLAT"
		if !v.Flat {
			status = "NOT FLAT"
		}
		first, last, limit := fmt.Sprintf("%.2f ms", v.First), fmt.Sprintf("%.2f ms", v.Last), fmt.Sprintf("%.2f ms", v.Limit)
		if v.Measure == "RSS" {
			first, last, limit = mib(int64(v.First)), mib(int64(v.Last)), mib(int64(v.Limit))
		}
		fmt.Fprintf(&b, "%-8s %-3s first window %s, last window %s (limit %s)\n", status, v.Measure, first, last, limit)
	}
	fmt.Fprintf(&b, "requests: %d measured, %d failed, %d dropped\n", rep.Requests, rep.Errors, rep.Dropped)
	for _, f := range rep.Failures {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
