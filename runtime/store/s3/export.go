package s3

import (
	"errors"

	"github.com/specstar-go/specstar/runtime/resource"
)

var _ resource.RevisionScanner = (*reader)(nil)

// ScanRevisions calls fn with every revision of the resources whose ids
// are between from and to, by id, then number ascending: the index
// scans the rows, and each pointer is resolved to its body (from the
// cache or S3), one at a time, so memory stays bounded.
func (r *reader) ScanRevisions(k *resource.Kind, from, to string, fn func(*resource.Revision) error) error {
	scanner, ok := r.r.(resource.RevisionScanner)
	if !ok {
		return errors.New("s3: the index backend cannot scan revisions")
	}
	return scanner.ScanRevisions(k, from, to, func(rev *resource.Revision) error {
		full, err := r.resolve(k, rev, nil)
		if err != nil {
			return err
		}
		return fn(full)
	})
}
