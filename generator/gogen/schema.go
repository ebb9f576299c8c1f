package gogen

import (
	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// schemaFile emits the storage descriptors of every resource and the App
// that a server is built from.
//
//	var postKind = &resource.Kind{Name: "Post", ...}
//	func App() server.App
func schemaFile(m *model.Model, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	f.Comment("This guard fails the build when the generated code and the runtime library")
	f.Comment("disagree on their contract version: regenerate with a matching specstar.")
	f.Const().Id("_").Op("=").Qual(pkgRuntime, "SupportPackageIsVersion1")
	f.Line()

	f.Comment("Storage descriptors of the resources: what the backends index, which fields are")
	f.Comment("unique among live resources and how references behave on delete.")
	f.Var().DefsFunc(func(g *jen.Group) {
		for _, r := range m.Resources {
			g.Id(r.VarName+"Kind").Op("=").Op("&").Qual(pkgResource, "Kind").Values(kindDict(r))
		}
		g.Id("schema").Op("=").Op("&").Qual(pkgResource, "Schema").Values(jen.Dict{
			jen.Id("Kinds"): jen.Index().Op("*").Qual(pkgResource, "Kind").ValuesFunc(func(g *jen.Group) {
				for _, r := range m.Resources {
					g.Id(r.VarName + "Kind")
				}
			}),
		})
	})
	f.Line()

	f.Comment("App returns the generated application: its schema, its REST routes and their OpenAPI")
	f.Comment("document. Pass it to server.New or server.Main.")
	f.Func().Id("App").Params().Qual(pkgServer, "App").Block(jen.Return(jen.Id("app").Values()))
	f.Line()
	f.Comment("NewServer opens the storage cfg names, applies the schema and returns a server for")
	f.Comment("these resources. server.LoadConfig reads cfg from flags and SPECSTAR_* variables.")
	f.Func().Id("NewServer").Params(jen.Id("cfg").Qual(pkgServer, "Config")).Params(jen.Op("*").Qual(pkgServer, "Server"), jen.Error()).Block(
		jen.Return(jen.Qual(pkgServer, "New").Call(jen.Id("cfg"), jen.Id("App").Call())),
	)
	f.Line()
	f.Comment("app implements server.App.")
	f.Type().Id("app").Struct()
	f.Line()
	f.Comment("Schema returns the storage descriptors of every resource.")
	f.Func().Params(jen.Id("app")).Id("Schema").Params().Op("*").Qual(pkgResource, "Schema").Block(jen.Return(jen.Id("schema")))
	f.Line()
	f.Comment("Register mounts the REST routes of every resource on g.")
	f.Func().Params(jen.Id("app")).Id("Register").Params(
		jen.Id("g").Op("*").Qual(pkgEcho, "Group"), jen.Id("svc").Op("*").Qual(pkgResource, "Service"),
	).BlockFunc(func(g *jen.Group) {
		for _, r := range m.Resources {
			g.Id("register"+r.GoName+"Routes").Call(jen.Id("g"), jen.Id("svc"))
		}
	})
	f.Line()
	addOpenAPI(f)

	f.Comment("Client groups the typed repositories of every resource.")
	f.Type().Id("Client").StructFunc(func(g *jen.Group) {
		for _, r := range m.Resources {
			g.Id(r.GoName).Op("*").Id(r.GoName + "Repository")
		}
	})
	f.Line()
	f.Comment("NewClient returns the repositories of every resource, stored by svc.")
	f.Func().Id("NewClient").Params(jen.Id("svc").Op("*").Qual(pkgResource, "Service")).Op("*").Id("Client").Block(
		jen.Return(jen.Op("&").Id("Client").Values(jen.DictFunc(func(d jen.Dict) {
			for _, r := range m.Resources {
				d[jen.Id(r.GoName)] = jen.Id("New" + r.GoName + "Repository").Call(jen.Id("svc"))
			}
		}))),
	)
	return f
}

// kindDict renders the fields of a resource.Kind literal.
func kindDict(r *model.Resource) jen.Dict {
	d := jen.Dict{
		jen.Id("Name"):          jen.Lit(r.Name),
		jen.Id("Table"):         jen.Lit(r.Table),
		jen.Id("Path"):          jen.Lit(r.Path),
		jen.Id("SchemaVersion"): jen.Lit(1),
	}
	d[jen.Id("DataFields")] = jen.Index().String().ValuesFunc(func(g *jen.Group) {
		for _, f := range r.Fields {
			g.Lit(f.Name)
		}
	})
	if r.DefaultSort != "" {
		d[jen.Id("DefaultSort")] = jen.Lit(r.DefaultSort)
	}
	if r.KeepLast > 0 {
		d[jen.Id("KeepLast")] = jen.Lit(r.KeepLast)
	}
	if r.MaxAge > 0 {
		d[jen.Id("MaxAge")] = jen.Qual("time", "Duration").Call(jen.Lit(int64(r.MaxAge)))
	}
	var fields []jen.Code
	walkFields(r.Fields, func(fd *model.Field) {
		isRef := fd.Type == model.Ref
		if !fd.Index && !fd.Unique && !isRef {
			return
		}
		t, list := fd, false
		if fd.Type == model.List {
			t, list = fd.Elem, true
		}
		fv := jen.Dict{
			jen.Id("JSON"): jen.Lit(fd.Path),
			jen.Id("Type"): jen.Qual(pkgResource, storageType(t.Type)),
		}
		if list {
			fv[jen.Id("List")] = jen.True()
		}
		if fd.Index || isRef {
			fv[jen.Id("Indexed")] = jen.True()
		}
		if fd.Unique {
			fv[jen.Id("Unique")] = jen.True()
		}
		if isRef {
			fv[jen.Id("Ref")] = jen.Op("&").Qual(pkgResource, "Ref").Values(jen.Dict{
				jen.Id("Kind"):     jen.Lit(fd.Target.Name),
				jen.Id("OnDelete"): jen.Qual(pkgResource, onDeleteConst(fd.OnDelete)),
			})
		}
		fields = append(fields, jen.Values(fv))
	})
	if len(fields) > 0 {
		d[jen.Id("Fields")] = jen.Index().Qual(pkgResource, "Field").Values(fields...)
	}
	return d
}

// storageType maps a spec type to the resource.FieldType constant name.
func storageType(t model.Type) string {
	switch t {
	case model.Int:
		return "TypeInt"
	case model.Float:
		return "TypeFloat"
	case model.Bool:
		return "TypeBool"
	case model.DateTime:
		return "TypeDateTime"
	case model.Date:
		return "TypeDate"
	}
	return "TypeString"
}

func onDeleteConst(s string) string {
	switch s {
	case "cascade":
		return "Cascade"
	case "set_null":
		return "SetNull"
	}
	return "Restrict"
}
