package rest

import (
	"errors"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/resource"
)

// This file is the hand-written encoder of the response bodies every read
// and write returns: envelopes, list pages and revision pages. It produces
// exactly the bytes encoding/json produces for the same values with HTML
// escaping off (JSON's output), including the trailing newline, in one
// pooled buffer and without reflection.
//
// Invariant: an envelope's Data is trusted canonical JSON and is written
// verbatim. It is always produced by our own code (json.Marshal of the
// typed model, a projection of such bytes, or bytes a backend stored after
// we produced them), so it is valid and compact; encoding/json would only
// re-validate and re-compact it, which is where most of its time went.
// Anything unusual (an Expand map, a time outside RFC 3339's range) makes
// the encoder report errUnusual, and JSON falls back to encoding/json.

// errUnusual reports a value the fast encoder leaves to encoding/json.
var errUnusual = errors.New("rest: value needs encoding/json")

// maxPooledBuffer is the largest buffer returned to the pool, so that
// one huge page does not pin its memory for the life of the process.
const maxPooledBuffer = 1 << 20

// bufPool holds response buffers (*[]byte).
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 4096)
	return &b
}}

// getBuffer returns an empty pooled buffer.
func getBuffer() *[]byte {
	b := bufPool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// putBuffer returns b to the pool unless it grew too large.
func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		bufPool.Put(b)
	}
}

// appendFast appends the JSON of v followed by a newline when v is one of
// the response types the fast encoder knows, and reports whether it did.
// It returns errUnusual when v is of a known type but holds something
// only encoding/json handles; dst is then to be discarded.
func appendFast(dst []byte, v any) ([]byte, bool, error) {
	var err error
	switch v := v.(type) {
	case *resource.Envelope:
		dst, err = appendEnvelope(dst, v)
	case *resource.Page:
		dst, err = appendPage(dst, v)
	case *resource.RevisionPage:
		dst, err = appendRevisionPage(dst, v)
	case *resource.RevisionInfo:
		if v == nil {
			dst = append(dst, "null"...)
		} else {
			dst, err = appendRevisionInfo(dst, v)
		}
	case resource.RevisionInfo:
		dst, err = appendRevisionInfo(dst, &v)
	default:
		return dst, false, nil
	}
	if err != nil {
		return dst, true, err
	}
	return append(dst, '\n'), true, nil
}

// appendEnvelope appends {"data":...,"meta":...,"revision_info":...}.
func appendEnvelope(dst []byte, env *resource.Envelope) ([]byte, error) {
	if env == nil {
		return append(dst, "null"...), nil
	}
	if len(env.Expand) > 0 {
		return dst, errUnusual
	}
	dst = append(dst, `{"data":`...)
	if len(env.Data) == 0 {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, env.Data...)
	}
	dst = append(dst, `,"meta":`...)
	dst, err := appendMeta(dst, &env.Meta)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"revision_info":`...)
	if dst, err = appendRevisionInfo(dst, &env.RevisionInfo); err != nil {
		return dst, err
	}
	return append(dst, '}'), nil
}

// appendMeta appends the JSON object of m.
func appendMeta(dst []byte, m *resource.Meta) ([]byte, error) {
	var err error
	dst = append(dst, `{"resource_id":`...)
	dst = appendString(dst, m.ResourceID)
	dst = append(dst, `,"current_revision_id":`...)
	dst = appendString(dst, m.CurrentRevisionID)
	dst = append(dst, `,"total_revision_count":`...)
	dst = strconv.AppendInt(dst, int64(m.TotalRevisionCount), 10)
	dst = append(dst, `,"schema_version":`...)
	dst = strconv.AppendInt(dst, int64(m.SchemaVersion), 10)
	dst = append(dst, `,"created_time":`...)
	if dst, err = appendTime(dst, m.CreatedTime); err != nil {
		return dst, err
	}
	dst = append(dst, `,"created_by":`...)
	dst = appendString(dst, m.CreatedBy)
	dst = append(dst, `,"updated_time":`...)
	if dst, err = appendTime(dst, m.UpdatedTime); err != nil {
		return dst, err
	}
	dst = append(dst, `,"updated_by":`...)
	dst = appendString(dst, m.UpdatedBy)
	dst = append(dst, `,"is_deleted":`...)
	dst = strconv.AppendBool(dst, m.IsDeleted)
	return append(dst, '}'), nil
}

// appendRevisionInfo appends the JSON object of r (Number is not part of
// it).
func appendRevisionInfo(dst []byte, r *resource.RevisionInfo) ([]byte, error) {
	var err error
	dst = append(dst, `{"revision_id":`...)
	dst = appendString(dst, r.RevisionID)
	dst = append(dst, `,"parent_revision_id":`...)
	dst = appendStringPtr(dst, r.ParentRevisionID)
	dst = append(dst, `,"resource_id":`...)
	dst = appendString(dst, r.ResourceID)
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, r.Status)
	dst = append(dst, `,"data_hash":`...)
	dst = appendString(dst, r.DataHash)
	dst = append(dst, `,"schema_version":`...)
	dst = strconv.AppendInt(dst, int64(r.SchemaVersion), 10)
	dst = append(dst, `,"created_time":`...)
	if dst, err = appendTime(dst, r.CreatedTime); err != nil {
		return dst, err
	}
	dst = append(dst, `,"created_by":`...)
	dst = appendString(dst, r.CreatedBy)
	dst = append(dst, `,"updated_time":`...)
	if dst, err = appendTime(dst, r.UpdatedTime); err != nil {
		return dst, err
	}
	dst = append(dst, `,"updated_by":`...)
	dst = appendString(dst, r.UpdatedBy)
	return append(dst, '}'), nil
}

// appendPage appends {"items":[...],"next_cursor":...[,"total":n]}.
func appendPage(dst []byte, p *resource.Page) ([]byte, error) {
	if p == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, `{"items":`...)
	if p.Items == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, env := range p.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendEnvelope(dst, env); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"next_cursor":`...)
	dst = appendStringPtr(dst, p.NextCursor)
	if p.Total != nil {
		dst = append(dst, `,"total":`...)
		dst = strconv.AppendInt(dst, int64(*p.Total), 10)
	}
	return append(dst, '}'), nil
}

// appendRevisionPage appends {"items":[...],"next_cursor":...}.
func appendRevisionPage(dst []byte, p *resource.RevisionPage) ([]byte, error) {
	if p == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, `{"items":`...)
	if p.Items == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i := range p.Items {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendRevisionInfo(dst, &p.Items[i]); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"next_cursor":`...)
	dst = appendStringPtr(dst, p.NextCursor)
	return append(dst, '}'), nil
}

// appendTime appends t as a JSON string in the form time.Time's
// MarshalJSON uses (RFC 3339 with nanoseconds, trailing zeros trimmed).
// Times MarshalJSON rejects (a year outside [0,9999], an offset of 24
// hours or more) are errUnusual, so that encoding/json reports its own
// error.
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return dst, errUnusual
	}
	if _, off := t.Zone(); off <= -24*3600 || off >= 24*3600 {
		return dst, errUnusual
	}
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"'), nil
}

// appendStringPtr appends the JSON string *s, or null when s is nil.
func appendStringPtr(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendString(dst, *s)
}

// hexDigits are the digits of \u escapes, lowercase as encoding/json
// writes them.
const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string exactly as encoding/json does
// with HTML escaping off: '"' and '\\' escaped, control characters as
// \b, \f, \n, \r, \t or \u00XX, invalid UTF-8 as \ufffd, and U+2028 and
// U+2029 escaped for JSONP safety.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
