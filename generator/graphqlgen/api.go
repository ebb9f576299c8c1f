package graphqlgen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/generator/names"
)

// schema is the GraphQL API of a model: every name and shape the schema
// writer, the gqlgen configuration and the Go emitters share, computed
// once.
type schema struct {
	model     *model.Model
	resources []*resourceAPI
	byModel   map[*model.Resource]*resourceAPI
	// shared names the shared input types the schema uses
	// ("StringFilter", "FileInput", ...).
	shared map[string]bool
}

// resourceAPI is the GraphQL API of one resource. For Post: the object
// Post (Go PostRecord), its data PostData (Go Post) and input PostInput
// (Go Post), PostConnection, PostEdge, PostFilter, PostOrder,
// PostOrderField, PostChange. Its root fields (the queries post and posts,
// the mutations createPost ... switchPostRevision, the subscription
// postChanged) are the GraphQL names of the model's operations table.
type resourceAPI struct {
	model *model.Resource

	name, data, input, conn, edge, filter, order, orderField, change string

	// one and many are the fields of the read and the list (post, posts),
	// which also name the resource in its change event and in the
	// back-references to it (postsByAuthor).
	one, many string

	relations []*relation
	backrefs  []*backref
	where     *filterInput
	orders    []orderValue
	enums     []*enumAPI   // declared by this resource's fields
	objects   []*objectAPI // nested objects of this resource
}

// relation is a ref field resolved to its target: Post.author: Author.
type relation struct {
	field  *model.Field
	name   string
	target *resourceAPI
}

// backref lists the referrers through one ref field:
// Author.postsByAuthor: PostConnection!.
type backref struct {
	field  *model.Field
	source *resourceAPI
	name   string
}

// filterInput is a filter input type: the filter of a resource, or the
// filter of a nested object's indexed fields.
type filterInput struct {
	name   string // GraphQL and Go type name
	fields []*filterField
}

// filterField is one field of a filter input.
type filterField struct {
	name   string       // GraphQL field name
	goName string       // Go field name
	path   string       // dotted JSON path, as the filter language names it
	typ    string       // GraphQL type of the input
	shared bool         // typ is a runtime/gql type
	object *filterInput // nested object filter (typ == object.name)
	enum   *enumAPI     // enum filter
	list   bool         // the field is a list
}

// orderValue is one value of an order field enum.
type orderValue struct {
	name    string // GraphQL enum value: PUBLISHED_AT
	goConst string // PostOrderFieldPublishedAt
	key     string // sort key: published_at
}

// enumAPI is one enum type.
type enumAPI struct {
	goType     string   // GraphQL and Go type: PostStatus
	values     []string // stored values
	names      []string // GraphQL values: DRAFT
	goConsts   []string // PostStatusDraft
	filter     bool     // PostStatusFilter is used
	listFilter bool     // PostStatusListFilter is used
}

// objectAPI is one nested object type: its output type (the Go struct's
// name) and input type (name + "Input").
type objectAPI struct {
	field *model.Field
	name  string
	input string
}

// meField is the query of a spec with auth that returns the caller's
// User.
const meField = "me"

// metaFilters are the filter fields every resource has, in the order of
// the schema.
var metaFilters = []struct{ name, goName, path, typ string }{
	{"resourceId", "ResourceID", "resource_id", "IDFilter"},
	{"createdTime", "CreatedTime", "created_time", "TimeFilter"},
	{"updatedTime", "UpdatedTime", "updated_time", "TimeFilter"},
	{"createdBy", "CreatedBy", "created_by", "StringFilter"},
	{"updatedBy", "UpdatedBy", "updated_by", "StringFilter"},
}

// resourceFields are the fields of every resource object that are not
// operations, before its relations; the operations on the object
// (revisions, diff) follow its relations and back-references.
var resourceFields = []string{"id", "etag", "data", "meta", "revisionInfo"}

// newSchema computes the API of m and reports the names that would
// collide in the GraphQL schema.
func newSchema(m *model.Model) (*schema, error) {
	s := &schema{model: m, byModel: make(map[*model.Resource]*resourceAPI), shared: map[string]bool{
		"IDFilter": true, "TimeFilter": true, "StringFilter": true,
	}}
	for _, r := range m.APIResources() {
		a := newResourceAPI(r)
		s.resources = append(s.resources, a)
		s.byModel[r] = a
	}
	var errs []string
	for _, a := range s.resources {
		errs = append(errs, s.resolve(a)...)
	}
	errs = append(errs, s.checkNames()...)
	if len(errs) > 0 {
		sort.Strings(errs)
		return nil, fmt.Errorf("gen: GraphQL schema:\n\t%s", strings.Join(errs, "\n\t"))
	}
	return s, nil
}

// newResourceAPI names the API of r.
func newResourceAPI(r *model.Resource) *resourceAPI {
	g := r.GoName
	return &resourceAPI{
		model: r, name: g, data: g + "Data", input: g + "Input", conn: g + "Connection", edge: g + "Edge",
		filter: g + "Filter", order: g + "Order", orderField: g + "OrderField", change: g + "Change",
		one: r.Operation(model.ActionRead).GraphQL.Name, many: r.Operation(model.ActionList).GraphQL.Name,
	}
}

// rootTypes are the GraphQL root types, in the order of the schema.
func rootTypes() []string {
	return []string{model.GraphQLQuery, model.GraphQLMutation, model.GraphQLSubscription}
}

// resolve computes the relations, filters, orders, enums and objects of
// a, and returns the names that collide.
func (s *schema) resolve(a *resourceAPI) []string {
	var errs []string
	fields := map[string]string{}
	for _, f := range resourceFields {
		fields[f] = "a built-in field"
	}
	for _, op := range a.model.GraphQLOperations(model.GraphQLResource) {
		fields[op.GraphQL.Name] = "a built-in field"
	}
	claim := func(name, what string) {
		if prev, ok := fields[name]; ok {
			errs = append(errs, fmt.Sprintf("%s.%s: %s collides with %s; rename the field", a.name, name, what, prev))
			return
		}
		fields[name] = what
	}
	for _, fd := range a.model.Fields {
		if fd.Type == model.Ref {
			rel := &relation{field: fd, name: fieldName(fd.Name), target: s.byModel[fd.Target]}
			claim(rel.name, "the relation of field "+fd.Name)
			a.relations = append(a.relations, rel)
		}
	}
	for _, fd := range a.model.Referrers {
		src := s.byModel[fd.Owner]
		b := &backref{field: fd, source: src, name: src.many + "By" + upperFirst(fieldName(fd.Name))}
		claim(b.name, "the referrers through "+src.name+"."+fd.Name)
		a.backrefs = append(a.backrefs, b)
	}
	walk(a.model.Fields, func(fd *model.Field) {
		if fd.Type == model.Object {
			a.objects = append(a.objects, &objectAPI{field: fd, name: fd.ObjectGoType, input: fd.ObjectGoType + "Input"})
		}
		if e := enumOf(fd); e != nil {
			a.enums = append(a.enums, e)
		}
	})
	var ferrs []string
	a.where, ferrs = s.filterOf(a, a.filter, a.model.Fields)
	errs = append(errs, ferrs...)
	for _, mf := range metaFilters {
		a.where.fields = append(a.where.fields, &filterField{name: mf.name, goName: mf.goName, path: mf.path, typ: mf.typ, shared: true})
	}
	errs = append(errs, s.ordersOf(a)...)
	return errs
}

// enumOf returns the enum type a field declares, or nil.
func enumOf(fd *model.Field) *enumAPI {
	if fd.EnumGoType == "" {
		return nil
	}
	src := fd
	if fd.Type == model.List {
		src = fd.Elem
	}
	e := &enumAPI{goType: fd.EnumGoType, values: src.Values, goConsts: src.ValueGoNames}
	for _, v := range src.Values {
		e.names = append(e.names, enumValueName(v))
	}
	return e
}

// enumByType finds the enum of a's fields with Go type goType.
func (a *resourceAPI) enumByType(goType string) *enumAPI {
	for _, e := range a.enums {
		if e.goType == goType {
			return e
		}
	}
	return nil
}

// filterOf builds the filter input of fields (a resource's, or a nested
// object's): one entry per indexed or ref field, nested objects as their
// own inputs when they hold any.
func (s *schema) filterOf(a *resourceAPI, name string, fields []*model.Field) (*filterInput, []string) {
	in := &filterInput{name: name}
	var errs []string
	for _, fd := range fields {
		gname := fieldName(fd.Name)
		switch gname {
		case "and", "or", "not":
			errs = append(errs, fmt.Sprintf("%s.%s: a filterable field may not be named %q (a filter operator); rename the field", a.name, gname, fd.Name))
			continue
		}
		ff := &filterField{name: gname, goName: fd.GoName, path: fd.Path}
		switch {
		case fd.Type == model.Object:
			sub, subErrs := s.filterOf(a, fd.ObjectGoType+"Filter", fd.Fields)
			errs = append(errs, subErrs...)
			if len(sub.fields) == 0 {
				continue
			}
			ff.object, ff.typ = sub, sub.name
		case !fd.Index && fd.Type != model.Ref:
			continue
		case fd.Type == model.List:
			ff.list = true
			if fd.Elem.Type == model.Enum {
				ff.enum = a.enumByType(fd.EnumGoType)
				ff.enum.listFilter = true
				ff.typ = fd.EnumGoType + "ListFilter"
			} else {
				ff.typ, ff.shared = scalarFilter(fd.Elem.Type)+"ListFilter", true
			}
		case fd.Type == model.Enum:
			ff.enum = a.enumByType(fd.EnumGoType)
			ff.enum.filter = true
			ff.typ = fd.EnumGoType + "Filter"
		default:
			ff.typ, ff.shared = scalarFilter(fd.Type)+"Filter", true
		}
		if ff.shared {
			s.shared[ff.typ] = true
		}
		in.fields = append(in.fields, ff)
	}
	return in, errs
}

// scalarFilter is the prefix of the shared filter input of a field type.
func scalarFilter(t model.Type) string {
	switch t {
	case model.Ref:
		return "ID"
	case model.Int:
		return "Int"
	case model.Float:
		return "Float"
	case model.Bool:
		return "Boolean"
	case model.DateTime:
		return "Time"
	case model.Date:
		return "Date"
	}
	return "String"
}

// ordersOf computes the values of a's order field enum: every indexed or
// ref field that is not a list (nested ones too), then the meta fields.
func (s *schema) ordersOf(a *resourceAPI) []string {
	var errs []string
	seen := map[string]string{}
	add := func(key string) {
		v := orderValue{name: strings.ToUpper(strings.ReplaceAll(key, ".", "_")), key: key,
			goConst: a.orderField + names.Pascal(strings.ReplaceAll(key, ".", "_"))}
		if prev, ok := seen[v.name]; ok {
			errs = append(errs, fmt.Sprintf("%s: the order values of fields %s and %s are both %s; rename one", a.orderField, prev, key, v.name))
			return
		}
		seen[v.name] = key
		a.orders = append(a.orders, v)
	}
	walk(a.model.Fields, func(fd *model.Field) {
		if (fd.Index || fd.Type == model.Ref) && fd.Type != model.List && fd.Type != model.Object {
			add(fd.Path)
		}
	})
	for _, mf := range metaFilters {
		add(mf.path)
	}
	return errs
}

// checkNames reports GraphQL type and root field names used twice.
func (s *schema) checkNames() []string {
	var errs []string
	types := map[string]string{}
	for _, n := range sharedTypeNames() {
		types[n] = "a shared type"
	}
	root := map[string]string{}
	if s.model.Auth != nil {
		root[meField] = "the me query of auth"
	}
	claim := func(m map[string]string, kind, name, what string) {
		if prev, ok := m[name]; ok {
			errs = append(errs, fmt.Sprintf("%s %s of %s collides with %s", kind, name, what, prev))
			return
		}
		m[name] = what
	}
	for _, a := range s.resources {
		what := "resource " + a.model.Name
		for _, t := range []string{a.name, a.data, a.input, a.conn, a.edge, a.filter, a.order, a.orderField, a.change} {
			claim(types, "GraphQL type", t, what)
		}
		for _, e := range a.enums {
			claim(types, "GraphQL type", e.goType, what)
			claim(types, "GraphQL type", e.goType+"Filter", what)
			claim(types, "GraphQL type", e.goType+"ListFilter", what)
			vals := map[string]string{}
			for i, n := range e.names {
				if !isName(n) {
					errs = append(errs, fmt.Sprintf("enum %s: value %q has no GraphQL name", e.goType, e.values[i]))
				}
				claim(vals, "enum value", n, e.goType+" value "+e.values[i])
			}
		}
		for _, o := range a.objects {
			claim(types, "GraphQL type", o.name, what)
			claim(types, "GraphQL type", o.input, what)
			claim(types, "GraphQL type", o.name+"Filter", what)
		}
		for _, rt := range rootTypes() {
			for _, op := range a.model.GraphQLOperations(rt) {
				claim(root, "root field", op.GraphQL.Name, what)
			}
		}
	}
	return errs
}

// sharedTypeNames are the GraphQL types every schema declares (or may).
func sharedTypeNames() []string {
	return []string{"Query", "Mutation", "Subscription", "Time", "Int64", "JSON", "Meta", "RevisionInfo",
		"PageInfo", "RevisionConnection", "RevisionEdge", "File", "FileInput", "Upload", "OrderDirection",
		"RevisionStatus", "WriteMode", "ChangeKind", "StringFilter", "IDFilter", "IntFilter", "FloatFilter",
		"BooleanFilter", "TimeFilter", "DateFilter", "StringListFilter", "IntListFilter", "FloatListFilter",
		"BooleanListFilter", "TimeListFilter", "DateListFilter"}
}

// walk calls fn for every field, depth first, nested object fields
// included.
func walk(fields []*model.Field, fn func(*model.Field)) {
	for _, fd := range fields {
		fn(fd)
		if fd.Type == model.Object {
			walk(fd.Fields, fn)
		}
	}
}

// fieldName is the GraphQL name of a spec field: lower camel case,
// without Go's initialisms, as GraphQL APIs write names.
//
//	title         => title
//	published_at  => publishedAt
//	external_id   => externalId
//	url2_path     => url2Path
func fieldName(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = upperFirst(parts[i])
	}
	return strings.Join(parts, "")
}

// enumValueName is the GraphQL name of an enum value: upper snake case,
// with a leading underscore when it would start with a digit.
//
//	draft        => DRAFT
//	in-progress  => IN_PROGRESS
//	inProgress   => IN_PROGRESS
//	2fa          => _2FA
func enumValueName(v string) string {
	n := strings.ToUpper(names.Snake(v))
	if n != "" && n[0] >= '0' && n[0] <= '9' {
		n = "_" + n
	}
	return n
}

// isName reports whether s is a GraphQL name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
