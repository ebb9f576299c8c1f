package load

import (
	"sort"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// rule reads a permission rule: a string scalar, kept with the position
// of each of its bytes.
func (l *loader) rule(e entry, subject string) *Rule {
	s := l.str(e, subject)
	if s == nil {
		return nil
	}
	return &Rule{Loc: s.Loc, Value: s.Value, Positions: l.scalarPositions(e.val, s.Value)}
}

// scalarPositions locates every byte of value, the decoded text of the
// scalar n, in the source, and the end of the value after them. The
// decoded text is a subsequence of the source text from the scalar's
// start in every style that rules use: quotes, escaped quotes (\" and a
// doubled single quote), folded line breaks and block indentation only add source bytes.
// So each byte is matched with the next equal source byte; an escape
// that changes a byte (\n, \x41) can misplace what follows it, never
// more than the scalar's own text.
func (l *loader) scalarPositions(n *yaml.Node, value string) []Pos {
	start := l.offset(n.Line, n.Column)
	out := make([]Pos, 0, len(value)+1)
	j := start
	for i := 0; i < len(value); i++ {
		k := j
		for k < len(l.src) && l.src[k] != value[i] {
			k++
		}
		if k == len(l.src) {
			// Not found (an escape sequence): keep the previous byte's
			// position for the rest.
			last := l.pos(n)
			if len(out) > 0 {
				last = out[len(out)-1]
			}
			for len(out) <= len(value) {
				out = append(out, last)
			}
			return out
		}
		out = append(out, l.posOf(k))
		j = k + 1
	}
	return append(out, l.posOf(j))
}

// offset returns the byte offset of a 1-based line and column; columns
// count characters, as yaml.v3 reports them.
func (l *loader) offset(line, col int) int {
	starts := l.lineStarts()
	if line < 1 || line > len(starts) {
		return len(l.src)
	}
	off := starts[line-1]
	for c := 1; c < col && off < len(l.src) && l.src[off] != '\n'; c++ {
		_, size := utf8.DecodeRune(l.src[off:])
		off += size
	}
	return off
}

// posOf returns the position of the byte at offset off: its line, and
// the character column of the character it belongs to.
func (l *loader) posOf(off int) Pos {
	starts := l.lineStarts()
	line := sort.Search(len(starts), func(i int) bool { return starts[i] > off }) // 1-based line
	ls := starts[max(line-1, 0)]
	for off > ls && off < len(l.src) && !utf8.RuneStart(l.src[off]) {
		off--
	}
	return Pos{File: l.file, Line: line, Col: utf8.RuneCount(l.src[ls:off]) + 1}
}

// lineStarts returns the offsets at which the lines of the source start.
func (l *loader) lineStarts() []int {
	if l.lines == nil {
		l.lines = []int{0}
		for i, c := range l.src {
			if c == '\n' {
				l.lines = append(l.lines, i+1)
			}
		}
	}
	return l.lines
}
