package resource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
)

// DataMigrationOptions configures MigrateData.
type DataMigrationOptions struct {
	// All upgrades every kind's records, even those whose recorded
	// shape is current (the server's migrate subcommand): records an
	// older build wrote meanwhile are brought up to date.
	All bool
	// Batch is the number of records upgraded per transaction (default
	// 2000).
	Batch int
	// Progress, when set, is called after each batch with the kind, the
	// records examined so far and the total (counted when the kind's
	// upgrade starts).
	Progress func(k *Kind, done, total int)
}

// DataMigration reports what MigrateData did to one kind.
type DataMigration struct {
	Kind *Kind
	// What says what the upgrade does: "adds channel (default "web"),
	// renames name to title, schema version 1 to 2".
	What     string
	Examined int // records read
	Changed  int // records whose current data was rewritten
	Took     time.Duration
}

// MigrateData brings the current data of every record of s to its kind's
// current form (Kind.UpgradeData): fields added since it was written get
// their default or null, renamed fields move, removed fields go, and data
// written under an older schema version goes through Kind.Upgrade. Call
// it after Backend.Migrate (the server does, at startup, and its migrate
// subcommand). Revisions keep the bytes they were written with and are
// upgraded when read.
//
// A kind is upgraded only when the shape its data was last upgraded to,
// which the backend records (ShapeStore), differs from the current one
// (or o.All). Records are read in resource id order, deleted ones
// included, and rewritten in batches of o.Batch per transaction; each
// record is read again inside the transaction that rewrites it, so a
// write of a running server is never lost, and a run that stops half way
// is finished by the next one (an upgrade of upgraded data changes
// nothing). A unique value that upgraded records would share stops the
// run with an error naming the kind, the field and the value.
//
// It returns one DataMigration per kind it upgraded.
func MigrateData(ctx context.Context, b Backend, s *Schema, o DataMigrationOptions) ([]DataMigration, error) {
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	store, _ := b.(ShapeStore)
	var recorded map[string][]byte
	if store != nil {
		var err error
		if recorded, err = store.DataShapes(ctx); err != nil {
			return nil, fmt.Errorf("migrate data: %w", err)
		}
	}
	var out []DataMigration
	for _, k := range s.Kinds {
		if !k.Evolves() {
			continue
		}
		cur := encodeShape(k.DataShape())
		old, had := recorded[k.Table]
		if had && bytes.Equal(old, cur) && !o.All {
			continue
		}
		prev, ok := decodeShape(old)
		m := DataMigration{Kind: k, What: describeShapeChange(prev, had && ok, k.DataShape())}
		start := time.Now()
		if err := upgradeKind(ctx, b, k, o, &m); err != nil {
			return out, fmt.Errorf("migrate data of %s: %w", k.Name, err)
		}
		if store != nil {
			if err := store.SetDataShape(ctx, k.Table, cur); err != nil {
				return out, fmt.Errorf("migrate data of %s: %w", k.Name, err)
			}
		}
		m.Took = time.Since(start)
		out = append(out, m)
	}
	return out, nil
}

// upgradeKind upgrades the records of k in batches.
func upgradeKind(ctx context.Context, b Backend, k *Kind, o DataMigrationOptions, m *DataMigration) error {
	total := 0
	err := b.View(ctx, func(r Reader) (err error) {
		total, err = r.Count(k, &Query{IncludeDeleted: true})
		return err
	})
	if err != nil {
		return err
	}
	byID := []filter.SortKey{ResourceIDKey}
	var after []any
	for {
		var last string
		var puts []*Record
		n := 0
		err := b.Update(ctx, func(w Writer) error {
			n, puts = 0, puts[:0] // a backend may run fn again
			recs, err := w.List(k, &Query{IncludeDeleted: true, Sort: byID, After: after, Limit: o.Batch})
			if err != nil || len(recs) == 0 {
				return err
			}
			ids := make([]string, len(recs))
			for i, rec := range recs {
				ids[i] = rec.Meta.ResourceID
			}
			last = ids[len(ids)-1]
			n = len(ids)
			// Read them again, locked where the backend locks reads
			// of a write transaction, so that no concurrent write is
			// overwritten with older data.
			locked, err := w.GetMany(k, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				rec := locked[id]
				if rec == nil {
					continue // purged meanwhile
				}
				data, err := k.UpgradeData(rec.Meta.SchemaVersion, rec.Data)
				if err != nil {
					return fmt.Errorf("%s %q: %w", k.Name, id, err)
				}
				if bytes.Equal(data, rec.Data) && rec.Meta.SchemaVersion >= k.SchemaVersion {
					continue
				}
				up := *rec
				up.Data = data
				up.Meta.SchemaVersion = max(rec.Meta.SchemaVersion, k.SchemaVersion)
				puts = append(puts, &up)
				if err := w.PutRecord(k, &up); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return upgradeErr(k, puts, err)
		}
		if n == 0 {
			return nil
		}
		m.Examined += n
		m.Changed += len(puts)
		after = []any{last}
		if o.Progress != nil {
			o.Progress(k, m.Examined, max(total, m.Examined))
		}
		if n < o.Batch {
			return nil
		}
	}
}

// upgradeErr explains a unique violation of an upgraded record: the
// upgrade moved or filled in a value another live record holds.
// A backend that reports it at COMMIT names the record (or not): puts
// are the records the batch wrote, the last one first suspect.
func upgradeErr(k *Kind, puts []*Record, err error) error {
	var uv *UniqueViolation
	if !errors.As(err, &uv) {
		return err
	}
	var rec *Record
	for i := len(puts) - 1; i >= 0; i-- {
		if uv.ID == "" || puts[i].Meta.ResourceID == uv.ID {
			rec = puts[i]
			break
		}
	}
	value, id := "a value", uv.ID
	if rec != nil {
		id = rec.Meta.ResourceID
		if raw, ok, _ := Lookup(rec.Data, uv.Field); ok {
			value = string(raw)
		}
	}
	return fmt.Errorf("upgraded %s %q holds %s.%s = %s, which another live %s holds: %s is unique; change one of them (or the spec) and start again",
		k.Name, id, k.Name, uv.Field, value, k.Name, uv.Field)
}
