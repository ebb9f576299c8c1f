package graphqlgen

import (
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// The fast path of queries (runtime/gql.FastQuerier): the generated
// executable schema answers a query whose selected fields are all data by
// calling the typed resolvers of its root fields and letting each result
// write its selected fields into one JSON buffer, instead of gqlgen's
// field-by-field execution. A field the encoders do not write (relations,
// revisions, diff, files) declines, and gqlgen's executor answers.

// FastFile is the file of the executable schema's FastQuery method.
const FastFile = "graphql_fast.gen.go"

const pkgAST = "github.com/vektah/gqlparser/v2/ast"

// encodeMethod emits the head of an encodeGQL method of Go type goType
// (GraphQL type gqlType) and the switch over its selected fields; cases
// adds one case per field it writes.
//
//	func (r *PostConnection) encodeGQL(e *gql.Encoder, sel ast.SelectionSet) bool {
//		if r == nil {
//			return false
//		}
//		fields, ok := e.Fields(sel, "PostConnection")
//		if !ok {
//			return false
//		}
//		e.Open()
//		for _, f := range fields {
//			e.Key(f)
//			switch f.Name {
//			case "__typename":
//				e.String("PostConnection")
//			...
//			default:
//				return false
//			}
//		}
//		e.Close()
//		return true
//	}
func encodeMethod(f *jen.File, goType, gqlType string, cases func(g *jen.Group)) {
	f.Comment(fmt.Sprintf("encodeGQL writes the fields of sel selected on r (GraphQL %s), reporting false", gqlType))
	f.Comment("when one of them needs gqlgen's executor (runtime/gql.FastQuerier).")
	f.Func().Params(jen.Id("r").Op("*").Id(goType)).Id("encodeGQL").Params(
		jen.Id("e").Op("*").Qual(pkgGQL, "Encoder"), jen.Id("sel").Qual(pkgAST, "SelectionSet"),
	).Bool().Block(append([]jen.Code{jen.If(jen.Id("r").Op("==").Nil()).Block(jen.Return(jen.False()))}, encodeBody(gqlType, cases)...)...)
	f.Line()
}

// encodeBody is the body of an encoder of GraphQL type gqlType: the
// switch over the selected fields, with the cases that cases adds.
func encodeBody(gqlType string, cases func(g *jen.Group)) []jen.Code {
	return []jen.Code{
		jen.List(jen.Id("fields"), jen.Id("ok")).Op(":=").Id("e").Dot("Fields").Call(jen.Id("sel"), jen.Lit(gqlType)),
		jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.False())),
		jen.Id("e").Dot("Open").Call(),
		jen.For(jen.List(jen.Id("_"), jen.Id("f")).Op(":=").Range().Id("fields")).Block(
			jen.Id("e").Dot("Key").Call(jen.Id("f")),
			jen.Switch(jen.Id("f").Dot("Name")).BlockFunc(func(g *jen.Group) {
				g.Case(jen.Lit("__typename")).Id("e").Dot("String").Call(jen.Lit(gqlType))
				cases(g)
				g.Default().Return(jen.False())
			}),
		),
		jen.Id("e").Dot("Close").Call(),
		jen.Return(jen.True()),
	}
}

// must wraps a call that reports whether it wrote its value:
// if !call { return false }.
func must(call *jen.Statement) *jen.Statement {
	return jen.If(jen.Op("!").Add(call)).Block(jen.Return(jen.False()))
}

// emitEncoders emits the encoders of a resource's output types: the
// record, its data, nested objects, enums, the connection and the edge.
func emitEncoders(f *jen.File, a *resourceAPI) {
	for _, e := range a.enums {
		f.Comment("gqlName returns the GraphQL name of v, \"\" for a value outside the enum.")
		f.Func().Params(jen.Id("v").Id(e.goType)).Id("gqlName").Params().String().Block(
			jen.Switch(jen.Id("v")).BlockFunc(func(g *jen.Group) {
				for i, c := range e.goConsts {
					g.Case(jen.Id(c)).Return(jen.Lit(e.names[i]))
				}
			}),
			jen.Return(jen.Lit("")),
		)
		f.Line()
	}
	r := a.model
	rec := r.GoName + "Record"
	enc, encData := "encode"+r.GoName+"GQL", "encode"+r.GoName+"DataGQL"
	e, sel := jen.Id("e"), jen.Id("f").Dot("Selections")
	// From an envelope: the record's meta, info, and stored data.
	fromEnv := func(env *jen.Statement) *jen.Statement {
		return jen.Id(enc).Call(e.Clone(), sel.Clone(), jen.Op("&").Add(env.Clone()).Dot("Meta"), jen.Op("&").Add(env.Clone()).Dot("RevisionInfo"),
			jen.Nil(), env.Clone().Dot("Data"))
	}

	// func encodePostGQL(e *gql.Encoder, sel ast.SelectionSet, meta *resource.Meta, info *resource.RevisionInfo, d *Post, stored json.RawMessage) bool
	f.Comment(fmt.Sprintf("%s writes the fields of sel selected on a %s (GraphQL %s) with meta and", enc, r.Name, a.name))
	f.Comment("info, and data d, or when d is nil, the data's stored JSON: a decoded record's, or")
	f.Comment("an envelope a list left undecoded for the fast path (gql.WritesStored).")
	f.Func().Id(enc).Params(
		jen.Id("e").Op("*").Qual(pkgGQL, "Encoder"), jen.Id("sel").Qual(pkgAST, "SelectionSet"),
		jen.Id("meta").Op("*").Qual(pkgResource, "Meta"), jen.Id("info").Op("*").Qual(pkgResource, "RevisionInfo"),
		jen.Id("d").Op("*").Id(r.GoName), jen.Id("stored").Qual(pkgJSON, "RawMessage"),
	).Bool().Block(encodeBody(a.name, func(g *jen.Group) {
		g.Case(jen.Lit("id")).Id("e").Dot("String").Call(jen.Id("meta").Dot("ResourceID"))
		g.Case(jen.Lit("etag")).Id("e").Dot("String").Call(jen.Qual(pkgResource, "ETag").Call(jen.Id("info")))
		g.Case(jen.Lit("data")).Add(must(jen.Id(encData).Call(e.Clone(), sel.Clone(), jen.Id("d"), jen.Id("stored"))))
		g.Case(jen.Lit("meta")).Add(must(jen.Id("e").Dot("Meta").Call(jen.Id("meta"), sel.Clone())))
		g.Case(jen.Lit("revisionInfo")).Add(must(jen.Id("e").Dot("RevisionInfo").Call(jen.Id("info"), sel.Clone())))
	})...)
	f.Line()
	f.Comment(fmt.Sprintf("encodeGQL writes the fields of sel selected on r (GraphQL %s), reporting false", a.name))
	f.Comment("when one of them needs gqlgen's executor (runtime/gql.FastQuerier).")
	f.Func().Params(jen.Id("r").Op("*").Id(rec)).Id("encodeGQL").Params(
		jen.Id("e").Op("*").Qual(pkgGQL, "Encoder"), jen.Id("sel").Qual(pkgAST, "SelectionSet"),
	).Bool().Block(
		jen.If(jen.Id("r").Op("==").Nil()).Block(jen.Return(jen.False())),
		jen.Return(jen.Id(enc).Call(jen.Id("e"), jen.Id("sel"), jen.Op("&").Id("r").Dot("Meta"), jen.Op("&").Id("r").Dot("RevisionInfo"),
			jen.Op("&").Id("r").Dot("Data"), jen.Nil())),
	)
	f.Line()
	// func encodePostDataGQL(e *gql.Encoder, sel ast.SelectionSet, d *Post, stored json.RawMessage) bool
	f.Comment(fmt.Sprintf("%s writes the fields of sel selected on data d, or when d is nil on", encData))
	f.Comment("the stored JSON of the data: as it is when gql.Encoder.Stored takes it, else decoded.")
	f.Func().Id(encData).Params(
		jen.Id("e").Op("*").Qual(pkgGQL, "Encoder"), jen.Id("sel").Qual(pkgAST, "SelectionSet"),
		jen.Id("d").Op("*").Id(r.GoName), jen.Id("stored").Qual(pkgJSON, "RawMessage"),
	).Bool().Block(
		jen.If(jen.Id("d").Op("==").Nil()).Block(
			jen.If(jen.Id("e").Dot("Stored").Call(jen.Id(storedVar(a.data)), jen.Id("stored"), jen.Id("sel"))).Block(jen.Return(jen.True())),
			jen.Id("d").Op("=").New(jen.Id(r.GoName)),
			jen.If(jen.Id("d").Dot("decodeGQL").Call(jen.Id("stored")).Op("!=").Nil()).Block(jen.Return(jen.False())),
		),
		jen.Return(jen.Id("d").Dot("encodeGQL").Call(jen.Id("e"), jen.Id("sel"))),
	)
	f.Line()
	encodeMethod(f, r.GoName, a.data, func(g *jen.Group) { dataCases(g, r.Fields) })
	for _, o := range a.objects {
		encodeMethod(f, o.name, o.name, func(g *jen.Group) { dataCases(g, o.field.Fields) })
	}
	emitStoredTypes(f, a)
	encodeMethod(f, a.conn, a.conn, func(g *jen.Group) {
		g.Case(jen.Lit("edges")).Block(
			jen.Id("e").Dot("OpenList").Call(),
			jen.For(jen.List(jen.Id("_"), jen.Id("x")).Op(":=").Range().Id("r").Dot("Edges")).Block(
				jen.Id("e").Dot("Elem").Call(),
				must(jen.Id("x").Dot("encodeGQL").Call(e.Clone(), sel.Clone())),
			),
			jen.Id("e").Dot("CloseList").Call(),
		)
		g.Case(jen.Lit("nodes")).Block(
			jen.Id("e").Dot("OpenList").Call(),
			jen.For(jen.List(jen.Id("_"), jen.Id("x")).Op(":=").Range().Id("r").Dot("Nodes")).Block(
				jen.Id("e").Dot("Elem").Call(),
				must(jen.Id("x").Dot("encodeGQL").Call(e.Clone(), sel.Clone())),
			),
			jen.Comment("Under the fast path the page is in stored (and Nodes is empty)."),
			jen.For(jen.List(jen.Id("_"), jen.Id("env")).Op(":=").Range().Id("r").Dot("stored")).Block(
				jen.Id("e").Dot("Elem").Call(),
				must(fromEnv(jen.Id("env"))),
			),
			jen.Id("e").Dot("CloseList").Call(),
		)
		g.Case(jen.Lit("pageInfo")).Add(must(jen.Id("e").Dot("PageInfo").Call(jen.Op("&").Id("r").Dot("PageInfo"), sel.Clone())))
		g.Case(jen.Lit("totalCount")).Id("e").Dot("Int").Call(jen.Id("r").Dot("TotalCount"))
	})
	encodeMethod(f, a.edge, a.edge, func(g *jen.Group) {
		g.Case(jen.Lit("cursor")).Id("e").Dot("String").Call(jen.Id("r").Dot("Cursor"))
		g.Case(jen.Lit("node")).If(jen.Id("r").Dot("stored").Op("!=").Nil()).Block(must(fromEnv(jen.Id("r").Dot("stored")))).Else().Add(
			must(jen.Id("r").Dot("Node").Dot("encodeGQL").Call(e.Clone(), sel.Clone())))
	})
}

// storedVar is the variable of the gql.StoredType of a data type.
func storedVar(gqlType string) string { return strings.ToLower(gqlType[:1]) + gqlType[1:] + "Stored" }

// emitStoredTypes emits the gql.StoredType of a resource's data and of
// its nested objects, nested objects first.
//
//	var postDataStored = gql.NewStoredType("PostData",
//		gql.StoredField{Key: "title", Name: "title", Kind: gql.StoredString}, ...)
func emitStoredTypes(f *jen.File, a *resourceAPI) {
	emit := func(gqlType string, fields []*model.Field) {
		f.Comment(fmt.Sprintf("%s describes the stored JSON of %s for gql.Encoder.Stored.", storedVar(gqlType), gqlType))
		args := []jen.Code{jen.Lit(gqlType)}
		for _, fd := range fields {
			args = append(args, jen.Line().Add(storedField(fd, true)))
		}
		f.Var().Id(storedVar(gqlType)).Op("=").Qual(pkgGQL, "NewStoredType").Call(append(args, jen.Line())...)
		f.Line()
	}
	for _, o := range a.objects {
		emit(o.name, o.field.Fields)
	}
	emit(a.data, a.model.Fields)
}

// storedField is the gql.StoredField literal of fd (a member of its
// object when member, else a list's element).
func storedField(fd *model.Field, member bool) *jen.Statement {
	written := !(fd.WriteOnly || fd.Type == model.File || fd.Type == model.List && fd.Elem.Type == model.File)
	kind, extra := "StoredString", jen.Code(nil)
	switch fd.Type {
	case model.Int:
		kind = "StoredInt"
	case model.Float:
		kind = "StoredFloat"
	case model.Bool:
		kind = "StoredBool"
	case model.DateTime:
		kind = "StoredTime"
	case model.Enum:
		kind = "StoredEnum"
		extra = jen.Id("Enum").Op(":").Map(jen.String()).String().Values(jen.DictFunc(func(d jen.Dict) {
			for _, v := range fd.Values {
				d[jen.Lit(v)] = jen.Lit(enumValueName(v))
			}
		}))
	case model.JSON:
		kind = "StoredJSON"
	case model.Object:
		kind = "StoredObject"
		extra = jen.Id("Object").Op(":").Id(storedVar(fd.ObjectGoType))
	case model.List:
		kind = "StoredList"
		extra = jen.Id("Elem").Op(":").Op("&").Add(storedField(fd.Elem, false))
		if fd.Elem.Type == model.JSON {
			// Lists of JSON values are decoded by encoding/json: written
			// from the decoded value.
			kind, extra = "StoredOther", nil
		}
	case model.File:
		kind = "StoredOther"
	}
	if !written {
		kind, extra = "StoredOther", nil
	}
	return jen.Qual(pkgGQL, "StoredField").ValuesFunc(func(g *jen.Group) {
		if member {
			g.Id("Key").Op(":").Lit(fd.Name)
			if written {
				g.Id("Name").Op(":").Lit(fieldName(fd.Name))
			}
		}
		g.Id("Kind").Op(":").Qual(pkgGQL, kind)
		if member && (fd.Nullable() || fd.Type == model.List || fd.Type == model.JSON) {
			g.Id("Null").Op(":").True()
		}
		if extra != nil {
			g.Add(extra)
		}
	})
}

// dataCases adds the cases of the output data fields: files decline
// (their URLs are signed by a resolver).
func dataCases(g *jen.Group, fields []*model.Field) {
	for _, fd := range fields {
		if fd.WriteOnly || fd.Type == model.File || fd.Type == model.List && fd.Elem.Type == model.File {
			continue
		}
		v := jen.Id("r").Dot(fd.GoName)
		g.Case(jen.Lit(fieldName(fd.Name))).Add(fieldValue(fd, v))
	}
}

// fieldValue writes the value v of data field fd, null when the Go value
// is nil.
func fieldValue(fd *model.Field, v *jen.Statement) jen.Code {
	if fd.Type == model.List {
		// [T!]: nil is null; elements are values.
		return jen.If(v.Clone().Op("==").Nil()).Block(jen.Id("e").Dot("Null").Call()).Else().Block(
			jen.Id("e").Dot("OpenList").Call(),
			jen.For(jen.Id("i").Op(":=").Range().Add(v.Clone())).Block(
				jen.Id("e").Dot("Elem").Call(),
				valueOf(fd.Elem, fd.EnumGoType != "", v.Clone().Index(jen.Id("i"))),
			),
			jen.Id("e").Dot("CloseList").Call(),
		)
	}
	if fd.Type == model.JSON {
		return must(jen.Id("e").Dot("JSON").Call(v))
	}
	if !fd.Nullable() {
		return valueOf(fd, fd.Type == model.Enum, v)
	}
	return jen.If(v.Clone().Op("==").Nil()).Block(jen.Id("e").Dot("Null").Call()).Else().Block(
		valueOf(fd, fd.Type == model.Enum, jen.Parens(jen.Op("*").Add(v.Clone()))))
}

// valueOf writes the non-nil value v of a field of fd's type (an enum
// when enum).
func valueOf(fd *model.Field, enum bool, v *jen.Statement) jen.Code {
	e := jen.Id("e")
	switch {
	case enum:
		return must(e.Dot("Enum").Call(v.Dot("gqlName").Call()))
	case fd.Type == model.Int:
		return e.Dot("Int64").Call(v)
	case fd.Type == model.Float:
		return must(e.Dot("Float").Call(v))
	case fd.Type == model.Bool:
		return e.Dot("Bool").Call(v)
	case fd.Type == model.DateTime:
		return must(e.Dot("Time").Call(v))
	case fd.Type == model.JSON:
		return must(e.Dot("JSON").Call(v))
	case fd.Type == model.Object:
		return must(v.Dot("encodeGQL").Call(e, jen.Id("f").Dot("Selections")))
	}
	return e.Dot("String").Call(v)
}

// fastFile emits FastQuery, the fast path of the executable schema
// gqlgen generates, and one function per root query field it answers:
// the read and the list of each resource. It refers to gqlgen's output
// (executableSchema, executionContext, the argument parsers), so gqlgen
// runs without it.
func fastFile(s *schema, pkgPath string) *jen.File {
	f := newFile(s, pkgPath)
	f.ImportName(pkgAST, "ast")
	enc := jen.Id("enc")
	type root struct {
		field, fn string
		call      jen.Code
		nullable  bool   // the read's Item may be null; the list's connection may not
		typ       string // the GraphQL type of the field's value
	}
	var roots []root
	for _, a := range s.resources {
		for _, op := range a.model.GraphQLOperations(model.GraphQLQuery) {
			name := op.GraphQL.Name
			arg := func(n string, t jen.Code) jen.Code { return jen.Id("args").Index(jen.Lit(n)).Assert(t) }
			var args []jen.Code
			switch op.Action {
			case model.ActionRead:
				args = []jen.Code{arg("id", jen.String()), arg("revision", jen.Op("*").String()), arg("includeDeleted", jen.Op("*").Bool())}
			case model.ActionList:
				args = []jen.Code{arg("filter", jen.Op("*").Id(a.filter)), arg("orderBy", jen.Index().Op("*").Id(a.order)),
					arg("first", jen.Op("*").Int()), arg("after", jen.Op("*").String()), arg("includeDeleted", jen.Op("*").Bool())}
			default:
				continue
			}
			typ := a.name
			if op.Action == model.ActionList {
				typ = a.conn
			}
			roots = append(roots, root{field: name, fn: "fast" + upperFirst(name), nullable: op.Action == model.ActionRead, typ: typ,
				call: jen.Id("ec").Dot("Resolvers").Dot("Query").Call().Dot(upperFirst(name)).Call(append([]jen.Code{jen.Id("ctx")}, args...)...)})
		}
	}

	f.Comment("fastTypes lists the fields FastQuery writes, by GraphQL type, with the object")
	f.Comment("type of each field's value (\"\" for scalars and enums).")
	f.Var().Id("fastTypes").Op("=").Qual(pkgGQL, "FastTypes").Values(jen.DictFunc(func(d jen.Dict) {
		fields := func(kv ...string) jen.Code {
			return jen.Values(jen.DictFunc(func(d jen.Dict) {
				for i := 0; i < len(kv); i += 2 {
					d[jen.Lit(kv[i])] = jen.Lit(kv[i+1])
				}
			}))
		}
		var query []string
		for _, rt := range roots {
			query = append(query, rt.field, rt.typ)
		}
		d[jen.Lit("Query")] = fields(query...)
		for _, a := range s.resources {
			d[jen.Lit(a.name)] = fields("id", "", "etag", "", "data", a.data, "meta", "Meta", "revisionInfo", "RevisionInfo")
			d[jen.Lit(a.data)] = fields(dataTypes(a.model.Fields)...)
			for _, o := range a.objects {
				d[jen.Lit(o.name)] = fields(dataTypes(o.field.Fields)...)
			}
			d[jen.Lit(a.conn)] = fields("edges", a.edge, "nodes", a.name, "pageInfo", "PageInfo", "totalCount", "")
			d[jen.Lit(a.edge)] = fields("cursor", "", "node", a.name)
		}
	}))
	f.Line()

	f.Comment("FastQuery implements gql.FastQuerier: it answers a query whose fields are the")
	f.Comment("reads and lists of resources, selecting data only, by calling their resolvers")
	f.Comment("and writing the results into enc; anything else declines to gqlgen's executor.")
	f.Func().Params(jen.Id("e").Op("*").Id("executableSchema")).Id("FastQuery").Params(
		jen.Id("ctx").Qual("context", "Context"), enc.Clone().Op("*").Qual(pkgGQL, "Encoder"),
	).Bool().Block(
		jen.Id("opCtx").Op(":=").Add(enc.Clone()).Dot("Operation").Call(),
		jen.If(jen.Op("!").Add(enc.Clone()).Dot("Supports").Call(jen.Id("opCtx").Dot("Operation").Dot("SelectionSet"), jen.Lit("Query"), jen.Id("fastTypes"))).Block(
			jen.Return(jen.False())),
		jen.List(jen.Id("fields"), jen.Id("ok")).Op(":=").Add(enc.Clone()).Dot("Fields").Call(jen.Id("opCtx").Dot("Operation").Dot("SelectionSet"), jen.Lit("Query")),
		jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.False())),
		jen.Id("ec").Op(":=").Id("newExecutionContext").Call(jen.Id("opCtx"), jen.Id("e"), jen.Nil()),
		enc.Clone().Dot("Open").Call(),
		jen.For(jen.List(jen.Id("_"), jen.Id("f")).Op(":=").Range().Id("fields")).Block(
			enc.Clone().Dot("Key").Call(jen.Id("f")),
			jen.Switch(jen.Id("f").Dot("Name")).BlockFunc(func(g *jen.Group) {
				g.Case(jen.Lit("__typename")).Add(enc.Clone()).Dot("String").Call(jen.Lit("Query"))
				for _, rt := range roots {
					g.Case(jen.Lit(rt.field)).Add(must(jen.Id("ec").Dot(rt.fn).Call(jen.Id("ctx"), enc.Clone(), jen.Id("f"))))
				}
				g.Default().Return(jen.False())
			}),
		),
		enc.Clone().Dot("Close").Call(),
		jen.Return(jen.True()),
	)
	f.Line()
	for _, rt := range roots {
		f.Comment(fmt.Sprintf("%s answers the query field %s through its resolver, as gqlgen's executor", rt.fn, rt.field))
		f.Comment("calls it, and writes the selected fields of the result.")
		f.Func().Params(jen.Id("ec").Op("*").Id("executionContext")).Id(rt.fn).Params(
			jen.Id("ctx").Qual("context", "Context"), enc.Clone().Op("*").Qual(pkgGQL, "Encoder"), jen.Id("field").Qual(pkgGraphQL, "CollectedField"),
		).Bool().Block(
			jen.List(jen.Id("args"), jen.Id("ok")).Op(":=").Add(enc.Clone()).Dot("Args").Call(jen.Id("field"), jen.Func().Params().Params(jen.Map(jen.String()).Any(), jen.Error()).Block(
				jen.Return(jen.Id("ec").Dot("field_Query_"+rt.field+"_args").Call(jen.Id("ctx"), jen.Id("field").Dot("ArgumentMap").Call(jen.Id("ec").Dot("Variables")))),
			)),
			jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.False())),
			jen.Id("ctx").Op("=").Qual(pkgGQL, "ResolverContext").Call(jen.Id("ctx"), jen.Lit("Query"), jen.Id("field"), jen.Id("args")),
			jen.List(jen.Id("res"), jen.Err()).Op(":=").Add(rt.call),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.False())),
			jen.Do(func(s *jen.Statement) {
				if rt.nullable {
					s.If(jen.Id("res").Op("==").Nil()).Block(enc.Clone().Dot("Null").Call(), jen.Return(jen.True()))
				}
			}),
			jen.Return(jen.Id("res").Dot("encodeGQL").Call(enc.Clone(), jen.Id("field").Dot("Selections"))),
		)
		f.Line()
	}
	return f
}

const pkgJSONRead = "github.com/specstar-go/specstar/runtime/jsonread"

// emitReaders emits the reflection-free decoding of a resource's stored
// data (runtime/jsonread) that the list resolver uses: readJSON on the
// data type and its nested objects, decodeGQL on the data type, which
// falls back to encoding/json for anything jsonread refuses, and the
// record decoder.
//
//	func (d *Post) readJSON(r *jsonread.Reader)
//	func (d *Post) decodeGQL(data json.RawMessage) error
//	func decodePostRecordGQL(rec *PostRecord, env *resource.Envelope) error
func emitReaders(f *jen.File, a *resourceAPI) {
	r := a.model
	readMethod(f, r.GoName, r.Fields)
	for _, o := range a.objects {
		readMethod(f, o.name, o.field.Fields)
	}
	f.Comment("decodeGQL sets d from its stored JSON as json.Unmarshal does: without reflection")
	f.Comment("when jsonread takes the data, else with encoding/json.")
	f.Func().Params(jen.Id("d").Op("*").Id(r.GoName)).Id("decodeGQL").Params(jen.Id("data").Qual(pkgJSON, "RawMessage")).Error().Block(
		jen.Var().Id("rd").Qual(pkgJSONRead, "Reader"),
		jen.Id("rd").Dot("Reset").Call(jen.Id("data")),
		jen.Id("d").Dot("readJSON").Call(jen.Op("&").Id("rd")),
		jen.If(jen.Id("rd").Dot("Done").Call().Op("==").Nil()).Block(jen.Return(jen.Nil())),
		jen.Op("*").Id("d").Op("=").Id(r.GoName).Values(),
		jen.Return(jen.Qual(pkgJSON, "Unmarshal").Call(jen.Id("data"), jen.Id("d"))),
	)
	f.Line()
	name := "decode" + r.GoName + "RecordGQL"
	f.Comment(fmt.Sprintf("%s decodes env into rec as decode%sRecord does, without", name, r.GoName))
	f.Comment("reflection where jsonread takes the data.")
	f.Func().Id(name).Params(jen.Id("rec").Op("*").Id(r.GoName+"Record"), jen.Id("env").Op("*").Qual(pkgResource, "Envelope")).Error().Block(
		jen.List(jen.Id("rec").Dot("Meta"), jen.Id("rec").Dot("RevisionInfo")).Op("=").List(jen.Id("env").Dot("Meta"), jen.Id("env").Dot("RevisionInfo")),
		jen.If(jen.Err().Op(":=").Id("rec").Dot("Data").Dot("decodeGQL").Call(jen.Id("env").Dot("Data")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Qual("fmt", "Errorf").Call(jen.Lit("decode "+r.Name+" %s: %w"), jen.Id("env").Dot("Meta").Dot("ResourceID"), jen.Err())),
		),
		jen.Return(jen.Nil()),
	)
	f.Line()
}

// readMethod emits readJSON of a data struct: json.Unmarshal's results
// for the stored JSON of its fields (null leaves a value unchanged and
// sets a pointer, list or JSON value to nil or null).
func readMethod(f *jen.File, goType string, fields []*model.Field) {
	f.Comment("readJSON reads the stored JSON of d with r, as json.Unmarshal would; r fails on")
	f.Comment("a key it does not know.")
	f.Func().Params(jen.Id("d").Op("*").Id(goType)).Id("readJSON").Params(jen.Id("r").Op("*").Qual(pkgJSONRead, "Reader")).Block(
		jen.If(jen.Id("r").Dot("Null").Call().Op("||").Op("!").Id("r").Dot("Object").Call()).Block(jen.Return()),
		jen.For().BlockFunc(func(g *jen.Group) {
			g.List(jen.Id("key"), jen.Id("ok")).Op(":=").Id("r").Dot("Key").Call()
			g.If(jen.Op("!").Id("ok")).Block(jen.Return())
			g.Switch(jen.String().Call(jen.Id("key"))).BlockFunc(func(g *jen.Group) {
				for _, fd := range fields {
					g.Case(jen.Lit(fd.Name)).Add(readField(fd, jen.Id("d").Dot(fd.GoName)))
				}
				g.Default().Id("r").Dot("Fail").Call()
			})
		}),
	)
	f.Line()
}

// readField reads the value of field fd into v.
func readField(fd *model.Field, v *jen.Statement) jen.Code {
	rd := jen.Id("r")
	null := rd.Clone().Dot("Null").Call()
	switch fd.Type {
	case model.JSON:
		return v.Clone().Op("=").Add(rd.Clone()).Dot("Raw").Call()
	case model.List:
		elem, ok := scalarRead(fd.Elem, fd.EnumGoType)
		if !ok {
			return rd.Clone().Dot("Value").Call(jen.Op("&").Add(v.Clone()))
		}
		return jen.If(null).Block(v.Clone().Op("=").Nil()).Else().Block(
			v.Clone().Op("=").Add(goTypeOf(fd)).Values(),
			jen.For(rd.Clone().Dot("Array").Call(), rd.Clone().Dot("Next").Call(), jen.Empty()).Block(
				v.Clone().Op("=").Append(v.Clone(), elem)),
		)
	case model.Object:
		if fd.Nullable() {
			return jen.If(null).Block(v.Clone().Op("=").Nil()).Else().Block(
				v.Clone().Op("=").New(jen.Id(fd.ObjectGoType)),
				v.Clone().Dot("readJSON").Call(rd.Clone()))
		}
		return v.Clone().Dot("readJSON").Call(rd.Clone())
	}
	val, ok := scalarRead(fd, fd.EnumGoType)
	if !ok {
		return rd.Clone().Dot("Value").Call(jen.Op("&").Add(v.Clone()))
	}
	if fd.Nullable() {
		return jen.If(null).Block(v.Clone().Op("=").Nil()).Else().Block(
			jen.Id("x").Op(":=").Add(val),
			v.Clone().Op("=").Op("&").Id("x"))
	}
	return jen.If(jen.Op("!").Add(null)).Block(v.Clone().Op("=").Add(val))
}

// scalarRead is the read of one value of a scalar field (an enum of
// enumType when set), or false for a type read by encoding/json.
func scalarRead(fd *model.Field, enumType string) (*jen.Statement, bool) {
	rd := jen.Id("r")
	switch fd.Type {
	case model.Int:
		return rd.Dot("Int64").Call(), true
	case model.Float:
		return rd.Dot("Float64").Call(), true
	case model.Bool:
		return rd.Dot("Bool").Call(), true
	case model.DateTime:
		return rd.Dot("Time").Call(), true
	case model.Enum:
		return jen.Id(enumType).Call(rd.Dot("String").Call()), true
	case model.File, model.JSON, model.List, model.Object:
		return nil, false
	}
	return rd.Dot("String").Call(), true
}

// goTypeOf is the Go type of a list field: []string, []PostStatus.
func goTypeOf(fd *model.Field) *jen.Statement {
	if fd.EnumGoType != "" {
		return jen.Index().Id(fd.EnumGoType)
	}
	elem, _ := scalarGoType(fd.Elem)
	return jen.Index().Add(elem)
}

// scalarGoType is the Go type of a scalar value.
func scalarGoType(fd *model.Field) (*jen.Statement, bool) {
	switch fd.Type {
	case model.Int:
		return jen.Int64(), true
	case model.Float:
		return jen.Float64(), true
	case model.Bool:
		return jen.Bool(), true
	case model.DateTime:
		return jen.Qual("time", "Time"), true
	}
	return jen.String(), true
}

// dataTypes lists the output data fields that the encoders write, each
// with the GraphQL object type of its values ("" for scalars), as
// key-value pairs.
func dataTypes(fields []*model.Field) []string {
	var out []string
	for _, fd := range fields {
		if fd.WriteOnly || fd.Type == model.File || fd.Type == model.List && fd.Elem.Type == model.File {
			continue
		}
		typ := ""
		switch {
		case fd.Type == model.Object:
			typ = fd.ObjectGoType
		case fd.Type == model.List && fd.Elem.Type == model.Object:
			typ = fd.Elem.ObjectGoType
		}
		out = append(out, fieldName(fd.Name), typ)
	}
	return out
}
