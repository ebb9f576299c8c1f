package memory

import (
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// indexEntry is one (value, resource id) pair of an ordered index.
type indexEntry struct {
	value any
	id    string
}

// compareEntries orders index entries by value, then id.
func compareEntries(a, b indexEntry) int {
	if c := resource.CompareValues(a.value, b.value); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// maxLevel bounds the height of an orderedIndex skip list; with a
// branching factor of 4 it serves up to 4^maxLevel entries well.
const maxLevel = 20

// skipLink is a forward link of a skip list node at one level: the next
// node at that level (nil past the end) and the number of level-0 steps
// it spans. A nil link spans to a virtual node after the last one, so
// widths stay consistent as the list grows and shrinks.
type skipLink struct {
	node  *skipNode
	width int
}

// skipNode is one entry of an orderedIndex.
type skipNode struct {
	entry indexEntry
	next  []skipLink
	prev  *skipNode // previous node at level 0, nil for the first
}

// orderedIndex holds the (value, id) pairs of one indexed field, over
// every record, deleted or not, in compareEntries order. Scalar fields
// have one entry per record (null values first); list fields one per
// distinct non-null element.
//
// It is an indexable skip list: inserts, removals, the position of a
// value (lower, upper) and the entry at a position (at) take O(log n)
// expected time, and walking from a position to its neighbours is O(1)
// (see walker).
type orderedIndex struct {
	head skipNode // sentinel before the first entry; next has maxLevel links
	n    int
}

// newOrderedIndex returns an empty index.
func newOrderedIndex() *orderedIndex {
	x := &orderedIndex{}
	x.head.next = make([]skipLink, maxLevel)
	for l := range x.head.next {
		x.head.next[l].width = 1
	}
	return x
}

// len returns the number of entries.
func (x *orderedIndex) len() int { return x.n }

// randomLevel returns the height of a new node: 1 with probability 3/4,
// 2 with 3/16, and so on.
func randomLevel() int {
	level := 1
	for bits := rand.Uint64(); bits&3 == 0 && level < maxLevel; bits >>= 2 {
		level++
	}
	return level
}

// path fills update with the last node before e at every level and rank
// with their positions (1-based; 0 is the head).
func (x *orderedIndex) path(e indexEntry, update *[maxLevel]*skipNode, rank *[maxLevel]int) {
	node, r := &x.head, 0
	for l := maxLevel - 1; l >= 0; l-- {
		for next := node.next[l]; next.node != nil && compareEntries(next.node.entry, e) < 0; next = node.next[l] {
			r += next.width
			node = next.node
		}
		update[l], rank[l] = node, r
	}
}

// insert adds (v, id); it does nothing when the pair is present.
func (x *orderedIndex) insert(v any, id string) {
	e := indexEntry{value: v, id: id}
	var update [maxLevel]*skipNode
	var rank [maxLevel]int
	x.path(e, &update, &rank)
	if next := update[0].next[0].node; next != nil && compareEntries(next.entry, e) == 0 {
		return
	}
	level := randomLevel()
	n := &skipNode{entry: e, next: make([]skipLink, level)}
	for l := range maxLevel {
		link := &update[l].next[l]
		if l >= level {
			link.width++
			continue
		}
		// The new node sits rank[0]-rank[l]+1 steps after update[l].
		before := rank[0] - rank[l] + 1
		n.next[l] = skipLink{node: link.node, width: link.width - before + 1}
		*link = skipLink{node: n, width: before}
	}
	if update[0] != &x.head {
		n.prev = update[0]
	}
	if next := n.next[0].node; next != nil {
		next.prev = n
	}
	x.n++
}

// remove deletes (v, id) when present.
func (x *orderedIndex) remove(v any, id string) {
	e := indexEntry{value: v, id: id}
	var update [maxLevel]*skipNode
	var rank [maxLevel]int
	x.path(e, &update, &rank)
	n := update[0].next[0].node
	if n == nil || compareEntries(n.entry, e) != 0 {
		return
	}
	for l := range maxLevel {
		link := &update[l].next[l]
		if link.node != n {
			link.width--
			continue
		}
		*link = skipLink{node: n.next[l].node, width: link.width + n.next[l].width - 1}
	}
	if next := n.next[0].node; next != nil {
		next.prev = n.prev
	}
	x.n--
}

// countBefore returns the number of entries whose value is before v:
// resource.CompareValues(value, v) < 0, or <= 0 when inclusive is set.
func (x *orderedIndex) countBefore(v any, inclusive bool) int {
	node, r := &x.head, 0
	for l := maxLevel - 1; l >= 0; l-- {
		for next := node.next[l]; next.node != nil; next = node.next[l] {
			c := resource.CompareValues(next.node.entry.value, v)
			if c > 0 || (c == 0 && !inclusive) {
				break
			}
			r += next.width
			node = next.node
		}
	}
	return r
}

// lower returns the position of the first entry whose value is >= v.
func (x *orderedIndex) lower(v any) int { return x.countBefore(v, false) }

// upper returns the position of the first entry whose value is > v.
func (x *orderedIndex) upper(v any) int { return x.countBefore(v, true) }

// node returns the node at position i (0-based), which must be in range.
func (x *orderedIndex) node(i int) *skipNode {
	node, r := &x.head, 0
	for l := maxLevel - 1; l >= 0; l-- {
		for next := node.next[l]; next.node != nil && r+next.width <= i+1; next = node.next[l] {
			r += next.width
			node = next.node
		}
	}
	return node
}

// at returns the entry at position i (0-based), which must be in range.
func (x *orderedIndex) at(i int) indexEntry { return x.node(i).entry }

// walker returns a function giving the entry at a position, which takes
// O(1) when called with a neighbour of its previous position (a walk up
// or down the index) and O(log n) otherwise.
func (x *orderedIndex) walker() func(i int) indexEntry {
	var last *skipNode
	lastPos := 0
	return func(i int) indexEntry {
		switch {
		case last != nil && i == lastPos+1 && last.next[0].node != nil:
			last = last.next[0].node
		case last != nil && i == lastPos-1 && last.prev != nil:
			last = last.prev
		case last == nil || i != lastPos:
			last = x.node(i)
		}
		lastPos = i
		return last.entry
	}
}

// appendIDs appends the ids of the entries at positions [from, to).
func (x *orderedIndex) appendIDs(dst []string, from, to int) []string {
	if from >= to {
		return dst
	}
	n := x.node(from)
	for i := from; i < to && n != nil; i++ {
		dst = append(dst, n.entry.id)
		n = n.next[0].node
	}
	return dst
}

// all returns every entry in order.
func (x *orderedIndex) all() []indexEntry {
	out := make([]indexEntry, 0, x.n)
	for n := x.head.next[0].node; n != nil; n = n.next[0].node {
		out = append(out, n.entry)
	}
	return out
}

// entryValues returns the index values of a field value: the value of a
// scalar (nil included), the distinct non-null elements of a list.
func entryValues(v any, list bool) []any {
	if !list {
		return []any{v}
	}
	elems, _ := v.([]any)
	var out []any
	for _, e := range elems {
		if e == nil {
			continue
		}
		if !slices.ContainsFunc(out, func(o any) bool { return resource.CompareValues(o, e) == 0 }) {
			out = append(out, e)
		}
	}
	return out
}
