package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/gentime"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

func TestParseFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	none := env(nil)
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "defaults are the full run", args: nil, getenv: none, check: func(t *testing.T, c Config) {
			if c.Rows != 100_000 || c.Rounds != 3 || c.Duration != 5*time.Second || c.Quick || c.Out != "bench.json" {
				t.Errorf("defaults %+v", c)
			}
		}},
		{name: "quick shrinks the run", args: []string{"--quick"}, getenv: none, check: func(t *testing.T, c Config) {
			if !c.Quick || c.Rows != 5_000 || c.Duration != time.Second || c.Rounds != 2 {
				t.Errorf("quick %+v", c)
			}
		}},
		{name: "explicit flags win over quick, in any order", args: []string{"--rows", "100", "--quick", "--duration", "200ms"}, getenv: none, check: func(t *testing.T, c Config) {
			if !c.Quick || c.Rows != 100 || c.Duration != 200*time.Millisecond || c.Rounds != 2 {
				t.Errorf("quick with overrides %+v", c)
			}
		}},
		{name: "lists", args: []string{"--peers", "pocketbase", "--systems", "raw-sqlite, specstar-memory", "--scenarios", "get"}, getenv: none, check: func(t *testing.T, c Config) {
			if !slices.Equal(c.Peers, []string{"pocketbase"}) || !slices.Equal(c.Systems, []string{"raw-sqlite", "specstar-memory"}) || !slices.Equal(c.Scenarios, []string{"get"}) {
				t.Errorf("lists %+v", c)
			}
		}},
		{name: "postgres from the environment", args: nil, getenv: env(map[string]string{"SPECSTAR_TEST_POSTGRES_URL": "postgres://x"}), check: func(t *testing.T, c Config) {
			if c.Postgres != "postgres://x" {
				t.Errorf("Postgres = %q", c.Postgres)
			}
		}},
		{name: "the Python peers", args: []string{"--peers", "pocketbase,django,fastapi", "--install-peers=false"}, getenv: none, check: func(t *testing.T, c Config) {
			if !slices.Equal(c.Peers, []string{"pocketbase", "django", "fastapi"}) || c.InstallPeers {
				t.Errorf("peers %v, install %v", c.Peers, c.InstallPeers)
			}
		}},
		{name: "a run draws the chart and may install peers", args: nil, getenv: none, check: func(t *testing.T, c Config) {
			if c.Chart != "bench.svg" || !c.InstallPeers {
				t.Errorf("chart %q, install %v", c.Chart, c.InstallPeers)
			}
		}},
		{name: "re-printing draws no chart unless asked", args: []string{"--print", "x.json"}, getenv: none, check: func(t *testing.T, c Config) {
			if c.Chart != "" {
				t.Errorf("chart %q with --print alone", c.Chart)
			}
		}},
		{name: "re-printing draws the chart asked for", args: []string{"--print", "x.json", "--chart", "docs/b.svg"}, getenv: none, check: func(t *testing.T, c Config) {
			if c.Chart != "docs/b.svg" {
				t.Errorf("chart %q", c.Chart)
			}
		}},
		{name: "unknown peer", args: []string{"--peers", "supabase"}, getenv: none, wantErr: `unknown peer "supabase"`},
		{name: "unknown scenario", args: []string{"--scenarios", "delete"}, getenv: none, wantErr: `unknown scenario "delete"`},
		{name: "every bad number is reported", args: []string{"--rows", "0", "--rounds", "0"}, getenv: none, wantErr: "-rounds must be at least 1"},
		{name: "stray argument", args: []string{"now"}, getenv: none, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := ParseFlags(tt.args, tt.getenv, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseFlags([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "go run ./cmd/specstar-bench") || !strings.Contains(out.String(), "-quick") {
		t.Errorf("err %v, usage:\n%s", err, out.String())
	}
}

func TestSelectSystems(t *testing.T) {
	withPG, _ := Systems(Config{Peers: []string{"pocketbase"}, Postgres: "postgres://localhost/x"})
	python, _ := Systems(Config{Peers: []string{"fastapi", "django"}, Postgres: "postgres://localhost/x"})
	pythonNoPG, _ := Systems(Config{Peers: []string{"django"}})
	withoutPG, _ := Systems(Config{})
	names := func(ss []*System) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name)
		}
		return out
	}
	tests := []struct {
		name    string
		all     []*System
		want    []string
		sel     []string
		wantErr string
	}{
		{name: "all", all: withPG, sel: nil, want: []string{"specstar-sqlite", "raw-sqlite", "raw-sqlite-planner",
			"specstar-postgres", "raw-postgres", "specstar-memory", "raw-memory", "fixed-json", "pocketbase"}},
		{name: "a baseline brings its prerequisite, in matrix order", all: withPG, sel: []string{"raw-sqlite"}, want: []string{"specstar-sqlite", "raw-sqlite"}},
		{name: "raw-postgres needs specstar-postgres", all: withPG, sel: []string{"raw-postgres", "specstar-sqlite"},
			want: []string{"specstar-sqlite", "specstar-postgres", "raw-postgres"}},
		{name: "the fixed body needs specstar-memory", all: withPG, sel: []string{"fixed-json", "pocketbase"}, want: []string{"specstar-memory", "fixed-json", "pocketbase"}},
		{name: "each Python peer on each backend, in a fixed order", all: python, sel: []string{"fastapi-postgres", "django-sqlite", "fastapi-sqlite", "django-postgres"},
			want: []string{"django-sqlite", "django-postgres", "fastapi-sqlite", "fastapi-postgres"}},
		{name: "a Python peer without PostgreSQL", all: pythonNoPG, sel: nil, want: []string{"specstar-sqlite", "raw-sqlite", "raw-sqlite-planner",
			"specstar-memory", "raw-memory", "fixed-json", "django-sqlite"}},
		{name: "unknown", all: withPG, sel: []string{"mysql"}, wantErr: `unknown system "mysql"`},
		{name: "postgres without a URL", all: withoutPG, sel: []string{"raw-postgres"}, wantErr: "raw-postgres needs a PostgreSQL server"},
		{name: "a Python peer on postgres without a URL", all: pythonNoPG, sel: []string{"django-postgres"}, wantErr: "django-postgres needs a PostgreSQL server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectSystems(tt.all, tt.sel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("got %v, want %v", names(got), tt.want)
			}
		})
	}
}

func TestSystemsNotes(t *testing.T) {
	systems, notes := Systems(Config{})
	for _, s := range systems {
		if s.Role == RolePeer || s.Storage == "postgres" {
			t.Errorf("system %s without --peers or --postgres", s.Name)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "specstar-postgres and raw-postgres skipped: no PostgreSQL URL") {
		t.Errorf("notes %q, want the PostgreSQL skip", notes)
	}
	systems, notes = Systems(Config{Postgres: "postgres://localhost/x"})
	var pg []string
	for _, s := range systems {
		if s.Storage == "postgres" {
			pg = append(pg, s.Name)
		}
	}
	if !slices.Equal(pg, []string{"specstar-postgres", "raw-postgres"}) {
		t.Errorf("postgres systems %v with a URL", pg)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "server process alone") {
		t.Errorf("notes %q, want the note on what PostgreSQL figures hold", notes)
	}
}

func TestDatabaseURL(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{in: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", want: "postgres://postgres@127.0.0.1:5432/specstar_bench_1?sslmode=disable"},
		{in: "postgresql://u:secret@db/x?search_path=s", want: "postgresql://u:secret@db/specstar_bench_1?search_path=s"},
		{in: "postgres://localhost", want: "postgres://localhost/specstar_bench_1"},
		{in: "host=/tmp user=me dbname=test", want: "host=/tmp user=me dbname=test dbname=specstar_bench_1"},
		{in: "postgres://u:secret@db:bad/x", wantErr: "does not parse"},
		{in: "localhost", wantErr: "must be a postgres:// URL"},
	}
	for _, tt := range tests {
		got, err := databaseURL(tt.in, "specstar_bench_1")
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
				t.Errorf("databaseURL(%q) = %q, %v; want an error %q that hides the password", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("databaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestGraphQLListRequests(t *testing.T) {
	d := specstarDialect()
	if restDialect().build["graphql-list"] != nil || d.build["graphql-list"] == nil {
		t.Fatal("graphql-list must be built by the specstar dialect only")
	}
	req, err := d.build["graphql-list"](&target{base: "http://127.0.0.1:1"}, rand.New(rand.NewPCG(1, 2)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || req.URL.Path != "/graphql" || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("request %s %s %q", req.Method, req.URL, req.Header.Get("Content-Type"))
	}
	var body struct {
		Query     string            `json:"query"`
		Variables map[string]string `json:"variables"`
	}
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(Categories, strings.ToLower(body.Variables["category"])) || body.Variables["category"] != strings.ToUpper(body.Variables["category"]) {
		t.Errorf("variables %v, want an upper-case category", body.Variables)
	}
	for _, want := range []string{"category: {eq: $category}", "field: HAPPENED_AT, direction: DESC", "first: 20", "happenedAt", "dataHash", "endCursor"} {
		if !strings.Contains(body.Query, want) {
			t.Errorf("query lacks %q:\n%s", want, body.Query)
		}
	}

	check := d.check["graphql-list"]
	tests := []struct {
		name, body, wantErr string
	}{
		{name: "a page", body: `{"data":{"items":{"nodes":[{"id":"a"}],"pageInfo":{"hasNextPage":false}}}}`},
		{name: "a page with white space", body: `{ "data": { "items": { "nodes": [ {"id":"a"} ] } } }`},
		{name: "errors with data", body: `{"errors":[{"message":"boom"}],"data":{"items":null}}`, wantErr: "GraphQL errors: boom"},
		{name: "errors without data", body: `{"errors":[{"message":"bad query"}],"data":null}`, wantErr: "bad query"},
		{name: "an empty page", body: `{"data":{"items":{"nodes":[]}}}`, wantErr: "no items"},
		{name: "not JSON", body: `<html>`, wantErr: "not a GraphQL response"},
	}
	for _, tt := range tests {
		err := check([]byte(tt.body))
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: check = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestMakeRow(t *testing.T) {
	seen := make(map[string]int)
	for i := range 2000 {
		r := MakeRow(i)
		if len(r.Body) != bodySize {
			t.Fatalf("row %d body is %d bytes", i, len(r.Body))
		}
		if !slices.Contains(Categories, r.Category) {
			t.Fatalf("row %d category %q", i, r.Category)
		}
		if r.HappenedAt.Nanosecond() != 0 || r.HappenedAt.Before(epoch) || r.HappenedAt.After(epoch.Add(spanSeconds*time.Second)) {
			t.Fatalf("row %d happened_at %s", i, r.HappenedAt)
		}
		if r.Score < 0 || r.Score > 999 {
			t.Fatalf("row %d score %d", i, r.Score)
		}
		seen[r.Category]++
	}
	for _, c := range Categories {
		if n := seen[c]; n < 150 || n > 350 {
			t.Errorf("category %s holds %d of 2000 rows, want about 250", c, n)
		}
	}
	if a, b := MakeRow(7), MakeRow(7); a != b {
		t.Error("MakeRow is not deterministic")
	}
	u := MakeRow(7).Updated(42)
	if u.Title == MakeRow(7).Title || u.Category != MakeRow(7).Category || !u.HappenedAt.Equal(MakeRow(7).HappenedAt) {
		t.Errorf("Updated changed %+v", u)
	}
	var back Row
	if err := json.Unmarshal(MakeRow(3).JSON(), &back); err != nil || back != MakeRow(3) {
		t.Errorf("JSON round trip: %v %+v", err, back)
	}
}

// syntheticReport returns a report with the given throughputs, keyed by
// "system/scenario".
func syntheticReport(rps map[string]float64) *Report {
	rep := newReport(Config{Rows: 10, Concurrency: 1, Rounds: 1, Duration: time.Second, GenRuns: 1}, nil)
	for _, name := range []string{"specstar-sqlite", "raw-sqlite", "specstar-memory", "fixed-json", "pocketbase"} {
		role := map[string]Role{"specstar-sqlite": RoleSpecstar, "specstar-memory": RoleSpecstar,
			"raw-sqlite": RoleRaw, "fixed-json": RoleFixed, "pocketbase": RolePeer}[name]
		storage := map[string]string{"specstar-sqlite": "sqlite", "raw-sqlite": "sqlite",
			"specstar-memory": "memory", "fixed-json": "memory"}[name]
		rep.Systems = append(rep.Systems, &SystemReport{System: &System{Name: name, Role: role, Storage: storage},
			SeedRows: 10, SeedSeconds: 1, SeededBy: name, IdleRSS: 20 << 20})
	}
	for key, v := range rps {
		sys, sc, _ := strings.Cut(key, "/")
		rep.Results = append(rep.Results, &Result{System: sys, Scenario: sc, Throughput: v,
			P50Ms: 1, P99Ms: 2, CPUPerRequestUs: 100, IdleRSS: 20 << 20, PeakRSS: 30 << 20, Requests: 100})
	}
	return rep
}

func TestTargets(t *testing.T) {
	rep := syntheticReport(map[string]float64{
		"specstar-sqlite/get": 900, "raw-sqlite/get": 1000, "pocketbase/get": 500,
		"specstar-sqlite/create": 800, "raw-sqlite/create": 1000, "pocketbase/create": 700,
		"specstar-sqlite/update": 700,
		"specstar-memory/get":    600, "fixed-json/get": 1000,
	})
	rep.Gen = []gentime.Timing{
		{Name: "gen blog", Median: time.Second, Runs: []time.Duration{time.Second}},
		{Name: "gen 50 resources", Median: 12 * time.Second, Runs: []time.Duration{12 * time.Second}},
	}
	rep.Results[0].Errors = 0
	rep.finish()
	want := map[string]string{
		"SQLite GET >= 0.8x raw SQLite":                      StatusPass, // 0.9
		"SQLite GET >= 1.5x PocketBase":                      StatusPass, // 1.8
		"SQLite list >= 0.8x raw SQLite":                     StatusSkip, // not run
		"SQLite create >= 0.85x raw SQLite (revision-aware)": StatusMiss, // 0.8
		"SQLite create >= 1.0x PocketBase create":            StatusPass, // 800/700
		"SQLite update >= 1.0x PocketBase create":            StatusPass, // 700/700
		"SQLite update >= 0.85x raw SQLite (revision-aware)": StatusSkip, // raw update not run
		"Memory GET >= 0.7x fixed JSON body":                 StatusMiss, // 0.6
		"PostgreSQL GET >= 0.85x raw pgx":                    StatusSkip,
		"Idle RSS <= 1.5x PocketBase":                        StatusPass, // 1.0
		"Zero errors in every scenario":                      StatusPass,
		"gen examples/blog <= 3s":                            StatusPass,
		"gen 50-resource spec <= 10s":                        StatusMiss,
		"gen --check examples/blog <= 3s":                    StatusSkip,
	}
	got := make(map[string]TargetResult)
	for _, tr := range rep.Targets {
		got[tr.Name] = tr
	}
	if len(rep.Targets) != len(targets) {
		t.Errorf("%d target results for %d targets", len(rep.Targets), len(targets))
	}
	for name, status := range want {
		tr, ok := got[name]
		if !ok {
			t.Errorf("no target %q", name)
			continue
		}
		if tr.Status != status {
			t.Errorf("%s: %s (%s, %s), want %s", name, tr.Status, tr.Value, tr.Detail, status)
		}
	}
	if v := got["SQLite GET >= 0.8x raw SQLite"].Value; v != "0.900x" {
		t.Errorf("GET ratio shown as %q, want 0.900x", v)
	}
	rep.Results[0].Errors = 3
	rep.finish()
	for _, tr := range rep.Targets {
		if tr.Name == "Zero errors in every scenario" && (tr.Status != StatusMiss || tr.Value != "3") {
			t.Errorf("with 3 errors: %+v", tr)
		}
	}
}

func TestRatios(t *testing.T) {
	rep := syntheticReport(map[string]float64{
		"specstar-sqlite/get": 900, "raw-sqlite/get": 1000, "pocketbase/get": 300,
		"specstar-memory/get": 700, "fixed-json/get": 1000,
		"specstar-sqlite/list": 800, "raw-sqlite/list": 1000, "specstar-sqlite/graphql-list": 400,
	})
	rep.finish()
	type key struct{ system, scenario, baseline, baselineScenario string }
	got := make(map[key]float64)
	for _, r := range rep.Ratios {
		got[key{r.System, r.Scenario, r.Baseline, r.BaselineScenario}] = r.Throughput
		if r.P50 != 1 || r.IdleRSS != 1 {
			t.Errorf("%+v: equal latencies and RSS should give 1x", r)
		}
	}
	want := map[key]float64{
		{"specstar-sqlite", "get", "raw-sqlite", "get"}:   0.9,
		{"specstar-sqlite", "get", "pocketbase", "get"}:   3,
		{"specstar-memory", "get", "fixed-json", "get"}:   0.7,
		{"specstar-memory", "get", "pocketbase", "get"}:   700.0 / 300, // peers compare with every storage
		{"specstar-sqlite", "list", "raw-sqlite", "list"}: 0.8,
		// The GraphQL list against the REST list: its own and the baseline's.
		{"specstar-sqlite", "graphql-list", "specstar-sqlite", "list"}: 0.5,
		{"specstar-sqlite", "graphql-list", "raw-sqlite", "list"}:      0.4,
	}
	if len(got) != len(want) {
		t.Errorf("ratios %v, want %v", got, want)
	}
	for k, v := range want {
		if d := got[k] - v; d > 1e-9 || d < -1e-9 {
			t.Errorf("%v = %v, want %v", k, got[k], v)
		}
	}
}

func TestReadReport(t *testing.T) {
	rep := syntheticReport(map[string]float64{"specstar-sqlite/get": 900, "raw-sqlite/get": 1000})
	rep.finish()
	path := filepath.Join(t.TempDir(), "bench.json")
	if err := rep.WriteJSONFile(path); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Systems) != len(rep.Systems) || back.Systems[0].Role != RoleSpecstar || len(back.Results) != 2 {
		t.Fatalf("read back %+v", back)
	}
	if len(back.Ratios) != len(rep.Ratios) || !slices.Equal(targetStatuses(back), targetStatuses(rep)) {
		t.Errorf("ratios or targets differ after the round trip: %v vs %v", targetStatuses(back), targetStatuses(rep))
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"--print", path}, &stdout, &stderr); code != ExitOK {
		t.Fatalf("--print: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "PASS    SQLite GET >= 0.8x raw SQLite") {
		t.Errorf("--print output:\n%s", stdout.String())
	}
}

// targetStatuses returns the status of every target of rep.
func targetStatuses(rep *Report) []string {
	var out []string
	for _, tr := range rep.Targets {
		out = append(out, tr.Status)
	}
	return out
}

func TestWriteTable(t *testing.T) {
	rep := syntheticReport(map[string]float64{"specstar-sqlite/get": 900, "raw-sqlite/get": 1000,
		"specstar-sqlite/list": 800, "raw-sqlite/list": 1000, "specstar-sqlite/graphql-list": 400})
	rep.Gen = []gentime.Timing{{Name: "gen blog", Median: 1500 * time.Millisecond}}
	rep.finish()
	var out bytes.Buffer
	if err := rep.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"note: The load generator runs in this process",
		"system           role      seeded   seed time  seed rate  idle RSS\n",
		"specstar-sqlite  specstar  10 rows       1.0s       10/s  20.0 MiB\n",
		"req/s",
		"0.90x",
		"gen blog    1.5s\n",
		"specstar-sqlite  graphql-list  raw-sqlite (REST list)       0.40x",
		"specstar-sqlite  graphql-list  specstar-sqlite (REST list)  0.50x",
		"graphql-list is compared with the REST list: of the same system, and of every baseline",
		"PASS    SQLite GET >= 0.8x raw SQLite",
		"failed requests",
	} {
		if want == "failed requests" {
			if strings.Contains(s, want+" (examples)") {
				t.Errorf("a run without failures lists failed requests:\n%s", s)
			}
			continue
		}
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
}

// TestQuickRun runs the whole harness in a small configuration: it
// builds the example server and the baselines, seeds every system, runs
// every scenario and writes the JSON report. With
// SPECSTAR_TEST_POSTGRES_URL (always under CI=true) it runs the postgres
// systems too and checks that their databases are dropped. Not
// PocketBase, which needs --peers and a go install, and not the generator
// timing, which package gentime's tests run.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs servers for about half a minute")
	}
	pgURL := os.Getenv(pgtest.EnvURL)
	if pgURL == "" && os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set, and CI=true requires the postgres systems to run", pgtest.EnvURL)
	}
	dir := t.TempDir()
	out, svg := filepath.Join(dir, "bench.json"), filepath.Join(dir, "bench.svg")
	var stdout, stderr bytes.Buffer
	// The Python peers run when their Debian packages are installed (CI
	// installs them, and requires them); the test never installs them.
	code := Main(context.Background(), []string{
		"--quick", "--rows", "1000", "--duration", "300ms", "--warmup", "100ms", "--settle", "100ms",
		"--skip-gen", "--concurrency", "4", "--out", out, "--chart", svg, "--workdir", filepath.Join(dir, "work"),
		"--postgres", pgURL, "--peers", "django,fastapi", "--install-peers=false",
	}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("CI") == "true" && len(rep.Skipped) > 0 {
		t.Errorf("CI=true requires the Python peers (.ci/run installs them); skipped: %+v", rep.Skipped)
	}
	// Every specstar system serves the 5 scenarios, every raw baseline the
	// 4 REST ones but raw-sqlite-planner, which only lists; fixed-json
	// only GETs; each Python peer the 4 REST ones.
	// Jobs: SQLite's throughput and latency, and with PostgreSQL its ratio
	// to raw River and its latency.
	wantSystems, wantResults, wantMeasured := 6, 2*5+2*4+2, 6+3 // without PocketBase, PostgreSQL, the generator
	if pgURL != "" {
		wantSystems, wantResults, wantMeasured = 8, 3*5+3*4+2, 10+4
	}
	for _, s := range rep.Systems {
		if !s.Tree {
			continue
		}
		wantSystems++
		wantResults += 4
		// Per backend: FastAPI has throughput, CPU and memory targets (4 +
		// 4 + 1), Django REST Framework throughput and memory (4 + 1).
		wantMeasured += map[bool]int{true: 9, false: 5}[strings.HasPrefix(s.Name, "fastapi-")]
	}
	if len(rep.Systems) != wantSystems {
		t.Errorf("%d systems, want %d", len(rep.Systems), wantSystems)
	}
	if len(rep.Results) != wantResults {
		t.Errorf("%d results, want %d", len(rep.Results), wantResults)
	}
	for _, r := range rep.Results {
		if r.Requests == 0 || r.Errors != 0 || r.Throughput <= 0 || r.P99Ms < r.P50Ms || r.PeakRSS <= 0 || r.CPUPerRequestUs <= 0 {
			t.Errorf("%s %s: %+v", r.System, r.Scenario, r)
		}
	}
	for _, s := range rep.Systems {
		if s.IdleRSS <= 0 || (s.SeededBy == s.Name && (s.SeedSeconds <= 0 || s.SeedRows != 1000)) {
			t.Errorf("system %+v", s)
		}
		if s.Tree && s.Version == "" {
			t.Errorf("peer %s without the versions it runs", s.Name)
		}
	}
	if chart, err := os.ReadFile(svg); err != nil || !bytes.Contains(chart, []byte("<svg")) || !bytes.Contains(chart, []byte("specstar-bench")) {
		t.Errorf("chart %s: %v, %.200q", svg, err, chart)
	}
	// The GraphQL list runs on every specstar system and is compared with
	// the REST list, its own and the raw baseline's.
	for _, s := range rep.Systems {
		if s.Role != RoleSpecstar {
			continue
		}
		raw := "raw-" + s.Storage
		for _, baseline := range []string{s.Name, raw} {
			found := false
			for _, r := range rep.Ratios {
				if r.System == s.Name && r.Scenario == "graphql-list" && r.Baseline == baseline {
					found = r.BaselineScenario == "list" && r.Throughput > 0
				}
			}
			if !found {
				t.Errorf("no ratio of %s graphql-list to %s list", s.Name, baseline)
			}
		}
	}
	if i := slices.IndexFunc(rep.Scenarios, func(sc Scenario) bool { return sc.Name == "graphql-list" }); i < 0 || rep.Scenarios[i].CompareWith != "list" {
		t.Errorf("report scenarios %+v, want graphql-list compared with list", rep.Scenarios)
	}
	measured := 0
	for _, tr := range rep.Targets {
		if tr.Status != StatusSkip {
			measured++
		}
	}
	if measured != wantMeasured {
		t.Errorf("%d targets measured, want %d: %+v", measured, wantMeasured, rep.Targets)
	}
	for _, want := range []string{"ratios, specstar / baseline", "targets", "PASS    Zero errors in every scenario",
		"graphql-list is compared with the REST list"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if pgURL != "" {
		pgPeers := 0
		for _, s := range rep.Systems {
			if s.Tree && s.Storage == "postgres" {
				pgPeers++
			}
		}
		// The jobs scenario's PostgreSQL systems (specstar's and raw
		// River's) have a database each.
		jobsDBs := 0
		if rep.Jobs != nil {
			for _, r := range rep.Jobs.Results {
				if strings.Contains(r.System, "postgres") {
					jobsDBs++
				}
			}
		}
		checkDatabasesDropped(t, pgURL, stderr.String(), 2+pgPeers+jobsDBs)
	}
}

// checkDatabasesDropped checks that the run logged want created databases
// and that none of them exists any more.
func checkDatabasesDropped(t *testing.T, pgURL, log string, want int) {
	t.Helper()
	var names []string
	for line := range strings.SplitSeq(log, "\n") {
		if _, name, ok := strings.Cut(line, "postgres: created database "); ok {
			names = append(names, strings.TrimSpace(name))
		}
	}
	if len(names) != want {
		t.Fatalf("the run logged %d created databases, want %d:\n%s", len(names), want, log)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d of the databases %v were not dropped", left, names)
	}
}

// TestGraphQLCostTarget checks the target on the cost of the GraphQL list
// against the REST list of the same system: the inverse ratio of their
// throughputs, at most 1.25.
func TestGraphQLCostTarget(t *testing.T) {
	const name = "SQLite GraphQL list <= 1.25x REST list"
	tests := []struct {
		name        string
		rest, gql   float64
		status, val string
	}{
		{name: "within", rest: 1000, gql: 850, status: StatusPass, val: "1.176x"},
		{name: "at the limit", rest: 1000, gql: 800, status: StatusPass, val: "1.250x"},
		{name: "above", rest: 1000, gql: 400, status: StatusMiss, val: "2.500x"},
		{name: "graphql not run", rest: 1000, status: StatusSkip, val: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results := map[string]float64{"specstar-sqlite/list": tt.rest}
			if tt.gql > 0 {
				results["specstar-sqlite/graphql-list"] = tt.gql
			}
			rep := syntheticReport(results)
			rep.finish()
			i := slices.IndexFunc(rep.Targets, func(tr TargetResult) bool { return tr.Name == name })
			if i < 0 {
				t.Fatalf("no target %q", name)
			}
			if tr := rep.Targets[i]; tr.Status != tt.status || tr.Value != tt.val {
				t.Errorf("%s %s (%s), want %s %s", tr.Status, tr.Value, tr.Detail, tt.status, tt.val)
			}
		})
	}
}
