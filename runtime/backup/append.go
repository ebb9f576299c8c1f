package backup

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/resource"
)

// The appenders below write the meta and the revision info of a line
// byte for byte as encoding/json would (field order, string escaping,
// RFC 3339 times with nanoseconds): an export writes one of them per
// revision, and reflection was a third of its cost. Anything they do not
// handle the way encoding/json does (a string to escape, a year outside
// 0-9999) goes through encoding/json itself. TestAppendMatchesJSON holds
// them to it.

// appendMeta appends m as json.Marshal writes it.
func appendMeta(b []byte, m *resource.Meta) (_ []byte, err error) {
	b = append(b, `{"resource_id":`...)
	b = appendString(b, m.ResourceID)
	b = append(b, `,"current_revision_id":`...)
	b = appendString(b, m.CurrentRevisionID)
	b = append(b, `,"total_revision_count":`...)
	b = strconv.AppendInt(b, int64(m.TotalRevisionCount), 10)
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendInt(b, int64(m.SchemaVersion), 10)
	b = append(b, `,"created_time":`...)
	if b, err = appendTime(b, m.CreatedTime); err != nil {
		return nil, err
	}
	b = append(b, `,"created_by":`...)
	b = appendString(b, m.CreatedBy)
	b = append(b, `,"updated_time":`...)
	if b, err = appendTime(b, m.UpdatedTime); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_by":`...)
	b = appendString(b, m.UpdatedBy)
	b = append(b, `,"is_deleted":`...)
	b = strconv.AppendBool(b, m.IsDeleted)
	return append(b, '}'), nil
}

// appendInfo appends i as json.Marshal writes it.
func appendInfo(b []byte, i *resource.RevisionInfo) (_ []byte, err error) {
	b = append(b, `{"revision_id":`...)
	b = appendString(b, i.RevisionID)
	b = append(b, `,"parent_revision_id":`...)
	if i.ParentRevisionID == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *i.ParentRevisionID)
	}
	b = append(b, `,"resource_id":`...)
	b = appendString(b, i.ResourceID)
	b = append(b, `,"status":`...)
	b = appendString(b, i.Status)
	b = append(b, `,"data_hash":`...)
	b = appendString(b, i.DataHash)
	b = append(b, `,"schema_version":`...)
	b = strconv.AppendInt(b, int64(i.SchemaVersion), 10)
	b = append(b, `,"created_time":`...)
	if b, err = appendTime(b, i.CreatedTime); err != nil {
		return nil, err
	}
	b = append(b, `,"created_by":`...)
	b = appendString(b, i.CreatedBy)
	b = append(b, `,"updated_time":`...)
	if b, err = appendTime(b, i.UpdatedTime); err != nil {
		return nil, err
	}
	b = append(b, `,"updated_by":`...)
	b = appendString(b, i.UpdatedBy)
	return append(b, '}'), nil
}

// appendString appends s as a JSON string, as json.Marshal writes it:
// ids, hashes and user names are plain ASCII and are copied as they
// are; a string with anything encoding/json escapes (quotes, controls,
// <, >, &, non-ASCII) goes through it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped), and fails where it fails (a year
// outside 0-9999, a zone offset of a day or more).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	_, off := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || off <= -24*3600 || off >= 24*3600 {
		q, err := t.MarshalJSON()
		if err != nil {
			return nil, err
		}
		return append(b, q...), nil
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}
