package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the browser's zone of datetime inputs, whatever the host has

	"github.com/specstar-go/specstar/runtime/resource"
)

// decodeData decodes a resource's data into a map whose numbers keep
// their exact text.
func decodeData(data json.RawMessage) map[string]any {
	m := map[string]any{}
	if len(data) == 0 {
		return m
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	_ = d.Decode(&m)
	return m
}

// lookup returns the value at a dotted path of m.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// cell is one value as a page shows it.
type cell struct {
	Text  string
	Href  string // a link (refs, urls)
	Time  string // RFC 3339 of a datetime, which the page's script shows in the browser's zone
	Mono  bool   // ids, JSON
	Empty bool
	Bool  string // "yes" or "no" for a bool
	// Files are the files of a file field, with their downloads.
	Files []fileView
}

// timeLayout is how a datetime reads without the script: UTC, named.
const timeLayout = "2006-01-02 15:04:05 UTC"

// formatTime formats t as pages show times.
func formatTime(t time.Time) cell {
	if t.IsZero() {
		return cell{Empty: true, Text: "—"}
	}
	return cell{Text: t.UTC().Format(timeLayout), Time: t.UTC().Format(time.RFC3339)}
}

// display returns v (the value of f) as a cell; labels names ref targets.
func (a *Admin) display(f *Field, v any, labels refLabels) cell {
	if v == nil && f.Type != "bool" {
		return cell{Empty: true, Text: "—"}
	}
	switch f.Type {
	case "bool": // unset reads as unchecked, as the form shows it
		if b, _ := v.(bool); b {
			return cell{Text: "yes", Bool: "yes"}
		}
		return cell{Text: "no", Bool: "no"}
	case "datetime":
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return cell{Text: s}
		}
		return formatTime(t)
	case "ref":
		id, _ := v.(string)
		c := cell{Text: id, Mono: true}
		if t := a.site.Resource(f.Ref); t != nil {
			c.Href = "/" + t.Kind.Path + "/" + url.PathEscape(id)
			if l, ok := labels[f.Ref+"/"+id]; ok {
				c.Text, c.Mono = l, false
			}
		}
		return c
	case "url":
		s, _ := v.(string)
		return cell{Text: s, Href: s}
	case "uuid":
		return cell{Text: fmt.Sprint(v), Mono: true}
	case "list":
		items, _ := v.([]any)
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = a.display(f.Elem, it, labels).Text
		}
		if len(parts) == 0 {
			return cell{Empty: true, Text: "—"}
		}
		return cell{Text: strings.Join(parts, ", ")}
	case "json", "object", "file":
		b, _ := json.Marshal(v)
		return cell{Text: string(b), Mono: true}
	}
	switch x := v.(type) {
	case string:
		return cell{Text: x}
	case json.Number:
		return cell{Text: x.String()}
	}
	return cell{Text: fmt.Sprint(v)}
}

// refLabels maps "Kind/id" to the display value of a ref's target.
type refLabels map[string]string

// labelRefs reads the display fields of the targets of the ref fields
// (and lists of refs) in rows, one GetMany per target kind, as the
// caller: targets the caller may not read keep their ids.
func (a *Admin) labelRefs(ctx context.Context, r *Resource, rows []map[string]any) refLabels {
	want := map[string][]string{}
	var add func(fields []*Field, m map[string]any)
	add = func(fields []*Field, m map[string]any) {
		for _, f := range fields {
			v := m[f.Name]
			switch {
			case f.Type == "ref":
				if id, ok := v.(string); ok {
					want[f.Ref] = append(want[f.Ref], id)
				}
			case f.Type == "list" && f.Elem != nil && f.Elem.Type == "ref":
				items, _ := v.([]any)
				for _, it := range items {
					if id, ok := it.(string); ok {
						want[f.Elem.Ref] = append(want[f.Elem.Ref], id)
					}
				}
			case f.Type == "object":
				if obj, ok := v.(map[string]any); ok {
					add(f.Fields, obj)
				}
			}
		}
	}
	for _, m := range rows {
		add(r.Fields, m)
	}
	labels := refLabels{}
	for kind, ids := range want {
		t := a.site.Resource(kind)
		if t == nil || t.Display == "" {
			continue
		}
		envs, err := a.svc.GetMany(ctx, t.Kind, ids)
		if err != nil {
			continue
		}
		for id, env := range envs {
			if s, ok := decodeData(env.Data)[t.Display].(string); ok && s != "" {
				labels[kind+"/"+id] = s
			}
		}
	}
	return labels
}

// title returns the name of a resource on pages: its display field, else
// its id.
func (r *Resource) title(env *resource.Envelope) string {
	if r.Display == "" {
		return env.Meta.ResourceID
	}
	return r.titleOf(env, decodeData(env.Data))
}

// titleOf is title with env's data already decoded.
func (r *Resource) titleOf(env *resource.Envelope, data map[string]any) string {
	if s, ok := data[r.Display].(string); ok && s != "" && r.Display != "" {
		return s
	}
	return env.Meta.ResourceID
}

// inputValue returns v as the value attribute of f's input.
func inputValue(f *Field, v any) string {
	if v == nil {
		return ""
	}
	switch f.Type {
	case "datetime":
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2006-01-02T15:04:05")
	case "list":
		items, _ := v.([]any)
		parts := make([]string, len(items))
		for i, it := range items {
			parts[i] = inputValue(f.Elem, it)
		}
		return strings.Join(parts, "\n")
	case "json", "object", "file":
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	case "bool":
		if b, _ := v.(bool); b {
			return "true"
		}
		return ""
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}

// formReader turns a submitted form into the JSON data of a write.
type formReader struct {
	form url.Values
	loc  *time.Location // the zone of datetime inputs (the form's tz field)
	errs []resource.FieldError
}

// newFormReader reads the zone the page's script put in the tz field
// (UTC without the script).
func newFormReader(form url.Values) *formReader {
	loc := time.UTC
	if tz := form.Get("tz"); tz != "" && tz != "UTC" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	return &formReader{form: form, loc: loc}
}

func (fr *formReader) fail(path, format string, args ...any) {
	fr.errs = append(fr.errs, resource.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

// object reads the inputs of fields under prefix ("" or "address.")
// into a JSON object; skip names the top-level fields the form did not
// offer (read-only, hidden or not writable), which stay out of the data.
func (fr *formReader) object(fields []*Field, prefix string, skip func(*Field) bool) map[string]any {
	out := map[string]any{}
	for _, f := range fields {
		if f.ReadOnly || isFile(f) || (skip != nil && skip(f)) {
			continue
		}
		path := prefix + f.Name
		if f.Type == "object" {
			obj := fr.object(f.Fields, path+".", nil)
			if len(obj) > 0 || f.Required {
				out[f.Name] = obj
			}
			continue
		}
		if f.Type == "bool" {
			out[f.Name] = fr.form.Get(path) != ""
			continue
		}
		raw, ok := fr.form[path]
		if !ok || len(raw) == 0 {
			continue
		}
		s := strings.ReplaceAll(raw[0], "\r\n", "\n")
		if f.Type == "list" && f.Elem != nil && len(f.Elem.Values) > 0 {
			// Checkboxes: a hidden empty value, then one per checked box;
			// none checked is the empty list.
			vals := slices.DeleteFunc(slices.Clone(raw), func(s string) bool { return strings.TrimSpace(s) == "" })
			if len(vals) == 0 {
				out[f.Name] = []any{}
				continue
			}
			s = strings.Join(vals, "\n")
		}
		if f.Type != "text" && f.Type != "json" {
			s = strings.TrimSpace(s)
		}
		if s == "" {
			continue
		}
		if v, ok := fr.value(f, path, s); ok {
			out[f.Name] = v
		}
	}
	return out
}

// value converts the text of one input to f's JSON value.
func (fr *formReader) value(f *Field, path, s string) (any, bool) {
	switch f.Type {
	case "int":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			fr.fail(path, "must be a whole number")
			return nil, false
		}
		return n, true
	case "float":
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fr.fail(path, "must be a number")
			return nil, false
		}
		return x, true
	case "bool":
		return s == "true" || s == "on", true
	case "datetime":
		t, err := parseLocal(s, fr.loc)
		if err != nil {
			fr.fail(path, "must be a date and time")
			return nil, false
		}
		return t.UTC().Format(time.RFC3339Nano), true
	case "json":
		if !json.Valid([]byte(s)) {
			var v any
			err := json.Unmarshal([]byte(s), &v)
			if se, ok := err.(*json.SyntaxError); ok {
				fr.fail(path, "is not valid JSON: at character %d: %s", se.Offset, se.Error())
			} else {
				fr.fail(path, "is not valid JSON: %v", err)
			}
			return nil, false
		}
		return json.RawMessage(s), true
	case "list":
		var items []any
		for line := range strings.SplitSeq(s, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if v, ok := fr.value(f.Elem, path, line); ok {
				items = append(items, v)
			}
		}
		if items == nil {
			items = []any{}
		}
		return items, true
	}
	return s, true
}

// parseLocal parses the value of a datetime-local input (with or without
// seconds) in loc; an RFC 3339 time with its own offset is taken as is.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a date and time: %q", s)
}
