package sqlite

import (
	"context"
	"fmt"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

var _ resource.ShapeStore = (*Store)(nil)

// DataShapes returns the data shapes resource.MigrateData recorded, by
// table.
func (s *Store) DataShapes(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.write.QueryContext(ctx, sqlschema.SQLite.SelectShapes(""))
	if err != nil {
		return nil, fmt.Errorf("sqlite: data shapes: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]byte)
	for rows.Next() {
		var table, shape string
		if err := rows.Scan(&table, &shape); err != nil {
			return nil, fmt.Errorf("sqlite: data shapes: %w", err)
		}
		out[table] = []byte(shape)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: data shapes: %w", err)
	}
	return out, nil
}

// SetDataShape records the data shape of a table.
func (s *Store) SetDataShape(ctx context.Context, table string, shape []byte) error {
	if _, err := s.write.ExecContext(ctx, sqlschema.SQLite.SetShape(""), table, string(shape)); err != nil {
		return fmt.Errorf("sqlite: record the data shape of %s: %w", table, err)
	}
	return nil
}
