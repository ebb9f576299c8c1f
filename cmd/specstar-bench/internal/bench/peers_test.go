package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// peerReport returns a report of specstar-sqlite, and of the Python peers
// on SQLite, with the given throughputs and CPU per request, keyed by
// "system/scenario".
func peerReport(rps, cpu map[string]float64) *Report {
	rep := newReport(Config{Rows: 10, Concurrency: 1, Rounds: 1, Duration: time.Second, Peers: []string{"django", "fastapi"}}, nil)
	for _, s := range []struct {
		name string
		role Role
		rss  int64
	}{{"specstar-sqlite", RoleSpecstar, 25 << 20}, {"django-sqlite", RolePeer, 200 << 20}, {"fastapi-sqlite", RolePeer, 40 << 20}} {
		rep.Systems = append(rep.Systems, &SystemReport{System: &System{Name: s.name, Role: s.role, Storage: "sqlite", Tree: s.role == RolePeer},
			IdleRSS: s.rss, SeededBy: s.name, SeedRows: 10, SeedSeconds: 1})
	}
	for key, v := range rps {
		sys, sc, _ := strings.Cut(key, "/")
		rep.Results = append(rep.Results, &Result{System: sys, Scenario: sc, Throughput: v, CPUPerRequestUs: cpu[key],
			P50Ms: 1, P99Ms: 2, Requests: 100})
	}
	return rep
}

func TestPythonPeerTargets(t *testing.T) {
	rep := peerReport(
		map[string]float64{
			"specstar-sqlite/get": 9000, "fastapi-sqlite/get": 1000, "django-sqlite/get": 500,
			"specstar-sqlite/list": 1000, "fastapi-sqlite/list": 500, "django-sqlite/list": 300,
		},
		map[string]float64{
			"specstar-sqlite/get": 100, "fastapi-sqlite/get": 1000, "django-sqlite/get": 2000,
			"specstar-sqlite/list": 1200, "fastapi-sqlite/list": 3000, "django-sqlite/list": 4000,
		})
	rep.Skipped = []SkippedSystem{{Name: "django-postgres", Reason: "Django REST Framework does not import"}}
	rep.Systems = append(rep.Systems, &SystemReport{System: &System{Name: "specstar-postgres", Role: RoleSpecstar, Storage: "postgres"}})
	rep.finish()
	want := map[string]struct{ status, value string }{
		"SQLite GET >= 3x FastAPI":                          {StatusPass, "9.000x"},
		"SQLite GET >= 10x Django REST Framework":           {StatusPass, "18.000x"},
		"SQLite GET CPU/req <= 1/3 FastAPI":                 {StatusPass, "0.100x"},
		"SQLite list >= 3x FastAPI":                         {StatusMiss, "2.000x"},
		"SQLite list >= 10x Django REST Framework":          {StatusMiss, "3.333x"},
		"SQLite list CPU/req <= 1/3 FastAPI":                {StatusMiss, "0.400x"},
		"SQLite create >= 3x FastAPI":                       {StatusSkip, "-"},
		"SQLite idle RSS <= 0.5x FastAPI":                   {StatusMiss, "0.625x"},
		"SQLite idle RSS <= 0.5x Django REST Framework":     {StatusPass, "0.125x"},
		"PostgreSQL GET >= 10x Django REST Framework":       {StatusSkip, "-"},
		"PostgreSQL idle RSS <= 0.5x Django REST Framework": {StatusSkip, "-"},
	}
	got := map[string]TargetResult{}
	for _, tr := range rep.Targets {
		got[tr.Name] = tr
	}
	for name, w := range want {
		tr, ok := got[name]
		if !ok {
			t.Errorf("no target %q", name)
			continue
		}
		if tr.Status != w.status || tr.Value != w.value {
			t.Errorf("%s: %s %s (%s), want %s %s", name, tr.Status, tr.Value, tr.Detail, w.status, w.value)
		}
	}
	// A skipped peer's targets say why; one not asked for says how to ask.
	if d := got["PostgreSQL idle RSS <= 0.5x Django REST Framework"].Detail; !strings.Contains(d, "django-postgres skipped: Django REST Framework does not import") {
		t.Errorf("skip detail %q", d)
	}
	if d := got["PostgreSQL GET >= 3x FastAPI"].Detail; d != "fastapi-postgres was not run" {
		t.Errorf("detail of a peer that did not run %q", d)
	}
	if d := got["SQLite GET >= 1.5x PocketBase"].Detail; !strings.Contains(d, "use --peers pocketbase") {
		t.Errorf("detail without PocketBase %q", d)
	}
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "skipped: django-postgres: Django REST Framework does not import") {
		t.Errorf("table does not report the skipped peer:\n%s", out.String())
	}
	rep.Systems = rep.Systems[:len(rep.Systems)-1] // no specstar-postgres: no PostgreSQL
	rep.finish()
	for _, tr := range rep.Targets {
		if tr.Name == "PostgreSQL GET >= 3x FastAPI" && !strings.Contains(tr.Detail, "no PostgreSQL") {
			t.Errorf("detail without PostgreSQL %q", tr.Detail)
		}
	}
}

func TestPeersComparedOnTheirStorage(t *testing.T) {
	rep := peerReport(map[string]float64{"specstar-sqlite/get": 9000, "django-sqlite/get": 500}, nil)
	rep.Systems = append(rep.Systems,
		&SystemReport{System: &System{Name: "specstar-memory", Role: RoleSpecstar, Storage: "memory"}},
		&SystemReport{System: &System{Name: "pocketbase", Role: RolePeer}})
	rep.Results = append(rep.Results,
		&Result{System: "specstar-memory", Scenario: "get", Throughput: 20000},
		&Result{System: "pocketbase", Scenario: "get", Throughput: 5000})
	rep.finish()
	var pairs []string
	for _, r := range rep.Ratios {
		pairs = append(pairs, r.System+"/"+r.Baseline)
	}
	got := strings.Join(pairs, " ")
	if want := "specstar-sqlite/django-sqlite specstar-sqlite/pocketbase specstar-memory/pocketbase"; got != want {
		t.Errorf("ratios %s, want %s (a Python peer against its own storage only, PocketBase against all)", got, want)
	}
}

func TestChart(t *testing.T) {
	rep := peerReport(map[string]float64{"specstar-sqlite/get": 9000, "django-sqlite/get": 500, "fastapi-sqlite/list": 300},
		map[string]float64{"specstar-sqlite/get": 90, "django-sqlite/get": 2500, "fastapi-sqlite/list": 3000})
	rep.Scenarios = Scenarios
	rep.Systems = append(rep.Systems, &SystemReport{System: &System{Name: "pocketbase", Role: RolePeer}})
	ch := rep.Chart()
	if len(ch.Rows) != 1 || ch.Rows[0].Title != "SQLite" {
		t.Fatalf("rows %+v, want SQLite alone", ch.Rows)
	}
	var names []string
	for _, s := range ch.Rows[0].Systems {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "specstar-sqlite django-sqlite fastapi-sqlite pocketbase" {
		t.Errorf("SQLite systems %s (PocketBase runs on SQLite)", got)
	}
	if s := ch.Rows[0].Systems[1]; s.RPS["get"] != 500 || s.CPU["get"] != 2500 {
		t.Errorf("django-sqlite figures %+v", s)
	}
	var legend []string
	for _, e := range ch.Legend {
		legend = append(legend, e.Name)
	}
	if got := strings.Join(legend, ", "); got != "specstar (generated server), Django REST Framework, FastAPI, PocketBase" {
		t.Errorf("legend %s", got)
	}
	if len(ch.Scenarios) != len(Scenarios) || !strings.Contains(ch.Subtitle, "UTC") || !strings.Contains(ch.Subtitle, "CPUs") {
		t.Errorf("scenarios %v, subtitle %q: want every scenario, the date and the machine", ch.Scenarios, ch.Subtitle)
	}
}
