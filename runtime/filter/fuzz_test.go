package filter

import (
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that its errors are one
// positioned problem inside the source, that every successful parse
// round-trips through Format (Parse(Format(e)) equals e up to positions,
// and Format is a fixed point), and that Check never panics and reports
// positions inside the source. The seed corpus is in
// testdata/fuzz/FuzzParse; CI runs it with -fuzz for a short while.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`views >= 10 && status in ["draft", "published"]`,
		`!(title ~ "go" || tags = "release") && published_at > "2024-05-01T00:00:00Z"`,
		`address.city ^= "Par" && body is not null || rating < -1.5e3`,
		`title = "\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t"`,
		`((a = 1))`,
		`!!featured = true`,
		// Int literals that ParseFloat rounds to integers, and exact ones
		// beyond 2^53 (checkInts compares them with math/big).
		`views = 1e-400 || views = 1.0000000000000000001`,
		`views in [7.0, -2.50e1, 0.0e-7, 12E+2, 1.000000000000000001e18, -9.223372036854775808e18]`,
		`scores = 9.223372036854775808e18 || views > 5e-99999999999999999999`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("Parse(%q) error %v (%T) is not an ErrorList of one", src, err, err)
			}
			if p := list[0].Pos; p < 1 || p > len(src)+1 {
				t.Fatalf("Parse(%q) error position %d is outside the source", src, p)
			}
			return
		}
		out := Format(e)
		again, err := parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but Parse(Format) of %q: %v", src, out, err)
		}
		if out2 := Format(again); out2 != out {
			t.Fatalf("Format is not a fixed point:\n%s\n%s", out, out2)
		}
		// Check sets Info and typed values, so compare before it runs.
		normalize(e)
		normalize(again)
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("round trip of %q through %q changed the tree:\n%s\n%s", src, out, sexpr(e), sexpr(again))
		}
		e, _ = Parse(src)
		err = Check(e, blogFields)
		checkPositions(t, src, err)
		if err == nil {
			checkInts(t, e)
		}
	})
}

// checkInts fails when an int value of a checked expression is not the
// exact value of its literal, computed with math/big (for literals whose
// exponent has at most four digits, which big.Rat expands cheaply).
func checkInts(t *testing.T, e Expr) {
	t.Helper()
	check := func(f FieldInfo, v Value) {
		if f.Type != Int || v.Kind != KindNumber {
			return
		}
		if i := strings.IndexAny(v.Raw, "eE"); i >= 0 && len(strings.TrimLeft(v.Raw[i+1:], "+-0")) > 4 {
			return
		}
		want, ok := new(big.Rat).SetString(v.Raw)
		if !ok {
			t.Fatalf("big.Rat cannot read the literal %q", v.Raw)
		}
		if !want.IsInt() || want.Num().Cmp(big.NewInt(v.Int)) != 0 {
			t.Fatalf("int literal %s checked as %d, but its exact value is %s", v.Raw, v.Int, want.RatString())
		}
	}
	switch e := e.(type) {
	case *And:
		for _, x := range e.Terms {
			checkInts(t, x)
		}
	case *Or:
		for _, x := range e.Terms {
			checkInts(t, x)
		}
	case *Not:
		checkInts(t, e.X)
	case *Cmp:
		check(e.Field.Info, e.Value)
	case *In:
		for _, v := range e.Values {
			check(e.Field.Info, v)
		}
	}
}

// checkPositions fails when a Check error is not an ErrorList of problems
// sorted by position inside src.
func checkPositions(t *testing.T, src string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 || len(list) > maxErrors+1 {
		t.Fatalf("Check error %v (%T) is not an ErrorList of 1 to %d problems", err, err, maxErrors+1)
	}
	for i, e := range list {
		if e.Pos < 1 || e.Pos > len(src) || i > 0 && e.Pos < list[i-1].Pos {
			t.Fatalf("Check problems of %q are not sorted positions inside the source: %v", src, list)
		}
	}
}
