package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

var _ resource.ShapeStore = (*Store)(nil)

// DataShapes returns the data shapes resource.MigrateData recorded, by
// table.
func (s *Store) DataShapes(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, sqlschema.Postgres.SelectShapes(s.schema))
	if err != nil {
		return nil, fmt.Errorf("postgres: data shapes: %w", err)
	}
	out := make(map[string][]byte)
	var table, shape string
	_, err = pgx.ForEachRow(rows, []any{&table, &shape}, func() error {
		out[table] = []byte(shape)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: data shapes: %w", err)
	}
	return out, nil
}

// SetDataShape records the data shape of a table.
func (s *Store) SetDataShape(ctx context.Context, table string, shape []byte) error {
	if _, err := s.pool.Exec(ctx, sqlschema.Postgres.SetShape(s.schema), table, string(shape)); err != nil {
		return fmt.Errorf("postgres: record the data shape of %s: %w", table, err)
	}
	return nil
}
