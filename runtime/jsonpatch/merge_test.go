package jsonpatch

import (
	"encoding/json"
	"errors"
	"testing"
)

// TestMergePatchRFC7386 runs the examples of RFC 7386 Appendix A.
func TestMergePatchRFC7386(t *testing.T) {
	tests := []struct {
		name   string
		target string
		patch  string
		want   string
	}{
		{name: "replace member", target: `{"a":"b"}`, patch: `{"a":"c"}`, want: `{"a":"c"}`},
		{name: "add member", target: `{"a":"b"}`, patch: `{"b":"c"}`, want: `{"a":"b","b":"c"}`},
		{name: "remove member", target: `{"a":"b"}`, patch: `{"a":null}`, want: `{}`},
		{name: "remove one of two", target: `{"a":"b","b":"c"}`, patch: `{"a":null}`, want: `{"b":"c"}`},
		{name: "array replaced by string", target: `{"a":["b"]}`, patch: `{"a":"c"}`, want: `{"a":"c"}`},
		{name: "string replaced by array", target: `{"a":"c"}`, patch: `{"a":["b"]}`, want: `{"a":["b"]}`},
		{name: "nested merge", target: `{"a":{"b":"c"}}`, patch: `{"a":{"b":"d","c":null}}`, want: `{"a":{"b":"d"}}`},
		{name: "array replaced whole", target: `{"a":[{"b":"c"}]}`, patch: `{"a":[1]}`, want: `{"a":[1]}`},
		{name: "array target and patch", target: `["a","b"]`, patch: `["c","d"]`, want: `["c","d"]`},
		{name: "object replaced by array", target: `{"a":"b"}`, patch: `["c"]`, want: `["c"]`},
		{name: "null patch", target: `{"a":"foo"}`, patch: `null`, want: `null`},
		{name: "string patch", target: `{"a":"foo"}`, patch: `"bar"`, want: `"bar"`},
		{name: "existing null kept", target: `{"e":null}`, patch: `{"a":1}`, want: `{"e":null,"a":1}`},
		{name: "array target becomes object", target: `[1,2]`, patch: `{"a":"b","c":null}`, want: `{"a":"b"}`},
		{name: "nested null inside new member", target: `{}`, patch: `{"a":{"bb":{"ccc":null}}}`, want: `{"a":{"bb":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MergePatch(json.RawMessage(tt.target), json.RawMessage(tt.patch))
			if err != nil {
				t.Fatalf("MergePatch: %v", err)
			}
			assertJSONEqual(t, got, tt.want)
		})
	}
}

func TestMergePatchErrors(t *testing.T) {
	tests := []struct {
		name        string
		target      string
		patch       string
		wantInvalid bool // the error wraps ErrInvalidPatch
	}{
		{name: "patch not JSON", target: `{}`, patch: `{"a":`, wantInvalid: true},
		{name: "empty patch", target: `{}`, patch: ``, wantInvalid: true},
		{name: "patch trailing data", target: `{}`, patch: `{} x`, wantInvalid: true},
		{name: "target not JSON", target: `{`, patch: `{}`, wantInvalid: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := MergePatch(json.RawMessage(tt.target), json.RawMessage(tt.patch))
			if err == nil {
				t.Fatal("MergePatch succeeded, want an error")
			}
			if got := errors.Is(err, ErrInvalidPatch); got != tt.wantInvalid {
				t.Errorf("errors.Is(%v, ErrInvalidPatch) = %v, want %v", err, got, tt.wantInvalid)
			}
		})
	}
}

func TestMergePatchPreservesNumbers(t *testing.T) {
	got, err := MergePatch(json.RawMessage(`{"big":12345678901234567890,"f":1.50}`), json.RawMessage(`{"x":"<&>"}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"big":12345678901234567890,"f":1.50,"x":"<&>"}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
