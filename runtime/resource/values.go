package resource

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
)

// Meta field names, as filters and sort keys name them.
const (
	FieldResourceID  = "resource_id"
	FieldCreatedTime = "created_time"
	FieldUpdatedTime = "updated_time"
	FieldCreatedBy   = "created_by"
	FieldUpdatedBy   = "updated_by"
)

// metaFields are the meta fields every kind can filter and sort on.
var metaFields = []filter.FieldInfo{
	{Name: FieldResourceID, Type: filter.String, Meta: true},
	{Name: FieldCreatedTime, Type: filter.DateTime, Meta: true},
	{Name: FieldUpdatedTime, Type: filter.DateTime, Meta: true},
	{Name: FieldCreatedBy, Type: filter.String, Meta: true},
	{Name: FieldUpdatedBy, Type: filter.String, Meta: true},
}

// ResourceIDKey is the ascending resource_id sort key, the final
// tie-break of every list order.
var ResourceIDKey = filter.SortKey{Field: metaFields[0]}

// SortValue returns the value of the scalar field f in rec, typed for
// comparisons: a string for string and date fields, int64 for int,
// float64 for float, bool for bool, a UTC time.Time for datetime, and nil
// when the value is null, absent or not of the field's type. Keyset
// bounds (Query.After) hold these values.
func SortValue(rec *Record, f filter.FieldInfo) any {
	if f.Meta {
		return metaValue(&rec.Meta, f.Name)
	}
	raw, ok, err := Lookup(rec.Data, f.Name)
	if err != nil || !ok {
		return nil
	}
	return jsonValue(raw, f.Type)
}

// FieldValue returns the value of field f in rec: SortValue for a scalar
// field; for a list field, a []any of its elements' values (elements of
// the wrong type are nil), or nil when the list is null or absent.
func FieldValue(rec *Record, f filter.FieldInfo) any {
	if !f.List {
		return SortValue(rec, f)
	}
	raw, ok, err := Lookup(rec.Data, f.Name)
	if err != nil || !ok || len(raw) == 0 || raw[0] != '[' {
		return nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil
	}
	out := make([]any, len(elems))
	for i, e := range elems {
		out[i] = jsonValue(e, f.Type)
	}
	return out
}

// metaValue returns the value of a meta field.
func metaValue(m *Meta, name string) any {
	switch name {
	case FieldResourceID:
		return m.ResourceID
	case FieldCreatedTime:
		return m.CreatedTime.UTC()
	case FieldUpdatedTime:
		return m.UpdatedTime.UTC()
	case FieldCreatedBy:
		return m.CreatedBy
	case FieldUpdatedBy:
		return m.UpdatedBy
	}
	return nil
}

// jsonValue converts one raw JSON value to the Go value of type t, or nil.
func jsonValue(raw json.RawMessage, t filter.Type) any {
	if len(raw) == 0 {
		return nil
	}
	switch t {
	case filter.String, filter.Date:
		if raw[0] != '"' {
			return nil
		}
		s, ok := jsonString(raw)
		if !ok {
			return nil
		}
		return s
	case filter.DateTime:
		if raw[0] != '"' {
			return nil
		}
		s, ok := jsonString(raw)
		if !ok {
			return nil
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil
		}
		return tm.UTC()
	case filter.Int:
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return n
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<63-1 {
			return nil
		}
		return int64(f)
	case filter.Float:
		if raw[0] == '"' || raw[0] == 'n' || raw[0] == 't' || raw[0] == 'f' || raw[0] == '[' || raw[0] == '{' {
			return nil
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil
		}
		return f
	case filter.Bool:
		switch string(raw) {
		case "true":
			return true
		case "false":
			return false
		}
	}
	return nil
}

// jsonString decodes a raw JSON string, without allocating a decoder
// when it has no escapes.
func jsonString(raw json.RawMessage) (string, bool) {
	if len(raw) >= 2 && !strings.ContainsAny(string(raw[1:len(raw)-1]), `\"`) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// LiteralValue returns the Go value of a literal checked against a field
// of type t, typed as SortValue documents; nil for a null literal.
func LiteralValue(v filter.Value, t filter.Type) any {
	if v.Kind == filter.KindNull {
		return nil
	}
	switch t {
	case filter.Int:
		return v.Int
	case filter.Float:
		return v.Num
	case filter.Bool:
		return v.Bool
	case filter.DateTime:
		return v.Time.UTC()
	}
	return v.Str
}
