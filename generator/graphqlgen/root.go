package graphqlgen

import (
	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// rootFile emits the resolver root, the complexity of connection fields
// and the method of the generated app that builds the GraphQL handler.
// It refers to what gqlgen generates (Config, NewExecutableSchema, the
// resolver interfaces), so gqlgen runs without it.
func rootFile(s *schema, pkgPath string) *jen.File {
	f := newFile(s, pkgPath)
	f.Comment("resolver is the root of the GraphQL resolvers. Every resolver reads and writes")
	f.Comment("through svc, the service the REST handlers use; subscriptions listen to changes.")
	f.Type().Id("resolver").Struct(
		jen.Id("svc").Op("*").Qual(pkgResource, "Service"),
		jen.Id("changes").Qual(pkgFeed, "Feed"),
	)
	f.Line()
	roots := []struct{ method, typ, doc string }{
		{"Query", "queryResolver", "the queries"},
		{"Mutation", "mutationResolver", "the mutations"},
		{"Subscription", "subscriptionResolver", "the subscriptions"},
	}
	for _, a := range s.resources {
		roots = append(roots, struct{ method, typ, doc string }{a.name, a.model.VarName + "Resolver", "the fields of " + a.name + " that are not data"})
	}
	for _, rt := range roots {
		f.Comment(rt.method + " returns the resolvers of " + rt.doc + ".")
		f.Func().Params(jen.Id("r").Op("*").Id("resolver")).Id(rt.method).Params().Id(rt.method + "Resolver").Block(
			jen.Return(jen.Op("&").Id(rt.typ).Values(jen.Id("r"))))
		f.Line()
	}
	for _, rt := range roots {
		f.Comment(rt.typ + " resolves " + rt.doc + ".")
		f.Type().Id(rt.typ).Struct(jen.Op("*").Id("resolver"))
		f.Line()
	}

	if usesFiles(s) {
		emitFileResolvers(f)
	}
	f.Comment("GraphQL returns the handler of the GraphQL API over svc: queries, mutations and")
	f.Comment("subscriptions (fed by opts.Feed), with GraphiQL for browsers. The server mounts it")
	f.Comment("at /graphql.")
	f.Func().Params(jen.Id("app")).Id("GraphQL").Params(
		jen.Id("svc").Op("*").Qual(pkgResource, "Service"), jen.Id("opts").Qual(pkgGQL, "Options"),
	).Qual("net/http", "Handler").Block(
		jen.Id("cfg").Op(":=").Id("Config").Values(jen.Dict{
			jen.Id("Resolvers"): jen.Op("&").Id("resolver").Values(jen.Dict{jen.Id("svc"): jen.Id("svc"), jen.Id("changes"): jen.Id("opts").Dot("Feed")}),
		}),
		jen.Id("setComplexity").Call(jen.Op("&").Id("cfg").Dot("Complexity")),
		jen.Return(jen.Qual(pkgGQL, "NewHandler").Call(jen.Id("NewExecutableSchema").Call(jen.Id("cfg")), jen.Id("svc"), jen.Id("opts"))),
	)
	f.Line()

	f.Comment("setComplexity makes the cost of every connection field its page size times the")
	f.Comment("cost of one item, so that the complexity limit bounds what a query can read.")
	f.Func().Id("setComplexity").Params(jen.Id("c").Op("*").Id("ComplexityRoot")).BlockFunc(func(g *jen.Group) {
		conn := func(target *jen.Statement, a *resourceAPI) {
			params := []jen.Code{jen.Id("child").Int()}
			for _, p := range listParamsOf(a) {
				params = append(params, p)
			}
			g.Add(target).Op("=").Func().Params(params...).Int().Block(
				jen.Return(jen.Qual(pkgGQL, "Complexity").Call(jen.Id("child"), jen.Id("first"))))
		}
		for _, a := range s.resources {
			conn(jen.Id("c").Dot("Query").Dot(upperFirst(a.many)), a)
			for _, b := range a.backrefs {
				conn(jen.Id("c").Dot(a.name).Dot(upperFirst(b.name)), b.source)
			}
			g.Id("c").Dot(a.name).Dot(upperFirst(a.model.Operation(model.ActionRevisions).GraphQL.Name)).Op("=").Func().Params(
				jen.Id("child").Int(), jen.Id("first").Op("*").Int(), jen.Id("after").Op("*").String(), jen.Id("chain").Op("*").Bool(),
			).Int().Block(jen.Return(jen.Qual(pkgGQL, "Complexity").Call(jen.Id("child"), jen.Id("first"))))
		}
	})
	return f
}

// emitFileResolvers emits the resolvers of the fields of File and
// FileInput that resource.File has no field for:
//
//	func (r *resolver) File() FileResolver { return fileResolver{} }
//	func (fileResolver) URL(ctx context.Context, obj *resource.File) (string, error) {
//		return gql.FileURL(ctx, obj)
//	}
//
// and likewise FileInput.upload, by gql.PendUpload.
func emitFileResolvers(f *jen.File) {
	f.ImportName(pkgGraphQLTypes, "graphql")
	ctx := jen.Id("ctx").Qual("context", "Context")
	obj := jen.Id("obj").Op("*").Qual(pkgResource, "File")
	for _, fr := range []struct {
		typ, recv, field, method, doc string
		params                        []jen.Code
		results                       jen.Code
		body                          jen.Code
	}{
		{"File", "fileResolver", "url", "URL", "the download route of the file (gql.FileURL)",
			[]jen.Code{ctx.Clone(), obj.Clone()}, jen.Params(jen.String(), jen.Error()),
			jen.Return(jen.Qual(pkgGQL, "FileURL").Call(jen.Id("ctx"), jen.Id("obj")))},
		{"FileInput", "fileInputResolver", "upload", "Upload", "a file of a multipart request, stored by the mutation (gql.PendUpload)",
			[]jen.Code{jen.Id("_").Qual("context", "Context"), obj.Clone(), jen.Id("data").Op("*").Qual(pkgGraphQLTypes, "Upload")}, jen.Error(),
			jen.Return(jen.Qual(pkgGQL, "PendUpload").Call(jen.Id("obj"), jen.Id("data")))},
	} {
		f.Comment(fr.typ + " returns the resolver of " + fr.typ + "." + fr.field + ".")
		f.Func().Params(jen.Id("r").Op("*").Id("resolver")).Id(fr.typ).Params().Id(fr.typ + "Resolver").Block(
			jen.Return(jen.Id(fr.recv).Values()))
		f.Line()
		f.Comment(fr.recv + " resolves " + fr.typ + "." + fr.field + ": " + fr.doc + ".")
		f.Type().Id(fr.recv).Struct()
		f.Line()
		f.Comment(fr.method + " is the resolver of " + fr.typ + "." + fr.field + ".")
		f.Func().Params(jen.Id(fr.recv)).Id(fr.method).Params(fr.params...).Add(fr.results).Block(fr.body)
		f.Line()
	}
}
