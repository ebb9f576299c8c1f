package bench

import (
	"fmt"
	"time"
)

// Target statuses.
const (
	StatusPass = "PASS"
	StatusMiss = "MISS"
	StatusSkip = "SKIP" // not measured in this run
)

// TargetResult is where a run stands on one target of the benchmark
// issue.
type TargetResult struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Value  string `json:"value"`  // the measured figure
	Detail string `json:"detail"` // the figures it comes from, or why it was skipped
}

// targetDef is one target: a name and how to evaluate it on a report.
type targetDef struct {
	name string
	eval func(rep *Report) (status, value, detail string)
}

// targets are the targets of the benchmark issues, in their order. A
// target whose systems did not run (no PostgreSQL URL, a peer not asked
// for or not installable) reports SKIP with the reason.
var targets = append([]targetDef{
	throughputTarget("SQLite GET >= 0.8x raw SQLite", "specstar-sqlite", "get", "raw-sqlite", "get", 0.8),
	throughputTarget("SQLite GET >= 1.5x PocketBase", "specstar-sqlite", "get", "pocketbase", "get", 1.5),
	throughputTarget("SQLite list >= 0.8x raw SQLite", "specstar-sqlite", "list", "raw-sqlite", "list", 0.8),
	throughputTarget("SQLite list >= 1.5x PocketBase", "specstar-sqlite", "list", "pocketbase", "list", 1.5),
	costTarget("SQLite GraphQL list <= 1.25x REST list", "specstar-sqlite", "graphql-list", "list", 1.25),
	throughputTarget("SQLite create >= 0.85x raw SQLite (revision-aware)", "specstar-sqlite", "create", "raw-sqlite", "create", 0.85),
	throughputTarget("SQLite update >= 0.85x raw SQLite (revision-aware)", "specstar-sqlite", "update", "raw-sqlite", "update", 0.85),
	throughputTarget("SQLite create >= 1.0x PocketBase create", "specstar-sqlite", "create", "pocketbase", "create", 1.0),
	throughputTarget("SQLite update >= 1.0x PocketBase create", "specstar-sqlite", "update", "pocketbase", "create", 1.0),
	throughputTarget("Memory GET >= 0.7x fixed JSON body", "specstar-memory", "get", "fixed-json", "get", 0.7),
	throughputTarget("PostgreSQL GET >= 0.85x raw pgx", "specstar-postgres", "get", "raw-postgres", "get", 0.85),
	throughputTarget("PostgreSQL create >= 0.9x raw pgx", "specstar-postgres", "create", "raw-postgres", "create", 0.9),
	throughputTarget("PostgreSQL update >= 0.85x raw pgx", "specstar-postgres", "update", "raw-postgres", "update", 0.85),
	idleRSSTarget("Idle RSS <= 1.5x PocketBase", "specstar-sqlite", "pocketbase", 1.5),
}, append(pythonPeerTargets(),
	targetDef{name: "Zero errors in every scenario", eval: zeroErrors},
	genTarget("gen examples/blog <= 3s", "gen blog", 3*time.Second),
	genTarget("gen --check examples/blog <= 3s", "gen --check blog", 3*time.Second),
	genTarget("gen 50-resource spec <= 10s", "gen 50 resources", 10*time.Second),
	targetDef{name: "cold gen examples/blog <= 2x cold go build of its output", eval: coldGen},
	genTarget("gen --check 50-resource spec <= 10s", "gen --check 50 resources", 10*time.Second),
	jobsTargets()[0], jobsTargets()[1], jobsTargets()[2], jobsTargets()[3],
)...)

// pythonPeerTargets are the targets against the Python peers (issue 18),
// on each backend: specstar serves at least 3x FastAPI's and 10x Django
// REST Framework's requests per second in every scenario both serve,
// spends at most a third of FastAPI's CPU per request, and idles in at
// most half of each peer's memory.
func pythonPeerTargets() []targetDef {
	var out []targetDef
	for _, b := range []struct{ label, storage string }{{"SQLite", "sqlite"}, {"PostgreSQL", "postgres"}} {
		mine := "specstar-" + b.storage
		for _, sc := range []struct{ label, name string }{{"GET", "get"}, {"list", "list"}, {"create", "create"}, {"update", "update"}} {
			out = append(out,
				throughputTarget(fmt.Sprintf("%s %s >= 3x FastAPI", b.label, sc.label), mine, sc.name, "fastapi-"+b.storage, sc.name, 3),
				throughputTarget(fmt.Sprintf("%s %s >= 10x Django REST Framework", b.label, sc.label), mine, sc.name, "django-"+b.storage, sc.name, 10),
				cpuTarget(fmt.Sprintf("%s %s CPU/req <= 1/3 FastAPI", b.label, sc.label), mine, sc.name, "fastapi-"+b.storage, 1.0/3))
		}
		out = append(out,
			idleRSSTarget(fmt.Sprintf("%s idle RSS <= 0.5x FastAPI", b.label), mine, "fastapi-"+b.storage, 0.5),
			idleRSSTarget(fmt.Sprintf("%s idle RSS <= 0.5x Django REST Framework", b.label), mine, "django-"+b.storage, 0.5))
	}
	return out
}

// evaluateTargets evaluates every target on rep.
func evaluateTargets(rep *Report) []TargetResult {
	out := make([]TargetResult, 0, len(targets))
	for _, t := range targets {
		status, value, detail := t.eval(rep)
		out = append(out, TargetResult{Name: t.name, Status: status, Value: value, Detail: detail})
	}
	return out
}

// passIf returns StatusPass when ok, else StatusMiss.
func passIf(ok bool) string {
	if ok {
		return StatusPass
	}
	return StatusMiss
}

// throughputTarget wants the throughput of system under scenario to be at
// least min times that of baseline under baseScenario.
func throughputTarget(name, system, scenario, baseline, baseScenario string, min float64) targetDef {
	return targetDef{name: name, eval: func(rep *Report) (string, string, string) {
		mine, theirs := rep.result(system, scenario), rep.result(baseline, baseScenario)
		switch {
		case rep.system(system) == nil:
			return StatusSkip, "-", rep.notRun(system)
		case rep.system(baseline) == nil:
			return StatusSkip, "-", rep.notRun(baseline)
		case mine == nil:
			return StatusSkip, "-", system + " " + scenario + " was not run"
		case theirs == nil:
			return StatusSkip, "-", baseline + " " + baseScenario + " was not run"
		case theirs.Throughput == 0:
			return StatusSkip, "-", baseline + " " + baseScenario + " served no request"
		}
		r := mine.Throughput / theirs.Throughput
		return passIf(r >= min), ratioText(r),
			fmt.Sprintf("%.0f vs %.0f req/s", mine.Throughput, theirs.Throughput)
	}}
}

// costTarget wants a request of scenario on system to cost at most max
// times a request of baseScenario on the same system, cost being the
// inverse of throughput (the GraphQL list against the REST list of the
// same page, measured in the same run).
func costTarget(name, system, scenario, baseScenario string, max float64) targetDef {
	return targetDef{name: name, eval: func(rep *Report) (string, string, string) {
		mine, theirs := rep.result(system, scenario), rep.result(system, baseScenario)
		switch {
		case rep.system(system) == nil:
			return StatusSkip, "-", rep.notRun(system)
		case mine == nil:
			return StatusSkip, "-", system + " " + scenario + " was not run"
		case theirs == nil:
			return StatusSkip, "-", system + " " + baseScenario + " was not run"
		case mine.Throughput == 0:
			return StatusSkip, "-", system + " " + scenario + " served no request"
		}
		r := theirs.Throughput / mine.Throughput
		return passIf(r <= max), ratioText(r),
			fmt.Sprintf("%.0f vs %.0f req/s", mine.Throughput, theirs.Throughput)
	}}
}

// idleRSSTarget wants the idle RSS of system to be at most max times that
// of baseline.
func idleRSSTarget(name, system, baseline string, max float64) targetDef {
	return targetDef{name: name, eval: func(rep *Report) (string, string, string) {
		mine, theirs := rep.system(system), rep.system(baseline)
		switch {
		case mine == nil:
			return StatusSkip, "-", rep.notRun(system)
		case theirs == nil:
			return StatusSkip, "-", rep.notRun(baseline)
		case theirs.IdleRSS == 0:
			return StatusSkip, "-", "no idle RSS of " + baseline
		}
		r := float64(mine.IdleRSS) / float64(theirs.IdleRSS)
		return passIf(r <= max), ratioText(r),
			fmt.Sprintf("%s vs %s", mib(mine.IdleRSS), mib(theirs.IdleRSS))
	}}
}

// cpuTarget wants the server CPU time per request of system under
// scenario to be at most max times that of baseline under the same
// scenario.
func cpuTarget(name, system, scenario, baseline string, max float64) targetDef {
	return targetDef{name: name, eval: func(rep *Report) (string, string, string) {
		mine, theirs := rep.result(system, scenario), rep.result(baseline, scenario)
		switch {
		case rep.system(system) == nil:
			return StatusSkip, "-", rep.notRun(system)
		case rep.system(baseline) == nil:
			return StatusSkip, "-", rep.notRun(baseline)
		case mine == nil || theirs == nil:
			return StatusSkip, "-", scenario + " was not run"
		case theirs.CPUPerRequestUs == 0 || mine.CPUPerRequestUs == 0:
			return StatusSkip, "-", "no CPU time measured"
		}
		r := mine.CPUPerRequestUs / theirs.CPUPerRequestUs
		return passIf(r <= max), ratioText(r),
			fmt.Sprintf("%.0f vs %.0f µs/req", mine.CPUPerRequestUs, theirs.CPUPerRequestUs)
	}}
}

// zeroErrors wants no failed request in any scenario.
func zeroErrors(rep *Report) (string, string, string) {
	if len(rep.Results) == 0 {
		return StatusSkip, "-", "no scenario was run"
	}
	return passIf(rep.Errors == 0), fmt.Sprintf("%d", rep.Errors),
		fmt.Sprintf("%d system/scenario pairs", len(rep.Results))
}

// genTarget wants the median of the named generator timing to be at most
// max.
func genTarget(name, timing string, max time.Duration) targetDef {
	return targetDef{name: name, eval: func(rep *Report) (string, string, string) {
		for _, g := range rep.Gen {
			if g.Name == timing {
				return passIf(g.Median <= max), g.Median.Round(time.Millisecond).String(),
					fmt.Sprintf("median of %d warm runs", len(g.Runs))
			}
		}
		return StatusSkip, "-", "the generator was not timed"
	}}
}

// coldGen wants a cold gen within gentime.ColdMaxRatio of a cold go
// build of the generated package.
func coldGen(rep *Report) (string, string, string) {
	c := rep.GenCold
	if c == nil {
		return StatusSkip, "-", "not measured (run with -gen-cold)"
	}
	return passIf(c.Pass()), ratioText(c.Ratio()),
		fmt.Sprintf("cold gen %s, cold go build %s", c.Gen.Round(100*time.Millisecond), c.Build.Round(100*time.Millisecond))
}

// ratioText formats a target ratio with three decimals, so that a value
// just under a threshold does not print as the threshold itself.
func ratioText(r float64) string { return fmt.Sprintf("%.3fx", r) }
