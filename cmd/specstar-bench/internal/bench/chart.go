package bench

import (
	"bytes"
	"fmt"
	"image/color"
	"os"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/chart"
)

// chartRows are the chart's rows: one per storage, in this order.
var chartRows = []struct{ storage, title string }{
	{"sqlite", "SQLite"}, {"postgres", "PostgreSQL"}, {"memory", "Memory"},
}

// Chart returns the report's figures as a chart: a row per storage with
// its systems (PocketBase, which has no storage of its own in the matrix,
// with SQLite, on which it runs), req/s and CPU per request of every
// scenario, the run and the machine in the titles.
func (rep *Report) Chart() chart.Chart {
	c := rep.Config
	ch := chart.Chart{
		Title: fmt.Sprintf("specstar-bench: %d rows, concurrency %d, median of %d rounds of %s; CPU of the server process(es) only",
			c.Rows, c.Concurrency, c.Rounds, c.Duration),
		Subtitle: fmt.Sprintf("%s UTC on %s/%s, %d CPUs (%s), %s; load average %.1f at start, %.1f at end",
			rep.Started.UTC().Format("2006-01-02 15:04"), rep.Machine.OS, rep.Machine.Arch, rep.Machine.CPUs,
			orDash(rep.Machine.CPUModel), rep.Machine.GoVersion, rep.Machine.LoadStart, rep.Machine.LoadEnd),
	}
	for _, sc := range rep.Scenarios {
		ch.Scenarios = append(ch.Scenarios, sc.Name)
	}
	for _, row := range chartRows {
		r := chart.Row{Title: row.title}
		for _, s := range rep.Systems {
			if s.Storage != row.storage && (s.Storage != "" || row.storage != "sqlite") {
				continue
			}
			f := family(s)
			if !slices.ContainsFunc(ch.Legend, func(e chart.Entry) bool { return e.Name == f.Name }) {
				ch.Legend = append(ch.Legend, f)
			}
			sys := chart.System{Name: s.Name, Color: f.Color, RPS: map[string]float64{}, CPU: map[string]float64{}}
			for _, res := range rep.Results {
				if res.System == s.Name {
					sys.RPS[res.Scenario] = res.Throughput
					sys.CPU[res.Scenario] = res.CPUPerRequestUs
				}
			}
			r.Systems = append(r.Systems, sys)
		}
		if len(r.Systems) > 0 {
			ch.Rows = append(ch.Rows, r)
		}
	}
	return ch
}

// family names the family of a system in the chart's legend and gives
// it its color: specstar blue, the hand-written baselines grey, each peer
// its own.
func family(s *SystemReport) chart.Entry {
	rgb := func(r, g, b uint8) color.Color { return color.RGBA{R: r, G: g, B: b, A: 0xff} }
	switch {
	case s.Role == RoleSpecstar:
		return chart.Entry{Name: "specstar (generated server)", Color: rgb(0x1f, 0x5f, 0xbf)}
	case s.Name == "raw-sqlite-planner":
		return chart.Entry{Name: "raw-sqlite-planner", Color: rgb(0xc8, 0xc8, 0xc8)}
	case s.Role == RoleRaw:
		return chart.Entry{Name: "raw (hand-written Go)", Color: rgb(0x80, 0x80, 0x80)}
	case s.Role == RoleFixed:
		return chart.Entry{Name: "fixed-json", Color: rgb(0xa8, 0xa8, 0xa8)}
	case s.Name == "pocketbase":
		return chart.Entry{Name: "PocketBase", Color: rgb(0xe0, 0x8a, 0x1e)}
	case strings.HasPrefix(s.Name, "django-"):
		return chart.Entry{Name: "Django REST Framework", Color: rgb(0x2e, 0x8b, 0x57)}
	case strings.HasPrefix(s.Name, "fastapi-"):
		return chart.Entry{Name: "FastAPI", Color: rgb(0x8e, 0x44, 0xad)}
	}
	return chart.Entry{Name: s.Name, Color: color.Black}
}

// WriteChartFile draws the report's chart as SVG into path.
func (rep *Report) WriteChartFile(path string) error {
	var buf bytes.Buffer
	if err := chart.WriteSVG(&buf, rep.Chart()); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write the chart: %w", err)
	}
	return nil
}
