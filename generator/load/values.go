package load

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// str reads a string value. Other scalars are errors with a hint to quote
// them, so that `pattern: 123` is not silently read as a number.
func (l *loader) str(e entry, subject string) *String {
	n := e.val
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str" {
		hint := ""
		if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!null" {
			hint = ` (quote it: "` + truncate(n.Value) + `")`
		}
		l.errorf(n, "%s: %s must be a string, got %s%s", subject, e.key.Value, describe(n), hint)
		return nil
	}
	return &String{Loc: l.loc(e), Value: n.Value}
}

// stringList reads a list of strings.
func (l *loader) stringList(e entry, subject string) *StringList {
	n := e.val
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, "%s: %s must be a list of strings, got %s", subject, e.key.Value, describe(n))
		return nil
	}
	if !l.spend(n, len(n.Content)+1) {
		return nil
	}
	list := &StringList{Loc: l.loc(e)}
	ok := true
	for _, item := range n.Content {
		item = l.deref(item)
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
			hint := ""
			if item.Kind == yaml.ScalarNode && item.ShortTag() != "!!null" {
				hint = ` (quote it: "` + truncate(item.Value) + `")`
			}
			l.errorf(item, "%s: %s must be a list of strings, got %s%s", subject, e.key.Value, describe(item), hint)
			ok = false
			continue
		}
		list.Items = append(list.Items, &String{Loc: Loc{Pos: l.pos(item)}, Value: item.Value})
	}
	if !ok {
		return nil
	}
	return list
}

// names reads a name or a list of names (renamed_from: Old, or [Older,
// Old]) as a list.
func (l *loader) names(e entry, subject string) *StringList {
	if e.val.Kind == yaml.ScalarNode {
		s := l.str(e, subject)
		if s == nil {
			return nil
		}
		return &StringList{Loc: s.Loc, Items: []*String{{Loc: Loc{Pos: s.Pos}, Value: s.Value}}}
	}
	return l.stringList(e, subject)
}

// integer reads an integer value.
func (l *loader) integer(e entry, subject string) *Int {
	n := e.val
	var v int64
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		l.errorf(n, "%s: %s must be an integer, got %s", subject, e.key.Value, describe(n))
		return nil
	}
	if err := n.Decode(&v); err != nil {
		l.errorf(n, "%s: %s is out of range, got %s", subject, e.key.Value, describe(n))
		return nil
	}
	return &Int{Loc: l.loc(e), Value: v}
}

// number reads an integer or float value.
func (l *loader) number(e entry, subject string) *Number {
	n := e.val
	tag := n.ShortTag()
	if n.Kind != yaml.ScalarNode || (tag != "!!int" && tag != "!!float") {
		l.errorf(n, "%s: %s must be a number, got %s", subject, e.key.Value, describe(n))
		return nil
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		l.errorf(n, "%s: %s must be a finite number, got %s", subject, e.key.Value, describe(n))
		return nil
	}
	return &Number{Loc: l.loc(e), Value: v, IsInt: tag == "!!int"}
}

// boolean reads true or false.
func (l *loader) boolean(e entry, subject string) *Bool {
	n := e.val
	var v bool
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		l.errorf(n, "%s: %s must be true or false, got %s", subject, e.key.Value, describe(n))
		return nil
	}
	return &Bool{Loc: l.loc(e), Value: v}
}

// sizePattern matches "5MB", "512 KiB", "100B".
var sizePattern = regexp.MustCompile(`^(\d+)\s*([a-zA-Z]+)$`)

// sizeUnit returns the bytes of a size unit, case-insensitively. KB, MB
// and GB are binary units (1 KB = 1024 bytes), as in most upload limits;
// KiB, MiB and GiB are accepted as synonyms.
func sizeUnit(u string) (int64, bool) {
	switch strings.ToLower(u) {
	case "b":
		return 1, true
	case "kb", "kib":
		return 1 << 10, true
	case "mb", "mib":
		return 1 << 20, true
	case "gb", "gib":
		return 1 << 30, true
	}
	return 0, false
}

// ParseSize parses a byte size: a number of bytes ("1024") or a number
// with a unit B, KB, MB, GB (binary: 1 KB = 1024 bytes) or KiB, MiB, GiB.
func ParseSize(s string) (int64, bool) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	unit, ok := sizeUnit(m[2])
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || n > math.MaxInt64/unit {
		return 0, false
	}
	return n * unit, true
}

// size reads a byte size.
func (l *loader) size(e entry, subject string) *Size {
	n := e.val
	if n.Kind == yaml.ScalarNode && (n.ShortTag() == "!!int" || n.ShortTag() == "!!str") {
		if b, ok := ParseSize(n.Value); ok {
			return &Size{Loc: l.loc(e), Bytes: b, Text: n.Value}
		}
	}
	l.errorf(n, "%s: %s must be a size such as 5MB, 512KB or a number of bytes, got %s", subject, e.key.Value, describe(n))
	return nil
}

// dayPattern matches a leading number of days: "30d", "1d12h", "-2d".
var dayPattern = regexp.MustCompile(`^(-?)(\d+)d(.*)$`)

// ParseDuration parses a Go duration ("720h", "90m") that may start with a
// number of days ("30d", "1d12h"). A day is 24 hours.
func ParseDuration(s string) (time.Duration, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d, true
	}
	m := dayPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	days, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil || days > int64(math.MaxInt64/(24*time.Hour)) {
		return 0, false
	}
	d := time.Duration(days) * 24 * time.Hour
	if m[3] != "" {
		rest, err := time.ParseDuration(m[3])
		if err != nil || rest < 0 || rest > math.MaxInt64-d {
			return 0, false
		}
		d += rest
	}
	if m[1] == "-" {
		d = -d
	}
	return d, true
}

// duration reads a duration.
func (l *loader) duration(e entry, subject string) *Duration {
	n := e.val
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		if d, ok := ParseDuration(n.Value); ok {
			return &Duration{Loc: l.loc(e), Value: d, Text: n.Value}
		}
	}
	l.errorf(n, "%s: %s must be a duration such as 720h or 30d, got %s", subject, e.key.Value, describe(n))
	return nil
}
