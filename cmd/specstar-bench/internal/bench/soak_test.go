package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseSoakFlags(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	none := env(nil)
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		check   func(t *testing.T, c SoakConfig)
		wantErr string
	}{
		{name: "defaults are ten minutes at 200 req/s", args: nil, getenv: none, check: func(t *testing.T, c SoakConfig) {
			if c.System != "specstar-sqlite" || c.Rate != 200 || c.Duration != 10*time.Minute || c.Interval != time.Minute || c.Out != "soak.json" {
				t.Errorf("defaults %+v", c)
			}
		}},
		{name: "flags", args: []string{"--rate", "50", "--duration", "2m", "--interval", "30s", "--tolerance", "0.5"}, getenv: none,
			check: func(t *testing.T, c SoakConfig) {
				if c.Rate != 50 || c.Duration != 2*time.Minute || c.Interval != 30*time.Second || c.Tolerance != 0.5 {
					t.Errorf("flags %+v", c)
				}
			}},
		{name: "postgres from the environment", args: []string{"--system", "specstar-postgres"},
			getenv: env(map[string]string{"SPECSTAR_TEST_POSTGRES_URL": "postgres://x"}), check: func(t *testing.T, c SoakConfig) {
				if c.Postgres != "postgres://x" {
					t.Errorf("Postgres = %q", c.Postgres)
				}
			}},
		{name: "postgres without a URL", args: []string{"--system", "specstar-postgres"}, getenv: none, wantErr: "needs a PostgreSQL server"},
		{name: "a baseline cannot be soaked", args: []string{"--system", "raw-sqlite"}, getenv: none, wantErr: `"raw-sqlite" cannot be soaked`},
		{name: "one window is no comparison", args: []string{"--duration", "1m", "--interval", "1m"}, getenv: none, wantErr: "at least two -interval windows"},
		{name: "rate", args: []string{"--rate", "0"}, getenv: none, wantErr: "-rate must be positive"},
		{name: "stray argument", args: []string{"now"}, getenv: none, wantErr: "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := ParseSoakFlags(tt.args, tt.getenv, &out)
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

func TestSoakHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := ParseSoakFlags([]string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "specstar-bench soak") || !strings.Contains(out.String(), "-rate") {
		t.Errorf("err %v, usage:\n%s", err, out.String())
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		name                    string
		first, last, tol, slack float64
		wantFlat                bool
	}{
		{name: "equal", first: 100, last: 100, tol: 0.25, wantFlat: true},
		{name: "lower", first: 100, last: 60, tol: 0.25, wantFlat: true},
		{name: "at the tolerance", first: 100, last: 125, tol: 0.25, wantFlat: true},
		{name: "beyond the tolerance", first: 100, last: 126, tol: 0.25, wantFlat: false},
		{name: "slack absorbs sub-millisecond noise", first: 0.3, last: 1.2, tol: 0.25, slack: 1, wantFlat: true},
		{name: "slack is not unbounded", first: 0.3, last: 1.5, tol: 0.25, slack: 1, wantFlat: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verdict("m", tt.first, tt.last, tt.tol, tt.slack)
			if v.Flat != tt.wantFlat {
				t.Errorf("verdict(%g, %g, tolerance %g, slack %g) = %+v, want flat %v", tt.first, tt.last, tt.tol, tt.slack, v, tt.wantFlat)
			}
		})
	}
}

// TestSoakTiny runs the soak end to end in a tiny configuration (three
// 1-second windows at 40 req/s over SQLite) and checks its report: every
// window measured, no failure, RSS sampled, a verdict per measure. It
// does not require the verdicts to be flat: three seconds are too short
// for that to mean anything.
func TestSoakTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example server for a few seconds")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "soak.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"soak", "--rate", "40", "--duration", "3s", "--interval", "1s",
		"--warmup", "500ms", "--rows", "200", "--tolerance", "1000", "--out", out, "--workdir", filepath.Join(dir, "work")}, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep SoakReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Windows) != 3 {
		t.Fatalf("%d windows, want 3", len(rep.Windows))
	}
	for _, w := range rep.Windows {
		// 40 req/s: 40 requests are due per window.
		if w.Requests < 35 || w.Requests > 41 || w.Errors != 0 || w.Dropped != 0 || w.RSS <= 0 || w.P50Ms <= 0 || w.P99Ms < w.P50Ms || w.MaxMs < w.P99Ms {
			t.Errorf("window %+v", w)
		}
	}
	if len(rep.Verdicts) != 3 || !rep.Flat || rep.Requests == 0 || rep.Errors != 0 {
		t.Errorf("report verdicts %+v, flat %v, %d requests, %d errors", rep.Verdicts, rep.Flat, rep.Requests, rep.Errors)
	}
	for _, want := range []string{"window", "FLAT     RSS", "FLAT     p99", "requests: "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
}
