package filter

import (
	"errors"
	"reflect"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{name: "comparison", src: `views>=10`, want: `views >= 10`},
		{name: "every operator", src: `a=1&&b!=2&&c>3&&d>=4&&e<5&&f<=6&&g~"x"&&h!~"y"&&i^="z"`,
			want: `a = 1 && b != 2 && c > 3 && d >= 4 && e < 5 && f <= 6 && g ~ "x" && h !~ "y" && i ^= "z"`},
		{name: "or inside and keeps parentheses", src: `(a=1||b=2)&&c=3`, want: `(a = 1 || b = 2) && c = 3`},
		{name: "and inside or needs none", src: `(a=1&&b=2)||c=3`, want: `a = 1 && b = 2 || c = 3`},
		{name: "redundant parentheses go", src: `((a=1))&&((b=2))`, want: `a = 1 && b = 2`},
		{name: "not of a comparison", src: `!(a=1)`, want: `!a = 1`},
		{name: "not of or", src: `!(a=1||b=2)`, want: `!(a = 1 || b = 2)`},
		{name: "not of and", src: `!(a=1&&b=2)`, want: `!(a = 1 && b = 2)`},
		{name: "double not", src: `!(!(a=1))`, want: `!!a = 1`},
		{name: "in list", src: `s in["a" ,"b"]`, want: `s in ["a", "b"]`},
		{name: "is null", src: `a is  null||b is not   null`, want: `a is null || b is not null`},
		{name: "numbers as written", src: `a in [-1.5E+3, 0, 12345678901234567890]`, want: `a in [-1.5E+3, 0, 12345678901234567890]`},
		{name: "literals", src: `a in [true, false, null]`, want: `a in [true, false, null]`},
		{name: "strings are re-escaped", src: `t = "\u0041\/\"\\\n\t\u0001\u00e9 😀"`, want: `t = "A/\"\\\n\t\u0001é 😀"`},
		{name: "nil", src: ``, want: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, tt.src)
			got := Format(e)
			if got != tt.want {
				t.Errorf("Format(Parse(%q))\n got %s\nwant %s", tt.src, got, tt.want)
			}
			again := mustParse(t, got)
			normalize(e)
			normalize(again)
			if !reflect.DeepEqual(e, again) {
				t.Errorf("Parse(Format(e)) = %s, want %s", sexpr(again), sexpr(e))
			}
		})
	}
}

func TestFormatBuiltTrees(t *testing.T) {
	a := &Cmp{Field: Ref{Name: "a"}, Op: Eq, Value: Value{Kind: KindNumber, Num: 0.5}}
	b := &IsNull{Field: Ref{Name: "b"}}
	tests := []struct {
		name string
		e    Expr
		want string
	}{
		{name: "number without raw text", e: a, want: `a = 0.5`},
		{name: "and nested in and", e: &And{Terms: []Expr{&And{Terms: []Expr{a, b}}, b}}, want: `(a = 0.5 && b is null) && b is null`},
		{name: "or nested in or", e: &Or{Terms: []Expr{a, &Or{Terms: []Expr{a, b}}}}, want: `a = 0.5 || (a = 0.5 || b is null)`},
		{name: "string with invalid utf-8", e: &Cmp{Field: Ref{Name: "s"}, Op: Eq, Value: Value{Kind: KindString, Str: "a\xffb"}},
			want: `s = "a\ufffdb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.e); got != tt.want {
				t.Errorf("Format = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorList(t *testing.T) {
	one := &Error{Param: "filter", Pos: 3, Msg: "bad"}
	two := &Error{Param: "filter", Pos: 9, Msg: "worse"}
	tests := []struct {
		name string
		list ErrorList
		want string
	}{
		{name: "empty", list: ErrorList{}, want: "no errors"},
		{name: "one", list: ErrorList{one}, want: "filter: position 3: bad"},
		{name: "two", list: ErrorList{one, two}, want: "filter: position 3: bad (and 1 more error)"},
		{name: "three", list: ErrorList{one, two, two}, want: "filter: position 3: bad (and 2 more errors)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.list.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			var first *Error
			if len(tt.list) > 0 && (!errors.As(error(tt.list), &first) || first != one) {
				t.Errorf("errors.As found %v, want the first problem", first)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	candidates := []string{"title", "status", "views", "published_at", "address.city", "address.country"}
	tests := []struct {
		name string
		got  string
		want string
	}{
		{name: "transposition", got: "titel", want: "title"},
		{name: "missing letter", got: "vews", want: "views"},
		{name: "case", got: "STATUS", want: "status"},
		{name: "longer name allows more edits", got: "publishd_on", want: "published_at"},
		{name: "nested by last segment", got: "country", want: "address.country"},
		{name: "nested typo", got: "address.cty", want: "address.city"},
		{name: "too far", got: "body", want: ""},
		{name: "exact match is no suggestion", got: "views", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := suggest(tt.got, candidates); got != tt.want {
				t.Errorf("suggest(%q) = %q, want %q", tt.got, got, tt.want)
			}
		})
	}
}
