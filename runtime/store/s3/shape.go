package s3

import (
	"context"

	"github.com/specstar-go/specstar/runtime/resource"
)

var _ resource.ShapeStore = (*Store)(nil)

// DataShapes returns the data shapes the index recorded (the current data
// lives in the index, so it is what resource.MigrateData upgrades).
func (s *Store) DataShapes(ctx context.Context) (map[string][]byte, error) {
	if st, ok := s.index.(resource.ShapeStore); ok {
		return st.DataShapes(ctx)
	}
	return nil, nil
}

// SetDataShape records the data shape of a table in the index.
func (s *Store) SetDataShape(ctx context.Context, table string, shape []byte) error {
	if st, ok := s.index.(resource.ShapeStore); ok {
		return st.SetDataShape(ctx, table, shape)
	}
	return nil
}
