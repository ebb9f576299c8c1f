package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Config is what one benchmark run does.
type Config struct {
	Rows        int           `json:"rows"`        // resources seeded into each system
	Concurrency int           `json:"concurrency"` // load generator workers
	Duration    time.Duration `json:"duration_ns"` // length of one measured round
	Warmup      time.Duration `json:"warmup_ns"`   // unmeasured load before a scenario's rounds
	Rounds      int           `json:"rounds"`      // measured rounds per system and scenario
	Settle      time.Duration `json:"settle_ns"`   // quiet time before reading idle RSS
	GenRuns     int           `json:"gen_runs"`    // timed runs per generator command
	Peers       []string      `json:"peers"`       // peer systems: "pocketbase", "django", "fastapi"
	Postgres    string        `json:"-"`           // PostgreSQL URL (never written out: it may hold a password)
	Systems     []string      `json:"systems"`     // run only these systems (and what they need); nil: all
	Scenarios   []string      `json:"scenarios"`   // run only these scenarios; nil: all
	SkipGen     bool          `json:"skip_gen"`    // do not time the generator
	GenCold     bool          `json:"gen_cold"`    // also time a cold gen against a cold go build (minutes)
	Quick       bool          `json:"quick"`       // the small, fast configuration
	// InstallPeers lets the run install the Python peers' Debian packages
	// (apt-get, as root) when they are missing; off, a missing peer is
	// skipped.
	InstallPeers bool   `json:"-"`
	Out          string `json:"-"` // JSON report path; "" for none
	Chart        string `json:"-"` // SVG chart path; "" for none
	WorkDir      string `json:"-"` // scratch directory; "" for a new temp dir
	Keep         bool   `json:"-"` // keep the scratch directory
	RepoRoot     string `json:"-"` // the specstar repository; "" to find it from the working directory
	Print        string `json:"-"` // print the tables of this saved report instead of running
}

// DefaultConfig returns the configuration of a full run.
func DefaultConfig() Config {
	return Config{
		Rows:         100_000,
		Concurrency:  16,
		Duration:     5 * time.Second,
		Warmup:       2 * time.Second,
		Rounds:       3,
		Settle:       2 * time.Second,
		GenRuns:      5,
		Out:          "bench.json",
		Chart:        "bench.svg",
		InstallPeers: true,
	}
}

// quickConfig is applied by --quick before the flags given explicitly.
func (c *Config) quick() {
	c.Quick = true
	c.Rows = 5_000
	c.Duration = time.Second
	c.Warmup = 500 * time.Millisecond
	c.Rounds = 2
	c.Settle = 500 * time.Millisecond
	c.GenRuns = 3
}

// knownPeers are the peers --peers accepts.
var knownPeers = []string{"pocketbase", "django", "fastapi"}

// ParseFlags reads a Config from command-line arguments. getenv supplies
// SPECSTAR_TEST_POSTGRES_URL, the default of --postgres. -h prints the
// usage on out and returns flag.ErrHelp.
func ParseFlags(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("specstar-bench", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	var quick bool
	var peers, systems, scenarios string
	fs.BoolVar(&quick, "quick", false, "small and fast: 5k rows, 1s rounds, 2 rounds (explicit flags still win)")
	fs.IntVar(&c.Rows, "rows", c.Rows, "resources to seed into each system")
	fs.IntVar(&c.Concurrency, "concurrency", c.Concurrency, "load generator workers, each with one request in flight")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of one measured round")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "unmeasured load before the rounds of each system and scenario")
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "measured rounds per system and scenario (throughput is their median)")
	fs.DurationVar(&c.Settle, "settle", c.Settle, "quiet time after seeding before idle RSS is read")
	fs.IntVar(&c.GenRuns, "gen-runs", c.GenRuns, "timed runs of each generator command (the median is reported)")
	fs.BoolVar(&c.SkipGen, "skip-gen", false, "do not time the generator")
	fs.BoolVar(&c.GenCold, "gen-cold", false, "also time specstar gen of the blog example with empty caches against go build of its output with an empty cache (minutes)")
	fs.StringVar(&peers, "peers", "", "comma-separated peers to run as well: pocketbase (installed with go install), "+
		"django (Django REST Framework on gunicorn), fastapi (FastAPI on uvicorn); the Python peers come from Debian's packages")
	fs.BoolVar(&c.InstallPeers, "install-peers", c.InstallPeers, "install the Python peers' Debian packages with apt-get when they are missing (needs root)")
	fs.StringVar(&c.Postgres, "postgres", getenv("SPECSTAR_TEST_POSTGRES_URL"), "PostgreSQL URL for the postgres systems (default $SPECSTAR_TEST_POSTGRES_URL)")
	fs.StringVar(&systems, "systems", "", "comma-separated systems to run (default: all); prerequisites are added")
	fs.StringVar(&scenarios, "scenarios", "", "comma-separated scenarios to run (default: all)")
	fs.StringVar(&c.Out, "out", c.Out, `JSON report file ("" for none)`)
	fs.StringVar(&c.Chart, "chart", c.Chart, `SVG chart of req/s and CPU per request ("" for none; with --print, only when given)`)
	fs.StringVar(&c.WorkDir, "workdir", "", "scratch directory for binaries, databases and logs (default: a new temp dir)")
	fs.BoolVar(&c.Keep, "keep", false, "keep the scratch directory (server logs, databases)")
	fs.StringVar(&c.RepoRoot, "repo", "", "the specstar repository (default: found from the working directory)")
	fs.StringVar(&c.Print, "print", "", "print the tables of a saved JSON report (targets evaluated again) and run nothing")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	chartSet := false
	fs.Visit(func(f *flag.Flag) { chartSet = chartSet || f.Name == "chart" })
	if c.Print != "" && !chartSet {
		c.Chart = "" // re-printing a report draws no chart unless asked
	}
	if quick {
		explicit := c
		c.quick()
		fs.Visit(func(f *flag.Flag) { c.restore(explicit, f.Name) })
	}
	c.Peers = splitList(peers)
	c.Systems = splitList(systems)
	c.Scenarios = splitList(scenarios)
	return c, c.validate()
}

// restore sets the field of flag name back to its value in explicit.
func (c *Config) restore(explicit Config, name string) {
	switch name {
	case "rows":
		c.Rows = explicit.Rows
	case "duration":
		c.Duration = explicit.Duration
	case "warmup":
		c.Warmup = explicit.Warmup
	case "rounds":
		c.Rounds = explicit.Rounds
	case "settle":
		c.Settle = explicit.Settle
	case "gen-runs":
		c.GenRuns = explicit.GenRuns
	}
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// validate reports every invalid setting.
func (c Config) validate() error {
	var errs []error
	if c.Rows < 1 {
		errs = append(errs, fmt.Errorf("-rows must be at least 1, got %d", c.Rows))
	}
	if c.Concurrency < 1 {
		errs = append(errs, fmt.Errorf("-concurrency must be at least 1, got %d", c.Concurrency))
	}
	if c.Duration <= 0 {
		errs = append(errs, fmt.Errorf("-duration must be positive, got %s", c.Duration))
	}
	if c.Warmup < 0 || c.Settle < 0 {
		errs = append(errs, errors.New("-warmup and -settle must not be negative"))
	}
	if c.Rounds < 1 {
		errs = append(errs, fmt.Errorf("-rounds must be at least 1, got %d", c.Rounds))
	}
	if c.GenRuns < 1 {
		errs = append(errs, fmt.Errorf("-gen-runs must be at least 1, got %d", c.GenRuns))
	}
	for _, p := range c.Peers {
		if !slices.Contains(knownPeers, p) {
			errs = append(errs, fmt.Errorf("-peers: unknown peer %q (known: %s)", p, strings.Join(knownPeers, ", ")))
		}
	}
	for _, s := range c.Scenarios {
		if scenarioByName(s) == nil && s != JobsScenario {
			errs = append(errs, fmt.Errorf("-scenarios: unknown scenario %q (known: %s, %s)", s, strings.Join(scenarioNames(), ", "), JobsScenario))
		}
	}
	return errors.Join(errs...)
}

// usage heads the -h output.
const usage = `specstar-bench measures the generated backend (examples/bench) against raw
baselines over the same storage and, with --peers pocketbase,django,fastapi,
against PocketBase, Django REST Framework and FastAPI, all in one run on
this machine; and times the generator.

Usage:
  go run ./cmd/specstar-bench [flags]
  go run ./cmd/specstar-bench soak [flags]   (a long run at a fixed rate; soak -h)

It prints a table on stdout and writes the JSON report (--out) and a chart
(--chart). It exits 1
when any request failed or a system could not run, 2 on bad flags.

Flags:
`
