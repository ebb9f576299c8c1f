package model

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/runtime/validate"
)

// defaults resolves the typed default value.
func (c *fieldCtx) defaults() {
	v := c.lf.Default
	switch c.f.Type {
	case JSON, Object, Ref, File:
		return // applicable reported it
	}
	if v == nil {
		return
	}
	if c.f.Required {
		c.errorf(v.KeyPos, "a required field cannot have a default; drop one")
		return
	}
	if c.f.Type == List && c.f.Elem == nil {
		return // the list error says why
	}
	if val, ok := c.value(c.f, v, "default"); ok {
		c.f.Default = val
	}
}

// value converts a raw value to the Go value of field f (string, int64,
// float64, bool, or []any of those) and checks it against f's
// constraints. what names the value in messages ("default", "default[1]").
func (c *fieldCtx) value(f *Field, v *load.Value, what string) (any, bool) {
	if v.Kind == load.Scalar && v.Tag == "!!null" {
		c.errorf(v.Pos, "%s must not be null; remove it (a field that is not required is null when absent)", what)
		return nil, false
	}
	switch f.Type {
	case Int:
		if v.Kind != load.Scalar || v.Tag != "!!int" {
			return c.wrongValue(f, v, what, "an integer")
		}
		return v.Int, c.inRange(f, float64(v.Int), v, what)
	case Float:
		if v.Kind != load.Scalar || (v.Tag != "!!int" && v.Tag != "!!float") {
			return c.wrongValue(f, v, what, "a number")
		}
		return v.Float, c.inRange(f, v.Float, v, what)
	case Bool:
		if v.Kind != load.Scalar || v.Tag != "!!bool" {
			return c.wrongValue(f, v, what, "true or false")
		}
		return v.Bool, true
	case List:
		return c.listValue(f, v, what)
	case Date, DateTime:
		if v.Kind != load.Scalar || (v.Tag != "!!str" && v.Tag != "!!timestamp") {
			return c.wrongValue(f, v, what, "a string")
		}
		return c.timeValue(f, v, what)
	default:
		if v.Kind != load.Scalar || v.Tag != "!!str" {
			return c.wrongValue(f, v, what, "a string")
		}
		return c.stringValue(f, v, what)
	}
}

// wrongValue reports a value of the wrong shape.
func (c *fieldCtx) wrongValue(f *Field, v *load.Value, what, want string) (any, bool) {
	kind := withArticle(f.Type) + " field"
	if f != c.f {
		kind = "a list of " + string(f.Type)
	}
	c.errorf(v.Pos, "%s must be %s for %s, got %s", what, want, kind, describeValue(v))
	return nil, false
}

// describeValue renders a raw value for "got ..." in messages.
func describeValue(v *load.Value) string {
	switch v.Kind {
	case load.Sequence:
		return "a list"
	case load.Mapping:
		return "a mapping"
	}
	if v.Tag == "!!str" {
		return fmt.Sprintf("%q", v.Text)
	}
	return v.Text
}

// inRange checks a number against min and max.
func (c *fieldCtx) inRange(f *Field, n float64, v *load.Value, what string) bool {
	switch {
	case f.Min != nil && n < *f.Min:
		c.errorf(v.Pos, "%s %s is less than min %s", what, v.Text, fmtNum(*f.Min))
		return false
	case f.Max != nil && n > *f.Max:
		c.errorf(v.Pos, "%s %s is greater than max %s", what, v.Text, fmtNum(*f.Max))
		return false
	}
	return true
}

// listValue converts a list default.
func (c *fieldCtx) listValue(f *Field, v *load.Value, what string) (any, bool) {
	if v.Kind != load.Sequence {
		return c.wrongValue(f, v, what, "a list")
	}
	items := make([]any, 0, len(v.Items))
	ok := true
	for i, item := range v.Items {
		iv, itemOK := c.value(f.Elem, item, fmt.Sprintf("%s[%d]", what, i))
		ok = ok && itemOK
		items = append(items, iv)
	}
	n := len(items)
	switch {
	case f.MinLength != nil && n < *f.MinLength:
		c.errorf(v.Pos, "%s has %d items, fewer than min_length %d", what, n, *f.MinLength)
		ok = false
	case f.MaxLength != nil && n > *f.MaxLength:
		c.errorf(v.Pos, "%s has %d items, more than max_length %d", what, n, *f.MaxLength)
		ok = false
	}
	return items, ok
}

// timeValue checks a date or datetime default. A datetime is normalised
// to UTC in RFC 3339 form, as the runtime stores it.
func (c *fieldCtx) timeValue(f *Field, v *load.Value, what string) (any, bool) {
	if f.Type == Date {
		if _, err := time.Parse(time.DateOnly, v.Text); err != nil {
			c.errorf(v.Pos, "%s %q is not a date in YYYY-MM-DD form", what, v.Text)
			return nil, false
		}
		return v.Text, true
	}
	t, err := time.Parse(time.RFC3339Nano, v.Text)
	if err != nil {
		c.errorf(v.Pos, "%s %q is not an RFC 3339 date-time such as \"2024-01-31T09:00:00Z\"", what, v.Text)
		return nil, false
	}
	return t.UTC().Format(time.RFC3339Nano), true
}

// stringValue checks a string-valued default against the field type and
// constraints.
func (c *fieldCtx) stringValue(f *Field, v *load.Value, what string) (any, bool) {
	s := v.Text
	switch f.Type {
	case Enum:
		for _, val := range f.Values {
			if s == val {
				return s, true
			}
		}
		c.errorf(v.Pos, "%s %q is not one of the values%s", what, s, load.DidYouMean(load.Suggest(s, f.Values)))
		return nil, false
	case UUID:
		if !isUUID(s) {
			c.errorf(v.Pos, "%s %q is not a UUID such as \"123e4567-e89b-12d3-a456-426614174000\"", what, s)
			return nil, false
		}
		return strings.ToLower(s), true
	case Email:
		if !validate.Email(s) {
			c.errorf(v.Pos, "%s %q is not an email address such as \"ada@example.com\"", what, s)
			return nil, false
		}
	case URL:
		if !isURL(s) {
			c.errorf(v.Pos, "%s %q is not an absolute http or https URL", what, s)
			return nil, false
		}
	}
	n := utf8.RuneCountInString(s)
	switch {
	case f.MinLength != nil && n < *f.MinLength:
		c.errorf(v.Pos, "%s %q is shorter than min_length %d", what, s, *f.MinLength)
		return nil, false
	case f.MaxLength != nil && n > *f.MaxLength:
		c.errorf(v.Pos, "%s %q is longer than max_length %d", what, s, *f.MaxLength)
		return nil, false
	}
	if f.Pattern != "" && !regexp.MustCompile(f.Pattern).MatchString(s) {
		c.errorf(v.Pos, "%s %q does not match pattern %q", what, s, f.Pattern)
		return nil, false
	}
	return s, true
}

// The URL and UUID checks below match runtime/validate, which generated
// code calls. Email addresses are checked by validate.Email itself: its
// rules are too many to repeat without drift (docs/architecture.md, the
// exception to STYLE.md §2).

// isURL reports whether s is an absolute http or https URL with a host.
func isURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// uuidRE matches the canonical 8-4-4-4-12 hex form.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isUUID(s string) bool { return uuidRE.MatchString(s) }
