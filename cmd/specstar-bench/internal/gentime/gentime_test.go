package gentime

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../../../.."

// buildSpecstar builds the specstar CLI into a temp dir.
func buildSpecstar(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "specstar")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/specstar")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build specstar: %v\n%s", err, out)
	}
	return bin
}

func TestMeasure(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the specstar CLI")
	}
	specstar := buildSpecstar(t)
	blog, err := BlogCase(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	timings, err := Measure(context.Background(), specstar, abs(t, repoRoot), work, 1, []Case{blog})
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"gen blog", "gen --check blog"}
	if len(timings) != len(wantNames) {
		t.Fatalf("got %d timings, want %d", len(timings), len(wantNames))
	}
	for i, tm := range timings {
		if tm.Name != wantNames[i] || tm.Check != (i == 1) {
			t.Errorf("timing %d is %q (check %v), want %q", i, tm.Name, tm.Check, wantNames[i])
		}
		if len(tm.Runs) != 1 || tm.Median != tm.Runs[0] || tm.Median <= 0 {
			t.Errorf("%s: runs %v, median %s; want 1 positive run", tm.Name, tm.Runs, tm.Median)
		}
	}
	// The scratch blog output is the committed example, byte for byte.
	for _, name := range []string{"post_model.gen.go", "post_handler.gen.go"} {
		got, err := os.ReadFile(filepath.Join(work, "blog", "examples", "blog", "blog", name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(repoRoot, "examples", "blog", "blog", name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("scratch %s differs from the committed examples/blog/blog/%s", name, name)
		}
	}
}

// TestLargeSpecIsValid checks the 50-resource spec with specstar validate
// (generating it is what the benchmark times, at length).
func TestLargeSpecIsValid(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the specstar CLI")
	}
	specstar := buildSpecstar(t)
	large, err := LargeCase(50)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := writeModule(dir, large.Module, abs(t, repoRoot)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "specstar.yaml"), large.Spec, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(specstar, "validate")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("specstar validate: %v\n%s", err, out)
	}
}

func TestSpec(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		resources int
		refs      int
	}{
		{name: "one resource has no ref", n: 1, resources: 1, refs: 0},
		{name: "each later resource refs the previous", n: 5, resources: 5, refs: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := string(Spec(tt.n))
			if got := strings.Count(s, "\n  Thing"); got != tt.resources {
				t.Errorf("%d resources, want %d", got, tt.resources)
			}
			if got := strings.Count(s, "type: ref"); got != tt.refs {
				t.Errorf("%d refs, want %d", got, tt.refs)
			}
		})
	}
}

func TestMedian(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want time.Duration
	}{
		{name: "empty", in: nil, want: 0},
		{name: "odd count", in: ms(30, 10, 20), want: 20 * time.Millisecond},
		{name: "even count averages the middle two", in: ms(40, 10, 20, 30), want: 25 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.in); got != tt.want {
				t.Errorf("median(%v) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestMeasureRejectsZeroRuns(t *testing.T) {
	if _, err := Measure(context.Background(), "specstar", repoRoot, t.TempDir(), 0, nil); err == nil {
		t.Fatal("Measure with 0 runs: no error")
	}
}

// abs returns the absolute form of a path.
func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestColdLine(t *testing.T) {
	tests := []struct {
		cold Cold
		want string
	}{
		{Cold{Spec: "blog", Gen: 31200 * time.Millisecond, Build: 33500 * time.Millisecond, MaxRatio: 2},
			"PASS cold gen blog 31.2s = 0.93x cold go build 33.5s (target <= 2x)"},
		{Cold{Spec: "blog", Gen: 70 * time.Second, Build: 30 * time.Second, MaxRatio: 2},
			"MISS cold gen blog 1m10s = 2.33x cold go build 30s (target <= 2x)"},
		{Cold{Spec: "blog", Gen: time.Second, MaxRatio: 2}, // no build measured
			"MISS cold gen blog 1s = 0.00x cold go build 0s (target <= 2x)"},
	}
	for _, tt := range tests {
		if got := tt.cold.Line(); got != tt.want {
			t.Errorf("Line() = %q, want %q", got, tt.want)
		}
	}
}

// TestMeasureCold runs the cold measurement on the blog example. It
// compiles the runtime and its dependencies twice from empty caches
// (minutes), so it runs only with SPECSTAR_GENTIME_COLD=1.
func TestMeasureCold(t *testing.T) {
	if os.Getenv("SPECSTAR_GENTIME_COLD") != "1" {
		t.Skip("compiles everything twice from empty caches; set SPECSTAR_GENTIME_COLD=1")
	}
	specstar := buildSpecstar(t)
	blog, err := BlogCase(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cold, err := MeasureCold(context.Background(), specstar, abs(t, repoRoot), t.TempDir(), blog)
	if err != nil {
		t.Fatal(err)
	}
	if cold.Gen <= 0 || cold.Build <= 0 {
		t.Fatalf("cold = %+v, want both measured", cold)
	}
	t.Log(cold.Line())
}
