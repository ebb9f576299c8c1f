package validate

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTextFault(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Fault
	}{
		{name: "empty", in: ``, want: FaultNone},
		{name: "ascii", in: `{"a":"b","c":[1,true,null]}`, want: FaultNone},
		{name: "utf-8", in: `{"名":"é😀"}`, want: FaultNone},
		{name: "escapes", in: `{"a":"\n\t\"\\\/\b\f\r\u0041\u00e9"}`, want: FaultNone},
		{name: "surrogate pair", in: `"\ud83d\ude00"`, want: FaultNone},
		{name: "surrogate pair upper case", in: `"\uD83D\uDE00"`, want: FaultNone},
		{name: "escaped backslash then u0000", in: `"\\u0000"`, want: FaultNone},
		{name: "escaped backslash then ud800", in: `"\\ud800"`, want: FaultNone},
		{name: "u+fffd itself", in: `"\ufffd�"`, want: FaultNone},
		{name: "noncharacter", in: `"\uffff"`, want: FaultNone},
		{name: "u0001", in: `"\u0001"`, want: FaultNone},

		{name: "nul escape", in: `{"a":"x\u0000y"}`, want: FaultNUL},
		{name: "nul in a key", in: `{"\u0000":1}`, want: FaultNUL},
		{name: "nul after escaped backslash", in: `"\\\u0000"`, want: FaultNUL},
		{name: "raw nul byte", in: "\"a\x00\"", want: FaultNUL},

		{name: "invalid bytes", in: "\"A\xff\xfeB\"", want: FaultUTF8},
		{name: "overlong slash", in: "\"\xc0\xaf\"", want: FaultUTF8},
		{name: "overlong nul", in: "\"\xc0\x80\"", want: FaultUTF8},
		{name: "encoded surrogate", in: "\"\xed\xa0\x80\"", want: FaultUTF8},
		{name: "truncated sequence", in: "\"\xe2\x82\"", want: FaultUTF8},
		{name: "beyond u+10ffff", in: "\"\xf4\x90\x80\x80\"", want: FaultUTF8},
		{name: "invalid bytes beat nul", in: "\"\\u0000\xff\"", want: FaultUTF8},

		{name: "lone high", in: `"\ud800"`, want: FaultSurrogate},
		{name: "lone low", in: `"\udc00"`, want: FaultSurrogate},
		{name: "lone low upper case", in: `"\uDFFF"`, want: FaultSurrogate},
		{name: "high then letter", in: `"\ud800A"`, want: FaultSurrogate},
		{name: "high then non-low escape", in: `"\ud800\u0041"`, want: FaultSurrogate},
		{name: "high then high", in: `"\ud800\ud800"`, want: FaultSurrogate},
		{name: "high then escaped backslash", in: `"\ud800\\udc00"`, want: FaultSurrogate},
		{name: "high at the end", in: `\ud800`, want: FaultSurrogate},
		{name: "high across strings", in: `["\ud800","\udc00"]`, want: FaultSurrogate},
		{name: "low then high", in: `"\udc00\ud800"`, want: FaultSurrogate},
		{name: "surrogate beats nul", in: `"\u0000\ud800"`, want: FaultSurrogate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TextFault([]byte(tt.in)); got != tt.want {
				t.Errorf("TextFault(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// TestTextFaultAgreesWithDecoding checks the definition: a JSON string
// without a fault decodes to exactly the text it stands for, and one with
// a malformed fault is what encoding/json rewrites.
func TestTextFaultAgreesWithDecoding(t *testing.T) {
	for _, lit := range []string{`"A\u00e9\ud83d\ude00"`, `"\ud800"`, "\"\xff\"", `"\udc00x"`, `"ok"`, `"\u0000"`} {
		var s string
		if err := json.Unmarshal([]byte(lit), &s); err != nil {
			t.Fatal(err)
		}
		rewritten := strings.Contains(s, "\uFFFD")
		if f := TextFault([]byte(lit)); f.Malformed() != rewritten {
			t.Errorf("%s: TextFault = %d, but encoding/json rewrote it: %v", lit, f, rewritten)
		}
	}
}

func TestTextProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []TextProblem
	}{
		{name: "clean", in: `{"a":"b","c":{"d":["e"]}}`},
		{name: "top-level value", in: "{\"title\":\"A\xff\xfeB\"}",
			want: []TextProblem{{Path: "title", Fault: FaultUTF8}}},
		{name: "nested value", in: `{"address":{"city":"\ud800","country":"GB"}}`,
			want: []TextProblem{{Path: "address.city", Fault: FaultSurrogate}}},
		{name: "array element", in: `{"tags":["a","b","\udc00"]}`,
			want: []TextProblem{{Path: "tags[2]", Fault: FaultSurrogate}}},
		{name: "objects in arrays", in: `{"authors":[{"name":"x"},{"name":"\u0000"}]}`,
			want: []TextProblem{{Path: "authors[1].name", Fault: FaultNUL}}},
		{name: "key with invalid bytes", in: "{\"address\":{\"ci\xfft\":\"x\"}}",
			want: []TextProblem{{Path: "address.ci\uFFFDt", Key: true, Fault: FaultUTF8}}},
		{name: "key with nul", in: `{"meta":{"a\u0000":"x"}}`,
			want: []TextProblem{{Path: "meta.a\x00", Key: true, Fault: FaultNUL}}},
		{name: "key with lone surrogate, value under it", in: `{"\ud800":{"x":"\u0000"}}`,
			want: []TextProblem{{Path: "\uFFFD", Key: true, Fault: FaultSurrogate}, {Path: "\uFFFD.x", Fault: FaultNUL}}},
		{name: "escaped key names the path", in: `{"t\u0069tle":"\u0000"}`,
			want: []TextProblem{{Path: "title", Fault: FaultNUL}}},
		{name: "several, in document order", in: "{\"b\":\"\\u0000\",\"a\":[1,\"\xc0\xaf\",{\"k\":\"\\ud800\"}],\"c\":true}",
			want: []TextProblem{{Path: "b", Fault: FaultNUL}, {Path: "a[1]", Fault: FaultUTF8}, {Path: "a[2].k", Fault: FaultSurrogate}}},
		{name: "top-level string", in: `"\u0000"`, want: []TextProblem{{Path: "", Fault: FaultNUL}}},
		{name: "white space everywhere", in: " { \"a\" : [ \"\\u0000\" , 1 ] } ",
			want: []TextProblem{{Path: "a[0]", Fault: FaultNUL}}},
		{name: "stops at a syntax error", in: `{"a":"\u0000",}"b":"\u0000"}`,
			want: []TextProblem{{Path: "a", Fault: FaultNUL}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TextProblems([]byte(tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("TextProblems(%q) =\n %+v\nwant\n %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestTextProblemMessage(t *testing.T) {
	tests := []struct {
		p    TextProblem
		want string
	}{
		{p: TextProblem{Fault: FaultNUL}, want: "must not contain the character U+0000"},
		{p: TextProblem{Fault: FaultUTF8}, want: "is not valid UTF-8"},
		{p: TextProblem{Fault: FaultSurrogate}, want: "lone UTF-16 surrogate"},
		{p: TextProblem{Fault: FaultUTF8, Key: true}, want: "the key is not valid UTF-8"},
	}
	for _, tt := range tests {
		if got := tt.p.Message(); !strings.Contains(got, tt.want) {
			t.Errorf("%+v: message %q, want it to contain %q", tt.p, got, tt.want)
		}
	}
}

// FuzzTextProblems checks that the walk never panics, on any input, and
// that on well-formed JSON it finds a problem exactly when TextFault finds
// a fault.
func FuzzTextProblems(f *testing.F) {
	for _, s := range []string{`{"a":"\u0000"}`, "[\"\xff\"]", `{"\ud800":1}`, `{"a":[1,{"b":"c"}]}`, `"\\"`, `{"a`, `[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		problems := TextProblems([]byte(in))
		if !json.Valid([]byte(in)) { // json.Valid does not check UTF-8
			return
		}
		if got, want := len(problems) > 0, TextFault([]byte(in)) != FaultNone; got != want {
			t.Fatalf("%q: TextProblems found %v, TextFault found a fault: %v", in, problems, want)
		}
	})
}

// BenchmarkTextFault measures the check every REST body and every write
// pays: a typical create body of a few short fields and a 300-byte text.
func BenchmarkTextFault(b *testing.B) {
	data := []byte(`{"title":"Item 42","category":"gamma","happened_at":"2023-04-05T06:07:08Z",` +
		`"body":"` + strings.Repeat("lorem ipsum ", 25) + `","score":42}`)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if TextFault(data) != FaultNone {
			b.Fatal("fault")
		}
	}
}
