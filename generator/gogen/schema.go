package gogen

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/migrategen"
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// schemaFile emits the storage descriptors of every resource and their
// migrations.
//
//	var postKind = &resource.Kind{Name: "Post", ...}
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
			jen.Id("Migrations"): jen.Map(jen.String()).Qual("io/fs", "FS").Values(jen.DictFunc(func(d jen.Dict) {
				for _, dialect := range sqlschema.Dialects() {
					d[jen.Lit(string(dialect))] = jen.Id("migrationDir").Call(jen.Lit(string(dialect)))
				}
			})),
		})
	})
	f.Line()
	addMigrations(f)

	return f
}

// kindDict renders the fields of the resource.Kind literal of r. The
// value comes from model.Resource.Kind, which the migrations are built
// from too, so the indexes the queries of the runtime expect are the ones
// the migrations create.
func kindDict(r *model.Resource) jen.Dict {
	k := r.Kind()
	d := jen.Dict{
		jen.Id("Name"):          jen.Lit(k.Name),
		jen.Id("Table"):         jen.Lit(k.Table),
		jen.Id("Path"):          jen.Lit(k.Path),
		jen.Id("SchemaVersion"): jen.Lit(k.SchemaVersion),
	}
	d[jen.Id("DataFields")] = jen.Index().String().ValuesFunc(func(g *jen.Group) {
		for _, name := range k.DataFields {
			g.Lit(name)
		}
	})
	if k.DefaultSort != "" {
		d[jen.Id("DefaultSort")] = jen.Lit(k.DefaultSort)
	}
	if k.KeepLast > 0 {
		d[jen.Id("KeepLast")] = jen.Lit(k.KeepLast)
	}
	if k.MaxAge > 0 {
		d[jen.Id("MaxAge")] = jen.Qual("time", "Duration").Call(jen.Lit(int64(k.MaxAge)))
	}
	var fields []jen.Code
	for _, f := range k.Fields {
		fv := jen.Dict{
			jen.Id("JSON"): jen.Lit(f.JSON),
			jen.Id("Type"): jen.Qual(pkgResource, fieldTypeConst(f.Type)),
		}
		if f.List {
			fv[jen.Id("List")] = jen.True()
		}
		if f.Indexed {
			fv[jen.Id("Indexed")] = jen.True()
		}
		if f.NoIndex {
			fv[jen.Id("NoIndex")] = jen.True()
		}
		if f.Unique {
			fv[jen.Id("Unique")] = jen.True()
		}
		if f.Fold {
			fv[jen.Id("Fold")] = jen.True()
		}
		if f.Ref != nil {
			fv[jen.Id("Ref")] = jen.Op("&").Qual(pkgResource, "Ref").Values(jen.Dict{
				jen.Id("Kind"):     jen.Lit(f.Ref.Kind),
				jen.Id("OnDelete"): jen.Qual(pkgResource, onDeleteConst(f.Ref.OnDelete)),
			})
		}
		fields = append(fields, jen.Values(fv))
	}
	if len(fields) > 0 {
		d[jen.Id("Fields")] = jen.Index().Qual(pkgResource, "Field").Values(fields...)
	}
	if k.Access != nil {
		d[jen.Id("Access")] = accessValue(r, k.Access)
	}
	if k.Internal {
		d[jen.Id("Internal")] = jen.True()
	}
	if k.Job {
		d[jen.Id("Job")] = jen.True()
	}
	if len(k.FormerTables) > 0 {
		d[jen.Id("FormerTables")] = jen.Index().String().ValuesFunc(func(g *jen.Group) {
			for _, t := range k.FormerTables {
				g.Lit(t)
			}
		})
	}
	d[jen.Id("Shape")] = shapeValue(k.Shape)
	if len(k.Files) > 0 {
		d[jen.Id("Files")] = filesValue(k.Files)
	}
	if k.SchemaVersion > 1 {
		d[jen.Id("Upgrade")] = jen.Id(upgradeDataFunc(r))
	}
	if r.Operation(model.ActionImport) != nil {
		// The typed decoder of the import route, for restores too.
		d[jen.Id("Decode")] = jen.Id("decode" + r.GoName)
	}
	return d
}

// shapeValue renders the data shape of a kind, one field per line in
// spec order:
//
//	[]resource.ShapeField{
//		{Name: "title"},
//		{Name: "status", Default: []byte("\"draft\"")},
//		{Name: "address", Fields: []resource.ShapeField{{Name: "city"}}},
//	}
func shapeValue(fields []resource.ShapeField) jen.Code {
	return jen.Index().Qual(pkgResource, "ShapeField").ValuesFunc(func(g *jen.Group) {
		for _, f := range fields {
			kv := []jen.Code{jen.Id("Name").Op(":").Lit(f.Name)}
			if len(f.RenamedFrom) > 0 {
				kv = append(kv, jen.Id("RenamedFrom").Op(":").Index().String().ValuesFunc(func(g *jen.Group) {
					for _, old := range f.RenamedFrom {
						g.Lit(old)
					}
				}))
			}
			if f.Default != nil {
				kv = append(kv, jen.Id("Default").Op(":").Index().Byte().Call(jen.Lit(string(f.Default))))
			}
			if f.Fields != nil {
				kv = append(kv, jen.Id("Fields").Op(":").Add(shapeValue(f.Fields)))
			}
			g.Line().Values(kv...)
		}
		g.Line()
	})
}

// accessValue renders the permission rules of a kind, the actions in the
// order of model.RuleActions (a Go map literal keeps the order written):
//
//	&resource.Access{
//		Rules:  map[resource.Action]string{resource.ActionRead: "public", ...},
//		Fields: []resource.FieldAccess{{Field: "notes", Read: "role:editor", Write: "role:editor"}},
//	}
func accessValue(r *model.Resource, a *resource.Access) jen.Code {
	// jen.Dict sorts its keys: write the entries one per line instead.
	d := jen.Dict{
		jen.Id("Rules"): jen.Map(jen.Qual(pkgResource, "Action")).String().ValuesFunc(func(g *jen.Group) {
			for _, rl := range r.Rules {
				g.Line().Qual(pkgResource, actionConst(rl.Action)).Op(":").Lit(a.Rules[resource.Action(rl.Action)])
			}
			g.Line()
		}),
	}
	if len(a.Fields) > 0 {
		d[jen.Id("Fields")] = jen.Index().Qual(pkgResource, "FieldAccess").ValuesFunc(func(g *jen.Group) {
			for _, fa := range a.Fields {
				kv := []jen.Code{jen.Id("Field").Op(":").Lit(fa.Field)}
				if fa.Read != "" {
					kv = append(kv, jen.Id("Read").Op(":").Lit(fa.Read))
				}
				if fa.Write != "" {
					kv = append(kv, jen.Id("Write").Op(":").Lit(fa.Write))
				}
				if fa.Default != nil {
					kv = append(kv, jen.Id("Default").Op(":").Index().Byte().Call(jen.Lit(string(fa.Default))))
				}
				g.Line().Values(kv...)
			}
			g.Line()
		})
	}
	return jen.Op("&").Qual(pkgResource, "Access").Values(d)
}

// actionConst returns the name of the resource constant of a rule action:
// "read" => "ActionRead".
func actionConst(action string) string {
	return "Action" + strings.ToUpper(action[:1]) + action[1:]
}

// fieldTypeConst returns the name of the resource constant of t.
func fieldTypeConst(t resource.FieldType) string {
	switch t {
	case resource.TypeInt:
		return "TypeInt"
	case resource.TypeFloat:
		return "TypeFloat"
	case resource.TypeBool:
		return "TypeBool"
	case resource.TypeDateTime:
		return "TypeDateTime"
	case resource.TypeDate:
		return "TypeDate"
	}
	return "TypeString"
}

// onDeleteConst returns the name of the resource constant of p.
func onDeleteConst(p resource.OnDelete) string {
	switch p {
	case resource.Cascade:
		return "Cascade"
	case resource.SetNull:
		return "SetNull"
	}
	return "Restrict"
}

// addMigrations emits the embedded migrations (package migrategen) and
// the function that gives the backends those of one dialect:
//
//	//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
//	var migrationFiles embed.FS
//
//	func migrationDir(dialect string) fs.FS
func addMigrations(f *jen.File) {
	var patterns string
	for i, d := range sqlschema.Dialects() {
		if i > 0 {
			patterns += " "
		}
		patterns += migrategen.Dir + "/" + string(d) + "/*.sql"
	}
	f.Comment("migrationFiles holds the versioned SQL migrations of the storage, one directory per")
	f.Comment("dialect, which the backends apply at startup. specstar gen writes a new one when a")
	f.Comment("spec change alters the storage; see " + migrategen.SnapshotFile + ".")
	f.Comment("")
	f.Comment("//go:embed " + patterns)
	f.Var().Id("migrationFiles").Qual("embed", "FS")
	f.Line()
	f.Comment("migrationDir returns the migrations of one dialect, the files of migrations/<dialect>.")
	f.Func().Id("migrationDir").Params(jen.Id("dialect").String()).Qual("io/fs", "FS").Block(
		jen.List(jen.Id("dir"), jen.Err()).Op(":=").Qual("io/fs", "Sub").Call(jen.Id("migrationFiles"), jen.Lit(migrategen.Dir+"/").Op("+").Id("dialect")),
		jen.If(jen.Err().Op("!=").Nil()).Block(
			jen.Comment("fs.Sub fails only for an invalid path, and dialect is a constant."),
			jen.Panic(jen.Err()),
		),
		jen.Return(jen.Id("dir")),
	)
	f.Line()
}

// filesValue renders the file fields of a kind:
//
//	[]resource.FileField{{Path: "cover", MaxSize: 5242880, Accept: []string{"image/png"}}}
func filesValue(files []resource.FileField) jen.Code {
	return jen.Index().Qual(pkgResource, "FileField").ValuesFunc(func(g *jen.Group) {
		for _, f := range files {
			d := jen.Dict{jen.Id("Path"): jen.Lit(f.Path)}
			if f.List {
				d[jen.Id("List")] = jen.True()
			}
			if f.MaxSize > 0 {
				d[jen.Id("MaxSize")] = jen.Lit(f.MaxSize)
			}
			if len(f.Accept) > 0 {
				d[jen.Id("Accept")] = jen.Index().String().ValuesFunc(func(g *jen.Group) {
					for _, a := range f.Accept {
						g.Lit(a)
					}
				})
			}
			g.Values(d)
		}
	})
}
