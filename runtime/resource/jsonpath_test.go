package resource

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		path   string
		want   string
		found  bool
		hasErr bool
	}{
		{name: "top level", data: `{"a":1,"b":"x"}`, path: "b", want: `"x"`, found: true},
		{name: "spaces", data: " { \"a\" : [1, {\"b\":2}] ,\n\"c\" : true } ", path: "c", want: `true`, found: true},
		{name: "array value", data: `{"a":[1,{"b":"]"}],"c":null}`, path: "a", want: `[1,{"b":"]"}]`, found: true},
		{name: "nested", data: `{"address":{"city":"Oslo","zip":"0150"}}`, path: "address.city", want: `"Oslo"`, found: true},
		{name: "deep", data: `{"a":{"b":{"c":-1.5e3}}}`, path: "a.b.c", want: `-1.5e3`, found: true},
		{name: "escaped key", data: `{"\u0061":1}`, path: "a", want: `1`, found: true},
		{name: "escaped quote in value", data: `{"a":"x\"y","b":2}`, path: "b", want: `2`, found: true},
		{name: "missing", data: `{"a":1}`, path: "b"},
		{name: "empty object", data: `{}`, path: "a"},
		{name: "through a scalar", data: `{"a":1}`, path: "a.b"},
		{name: "through null", data: `{"a":null}`, path: "a.b"},
		{name: "not an object", data: `[1]`, path: "a"},
		{name: "prefix is not a match", data: `{"ab":1}`, path: "a"},
		{name: "truncated", data: `{"a":`, path: "a", hasErr: true},
		{name: "unterminated string", data: `{"a":"x`, path: "b", hasErr: true},
		{name: "empty", data: ``, path: "a", hasErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found, err := Lookup(json.RawMessage(tt.data), tt.path)
			if (err != nil) != tt.hasErr {
				t.Fatalf("error = %v, want error %v", err, tt.hasErr)
			}
			if found != tt.found || string(got) != tt.want {
				t.Fatalf("Lookup = %s, %v; want %s, %v", got, found, tt.want, tt.found)
			}
		})
	}
}

func TestReplacePath(t *testing.T) {
	tests := []struct {
		name, data, path, value, want string
	}{
		{name: "keeps order", data: `{"z":1,"ref":"x","a":2}`, path: "ref", value: `null`, want: `{"z":1,"ref":null,"a":2}`},
		{name: "keeps spacing", data: `{ "ref" : "x" }`, path: "ref", value: `null`, want: `{ "ref" : null }`},
		{name: "nested", data: `{"o":{"ref":"x"},"ref":"y"}`, path: "o.ref", value: `null`, want: `{"o":{"ref":null},"ref":"y"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := replacePath(json.RawMessage(tt.data), tt.path, []byte(tt.value))
			if err != nil || !ok || string(got) != tt.want {
				t.Fatalf("replacePath = %s, %v, %v; want %s", got, ok, err, tt.want)
			}
		})
	}
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,"x",{"c":null}]},"d":"e"}`, `{"\u0061":"\"}"}`, `[]`, `{`} {
		f.Add(s, "a")
	}
	f.Fuzz(func(t *testing.T, data, key string) {
		got, found, err := Lookup(json.RawMessage(data), key)
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(data), &m) != nil || m == nil || hasDot(key) {
			return // only valid objects are compared; errors are fine otherwise
		}
		if err != nil {
			t.Fatalf("Lookup(%q, %q) on a valid object: %v", data, key, err)
		}
		want, ok := m[key]
		if ok != found {
			t.Fatalf("Lookup(%q, %q) found = %v, want %v", data, key, found, ok)
		}
		if !found {
			return
		}
		var g, w any
		if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil {
			t.Fatalf("Lookup(%q, %q) = %q, not a JSON value", data, key, got)
		}
		gb, _ := json.Marshal(g)
		wb, _ := json.Marshal(w)
		if string(gb) != string(wb) && !duplicateKeys(data) {
			t.Fatalf("Lookup(%q, %q) = %s, want %s", data, key, got, want)
		}
	})
}

func hasDot(s string) bool { return strings.Contains(s, ".") }

// duplicateKeys reports whether a top-level key repeats; encoding/json keeps
// the last value, Lookup the first.
func duplicateKeys(data string) bool {
	dec := json.NewDecoder(strings.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return false
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		k, _ := tok.(string)
		if seen[k] {
			return true
		}
		seen[k] = true
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}
	return false
}
