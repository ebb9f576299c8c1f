package memory

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestOrderedIndexMatchesSortedSlice checks the skip list against a
// sorted slice under random inserts and removals: order, positions of
// values, entries at positions, walks in both directions and id ranges.
func TestOrderedIndexMatchesSortedSlice(t *testing.T) {
	tests := []struct {
		name   string
		ops    int
		values int
	}{
		{name: "few values, many duplicates", ops: 3000, values: 5},
		{name: "many values", ops: 3000, values: 1000},
		{name: "tiny", ops: 40, values: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(tt.ops)))
			x := newOrderedIndex()
			var want []indexEntry
			value := func() any {
				if r.IntN(10) == 0 {
					return nil
				}
				return int64(r.IntN(tt.values))
			}
			for op := range tt.ops {
				e := indexEntry{value: value(), id: "id" + strconv.Itoa(r.IntN(tt.values*2))}
				i, found := slices.BinarySearchFunc(want, e, compareEntries)
				if r.IntN(3) == 0 && len(want) > 0 {
					e = want[r.IntN(len(want))]
					i, found = slices.BinarySearchFunc(want, e, compareEntries)
				}
				if r.IntN(2) == 0 {
					x.insert(e.value, e.id)
					if !found {
						want = slices.Insert(want, i, e)
					}
				} else {
					x.remove(e.value, e.id)
					if found {
						want = slices.Delete(want, i, i+1)
					}
				}
				if x.len() != len(want) {
					t.Fatalf("op %d: len = %d, want %d", op, x.len(), len(want))
				}
				if op%50 != 0 {
					continue
				}
				if got := x.all(); !slices.EqualFunc(got, want, func(a, b indexEntry) bool { return compareEntries(a, b) == 0 }) {
					t.Fatalf("op %d: entries %v, want %v", op, got, want)
				}
				for i := range want {
					if got := x.at(i); compareEntries(got, want[i]) != 0 {
						t.Fatalf("op %d: at(%d) = %v, want %v", op, i, got, want[i])
					}
				}
				v := value()
				lo, _ := slices.BinarySearchFunc(want, v, func(e indexEntry, v any) int {
					if resource.CompareValues(e.value, v) < 0 {
						return -1
					}
					return 1
				})
				hi := lo
				for hi < len(want) && resource.CompareValues(want[hi].value, v) == 0 {
					hi++
				}
				if x.lower(v) != lo || x.upper(v) != hi {
					t.Fatalf("op %d: lower, upper(%v) = %d, %d, want %d, %d", op, v, x.lower(v), x.upper(v), lo, hi)
				}
				var wantIDs []string
				for _, e := range want[lo:hi] {
					wantIDs = append(wantIDs, e.id)
				}
				if got := x.appendIDs(nil, lo, hi); !slices.Equal(got, wantIDs) {
					t.Fatalf("op %d: appendIDs(%d, %d) = %v, want %v", op, lo, hi, got, wantIDs)
				}
				walk := x.walker()
				for i := len(want) - 1; i >= 0; i-- {
					if got := walk(i); compareEntries(got, want[i]) != 0 {
						t.Fatalf("op %d: walking down, entry %d = %v, want %v", op, i, got, want[i])
					}
				}
				for i := range want {
					if got := walk(i); compareEntries(got, want[i]) != 0 {
						t.Fatalf("op %d: walking up, entry %d = %v, want %v", op, i, got, want[i])
					}
				}
			}
		})
	}
}

// BenchmarkOrderedIndexInsert measures inserting into and removing from
// an index of 100k entries.
func BenchmarkOrderedIndexInsert(b *testing.B) {
	x := newOrderedIndex()
	for i := range 100_000 {
		x.insert(int64(i%1000), "seed"+strconv.Itoa(i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := "new" + strconv.Itoa(i)
		x.insert(int64(i%1000), id)
		x.remove(int64(i%1000), id)
		i++
	}
}
