package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// mustParse parses src or fails the test.
func mustParse(t *testing.T, src string) Expr {
	t.Helper()
	e, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return e
}

// firstValue returns the value of a *Cmp, or the first value of an *In.
func firstValue(t *testing.T, e Expr) (Ref, Value) {
	t.Helper()
	switch e := e.(type) {
	case *Cmp:
		return e.Field, e.Value
	case *In:
		return e.Field, e.Values[0]
	case *IsNull:
		return e.Field, Value{}
	}
	t.Fatalf("expression is %T, want a comparison", e)
	return Ref{}, Value{}
}

func TestCheckValues(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(v Value) bool
	}{
		{name: "int", src: `views = 5`, check: func(v Value) bool { return v.Int == 5 }},
		{name: "negative int", src: `views > -12`, check: func(v Value) bool { return v.Int == -12 }},
		{name: "int written with an exponent", src: `views = 1e3`, check: func(v Value) bool { return v.Int == 1000 }},
		{name: "int written with a zero fraction", src: `views = 7.0`, check: func(v Value) bool { return v.Int == 7 }},
		{name: "int beyond 2^53 keeps its digits", src: `views = 9007199254740993`,
			check: func(v Value) bool { return v.Int == 9007199254740993 }},
		{name: "largest int", src: `views = 9223372036854775807`,
			check: func(v Value) bool { return v.Int == 1<<63-1 }},
		{name: "int list element", src: `scores = 3`, check: func(v Value) bool { return v.Int == 3 }},
		{name: "int with a trailing-zero fraction and an exponent", src: `views = -2.50e1`, check: func(v Value) bool { return v.Int == -25 }},
		{name: "int zero with any exponent", src: `views = 0.0e-400`, check: func(v Value) bool { return v.Int == 0 }},
		{name: "negative zero", src: `views = -0`, check: func(v Value) bool { return v.Int == 0 }},
		{name: "int beyond 2^53 with an exponent is exact", src: `views = 9.007199254740993e15`,
			check: func(v Value) bool { return v.Int == 9007199254740993 }},
		{name: "int fraction digits the exponent makes whole", src: `views = 1.000000000000000001e18`,
			check: func(v Value) bool { return v.Int == 1000000000000000001 }},
		{name: "smallest int with an exponent", src: `views = -9.223372036854775808e18`,
			check: func(v Value) bool { return v.Int == -1<<63 }},
		{name: "int with a capital E and a plus", src: `views = 12E+2`, check: func(v Value) bool { return v.Int == 1200 }},
		{name: "float from an integer", src: `rating >= 4`, check: func(v Value) bool { return v.Num == 4 }},
		{name: "float", src: `rating < -1.5e-1`, check: func(v Value) bool { return v.Num == -0.15 }},
		{name: "bool", src: `featured = true`, check: func(v Value) bool { return v.Bool }},
		{name: "bool false", src: `featured != false`, check: func(v Value) bool { return !v.Bool && v.Kind == KindBool }},
		{name: "string", src: `title ^= "Hel"`, check: func(v Value) bool { return v.Str == "Hel" }},
		{name: "string list contains", src: `tags ~ "G"`, check: func(v Value) bool { return v.Str == "G" }},
		{name: "string list element", src: `tags = "go"`, check: func(v Value) bool { return v.Str == "go" }},
		{name: "string ordering", src: `title >= "M"`, check: func(v Value) bool { return v.Str == "M" }},
		{name: "datetime in UTC", src: `published_at > "2024-05-01T10:30:00+02:00"`,
			check: func(v Value) bool {
				return v.Time.Equal(time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC)) && v.Time.Location() == time.UTC
			}},
		{name: "datetime with fraction", src: `created_time <= "2024-05-01T08:30:00.123456789Z"`,
			check: func(v Value) bool { return v.Time.Nanosecond() == 123456789 }},
		{name: "date", src: `day = "2024-02-29"`, check: func(v Value) bool { return v.Str == "2024-02-29" }},
		{name: "nested field", src: `address.city = "Paris"`, check: func(v Value) bool { return v.Str == "Paris" }},
		{name: "meta string", src: `created_by in ["ada", "bob"]`, check: func(v Value) bool { return v.Str == "ada" }},
		{name: "is null on a meta field", src: `updated_by is not null`, check: func(v Value) bool { return v == Value{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustParse(t, tt.src)
			if err := Check(e, blogFields); err != nil {
				t.Fatalf("Check(%q): %v", tt.src, err)
			}
			ref, v := firstValue(t, e)
			want, _ := lookup(blogFields, ref.Name)
			if ref.Info != want {
				t.Errorf("Ref.Info = %+v, want %+v", ref.Info, want)
			}
			if !tt.check(v) {
				t.Errorf("Check(%q) converted the value to %+v", tt.src, v)
			}
		})
	}
}

func TestCheckResolvesEveryRef(t *testing.T) {
	e := mustParse(t, `(title ~ "a" || !(views in [1, 2])) && (tags is null || address.city != "x")`)
	if err := Check(e, blogFields); err != nil {
		t.Fatal(err)
	}
	var refs []string
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *And:
			for _, t := range e.Terms {
				walk(t)
			}
		case *Or:
			for _, t := range e.Terms {
				walk(t)
			}
		case *Not:
			walk(e.X)
		case *Cmp:
			refs = append(refs, e.Field.Info.Name+":"+string(e.Field.Info.Type))
		case *In:
			refs = append(refs, e.Field.Info.Name+":"+string(e.Field.Info.Type))
		case *IsNull:
			refs = append(refs, fmt.Sprintf("%s:%s:%v", e.Field.Info.Name, e.Field.Info.Type, e.Field.Info.List))
		}
	}
	walk(e)
	want := "title:string views:int tags:string:true address.city:string"
	if got := strings.Join(refs, " "); got != want {
		t.Errorf("resolved refs = %s, want %s", got, want)
	}
	if err := Check(nil, blogFields); err != nil {
		t.Errorf("Check(nil) = %v, want nil", err)
	}
}

func TestCheckErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // every problem, in order
	}{
		{name: "unknown field with suggestion", src: `titel = "x"`,
			want: []string{`filter: position 1: unknown field "titel" (did you mean "title"?); filterable fields: ` + blogFieldList}},
		{name: "unknown field without suggestion", src: `views > 1 && body ~ "x"`,
			want: []string{`filter: position 14: unknown field "body"; filterable fields: ` + blogFieldList}},
		{name: "nested field named by its last segment", src: `city = "Paris"`,
			want: []string{`filter: position 1: unknown field "city" (did you mean "address.city"?); filterable fields: ` + blogFieldList}},
		{name: "unknown field in is null", src: `!(autor is null)`,
			want: []string{`filter: position 3: unknown field "autor" (did you mean "author"?); filterable fields: ` + blogFieldList}},
		{name: "int given a string", src: `views = "5"`,
			want: []string{`filter: position 9: views is an int field: "5" is not an integer; write it without quotes`}},
		{name: "int given a fraction", src: `views >= 1.5`,
			want: []string{`filter: position 10: views is an int field: 1.5 is not an integer`}},
		{name: "int given a bool", src: `views = true`,
			want: []string{`filter: position 9: views is an int field: true is not an integer`}},
		{name: "int beyond int64", src: `views = 99999999999999999999`,
			want: []string{`filter: position 9: views is an int field: 99999999999999999999 is out of range for a 64-bit integer`}},
		{name: "int exponent beyond int64", src: `views = 1e300`,
			want: []string{`filter: position 9: views is an int field: 1e300 is out of range for a 64-bit integer`}},
		{name: "int fraction digits beyond int64", src: `views = 1.0000000000000000001e19`,
			want: []string{`filter: position 9: views is an int field: 1.0000000000000000001e19 is out of range for a 64-bit integer`}},
		{name: "int exponent just beyond int64", src: `views = 9.223372036854775808e18`,
			want: []string{`filter: position 9: views is an int field: 9.223372036854775808e18 is out of range for a 64-bit integer`}},
		{name: "int exponent with leading zeros", src: `views = 1e0000000000000000000000000000000000000000000000000000000000000000000000000000000000300`,
			want: []string{`filter: position 9: views is an int field: 1e0000000000000000000000000000000000000000000000000000000000000000000000000000000000300 is out of range for a 64-bit integer`}},
		// ParseFloat rounds these to integers; the exact value is not one.
		{name: "int given a tiny exponent", src: `views = 1e-400`,
			want: []string{`filter: position 9: views is an int field: 1e-400 is not an integer`}},
		{name: "int given a fraction that rounds away", src: `views = 1.0000000000000000001`,
			want: []string{`filter: position 9: views is an int field: 1.0000000000000000001 is not an integer`}},
		{name: "int given a fraction past its exponent", src: `views in [25e-1, 2.5e1]`,
			want: []string{`filter: position 11: views is an int field: 25e-1 is not an integer`}},
		{name: "int given a huge negative exponent", src: `views = 5e-99999999999999999999`,
			want: []string{`filter: position 9: views is an int field: 5e-99999999999999999999 is not an integer`}},
		{name: "int list given a string", src: `scores = "1"`,
			want: []string{`filter: position 10: scores is a list of ints: "1" is not an integer; write it without quotes`}},
		{name: "float given a string", src: `rating < "x"`,
			want: []string{`filter: position 10: rating is a float field: "x" is not a number; write it without quotes`}},
		{name: "bool given a string", src: `featured = "true"`,
			want: []string{`filter: position 12: featured is a bool field: "true" is not true or false; write it without quotes`}},
		{name: "bool given a number", src: `featured = 1`,
			want: []string{`filter: position 12: featured is a bool field: 1 is not true or false`}},
		{name: "string given a number", src: `title = 5`,
			want: []string{`filter: position 9: title is a string field: 5 is not a string; quote it: "5"`}},
		{name: "string list given a bool", src: `tags in ["go", false]`,
			want: []string{`filter: position 16: tags is a list of strings: false is not a string; quote it: "false"`}},
		{name: "datetime given a date", src: `published_at >= "2024-05-01"`,
			want: []string{`filter: position 17: published_at is a datetime field: "2024-05-01" is not an RFC 3339 date-time such as "2024-05-01T08:30:00Z"`}},
		{name: "datetime given a number", src: `created_time > 5`,
			want: []string{`filter: position 16: created_time is a datetime field: 5 is not an RFC 3339 date-time such as "2024-05-01T08:30:00Z"`}},
		{name: "date given a bad date", src: `day = "2024-5-1"`,
			want: []string{`filter: position 7: day is a date field: "2024-5-1" is not a date such as "2024-05-01"`}},
		{name: "date given a number", src: `day < 20240501`,
			want: []string{`filter: position 7: day is a date field: 20240501 is not a date such as "2024-05-01"`}},
		{name: "date that does not exist", src: `day = "2023-02-29"`,
			want: []string{`filter: position 7: day is a date field: "2023-02-29" is not a date such as "2024-05-01"`}},
		{name: "equals null", src: `views = null`,
			want: []string{`filter: position 9: "= null" never matches: null is not a value; use "views is null"`}},
		{name: "not equals null", src: `views != null`,
			want: []string{`filter: position 10: "!= null" never matches: null is not a value; use "views is not null"`}},
		{name: "ordered with null", src: `views > null`,
			want: []string{`filter: position 9: null cannot be compared with ">"; use "views is null" or "views is not null"`}},
		{name: "null in an in list", src: `status in ["a", null]`,
			want: []string{`filter: position 17: null is not allowed in an "in" list; add "|| status is null"`}},
		{name: "contains on an int", src: `views ~ "1"`,
			want: []string{`filter: position 1: "~" (contains) applies to string fields; views is an int field`}},
		{name: "not contains on a datetime", src: `created_time !~ "2024"`,
			want: []string{`filter: position 1: "!~" (does not contain) applies to string fields; created_time is a datetime field`}},
		{name: "prefix on a date", src: `day ^= "2024"`,
			want: []string{`filter: position 1: "^=" (starts with) applies to string fields; day is a date field`}},
		{name: "contains on an int list", src: `scores ~ "1"`,
			want: []string{`filter: position 1: "~" (contains) applies to string fields; scores is a list of ints`}},
		{name: "not equals on a list", src: `tags != "go"`,
			want: []string{`filter: position 1: "!=" does not apply to the list field tags; use !(tags = "go") for resources without that element`}},
		{name: "not contains on a list", src: `tags !~ "go"`,
			want: []string{`filter: position 1: "!~" (does not contain) does not apply to the list field tags; use !(tags ~ "go") for resources without a matching element`}},
		{name: "prefix on a list", src: `tags ^= "g"`,
			want: []string{`filter: position 1: "^=" (starts with) does not apply to the list field tags; lists support "=", "~", "in" and "is null"`}},
		{name: "ordering on a list", src: `scores >= 1`,
			want: []string{`filter: position 1: ">=" does not apply to the list field scores; lists support "=", "~", "in" and "is null"`}},
		{name: "ordering on a bool", src: `featured > false`,
			want: []string{`filter: position 1: ">" does not apply to the bool field featured; use "=" or "!="`}},
		{name: "every problem sorted by position", src: `titel = 1 && views = "x" || featured > true && tags != 5 && status in [1, null]`,
			want: []string{
				`filter: position 1: unknown field "titel" (did you mean "title"?); filterable fields: ` + blogFieldList,
				`filter: position 22: views is an int field: "x" is not an integer; write it without quotes`,
				`filter: position 29: ">" does not apply to the bool field featured; use "=" or "!="`,
				`filter: position 48: "!=" does not apply to the list field tags; use !(tags = 5) for resources without that element`,
				`filter: position 72: status is a string field: 1 is not a string; quote it: "1"`,
				`filter: position 75: null is not allowed in an "in" list; add "|| status is null"`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(mustParse(t, tt.src), blogFields)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("Check(%q) = %v (%T), want an ErrorList", tt.src, err, err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("Check(%q) problems\n got %s\nwant %s", tt.src, strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}

func TestCheckErrorCap(t *testing.T) {
	src := "views in [" + strings.Repeat(`"x", `, 14) + `"x"]`
	err := Check(mustParse(t, src), blogFields)
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("Check = %v, want an ErrorList", err)
	}
	if len(list) != maxErrors+1 {
		t.Fatalf("got %d problems, want %d", len(list), maxErrors+1)
	}
	last := list[maxErrors]
	if want := (&Error{Param: "filter", Pos: 61, Msg: "5 more problems not shown"}); *last != *want {
		t.Errorf("last problem = %v, want %v", last, want)
	}
	wantText := `filter: position 11: views is an int field: "x" is not an integer; write it without quotes (and 10 more errors)`
	if err.Error() != wantText {
		t.Errorf("Error() = %s\nwant %s", err, wantText)
	}
}

func TestCheckNoFields(t *testing.T) {
	err := Check(mustParse(t, `views = 1`), nil)
	want := `filter: position 1: unknown field "views"; no fields are filterable`
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %s", err, want)
	}
}
