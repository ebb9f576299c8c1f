package rest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// stdJSON is the reference: what JSON wrote before the fast encoder,
// encoding/json with HTML escaping off.
func stdJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	return buf.Bytes()
}

// fastJSON encodes v with the fast encoder, failing when it declines.
func fastJSON(t *testing.T, v any) []byte {
	t.Helper()
	out, ok, err := appendFast(nil, v)
	if !ok || err != nil {
		t.Fatalf("fast encoder declined %T: ok=%v err=%v", v, ok, err)
	}
	return out
}

// trickyStrings exercise every escaping rule of encoding/json.
var trickyStrings = []string{
	"", "plain", `quote " and backslash \`, "<script>&amp;</script>", "tab\tnew\nline\rret",
	"\b\f\x00\x01\x1f\x7f", "héllo wörld ✓ 日本語 🎉", "line\u2028sep\u2029para",
	"bad \xff\xfe utf8 \xc3", "trailing \xe2\x80", "0190f2a4-7c3e-7b7a-9d4e-0123456789ab:12",
}

// randString returns a random string mixing plain text and tricky runes.
func randString(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return trickyStrings[r.IntN(len(trickyStrings))]
	}
	var b strings.Builder
	for range r.IntN(24) {
		switch r.IntN(6) {
		case 0:
			b.WriteByte(byte(r.IntN(0x80)))
		case 1:
			b.WriteRune(rune(r.IntN(0x3000)))
		case 2:
			b.WriteByte(byte(0x80 + r.IntN(0x80)))
		default:
			b.WriteByte(byte('a' + r.IntN(26)))
		}
	}
	return b.String()
}

// randTime returns a random time in a random zone, with and without
// fractional seconds.
func randTime(r *rand.Rand) time.Time {
	t := time.Unix(r.Int64N(253402300799), 0)
	switch r.IntN(4) {
	case 0:
		t = t.Add(time.Duration(r.IntN(1e9)))
	case 1:
		t = t.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
	case 2:
		t = t.Add(time.Duration(r.IntN(1000)) * time.Microsecond * 100)
	}
	switch r.IntN(3) {
	case 0:
		return t.UTC()
	case 1:
		return t.In(time.FixedZone("x", (r.IntN(48)-24)*1800))
	}
	return t
}

// randData returns canonical JSON data as json.Marshal produces it.
func randData(t *testing.T, r *rand.Rand) json.RawMessage {
	if r.IntN(8) == 0 {
		return nil
	}
	m := map[string]any{"title": randString(r), "score": r.IntN(1000), "ok": r.IntN(2) == 0, "none": nil,
		"tags": []string{randString(r), randString(r)}, "ratio": r.Float64()}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func randStringPtr(r *rand.Rand) *string {
	if r.IntN(2) == 0 {
		return nil
	}
	s := randString(r)
	return &s
}

func randRevisionInfo(r *rand.Rand) resource.RevisionInfo {
	return resource.RevisionInfo{
		RevisionID: randString(r), ParentRevisionID: randStringPtr(r), ResourceID: randString(r),
		Number: r.IntN(100), Status: randString(r), DataHash: randString(r), SchemaVersion: r.IntN(5) - 1,
		CreatedTime: randTime(r), CreatedBy: randString(r), UpdatedTime: randTime(r), UpdatedBy: randString(r),
	}
}

func randEnvelope(t *testing.T, r *rand.Rand) *resource.Envelope {
	return &resource.Envelope{
		Data: randData(t, r),
		Meta: resource.Meta{
			ResourceID: randString(r), CurrentRevisionID: randString(r), TotalRevisionCount: r.IntN(1 << 20),
			SchemaVersion: r.IntN(10), CreatedTime: randTime(r), CreatedBy: randString(r),
			UpdatedTime: randTime(r), UpdatedBy: randString(r), IsDeleted: r.IntN(2) == 0,
		},
		RevisionInfo: randRevisionInfo(r),
	}
}

func TestFastEncoderMatchesEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		env := randEnvelope(t, r)
		if got, want := fastJSON(t, env), stdJSON(t, env); !bytes.Equal(got, want) {
			t.Fatalf("envelope %d:\n got %s\nwant %s", i, got, want)
		}
		page := &resource.Page{NextCursor: randStringPtr(r)}
		if r.IntN(4) > 0 {
			page.Items = []*resource.Envelope{}
			for range r.IntN(5) {
				page.Items = append(page.Items, randEnvelope(t, r))
			}
		}
		if r.IntN(2) == 0 {
			n := r.IntN(1000)
			page.Total = &n
		}
		if got, want := fastJSON(t, page), stdJSON(t, page); !bytes.Equal(got, want) {
			t.Fatalf("page %d:\n got %s\nwant %s", i, got, want)
		}
		revs := &resource.RevisionPage{NextCursor: randStringPtr(r)}
		if r.IntN(4) > 0 {
			revs.Items = []resource.RevisionInfo{}
			for range r.IntN(5) {
				revs.Items = append(revs.Items, randRevisionInfo(r))
			}
		}
		if got, want := fastJSON(t, revs), stdJSON(t, revs); !bytes.Equal(got, want) {
			t.Fatalf("revision page %d:\n got %s\nwant %s", i, got, want)
		}
		info := randRevisionInfo(r)
		if got, want := fastJSON(t, info), stdJSON(t, info); !bytes.Equal(got, want) {
			t.Fatalf("revision info %d:\n got %s\nwant %s", i, got, want)
		}
	}
}

func TestFastEncoderEdgeCases(t *testing.T) {
	zero := 0
	tests := []struct {
		name string
		v    any
	}{
		{name: "zero envelope", v: &resource.Envelope{}},
		{name: "nil envelope", v: (*resource.Envelope)(nil)},
		{name: "nil page", v: (*resource.Page)(nil)},
		{name: "page of nil items", v: &resource.Page{Items: []*resource.Envelope{nil, {}}}},
		{name: "page total zero", v: &resource.Page{Items: []*resource.Envelope{}, Total: &zero}},
		{name: "nil revision page", v: (*resource.RevisionPage)(nil)},
		{name: "nil revision info", v: (*resource.RevisionInfo)(nil)},
		{name: "html data", v: &resource.Envelope{Data: json.RawMessage(`{"a":"\u003c/script\u003e"}`)}},
		{name: "year 9999", v: &resource.Envelope{Meta: resource.Meta{CreatedTime: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)}}},
		{name: "offset 23:59", v: &resource.RevisionInfo{CreatedTime: time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("x", 23*3600+59*60))}},
		{name: "offset with seconds", v: &resource.RevisionInfo{CreatedTime: time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("x", -(3600+30)))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := fastJSON(t, tt.v), stdJSON(t, tt.v); !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestJSONFallsBack(t *testing.T) {
	expanded := testEnvelope(resource.StatusStable)
	expanded.Expand = map[string]any{"author": testEnvelope(resource.StatusDraft), "tags": []*resource.Envelope{}}
	tests := []struct {
		name    string
		v       any
		wantErr bool
	}{
		{name: "expand map", v: expanded},
		{name: "page with expand", v: &resource.Page{Items: []*resource.Envelope{testEnvelope(resource.StatusStable), expanded}}},
		{name: "year 10000", v: &resource.Envelope{Meta: resource.Meta{CreatedTime: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, wantErr: true},
		{name: "negative year", v: &resource.RevisionInfo{UpdatedTime: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}, wantErr: true},
		{name: "offset 24h", v: &resource.RevisionInfo{UpdatedTime: time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 24*3600))}, wantErr: true},
		{name: "other type", v: map[string]string{"html": "<&>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newContext(http.MethodGet, "/", "", "")
			err := JSON(c, http.StatusOK, tt.v)
			if tt.wantErr {
				if err == nil || rec.Body.Len() != 0 {
					t.Fatalf("JSON = %v with body %q, want an error and no body", err, rec.Body.String())
				}
				if _, stdErr := json.Marshal(tt.v); stdErr == nil {
					t.Fatalf("encoding/json accepts the value the test expects to fail")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := rec.Body.Bytes(), stdJSON(t, tt.v); !bytes.Equal(got, want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestJSONReusesBuffersSafely(t *testing.T) {
	// Responses written one after another from pooled buffers must not
	// share bytes.
	r := rand.New(rand.NewPCG(3, 4))
	var bodies [][]byte
	var envs []*resource.Envelope
	for range 50 {
		env := randEnvelope(t, r)
		c, rec := newContext(http.MethodGet, "/", "", "")
		if err := Envelope(c, http.StatusOK, env); err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, rec.Body.Bytes())
		envs = append(envs, env)
	}
	for i, env := range envs {
		if want := stdJSON(t, env); !bytes.Equal(bodies[i], want) {
			t.Fatalf("body %d changed:\n got %s\nwant %s", i, bodies[i], want)
		}
	}
}
