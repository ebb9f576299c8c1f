package gql

import (
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

func TestSurrogateEscape(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{name: "none", src: `mutation { createAuthor(input: {name: "Ada", email: "a@example.com"}) { id } }`},
		{name: "other escapes", src: `{ a(s: "\u00e9\n\\ud800\"") }`},
		{name: "lone high", src: `{ a(s: "x\ud800") }`, want: true},
		{name: "lone low upper case", src: `{ a(s: "\uDC00") }`, want: true},
		{name: "pair", src: `{ a(s: "\ud83d\ude00") }`, want: true},
		{name: "after an escaped quote", src: `{ a(s: "\"\ud800") }`, want: true},
		{name: "second string", src: `{ a(s: "ok", t: "\udfff") }`, want: true},
		{name: "in a comment", src: "# \"\\ud800\"\n{ a }"},
		{name: "in a block string", src: `{ a(s: """\ud800""") }`},
		{name: "after a block string", src: `{ a(s: """x\"""y""", t: "\ud800") }`, want: true},
		{name: "not a surrogate", src: `{ a(s: "\ue000\ud7ff") }`},
		{name: "unterminated", src: `{ a(s: "\ud8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := surrogateEscape(tt.src); got != tt.want {
				t.Errorf("surrogateEscape(%q) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}

func TestBodyTextError(t *testing.T) {
	if e := bodyTextError([]byte(`{"query":"{ a }","variables":{"s":"\ud83d\ude00\u0000"}}`)); e != nil {
		t.Errorf("a valid body: %v", e)
	}
	e := bodyTextError([]byte("{\"query\":\"{ a(s: \\\"\xff\\\") }\",\"variables\":{\"in\":{\"name\":\"\\ud800\"}}}"))
	if e == nil || e.Code != resource.CodeBadRequest || len(e.Fields) != 2 ||
		e.Fields[0].Field != "query" || e.Fields[1].Field != "variables.in.name" {
		t.Errorf("bodyTextError = %+v, want a BAD_REQUEST naming query and variables.in.name", e)
	}
}
