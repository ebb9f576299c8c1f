// Package chart draws specstar-bench's figures as one SVG: for each
// storage a row of two panels, requests per second and server CPU time per
// request, with a group of bars per scenario and a bar per system. Both
// axes are logarithmic: the systems span three orders of magnitude (a
// cached GET against a Python list), and a ratio reads as the same
// distance anywhere on the chart.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Chart is what to draw.
type Chart struct {
	Title     string   // first line: what was run
	Subtitle  string   // second line: the machine and the date
	Scenarios []string // the bar groups, left to right
	Rows      []Row
	// Legend names the colors, left to right under the titles: the
	// systems of a family share one (all specstar systems, all raw
	// baselines).
	Legend []Entry
}

// Entry is one color of the legend.
type Entry struct {
	Name  string
	Color color.Color
}

// Row is one storage: its systems, each a bar in every scenario group.
type Row struct {
	Title   string // "SQLite"
	Systems []System
}

// System is one system's figures, by scenario; a scenario it did not
// run has no bar.
type System struct {
	Name  string
	Color color.Color
	RPS   map[string]float64 // requests per second
	CPU   map[string]float64 // server CPU time per request, microseconds
}

// Size of the drawing.
const (
	width       = 13 * vg.Inch
	rowHeight   = 3.4 * vg.Inch
	titleHeight = 1.0 * vg.Inch
)

// WriteSVG draws c as SVG on w.
func WriteSVG(w io.Writer, c Chart) error {
	if len(c.Rows) == 0 || len(c.Scenarios) == 0 {
		return fmt.Errorf("chart: nothing to draw")
	}
	canvas := vgsvg.New(width, height(c))
	drawChart(draw.New(canvas), c)
	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	// The SVG names the font it measured text with, Liberation Sans, which
	// few machines have; Arial has the same metrics.
	out := bytes.ReplaceAll(buf.Bytes(), []byte("font-family:Liberation Sans;"),
		[]byte("font-family:Liberation Sans,Arial,Helvetica,sans-serif;"))
	_, err := w.Write(out)
	return err
}

// height returns the height of the drawing of c.
func height(c Chart) vg.Length { return titleHeight + vg.Length(len(c.Rows))*rowHeight }

// drawChart draws c on dc, which is width by height(c).
func drawChart(dc draw.Canvas, c Chart) {
	height := height(c)
	dc.FillPolygon(color.White, []vg.Point{dc.Min, {X: dc.Max.X, Y: dc.Min.Y}, dc.Max, {X: dc.Min.X, Y: dc.Max.Y}})

	title := textStyle(15)
	title.XAlign, title.YAlign = draw.XCenter, draw.YTop
	dc.FillText(title, vg.Point{X: width / 2, Y: height - 0.15*vg.Inch}, c.Title)
	sub := textStyle(11)
	sub.XAlign, sub.YAlign = draw.XCenter, draw.YTop
	dc.FillText(sub, vg.Point{X: width / 2, Y: height - 0.42*vg.Inch}, c.Subtitle)
	drawLegend(dc, c.Legend, height-0.75*vg.Inch)

	plots := make([][]*plot.Plot, len(c.Rows))
	for i, row := range c.Rows {
		plots[i] = []*plot.Plot{
			panel(c.Scenarios, row, row.Title+": requests per second (higher is better)", func(s System) map[string]float64 { return s.RPS }, rpsText),
			panel(c.Scenarios, row, row.Title+": server CPU time per request (lower is better)", func(s System) map[string]float64 { return s.CPU }, cpuText),
		}
	}
	tiles := draw.Tiles{Rows: len(c.Rows), Cols: 2, PadX: 0.3 * vg.Inch, PadY: 0.25 * vg.Inch,
		PadTop: 0.1 * vg.Inch, PadBottom: 0.1 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.2 * vg.Inch}
	body := draw.Crop(dc, 0, 0, 0, -titleHeight)
	canvases := plot.Align(plots, tiles, body)
	for i := range plots {
		for j, p := range plots[i] {
			p.Draw(canvases[i][j])
		}
	}
}

// drawLegend draws the entries in one centred line at height y: a
// square of the color, then the name.
func drawLegend(dc draw.Canvas, entries []Entry, y vg.Length) {
	sty := textStyle(10)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	const box, gap = 9, 16 // points
	widths := make([]vg.Length, len(entries))
	var total vg.Length
	for i, e := range entries {
		widths[i] = box + 4 + sty.Width(e.Name)
		total += widths[i]
	}
	total += gap * vg.Length(max(len(entries)-1, 0))
	x := (width - total) / 2
	for i, e := range entries {
		dc.FillPolygon(e.Color, []vg.Point{{X: x, Y: y - box/2}, {X: x + box, Y: y - box/2}, {X: x + box, Y: y + box/2}, {X: x, Y: y + box/2}})
		dc.FillText(sty, vg.Point{X: x + box + 4, Y: y}, e.Name)
		x += widths[i] + gap
	}
}

// panel returns the plot of one figure of a row.
func panel(scenarios []string, row Row, title string, values func(System) map[string]float64, label func(float64) string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle = textStyle(12)
	p.Title.TextStyle.XAlign, p.Title.TextStyle.YAlign = draw.XCenter, draw.YTop
	for _, s := range []*text.Style{&p.X.Tick.Label, &p.Y.Tick.Label, &p.X.Label.TextStyle, &p.Y.Label.TextStyle} {
		s.Font = sansFont(s.Font.Size)
	}
	p.NominalX(scenarios...)
	p.X.Min, p.X.Max = -0.5, float64(len(scenarios))-0.5
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = decades{label: label}
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	p.Add(grid)

	lo, hi := math.Inf(1), math.Inf(-1)
	n := len(row.Systems)
	groupWidth := 0.84 // of the distance between two scenarios
	for i, s := range row.Systems {
		vs := make([]float64, len(scenarios))
		for j, sc := range scenarios {
			if v := values(s)[sc]; v > 0 {
				vs[j] = v
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		b := &bars{values: vs, color: s.Color, label: label,
			offset: groupWidth * (float64(i) + 0.5 - float64(n)/2) / float64(n), width: groupWidth / float64(n)}
		p.Add(b)
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	// Whole decades, and half of one more on top for the labels.
	p.Y.Min = math.Pow10(int(math.Floor(math.Log10(lo))))
	p.Y.Max = math.Pow10(int(math.Ceil(math.Log10(hi)))) * math.Sqrt(10)
	if hi*2.5 > p.Y.Max {
		p.Y.Max *= math.Sqrt(10)
	}
	return p
}

// bars are one system's bars, one per scenario, offset within each
// scenario's group. They rise from the bottom of the panel: a log axis has
// no zero for plotter.BarChart to start from.
type bars struct {
	values []float64 // by scenario; 0 for no bar
	color  color.Color
	label  func(float64) string
	offset float64 // from the scenario's tick, in scenario units
	width  float64 // in scenario units
}

// Plot implements plot.Plotter.
func (b *bars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := textStyle(8)
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	for i, v := range b.values {
		if v <= 0 {
			continue
		}
		x0, x1 := trX(float64(i)+b.offset-b.width/2), trX(float64(i)+b.offset+b.width/2)
		top := trY(v)
		c.FillPolygon(b.color, c.ClipPolygonY([]vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: top}, {X: x0, Y: top}}))
		c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: top + 2}, b.label(v))
	}
}

// decades marks a log axis at every power of ten, labelled in the
// figure's own format (1000 req/s, 1ms), with unlabelled minor ticks.
type decades struct{ label func(float64) string }

// Ticks implements plot.Ticker.
func (d decades) Ticks(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for v := math.Pow10(int(math.Floor(math.Log10(min)))); v <= max; v *= 10 {
		ticks = append(ticks, plot.Tick{Value: v, Label: d.label(v)})
		for i := 2; i < 10 && v*float64(i) <= max; i++ {
			ticks = append(ticks, plot.Tick{Value: v * float64(i)})
		}
	}
	return ticks
}

// sansFont returns Liberation Sans (plot's fonts are serif by default).
func sansFont(size vg.Length) font.Font {
	if size == 0 {
		size = 10
	}
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// textStyle returns a black sans-serif text style of size points.
func textStyle(size vg.Length) text.Style {
	return text.Style{Color: color.Black, Font: sansFont(size), Handler: plot.DefaultTextHandler}
}

// rpsText formats requests per second.
func rpsText(v float64) string {
	if v < 10 && v != math.Trunc(v) {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// cpuText formats microseconds of CPU.
func cpuText(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.0fms", v/1000)
	case v >= 1000:
		return fmt.Sprintf("%.2gms", v/1000)
	}
	return fmt.Sprintf("%.0fµs", v)
}
