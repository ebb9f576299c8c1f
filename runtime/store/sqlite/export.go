package sqlite

import (
	"database/sql"
	"encoding/json"
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
	// One set of destinations for every row, and the data scanned as
	// sql.RawBytes (a buffer reused from row to row, not a copy per
	// row): fn must not keep the revision.
	var rev resource.Revision
	var created, updated int64
	var parent sql.NullString
	var data sql.RawBytes
	i := &rev.Info
	dest := []any{&i.ResourceID, &i.RevisionID, &i.Number, &parent, &i.Status, &i.DataHash,
		&i.SchemaVersion, &created, &i.CreatedBy, &updated, &i.UpdatedBy, &data}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("sqlite: scan revisions %s: %w", k.Name, err)
		}
		// A fresh parent each row: an exporter may copy the info.
		i.ParentRevisionID = nil
		if parent.Valid {
			p := parent.String
			i.ParentRevisionID = &p
		}
		i.CreatedTime, i.UpdatedTime = fromMicros(created), fromMicros(updated)
		rev.Data = json.RawMessage(data)
		if err := fn(&rev); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: scan revisions %s: %w", k.Name, err)
	}
	return nil
}
