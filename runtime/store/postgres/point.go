package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/runtime/resource"
)

// GetRecord implements resource.PointReader: one SELECT on a pooled
// connection, one round trip, where a View costs BEGIN, SELECT and
// ROLLBACK. A single statement sees a consistent snapshot on its own.
func (s *Store) GetRecord(ctx context.Context, k *resource.Kind, id string) (*resource.Record, error) {
	ks, err := s.kind(k)
	if err != nil {
		return nil, err
	}
	if !storable(id) {
		return nil, resource.ErrNotFound
	}
	rec, err := scanRecord(s.pool.QueryRow(ctx, ks.get, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, resource.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %s %s: %w", k.Name, id, err)
	}
	return rec, nil
}
