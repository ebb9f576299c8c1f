package memory

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// compareValues orders two field values as every backend orders them:
// null (nil) before any value, then by value: strings bytewise, numbers
// numerically, false before true, times chronologically. Values of one
// field share one type; values of different types (which validated data
// never holds) order by type so that the order stays total.
func compareValues(a, b any) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case float64:
			return cmp.Compare(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp.Compare(x, y)
		case int64:
			return cmp.Compare(x, float64(y))
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	}
	return cmp.Compare(typeRank(a), typeRank(b))
}

// typeRank orders values of different types.
func typeRank(v any) int {
	switch v.(type) {
	case bool:
		return 1
	case int64, float64:
		return 2
	case time.Time:
		return 3
	case string:
		return 4
	}
	return 5
}

// indexEntry is one (value, resource id) pair of an ordered index.
type indexEntry struct {
	value any
	id    string
}

// compareEntries orders index entries by value, then id.
func compareEntries(a, b indexEntry) int {
	if c := compareValues(a.value, b.value); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// orderedIndex is a sorted slice of the (value, id) pairs of one indexed
// field, over every record, deleted or not. Scalar fields have one entry
// per record (null values first); list fields one per distinct non-null
// element. Lookups are binary searches; an insert or a removal moves the
// tail of the slice.
type orderedIndex struct {
	entries []indexEntry
}

// insert adds (v, id).
func (x *orderedIndex) insert(v any, id string) {
	e := indexEntry{value: v, id: id}
	i, found := slices.BinarySearchFunc(x.entries, e, compareEntries)
	if !found {
		x.entries = slices.Insert(x.entries, i, e)
	}
}

// remove deletes (v, id).
func (x *orderedIndex) remove(v any, id string) {
	i, found := slices.BinarySearchFunc(x.entries, indexEntry{value: v, id: id}, compareEntries)
	if found {
		x.entries = slices.Delete(x.entries, i, i+1)
	}
}

// lower returns the position of the first entry whose value is >= v.
func (x *orderedIndex) lower(v any) int {
	i, _ := slices.BinarySearchFunc(x.entries, v, func(e indexEntry, v any) int {
		if compareValues(e.value, v) < 0 {
			return -1
		}
		return 1
	})
	return i
}

// upper returns the position of the first entry whose value is > v.
func (x *orderedIndex) upper(v any) int {
	i, _ := slices.BinarySearchFunc(x.entries, v, func(e indexEntry, v any) int {
		if compareValues(e.value, v) <= 0 {
			return -1
		}
		return 1
	})
	return i
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
		if !slices.ContainsFunc(out, func(o any) bool { return compareValues(o, e) == 0 }) {
			out = append(out, e)
		}
	}
	return out
}
