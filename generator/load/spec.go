package load

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The keys valid in each scope, in the order the docs list them. They are
// functions rather than package variables so that no caller can change
// them.

func topKeys() []string {
	return []string{"specstar", "package", "output", "auth", "resources", "jobs"}
}

func jobKeys() []string {
	return []string{"description", "payload", "max_attempts", "timeout", "schedule", "concurrency", "unique_for", "permissions"}
}

func resourceKeys() []string {
	return []string{"description", "path", "fields", "revisions", "default_sort", "permissions", "renamed_from", "schema_version"}
}

func authKeys() []string { return []string{"roles", "access_token_ttl", "refresh_token_ttl"} }

func revisionKeys() []string { return []string{"keep_last", "max_age"} }

func fieldKeys() []string {
	return []string{
		"type", "description", "required", "default", "min", "max",
		"min_length", "max_length", "pattern", "unique", "index", "display",
		"values", "of", "fields", "to", "on_delete", "max_size", "accept",
		"read", "write", "renamed_from",
	}
}

// spec walks the top-level mapping.
func (l *loader) spec(root *yaml.Node) *Spec {
	const subject = "spec"
	s := &Spec{File: l.file, Pos: l.pos(root)}
	present := make(map[string]bool)
	for _, e := range l.entries(root, subject) {
		present[e.key.Value] = true
		switch e.key.Value {
		case "specstar":
			s.Specstar = l.version(e)
		case "package":
			s.Package = l.str(e, subject)
		case "output":
			s.Output = l.str(e, subject)
		case "resources":
			s.Resources = l.resources(e)
		case "jobs":
			s.Jobs = l.jobs(e)
		case "auth":
			s.Auth = l.auth(e)
		default:
			l.unknown(e.key, subject, topKeys())
		}
	}
	if !present["specstar"] {
		l.errorAt(s.Pos, `spec: missing key "specstar" (add "specstar: 1" at the top)`)
	}
	if !present["package"] {
		l.errorAt(s.Pos, `spec: missing key "package" (the Go package name of the generated code)`)
	}
	if !present["resources"] {
		l.errorAt(s.Pos, `spec: missing key "resources"`)
	}
	return s
}

// version reads `specstar`, which must be 1.
func (l *loader) version(e entry) *Int {
	v := l.integer(e, "spec")
	if v != nil && v.Value != 1 {
		l.errorf(e.val, "spec: specstar version %d is not supported: this version of specstar reads version 1", v.Value)
	}
	return v
}

// resources walks `resources`.
func (l *loader) resources(e entry) []*Resource {
	es, ok := l.mapping(e, "spec")
	if !ok {
		return nil
	}
	if len(e.val.Content) == 0 {
		l.errorf(e.val, "spec: resources is empty: declare at least one resource")
	}
	var out []*Resource
	for _, re := range es {
		out = append(out, l.resource(re))
	}
	return out
}

// jobs walks `jobs`.
func (l *loader) jobs(e entry) []*Job {
	es, ok := l.mapping(e, "spec")
	if !ok {
		return nil
	}
	var out []*Job
	for _, je := range es {
		out = append(out, l.job(je))
	}
	return out
}

// job walks one job type.
func (l *loader) job(e entry) *Job {
	j := &Job{Name: e.key.Value, Pos: l.pos(e.key)}
	subject := "job " + j.Name
	if e.val.Kind == yaml.ScalarNode && e.val.ShortTag() == "!!null" {
		return j // a job without payload or options
	}
	if e.val.Kind != yaml.MappingNode {
		l.errorf(e.val, "%s: must be a mapping (payload, max_attempts, timeout, schedule, ...), got %s", subject, describe(e.val))
		return j
	}
	for _, k := range l.entries(e.val, subject) {
		switch k.key.Value {
		case "description":
			j.Description = l.str(k, subject)
		case "payload":
			j.Payload = l.fields(k, j.Name+".payload", subject, 0)
		case "max_attempts":
			j.MaxAttempts = l.integer(k, subject)
		case "timeout":
			j.Timeout = l.duration(k, subject)
		case "schedule":
			j.Schedule = l.str(k, subject)
		case "concurrency":
			j.Concurrency = l.integer(k, subject)
		case "unique_for":
			j.UniqueFor = l.duration(k, subject)
		case "permissions":
			j.Permissions = l.permissions(k, subject)
		case "fields":
			l.errorf(k.key, "%s: a job has no fields: its input is its payload (payload: {...}), with the same field types and constraints", subject)
		default:
			l.unknown(k.key, subject, jobKeys())
		}
	}
	return j
}

// resource walks one resource.
func (l *loader) resource(e entry) *Resource {
	r := &Resource{Name: e.key.Value, Pos: l.pos(e.key)}
	subject := "resource " + r.Name
	if e.val.Kind != yaml.MappingNode {
		l.errorf(e.val, "%s: must be a mapping with \"fields\", got %s", subject, describe(e.val))
		return r
	}
	hasFields := false
	for _, k := range l.entries(e.val, subject) {
		switch k.key.Value {
		case "description":
			r.Description = l.str(k, subject)
		case "path":
			r.Path = l.str(k, subject)
		case "fields":
			hasFields = true
			r.Fields = l.fields(k, r.Name, subject, 0)
		case "revisions":
			r.Revisions = l.revisions(k, subject)
		case "default_sort":
			r.DefaultSort = l.str(k, subject)
		case "permissions":
			r.Permissions = l.permissions(k, subject)
		case "renamed_from":
			r.RenamedFrom = l.names(k, subject)
		case "schema_version":
			r.SchemaVersion = l.integer(k, subject)
		default:
			l.unknown(k.key, subject, resourceKeys())
		}
	}
	if !hasFields {
		l.errorf(e.key, "%s: missing key \"fields\"", subject)
	}
	return r
}

// auth walks the top-level `auth` mapping.
func (l *loader) auth(e entry) *Auth {
	const subject = "auth"
	es, ok := l.mapping(e, "spec")
	if !ok {
		return nil
	}
	a := &Auth{Loc: l.loc(e)}
	for _, k := range es {
		switch k.key.Value {
		case "roles":
			a.Roles = l.stringList(k, subject)
		case "access_token_ttl":
			a.AccessTokenTTL = l.duration(k, subject)
		case "refresh_token_ttl":
			a.RefreshTokenTTL = l.duration(k, subject)
		default:
			l.unknown(k.key, subject, authKeys())
		}
	}
	return a
}

// permissions walks a resource's `permissions`: action names to rules.
func (l *loader) permissions(e entry, owner string) *Permissions {
	subject := owner + " permissions"
	es, ok := l.mapping(e, owner)
	if !ok {
		return nil
	}
	p := &Permissions{Loc: l.loc(e)}
	for _, k := range es {
		if !slices.Contains(PermissionActions(), k.key.Value) {
			l.errorf(k.key, "%s: unknown action %q%s; the actions are %s", subject, k.key.Value,
				DidYouMean(Suggest(k.key.Value, PermissionActions())), strings.Join(PermissionActions(), ", "))
			continue
		}
		if r := l.rule(k, subject); r != nil {
			p.Rules = append(p.Rules, &ActionRule{Action: k.key.Value, Rule: r})
		}
	}
	return p
}

// revisions walks a resource's `revisions`.
func (l *loader) revisions(e entry, owner string) *Revisions {
	subject := owner + " revisions"
	es, ok := l.mapping(e, owner)
	if !ok {
		return nil
	}
	rv := &Revisions{Loc: l.loc(e)}
	for _, k := range es {
		switch k.key.Value {
		case "keep_last":
			rv.KeepLast = l.integer(k, subject)
		case "max_age":
			rv.MaxAge = l.duration(k, subject)
		default:
			l.unknown(k.key, subject, revisionKeys())
		}
	}
	return rv
}

// fields walks a `fields` mapping; path is the dotted name of its owner
// ("Post", "Post.address").
func (l *loader) fields(e entry, path, subject string, depth int) *Fields {
	es, ok := l.mapping(e, subject)
	if !ok {
		return nil
	}
	fs := &Fields{Loc: l.loc(e)}
	if depth >= maxDepth {
		l.errorf(e.key, "%s: objects nest too deeply (at most %d levels)", subject, maxDepth)
		return fs
	}
	for _, fe := range es {
		fs.List = append(fs.List, l.field(fe, path, depth))
	}
	return fs
}

// field walks one field, in full or shorthand form.
func (l *loader) field(e entry, owner string, depth int) *Field {
	f := &Field{Name: e.key.Value, Pos: l.pos(e.key)}
	path := owner + "." + f.Name
	subject := "field " + path
	switch {
	case e.val.Kind == yaml.ScalarNode && e.val.ShortTag() == "!!str":
		f.Shorthand = true
		f.Type = &String{Loc: l.loc(e), Value: e.val.Value}
		return f
	case e.val.Kind != yaml.MappingNode:
		l.errorf(e.val, "%s: must be a type name (such as string) or a mapping with \"type\", got %s", subject, describe(e.val))
		return f
	}
	hasType := false
	for _, k := range l.entries(e.val, subject) {
		hasType = hasType || k.key.Value == "type"
		l.fieldKey(f, k, path, subject, depth)
	}
	if !hasType {
		l.errorf(e.key, "%s: missing key \"type\"", subject)
	}
	return f
}

// fieldKey reads one key of a field mapping.
func (l *loader) fieldKey(f *Field, k entry, path, subject string, depth int) {
	switch k.key.Value {
	case "type":
		f.Type = l.str(k, subject)
	case "description":
		f.Description = l.str(k, subject)
	case "required":
		f.Required = l.boolean(k, subject)
	case "default":
		f.Default = l.value(k.key, k.val, subject, 0)
	case "min":
		f.Min = l.number(k, subject)
	case "max":
		f.Max = l.number(k, subject)
	case "min_length":
		f.MinLength = l.integer(k, subject)
	case "max_length":
		f.MaxLength = l.integer(k, subject)
	case "pattern":
		f.Pattern = l.str(k, subject)
	case "unique":
		f.Unique = l.boolean(k, subject)
	case "index":
		f.Index = l.boolean(k, subject)
	case "display":
		f.Display = l.boolean(k, subject)
	case "values":
		f.Values = l.stringList(k, subject)
	case "of":
		f.Of = l.str(k, subject)
	case "fields":
		f.Fields = l.fields(k, path, subject, depth+1)
	case "to":
		f.To = l.str(k, subject)
	case "on_delete":
		f.OnDelete = l.str(k, subject)
	case "max_size":
		f.MaxSize = l.size(k, subject)
	case "accept":
		f.Accept = l.stringList(k, subject)
	case "read":
		f.Read = l.rule(k, subject)
	case "renamed_from":
		f.RenamedFrom = l.names(k, subject)
	case "write":
		f.Write = l.rule(k, subject)
	default:
		l.unknown(k.key, subject, fieldKeys())
	}
}

// value reads a raw value (a default) of any shape.
func (l *loader) value(key, n *yaml.Node, subject string, depth int) *Value {
	if !l.spend(n, 1) {
		return nil
	}
	v := &Value{Loc: Loc{Pos: l.pos(n)}}
	if key != nil {
		v.KeyPos = l.pos(key)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		v.Kind = Scalar
		v.Tag = n.ShortTag()
		v.Text = n.Value
		switch v.Tag {
		case "!!int":
			if err := n.Decode(&v.Int); err != nil {
				l.errorf(n, "%s: integer %s is out of range", subject, truncate(n.Value))
				return nil
			}
			v.Float = float64(v.Int)
		case "!!float":
			if err := n.Decode(&v.Float); err != nil || math.IsNaN(v.Float) || math.IsInf(v.Float, 0) {
				l.errorf(n, "%s: %s is not a finite number", subject, truncate(n.Value))
				return nil
			}
		case "!!bool":
			if err := n.Decode(&v.Bool); err != nil {
				l.errorf(n, "%s: %s is not a boolean", subject, truncate(n.Value))
				return nil
			}
		case "!!str", "!!null", "!!timestamp":
		default:
			l.errorf(n, "%s: unsupported YAML tag %s", subject, v.Tag)
		}
	case yaml.SequenceNode:
		v.Kind = Sequence
		if depth >= maxDepth {
			l.errorf(n, "%s: value nests too deeply", subject)
			return v
		}
		for _, item := range n.Content {
			if iv := l.value(nil, l.deref(item), subject, depth+1); iv != nil {
				v.Items = append(v.Items, iv)
			}
		}
	case yaml.MappingNode:
		v.Kind = Mapping
	default:
		l.errorf(n, "%s: unsupported YAML value %s", subject, fmt.Sprint(n.Kind))
		return nil
	}
	return v
}
