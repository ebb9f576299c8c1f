package postgres

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/runtime/resource"
)

var _ resource.RevisionScanner = (*txn)(nil)

// ScanRevisions calls fn with every revision of the resources whose ids
// are between from and to, by id, then number ascending: one range scan
// of the revisions table's primary key (resource_id is COLLATE "C", so
// the order is byte order, as on every backend).
func (t *txn) ScanRevisions(k *resource.Kind, from, to string, fn func(*resource.Revision) error) error {
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	if !storable(from) || !storable(to) {
		return fmt.Errorf("postgres: scan revisions %s: bounds %q and %q cannot be stored ids", k.Name, from, to)
	}
	var rev resource.Revision
	var data []byte
	err = t.query(`SELECT `+infoColumns+`, data FROM `+ks.revs+
		` WHERE resource_id >= $1 AND resource_id <= $2 ORDER BY resource_id, n`, []any{from, to}, func(rows pgx.Rows) error {
		if err := scanInfo(&rev.Info, rows, &data); err != nil {
			return err
		}
		rev.Data = data
		return fn(&rev)
	})
	if err != nil {
		return fmt.Errorf("postgres: scan revisions %s: %w", k.Name, err)
	}
	return nil
}
