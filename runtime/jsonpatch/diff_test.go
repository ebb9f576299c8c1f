package jsonpatch

import (
	"encoding/json"
	"testing"
)

func TestDiff(t *testing.T) {
	tests := []struct {
		name string
		from string
		to   string
		want string // the patch, as JSON
	}{
		{name: "equal", from: `{"a":[1,{"b":null}]}`, to: `{"a":[1,{"b":null}]}`, want: `[]`},
		{name: "numerically equal numbers", from: `{"a":1}`, to: `{"a":1.0}`, want: `[]`},
		{name: "empty to object", from: `{}`, to: `{"title":"x","n":1}`,
			want: `[{"op":"add","path":"/n","value":1},{"op":"add","path":"/title","value":"x"}]`},
		{name: "sorted keys with remove add and replace", from: `{"c":1,"a":1,"b":1}`, to: `{"d":1,"b":2,"a":1}`,
			want: `[{"op":"replace","path":"/b","value":2},{"op":"remove","path":"/c"},{"op":"add","path":"/d","value":1}]`},
		{name: "nested object", from: `{"a":{"x":1,"y":2}}`, to: `{"a":{"x":1,"y":3}}`,
			want: `[{"op":"replace","path":"/a/y","value":3}]`},
		{name: "type change replaces whole", from: `{"a":{"x":1}}`, to: `{"a":[1]}`,
			want: `[{"op":"replace","path":"/a","value":[1]}]`},
		{name: "root type change", from: `{"a":1}`, to: `[1]`, want: `[{"op":"replace","path":"","value":[1]}]`},
		{name: "root scalar", from: `1`, to: `"x"`, want: `[{"op":"replace","path":"","value":"x"}]`},
		{name: "to null", from: `{"a":1}`, to: `{"a":null}`, want: `[{"op":"replace","path":"/a","value":null}]`},
		{name: "array element replaced", from: `[1,2,3]`, to: `[1,5,3]`, want: `[{"op":"replace","path":"/1","value":5}]`},
		{name: "array grows", from: `[1]`, to: `[1,2,3]`,
			want: `[{"op":"add","path":"/1","value":2},{"op":"add","path":"/2","value":3}]`},
		{name: "array shrinks from the end", from: `[1,2,3]`, to: `[1]`,
			want: `[{"op":"remove","path":"/2"},{"op":"remove","path":"/1"}]`},
		{name: "array of objects", from: `[{"a":1}]`, to: `[{"a":2}]`, want: `[{"op":"replace","path":"/0/a","value":2}]`},
		{name: "escaped keys", from: `{}`, to: `{"a/b":1,"m~n":2}`,
			want: `[{"op":"add","path":"/a~1b","value":1},{"op":"add","path":"/m~0n","value":2}]`},
		{name: "large integer kept verbatim", from: `{"n":1}`, to: `{"n":123456789012345678901234567890}`,
			want: `[{"op":"replace","path":"/n","value":123456789012345678901234567890}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := Diff(json.RawMessage(tt.from), json.RawMessage(tt.to))
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			got, err := json.Marshal(ops)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Diff(%s, %s)\n got %s\nwant %s", tt.from, tt.to, got, tt.want)
			}
			applied, err := Apply(json.RawMessage(tt.from), got)
			if err != nil {
				t.Fatalf("Apply(from, Diff): %v", err)
			}
			assertJSONEqual(t, applied, tt.to)
		})
	}
}

func TestDiffValueNotHTMLEscaped(t *testing.T) {
	ops, err := Diff(json.RawMessage(`{}`), json.RawMessage(`{"h":"<b>&</b>"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || string(ops[0].Value) != `"<b>&</b>"` {
		t.Errorf("Diff = %+v, want one add with value \"<b>&</b>\"", ops)
	}
}

func TestDiffErrors(t *testing.T) {
	tests := []struct {
		name string
		from string
		to   string
	}{
		{name: "from invalid", from: `{`, to: `{}`},
		{name: "to invalid", from: `{}`, to: `[1,]`},
		{name: "from empty", from: ``, to: `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ops, err := Diff(json.RawMessage(tt.from), json.RawMessage(tt.to)); err == nil {
				t.Errorf("Diff = %v, want an error", ops)
			}
		})
	}
}

func TestOperationMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		op   Operation
		want string
	}{
		{name: "add with value", op: Operation{Op: OpAdd, Path: "/a", Value: json.RawMessage(`{"x":1}`)},
			want: `{"op":"add","path":"/a","value":{"x":1}}`},
		{name: "add nil value is null", op: Operation{Op: OpAdd, Path: "/a"}, want: `{"op":"add","path":"/a","value":null}`},
		{name: "replace null", op: Operation{Op: OpReplace, Path: "", Value: json.RawMessage(`null`)},
			want: `{"op":"replace","path":"","value":null}`},
		{name: "test", op: Operation{Op: OpTest, Path: "/t", Value: json.RawMessage(`false`)},
			want: `{"op":"test","path":"/t","value":false}`},
		{name: "remove drops value and from", op: Operation{Op: OpRemove, Path: "/a", From: "/x", Value: json.RawMessage(`1`)},
			want: `{"op":"remove","path":"/a"}`},
		{name: "move has from only", op: Operation{Op: OpMove, Path: "/b", From: "/a", Value: json.RawMessage(`1`)},
			want: `{"op":"move","path":"/b","from":"/a"}`},
		{name: "copy from root", op: Operation{Op: OpCopy, Path: "/b", From: ""},
			want: `{"op":"copy","path":"/b","from":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.op)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			var back Operation
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if back.Op != tt.op.Op || back.Path != tt.op.Path {
				t.Errorf("round trip = %+v", back)
			}
		})
	}
}

func TestNumberEqual(t *testing.T) {
	tests := []struct {
		name string
		a, b json.Number
		want bool
	}{
		{name: "same", a: "1", b: "1", want: true},
		{name: "trailing zeros", a: "1", b: "1.000", want: true},
		{name: "exponent", a: "100", b: "1e2", want: true},
		{name: "negative exponent", a: "0.01", b: "1E-2", want: true},
		{name: "zeros", a: "0", b: "-0.0e5", want: true},
		{name: "sign", a: "1", b: "-1", want: false},
		{name: "large ints differ", a: "12345678901234567890", b: "12345678901234567891", want: false},
		{name: "different", a: "1.5", b: "15e-2", want: false},
		{name: "absurd exponent", a: "1e99999999999999999999", b: "1e99999999999999999998", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := numberEqual(tt.a, tt.b); got != tt.want {
				t.Errorf("numberEqual(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}
