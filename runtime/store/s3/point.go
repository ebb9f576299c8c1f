package s3

import (
	"context"

	"github.com/specstar-go/specstar/runtime/resource"
)

// GetRecord implements resource.PointReader. Records keep their current
// data inline in the index, so a point read never touches S3: it is the
// index's own point read when it has one, else a read transaction.
func (s *Store) GetRecord(ctx context.Context, k *resource.Kind, id string) (*resource.Record, error) {
	if pr, ok := s.index.(resource.PointReader); ok {
		return pr.GetRecord(ctx, k, id)
	}
	var rec *resource.Record
	err := s.index.View(ctx, func(r resource.Reader) error {
		var err error
		rec, err = r.Get(k, id)
		return err
	})
	return rec, err
}
