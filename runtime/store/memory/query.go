package memory

import (
	"container/heap"
	"slices"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// row is one entry of a table, as resource.Eval reads it.
type row struct {
	t *table
	e *entry
}

// Value implements resource.Valuer.
func (r row) Value(f filter.FieldInfo) any { return r.t.value(r.e, f) }

// value returns the value of field f in e: from the entry's cache for an
// indexed data field, from the record otherwise.
func (t *table) value(e *entry, f filter.FieldInfo) any {
	if f.Meta {
		return resource.SortValue(e.rec, f)
	}
	if i, ok := t.fieldIndex[f.Name]; ok && t.filterable[i].List == f.List && t.filterable[i].Type == f.Type {
		return e.values[i]
	}
	return resource.FieldValue(e.rec, f)
}

// sortKeys returns q's order, resource_id ascending when it has none.
func sortKeys(q *resource.Query) []filter.SortKey {
	if len(q.Sort) == 0 {
		return []filter.SortKey{resource.ResourceIDKey}
	}
	return q.Sort
}

// compareRows orders two entries by the sort keys.
func (t *table) compareRows(a, b *entry, keys []filter.SortKey) int {
	for _, k := range keys {
		c := resource.CompareValues(t.value(a, k.Field), t.value(b, k.Field))
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// afterBound reports whether e comes strictly after the keyset bound.
func (t *table) afterBound(e *entry, keys []filter.SortKey, bound []any) bool {
	for i, k := range keys {
		if i >= len(bound) {
			return false
		}
		c := resource.CompareValues(t.value(e, k.Field), bound[i])
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c > 0
		}
	}
	return false
}

// matcher tests entries against a query; examined counts the tests.
type matcher struct {
	t        *table
	q        *resource.Query
	keys     []filter.SortKey
	bounded  bool // apply q.After
	examined int64
}

// match reports whether e passes q's deletion mode, keyset bound and
// filter.
func (m *matcher) match(e *entry) bool {
	m.examined++
	switch deleted := e.rec.Meta.IsDeleted; {
	case m.q.OnlyDeleted && !deleted, !m.q.IncludeDeleted && !m.q.OnlyDeleted && deleted:
		return false
	}
	if m.bounded && m.q.After != nil && !m.t.afterBound(e, m.keys, m.q.After) {
		return false
	}
	return resource.Eval(m.q.Filter, row{m.t, e}) == resource.True
}

// candidates are the ids an index scan yields for one top-level conjunct
// of a filter: every record that can match is among them.
type candidates struct {
	ids  []string
	size int
}

// indexCandidates returns the smallest candidate set the ordered indexes
// give for a top-level conjunct of the filter (an equality, "in", range
// or prefix on an indexed field or resource_id), or false when no
// conjunct can use an index.
func (t *table) indexCandidates(f filter.Expr) (candidates, bool) {
	terms := []filter.Expr{f}
	if and, ok := f.(*filter.And); ok {
		terms = and.Terms
	}
	var best [][2]int
	var bestIx *orderedIndex
	bestIDs := false
	bestSize := -1
	for _, term := range terms {
		ranges, ix, ids, ok := t.termRanges(term)
		if !ok {
			continue
		}
		size := 0
		for _, r := range ranges {
			size += r[1] - r[0]
		}
		if bestSize < 0 || size < bestSize {
			best, bestIx, bestIDs, bestSize = ranges, ix, ids, size
		}
	}
	if bestSize < 0 {
		return candidates{}, false
	}
	out := candidates{size: bestSize, ids: make([]string, 0, bestSize)}
	for _, r := range best {
		if bestIDs {
			out.ids = append(out.ids, t.ids[r[0]:r[1]]...)
		} else {
			out.ids = bestIx.appendIDs(out.ids, r[0], r[1])
		}
	}
	if len(best) > 1 || (bestIx != nil && t.filterable[t.ixPos(bestIx)].List) {
		// "in" ranges and list elements may yield an id twice.
		slices.Sort(out.ids)
		out.ids = slices.Compact(out.ids)
	}
	return out, true
}

// ixPos returns the position of an ordered index.
func (t *table) ixPos(x *orderedIndex) int {
	return slices.Index(t.ordered, x)
}

// termRanges returns the index ranges holding every record that can
// satisfy term: positions in the ordered index ix, or in t.ids when ids
// is set (a condition on resource_id).
func (t *table) termRanges(term filter.Expr) (ranges [][2]int, ix *orderedIndex, ids bool, ok bool) {
	var field filter.FieldInfo
	switch x := term.(type) {
	case *filter.Cmp:
		field = x.Field.Info
	case *filter.In:
		field = x.Field.Info
	default:
		return nil, nil, false, false
	}
	var lower, upper func(v any) int
	n := 0
	switch {
	case field.Meta && field.Name == resource.FieldResourceID:
		ids = true
		n = len(t.ids)
		lower, upper = t.idLower, t.idUpper
	case !field.Meta:
		i, found := t.fieldIndex[field.Name]
		if !found || t.filterable[i].List != field.List || t.filterable[i].Type != field.Type {
			return nil, nil, false, false
		}
		ix = t.ordered[i]
		n = ix.len()
		lower, upper = ix.lower, ix.upper
	default:
		return nil, nil, false, false
	}
	if in, isIn := term.(*filter.In); isIn {
		for _, lv := range in.Values {
			v := resource.LiteralValue(lv, field.Type)
			if v == nil {
				continue
			}
			ranges = append(ranges, [2]int{lower(v), upper(v)})
		}
		return ranges, ix, ids, true
	}
	c := term.(*filter.Cmp)
	v := resource.LiteralValue(c.Value, field.Type)
	if v == nil {
		return nil, nil, false, false
	}
	if field.List && c.Op != filter.Eq {
		return nil, nil, false, false
	}
	switch c.Op {
	case filter.Eq:
		return [][2]int{{lower(v), upper(v)}}, ix, ids, true
	case filter.Gt:
		return [][2]int{{upper(v), n}}, ix, ids, true
	case filter.Ge:
		return [][2]int{{lower(v), n}}, ix, ids, true
	case filter.Lt:
		// Nulls sort first: start after them.
		return [][2]int{{upper(nil), lower(v)}}, ix, ids, true
	case filter.Le:
		return [][2]int{{upper(nil), upper(v)}}, ix, ids, true
	case filter.Prefix:
		p, _ := v.(string)
		end := n
		if succ, ok := prefixEnd(p); ok {
			end = lower(succ)
		}
		return [][2]int{{lower(p), end}}, ix, ids, true
	}
	return nil, nil, false, false
}

// idLower returns the position of the first id >= v in t.ids (v is a
// resource id; nil sorts first).
func (t *table) idLower(v any) int {
	s, _ := v.(string)
	i, _ := slices.BinarySearch(t.ids, s)
	return i
}

// idUpper returns the position of the first id > v in t.ids.
func (t *table) idUpper(v any) int {
	s, ok := v.(string)
	if !ok {
		return 0
	}
	i, found := slices.BinarySearch(t.ids, s)
	if found {
		i++
	}
	return i
}

// prefixEnd returns the smallest string greater than every string with
// prefix p (bytewise), or false when there is none (p is empty or all
// 0xff bytes).
func prefixEnd(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// selectRows returns the entries matching q in q's order, after q.Offset,
// at most q.Limit of them (all when 0).
func (t *table) selectRows(q *resource.Query) ([]*entry, int64) {
	m := &matcher{t: t, q: q, keys: sortKeys(q), bounded: true}
	want := 0 // rows to produce, offset included; 0 for all
	if q.Limit > 0 {
		want = q.Offset + q.Limit
	}
	var rows []*entry
	if c, ok := t.indexCandidates(q.Filter); ok {
		// An index narrows the rows to test; order what matches.
		top := newTopK(t, m.keys, want)
		for _, id := range c.ids {
			if e := t.records[id]; m.match(e) {
				top.add(e)
			}
		}
		rows = top.sorted()
	} else if walk, ok := t.orderedWalk(m, want); ok {
		rows = walk
	} else {
		top := newTopK(t, m.keys, want)
		for _, id := range t.ids {
			if e := t.records[id]; m.match(e) {
				top.add(e)
			}
		}
		rows = top.sorted()
	}
	if q.Offset >= len(rows) {
		return nil, m.examined
	}
	rows = rows[q.Offset:]
	if q.Limit > 0 && len(rows) > q.Limit {
		rows = rows[:q.Limit]
	}
	return rows, m.examined
}

// orderedWalk lists rows by walking the ordered index of the first sort
// key (or the id list for resource_id), from the keyset bound on, until
// want rows are found; rows tied on the first key are ordered by the
// others. It reports false when the first key has no index or the query
// wants every row (then sorting what matches is as cheap).
func (t *table) orderedWalk(m *matcher, want int) ([]*entry, bool) {
	first := m.keys[0]
	if want == 0 {
		return nil, false
	}
	var n int
	var at func(i int) (any, string)
	var lower, upper func(v any) int
	switch {
	case first.Field.Meta && first.Field.Name == resource.FieldResourceID:
		n = len(t.ids)
		at = func(i int) (any, string) { return t.ids[i], t.ids[i] }
		lower, upper = t.idLower, t.idUpper
	case !first.Field.Meta:
		i, found := t.fieldIndex[first.Field.Name]
		if !found || t.filterable[i].List || t.filterable[i].Type != first.Field.Type {
			return nil, false
		}
		ix := t.ordered[i]
		n = ix.len()
		walk := ix.walker()
		at = func(i int) (any, string) {
			e := walk(i)
			return e.value, e.id
		}
		lower, upper = ix.lower, ix.upper
	default:
		return nil, false
	}
	// Positions in walking order: ascending from start, or descending
	// from end-1. The bound's first value starts the walk at its group.
	start, end := 0, n
	if m.q.After != nil {
		if v := m.q.After[0]; first.Desc {
			end = upper(v)
		} else if v != nil {
			start = lower(v)
		}
	}
	var out, group []*entry
	var groupValue any
	flush := func() {
		slices.SortFunc(group, func(a, b *entry) int { return t.compareRows(a, b, m.keys) })
		out = append(out, group...)
		group = group[:0]
	}
	for step := 0; step < end-start; step++ {
		i := start + step
		if first.Desc {
			i = end - 1 - step
		}
		v, id := at(i)
		if step > 0 && resource.CompareValues(v, groupValue) != 0 {
			flush()
			if len(out) >= want {
				return out, true
			}
		}
		groupValue = v
		if e := t.records[id]; m.match(e) {
			group = append(group, e)
		}
	}
	flush()
	return out, true
}

// countRows returns how many entries match q's deletion mode and filter.
func (t *table) countRows(q *resource.Query) (int, int64) {
	m := &matcher{t: t, q: q, keys: sortKeys(q)}
	n := 0
	if c, ok := t.indexCandidates(q.Filter); ok {
		for _, id := range c.ids {
			if m.match(t.records[id]) {
				n++
			}
		}
		return n, m.examined
	}
	if q.Filter == nil {
		switch {
		case q.OnlyDeleted:
			return len(t.ids) - t.live, 0
		case q.IncludeDeleted:
			return len(t.ids), 0
		}
		return t.live, 0
	}
	for _, id := range t.ids {
		if m.match(t.records[id]) {
			n++
		}
	}
	return n, m.examined
}

// topK keeps the first k rows in sort order (every row when k is 0),
// with a heap of size k, so that a limited list does not sort every
// matching row.
type topK struct {
	t    *table
	keys []filter.SortKey
	k    int
	rows []*entry // a max-heap (worst row on top) when k > 0
}

// newTopK returns an empty selection of the first k rows.
func newTopK(t *table, keys []filter.SortKey, k int) *topK {
	return &topK{t: t, keys: keys, k: k}
}

func (h *topK) Len() int           { return len(h.rows) }
func (h *topK) Less(i, j int) bool { return h.t.compareRows(h.rows[i], h.rows[j], h.keys) > 0 }
func (h *topK) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *topK) Push(x any)         { h.rows = append(h.rows, x.(*entry)) }
func (h *topK) Pop() any {
	last := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return last
}

// add offers a row.
func (h *topK) add(e *entry) {
	switch {
	case h.k == 0:
		h.rows = append(h.rows, e)
	case len(h.rows) < h.k:
		heap.Push(h, e)
	case h.t.compareRows(e, h.rows[0], h.keys) < 0:
		h.rows[0] = e
		heap.Fix(h, 0)
	}
}

// sorted returns the kept rows in sort order.
func (h *topK) sorted() []*entry {
	slices.SortFunc(h.rows, func(a, b *entry) int { return h.t.compareRows(a, b, h.keys) })
	return h.rows
}
