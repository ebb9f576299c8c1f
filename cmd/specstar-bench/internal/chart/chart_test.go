package chart

import (
	"bytes"
	"encoding/xml"
	"image/color"
	"io"
	"strings"
	"testing"
)

func TestWriteSVG(t *testing.T) {
	blue, grey := color.RGBA{B: 0xff, A: 0xff}, color.RGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff}
	c := Chart{
		Title:     "specstar-bench: 1000 rows",
		Subtitle:  "2026-12-06 21:00 UTC on linux/amd64, 2 CPUs (Test CPU)",
		Scenarios: []string{"get", "list", "graphql-list"},
		Legend:    []Entry{{"specstar", blue}, {"raw", grey}},
		Rows: []Row{
			{Title: "SQLite", Systems: []System{
				{Name: "specstar-sqlite", Color: blue, RPS: map[string]float64{"get": 11708, "list": 1329, "graphql-list": 455},
					CPU: map[string]float64{"get": 96, "list": 1143, "graphql-list": 3421}},
				// No graphql-list: a gap, not a bar of 0 on a log axis.
				{Name: "raw-sqlite", Color: grey, RPS: map[string]float64{"get": 11301, "list": 1371},
					CPU: map[string]float64{"get": 102, "list": 1142}},
			}},
			{Title: "Memory", Systems: []System{
				{Name: "specstar-memory", Color: blue, RPS: map[string]float64{"get": 22817}, CPU: map[string]float64{"get": 44}},
			}},
		},
	}
	var buf bytes.Buffer
	if err := WriteSVG(&buf, c); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not XML: %v", err)
		}
	}
	svg := buf.String()
	for _, want := range []string{
		"<svg", c.Title, c.Subtitle, "specstar", "raw",
		"SQLite: requests per second (higher is better)", "Memory: server CPU time per request (lower is better)",
		"get", "graphql-list", "11708", "3.4ms", "96µs", // bar labels
		"1ms", "100µs", "1000", // decade ticks
		"font-family:Liberation Sans,Arial,Helvetica,sans-serif;",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	var again bytes.Buffer
	if err := WriteSVG(&again, c); err != nil || !bytes.Equal(again.Bytes(), buf.Bytes()) {
		t.Errorf("two drawings of one chart differ (err %v)", err)
	}
	if err := WriteSVG(io.Discard, Chart{Scenarios: []string{"get"}}); err == nil {
		t.Error("a chart without rows: no error")
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name string
		f    func(float64) string
		in   float64
		want string
	}{
		{"rps", rpsText, 11708.4, "11708"},
		{"rps under 10", rpsText, 3.25, "3.2"},
		{"a whole number under 10", rpsText, 1, "1"},
		{"µs", cpuText, 96.2, "96µs"},
		{"ms", cpuText, 3421, "3.4ms"},
		{"a whole ms", cpuText, 1000, "1ms"},
		{"tens of ms", cpuText, 58985, "59ms"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%s: %v -> %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestDecades(t *testing.T) {
	ticks := decades{label: rpsText}.Ticks(10, 31623)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "10 100 1000 10000" {
		t.Errorf("labelled ticks %s", got)
	}
	if last := ticks[len(ticks)-1].Value; last != 30000 {
		t.Errorf("last minor tick %v, want 30000", last)
	}
}
