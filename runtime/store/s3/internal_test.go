package s3

import (
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/blob"
)

func TestCacheLRU(t *testing.T) {
	body := func(c byte) []byte { return []byte(strings.Repeat(string(c), 10)) }
	tests := []struct {
		name    string
		max     int64
		adds    []string // keys of 10-byte bodies, in order; "get:k" reads k
		present []string
		absent  []string
	}{
		{name: "keeps what fits", max: 100, adds: []string{"a", "b"}, present: []string{"a", "b"}},
		{name: "evicts the least recently added", max: 80, adds: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"},
			present: []string{"b", "i"}, absent: []string{"a"}},
		{name: "a read refreshes", max: 80, adds: []string{"a", "b", "c", "d", "e", "f", "g", "h", "get:a", "i"},
			present: []string{"a", "i"}, absent: []string{"b"}},
		{name: "too big for an eighth", max: 79, adds: []string{"a"}, absent: []string{"a"}},
		{name: "disabled", max: 0, adds: []string{"a"}, absent: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache(tt.max)
			for _, k := range tt.adds {
				if key, ok := strings.CutPrefix(k, "get:"); ok {
					c.get(key)
					continue
				}
				c.add(k, body(k[0]))
			}
			for _, k := range tt.present {
				if b, ok := c.get(k); !ok || string(b) != string(body(k[0])) {
					t.Errorf("get(%s) = %q, %v", k, b, ok)
				}
			}
			for _, k := range tt.absent {
				if _, ok := c.get(k); ok {
					t.Errorf("%s is still cached", k)
				}
			}
			if n, size := c.len(); size > tt.max || size != int64(n)*10 {
				t.Errorf("%d bodies of %d bytes in a cache of %d", n, size, tt.max)
			}
		})
	}
}

func TestCacheCopies(t *testing.T) {
	c := newCache(1 << 10)
	in := []byte(`{"a":1}`)
	c.add("k", in)
	in[0] = 'x'
	out, _ := c.get("k")
	out[1] = 'y'
	if again, _ := c.get("k"); string(again) != `{"a":1}` {
		t.Fatalf("cache shares memory with its callers: %s", again)
	}
}

func TestPointer(t *testing.T) {
	sum := hashHex([]byte("{}"))
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{name: "pointer", data: string(pointer(sum)), ok: true},
		{name: "object", data: `{"a":1}`},
		{name: "object with the prefix as a key", data: `{"s3:sha256:` + sum + `":1}`},
		{name: "short hash", data: `"s3:sha256:` + sum[:10] + `"`},
		{name: "upper-case hash", data: `"s3:sha256:` + strings.ToUpper(sum) + `"`},
		{name: "other string", data: `"hello"`},
		{name: "no closing quote", data: `"s3:sha256:` + sum},
		{name: "trailing space", data: string(pointer(sum)) + " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parsePointer([]byte(tt.data))
			if ok != tt.ok || (ok && got != sum) {
				t.Fatalf("parsePointer(%s) = %q, %v", tt.data, got, ok)
			}
		})
	}
}

func TestEscapeID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		want string
	}{
		{name: "uuid", id: "0195f0a4-5b2c-7cc3-9d5e-8f0a1b2c3d4e", want: "0195f0a4-5b2c-7cc3-9d5e-8f0a1b2c3d4e"},
		{name: "slash", id: "a/b", want: "a%2Fb"},
		{name: "dot dot", id: "..", want: "%2E."},
		{name: "leading dot", id: ".hidden", want: "%2Ehidden"},
		{name: "empty", id: "", want: "%"},
		{name: "percent", id: "%", want: "%25"},
		{name: "backslash and space", id: `a\b c`, want: "a%5Cb%20c"},
		{name: "control", id: "a\nb", want: "a%0Ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := escapeID(tt.id)
			if got != tt.want {
				t.Fatalf("escapeID(%q) = %q, want %q", tt.id, got, tt.want)
			}
			if err := blob.ValidKey("t/" + got + "/x"); err != nil {
				t.Fatalf("escaped id is not a key element: %v", err)
			}
			if back, ok := unescapeID(got); !ok || back != tt.id {
				t.Fatalf("unescapeID(%q) = %q, %v", got, back, ok)
			}
		})
	}
	for _, e := range []string{"%2e.", "a%2fb", "%zz", "a b"} {
		if _, ok := unescapeID(e); ok {
			t.Errorf("unescapeID(%q) accepted a non-canonical element", e)
		}
	}
}
