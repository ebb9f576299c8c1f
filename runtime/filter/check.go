package filter

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Check resolves and type-checks a parsed expression against the fields
// that may be filtered, in place: it sets each Ref.Info and converts each
// Value to its field's type (see Value). It reports every problem, not
// only the first, as an ErrorList sorted by position:
//
//   - a field that is not in fields, with a suggestion for a near miss and
//     the list of the fields that may be used;
//   - a value of the wrong type for its field: int fields take integral
//     numbers, float fields numbers, bool fields true and false, string
//     fields strings, datetime fields RFC 3339 strings and date fields
//     "YYYY-MM-DD" strings;
//   - null anywhere but in "is null" and "is not null";
//   - an operator that does not apply to the field: "~", "!~" and "^="
//     need a string field (and only "~" applies to a list of strings),
//     "<", "<=", ">" and ">=" do not apply to bool fields, and on list
//     fields only "=", "~", "in" and "is [not] null" apply.
//
// Check of a nil expression (no filter) is nil.
func Check(e Expr, fields []FieldInfo) error {
	c := &checker{errs: errorCollector{param: "filter"}, fields: fields}
	c.expr(e)
	return c.errs.err()
}

// CheckRule is Check for the row condition of a permission rule
// (where(...)), which may also compare a string field with the parameter
// @me, the id of the caller. Bind replaces @me before the expression
// reaches a backend.
func CheckRule(e Expr, fields []FieldInfo) error {
	c := &checker{errs: errorCollector{param: "filter"}, fields: fields, params: true}
	c.expr(e)
	return c.errs.err()
}

// checker holds the state of one Check.
type checker struct {
	errs   errorCollector
	fields []FieldInfo
	params bool // @me is allowed (CheckRule)
}

// expr checks e and its children.
func (c *checker) expr(e Expr) {
	switch e := e.(type) {
	case *And:
		for _, t := range e.Terms {
			c.expr(t)
		}
	case *Or:
		for _, t := range e.Terms {
			c.expr(t)
		}
	case *Not:
		c.expr(e.X)
	case *Cmp:
		if c.resolve(&e.Field) {
			c.cmp(e)
		}
	case *In:
		if c.resolve(&e.Field) {
			for i := range e.Values {
				c.value(&e.Field, &e.Values[i])
			}
		}
	case *IsNull:
		c.resolve(&e.Field)
	}
}

// resolve sets r.Info, or reports an unknown field.
func (c *checker) resolve(r *Ref) bool {
	if f, ok := lookup(c.fields, r.Name); ok {
		r.Info = f
		return true
	}
	names := fieldNames(c.fields, false)
	c.errs.errorf(r.At, "unknown field %q%s; %s", r.Name, didYouMean(suggest(r.Name, names)), listFields("filterable", names))
	return false
}

// cmp checks the operator and the value of a comparison.
func (c *checker) cmp(e *Cmp) {
	f := e.Field.Info
	if e.Value.Kind == KindNull {
		switch e.Op {
		case Eq:
			c.errs.errorf(e.Value.At, `"= null" never matches: null is not a value; use "%s is null"`, f.Name)
		case Ne:
			c.errs.errorf(e.Value.At, `"!= null" never matches: null is not a value; use "%s is not null"`, f.Name)
		default:
			c.errs.errorf(e.Value.At, `null cannot be compared with %q; use "%s is null" or "%s is not null"`, e.Op, f.Name, f.Name)
		}
		return
	}
	if msg := opProblem(e); msg != "" {
		c.errs.errorf(e.Field.At, "%s", msg)
		return
	}
	c.value(&e.Field, &e.Value)
}

// opProblem returns why e's operator does not apply to its field, or "".
func opProblem(e *Cmp) string {
	f := e.Field.Info
	switch e.Op {
	case Eq, Gt, Ge, Lt, Le, Ne, Contains, NotContains, Prefix:
	default:
		return fmt.Sprintf("unknown operator %q", e.Op)
	}
	name := opName(e.Op)
	switch {
	case (e.Op == Contains || e.Op == NotContains || e.Op == Prefix) && f.Type != String:
		return fmt.Sprintf("%s applies to string fields; %s is %s", name, f.Name, describeField(f))
	case f.List && e.Op == Ne:
		return fmt.Sprintf(`%s does not apply to the list field %s; use !(%s = %s) for resources without that element`,
			name, f.Name, f.Name, formatValue(e.Value))
	case f.List && e.Op == NotContains:
		return fmt.Sprintf(`%s does not apply to the list field %s; use !(%s ~ %s) for resources without a matching element`,
			name, f.Name, f.Name, formatValue(e.Value))
	case f.List && e.Op != Eq && e.Op != Contains:
		return fmt.Sprintf(`%s does not apply to the list field %s; lists support "=", "~", "in" and "is null"`, name, f.Name)
	case f.Type == Bool && e.Op != Eq && e.Op != Ne:
		return fmt.Sprintf(`%s does not apply to the bool field %s; use "=" or "!="`, name, f.Name)
	}
	return ""
}

// opName names an operator in messages: `"~" (contains)`.
func opName(op Op) string {
	switch op {
	case Contains:
		return `"~" (contains)`
	case NotContains:
		return `"!~" (does not contain)`
	case Prefix:
		return `"^=" (starts with)`
	}
	return strconv.Quote(string(op))
}

// value converts v to the type of the field r names, or reports why it
// cannot. Null reaches it only from an "in" list: cmp handles the others.
func (c *checker) value(r *Ref, v *Value) {
	f := r.Info
	if v.Kind == KindNull {
		c.errs.errorf(v.At, `null is not allowed in an "in" list; add "|| %s is null"`, f.Name)
		return
	}
	if v.Kind == KindParam {
		switch {
		case !c.params:
			c.errs.errorf(v.At, "@%s is only allowed in the where() of a permission rule", v.Str)
		case v.Str != "me":
			c.errs.errorf(v.At, "unknown parameter @%s; the only parameter is @me, the id of the caller", v.Str)
		case f.Type != String:
			c.errs.errorf(v.At, "%s is %s: @me is the caller's id, a string", f.Name, describeField(f))
		}
		return
	}
	var msg string
	switch f.Type {
	case String:
		if v.Kind != KindString {
			msg = fmt.Sprintf("%s is not a string; quote it: %s", v.Raw, quote(v.Raw))
		}
	case Int:
		msg = convertInt(v)
	case Float:
		if v.Kind != KindNumber {
			msg = notA(v, "a number")
		}
	case Bool:
		if v.Kind != KindBool {
			msg = notA(v, "true or false")
		}
	case DateTime:
		msg = convertDateTime(v)
	case Date:
		msg = convertDate(v)
	default:
		msg = fmt.Sprintf("field type %q cannot be filtered", f.Type)
	}
	if msg != "" {
		c.errs.errorf(v.At, "%s is %s: %s", f.Name, describeField(f), msg)
	}
}

// notA is the message for a value of the wrong kind: `"5" is not a
// number` (with a hint when the value is quoted).
func notA(v *Value, want string) string {
	msg := fmt.Sprintf("%s is not %s", v.Raw, want)
	if v.Kind == KindString {
		msg += "; write it without quotes"
	}
	return msg
}

// maxExactInt is 2^53: a float64 holds every integer up to it exactly.
const maxExactInt = 1 << 53

// convertInt sets v.Int, or returns why v is not an int. The literal is
// read exactly from its text (Raw), not from the float64 the lexer made of
// it: "7.0", "1e3" and "-9.2e18" are integers, while "1e-400" and
// "1.0000000000000000001", which ParseFloat rounds to 0 and 1, are not, as
// "1.5" is not. A value built without Raw falls back to its float64.
func convertInt(v *Value) string {
	if v.Kind != KindNumber {
		return notA(v, "an integer")
	}
	if v.Raw == "" {
		return floatInt(v)
	}
	n, integral, inRange := intLiteral(v.Raw)
	switch {
	case !integral:
		return fmt.Sprintf("%s is not an integer", v.Raw)
	case !inRange:
		return fmt.Sprintf("%s is out of range for a 64-bit integer", v.Raw)
	}
	v.Int = n
	return ""
}

// floatInt sets v.Int from v.Num, a value built in code without source
// text, or returns why it is not an int.
func floatInt(v *Value) string {
	if v.Num != math.Trunc(v.Num) {
		return fmt.Sprintf("%s is not an integer", formatValue(*v))
	}
	if math.Abs(v.Num) > maxExactInt {
		return fmt.Sprintf("%s is out of range; write large integers without a fraction or exponent", formatValue(*v))
	}
	v.Int = int64(v.Num)
	return ""
}

// maxExponent bounds the exponents intLiteral computes with: any larger
// one makes a nonzero value far out of the int64 range (or, negative, far
// from integral), and a literal has at most MaxLength digits, so the
// arithmetic cannot overflow.
const maxExponent = 1 << 30

// intLiteral returns the exact value of s, a number in JSON syntax
// (-?int(.frac)?([eE][+-]?exp)?), when it is an integer in the int64
// range. It never rounds: s is digits × 10^shift, with the digits'
// trailing zeros moved into the shift; the value is integral when the
// shift is not negative (or the digits are all zeros), and the digits
// followed by shift zeros are then parsed as an int64.
//
//	"1e3" => 1000; "-2.50e1" => -25; "0.0e-7" => 0
//	"1.5", "1e-400", "1.0000000000000000001" => not integral
//	"9.3e18", "1e300" => out of range
func intLiteral(s string) (n int64, integral, inRange bool) {
	if !strings.ContainsAny(s, ".eE") {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, true, err == nil
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], exponent(s[i+1:])
	}
	whole, frac, _ := strings.Cut(mant, ".")
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, true, true // zero, whatever the exponent
	}
	trimmed := strings.TrimRight(digits, "0")
	shift := exp - len(frac) + len(digits) - len(trimmed)
	if shift < 0 {
		return 0, false, false
	}
	const maxDigits = 19 // of 9223372036854775807
	if len(trimmed)+shift > maxDigits {
		return 0, true, false
	}
	text := trimmed + strings.Repeat("0", shift)
	if neg {
		text = "-" + text
	}
	n, err := strconv.ParseInt(text, 10, 64)
	return n, true, err == nil
}

// exponent returns the value of the exponent digits s, with an optional
// sign, clamped to ±maxExponent.
func exponent(s string) int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	e := 0
	for i := 0; i < len(s) && e < maxExponent; i++ {
		e = e*10 + int(s[i]-'0')
	}
	e = min(e, maxExponent)
	if neg {
		return -e
	}
	return e
}

// convertDateTime sets v.Time (UTC), or returns why v is not a datetime.
func convertDateTime(v *Value) string {
	const example = `an RFC 3339 date-time such as "2024-05-01T08:30:00Z"`
	if v.Kind != KindString {
		return fmt.Sprintf("%s is not %s", v.Raw, example)
	}
	t, err := time.Parse(time.RFC3339Nano, v.Str)
	if err != nil {
		return fmt.Sprintf("%s is not %s", quote(v.Str), example)
	}
	v.Time = t.UTC()
	return ""
}

// convertDate checks that v is a "YYYY-MM-DD" string (v.Str stays as is).
func convertDate(v *Value) string {
	const example = `a date such as "2024-05-01"`
	if v.Kind != KindString {
		return fmt.Sprintf("%s is not %s", v.Raw, example)
	}
	if _, err := time.Parse(time.DateOnly, v.Str); err != nil {
		return fmt.Sprintf("%s is not %s", quote(v.Str), example)
	}
	return ""
}

// describeField names a field's type with an article: "an int field",
// "a list of strings".
func describeField(f FieldInfo) string {
	if f.List {
		return "a list of " + string(f.Type) + "s"
	}
	if f.Type == Int {
		return "an int field"
	}
	return "a " + string(f.Type) + " field"
}

// lookup returns the field with the given name.
func lookup(fields []FieldInfo, name string) (FieldInfo, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldInfo{}, false
}

// fieldNames returns the names of fields, without list fields when
// scalarOnly is set.
func fieldNames(fields []FieldInfo, scalarOnly bool) []string {
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		if !scalarOnly || !f.List {
			names = append(names, f.Name)
		}
	}
	return names
}

// listFields ends an unknown-field message: "filterable fields: a, b".
func listFields(what string, names []string) string {
	if len(names) == 0 {
		return "no fields are " + what
	}
	return what + " fields: " + strings.Join(names, ", ")
}
