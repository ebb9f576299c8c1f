package output

import (
	"bytes"
	"fmt"
	"strings"
)

// contextLines is the number of unchanged lines shown around each change,
// as in `diff -u`.
const contextLines = 3

// UnifiedDiff returns the unified diff (`diff -u` format, 3 lines of
// context) that turns old into new, with "--- oldName" and "+++ newName"
// headers. It returns nil when old and new are equal. A last line without a
// newline is marked with "\ No newline at end of file".
func UnifiedDiff(oldName, newName string, old, new []byte) []byte {
	if bytes.Equal(old, new) {
		return nil
	}
	a, b := splitLines(old), splitLines(new)
	ops := diffLines(a, b)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "--- %s\n+++ %s\n", oldName, newName)
	for _, h := range hunks(ops) {
		writeHunk(&buf, ops[h.start:h.end])
	}
	return buf.Bytes()
}

// splitLines splits text after each "\n"; every line keeps its newline, so
// a last line without one compares unequal to the same line with one.
func splitLines(text []byte) []string {
	var lines []string
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		if i < 0 {
			lines = append(lines, string(text))
			break
		}
		lines = append(lines, string(text[:i+1]))
		text = text[i+1:]
	}
	return lines
}

// opKind says what an edit does with a line.
type opKind byte

const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

// op is one line of an edit script. aLine and bLine are the 0-based
// numbers of the line in old and new: the position it is at (equal,
// delete) or would be at (insert) in each.
type op struct {
	kind         opKind
	line         string
	aLine, bLine int
}

// diffLines returns a shortest edit script from a to b. Within each change,
// deletions come before insertions.
func diffLines(a, b []string) []op {
	deleted, inserted := changedLines(a, b)
	ops := make([]op, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && deleted[i]:
			ops = append(ops, op{kind: opDelete, line: a[i], aLine: i, bLine: j})
			i++
		case j < len(b) && inserted[j]:
			ops = append(ops, op{kind: opInsert, line: b[j], aLine: i, bLine: j})
			j++
		default:
			ops = append(ops, op{kind: opEqual, line: a[i], aLine: i, bLine: j})
			i++
			j++
		}
	}
	return ops
}

// changedLines marks the lines of a that a shortest edit script deletes
// and the lines of b that it inserts.
//
// A line that occurs in only one of the inputs can never be matched, so it
// is marked first and left out of the search: this keeps the result
// minimal and makes the common case of a rewritten block (or file) cheap,
// since the search costs O((N+M)·D) for D edits among the remaining lines.
func changedLines(a, b []string) (deleted, inserted []bool) {
	ids := make(map[string]int, len(a))
	var inA, inB []bool // per id
	intern := func(lines []string, in *[]bool) []int {
		out := make([]int, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
				inA, inB = append(inA, false), append(inB, false)
			}
			(*in)[id] = true
			out[i] = id
		}
		return out
	}
	ai, bi := intern(a, &inA), intern(b, &inB)
	deleted, inserted = make([]bool, len(a)), make([]bool, len(b))
	// Keep the lines that occur on both sides, remembering where they were.
	var ka, kb, posA, posB []int
	for i, id := range ai {
		if inB[id] {
			ka, posA = append(ka, id), append(posA, i)
		} else {
			deleted[i] = true
		}
	}
	for j, id := range bi {
		if inA[id] {
			kb, posB = append(kb, id), append(posB, j)
		} else {
			inserted[j] = true
		}
	}
	d := newDiffer(ka, kb)
	d.compare(0, len(ka), 0, len(kb))
	for i, del := range d.deleted {
		deleted[posA[i]] = del
	}
	for j, ins := range d.inserted {
		inserted[posB[j]] = ins
	}
	return deleted, inserted
}

// differ finds a shortest edit script with Myers' O(ND) algorithm in its
// linear-space form ("An O(ND) Difference Algorithm and Its Variations",
// 1986, section 4b), the way GNU diff does: find the middle of an optimal
// path with a search from both ends, then recurse on the two halves.
type differ struct {
	a, b              []int // interned lines
	deleted, inserted []bool
	// fd and bd hold, per diagonal k = x-y (offset by len(b)+1), the
	// furthest x reached by the forward and the backward search.
	fd, bd []int
	offset int
}

func newDiffer(a, b []int) *differ {
	n := len(a) + len(b) + 3
	return &differ{
		a: a, b: b,
		deleted: make([]bool, len(a)), inserted: make([]bool, len(b)),
		fd: make([]int, n), bd: make([]int, n),
		offset: len(b) + 1,
	}
}

// compare marks the lines of a[xlo:xhi] and b[ylo:yhi] that a shortest edit
// script deletes or inserts.
func (d *differ) compare(xlo, xhi, ylo, yhi int) {
	for xlo < xhi && ylo < yhi && d.a[xlo] == d.b[ylo] {
		xlo, ylo = xlo+1, ylo+1
	}
	for xhi > xlo && yhi > ylo && d.a[xhi-1] == d.b[yhi-1] {
		xhi, yhi = xhi-1, yhi-1
	}
	switch {
	case xlo == xhi:
		for y := ylo; y < yhi; y++ {
			d.inserted[y] = true
		}
	case ylo == yhi:
		for x := xlo; x < xhi; x++ {
			d.deleted[x] = true
		}
	default:
		// Both ranges are non-empty and differ at both ends, so the edit
		// distance is at least 2 and the middle point splits the problem
		// into two strictly smaller ones.
		xmid, ymid := d.middle(xlo, xhi, ylo, yhi)
		d.compare(xlo, xmid, ylo, ymid)
		d.compare(xmid, xhi, ymid, yhi)
	}
}

// middle returns a point on a shortest edit path through a[xlo:xhi] and
// b[ylo:yhi], found where the forward and backward searches first overlap.
// The ranges must be non-empty and differ in their first and last lines.
func (d *differ) middle(xlo, xhi, ylo, yhi int) (x, y int) {
	fd, bd, off := d.fd, d.bd, d.offset
	dmin, dmax := xlo-yhi, xhi-ylo // the diagonals in range
	fmid, bmid := xlo-ylo, xhi-yhi // where each search starts
	odd := (fmid-bmid)&1 != 0
	fmin, fmax, bmin, bmax := fmid, fmid, bmid, bmid
	fd[off+fmid], bd[off+bmid] = xlo, xhi
	for {
		// Forward: extend each diagonal by one edit, then follow the snake.
		if fmin > dmin {
			fmin--
			fd[off+fmin-1] = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			fd[off+fmax+1] = -1
		} else {
			fmax--
		}
		for k := fmax; k >= fmin; k -= 2 {
			lo, hi := fd[off+k-1], fd[off+k+1]
			x := lo + 1
			if lo < hi {
				x = hi
			}
			y := x - k
			for x < xhi && y < yhi && d.a[x] == d.b[y] {
				x, y = x+1, y+1
			}
			fd[off+k] = x
			if odd && bmin <= k && k <= bmax && bd[off+k] <= x {
				return x, y
			}
		}
		// Backward: the same from the end, x decreasing.
		if bmin > dmin {
			bmin--
			bd[off+bmin-1] = maxInt
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			bd[off+bmax+1] = maxInt
		} else {
			bmax--
		}
		for k := bmax; k >= bmin; k -= 2 {
			lo, hi := bd[off+k-1], bd[off+k+1]
			x := hi - 1
			if lo < hi {
				x = lo
			}
			y := x - k
			for x > xlo && y > ylo && d.a[x-1] == d.b[y-1] {
				x, y = x-1, y-1
			}
			bd[off+k] = x
			if !odd && fmin <= k && k <= fmax && x <= fd[off+k] {
				return x, y
			}
		}
	}
}

const maxInt = int(^uint(0) >> 1)

// span is a half-open range of ops forming one hunk.
type span struct{ start, end int }

// hunks groups the changes in ops into hunks with up to contextLines equal
// lines around them; changes separated by at most 2*contextLines equal
// lines share a hunk.
func hunks(ops []op) []span {
	var out []span
	for i := 0; i < len(ops); i++ {
		if ops[i].kind == opEqual {
			continue
		}
		start := max(i-contextLines, 0)
		// Find the end of this hunk: the last change followed by more than
		// 2*contextLines equal lines (or by the end).
		last := i
		for j := i + 1; j < len(ops) && j-last <= 2*contextLines; j++ {
			if ops[j].kind != opEqual {
				last = j
			}
		}
		end := min(last+1+contextLines, len(ops))
		if n := len(out); n > 0 && out[n-1].end >= start {
			out[n-1].end = end
		} else {
			out = append(out, span{start, end})
		}
		i = last
	}
	return out
}

// writeHunk writes one "@@ -l,s +l,s @@" hunk.
func writeHunk(buf *bytes.Buffer, ops []op) {
	var aCount, bCount int
	for _, o := range ops {
		if o.kind != opInsert {
			aCount++
		}
		if o.kind != opDelete {
			bCount++
		}
	}
	fmt.Fprintf(buf, "@@ -%s +%s @@\n", hunkRange(ops[0].aLine, aCount), hunkRange(ops[0].bLine, bCount))
	for _, o := range ops {
		buf.WriteByte(byte(o.kind))
		buf.WriteString(o.line)
		if !strings.HasSuffix(o.line, "\n") {
			buf.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// hunkRange formats the range of a hunk side as diff -u does: "l,s" with l
// 1-based, just "l" for one line, and "l,0" naming the line before the
// hunk when the side is empty.
func hunkRange(first, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", first)
	case 1:
		return fmt.Sprintf("%d", first+1)
	default:
		return fmt.Sprintf("%d,%d", first+1, count)
	}
}
