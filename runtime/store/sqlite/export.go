package sqlite

import (
	"fmt"

	"github.com/specstar-go/specstar/runtime/resource"
)

var _ resource.RevisionScanner = (*txn)(nil)

// ScanRevisions calls fn with every revision of the resources whose ids
// are between from and to, by id, then number ascending: one range scan
// of the revisions table's primary key.
func (t *txn) ScanRevisions(k *resource.Kind, from, to string, fn func(*resource.Revision) error) error {
	ks, err := t.s.kind(k)
	if err != nil {
		return err
	}
	rows, err := t.tx.QueryContext(t.ctx, `SELECT `+infoColumns+`, data FROM `+ks.revs+
		` WHERE resource_id >= ? AND resource_id <= ? ORDER BY resource_id, n`, from, to)
	if err != nil {
		return fmt.Errorf("sqlite: scan revisions %s: %w", k.Name, err)
	}
	defer rows.Close()
	var rev resource.Revision
	var data []byte
	for rows.Next() {
		if err := scanInfo(&rev.Info, rows.Scan, &data); err != nil {
			return fmt.Errorf("sqlite: scan revisions %s: %w", k.Name, err)
		}
		rev.Data = data
		if err := fn(&rev); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: scan revisions %s: %w", k.Name, err)
	}
	return nil
}
