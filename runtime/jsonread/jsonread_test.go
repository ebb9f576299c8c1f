package jsonread

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// record is read both by a Reader and by encoding/json in the tests.
type record struct {
	S    string          `json:"s"`
	P    *string         `json:"p"`
	N    int64           `json:"n"`
	F    *float64        `json:"f"`
	B    bool            `json:"b"`
	T    time.Time       `json:"t"`
	L    []string        `json:"l"`
	J    json.RawMessage `json:"j"`
	O    *record         `json:"o"`
	Rest map[string]int  `json:"rest"`
}

// read reads a record with r, as generated code does.
func (d *record) read(r *Reader) {
	if r.Null() || !r.Object() {
		return
	}
	for {
		key, ok := r.Key()
		if !ok {
			return
		}
		switch string(key) {
		case "s":
			if !r.Null() {
				d.S = r.String()
			}
		case "p":
			if r.Null() {
				d.P = nil
			} else {
				v := r.String()
				d.P = &v
			}
		case "n":
			if !r.Null() {
				d.N = r.Int64()
			}
		case "f":
			if r.Null() {
				d.F = nil
			} else {
				v := r.Float64()
				d.F = &v
			}
		case "b":
			if !r.Null() {
				d.B = r.Bool()
			}
		case "t":
			if !r.Null() {
				d.T = r.Time()
			}
		case "l":
			if r.Null() {
				d.L = nil
				continue
			}
			d.L = []string{}
			for r.Array(); r.Next(); {
				d.L = append(d.L, r.String())
			}
		case "j":
			d.J = r.Raw()
		case "o":
			if r.Null() {
				d.O = nil
			} else {
				d.O = new(record)
				d.O.read(r)
			}
		case "rest":
			r.Value(&d.Rest)
		default:
			r.Fail()
		}
	}
}

func TestReaderMatchesEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "every type", in: `{"s":"plain","p":"x","n":-9007199254740993,"f":1e-7,"b":true,"t":"2024-05-01T12:00:00.123456789+02:00",` +
			`"l":["a","b"],"j":{"a": [1, "x<y", null]},"o":{"s":"inner","l":[]},"rest":{"a":1}}`},
		{name: "nulls", in: `{"s":null,"p":null,"n":null,"f":null,"b":null,"t":null,"l":null,"j":null,"o":null,"rest":null}`},
		{name: "escapes and unicode", in: `{"s":"a\"b\\c\n\u00e9\ud834\udd1e","p":"ü 𝄞 <&>"}`},
		{name: "white space", in: " { \"s\" : \"x\" ,\n\t\"l\" : [ \"a\" , \"b\" ] , \"n\" : 3 } "},
		{name: "empty", in: `{}`},
		{name: "null", in: `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want, got record
			if err := json.Unmarshal([]byte(tt.in), &want); err != nil {
				t.Fatal(err)
			}
			r := New([]byte(tt.in))
			got.read(r)
			if err := r.Done(); err != nil {
				t.Fatalf("read: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReaderRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{name: "unknown key", in: `{"S":"x"}`},
		{name: "escaped key", in: `{"\u0073":"x"}`},
		{name: "fraction for an int", in: `{"n":1.5}`},
		{name: "string for a number", in: `{"f":"1"}`},
		{name: "bad time", in: `{"t":"yesterday"}`},
		{name: "trailing bytes", in: `{} x`},
		{name: "truncated", in: `{"s":"x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got record
			r := New([]byte(tt.in))
			got.read(r)
			if r.Done() == nil {
				t.Errorf("read %s: no error", tt.in)
			}
		})
	}
}
