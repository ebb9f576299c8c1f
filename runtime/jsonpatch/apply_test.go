package jsonpatch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// assertJSONEqual fails when got and want are not semantically equal JSON.
func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	g, err := decode(got)
	if err != nil {
		t.Fatalf("result %s is not JSON: %v", got, err)
	}
	w, err := decode([]byte(want))
	if err != nil {
		t.Fatalf("bad test: want %s is not JSON: %v", want, err)
	}
	if !equal(g, w) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestApplyRFC6902 runs the examples of RFC 6902 Appendix A.
func TestApplyRFC6902(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		patch   string
		want    string
		wantErr error
	}{
		{name: "A.1 adding an object member", doc: `{"foo":"bar"}`,
			patch: `[{"op":"add","path":"/baz","value":"qux"}]`, want: `{"baz":"qux","foo":"bar"}`},
		{name: "A.2 adding an array element", doc: `{"foo":["bar","baz"]}`,
			patch: `[{"op":"add","path":"/foo/1","value":"qux"}]`, want: `{"foo":["bar","qux","baz"]}`},
		{name: "A.3 removing an object member", doc: `{"baz":"qux","foo":"bar"}`,
			patch: `[{"op":"remove","path":"/baz"}]`, want: `{"foo":"bar"}`},
		{name: "A.4 removing an array element", doc: `{"foo":["bar","qux","baz"]}`,
			patch: `[{"op":"remove","path":"/foo/1"}]`, want: `{"foo":["bar","baz"]}`},
		{name: "A.5 replacing a value", doc: `{"baz":"qux","foo":"bar"}`,
			patch: `[{"op":"replace","path":"/baz","value":"boo"}]`, want: `{"baz":"boo","foo":"bar"}`},
		{name: "A.6 moving a value", doc: `{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}`,
			patch: `[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]`,
			want:  `{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}`},
		{name: "A.7 moving an array element", doc: `{"foo":["all","grass","cows","eat"]}`,
			patch: `[{"op":"move","from":"/foo/1","path":"/foo/3"}]`, want: `{"foo":["all","cows","eat","grass"]}`},
		{name: "A.8 testing a value: success", doc: `{"baz":"qux","foo":["a",2,"c"]}`,
			patch: `[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]`,
			want:  `{"baz":"qux","foo":["a",2,"c"]}`},
		{name: "A.9 testing a value: error", doc: `{"baz":"qux"}`,
			patch: `[{"op":"test","path":"/baz","value":"bar"}]`, wantErr: ErrTestFailed},
		{name: "A.10 adding a nested member object", doc: `{"foo":"bar"}`,
			patch: `[{"op":"add","path":"/child","value":{"grandchild":{}}}]`,
			want:  `{"foo":"bar","child":{"grandchild":{}}}`},
		{name: "A.11 ignoring unrecognized elements", doc: `{"foo":"bar"}`,
			patch: `[{"op":"add","path":"/baz","value":"qux","xyz":123}]`, want: `{"foo":"bar","baz":"qux"}`},
		{name: "A.12 adding to a nonexistent target", doc: `{"foo":"bar"}`,
			patch: `[{"op":"add","path":"/baz/bat","value":"qux"}]`, wantErr: ErrPathNotFound},
		{name: "A.13 invalid JSON patch document", doc: `{"foo":"bar"}`,
			patch: `[{"op":"add","path":"/baz","value":"qux","op":"remove"}]`, wantErr: ErrInvalidPatch},
		{name: "A.14 ~ escape ordering", doc: `{"/":9,"~1":10}`,
			patch: `[{"op":"test","path":"/~01","value":10}]`, want: `{"/":9,"~1":10}`},
		{name: "A.15 comparing strings and numbers", doc: `{"/":9,"~1":10}`,
			patch: `[{"op":"test","path":"/~01","value":"10"}]`, wantErr: ErrTestFailed},
		{name: "A.16 adding an array value", doc: `{"foo":["bar"]}`,
			patch: `[{"op":"add","path":"/foo/-","value":["abc","def"]}]`, want: `{"foo":["bar",["abc","def"]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(json.RawMessage(tt.doc), []byte(tt.patch))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Apply error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			assertJSONEqual(t, got, tt.want)
		})
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		patch string
		want  string
	}{
		{name: "empty patch", doc: `{"a":1}`, patch: `[]`, want: `{"a":1}`},
		{name: "add replaces existing member", doc: `{"a":1}`,
			patch: `[{"op":"add","path":"/a","value":2}]`, want: `{"a":2}`},
		{name: "add null value", doc: `{}`, patch: `[{"op":"add","path":"/a","value":null}]`, want: `{"a":null}`},
		{name: "add at root replaces document", doc: `{"a":1}`,
			patch: `[{"op":"add","path":"","value":[1]}]`, want: `[1]`},
		{name: "add appends at array length", doc: `[1,2]`, patch: `[{"op":"add","path":"/2","value":3}]`, want: `[1,2,3]`},
		{name: "add at index 0", doc: `[1,2]`, patch: `[{"op":"add","path":"/0","value":0}]`, want: `[0,1,2]`},
		{name: "add empty key", doc: `{}`, patch: `[{"op":"add","path":"/","value":1}]`, want: `{"":1}`},
		{name: "add into nested array", doc: `{"a":{"b":[1]}}`,
			patch: `[{"op":"add","path":"/a/b/-","value":2}]`, want: `{"a":{"b":[1,2]}}`},
		{name: "remove last array element", doc: `{"a":[1,2,3]}`,
			patch: `[{"op":"remove","path":"/a/2"}]`, want: `{"a":[1,2]}`},
		{name: "remove nested member", doc: `{"a":{"b":1,"c":2}}`,
			patch: `[{"op":"remove","path":"/a/b"}]`, want: `{"a":{"c":2}}`},
		{name: "replace root", doc: `{"a":1}`, patch: `[{"op":"replace","path":"","value":"x"}]`, want: `"x"`},
		{name: "replace array element", doc: `[1,2,3]`,
			patch: `[{"op":"replace","path":"/1","value":{"x":1}}]`, want: `[1,{"x":1},3]`},
		{name: "move to same location", doc: `{"a":1}`,
			patch: `[{"op":"move","from":"/a","path":"/a"}]`, want: `{"a":1}`},
		{name: "move array element backwards", doc: `[1,2,3]`,
			patch: `[{"op":"move","from":"/2","path":"/0"}]`, want: `[3,1,2]`},
		{name: "move to array end", doc: `{"a":[1,2],"b":3}`,
			patch: `[{"op":"move","from":"/b","path":"/a/-"}]`, want: `{"a":[1,2,3]}`},
		{name: "copy is deep", doc: `{"a":{"x":1}}`,
			patch: `[{"op":"copy","from":"/a","path":"/b"},{"op":"replace","path":"/b/x","value":2}]`,
			want:  `{"a":{"x":1},"b":{"x":2}}`},
		{name: "copy root into member", doc: `{"a":1}`,
			patch: `[{"op":"copy","from":"","path":"/b"}]`, want: `{"a":1,"b":{"a":1}}`},
		{name: "test numbers numerically", doc: `{"a":1.0,"b":100}`,
			patch: `[{"op":"test","path":"/a","value":1},{"op":"test","path":"/b","value":1e2}]`,
			want:  `{"a":1.0,"b":100}`},
		{name: "test object ignores key order", doc: `{"a":{"x":1,"y":[true,null]}}`,
			patch: `[{"op":"test","path":"/a","value":{"y":[true,null],"x":1}}]`,
			want:  `{"a":{"x":1,"y":[true,null]}}`},
		{name: "test root", doc: `[1]`, patch: `[{"op":"test","path":"","value":[1]}]`, want: `[1]`},
		{name: "large integers survive", doc: `{"n":12345678901234567890123}`,
			patch: `[{"op":"add","path":"/m","value":98765432109876543210}]`,
			want:  `{"n":12345678901234567890123,"m":98765432109876543210}`},
		{name: "operations apply in order", doc: `{}`,
			patch: `[{"op":"add","path":"/a","value":[]},{"op":"add","path":"/a/-","value":1},{"op":"add","path":"/a/0","value":0}]`,
			want:  `{"a":[0,1]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(json.RawMessage(tt.doc), []byte(tt.patch))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			assertJSONEqual(t, got, tt.want)
		})
	}
}

func TestApplyLargeIntegersVerbatim(t *testing.T) {
	got, err := Apply(json.RawMessage(`{"n":12345678901234567890123}`), []byte(`[]`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"n":12345678901234567890123}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestApplyErrors(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		patch   string
		wantErr error
		wantMsg string // substring of the error message
	}{
		{name: "patch not JSON", doc: `{}`, patch: `[`, wantErr: ErrInvalidPatch},
		{name: "patch not an array", doc: `{}`, patch: `{"op":"add"}`, wantErr: ErrInvalidPatch, wantMsg: "must be a JSON array"},
		{name: "trailing data", doc: `{}`, patch: `[] []`, wantErr: ErrInvalidPatch},
		{name: "operation not an object", doc: `{}`, patch: `[1]`, wantErr: ErrInvalidPatch, wantMsg: "operation 0"},
		{name: "missing op", doc: `{}`, patch: `[{"path":"/a"}]`, wantErr: ErrInvalidPatch, wantMsg: `missing member "op"`},
		{name: "op not a string", doc: `{}`, patch: `[{"op":1,"path":"/a"}]`, wantErr: ErrInvalidPatch, wantMsg: `"op" must be a string`},
		{name: "unknown op", doc: `{}`, patch: `[{"op":"append","path":"/a"}]`, wantErr: ErrInvalidPatch, wantMsg: `unknown op "append"`},
		{name: "missing path", doc: `{}`, patch: `[{"op":"remove"}]`, wantErr: ErrInvalidPatch, wantMsg: `missing member "path"`},
		{name: "missing value", doc: `{}`, patch: `[{"op":"add","path":"/a"}]`, wantErr: ErrInvalidPatch, wantMsg: `missing member "value"`},
		{name: "missing from", doc: `{}`, patch: `[{"op":"copy","path":"/a"}]`, wantErr: ErrInvalidPatch, wantMsg: `missing member "from"`},
		{name: "pointer without slash", doc: `{"a":1}`, patch: `[{"op":"remove","path":"a"}]`, wantErr: ErrInvalidPatch, wantMsg: `does not start with "/"`},
		{name: "bad escape", doc: `{"a":1}`, patch: `[{"op":"remove","path":"/a~2"}]`, wantErr: ErrInvalidPatch, wantMsg: "invalid ~ escape"},
		{name: "trailing tilde", doc: `{"a":1}`, patch: `[{"op":"remove","path":"/a~"}]`, wantErr: ErrInvalidPatch},
		{name: "move into own child", doc: `{"a":{}}`, patch: `[{"op":"move","from":"/a","path":"/a/b"}]`, wantErr: ErrInvalidPatch, wantMsg: "own child"},
		{name: "remove root", doc: `{}`, patch: `[{"op":"remove","path":""}]`, wantErr: ErrInvalidPatch},
		{name: "malformed later op rejects whole patch", doc: `{}`,
			patch: `[{"op":"add","path":"/a","value":1},{"op":"bad","path":"/b"}]`, wantErr: ErrInvalidPatch, wantMsg: `operation 1 (bad "/b")`},
		{name: "remove missing member", doc: `{"a":1}`, patch: `[{"op":"remove","path":"/b"}]`, wantErr: ErrPathNotFound, wantMsg: `operation 0 (remove "/b")`},
		{name: "replace missing member", doc: `{"a":1}`, patch: `[{"op":"replace","path":"/b","value":1}]`, wantErr: ErrPathNotFound},
		{name: "test missing member", doc: `{}`, patch: `[{"op":"test","path":"/b","value":null}]`, wantErr: ErrPathNotFound},
		{name: "add index past end", doc: `[1]`, patch: `[{"op":"add","path":"/2","value":1}]`, wantErr: ErrPathNotFound, wantMsg: "out of range"},
		{name: "remove index equal to length", doc: `[1]`, patch: `[{"op":"remove","path":"/1"}]`, wantErr: ErrPathNotFound},
		{name: "remove dash", doc: `[1]`, patch: `[{"op":"remove","path":"/-"}]`, wantErr: ErrPathNotFound},
		{name: "replace dash", doc: `[1]`, patch: `[{"op":"replace","path":"/-","value":2}]`, wantErr: ErrPathNotFound},
		{name: "leading zero index", doc: `[1,2]`, patch: `[{"op":"remove","path":"/01"}]`, wantErr: ErrPathNotFound, wantMsg: "not an array index"},
		{name: "negative index", doc: `[1,2]`, patch: `[{"op":"remove","path":"/-1"}]`, wantErr: ErrPathNotFound},
		{name: "huge index", doc: `[1,2]`, patch: `[{"op":"add","path":"/99999999999999999999999","value":1}]`, wantErr: ErrPathNotFound},
		{name: "index into scalar", doc: `{"a":1}`, patch: `[{"op":"add","path":"/a/b","value":1}]`, wantErr: ErrPathNotFound},
		{name: "move from missing", doc: `{}`, patch: `[{"op":"move","from":"/x","path":"/y"}]`, wantErr: ErrPathNotFound, wantMsg: "from:"},
		{name: "copy from missing", doc: `{}`, patch: `[{"op":"copy","from":"/x","path":"/y"}]`, wantErr: ErrPathNotFound},
		{name: "test type mismatch", doc: `{"a":null}`, patch: `[{"op":"test","path":"/a","value":false}]`, wantErr: ErrTestFailed, wantMsg: `operation 0 (test "/a")`},
		{name: "failure after successful ops", doc: `{"a":1}`,
			patch: `[{"op":"remove","path":"/a"},{"op":"test","path":"/a","value":1}]`, wantErr: ErrPathNotFound, wantMsg: "operation 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(json.RawMessage(tt.doc), []byte(tt.patch))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Apply = %s, %v; want error %v", got, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("Apply returned a result with an error: %s", got)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestApplyCopyBudget(t *testing.T) {
	// Each copy of the root doubles the document: 2^40 values unless
	// stopped.
	var b strings.Builder
	b.WriteString(`[{"op":"add","path":"","value":[0]}`)
	for range 40 {
		b.WriteString(`,{"op":"copy","from":"","path":"/-"}`)
	}
	b.WriteString(`]`)
	_, err := Apply(json.RawMessage(`null`), []byte(b.String()))
	if !errors.Is(err, ErrInvalidPatch) || !strings.Contains(err.Error(), "too many values") {
		t.Fatalf("Apply = %v, want a copy budget error", err)
	}
	// A few copies of a small document stay well within the budget.
	got, err := Apply(json.RawMessage(`{"a":[1,2,3]}`), []byte(`[{"op":"copy","from":"/a","path":"/b"},{"op":"copy","from":"/a","path":"/c"}]`))
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, got, `{"a":[1,2,3],"b":[1,2,3],"c":[1,2,3]}`)
}

func TestApplyOpError(t *testing.T) {
	_, err := Apply(json.RawMessage(`{"a":[1]}`), []byte(`[{"op":"test","path":"/a","value":[1]},{"op":"replace","path":"/a/5","value":1}]`))
	var opErr *OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("error %v is not an *OpError", err)
	}
	if opErr.Index != 1 || opErr.Op != "replace" || opErr.Path != "/a/5" {
		t.Errorf("OpError = %+v, want index 1, replace /a/5", opErr)
	}
}

func TestApplyInvalidDocument(t *testing.T) {
	_, err := Apply(json.RawMessage(`{`), []byte(`[]`))
	if err == nil || errors.Is(err, ErrInvalidPatch) {
		t.Errorf("Apply on a broken document = %v, want a document error", err)
	}
}
