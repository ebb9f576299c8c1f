package filter

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // sexpr of the tree
	}{
		{name: "eq", src: `views = 5`, want: `(= views 5)`},
		{name: "ne", src: `views != 5`, want: `(!= views 5)`},
		{name: "gt", src: `views > 5`, want: `(> views 5)`},
		{name: "ge", src: `views >= 5`, want: `(>= views 5)`},
		{name: "lt", src: `views < 5`, want: `(< views 5)`},
		{name: "le", src: `views <= 5`, want: `(<= views 5)`},
		{name: "contains", src: `title ~ "go"`, want: `(~ title "go")`},
		{name: "not contains", src: `title !~ "go"`, want: `(!~ title "go")`},
		{name: "prefix", src: `title ^= "Hel"`, want: `(^= title "Hel")`},
		{name: "no spaces", src: `views>=5&&title~"go"||!featured=true`,
			want: `(or (and (>= views 5) (~ title "go")) (not (= featured true)))`},
		{name: "newlines and tabs", src: "\n\tviews\r\n>=\t5 \n&&\ttitle ~ \"go\"\n",
			want: `(and (>= views 5) (~ title "go"))`},
		{name: "and binds tighter than or", src: `a = 1 || b = 2 && c = 3`, want: `(or (= a 1) (and (= b 2) (= c 3)))`},
		{name: "and before or", src: `a = 1 && b = 2 || c = 3`, want: `(or (and (= a 1) (= b 2)) (= c 3))`},
		{name: "not binds tightest", src: `!a = 1 && b = 2`, want: `(and (not (= a 1)) (= b 2))`},
		{name: "parentheses", src: `(a = 1 || b = 2) && c = 3`, want: `(and (or (= a 1) (= b 2)) (= c 3))`},
		{name: "not of parentheses", src: `!(a = 1 || b = 2)`, want: `(not (or (= a 1) (= b 2)))`},
		{name: "double not", src: `!!a = 1`, want: `(not (not (= a 1)))`},
		{name: "redundant parentheses", src: `((a = 1))`, want: `(= a 1)`},
		{name: "and chains flatten", src: `(a = 1 && b = 2) && c = 3 && (d = 4 && e = 5)`,
			want: `(and (= a 1) (= b 2) (= c 3) (= d 4) (= e 5))`},
		{name: "or chains flatten", src: `a = 1 || (b = 2 || c = 3)`, want: `(or (= a 1) (= b 2) (= c 3))`},
		{name: "or inside and stays", src: `a = 1 && (b = 2 || c = 3)`, want: `(and (= a 1) (or (= b 2) (= c 3)))`},
		{name: "simple escapes", src: `title = "q\" b\\ s\/ \b\f\n\r\t"`, want: `(= title "q\" b\\ s/ \b\f\n\r\t")`},
		{name: "unicode escapes", src: `title = "\u00e9\u00E9 \ud83d\ude00 \u0000"`, want: `(= title "éé 😀 \x00")`},
		{name: "utf-8 literal", src: `title = "héllo 世界"`, want: `(= title "héllo 世界")`},
		{name: "empty string", src: `title = ""`, want: `(= title "")`},
		{name: "operators inside a string", src: `title = "a && b || !(c)"`, want: `(= title "a && b || !(c)")`},
		{name: "negative exponent number", src: `rating = -1.5e3`, want: `(= rating -1.5e3)`},
		{name: "zero", src: `views = 0`, want: `(= views 0)`},
		{name: "negative zero", src: `views = -0`, want: `(= views -0)`},
		{name: "exponent forms", src: `x in [1E+2, 2.5e-3, 7e0]`, want: `(in x 1E+2 2.5e-3 7e0)`},
		{name: "negative after operators", src: `views>-1 && views<=-2 && views!=-3`,
			want: `(and (> views -1) (<= views -2) (!= views -3))`},
		{name: "huge integer", src: `views = 12345678901234567890`, want: `(= views 12345678901234567890)`},
		{name: "booleans", src: `featured = true || featured = false`, want: `(or (= featured true) (= featured false))`},
		{name: "null value parses", src: `views = null`, want: `(= views null)`},
		{name: "dotted field", src: `address.city = "Paris"`, want: `(= address.city "Paris")`},
		{name: "deeply dotted field", src: `a.b_2.c = 1`, want: `(= a.b_2.c 1)`},
		{name: "underscore field", src: `_x = 1`, want: `(= _x 1)`},
		{name: "in strings", src: `status in ["draft", "published"]`, want: `(in status "draft" "published")`},
		{name: "in one value", src: `status in ["draft"]`, want: `(in status "draft")`},
		{name: "in numbers", src: `views in [1, -2, 3.5]`, want: `(in views 1 -2 3.5)`},
		{name: "in mixed literals", src: `x in[null,true,"s"]`, want: `(in x null true "s")`},
		{name: "is null", src: `body is null`, want: `(is-null body)`},
		{name: "is not null", src: `body is not null`, want: `(is-not-null body)`},
		{name: "keywords as field names", src: `in = 1 && is is null && null in [2] && not is not null && true = false`,
			want: `(and (= in 1) (is-null is) (in null 2) (is-not-null not) (= true false))`},
		{name: "empty", src: ``, want: `<nil>`},
		{name: "blank", src: " \t\r\n ", want: `<nil>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if got := sexpr(e); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestParsePositions(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Expr
	}{
		{
			name: "cmp",
			src:  `  views >= 10`,
			want: &Cmp{At: 3, Field: Ref{At: 3, Name: "views"}, Op: Ge,
				Value: Value{At: 12, Kind: KindNumber, Raw: "10", Num: 10}},
		},
		{
			name: "and or not",
			src:  `(a = "x" || !b = true) && c is not null`,
			want: &And{At: 2, Terms: []Expr{
				&Or{At: 2, Terms: []Expr{
					&Cmp{At: 2, Field: Ref{At: 2, Name: "a"}, Op: Eq, Value: Value{At: 6, Kind: KindString, Raw: `"x"`, Str: "x"}},
					&Not{At: 13, X: &Cmp{At: 14, Field: Ref{At: 14, Name: "b"}, Op: Eq,
						Value: Value{At: 18, Kind: KindBool, Raw: "true", Bool: true}}},
				}},
				&IsNull{At: 27, Field: Ref{At: 27, Name: "c"}, Not: true},
			}},
		},
		{
			name: "in",
			src:  `s in ["a\n", null, -2]`,
			want: &In{At: 1, Field: Ref{At: 1, Name: "s"}, Values: []Value{
				{At: 7, Kind: KindString, Raw: `"a\n"`, Str: "a\n"},
				{At: 14, Kind: KindNull, Raw: "null"},
				{At: 20, Kind: KindNumber, Raw: "-2", Num: -2},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the whole error text
	}{
		{name: "unterminated string", src: `title = "abc`,
			want: `filter: position 9: unterminated string: missing closing "`},
		{name: "unterminated after backslash", src: `title = "abc\`,
			want: `filter: position 13: unterminated string: missing closing "`},
		{name: "invalid escape", src: `title = "a\x"`,
			want: `filter: position 11: invalid escape "\x" in string; use \" \\ \/ \b \f \n \r \t or \uXXXX`},
		{name: "short unicode escape", src: `title = "\u12"`,
			want: `filter: position 10: invalid escape in string: \u must be followed by 4 hex digits`},
		{name: "lone high surrogate", src: `title = "\ud83d x"`,
			want: `filter: position 10: invalid escape in string: \ud83d is half of a UTF-16 surrogate pair`},
		{name: "lone low surrogate", src: `title = "\ude00"`,
			want: `filter: position 10: invalid escape in string: \ude00 is half of a UTF-16 surrogate pair`},
		{name: "control character", src: "title = \"a\nb\"",
			want: `filter: position 11: control character U+000A in string; escape it (\n, \t, \u000a)`},
		{name: "invalid utf-8 in string", src: "title = \"a\xffb\"",
			want: `filter: position 11: invalid UTF-8 byte 0xff in string`},
		{name: "invalid utf-8", src: "views = 1 \xfe",
			want: `filter: position 11: invalid UTF-8 byte 0xfe`},
		{name: "unexpected character", src: `views = $5`,
			want: `filter: position 9: unexpected character '$'`},
		{name: "unexpected non-ascii", src: `viéws = 5`,
			want: `filter: position 3: unexpected character 'é'`},
		{name: "single quotes", src: `title = 'x'`,
			want: `filter: position 9: unexpected "'"; write strings in double quotes`},
		{name: "double equals", src: `views == 5`,
			want: `filter: position 7: "==" is not an operator; use "="`},
		{name: "sql not equal", src: `views <> 5`,
			want: `filter: position 7: "<>" is not an operator; use "!="`},
		{name: "single ampersand", src: `a = 1 & b = 2`,
			want: `filter: position 7: unexpected "&"; use "&&" for and`},
		{name: "single bar", src: `a = 1 | b = 2`,
			want: `filter: position 7: unexpected "|"; use "||" for or`},
		{name: "stray token", src: `views = 5 title = "x"`,
			want: `filter: position 11: unexpected "title" after a complete condition; join conditions with && or ||`},
		{name: "stray closing paren", src: `views = 5)`,
			want: `filter: position 10: unexpected ")" after a complete condition; join conditions with && or ||`},
		{name: "missing value", src: `views =`,
			want: `filter: position 8: expected a value after "=" (a "string", a number, true, false or null), got end of filter`},
		{name: "operator instead of value", src: `views = && a = 1`,
			want: `filter: position 9: expected a value after "=" (a "string", a number, true, false or null), got "&&"`},
		{name: "unquoted string", src: `status = draft`,
			want: `filter: position 10: expected a value after "=", got "draft"; write strings in double quotes: "draft"`},
		{name: "capitalised literal", src: `featured = True`,
			want: `filter: position 12: expected a value after "=", got "True" (did you mean true?)`},
		{name: "missing operator", src: `views 5`,
			want: `filter: position 7: expected an operator after "views" (= != > >= < <= ~ !~ ^= in is), got number 5`},
		{name: "missing field", src: `= 5`,
			want: `filter: position 1: expected a condition (a field name, "!" or "("), got "="`},
		{name: "leading and", src: `&& a = 1`,
			want: `filter: position 1: expected a condition (a field name, "!" or "("), got "&&"`},
		{name: "trailing or", src: `a = 1 ||`,
			want: `filter: position 9: expected a condition (a field name, "!" or "("), got end of filter`},
		{name: "empty parentheses", src: `()`,
			want: `filter: position 2: expected a condition (a field name, "!" or "("), got ")"`},
		{name: "unclosed parenthesis", src: `(a = 1 || b = 2`,
			want: `filter: position 16: expected ")" to close the "(" at position 1, got end of filter`},
		{name: "empty in list", src: `status in []`,
			want: `filter: position 12: an "in" list needs at least one value`},
		{name: "in without bracket", src: `status in "a"`,
			want: `filter: position 11: expected "[" after "in", got string "a"`},
		{name: "in list missing comma", src: `status in ["a" "b"]`,
			want: `filter: position 16: expected "," or "]" to close the "[" at position 11, got string "b"`},
		{name: "in list trailing comma", src: `status in ["a",]`,
			want: `filter: position 16: expected a value in the "in" list (a "string", a number, true, false or null), got "]"`},
		{name: "in list unclosed", src: `status in ["a"`,
			want: `filter: position 15: expected "," or "]" to close the "[" at position 11, got end of filter`},
		{name: "is without null", src: `body is nul`,
			want: `filter: position 9: expected "null" or "not null" after "is", got "nul"`},
		{name: "is not without null", src: `body is not 5`,
			want: `filter: position 13: expected "null" or "not null" after "is", got number 5`},
		{name: "leading zero", src: `views = 01`,
			want: `filter: position 9: invalid number "01" (numbers use JSON syntax, such as 42, -1.5 or 2e3)`},
		{name: "trailing dot", src: `views = 1.`,
			want: `filter: position 9: invalid number "1." (numbers use JSON syntax, such as 42, -1.5 or 2e3)`},
		{name: "bare exponent", src: `views = 1e`,
			want: `filter: position 9: invalid number "1e" (numbers use JSON syntax, such as 42, -1.5 or 2e3)`},
		{name: "two dots", src: `views = 1.5.3`,
			want: `filter: position 9: invalid number "1.5.3" (numbers use JSON syntax, such as 42, -1.5 or 2e3)`},
		{name: "number glued to a word", src: `views = 5abc`,
			want: `filter: position 9: invalid number "5abc" (numbers use JSON syntax, such as 42, -1.5 or 2e3)`},
		{name: "lone minus", src: `views = - 5`,
			want: `filter: position 9: unexpected "-"; a negative number is written like -5`},
		{name: "number out of range", src: `rating = 1e999`,
			want: `filter: position 10: number 1e999 is out of range`},
		{name: "upper-case field", src: `Title = "x"`,
			want: `filter: position 1: invalid field name "Title": names are lower-case letters, digits and "_", dotted for nested fields, such as address.city (did you mean "title"?)`},
		{name: "empty field segment", src: `address..city = "x"`,
			want: `filter: position 1: invalid field name "address..city": names are lower-case letters, digits and "_", dotted for nested fields, such as address.city`},
		{name: "trailing dot field", src: `address. = "x"`,
			want: `filter: position 1: invalid field name "address.": names are lower-case letters, digits and "_", dotted for nested fields, such as address.city`},
		{name: "digit field segment", src: `a.1 = 2`,
			want: `filter: position 1: invalid field name "a.1": names are lower-case letters, digits and "_", dotted for nested fields, such as address.city`},
		{name: "too deep parentheses", src: strings.Repeat("(", 33) + "a = 1" + strings.Repeat(")", 33),
			want: `filter: position 33: filter nests deeper than 32 levels of "(" and "!"`},
		{name: "too deep nots", src: strings.Repeat("!", 33) + "a = 1",
			want: `filter: position 33: filter nests deeper than 32 levels of "(" and "!"`},
		{name: "too deep mixed", src: strings.Repeat("!(", 17) + "a = 1" + strings.Repeat(")", 17),
			want: `filter: position 33: filter nests deeper than 32 levels of "(" and "!"`},
		{name: "too many in values", src: "views in [" + strings.Repeat("1, ", MaxIn) + "1]",
			want: `filter: position 3011: too many values in the "in" list: at most 1000 are allowed`},
		{name: "too long", src: "title = \"" + strings.Repeat("x", MaxLength) + "\"",
			want: `filter: position 4097: filter is 4106 bytes long; at most 4096 are allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error %s", tt.src, sexpr(e), tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %s\nwant %s", tt.src, err, tt.want)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Errorf("error is %T %v, want an ErrorList of one", err, err)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{name: "32 parentheses", src: strings.Repeat("(", 32) + "a = 1" + strings.Repeat(")", 32)},
		{name: "32 nots", src: strings.Repeat("!", 32) + "a = 1"},
		{name: "1000 in values", src: "views in [" + strings.Repeat("1, ", MaxIn-1) + "1]"},
		{name: "4096 bytes", src: "title = \"" + strings.Repeat("x", MaxLength-10) + "\""},
		{name: "many terms", src: strings.Repeat("a = 1 && ", 400) + "a = 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > MaxLength {
				t.Fatalf("test source is %d bytes, over the limit", len(tt.src))
			}
			if _, err := Parse(tt.src); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestParseNumbers(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want float64
	}{
		{name: "integer", src: "42", want: 42},
		{name: "negative fraction exponent", src: "-1.5e3", want: -1500},
		{name: "upper-case exponent", src: "2E-2", want: 0.02},
		{name: "positive exponent sign", src: "1e+2", want: 100},
		{name: "underflow is zero", src: "1e-400", want: 0},
		{name: "largest float", src: "1.7976931348623157e308", want: math.MaxFloat64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse("x = " + tt.src)
			if err != nil {
				t.Fatal(err)
			}
			v := e.(*Cmp).Value
			if v.Kind != KindNumber || v.Num != tt.want || v.Raw != tt.src {
				t.Errorf("value = %+v, want number %v written %q", v, tt.want, tt.src)
			}
		})
	}
}
