package model

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/names"
)

// maxExactInt is the largest integer a float64 (and a JSON number in most
// clients) holds exactly: int bounds beyond it cannot be compared reliably.
const maxExactInt = 1 << 53

// mediaTypeRE matches a media type "type/subtype" (RFC 6838 names) or a
// wildcard subtype "type/*", lower case.
var mediaTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/([a-z0-9][a-z0-9!#$&^_.+-]*|\*)$`)

// constraints resolves min, max, lengths, pattern and the flags, for the
// types they apply to (applicable has reported the others).
func (c *fieldCtx) constraints() {
	lf, f := c.lf, c.f
	t := f.Type
	if t == Int || t == Float {
		f.Min = c.bound(lf.Min, "min")
		f.Max = c.bound(lf.Max, "max")
		if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
			c.errorf(lf.Max.Pos, "max %s is less than min %s", fmtNum(*f.Max), fmtNum(*f.Min))
		}
	}
	if t.IsText() || t == List {
		f.MinLength = c.length(lf.MinLength, "min_length", 0)
		f.MaxLength = c.length(lf.MaxLength, "max_length", 1)
		if f.MinLength != nil && f.MaxLength != nil && *f.MinLength > *f.MaxLength {
			c.errorf(lf.MaxLength.Pos, "max_length %d is less than min_length %d", *f.MaxLength, *f.MinLength)
		}
	}
	if t.IsText() && lf.Pattern != nil {
		c.pattern(lf.Pattern)
	}
	top := c.sc.top
	f.Unique = isTrue(lf.Unique) && top && !c.sc.jobPayload && (t.IsScalar() || t == Ref) && t != Bool
	f.Index = isTrue(lf.Index) && (t.IsScalar() || t == Ref || t == List)
	f.Display = isTrue(lf.Display) && top && !c.sc.jobPayload && t.IsText()
}

// bound checks a min or max.
func (c *fieldCtx) bound(n *load.Number, key string) *float64 {
	if n == nil {
		return nil
	}
	v := n.Value
	if c.f.Type == Int {
		if v != math.Trunc(v) {
			c.errorf(n.Pos, "%s must be an integer for an int field, got %s", key, fmtNum(v))
			return nil
		}
		if math.Abs(v) > maxExactInt {
			c.errorf(n.Pos, "%s %s is out of range: int bounds must be within ±2^53", key, fmtNum(v))
			return nil
		}
	}
	return &v
}

// length checks a min_length or max_length.
func (c *fieldCtx) length(n *load.Int, key string, least int64) *int {
	if n == nil {
		return nil
	}
	switch {
	case n.Value < least:
		c.errorf(n.Pos, "%s must be at least %d, got %d", key, least, n.Value)
		return nil
	case n.Value > math.MaxInt32:
		c.errorf(n.Pos, "%s %d is too large (at most %d)", key, n.Value, math.MaxInt32)
		return nil
	}
	v := int(n.Value)
	return &v
}

// pattern checks that a pattern compiles as an RE2 regular expression.
func (c *fieldCtx) pattern(p *load.String) {
	if p.Value == "" {
		c.errorf(p.Pos, "pattern must not be empty")
		return
	}
	if _, err := regexp.Compile(p.Value); err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = fmt.Sprintf("%s: %q", se.Code, se.Expr)
		}
		c.errorf(p.Pos, "pattern %q is not a valid regular expression (RE2 syntax): %s", p.Value, msg)
		return
	}
	c.f.Pattern = p.Value
}

// fmtNum formats a bound for messages.
func fmtNum(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// typeSpecific resolves what belongs to the field's type: enum values,
// list elements, object fields, ref targets and file limits.
func (c *fieldCtx) typeSpecific() {
	switch c.f.Type {
	case Enum:
		if c.lf.Values == nil {
			c.errorf(c.lf.Type.Pos, "an enum field needs \"values\": the list of allowed values")
			return
		}
		c.enum(c.f, c.lf.Values)
	case List:
		c.list()
	case Object:
		c.object()
	case Ref:
		c.ref()
	case File:
		c.file()
	}
}

// enum resolves enum values and their Go names onto target (the field, or
// a list's element).
func (c *fieldCtx) enum(target *Field, vals *load.StringList) {
	if c.f.GoName == "" {
		return // the name error says why
	}
	goType := c.sc.typePrefix + c.f.GoName
	target.EnumGoType = goType
	c.b.declare(goType, c.subject, "its enum type", c.f.Pos)
	if len(vals.Items) == 0 {
		c.errorf(vals.Pos, "values must list at least one value")
		return
	}
	seen := make(map[string]*load.String)
	constOf := make(map[string]string)
	for _, v := range vals.Items {
		if v.Value == "" {
			c.errorf(v.Pos, "enum values must not be empty")
			continue
		}
		if prev, ok := seen[v.Value]; ok {
			c.errorf(v.Pos, "value %q is listed twice (first at line %d)", v.Value, prev.Pos.Line)
			continue
		}
		seen[v.Value] = v
		suffix := names.Pascal(v.Value)
		if suffix == "" {
			c.errorf(v.Pos, "value %q has no letters or digits to build a Go constant name from", v.Value)
			continue
		}
		constName := goType + suffix
		if _, err := names.Ident(constName); err != nil {
			c.errorf(v.Pos, "value %q: Go constant name: %v", v.Value, err)
			continue
		}
		if other, ok := constOf[constName]; ok {
			c.errorf(v.Pos, "values %q and %q both become the Go constant %s; make them differ in letters or digits", other, v.Value, constName)
			continue
		}
		constOf[constName] = v.Value
		c.b.declare(constName, c.subject, fmt.Sprintf("the constant of value %q", v.Value), pos(v.Pos))
		target.Values = append(target.Values, v.Value)
		target.ValueGoNames = append(target.ValueGoNames, constName)
	}
}

// scalarTypes are the types a list may hold.
func scalarTypes() []Type {
	var out []Type
	for _, t := range Types() {
		if t.IsScalar() {
			out = append(out, t)
		}
	}
	return out
}

// list resolves a list's element.
func (c *fieldCtx) list() {
	f, lf := c.f, c.lf
	if lf.Of == nil {
		c.errorf(lf.Type.Pos, "a list field needs \"of\": the element type, such as \"of: string\"")
		return
	}
	elemTypes := append(scalarTypes(), File)
	t, ok := c.b.parseType(lf.Of, c.subject, elemTypes)
	if !ok {
		return
	}
	if !t.IsScalar() && t != File {
		var allowed []string
		for _, s := range elemTypes {
			allowed = append(allowed, string(s))
		}
		hint := ""
		if t == Object {
			// A gallery of files with captions is the common wish: say how.
			hint = " (lists of objects are not supported, files in them neither: use a resource with the object's fields and a ref to this one)"
		}
		c.errorf(lf.Of.Pos, "a list holds scalar values or files: of must be one of %s, not %s%s", strings.Join(allowed, ", "), t, hint)
		return
	}
	f.Elem = &Field{
		Pos:      pos(lf.Of.Pos),
		Path:     f.Path,
		Type:     t,
		Required: true,
		Owner:    f.Owner,
	}
	if t == File {
		// max_size and accept bound each file of the list.
		c.file()
		f.Elem.MaxSize, f.Elem.Accept = f.MaxSize, f.Accept
	}
	if t == Enum {
		if lf.Values == nil {
			c.errorf(lf.Of.Pos, "a list of enum needs \"values\": the list of allowed values")
			return
		}
		c.enum(f.Elem, lf.Values)
		f.EnumGoType = f.Elem.EnumGoType
		f.Values = f.Elem.Values
		f.ValueGoNames = f.Elem.ValueGoNames
	}
}

// object resolves an object's fields.
func (c *fieldCtx) object() {
	f, lf := c.f, c.lf
	if lf.Fields == nil {
		c.errorf(lf.Type.Pos, "an object field needs \"fields\": its nested fields")
		return
	}
	if len(lf.Fields.List) == 0 {
		c.errorf(lf.Fields.Pos, "fields is empty: an object needs at least one field")
		return
	}
	if f.GoName == "" {
		return
	}
	f.ObjectGoType = c.sc.typePrefix + f.GoName
	c.b.declare(f.ObjectGoType, c.subject, "its object type", f.Pos)
	f.Fields = c.b.fields(lf.Fields.List, &structScope{
		owner:      c.sc.owner,
		path:       f.Path,
		typePrefix: f.ObjectGoType,
		subject:    c.sc.subject + "." + f.Name,
	})
}

// onDeletePolicies are the valid on_delete values.
func onDeletePolicies() []string { return []string{"restrict", "cascade", "set_null"} }

// ref resolves a ref's target and delete policy.
func (c *fieldCtx) ref() {
	f, lf := c.f, c.lf
	if !c.sc.top && !c.sc.jobPayload {
		return // applicable reported it
	}
	if lf.To == nil {
		c.errorf(lf.Type.Pos, "a ref field needs \"to\": the name of the resource it refers to")
	} else if target, ok := c.b.byName[lf.To.Value]; ok && !target.Internal {
		f.Target = target
	} else if ok {
		c.errorf(lf.To.Pos, "to: %s is an internal resource of auth (%s), which no field can refer to", target.Name, builtinUse(target.Name))
	} else {
		var candidates []string
		for _, r := range c.b.m.Resources {
			if !r.Internal {
				candidates = append(candidates, r.Name)
			}
		}
		c.errorf(lf.To.Pos, "to: unknown resource %q%s", lf.To.Value, load.DidYouMeanOrList(lf.To.Value, candidates, "resources"))
	}
	if c.sc.jobPayload {
		return // no on_delete: jobPayloadField reported one
	}
	f.OnDelete = "restrict"
	if od := lf.OnDelete; od != nil {
		valid := false
		for _, p := range onDeletePolicies() {
			valid = valid || od.Value == p
		}
		switch {
		case !valid:
			c.errorf(od.Pos, "on_delete must be restrict, cascade or set_null, got %q%s", od.Value, load.DidYouMean(load.Suggest(od.Value, onDeletePolicies())))
		case od.Value == "set_null" && f.Required:
			c.errorf(od.Pos, "on_delete: set_null cannot clear a required field; use restrict or cascade, or drop required")
		default:
			f.OnDelete = od.Value
		}
	}
}

// file resolves a file's size limit and media types.
func (c *fieldCtx) file() {
	f, lf := c.f, c.lf
	if s := lf.MaxSize; s != nil {
		if s.Bytes <= 0 {
			c.errorf(s.Pos, "max_size must be greater than 0, got %q (omit it for no limit)", s.Text)
		} else {
			f.MaxSize = s.Bytes
		}
	}
	if lf.Accept == nil {
		return
	}
	seen := make(map[string]bool)
	for _, a := range lf.Accept.Items {
		mt := strings.ToLower(a.Value)
		switch {
		case !mediaTypeRE.MatchString(mt):
			c.errorf(a.Pos, "accept: %q is not a media type such as \"image/png\" or \"image/*\"", a.Value)
		case seen[mt]:
			c.errorf(a.Pos, "accept: %q is listed twice", a.Value)
		default:
			seen[mt] = true
			f.Accept = append(f.Accept, mt)
		}
	}
}
