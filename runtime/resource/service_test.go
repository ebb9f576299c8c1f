package resource

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/filter"
)

func TestNoun(t *testing.T) {
	tests := []struct{ name, kind, want string }{
		{name: "one word", kind: "Author", want: "author"},
		{name: "two words", kind: "BlogPost", want: "blog post"},
		{name: "initialism first", kind: "HTTPLog", want: "http log"},
		{name: "initialism last", kind: "UserID", want: "user id"},
		{name: "digits", kind: "Page2Item", want: "page2 item"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := noun(&Kind{Name: tt.kind}); got != tt.want {
				t.Fatalf("noun(%s) = %q, want %q", tt.kind, got, tt.want)
			}
		})
	}
}

func TestParseRevision(t *testing.T) {
	tests := []struct {
		name, id, rev string
		want          int
		ok            bool
	}{
		{name: "number", id: "a", rev: "3", want: 3, ok: true},
		{name: "full id", id: "a", rev: "a:3", want: 3, ok: true},
		{name: "id with colons", id: "x:y", rev: "x:y:12", want: 12, ok: true},
		{name: "other resource", id: "a", rev: "b:3"},
		{name: "zero", id: "a", rev: "0"},
		{name: "negative", id: "a", rev: "-3"},
		{name: "plus", id: "a", rev: "+3"},
		{name: "empty", id: "a", rev: ""},
		{name: "empty number", id: "a", rev: "a:"},
		{name: "text", id: "a", rev: "three"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := ParseRevision(tt.id, tt.rev)
			if n != tt.want || ok != tt.ok {
				t.Fatalf("ParseRevision(%q, %q) = %d, %v; want %d, %v", tt.id, tt.rev, n, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestETagAndIfMatch(t *testing.T) {
	stable := &RevisionInfo{RevisionID: "a:2", Status: StatusStable, DataHash: DataHash([]byte(`{}`))}
	draft := &RevisionInfo{RevisionID: "a:2", Status: StatusDraft, DataHash: DataHash([]byte(`{}`))}
	// sha256("{}") = 44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a
	if got := ETag(stable); got != `"a:2"` {
		t.Fatalf("ETag(stable) = %s", got)
	}
	if got := ETag(draft); got != `"a:2+44136fa355b3"` {
		t.Fatalf("ETag(draft) = %s", got)
	}
	tests := []struct {
		name   string
		header string
		info   *RevisionInfo
		want   bool
	}{
		{name: "star", header: "*", info: stable, want: true},
		{name: "quoted", header: `"a:2"`, info: stable, want: true},
		{name: "bare", header: `a:2`, info: stable, want: true},
		{name: "list", header: `"a:1", "a:2"`, info: stable, want: true},
		{name: "weak", header: `W/"a:2"`, info: stable},
		{name: "other", header: `"a:1"`, info: stable},
		{name: "draft without hash", header: `"a:2"`, info: draft},
		{name: "draft with hash", header: `"a:2+44136fa355b3"`, info: draft, want: true},
		{name: "draft with old hash", header: `"a:2+000000000000"`, info: draft},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchIfMatch(tt.header, tt.info); got != tt.want {
				t.Fatalf("matchIfMatch(%s) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestCursors(t *testing.T) {
	sort := []filter.SortKey{
		{Field: filter.FieldInfo{Name: "title", Type: filter.String}},
		{Field: filter.FieldInfo{Name: "views", Type: filter.Int}, Desc: true},
		{Field: filter.FieldInfo{Name: "rating", Type: filter.Float}},
		{Field: filter.FieldInfo{Name: "featured", Type: filter.Bool}},
		{Field: filter.FieldInfo{Name: "published_at", Type: filter.DateTime}},
		{Field: filter.FieldInfo{Name: "day", Type: filter.Date}},
		ResourceIDKey,
	}
	at := time.Date(2024, 5, 1, 8, 30, 0, 123456789, time.UTC)
	rows := []struct {
		name   string
		values []any
	}{
		{name: "every type", values: []any{"ü \"x\"", int64(-1 << 62), 2.5, true, at, "2024-05-01", "id-000001"}},
		{name: "nulls", values: []any{nil, nil, nil, nil, nil, nil, "0190b2c4-0000-7000-8000-000000000000"}},
		{name: "extreme numbers", values: []any{"", int64(1<<63 - 1), 1e300, false, time.Time{}.UTC(), "0001-01-01", "ü"}},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			c, err := encodeListCursor(tt.values, "h1")
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeListCursor(c, sort, "h1")
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if diff := cmp.Diff(tt.values, got); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
			if _, err := decodeListCursor(c, sort, "h2"); CodeOf(err) != CodeBadRequest {
				t.Fatalf("decode with another hash: %v, want a 400", err)
			}
			if _, err := decodeListCursor(c, sort[1:], "h1"); CodeOf(err) != CodeBadRequest {
				t.Fatalf("decode with fewer sort keys: %v, want a 400", err)
			}
		})
	}
	bad := []struct{ name, json string }{
		{name: "string for int", json: `{"k":["a","1",1,true,null,null,"id"],"h":"h1"}`},
		{name: "fraction for int", json: `{"k":["a",1.5,1,true,null,null,"id"],"h":"h1"}`},
		{name: "quoted float", json: `{"k":["a",1,"1",true,null,null,"id"],"h":"h1"}`},
		{name: "bad time", json: `{"k":["a",1,1,true,"yesterday",null,"id"],"h":"h1"}`},
		{name: "null id", json: `{"k":["a",1,1,true,null,null,null],"h":"h1"}`},
		{name: "empty id", json: `{"k":["a",1,1,true,null,null,""],"h":"h1"}`},
		{name: "not json", json: `{"k":`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := base64.RawURLEncoding.EncodeToString([]byte(tt.json))
			if _, err := decodeListCursor(c, sort, "h1"); CodeOf(err) != CodeBadRequest {
				t.Fatalf("decode(%s) = %v, want a 400", tt.json, err)
			}
		})
	}
	for _, n := range []int{1, 42, 1 << 40} {
		got, err := decodeRevisionCursor(encodeRevisionCursor(n))
		if err != nil || got != n {
			t.Fatalf("revision cursor round trip of %d = %d, %v", n, got, err)
		}
	}
}
