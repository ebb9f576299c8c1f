package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ShapeField describes one field of a kind's stored data: what bringing
// data written under an earlier spec to the current one needs
// (docs/migrations.md, "Schema evolution"). Generated code fills
// Kind.Shape with one per data field, in spec order.
type ShapeField struct {
	Name string `json:"name"`
	// RenamedFrom lists the earlier names of the field (the spec's
	// renamed_from), newest first: a value stored under one of them is
	// moved to Name.
	RenamedFrom []string `json:"renamed_from,omitempty"`
	// Default is the JSON of the field's default, which data without the
	// field gets; nil for none (null).
	Default json.RawMessage `json:"default,omitempty"`
	// Fields are the members of a nested object (of each element of a
	// list of objects when List is set); nil for other fields, whose
	// values are kept as stored.
	Fields []ShapeField `json:"fields,omitempty"`
	List   bool         `json:"list,omitempty"`
}

// Reshape returns data (a JSON object) with exactly the fields of shape,
// in shape order: a missing field gets its default (or null), a field
// stored under an earlier name (RenamedFrom) is moved to its name, and
// members the shape does not have (removed fields) are dropped; nested
// objects and lists of objects are reshaped alike. Values are copied as
// stored, so canonical data stays canonical: the result is what the
// generated code would encode for the same content. Data that is not an
// object is returned as is.
func Reshape(shape []ShapeField, data json.RawMessage) (json.RawMessage, error) {
	var buf bytes.Buffer
	buf.Grow(len(data) + 16)
	ok, err := reshapeObject(&buf, shape, data)
	if err != nil || !ok {
		return data, err
	}
	return buf.Bytes(), nil
}

// reshapeObject writes the reshaped object to buf; it reports false,
// writing nothing, when raw is not an object.
func reshapeObject(buf *bytes.Buffer, shape []ShapeField, raw json.RawMessage) (bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return false, nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return false, err
	}
	buf.WriteByte('{')
	for i := range shape {
		f := &shape[i]
		if i > 0 {
			buf.WriteByte(',')
		}
		key, _ := json.Marshal(f.Name)
		buf.Write(key)
		buf.WriteByte(':')
		v, ok := members[f.Name]
		for _, old := range f.RenamedFrom {
			if ok {
				break
			}
			v, ok = members[old]
		}
		switch {
		case !ok && f.Default != nil:
			buf.Write(f.Default)
		case !ok:
			buf.WriteString("null")
		case f.Fields != nil && f.List:
			if err := reshapeList(buf, f.Fields, v); err != nil {
				return false, err
			}
		case f.Fields != nil:
			if ok, err := reshapeObject(buf, f.Fields, v); err != nil {
				return false, err
			} else if !ok {
				buf.Write(v)
			}
		default:
			buf.Write(v)
		}
	}
	buf.WriteByte('}')
	return true, nil
}

// reshapeList writes the list raw with each object element reshaped.
func reshapeList(buf *bytes.Buffer, shape []ShapeField, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '[' {
		buf.Write(raw)
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return err
	}
	buf.WriteByte('[')
	for i, e := range elems {
		if i > 0 {
			buf.WriteByte(',')
		}
		if ok, err := reshapeObject(buf, shape, e); err != nil {
			return err
		} else if !ok {
			buf.Write(e)
		}
	}
	buf.WriteByte(']')
	return nil
}

// Evolves reports whether stored data of k may need an upgrade on read:
// k has a Shape or an Upgrade function. Hand-built kinds have neither.
func (k *Kind) Evolves() bool { return k.Shape != nil || k.Upgrade != nil }

// UpgradeData returns data written under schema version `version` in the
// current form of k: Upgrade runs first when version is older than
// k.SchemaVersion, then Reshape with k.Shape. Data of the current form
// comes back equal (byte for byte) to what was given.
func (k *Kind) UpgradeData(version int, data json.RawMessage) (json.RawMessage, error) {
	if version < k.SchemaVersion && k.Upgrade != nil {
		old := &OldData{Version: version, Stored: data, Shaped: data}
		if k.Shape != nil {
			shaped, err := Reshape(k.Shape, data)
			if err != nil {
				return nil, fmt.Errorf("upgrade %s data: %w", k.Name, err)
			}
			old.Shaped = shaped
		}
		out, err := k.Upgrade(old)
		if err != nil {
			return nil, fmt.Errorf("upgrade %s data from schema version %d to %d: %w", k.Name, version, k.SchemaVersion, err)
		}
		data = out
	}
	if k.Shape == nil {
		return data, nil
	}
	out, err := Reshape(k.Shape, data)
	if err != nil {
		return nil, fmt.Errorf("upgrade %s data: %w", k.Name, err)
	}
	return out, nil
}

// upgradeRecord returns rec with its data in the current form of k when
// it was written under an older schema version (by an older build, or
// before MigrateData ran); otherwise rec itself. The stored record is
// not changed: the result is a copy whose Meta.SchemaVersion is the
// current one, the version of the data it holds (a write of the copy
// stores that), while Current.SchemaVersion stays the version its
// revision was written under.
func upgradeRecord(k *Kind, rec *Record) (*Record, error) {
	if rec == nil || rec.Meta.SchemaVersion >= k.SchemaVersion || !k.Evolves() {
		return rec, nil
	}
	data, err := k.UpgradeData(rec.Meta.SchemaVersion, rec.Data)
	if err != nil {
		return nil, err
	}
	cp := *rec
	cp.Data = data
	cp.Meta.SchemaVersion = k.SchemaVersion
	return &cp, nil
}

// upgradeRecords upgrades the records of a map in place (see
// upgradeRecord).
func upgradeRecords(k *Kind, recs map[string]*Record) error {
	if !k.Evolves() {
		return nil
	}
	for id, rec := range recs {
		up, err := upgradeRecord(k, rec)
		if err != nil {
			return err
		}
		recs[id] = up
	}
	return nil
}

// upgradeRevision returns rev with its data in the current form of k:
// revisions keep the bytes they were written with, so every read of one
// reshapes it (and runs Upgrade for an older schema version). Its
// RevisionInfo, SchemaVersion included, is as stored.
func upgradeRevision(k *Kind, rev *Revision) (*Revision, error) {
	if rev == nil || !k.Evolves() {
		return rev, nil
	}
	data, err := k.UpgradeData(rev.Info.SchemaVersion, rev.Data)
	if err != nil {
		return nil, err
	}
	return &Revision{Data: data, Info: rev.Info}, nil
}

// DataShape is what a backend records of a kind's data after MigrateData
// upgraded it (ShapeStore): the schema version and the fields.
type DataShape struct {
	SchemaVersion int          `json:"schema_version"`
	Fields        []ShapeField `json:"fields"`
}

// shapeFormat is the version of the upgrade rules of this package: a
// change to Reshape that changes its output changes it, so that every
// store is upgraded again.
const shapeFormat = 1

// DataShape returns the shape of k's current data, as ShapeStore records
// it.
func (k *Kind) DataShape() DataShape {
	return DataShape{SchemaVersion: k.SchemaVersion, Fields: k.Shape}
}

// encodeShape returns the JSON a ShapeStore records for d.
func encodeShape(d DataShape) []byte {
	out, _ := json.Marshal(struct {
		Format int `json:"format"`
		DataShape
	}{shapeFormat, d})
	return out
}

// decodeShape parses what a ShapeStore recorded; ok is false for a
// record of other upgrade rules (or garbage).
func decodeShape(raw []byte) (d DataShape, ok bool) {
	var v struct {
		Format int `json:"format"`
		DataShape
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Format != shapeFormat {
		return DataShape{}, false
	}
	return v.DataShape, true
}

// describeShapeChange says in words what upgrading data of shape old to
// shape new does: "adds channel (default \"web\"), renames name to title,
// drops legacy; schema version 1 to 2".
func describeShapeChange(old DataShape, ok bool, cur DataShape) string {
	if !ok {
		return "brings every record to the current fields"
	}
	var parts []string
	diffFields(&parts, "", old.Fields, cur.Fields)
	if old.SchemaVersion != cur.SchemaVersion {
		parts = append(parts, fmt.Sprintf("schema version %d to %d", old.SchemaVersion, cur.SchemaVersion))
	}
	if len(parts) == 0 {
		return "no change to the fields"
	}
	return strings.Join(parts, ", ")
}

// diffFields lists the field changes between two shapes.
func diffFields(parts *[]string, prefix string, old, cur []ShapeField) {
	had := make(map[string]*ShapeField, len(old))
	for i := range old {
		had[old[i].Name] = &old[i]
	}
	used := make(map[string]bool)
	for i := range cur {
		f := &cur[i]
		o := had[f.Name]
		if o == nil {
			for _, name := range f.RenamedFrom {
				if o = had[name]; o != nil {
					*parts = append(*parts, fmt.Sprintf("renames %s%s to %s%s", prefix, name, prefix, f.Name))
					break
				}
			}
		}
		if o == nil {
			what := "adds " + prefix + f.Name
			if f.Default != nil {
				what += " (default " + string(f.Default) + ")"
			}
			*parts = append(*parts, what)
			continue
		}
		used[o.Name] = true
		if f.Fields != nil && o.Fields != nil {
			diffFields(parts, prefix+f.Name+".", o.Fields, f.Fields)
		}
	}
	for i := range old {
		if !used[old[i].Name] {
			*parts = append(*parts, "drops "+prefix+old[i].Name)
		}
	}
}

// ShapeStore is implemented by backends that record, per table, the data
// shape MigrateData last upgraded a kind's records to, so that each
// change is applied once (every backend of this module does). Without
// it, MigrateData upgrades every record at every call.
type ShapeStore interface {
	// DataShapes returns the recorded shapes by table.
	DataShapes(ctx context.Context) (map[string][]byte, error)
	// SetDataShape records the shape of a table's data.
	SetDataShape(ctx context.Context, table string, shape []byte) error
}

// OldData is data written under an older schema version, as Kind.Upgrade
// gets it.
type OldData struct {
	// Version is the schema version the data was written under.
	Version int
	// Stored is the data as stored.
	Stored json.RawMessage
	// Shaped is the data with today's fields (Reshape): renamed fields
	// moved, added ones with their default or null, removed ones gone.
	// Values keep their stored types.
	Shaped json.RawMessage
}

// Has reports whether the stored data has a member at a dotted path
// ("name", "address.city"), null or not.
func (o *OldData) Has(path string) bool {
	_, ok, _ := Lookup(o.Stored, path)
	return ok
}

// Get decodes the stored value at a dotted path into v, and reports
// whether it is there (false leaves v as it was).
func (o *OldData) Get(path string, v any) (bool, error) {
	raw, ok, err := Lookup(o.Stored, path)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%s: %w", path, err)
	}
	return true, nil
}

// DecodeShaped decodes o.Shaped into v, a pointer to the kind's data
// type: the fields whose name and type did not change carry over; a value
// of another type (a field whose type changed) is skipped, leaving the
// field for the upgrade function to set. Generated upgrade functions call
// it first.
func (o *OldData) DecodeShaped(v any) error {
	err := json.Unmarshal(o.Shaped, v)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return nil
	}
	return err
}
