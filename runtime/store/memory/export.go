package memory

import (
	"sort"

	"github.com/specstar-go/specstar/runtime/resource"
)

var _ resource.RevisionScanner = reader{}

// ScanRevisions calls fn with every revision of the resources whose ids
// are between from and to, by id, then number ascending. fn gets the
// stored revisions themselves, without a copy: it must not change them.
func (r reader) ScanRevisions(k *resource.Kind, from, to string, fn func(*resource.Revision) error) error {
	t, err := r.s.table(k)
	if err != nil {
		return err
	}
	for i := sort.SearchStrings(t.ids, from); i < len(t.ids) && t.ids[i] <= to; i++ {
		for _, rev := range t.revisions[t.ids[i]] {
			if err := fn(rev); err != nil {
				return err
			}
		}
	}
	return nil
}
