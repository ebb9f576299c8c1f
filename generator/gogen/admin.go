package gogen

import (
	"fmt"
	"go/format"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/generator/names"
)

// pkgAdmin is the runtime package of the admin UI.
const pkgAdmin = "github.com/specstar-go/specstar/runtime/admin"

// AdminScaffoldFile is the user's file that customises the admin,
// written once when absent.
const AdminScaffoldFile = "admin.go"

// maxDefaultColumns bounds the indexed fields a list shows by default.
const maxDefaultColumns = 6

// adminFile emits the admin's descriptor of every resource, from the
// model: labels, widgets (the type table's), constraints, enums, refs,
// the display field, descriptions and the default list columns. The
// user's admin.go (customizeAdmin) changes them before the server uses
// them.
//
//	func postAdmin() *admin.Resource {
//		return &admin.Resource{Kind: postKind, Label: "Post", Fields: []*admin.Field{
//			{Name: "title", Label: "Title", Widget: admin.WidgetText, Type: "string", ...},
//		}, ...}
//	}
func adminFile(m *model.Model, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	f.ImportName(pkgAdmin, "admin")
	rs := m.APIResources()

	f.Comment("The spec's resources have the admin UI: the server serves it at /admin (docs/admin.md).")
	f.Var().Id("_").Qual(pkgServer, "AdminApp").Op("=").Id("app").Values()
	f.Line()
	f.Comment("Admin returns the admin's descriptors of the resources, as customizeAdmin (in")
	f.Comment("admin.go) leaves them. Each call builds them afresh.")
	f.Func().Params(jen.Id("app")).Id("Admin").Params().Op("*").Qual(pkgAdmin, "Site").Block(
		jen.Id("s").Op(":=").Op("&").Qual(pkgAdmin, "Site").Values(jen.Dict{
			jen.Id("Title"): jen.Lit(m.Package),
			jen.Id("Resources"): jen.Index().Op("*").Qual(pkgAdmin, "Resource").ValuesFunc(func(g *jen.Group) {
				for _, r := range rs {
					g.Line().Id(adminFunc(r)).Call()
				}
				g.Line()
			}),
		}),
		jen.Id("customizeAdmin").Call(jen.Id("s")),
		jen.Return(jen.Id("s")),
	)
	for _, r := range rs {
		f.Line()
		f.Comment(fmt.Sprintf("%s describes %s for the admin.", adminFunc(r), r.Name))
		f.Func().Id(adminFunc(r)).Params().Op("*").Qual(pkgAdmin, "Resource").Block(
			jen.Return(jen.Op("&").Qual(pkgAdmin, "Resource").Values(adminResourceDict(r))),
		)
	}
	return f
}

// adminFunc is the name of the function that returns r's descriptor.
func adminFunc(r *model.Resource) string { return r.VarName + "Admin" }

func adminResourceDict(r *model.Resource) jen.Dict {
	d := jen.Dict{
		jen.Id("Kind"):   jen.Id(r.VarName + "Kind"),
		jen.Id("Label"):  jen.Lit(humanize(names.Snake(r.Name))),
		jen.Id("Plural"): jen.Lit(humanize(names.Snake(r.Plural))),
		jen.Id("Fields"): adminFields(r.Fields),
	}
	if len(r.Description) > 0 {
		d[jen.Id("Description")] = jen.Lit(strings.Join(r.Description, " "))
	}
	if r.Display != nil {
		d[jen.Id("Display")] = jen.Lit(r.Display.Name)
	}
	d[jen.Id("Columns")] = jen.Index().String().ValuesFunc(func(g *jen.Group) {
		for _, c := range defaultColumns(r) {
			g.Lit(c)
		}
	})
	if r.Job != nil {
		d[jen.Id("Job")] = jen.True()
	} else {
		d[jen.Id("Decode")] = jen.Id("decode" + r.GoName)
	}
	return d
}

// defaultColumns are the list columns of r: its indexed top-level fields
// other than the display field (the list's first column shows that one),
// at most maxDefaultColumns, then the time of the last change.
func defaultColumns(r *model.Resource) []string {
	var out []string
	for _, f := range r.Fields {
		if f.Index && !f.Display && len(out) < maxDefaultColumns {
			out = append(out, f.Name)
		}
	}
	return append(out, "updated_time")
}

// adminFields renders the descriptors of fields, one per line.
func adminFields(fields []*model.Field) *jen.Statement {
	return jen.Index().Op("*").Qual(pkgAdmin, "Field").ValuesFunc(func(g *jen.Group) {
		for _, f := range fields {
			g.Line().Values(adminField(f)...)
		}
		g.Line()
	})
}

// adminField renders the keys of one field's descriptor, in a fixed order.
func adminField(f *model.Field) []jen.Code {
	var kv []jen.Code
	add := func(key string, v jen.Code) { kv = append(kv, jen.Id(key).Op(":").Add(v)) }
	if f.Name != "" {
		add("Name", jen.Lit(f.Name))
		add("Label", jen.Lit(humanize(f.Name)))
	}
	add("Widget", jen.Qual(pkgAdmin, "Widget"+names.Pascal(f.Widget())))
	add("Type", jen.Lit(string(f.Type)))
	if len(f.Description) > 0 {
		add("Help", jen.Lit(strings.Join(f.Description, " ")))
	}
	if f.Required {
		add("Required", jen.True())
	}
	if f.Min != nil {
		add("Min", jen.New(jen.Lit(*f.Min)))
	}
	if f.Max != nil {
		add("Max", jen.New(jen.Lit(*f.Max)))
	}
	if f.MinLength != nil {
		add("MinLength", jen.New(jen.Lit(*f.MinLength)))
	}
	if f.MaxLength != nil {
		add("MaxLength", jen.New(jen.Lit(*f.MaxLength)))
	}
	if f.Pattern != "" {
		add("Pattern", jen.Lit(f.Pattern))
	}
	if len(f.Values) > 0 {
		add("Values", jen.Index().String().ValuesFunc(func(g *jen.Group) {
			for _, v := range f.Values {
				g.Lit(v)
			}
		}))
	}
	if f.Target != nil {
		add("Ref", jen.Lit(f.Target.Name))
	}
	if f.Index {
		add("Indexed", jen.True())
	}
	if f.Unique {
		add("Unique", jen.True())
	}
	if f.ReadOnly {
		add("ReadOnly", jen.True())
	}
	if f.WriteOnly {
		add("WriteOnly", jen.True())
	}
	if f.Elem != nil {
		add("Elem", jen.Op("&").Qual(pkgAdmin, "Field").Values(adminField(f.Elem)...))
	}
	if len(f.Fields) > 0 {
		add("Fields", adminFields(f.Fields))
	}
	return kv
}

// humanize turns a snake_case name into a label: "published_at" ->
// "Published at", "external_id" -> "External ID".
func humanize(snake string) string {
	words := strings.Split(snake, "_")
	for i, w := range words {
		switch w {
		case "id", "url", "uuid", "json", "api", "ip", "html", "http", "sql":
			words[i] = strings.ToUpper(w)
			continue
		case "ids", "urls", "uuids":
			words[i] = strings.ToUpper(w[:len(w)-1]) + "s"
			continue
		}
		if i == 0 && w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// AdminScaffold returns the user's admin.go: customizeAdmin, where the
// list columns, labels and widgets of the admin are changed.
func AdminScaffold(m *model.Model) ([]byte, error) {
	example, field := "Post", "title"
	for _, r := range m.APIResources() {
		if r.Job == nil && len(r.Fields) > 0 {
			example, field = r.Name, r.Fields[0].Name
			break
		}
	}
	return format.Source(fmt.Appendf(nil, `package %[1]s

// This file is yours: specstar gen wrote it once, because it was missing, and
// never changes it. Customise the admin UI (/admin) here; docs/admin.md explains
// the descriptors.

import "github.com/specstar-go/specstar/runtime/admin"

// customizeAdmin changes the admin's descriptors, which admin.gen.go builds from
// the spec, before the server uses them. Name resources and fields as the spec
// does; a name that does not exist stops the server at startup. For example:
//
//	p := s.Resource(%[2]q)
//	p.SetColumns(%[3]q, "updated_time")
//	p.SetLabel(%[3]q, "Headline")
//	p.SetWidget(%[3]q, admin.WidgetTextarea)
func customizeAdmin(s *admin.Site) {
}
`, m.Package, example, field))
}
