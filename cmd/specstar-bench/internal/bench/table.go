package bench

import (
	"strings"
	"unicode/utf8"
)

// table is a text table: left-aligned text columns, right-aligned
// numbers, two spaces between columns, no trailing spaces.
type table struct {
	right []bool // per column: right-aligned
	rows  [][]string
}

// newTable returns a table with the given header; columns whose name is
// in right are right-aligned.
func newTable(header []string, right ...string) *table {
	t := &table{right: make([]bool, len(header))}
	for i, h := range header {
		for _, r := range right {
			if h == r {
				t.right[i] = true
			}
		}
	}
	t.rows = append(t.rows, header)
	return t
}

// add appends a row.
func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// String renders the table.
func (t *table) String() string {
	widths := make([]int, len(t.right))
	for _, row := range t.rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range t.rows {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
