package graphqlgen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// typesFile emits the Go types the GraphQL schema of a resource binds to,
// besides the data types gogen emits: the record's id and etag methods,
// the connection, the filter and order inputs with their compilation to
// the REST list parameters, and the change event. Nothing in it refers to
// gqlgen's output, so gqlgen can load the package while this file is in.
func typesFile(s *schema, a *resourceAPI, pkgPath string) *jen.File {
	f := newFile(s, pkgPath)
	rec := jen.Op("*").Id(a.model.GoName + "Record")

	f.Comment("ID returns the resource id: the id field of GraphQL type " + a.name + ".")
	f.Func().Params(jen.Id("r").Add(rec.Clone())).Id("ID").Params().String().Block(
		jen.Return(jen.Id("r").Dot("Meta").Dot("ResourceID")))
	f.Line()
	f.Comment("ETag returns the entity tag of the record's revision, the value that ifMatch")
	f.Comment("arguments (and the REST If-Match header) compare with.")
	f.Func().Params(jen.Id("r").Add(rec.Clone())).Id("ETag").Params().String().Block(
		jen.Return(jen.Qual(pkgResource, "ETag").Call(jen.Op("&").Id("r").Dot("RevisionInfo"))))
	f.Line()

	if a.model.HasFiles() {
		// data, err := json.Marshal(&r.Data)
		// return postKind, &r.Meta, &r.RevisionInfo, data, err
		f.Comment("FileData returns the record's kind, meta, revision info and data as JSON: where")
		f.Comment("GraphQL File.url finds the download route of a file of the data (gql.FileURL).")
		f.Func().Params(jen.Id("r").Add(rec.Clone())).Id("FileData").Params().Params(
			jen.Op("*").Qual(pkgResource, "Kind"), jen.Op("*").Qual(pkgResource, "Meta"), jen.Op("*").Qual(pkgResource, "RevisionInfo"),
			jen.Qual(pkgJSON, "RawMessage"), jen.Error(),
		).Block(
			jen.List(jen.Id("data"), jen.Err()).Op(":=").Qual(pkgJSON, "Marshal").Call(jen.Op("&").Id("r").Dot("Data")),
			jen.Return(jen.Id(a.model.VarName+"Kind"), jen.Op("&").Id("r").Dot("Meta"), jen.Op("&").Id("r").Dot("RevisionInfo"), jen.Id("data"), jen.Err()),
		)
		f.Line()
	}
	f.Comment(fmt.Sprintf("%s is a page of %s resources (GraphQL %s).", a.conn, a.model.Name, a.conn))
	f.Type().Id(a.conn).Struct(
		jen.Id("Edges").Index().Op("*").Id(a.edge),
		jen.Id("Nodes").Index().Add(rec.Clone()),
		jen.Id("PageInfo").Qual(pkgGQL, "PageInfo"),
		jen.Comment("TotalCount is set when the query selects it."),
		jen.Id("TotalCount").Int(),
		jen.Line().Comment("stored is the page as the store returned it, which the list leaves undecoded"),
		jen.Comment("under the fast path (gql.WritesStored), for the encoders; Nodes is then empty."),
		jen.Id("stored").Index().Op("*").Qual(pkgResource, "Envelope"),
	)
	f.Line()
	f.Comment(fmt.Sprintf("%s is one %s of a page, with the cursor that follows it.", a.edge, a.model.Name))
	f.Type().Id(a.edge).Struct(jen.Id("Cursor").String(), jen.Id("Node").Add(rec.Clone()),
		jen.Line().Comment("stored replaces Node under the fast path (see the connection's)."),
		jen.Id("stored").Op("*").Qual(pkgResource, "Envelope"))
	f.Line()

	emitFilter(f, a.where, true, fmt.Sprintf("%s selects %s resources (GraphQL %s); every condition set must hold.", a.filter, a.model.Name, a.filter))
	for _, e := range a.enums {
		emitEnumFilters(f, e)
	}
	emitOrder(f, a)
	emitEncoders(f, a)
	emitReaders(f, a)

	f.Comment(fmt.Sprintf("%s is a committed change of a %s (GraphQL %s).", a.change, a.model.Name, a.change))
	f.Type().Id(a.change).Struct(
		jen.Id("Kind").Qual(pkgFeed, "Op"),
		jen.Id("ID").String(),
		jen.Comment(a.model.GoName+" is the resource after the change; nil when purged."),
		jen.Id(a.model.GoName).Add(rec.Clone()),
	)
	return f
}

// emitFilter emits a filter input type and the method compiling it,
// then the filters of its nested objects.
//
//	type PostFilter struct { And []*PostFilter; ...; Title *gql.StringFilter }
//	func (f *PostFilter) expr() filter.Expr
func emitFilter(f *jen.File, in *filterInput, top bool, doc string) {
	f.Comment(doc)
	f.Type().Id(in.name).StructFunc(func(g *jen.Group) {
		if top {
			g.Id("And").Index().Op("*").Id(in.name)
			g.Id("Or").Index().Op("*").Id(in.name)
			g.Id("Not").Op("*").Id(in.name)
		}
		for _, ff := range in.fields {
			t := jen.Op("*").Id(ff.typ)
			if ff.shared {
				t = jen.Op("*").Qual(pkgGQL, ff.typ)
			}
			g.Id(ff.goName).Add(t)
		}
	})
	f.Line()
	terms := func(g *jen.Group) {
		for _, ff := range in.fields {
			var call *jen.Statement
			switch {
			case ff.object != nil:
				call = jen.Id("f").Dot(ff.goName).Dot("exprs").Call()
			case ff.shared:
				call = jen.Id("f").Dot(ff.goName).Dot("Exprs").Call(jen.Lit(ff.path))
			default:
				call = jen.Id("f").Dot(ff.goName).Dot("exprs").Call(jen.Lit(ff.path))
			}
			g.Id("terms").Op("=").Append(jen.Id("terms"), call.Op("..."))
		}
	}
	recv := jen.Id("f").Op("*").Id(in.name)
	nilCheck := func(ret jen.Code) jen.Code {
		return jen.If(jen.Id("f").Op("==").Nil()).Block(jen.Return(ret))
	}
	if top {
		f.Comment("expr compiles f to a filter expression of the REST filter language; nil")
		f.Comment("matches every resource.")
		f.Func().Params(recv).Id("expr").Params().Qual(pkgFilter, "Expr").BlockFunc(func(g *jen.Group) {
			g.Add(nilCheck(jen.Nil()))
			g.Var().Id("terms").Index().Qual(pkgFilter, "Expr")
			g.For(jen.List(jen.Id("_"), jen.Id("sub")).Op(":=").Range().Id("f").Dot("And")).Block(
				jen.Id("terms").Op("=").Append(jen.Id("terms"), jen.Id("sub").Dot("expr").Call()))
			g.If(jen.Id("f").Dot("Or").Op("!=").Nil()).Block(
				jen.Id("or").Op(":=").Make(jen.Index().Qual(pkgFilter, "Expr"), jen.Lit(0), jen.Len(jen.Id("f").Dot("Or"))),
				jen.For(jen.List(jen.Id("_"), jen.Id("sub")).Op(":=").Range().Id("f").Dot("Or")).Block(
					jen.Id("or").Op("=").Append(jen.Id("or"), jen.Id("sub").Dot("expr").Call())),
				jen.Id("terms").Op("=").Append(jen.Id("terms"), jen.Qual(pkgGQL, "Or").Call(jen.Id("or").Op("..."))),
			)
			g.If(jen.Id("f").Dot("Not").Op("!=").Nil()).Block(
				jen.Id("terms").Op("=").Append(jen.Id("terms"), jen.Qual(pkgGQL, "Not").Call(jen.Id("f").Dot("Not").Dot("expr").Call())))
			terms(g)
			g.Return(jen.Qual(pkgGQL, "And").Call(jen.Id("terms").Op("...")))
		})
	} else {
		f.Comment("exprs returns the conditions of f, nil for none.")
		f.Func().Params(recv).Id("exprs").Params().Index().Qual(pkgFilter, "Expr").BlockFunc(func(g *jen.Group) {
			g.Add(nilCheck(jen.Nil()))
			g.Var().Id("terms").Index().Qual(pkgFilter, "Expr")
			terms(g)
			g.Return(jen.Id("terms"))
		})
	}
	f.Line()
	for _, ff := range in.fields {
		if ff.object != nil {
			emitFilter(f, ff.object, false, fmt.Sprintf("%s selects by the indexed fields of %s (GraphQL %s).", ff.object.name, ff.path, ff.object.name))
		}
	}
}

// emitEnumFilters emits the filter inputs of an enum that the schema
// uses.
func emitEnumFilters(f *jen.File, e *enumAPI) {
	t := jen.Id(e.goType)
	if e.filter {
		name := e.goType + "Filter"
		f.Comment(fmt.Sprintf("%s holds conditions on a %s field (GraphQL %s).", name, e.goType, name))
		f.Type().Id(name).Struct(
			jen.List(jen.Id("Eq"), jen.Id("Ne")).Op("*").Add(t.Clone()),
			jen.Id("In").Index().Add(t.Clone()),
			jen.Id("IsNull").Op("*").Bool(),
		)
		f.Line()
		f.Comment("exprs returns the conditions of f on field.")
		f.Func().Params(jen.Id("f").Op("*").Id(name)).Id("exprs").Params(jen.Id("field").String()).Index().Qual(pkgFilter, "Expr").Block(
			jen.If(jen.Id("f").Op("==").Nil()).Block(jen.Return(jen.Nil())),
			jen.Return(jen.Qual(pkgGQL, "EnumExprs").Call(jen.Id("field"), jen.Id("f").Dot("Eq"), jen.Id("f").Dot("Ne"), jen.Id("f").Dot("In"), jen.Id("f").Dot("IsNull"))),
		)
		f.Line()
	}
	if e.listFilter {
		name := e.goType + "ListFilter"
		f.Comment(fmt.Sprintf("%s holds conditions on a list of %s (GraphQL %s).", name, e.goType, name))
		f.Type().Id(name).Struct(
			jen.Id("Eq").Op("*").Add(t.Clone()),
			jen.Id("In").Index().Add(t.Clone()),
			jen.Id("IsNull").Op("*").Bool(),
		)
		f.Line()
		f.Comment("exprs returns the conditions of f on field.")
		f.Func().Params(jen.Id("f").Op("*").Id(name)).Id("exprs").Params(jen.Id("field").String()).Index().Qual(pkgFilter, "Expr").Block(
			jen.If(jen.Id("f").Op("==").Nil()).Block(jen.Return(jen.Nil())),
			jen.Return(jen.Qual(pkgGQL, "EnumListExprs").Call(jen.Id("field"), jen.Id("f").Dot("Eq"), jen.Id("f").Dot("In"), jen.Id("f").Dot("IsNull"))),
		)
		f.Line()
	}
}

// emitOrder emits the order field enum, the order input and the function
// that turns orderBy into the REST sort parameter.
//
//	type PostOrderField string
//	func postSort(orders []*PostOrder) string
func emitOrder(f *jen.File, a *resourceAPI) {
	f.Comment(fmt.Sprintf("%s is a field that %s lists can be ordered by: its value is the sort key", a.orderField, a.model.Name))
	f.Comment("of the REST sort parameter.")
	f.Type().Id(a.orderField).String()
	f.Line()
	f.Comment(fmt.Sprintf("Values of %s.", a.orderField))
	f.Const().DefsFunc(func(g *jen.Group) {
		for _, o := range a.orders {
			g.Id(o.goConst).Id(a.orderField).Op("=").Lit(o.key)
		}
	})
	f.Line()
	f.Comment(fmt.Sprintf("%s is one key of the order of a %s list (GraphQL %s).", a.order, a.model.Name, a.order))
	f.Type().Id(a.order).Struct(
		jen.Id("Field").Id(a.orderField),
		jen.Id("Direction").Qual(pkgGQL, "OrderDirection"),
	)
	f.Line()
	fn := sortFunc(a)
	f.Comment(fn + " returns the REST sort parameter of orderBy; \"\" is the default order.")
	f.Func().Id(fn).Params(jen.Id("orders").Index().Op("*").Id(a.order)).String().Block(
		jen.Id("keys").Op(":=").Make(jen.Index().String(), jen.Lit(0), jen.Len(jen.Id("orders"))),
		jen.For(jen.List(jen.Id("_"), jen.Id("o")).Op(":=").Range().Id("orders")).Block(
			jen.Id("keys").Op("=").Append(jen.Id("keys"), jen.Qual(pkgGQL, "SortKey").Call(jen.String().Call(jen.Id("o").Dot("Field")), jen.Id("o").Dot("Direction"))),
		),
		jen.Return(jen.Qual(pkgGQL, "Sort").Call(jen.Id("keys"))),
	)
	f.Line()
}

// sortFunc names the function that turns orderBy into a sort: postSort.
func sortFunc(a *resourceAPI) string { return a.model.VarName + "Sort" }
