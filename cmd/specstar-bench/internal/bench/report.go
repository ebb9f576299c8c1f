package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/gentime"
	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/load"
)

// Report is everything one run measured. It is written as JSON (--out)
// and printed as tables.
type Report struct {
	Started time.Time `json:"started"`
	Machine Machine   `json:"machine"`
	Config  Config    `json:"config"`
	Notes   []string  `json:"notes"`
	// Scenarios are the scenarios of the run; compare_with names the
	// scenario a ratio takes from the baseline (graphql-list: list).
	Scenarios []Scenario       `json:"scenarios"`
	Systems   []*SystemReport  `json:"systems"`
	Skipped   []SkippedSystem  `json:"skipped,omitempty"` // systems that could not run here, and why
	Results   []*Result        `json:"results"`
	Ratios    []*Ratio         `json:"ratios"`
	Gen       []gentime.Timing `json:"gen"`
	// GenCold is the cold generator run (-gen-cold); nil when not asked.
	GenCold *gentime.Cold  `json:"gen_cold,omitempty"`
	Targets []TargetResult `json:"targets"`
	Errors  int            `json:"errors"` // failed requests, over every scenario
	// Jobs is what the jobs scenario measured (jobs.go); nil when it did
	// not run.
	Jobs *JobsReport `json:"jobs,omitempty"`
}

// Machine describes the machine of a run.
type Machine struct {
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	// LoadStart and LoadEnd are the 1-minute load averages when the run
	// started and ended: other work on the machine skews every figure.
	LoadStart float64 `json:"load_average_start"`
	LoadEnd   float64 `json:"load_average_end"`
}

// SystemReport is one system of a run: what it is and how it was seeded.
type SystemReport struct {
	*System
	SeedRows    int     `json:"seed_rows"`
	SeedSeconds float64 `json:"seed_seconds"` // 0 when seeded by another system
	SeededBy    string  `json:"seeded_by"`
	IdleRSS     int64   `json:"idle_rss_bytes"`
	Version     string  `json:"version,omitempty"` // what a peer runs, when its Doc does not say
}

// SkippedSystem is a system the run could not start on this machine (a
// peer whose packages cannot be installed), reported instead of failing
// the run.
type SkippedSystem struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Result is one system under one scenario.
type Result struct {
	System           string    `json:"system"`
	Scenario         string    `json:"scenario"`
	Throughput       float64   `json:"throughput_rps"` // median over the rounds
	RoundThroughputs []float64 `json:"round_throughputs_rps"`
	P50Ms            float64   `json:"p50_ms"` // over every measured request
	P99Ms            float64   `json:"p99_ms"`
	CPUPerRequestUs  float64   `json:"cpu_per_request_us"` // server user+system CPU / requests
	IdleRSS          int64     `json:"idle_rss_bytes"`
	PeakRSS          int64     `json:"peak_rss_bytes"` // during this scenario
	Requests         int       `json:"requests"`       // measured, successful
	Errors           int       `json:"errors"`         // warm-up and measured
	Failures         []string  `json:"failures,omitempty"`
	Notes            []string  `json:"notes,omitempty"`
}

// Ratio compares a specstar result with a baseline's result of the same
// scenario, or of the scenario it is compared with (Scenario.CompareWith:
// the GraphQL list with the REST list, of every baseline and of the same
// system): each figure is specstar's divided by the baseline's (for
// throughput higher is better, for the others lower is better).
type Ratio struct {
	System   string `json:"system"`
	Scenario string `json:"scenario"`
	Baseline string `json:"baseline"`
	// BaselineScenario is the baseline's scenario: Scenario, or the one
	// Scenario is compared with ("list" for "graphql-list").
	BaselineScenario string  `json:"baseline_scenario"`
	Throughput       float64 `json:"throughput"`
	P50              float64 `json:"p50"`
	P99              float64 `json:"p99"`
	CPU              float64 `json:"cpu_per_request"`
	IdleRSS          float64 `json:"idle_rss"`
	PeakRSS          float64 `json:"peak_rss"`
}

// newReport starts the report of a run.
func newReport(cfg Config, notes []string) *Report {
	rep := &Report{
		Started:   time.Now().UTC().Truncate(time.Second),
		Machine:   machine(),
		Config:    cfg,
		Scenarios: selectedScenarios(cfg),
		Notes: append([]string{
			fmt.Sprintf("The load generator runs in this process on the same %d CPUs as the servers: every figure includes that contention, alike for every system.", runtime.NumCPU()),
			"One system is under load at a time (the others idle); rounds are interleaved across systems. Throughput is the median over rounds; p50/p99 are over every measured request; CPU/req is the server process's user+system time over the measured rounds divided by their requests.",
		}, notes...),
	}
	if load := rep.Machine.LoadStart; load > float64(rep.Machine.CPUs)/2 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("The machine was busy when the run started (load average %.1f on %d CPUs): other processes compete with the benchmark, so figures are noisy.", load, rep.Machine.CPUs))
	}
	return rep
}

// selectedScenarios returns the scenarios a run with cfg runs, in order.
func selectedScenarios(cfg Config) []Scenario {
	var out []Scenario
	for _, sc := range Scenarios {
		if len(cfg.Scenarios) == 0 || slices.Contains(cfg.Scenarios, sc.Name) {
			out = append(out, sc)
		}
	}
	return out
}

// addSystem records a launched system.
func (rep *Report) addSystem(inst *instance) {
	rep.Systems = append(rep.Systems, &SystemReport{
		System:      inst.sys,
		SeedRows:    len(inst.target.ids),
		SeedSeconds: inst.seedTime.Seconds(),
		SeededBy:    inst.seededBy,
		IdleRSS:     inst.idle.RSS,
		Version:     inst.version,
	})
}

// skipReason returns why the named system was skipped, or "".
func (rep *Report) skipReason(name string) string {
	for _, s := range rep.Skipped {
		if s.Name == name {
			return s.Reason
		}
	}
	return ""
}

// notRun says why the named system has no figures: the reason it was
// skipped, or the flag that runs it.
func (rep *Report) notRun(name string) string {
	if reason := rep.skipReason(name); reason != "" {
		return name + " skipped: " + reason
	}
	if peer, _, _ := strings.Cut(name, "-"); slices.Contains(knownPeers, peer) && !slices.Contains(rep.Config.Peers, peer) {
		return name + " was not run (use --peers " + peer + ")"
	}
	if strings.HasSuffix(name, "-postgres") && rep.system("specstar-postgres") == nil {
		return name + " was not run (no PostgreSQL: pass --postgres or set SPECSTAR_TEST_POSTGRES_URL)"
	}
	return name + " was not run"
}

// system returns the report of the named system, or nil.
func (rep *Report) system(name string) *SystemReport {
	for _, s := range rep.Systems {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// result returns the result of a system under a scenario, or nil.
func (rep *Report) result(system, scenario string) *Result {
	for _, r := range rep.Results {
		if r.System == system && r.Scenario == scenario {
			return r
		}
	}
	return nil
}

// addErrors counts the failures of a load run.
func (r *Result) addErrors(lr *load.Result) {
	r.Errors += lr.Errors
	for _, f := range lr.Failures {
		if len(r.Failures) < 5 {
			r.Failures = append(r.Failures, f)
		}
	}
}

// summarize fills the figures of r from its measured rounds.
func (r *Result) summarize(rounds []*load.Result, cpu time.Duration, idle, peak int64) {
	all := load.Merge(rounds...)
	for _, lr := range rounds {
		r.RoundThroughputs = append(r.RoundThroughputs, lr.Throughput())
	}
	r.Throughput = medianFloat(r.RoundThroughputs)
	r.P50Ms = ms(all.Percentile(50))
	r.P99Ms = ms(all.Percentile(99))
	r.Requests = all.Requests
	if all.Requests > 0 {
		r.CPUPerRequestUs = float64(cpu.Microseconds()) / float64(all.Requests)
	}
	r.IdleRSS, r.PeakRSS = idle, peak
}

// ms converts a duration to float milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// medianFloat returns the median of xs.
func medianFloat(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// baselines returns the systems a specstar system is compared with: the
// raw and fixed baselines of its storage, then the peers of its storage
// and those without one (PocketBase, compared with every storage).
func (rep *Report) baselines(s *SystemReport) []*SystemReport {
	var out []*SystemReport
	for _, b := range rep.Systems {
		if (b.Role == RoleRaw || b.Role == RoleFixed) && b.Storage == s.Storage {
			out = append(out, b)
		}
	}
	for _, b := range rep.Systems {
		if b.Role == RolePeer && (b.Storage == "" || b.Storage == s.Storage) {
			out = append(out, b)
		}
	}
	return out
}

// finish computes the ratios, the error total and the targets.
func (rep *Report) finish() {
	rep.Ratios = nil
	rep.Errors = 0
	for _, r := range rep.Results {
		rep.Errors += r.Errors
	}
	for _, s := range rep.Systems {
		if s.Role != RoleSpecstar {
			continue
		}
		// A scenario compared with another is first compared with the
		// same system's result of that scenario (the GraphQL list with
		// its own REST list).
		for _, sc := range Scenarios {
			if sc.CompareWith != "" {
				rep.addRatio(s.Name, sc, s.Name)
			}
		}
		for _, b := range rep.baselines(s) {
			for _, sc := range Scenarios {
				rep.addRatio(s.Name, sc, b.Name)
			}
		}
	}
	rep.Targets = evaluateTargets(rep)
}

// addRatio adds the ratio of system's result of sc to baseline's result
// of sc's base scenario, when both were measured.
func (rep *Report) addRatio(system string, sc Scenario, baseline string) {
	mine, theirs := rep.result(system, sc.Name), rep.result(baseline, sc.baseScenario())
	if mine == nil || theirs == nil {
		return
	}
	rep.Ratios = append(rep.Ratios, &Ratio{
		System: system, Scenario: sc.Name, Baseline: baseline, BaselineScenario: sc.baseScenario(),
		Throughput: ratio(mine.Throughput, theirs.Throughput),
		P50:        ratio(mine.P50Ms, theirs.P50Ms),
		P99:        ratio(mine.P99Ms, theirs.P99Ms),
		CPU:        ratio(mine.CPUPerRequestUs, theirs.CPUPerRequestUs),
		IdleRSS:    ratio(float64(mine.IdleRSS), float64(theirs.IdleRSS)),
		PeakRSS:    ratio(float64(mine.PeakRSS), float64(theirs.PeakRSS)),
	})
}

// ratio returns a/b, or 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// ReadReport reads a report written by WriteJSONFile and evaluates its
// ratios and targets again (with this version's targets).
func ReadReport(path string) (*Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("read the report %s: %w", path, err)
	}
	rep.finish()
	return &rep, nil
}

// WriteJSONFile writes the report as indented JSON to path.
func (rep *Report) WriteJSONFile(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

// WriteTable prints the report as aligned tables.
func (rep *Report) WriteTable(w io.Writer) error {
	ew := &errWriter{w: w}
	c := rep.Config
	fmt.Fprintf(ew, "specstar-bench %s: %s/%s, %d CPUs (%s), %s\n", rep.Started.Format(time.RFC3339),
		rep.Machine.OS, rep.Machine.Arch, rep.Machine.CPUs, orDash(rep.Machine.CPUModel), rep.Machine.GoVersion)
	fmt.Fprintf(ew, "%d rows, concurrency %d, %d rounds of %s after a %s warm-up", c.Rows, c.Concurrency, c.Rounds, c.Duration, c.Warmup)
	if c.Quick {
		fmt.Fprint(ew, " (--quick)")
	}
	fmt.Fprintf(ew, "; load average %.1f at start, %.1f at end\n", rep.Machine.LoadStart, rep.Machine.LoadEnd)
	for _, n := range rep.Notes {
		fmt.Fprintf(ew, "note: %s\n", n)
	}
	if len(rep.Systems) > 0 {
		t := newTable([]string{"system", "role", "seeded", "seed time", "seed rate", "idle RSS"},
			"seed time", "seed rate", "idle RSS")
		for _, s := range rep.Systems {
			seed, rate := "by "+s.SeededBy, "-"
			if s.SeedSeconds > 0 {
				seed = fmt.Sprintf("%d rows", s.SeedRows)
				rate = fmt.Sprintf("%.0f/s", float64(s.SeedRows)/s.SeedSeconds)
			}
			t.add(s.Name, string(s.Role), seed, secs(s.SeedSeconds), rate, mib(s.IdleRSS))
		}
		fmt.Fprintf(ew, "\n%s", t)
		for _, s := range rep.Systems {
			if s.Version != "" {
				fmt.Fprintf(ew, "%s runs %s\n", s.Name, s.Version)
			}
		}
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(ew, "skipped: %s: %s\n", s.Name, s.Reason)
	}
	if len(rep.Results) > 0 {
		t := newTable([]string{"system", "scenario", "req/s", "p50", "p99", "CPU/req", "idle RSS", "peak RSS", "errors"},
			"req/s", "p50", "p99", "CPU/req", "idle RSS", "peak RSS", "errors")
		for _, r := range rep.Results {
			t.add(r.System, r.Scenario, fmt.Sprintf("%.0f", r.Throughput), msText(r.P50Ms), msText(r.P99Ms),
				usText(r.CPUPerRequestUs), mib(r.IdleRSS), mib(r.PeakRSS), fmt.Sprint(r.Errors))
		}
		fmt.Fprintf(ew, "\n%s", t)
	}
	if len(rep.Ratios) > 0 {
		t := newTable([]string{"system", "scenario", "baseline", "req/s", "p50", "p99", "CPU/req", "idle RSS", "peak RSS"},
			"req/s", "p50", "p99", "CPU/req", "idle RSS", "peak RSS")
		compared := map[string]string{} // scenario -> the scenario it is compared with
		for _, r := range rep.Ratios {
			baseline := r.Baseline
			if r.BaselineScenario != "" && r.BaselineScenario != r.Scenario {
				baseline += " (REST " + r.BaselineScenario + ")"
				compared[r.Scenario] = r.BaselineScenario
			}
			t.add(r.System, r.Scenario, baseline, x(r.Throughput), x(r.P50), x(r.P99), x(r.CPU), x(r.IdleRSS), x(r.PeakRSS))
		}
		fmt.Fprintf(ew, "\nratios, specstar / baseline (req/s: higher is better; the rest: lower is better)\n%s", t)
		for _, sc := range slices.Sorted(maps.Keys(compared)) {
			fmt.Fprintf(ew, "%s is compared with the REST %s: of the same system, and of every baseline, since none serves %s.\n",
				sc, compared[sc], sc)
		}
	}
	if len(rep.Gen) > 0 {
		t := newTable([]string{"command", "median", "runs"}, "median")
		for _, g := range rep.Gen {
			var runs []string
			for _, d := range g.Runs {
				runs = append(runs, d.Round(time.Millisecond).String())
			}
			t.add(g.Name, g.Median.Round(time.Millisecond).String(), strings.Join(runs, " "))
		}
		fmt.Fprintf(ew, "\ngenerator (warm: one untimed run first)\n%s", t)
	}
	if len(rep.Failures()) > 0 {
		fmt.Fprintln(ew)
		fmt.Fprintln(ew, "failed requests (examples)")
		for _, f := range rep.Failures() {
			fmt.Fprintf(ew, "  %s\n", f)
		}
	}
	rep.writeJobsTable(ew)
	t := newTable([]string{"status", "target", "value", "measured"}, "value")
	counts := map[string]int{}
	for _, tr := range rep.Targets {
		counts[tr.Status]++
		t.add(tr.Status, tr.Name, tr.Value, tr.Detail)
	}
	fmt.Fprintf(ew, "\ntargets\n%s", t)
	fmt.Fprintf(ew, "%d of %d targets met, %d missed, %d skipped; %d failed requests\n",
		counts[StatusPass], len(rep.Targets), counts[StatusMiss], counts[StatusSkip], rep.Errors)
	return ew.err
}

// Failures returns example failures of every result, prefixed with the
// system and scenario.
func (rep *Report) Failures() []string {
	var out []string
	for _, r := range rep.Results {
		for _, f := range r.Failures {
			out = append(out, r.System+" "+r.Scenario+": "+f)
		}
	}
	return out
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// orDash returns s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mib formats bytes as MiB.
func mib(b int64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// secs formats seconds, "-" for 0.
func secs(s float64) string {
	if s == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", s)
}

// msText formats milliseconds.
func msText(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

// usText formats microseconds.
func usText(v float64) string { return fmt.Sprintf("%.0fµs", v) }

// x formats a ratio.
func x(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v)
}
