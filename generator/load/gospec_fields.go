package load

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/names"
)

// resource reads an exported struct type as a resource.
func (l *goLoader) resource(t *goType) *Resource {
	r := &Resource{Name: t.name.Name, Pos: l.pos(t.name.Pos())}
	r.Description = l.description(t.doc)
	subject := "resource " + r.Name
	r.Fields = &Fields{Loc: l.locAt(t.st.Struct)}
	var options *ast.Field
	for _, fld := range t.st.Fields.List {
		if len(fld.Names) == 0 {
			if !l.isSpecSel(fld.Type, "Resource") {
				l.errorf(fld.Type.Pos(), "%s: embedded field %s is not supported: embed only %s.Resource, and name every other field", subject, l.source(fld.Type), l.specName())
				continue
			}
			if options != nil {
				l.errorf(fld.Type.Pos(), "%s: %s.Resource is embedded twice (first at line %d)", subject, l.specName(), l.pos(options.Pos()).Line)
				continue
			}
			options = fld
			l.resourceOptions(r, fld, subject)
			continue
		}
		for _, name := range fld.Names {
			if f := l.field(name, fld, r.Name, true, 0); f != nil {
				r.Fields.List = append(r.Fields.List, f)
			}
		}
	}
	if len(t.st.Fields.List) == 0 || (len(t.st.Fields.List) == 1 && options != nil) {
		l.errorf(t.st.Struct, "%s: the struct has no fields: declare at least one field", subject)
	}
	return r
}

// goResourceKeys are the keys of the specstar tag of spec.Resource, in
// documentation order.
func goResourceKeys() []string {
	return []string{"path", "default_sort", "keep_last", "max_age", "renamed_from", "schema_version"}
}

// goFieldKeys are the keys of a field's specstar tag, in documentation
// order.
func goFieldKeys() []string {
	return []string{
		"required", "default", "min", "max", "min_length", "max_length",
		"pattern", "unique", "index", "display", "values", "on_delete",
		"max_size", "accept", "read", "write", "renamed_from",
	}
}

// resourceOptions reads the tag of the embedded spec.Resource.
func (l *goLoader) resourceOptions(r *Resource, fld *ast.Field, subject string) {
	tag, jsonName, _ := l.structTag(fld, subject)
	if jsonName != "" {
		l.errorf(fld.Tag.Pos(), "%s: a json tag on %s.Resource has no effect; remove it", subject, l.specName())
	}
	if tag == nil {
		return
	}
	for _, it := range l.specstarItems(*tag, subject, func(key string) bool { return key == "default_sort" || key == "renamed_from" }) {
		switch it.key {
		case "path":
			r.Path = l.tagString(it, subject)
		case "default_sort":
			if v := l.tagList(it, subject); v != nil {
				texts := make([]string, len(v.Items))
				for i, s := range v.Items {
					texts[i] = s.Value
				}
				r.DefaultSort = &String{Loc: v.Loc, Value: strings.Join(texts, ",")}
			}
		case "renamed_from":
			r.RenamedFrom = l.tagList(it, subject)
		case "schema_version":
			r.SchemaVersion = l.tagInt(it, subject)
		case "keep_last", "max_age":
			if r.Revisions == nil {
				r.Revisions = &Revisions{Loc: l.itemLoc(it)}
			}
			if it.key == "keep_last" {
				r.Revisions.KeepLast = l.tagInt(it, subject)
			} else {
				r.Revisions.MaxAge = l.tagDuration(it, subject)
			}
		default:
			if slices.Contains(PermissionActions(), it.key) || it.key == "permissions" {
				l.errorf(it.keyPos, "%s: permissions are not tag keys: declare them with var _ = %s.Permissions[%s]{Read: \"public\", ...}", subject, l.specName(), r.Name)
				continue
			}
			if slices.Contains(goFieldKeys(), it.key) {
				l.errorf(it.keyPos, "%s: %s is a field option: put it in the specstar tag of a field, not of %s.Resource", subject, it.key, l.specName())
				continue
			}
			l.unknownTagKey(it, subject, goResourceKeys())
		}
	}
}

// field reads one named field of a resource or object. owner is the
// subject path of the struct ("Post", "Post.address", or the name of an
// object type).
func (l *goLoader) field(name *ast.Ident, fld *ast.Field, owner string, top bool, depth int) *Field {
	if name.Name == "_" {
		l.errorf(name.Pos(), "field %s._: name the field: its name is the field's JSON key", owner)
		return nil
	}
	f := &Field{Name: names.Snake(name.Name), Pos: l.pos(name.Pos())}
	subject := "field " + owner + "." + f.Name
	doc := fld.Doc
	if doc == nil {
		doc = fld.Comment
	}
	f.Description = l.description(doc)
	tag, jsonName, jsonPos := l.structTag(fld, subject)
	if jsonName != "" {
		// The name is written in the json tag: point there.
		f.Name, f.Pos = jsonName, l.pos(jsonPos)
		subject = "field " + owner + "." + f.Name
	}
	typ := fld.Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X // requiredness comes only from the tag
	}
	l.fieldType(f, typ, owner+"."+f.Name, subject, depth)
	if tag == nil {
		return f
	}
	isList := func(key string) bool {
		return key == "values" || key == "accept" || key == "renamed_from" || (key == "default" && f.Type != nil && f.Type.Value == "list")
	}
	for _, it := range l.specstarItems(*tag, subject, isList) {
		l.fieldTag(f, it, subject, top)
	}
	return f
}

// fieldTag applies one item of a field's specstar tag.
func (l *goLoader) fieldTag(f *Field, it tagItem, subject string, top bool) {
	switch it.key {
	case "required":
		f.Required = l.tagFlag(it, subject)
	case "unique":
		f.Unique = l.tagFlag(it, subject)
	case "index":
		f.Index = l.tagFlag(it, subject)
	case "display":
		f.Display = l.tagFlag(it, subject)
	case "default":
		f.Default = l.tagDefault(f, it, subject)
	case "min":
		f.Min = l.tagNumber(it, subject)
	case "max":
		f.Max = l.tagNumber(it, subject)
	case "min_length":
		f.MinLength = l.tagInt(it, subject)
	case "max_length":
		f.MaxLength = l.tagInt(it, subject)
	case "pattern":
		f.Pattern = l.tagString(it, subject)
	case "values":
		f.Values = l.tagList(it, subject)
	case "on_delete":
		f.OnDelete = l.tagString(it, subject)
	case "max_size":
		f.MaxSize = l.tagSize(it, subject)
	case "accept":
		f.Accept = l.tagList(it, subject)
	case "read":
		f.Read = l.tagRule(it, subject)
	case "write":
		f.Write = l.tagRule(it, subject)
	case "renamed_from":
		f.RenamedFrom = l.tagList(it, subject)
	case "type", "of", "to", "fields":
		l.errorf(it.keyPos, "%s: %s is not a tag key: a Go spec takes it from the field's Go type, %s", subject, it.key, typeKeyHint(it.key, l.specName()))
	case "description":
		l.errorf(it.keyPos, "%s: description is not a tag key: a Go spec takes it from the field's doc comment", subject)
	default:
		if slices.Contains(goResourceKeys(), it.key) {
			where := "on the embedded " + l.specName() + ".Resource field of the resource"
			if !top {
				where = "on the embedded " + l.specName() + ".Resource field of a resource, not on an object's field"
			}
			l.errorf(it.keyPos, "%s: %s is a resource option: put it %s", subject, it.key, where)
			return
		}
		l.unknownTagKey(it, subject, goFieldKeys())
	}
}

// typeKeyHint says how a Go spec writes what YAML writes with a type key.
func typeKeyHint(key, spec string) string {
	switch key {
	case "of":
		return "a slice such as []string"
	case "to":
		return "such as " + spec + ".Ref[Author]"
	case "fields":
		return "a struct type"
	}
	return "such as string or " + spec + ".Text"
}

// unknownTagKey reports an unknown key of a specstar tag.
func (l *goLoader) unknownTagKey(it tagItem, subject string, valid []string) {
	hint := keyAlias(it.key)
	if !slices.Contains(valid, hint) {
		hint = Suggest(it.key, valid)
	}
	l.errorf(it.keyPos, "%s: unknown key %q in specstar tag%s", subject, it.key, DidYouMean(hint))
}

// structTag reads a field's struct tag: its specstar pair (nil when there
// is none) and its json name ("" when there is none) with the name's
// position. Other keys are errors, so that a misspelt "specstar" is not
// silently ignored.
func (l *goLoader) structTag(fld *ast.Field, subject string) (*tagPair, string, token.Pos) {
	if fld.Tag == nil {
		return nil, "", token.NoPos
	}
	text, ok := tagLit(fld.Tag.Value, fld.Tag.Pos())
	if !ok {
		l.errorf(fld.Tag.Pos(), "%s: struct tag is not a valid Go string", subject)
		return nil, "", token.NoPos
	}
	pairs, serr := structTagPairs(text)
	if serr != nil {
		l.errorf(serr.pos, "%s: %s", subject, serr.msg)
	}
	var (
		specstar *tagPair
		jsonName string
		jsonPos  token.Pos
		seen     = make(map[string]token.Pos)
	)
	for _, p := range pairs {
		if first, dup := seen[p.key]; dup {
			l.errorf(p.keyPos, "%s: struct tag key %q is written twice (first at column %d)", subject, p.key, l.pos(first).Col)
			continue
		}
		seen[p.key] = p.keyPos
		switch p.key {
		case "specstar":
			specstar = &p
		case "json":
			jsonName, jsonPos = l.jsonName(p, subject), p.value.pos[0]
		default:
			l.errorf(p.keyPos, "%s: struct tag key %q has no meaning in a spec: use specstar:\"...\" (and json:\"name\" to rename the field)%s", subject, p.key, DidYouMean(Suggest(p.key, []string{"specstar", "json"})))
		}
	}
	return specstar, jsonName, jsonPos
}

// specstarItems parses a specstar tag value and reports duplicate keys.
func (l *goLoader) specstarItems(p tagPair, subject string, isList func(string) bool) []tagItem {
	items, serr := parseSpecstarTag(p.value, isList)
	if serr != nil {
		l.errorf(serr.pos, "%s: %s", subject, serr.msg)
	}
	var out []tagItem
	seen := make(map[string]token.Pos)
	for _, it := range items {
		if first, dup := seen[it.key]; dup {
			l.errorf(it.keyPos, "%s: duplicate key %q in specstar tag (first at column %d)", subject, it.key, l.pos(first).Col)
			continue
		}
		seen[it.key] = it.keyPos
		out = append(out, it)
	}
	return out
}

// jsonName reads a json tag: a name, with no options.
func (l *goLoader) jsonName(p tagPair, subject string) string {
	name, opts, hasOpts := strings.Cut(p.value.text, ",")
	switch {
	case name == "-":
		l.errorf(p.value.pos[0], "%s: json:\"-\" would hide the field: every field of a spec struct is part of the API; remove the field instead", subject)
		return ""
	case hasOpts:
		l.errorf(p.value.pos[len(name)], "%s: json tag options (%q) have no effect in a spec: the generated code decides how fields are encoded; write json:%q", subject, opts, name)
	}
	return name
}

// isJob reports whether an exported struct type is a job type: it embeds
// spec.Job.
func (l *goLoader) isJob(t *goType) bool {
	for _, fld := range t.st.Fields.List {
		if len(fld.Names) == 0 && l.isSpecSel(fld.Type, "Job") {
			return true
		}
	}
	return false
}

// goJobKeys are the keys of the specstar tag of spec.Job, in
// documentation order.
func goJobKeys() []string {
	return []string{"max_attempts", "timeout", "schedule", "concurrency", "unique_for"}
}

// job reads an exported struct type that embeds spec.Job as a job type:
// its other fields are the payload.
func (l *goLoader) job(t *goType) *Job {
	j := &Job{Name: t.name.Name, Pos: l.pos(t.name.Pos())}
	j.Description = l.description(t.doc)
	subject := "job " + j.Name
	payload := &Fields{Loc: l.locAt(t.st.Struct)}
	var options *ast.Field
	for _, fld := range t.st.Fields.List {
		if len(fld.Names) == 0 {
			switch {
			case l.isSpecSel(fld.Type, "Job") && options == nil:
				options = fld
				l.jobOptions(j, fld, subject)
			case l.isSpecSel(fld.Type, "Job"):
				l.errorf(fld.Type.Pos(), "%s: %s.Job is embedded twice (first at line %d)", subject, l.specName(), l.pos(options.Pos()).Line)
			case l.isSpecSel(fld.Type, "Resource"):
				l.errorf(fld.Type.Pos(), "%s: a struct embeds %s.Job or %s.Resource, not both: a job is not a resource", subject, l.specName(), l.specName())
			default:
				l.errorf(fld.Type.Pos(), "%s: embedded field %s is not supported: embed only %s.Job, and name every payload field", subject, l.source(fld.Type), l.specName())
			}
			continue
		}
		for _, name := range fld.Names {
			if f := l.field(name, fld, j.Name+".payload", false, 0); f != nil {
				payload.List = append(payload.List, f)
			}
		}
	}
	if len(payload.List) > 0 {
		j.Payload = payload
	}
	return j
}

// jobOptions reads the tag of the embedded spec.Job.
func (l *goLoader) jobOptions(j *Job, fld *ast.Field, subject string) {
	tag, jsonName, _ := l.structTag(fld, subject)
	if jsonName != "" {
		l.errorf(fld.Tag.Pos(), "%s: a json tag on %s.Job has no effect; remove it", subject, l.specName())
	}
	if tag == nil {
		return
	}
	for _, it := range l.specstarItems(*tag, subject, func(string) bool { return false }) {
		switch it.key {
		case "max_attempts":
			j.MaxAttempts = l.tagInt(it, subject)
		case "timeout":
			j.Timeout = l.tagDuration(it, subject)
		case "schedule":
			j.Schedule = l.tagString(it, subject)
		case "concurrency":
			j.Concurrency = l.tagInt(it, subject)
		case "unique_for":
			j.UniqueFor = l.tagDuration(it, subject)
		default:
			if slices.Contains(PermissionActions(), it.key) || it.key == "permissions" {
				l.errorf(it.keyPos, "%s: permissions are not tag keys: declare them with var _ = %s.Permissions[%s]{Read: \"role:editor\", ...}", subject, l.specName(), j.Name)
				continue
			}
			if j.Schedule != nil && strings.Trim(it.key, "0123456789*/-,ABCDEFGHIJKLMNOPQRSTUVWXYZ ") == "" {
				l.errorf(it.keyPos, "%s: %q looks like the rest of a schedule cut at a comma: quote a schedule that holds commas, schedule='%s,%s'", subject, it.key, j.Schedule.Value, it.key)
				continue
			}
			l.unknownTagKey(it, subject, goJobKeys())
		}
	}
}
