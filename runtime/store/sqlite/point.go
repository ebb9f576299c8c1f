package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/specstar-go/specstar/runtime/resource"
)

// GetRecord implements resource.PointReader: one prepared SELECT on the
// read pool, without the BEGIN and ROLLBACK of a View. A single statement
// reads a consistent snapshot of the WAL database on its own.
func (s *Store) GetRecord(ctx context.Context, k *resource.Kind, id string) (*resource.Record, error) {
	ks, err := s.kind(k)
	if err != nil {
		return nil, err
	}
	rec, err := scanRecord(ks.read.get.QueryRowContext(ctx, id).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, resource.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %s %s: %w", k.Name, id, err)
	}
	return rec, nil
}
