package model

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/names"
)

// HelperNames returns the exported Go names that the emitters declare for
// a resource besides its own type: for Post, PostRecord, PostRepository,
// NewPostRepository, PostHooks, WithPostHooks and the GraphQL types. Build reports any other generated name (a resource,
// an enum type or constant, an object type) that collides with one of
// them. Emitters that add per-resource exported names must add them here.
func HelperNames(goName string) []string {
	return []string{
		goName + "Record", goName + "Repository", "New" + goName + "Repository",
		// GraphQL (graphqlgen): Go types, which are also the GraphQL type
		// names, except PostData (the GraphQL name of the data type).
		goName + "Connection", goName + "Edge", goName + "Filter", goName + "Order",
		goName + "OrderField", goName + "Change", goName + "Data", goName + "Input",
		goName + "Resolver",
		// Hooks (gogen hooks.go).
		goName + "Hooks", goName + "Write", goName + "Event", "With" + goName + "Hooks",
	}
}

// ReservedGoNames are the exported Go names that the emitters declare once
// per spec, and the names of the GraphQL schema's shared types (a
// resource, enum or object of the same name would make two GraphQL types
// of one name). No generated name may be one of them.
func ReservedGoNames() []string {
	return []string{
		"App", "Client", "NewClient", "NewServer", "Option", "Routes", "WithRoutes", "Tx",
		// Declared by gqlgen in the generated package.
		"Config", "ResolverRoot", "DirectiveRoot", "ComplexityRoot", "NewExecutableSchema",
		// Shared GraphQL types and scalars.
		"Query", "Mutation", "Subscription", "Meta", "RevisionInfo", "PageInfo",
		"RevisionConnection", "RevisionEdge", "File", "FileInput", "Upload", "JSON", "Time", "Int64",
		"OrderDirection", "RevisionStatus", "WriteMode", "ChangeKind",
		"StringFilter", "IDFilter", "IntFilter", "FloatFilter", "BooleanFilter", "TimeFilter", "DateFilter",
		"StringListFilter", "IntListFilter", "FloatListFilter", "BooleanListFilter", "TimeListFilter", "DateListFilter",
	}
}

// ReservedPaths are the REST path segments under /api that specstar keeps
// for its own endpoints (planned: /api/auth and /api/jobs), so that a later
// version can add them without breaking a spec.
func ReservedPaths() []string {
	return []string{"auth", "jobs"}
}

var (
	resourceNameRE = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	packageRE      = regexp.MustCompile(`^[a-z][a-z0-9]*$`)
	pathRE         = regexp.MustCompile(`^[a-z0-9]+([-_][a-z0-9]+)*$`)
)

// builder holds the state of one Build call.
type builder struct {
	errs   ErrorList
	m      *Model
	byName map[string]*Resource
	// goNames maps every exported package-level Go name the generated code
	// declares to what declares it, to report collisions.
	goNames map[string]declared
	tables  map[string]*Resource
	paths   map[string]*Resource
	// formerTables maps the tables of renamed_from names to the resource.
	formerTables map[string]*Resource
}

// declared is what a generated Go name belongs to.
type declared struct {
	what string
	pos  Pos
}

// Build resolves and validates a loaded spec. It reports every mistake it
// finds, as an ErrorList sorted by position, and returns a nil Model when
// there is any. Model.Source is set to the spec's file name as loaded;
// callers that know the module-relative path overwrite it.
func Build(spec *load.Spec) (*Model, error) {
	if spec == nil {
		return nil, fmt.Errorf("model: nil spec")
	}
	b := &builder{
		m:       &Model{Source: spec.File},
		byName:  make(map[string]*Resource),
		goNames: make(map[string]declared),
		tables:  make(map[string]*Resource),
		paths:   make(map[string]*Resource),

		formerTables: make(map[string]*Resource),
	}
	for _, n := range ReservedGoNames() {
		b.goNames[n] = declared{what: "the generated " + n + " of every spec", pos: Pos{}}
	}
	b.header(spec)
	b.auth(spec)
	b.resources(spec)
	b.jobs(spec)
	b.errs.Sort()
	if err := b.errs.Err(); err != nil {
		return nil, err
	}
	return b.m, nil
}

// pos converts a load position.
func pos(p load.Pos) Pos { return Pos(p) }

// header resolves package and output.
func (b *builder) header(spec *load.Spec) {
	if p := spec.Package; p != nil {
		switch _, err := names.Ident(p.Value); {
		case !packageRE.MatchString(p.Value):
			b.errorf(pos(p.Pos), "spec: package %q must be a lower-case Go identifier (letters and digits, no underscores), such as %q", p.Value, suggestPackage(p.Value))
		case err != nil:
			b.errorf(pos(p.Pos), "spec: package %q: %v", p.Value, err)
		case p.Value == "main" || p.Value == "init":
			b.errorf(pos(p.Pos), "spec: package %q cannot be imported: choose a library package name", p.Value)
		default:
			b.m.Package = p.Value
		}
	} else {
		b.errorf(pos(spec.Pos), `spec: missing key "package"`)
	}
	b.m.Output = b.m.Package
	if o := spec.Output; o != nil {
		if out, problem := cleanOutput(o.Value); problem != "" {
			b.errorf(pos(o.Pos), "spec: output %q %s", o.Value, problem)
		} else {
			b.m.Output = out
		}
	}
}

// suggestPackage turns a name into a plausible package name.
func suggestPackage(s string) string {
	p := strings.ToLower(strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}), ""))
	p = strings.TrimLeft(p, "0123456789")
	if p == "" {
		return "api"
	}
	return p
}

// cleanOutput checks and cleans the output directory: relative,
// slash-separated, inside the spec's directory.
func cleanOutput(o string) (string, string) {
	switch {
	case o == "":
		return "", "must not be empty"
	case strings.Contains(o, `\`):
		return "", "must use forward slashes"
	case strings.HasPrefix(o, "/") || (len(o) > 1 && o[1] == ':'):
		return "", "must be relative to the spec's directory"
	}
	c := path.Clean(o)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", "must stay inside the spec's directory (no \"..\")"
	}
	return c, ""
}

// resources resolves every resource: names first (so refs can point
// forward), then fields, then what depends on all fields.
func (b *builder) resources(spec *load.Spec) {
	if len(spec.Resources) == 0 {
		b.errorf(pos(spec.Pos), "spec: no resources: declare at least one under \"resources\"")
	}
	// The built-in resources of auth take their names first, then come
	// last in the model. specs[i] is the spec of b.m.Resources[i]
	// (duplicates are dropped).
	builtins := b.builtins()
	nBuiltin := len(b.m.Resources)
	var specs []*load.Resource
	for _, lr := range spec.Resources {
		if r := b.resource(lr); r != nil {
			specs = append(specs, lr)
		}
	}
	b.m.Resources = slices.Concat(b.m.Resources[nBuiltin:], b.m.Resources[:nBuiltin])
	specs = append(specs, builtins...)
	for i, r := range b.m.Resources {
		b.resourceBody(specs[i], r)
	}
	if a := b.m.Auth; a != nil {
		// Requests carry the password of a user; runtime/auth hashes it
		// into AuthCredential and removes it from the data, so no
		// response or revision holds it.
		for _, f := range a.User.Fields {
			f.WriteOnly = f.Name == "password"
		}
	}
	for _, r := range b.m.Resources {
		for _, f := range r.Fields {
			if f.Type == Ref && f.Target != nil {
				f.Target.Referrers = append(f.Target.Referrers, f)
			}
		}
	}
	for i, r := range b.m.Resources {
		b.rules(specs[i], r)
		if !r.Internal {
			r.Operations = operations(r)
		}
	}
}

// resource checks a resource's name and computes its names. It returns nil
// for a duplicate.
func (b *builder) resource(lr *load.Resource) *Resource {
	subject := "resource " + lr.Name
	p := pos(lr.Pos)
	if prev, ok := b.byName[lr.Name]; ok {
		if prev.Builtin {
			b.builtinConflict(lr, prev)
			return nil
		}
		b.errorf(p, "%s: declared twice (first at line %d)", subject, prev.Pos.Line)
		return nil
	}
	if !resourceNameRE.MatchString(lr.Name) {
		hint := ""
		if s := names.Pascal(lr.Name); resourceNameRE.MatchString(s) {
			hint = load.DidYouMean(s)
		}
		b.errorf(p, "%s: name must be PascalCase (an upper-case letter, then letters and digits)%s", subject, hint)
	}
	r := &Resource{
		Pos:      p,
		Name:     lr.Name,
		GoName:   names.Pascal(lr.Name),
		VarName:  varName(lr.Name),
		Receiver: names.Receiver(names.Pascal(lr.Name)),
		Plural:   names.Plural(names.Pascal(lr.Name)),
		Table:    names.Snake(lr.Name),
		Path:     names.Kebab(names.Plural(lr.Name)),
	}
	if lr.Description != nil {
		r.Description = names.DocLines(lr.Description.Value)
	}
	if b.m.Auth != nil && names.Camel(r.GoName) == "me" {
		b.errorf(p, "%s: its GraphQL query would be me, which auth declares (the caller's user); rename the resource", subject)
	}
	b.byName[lr.Name] = r
	b.m.Resources = append(b.m.Resources, r)
	if r.GoName == "" {
		return r // the name error above says why
	}
	if !b.declare(r.GoName, subject, "its Go type", p) {
		return r // table and path would collide too: one error is enough
	}
	for _, h := range HelperNames(r.GoName) {
		b.declare(h, subject, "a generated helper", p)
	}
	b.table(r)
	b.path(lr, r)
	return r
}

// varName is the unexported identifier of a resource. A keyword or
// predeclared identifier gets a trailing underscore ("type_"), as sqlc
// does, since the resource name itself is fine.
func varName(name string) string {
	v := names.Camel(name)
	if _, err := names.Ident(v); err != nil && v != "" {
		return v + "_"
	}
	return v
}

// declare records an exported package-level Go name and reports a
// collision with an earlier one, returning false.
func (b *builder) declare(name, subject, role string, p Pos) bool {
	what := subject + " (" + role + ")"
	if prev, ok := b.goNames[name]; ok {
		if prev.pos.Line == 0 {
			b.errorf(p, "%s: Go name %s for %s collides with %s; choose another name", subject, name, role, prev.what)
			return false
		}
		b.errorf(p, "%s: Go name %s for %s collides with %s at line %d; rename one of them", subject, name, role, prev.what, prev.pos.Line)
		return false
	}
	b.goNames[name] = declared{what: what, pos: p}
	return true
}

// table checks the storage name.
func (b *builder) table(r *Resource) {
	if strings.HasPrefix(r.Table, "sqlite_") {
		b.errorf(r.Pos, "resource %s: table name %q starts with \"sqlite_\", which SQLite reserves; rename the resource", r.Name, r.Table)
	}
	if prev, ok := b.tables[r.Table]; ok {
		b.errorf(r.Pos, "resource %s: table name %q is already used by %s", r.Name, r.Table, declaredBy(prev))
		return
	}
	b.tables[r.Table] = r
}

// path applies a path override and checks the REST path.
func (b *builder) path(lr *load.Resource, r *Resource) {
	subject := "resource " + r.Name
	p := r.Pos
	if lr.Path != nil {
		p = pos(lr.Path.Pos)
		v := lr.Path.Value
		if !pathRE.MatchString(v) {
			b.errorf(p, "%s: path %q must be one URL path segment of lower-case letters, digits, \"-\" and \"_\", such as %q", subject, v, r.Path)
			return
		}
		r.Path = v
	}
	for _, reserved := range ReservedPaths() {
		if r.Path == reserved {
			b.errorf(p, "%s: path /api/%s is reserved for specstar's own endpoints; set \"path\" to another segment", subject, r.Path)
			return
		}
	}
	if prev, ok := b.paths[r.Path]; ok {
		b.errorf(p, "%s: path /api/%s is already used by %s; set \"path\" to another segment", subject, r.Path, declaredBy(prev))
		return
	}
	b.paths[r.Path] = r
}

// resourceBody resolves fields, display and revisions.
func (b *builder) resourceBody(lr *load.Resource, r *Resource) {
	subject := "resource " + r.Name
	if lr.Fields == nil {
		b.errorf(r.Pos, "%s: missing key \"fields\"", subject)
	} else {
		if len(lr.Fields.List) == 0 {
			b.errorf(pos(lr.Fields.Pos), "%s: fields is empty: declare at least one field", subject)
		}
		scope := &structScope{owner: r, path: "", typePrefix: r.GoName, subject: r.Name, top: true}
		r.Fields = b.fields(lr.Fields.List, scope)
	}
	b.display(r)
	b.evolution(lr, r)
	if ds := lr.DefaultSort; ds != nil {
		b.defaultSort(r, ds)
	}
	if rv := lr.Revisions; rv != nil {
		if k := rv.KeepLast; k != nil {
			if k.Value < 1 || k.Value > 1<<31-1 {
				b.errorf(pos(k.Pos), "%s revisions: keep_last must be at least 1, got %d (omit it to keep every revision)", subject, k.Value)
			} else {
				r.KeepLast = int(k.Value)
			}
		}
		if a := rv.MaxAge; a != nil {
			if a.Value <= 0 {
				b.errorf(pos(a.Pos), "%s revisions: max_age must be greater than 0, got %q (omit it to keep revisions of any age)", subject, a.Text)
			} else {
				r.MaxAge = a.Value
			}
		}
	}
}

// display picks the display field: the one marked display: true (at most
// one), else the first required string field, else none.
func (b *builder) display(r *Resource) {
	for _, f := range r.Fields {
		if !f.Display {
			continue
		}
		if r.Display != nil {
			b.errorf(f.Pos, "field %s.%s: display is already set on field %s at line %d; a resource has one display field", r.Name, f.Name, r.Display.Name, r.Display.Pos.Line)
			continue
		}
		r.Display = f
	}
	if r.Display != nil {
		return
	}
	for _, f := range r.Fields {
		if f.Type == String && f.Required {
			r.Display = f
			return
		}
	}
}

// metaSortFields are the meta fields every list may sort and filter by.
func metaSortFields() []string {
	return []string{"resource_id", "created_time", "updated_time", "created_by", "updated_by"}
}

// defaultSort checks a resource's default_sort: comma-separated keys, each
// an indexed scalar field (dotted for nested) or a meta field, optionally
// prefixed with "-" for descending order, none repeated.
func (b *builder) defaultSort(r *Resource, ds *load.String) {
	subject := "resource " + r.Name + " default_sort"
	sortable := metaSortFields()
	var walk func(fs []*Field)
	walk = func(fs []*Field) {
		for _, f := range fs {
			if f.Index && f.Type != List {
				sortable = append(sortable, f.Path)
			}
			if f.Type == Object {
				walk(f.Fields)
			}
		}
	}
	walk(r.Fields)
	if strings.TrimSpace(ds.Value) == "" {
		b.errorf(pos(ds.Pos), "%s: is empty; name at least one field, e.g. \"-created_time\"", subject)
		return
	}
	seen := map[string]bool{}
	var keys []string
	for _, key := range strings.Split(ds.Value, ",") {
		key = strings.TrimSpace(key)
		name := strings.TrimPrefix(key, "-")
		switch {
		case name == "":
			b.errorf(pos(ds.Pos), "%s: empty sort key in %q", subject, ds.Value)
			continue
		case !slices.Contains(sortable, name):
			b.errorf(pos(ds.Pos), "%s: %q is not sortable: sort keys are indexed scalar fields or meta fields (%s)%s",
				subject, name, strings.Join(sortable, ", "), load.DidYouMean(load.Suggest(name, sortable)))
			continue
		case seen[name]:
			b.errorf(pos(ds.Pos), "%s: %q appears twice", subject, name)
			continue
		}
		seen[name] = true
		keys = append(keys, key)
	}
	r.DefaultSort = strings.Join(keys, ",")
}

// maxSchemaVersion bounds schema_version.
const maxSchemaVersion = 1 << 20

// evolution resolves renamed_from and schema_version.
func (b *builder) evolution(lr *load.Resource, r *Resource) {
	subject := "resource " + r.Name
	r.SchemaVersion = 1
	if v := lr.SchemaVersion; v != nil {
		if v.Value < 1 || v.Value > maxSchemaVersion {
			b.errorf(pos(v.Pos), "%s: schema_version must be between 1 and %d, got %d", subject, maxSchemaVersion, v.Value)
		} else {
			r.SchemaVersion = int(v.Value)
		}
	}
	if lr.RenamedFrom == nil {
		return
	}
	for _, old := range lr.RenamedFrom.Items {
		p := pos(old.Pos)
		switch other := b.byName[old.Value]; {
		case old.Value == r.Name:
			b.errorf(p, "%s: renamed_from names the resource itself; remove it", subject)
			continue
		case other != nil:
			b.errorf(p, "%s: renamed_from %q names %s, which the spec still declares; rename or remove one of them", subject, old.Value, declaredBy(other))
			continue
		case !resourceNameRE.MatchString(old.Value):
			b.errorf(p, "%s: renamed_from %q is not a resource name (PascalCase)", subject, old.Value)
			continue
		case slices.Contains(r.RenamedFrom, old.Value):
			b.errorf(p, "%s: renamed_from lists %q twice", subject, old.Value)
			continue
		}
		table := names.Snake(old.Value)
		if prev, ok := b.tables[table]; ok && prev != r {
			b.errorf(p, "%s: renamed_from %q: its table %q is the table of %s", subject, old.Value, table, declaredBy(prev))
			continue
		}
		if prev, ok := b.formerTables[table]; ok && prev != r {
			b.errorf(p, "%s: renamed_from %q: resource %s was renamed from it too", subject, old.Value, prev.Name)
			continue
		}
		b.formerTables[table] = r
		r.RenamedFrom = append(r.RenamedFrom, old.Value)
		if table != r.Table {
			r.FormerTables = append(r.FormerTables, table)
		}
	}
}
