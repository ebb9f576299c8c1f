package model

import (
	"regexp"
	"strings"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/names"
)

var fieldNameRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// ReservedFieldNames are the names a top-level field may not have. The
// resource meta fields (resource_id, created_time, ...) are the vocabulary
// of filters and sorting, so a data field with the same name would be
// ambiguous; id, meta, revision_info and revisions would be confused with
// the resource id and the envelope and API names.
func ReservedFieldNames() []string {
	return []string{
		"id", "resource_id", "current_revision_id", "total_revision_count",
		"schema_version", "created_time", "created_by", "updated_time",
		"updated_by", "is_deleted", "meta", "revision_info", "revisions",
	}
}

// ReservedFieldGoNames are the Go names no field may map to, because
// generated structs declare methods with these names.
func ReservedFieldGoNames() []string {
	return []string{"Validate", "String", "MarshalJSON", "UnmarshalJSON"}
}

// Types returns every field type in documentation order.
func Types() []Type {
	return []Type{String, Text, Int, Float, Bool, DateTime, Date, Enum, Email, URL, UUID, JSON, List, Object, Ref, File}
}

// IsScalar reports whether values of t are single JSON strings, numbers
// or booleans: the types a list may hold.
func (t Type) IsScalar() bool {
	switch t {
	case String, Text, Int, Float, Bool, DateTime, Date, Enum, Email, URL, UUID:
		return true
	}
	return false
}

// IsText reports whether t holds free text: the types that take
// min_length, max_length, pattern and display.
func (t Type) IsText() bool {
	switch t {
	case String, Text, Email, URL:
		return true
	}
	return false
}

// typeAlias maps type names other tools use to the specstar type, for
// suggestions that edit distance cannot find.
func typeAlias(s string) string {
	switch strings.ToLower(s) {
	case "integer", "int64", "int32", "long":
		return "int"
	case "number", "double", "decimal", "float64", "float32":
		return "float"
	case "boolean":
		return "bool"
	case "str", "varchar", "char":
		return "string"
	case "timestamp", "time", "date_time":
		return "datetime"
	case "array", "slice":
		return "list"
	case "map", "dict", "struct":
		return "object"
	case "reference", "relation", "foreign_key", "fk", "belongs_to":
		return "ref"
	case "image", "upload", "blob", "attachment":
		return "file"
	case "guid":
		return "uuid"
	case "textarea", "markdown":
		return "text"
	}
	return ""
}

// parseType resolves a type name, reporting an unknown one.
func (b *builder) parseType(s *load.String, subject string, allowed []Type) (Type, bool) {
	var candidates []string
	for _, t := range allowed {
		if string(t) == s.Value {
			return t, true
		}
		candidates = append(candidates, string(t))
	}
	for _, t := range Types() {
		if string(t) == s.Value {
			// A known type that is not allowed here (list elements).
			return t, true
		}
	}
	hint := typeAlias(s.Value)
	if hint == "" {
		hint = load.Suggest(s.Value, candidates)
	}
	b.errorf(pos(s.Pos), "%s: unknown type %q%s", subject, s.Value, load.DidYouMean(hint))
	return "", false
}

// structScope is where fields are declared: a resource or an object.
type structScope struct {
	owner      *Resource
	path       string // dotted JSON path of the object, "" for a resource
	typePrefix string // Go type name of the struct: "Post", "PostAddress"
	subject    string // for messages: "Post", "Post.address"
	top        bool   // the fields of a resource, not of an object
	// jobPayload marks the fields of a job's payload: refs are allowed
	// there (checked at enqueue, without on_delete), files, unique and
	// field rules are not.
	jobPayload bool
}

// fields resolves the fields of a resource or object and reports fields
// whose Go names collide.
func (b *builder) fields(list []*load.Field, sc *structScope) []*Field {
	var out []*Field
	seen := make(map[string]*Field)
	for _, lf := range list {
		f := b.field(lf, sc)
		if f.GoName != "" {
			if prev, ok := seen[f.GoName]; ok {
				b.errorf(f.Pos, "field %s.%s: Go name %s collides with field %s at line %d; rename one of them", sc.subject, f.Name, f.GoName, prev.Name, prev.Pos.Line)
			}
			seen[f.GoName] = f
		}
		out = append(out, f)
	}
	b.renamed(list, out, sc)
	return out
}

// fieldCtx carries one field through its checks.
type fieldCtx struct {
	b       *builder
	lf      *load.Field
	f       *Field
	sc      *structScope
	subject string
}

func (c *fieldCtx) errorf(p load.Pos, format string, args ...any) {
	c.b.errorf(pos(p), "%s: "+format, append([]any{c.subject}, args...)...)
}

// field resolves one field.
func (b *builder) field(lf *load.Field, sc *structScope) *Field {
	f := &Field{
		Pos:   pos(lf.Pos),
		Name:  lf.Name,
		Path:  lf.Name,
		Owner: sc.owner,
	}
	if sc.path != "" {
		f.Path = sc.path + "." + lf.Name
	}
	c := &fieldCtx{b: b, lf: lf, f: f, sc: sc, subject: "field " + sc.subject + "." + lf.Name}
	c.name()
	if lf.Description != nil {
		f.Description = names.DocLines(lf.Description.Value)
	}
	f.Required = lf.Required != nil && lf.Required.Value
	if lf.Type == nil {
		c.errorf(lf.Pos, "missing key \"type\"")
		return f
	}
	t, ok := b.parseType(lf.Type, c.subject, Types())
	if !ok {
		return f
	}
	f.Type = t
	c.applicable()
	c.constraints()
	c.typeSpecific()
	c.defaults()
	c.fieldRules()
	return f
}

// renamed resolves renamed_from of the fields of one struct: earlier
// names, which no field of the struct may still have.
func (b *builder) renamed(list []*load.Field, fields []*Field, sc *structScope) {
	taken := make(map[string]string) // name -> the field that has or had it
	for _, f := range fields {
		taken[f.Name] = f.Name
	}
	for i, lf := range list {
		if lf.RenamedFrom == nil || i >= len(fields) {
			continue
		}
		f := fields[i]
		subject := "field " + sc.subject + "." + f.Name
		for _, old := range lf.RenamedFrom.Items {
			p := pos(old.Pos)
			switch prev, ok := taken[old.Value]; {
			case old.Value == f.Name:
				b.errorf(p, "%s: renamed_from names the field itself; remove it", subject)
			case ok && prev == old.Value:
				b.errorf(p, "%s: renamed_from %q names field %s.%s, which the spec still declares; rename or remove one of them", subject, old.Value, sc.subject, old.Value)
			case ok:
				b.errorf(p, "%s: renamed_from %q: field %s.%s was renamed from it too", subject, old.Value, sc.subject, prev)
			case !fieldNameRE.MatchString(old.Value):
				b.errorf(p, "%s: renamed_from %q is not a field name (snake_case)", subject, old.Value)
			default:
				taken[old.Value] = f.Name
				f.RenamedFrom = append(f.RenamedFrom, old.Value)
			}
		}
	}
}

// name checks the field name and sets GoName.
func (c *fieldCtx) name() {
	f := c.f
	if !fieldNameRE.MatchString(f.Name) {
		hint := ""
		if s := names.Snake(f.Name); fieldNameRE.MatchString(s) {
			hint = load.DidYouMean(s)
		}
		c.errorf(c.lf.Pos, "name must be snake_case (lower-case letters and digits, words joined by single underscores)%s", hint)
		return
	}
	if c.sc.top {
		for _, r := range ReservedFieldNames() {
			if f.Name == r {
				c.errorf(c.lf.Pos, "field name %q is reserved for resource metadata; choose another name (for an external identifier, for example, \"external_id\")", f.Name)
				return
			}
		}
	}
	goName := names.Pascal(f.Name)
	for _, r := range ReservedFieldGoNames() {
		if goName == r {
			c.errorf(c.lf.Pos, "Go name %s is reserved for a method of generated types; choose another name", goName)
			return
		}
	}
	f.GoName = goName
}

// applicable reports keys that do not apply to the field's type or place.
func (c *fieldCtx) applicable() {
	lf, t, top := c.lf, c.f.Type, c.sc.top
	listOf := Type("")
	if lf.Of != nil {
		listOf = Type(lf.Of.Value)
	}
	type rule struct {
		key     string
		present bool
		pos     load.Pos
		ok      bool
		only    string
	}
	rules := []rule{
		{"min", lf.Min != nil, keyPos(lf.Min), t == Int || t == Float, "int and float fields"},
		{"max", lf.Max != nil, keyPos(lf.Max), t == Int || t == Float, "int and float fields"},
		{"min_length", lf.MinLength != nil, keyPos(lf.MinLength), t.IsText() || t == List, "string, text, email, url and list fields"},
		{"max_length", lf.MaxLength != nil, keyPos(lf.MaxLength), t.IsText() || t == List, "string, text, email, url and list fields"},
		{"pattern", lf.Pattern != nil, keyPos(lf.Pattern), t.IsText(), "string, text, email and url fields"},
		{"unique", isTrue(lf.Unique), keyPos(lf.Unique), (t.IsScalar() || t == Ref) && t != Bool, "scalar and ref fields other than bool (not list, json, object or file)"},
		{"index", isTrue(lf.Index), keyPos(lf.Index), t.IsScalar() || t == Ref || t == List, "scalar, ref and list fields (not json, object or file)"},
		{"display", isTrue(lf.Display), keyPos(lf.Display), t.IsText(), "string, text, email and url fields"},
		{"values", lf.Values != nil, keyPos(lf.Values), t == Enum || (t == List && listOf == Enum), "enum fields and lists of enum"},
		{"of", lf.Of != nil, keyPos(lf.Of), t == List, "list fields"},
		{"fields", lf.Fields != nil, keyPos(lf.Fields), t == Object, "object fields"},
		{"to", lf.To != nil, keyPos(lf.To), t == Ref, "ref fields"},
		{"on_delete", lf.OnDelete != nil, keyPos(lf.OnDelete), t == Ref, "ref fields"},
		{"max_size", lf.MaxSize != nil, keyPos(lf.MaxSize), t == File || (t == List && listOf == File), "file fields and lists of file"},
		{"accept", lf.Accept != nil, keyPos(lf.Accept), t == File || (t == List && listOf == File), "file fields and lists of file"},
		{"default", lf.Default != nil, keyPos(lf.Default), t != JSON && t != Object && t != Ref && t != File, "scalar and list fields (not json, object, ref or file)"},
	}
	for _, r := range rules {
		if r.present && !r.ok {
			c.errorf(r.pos, "%s applies only to %s, not to %s field", r.key, r.only, withArticle(t))
		}
	}
	if c.sc.jobPayload {
		c.jobPayloadField()
		return
	}
	if !top {
		switch {
		case t == Ref:
			c.errorf(c.lf.Type.Pos, "ref fields are only supported at the top level of a resource, not inside an object")
		case isTrue(lf.Unique):
			c.errorf(keyPos(lf.Unique), "unique is only supported on top-level fields, not inside an object")
		case isTrue(lf.Display):
			c.errorf(keyPos(lf.Display), "display is only supported on top-level fields, not inside an object")
		}
	}
}

// jobPayloadField reports the keys and types a job's payload does not
// take.
func (c *fieldCtx) jobPayloadField() {
	lf, t := c.lf, c.f.Type
	switch {
	case t == File || (t == List && lf.Of != nil && lf.Of.Value == string(File)):
		c.errorf(c.lf.Type.Pos, "file fields are not supported in a job's payload: pass the id of a resource that holds the file (type: ref)")
	case isTrue(lf.Unique):
		c.errorf(keyPos(lf.Unique), "unique does not apply to a job's payload; to make jobs with equal payloads one job, set the job's unique_for")
	case isTrue(lf.Display):
		c.errorf(keyPos(lf.Display), "display does not apply to a job's payload")
	case lf.OnDelete != nil:
		c.errorf(keyPos(lf.OnDelete), "on_delete does not apply to a job's payload: an enqueue checks that the reference names a live resource, and deleting it later leaves the job as it is")
	case lf.Read != nil || lf.Write != nil:
		k := lf.Read
		if k == nil {
			k = lf.Write
		}
		c.errorf(k.KeyPos, "read and write rules do not apply to a job's payload: the job's permissions govern who reads and enqueues it")
	}
}

// keyPos returns the position of the key of an optional AST value, or the
// zero Pos when v is nil.
func keyPos[P interface {
	comparable
	Location() load.Loc
}](v P) load.Pos {
	var none P
	if v == none {
		return load.Pos{}
	}
	return v.Location().KeyPos
}

func isTrue(v *load.Bool) bool { return v != nil && v.Value }

// withArticle returns "an int", "a string": t with its indefinite article.
func withArticle(t Type) string {
	switch t {
	case Int, Enum, Email, Object:
		return "an " + string(t)
	}
	return "a " + string(t)
}

// String returns t's name, as written in specs.
func (t Type) String() string { return string(t) }
