package load

import (
	"errors"
	"math"
	"regexp"
	"strconv"
)

// The values of specstar tag items. Every value is text in a tag; these
// helpers give it the type its key needs, as the YAML loader's values.go
// does for YAML scalars, and build the same AST values.

// itemLoc locates a tag item: its key, and its value (the key for a flag).
func (l *goLoader) itemLoc(it tagItem) Loc {
	loc := Loc{KeyPos: l.pos(it.keyPos), Pos: l.pos(it.keyPos)}
	if len(it.parts) > 0 {
		loc.Pos = l.pos(it.parts[0].pos)
	}
	return loc
}

// tagFlag reads a flag such as "required": present means true.
func (l *goLoader) tagFlag(it tagItem, subject string) *Bool {
	if it.hasValue {
		l.errorf(it.keyPos, "%s: %s is a flag and takes no value: write %s, or leave it out", subject, it.key, it.key)
		return nil
	}
	return &Bool{Loc: l.itemLoc(it), Value: true}
}

// tagValue returns the single value of an item, reporting a missing one.
func (l *goLoader) tagValue(it tagItem, subject, example string) (tagPart, bool) {
	if !it.hasValue {
		l.errorf(it.keyPos, "%s: %s needs a value: write %s=%s", subject, it.key, it.key, example)
		return tagPart{}, false
	}
	return it.parts[0], true
}

// tagString reads a string value.
func (l *goLoader) tagString(it tagItem, subject string) *String {
	p, ok := l.tagValue(it, subject, "...")
	if !ok {
		return nil
	}
	return &String{Loc: l.itemLoc(it), Value: p.text}
}

// tagList reads a list of strings, written a|b|c.
func (l *goLoader) tagList(it tagItem, subject string) *StringList {
	if !it.hasValue {
		l.errorf(it.keyPos, "%s: %s needs a value: write %s=a|b", subject, it.key, it.key)
		return nil
	}
	list := &StringList{Loc: l.itemLoc(it)}
	if it.isEmptyList() {
		return list
	}
	for _, p := range it.parts {
		list.Items = append(list.Items, &String{Loc: Loc{Pos: l.pos(p.pos)}, Value: p.text})
	}
	return list
}

// tagInt reads an integer.
func (l *goLoader) tagInt(it tagItem, subject string) *Int {
	p, ok := l.tagValue(it, subject, "10")
	if !ok {
		return nil
	}
	v, err := strconv.ParseInt(p.text, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			l.errorf(p.pos, "%s: %s is out of range, got %s", subject, it.key, truncate(p.text))
		} else {
			l.errorf(p.pos, "%s: %s must be an integer, got %q", subject, it.key, truncate(p.text))
		}
		return nil
	}
	return &Int{Loc: l.itemLoc(it), Value: v}
}

// decimalRE matches a decimal number: "5", "-0.5", "1.5e3". Hex, octal,
// underscores, Inf and NaN are not numbers here.
var decimalRE = regexp.MustCompile(`^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$`)

// tagNumber reads an integer or a float.
func (l *goLoader) tagNumber(it tagItem, subject string) *Number {
	p, ok := l.tagValue(it, subject, "0")
	if !ok {
		return nil
	}
	if v, err := strconv.ParseInt(p.text, 10, 64); err == nil {
		return &Number{Loc: l.itemLoc(it), Value: float64(v), IsInt: true}
	}
	v, err := strconv.ParseFloat(p.text, 64)
	if !decimalRE.MatchString(p.text) || err != nil || math.IsInf(v, 0) {
		l.errorf(p.pos, "%s: %s must be a finite number, got %q", subject, it.key, truncate(p.text))
		return nil
	}
	return &Number{Loc: l.itemLoc(it), Value: v}
}

// tagSize reads a byte size.
func (l *goLoader) tagSize(it tagItem, subject string) *Size {
	p, ok := l.tagValue(it, subject, "5MB")
	if !ok {
		return nil
	}
	b, ok := ParseSize(p.text)
	if !ok {
		l.errorf(p.pos, "%s: %s must be a size such as 5MB, 512KB or a number of bytes, got %q", subject, it.key, truncate(p.text))
		return nil
	}
	return &Size{Loc: l.itemLoc(it), Bytes: b, Text: p.text}
}

// tagDuration reads a duration.
func (l *goLoader) tagDuration(it tagItem, subject string) *Duration {
	p, ok := l.tagValue(it, subject, "720h")
	if !ok {
		return nil
	}
	d, ok := ParseDuration(p.text)
	if !ok {
		l.errorf(p.pos, "%s: %s must be a duration such as 720h or 30d, got %q", subject, it.key, truncate(p.text))
		return nil
	}
	return &Duration{Loc: l.itemLoc(it), Value: d, Text: p.text}
}

// tagDefault reads a default value. Its text is typed by the field's type,
// so that the model checks it exactly as it checks a YAML default: a
// string field's default is always a string, an int field's "5" is an
// integer and its "abc" a string that the model reports.
func (l *goLoader) tagDefault(f *Field, it tagItem, subject string) *Value {
	if !it.hasValue {
		l.errorf(it.keyPos, "%s: default needs a value: write default=...", subject)
		return nil
	}
	loc := l.itemLoc(it)
	if f.Type == nil {
		return &Value{Loc: loc, Kind: Scalar, Tag: "!!str", Text: it.parts[0].text}
	}
	if f.Type.Value != "list" {
		return l.scalarDefault(it.parts[0], f.Type.Value, loc, subject)
	}
	v := &Value{Loc: loc, Kind: Sequence}
	if it.isEmptyList() {
		return v
	}
	elem := ""
	if f.Of != nil {
		elem = f.Of.Value
	}
	for _, p := range it.parts {
		item := l.scalarDefault(p, elem, Loc{Pos: l.pos(p.pos)}, subject)
		if item == nil {
			return nil
		}
		v.Items = append(v.Items, item)
	}
	return v
}

// scalarDefault types one default value for a field of type typ.
func (l *goLoader) scalarDefault(p tagPart, typ string, loc Loc, subject string) *Value {
	loc.Pos = l.pos(p.pos)
	v := &Value{Loc: loc, Kind: Scalar, Tag: "!!str", Text: p.text}
	switch typ {
	case "int", "float", "bool":
	default:
		return v
	}
	if p.quoted {
		return v // quoted: a string, which the model reports
	}
	switch n, err := strconv.ParseInt(p.text, 10, 64); {
	case err == nil:
		v.Tag, v.Int, v.Float = "!!int", n, float64(n)
		return v
	case errors.Is(err, strconv.ErrRange):
		l.errorf(p.pos, "%s: integer %s is out of range", subject, truncate(p.text))
		return nil
	}
	if f, err := strconv.ParseFloat(p.text, 64); err == nil && decimalRE.MatchString(p.text) && !math.IsInf(f, 0) {
		v.Tag, v.Float = "!!float", f
		return v
	}
	if b, err := strconv.ParseBool(p.text); err == nil && (p.text == "true" || p.text == "false") {
		v.Tag, v.Bool = "!!bool", b
	}
	return v
}
