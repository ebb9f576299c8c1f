package graphqlgen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// resolverFile emits the resolvers of one resource: its queries,
// mutations and subscription, the fields of its object type that are not
// data (relations, back-references, revisions, diff), and the list and
// load helpers the resolvers of other resources share. Every resolver
// calls resource.Service as the REST handlers do, and uses the same
// generated encode and validation.
func resolverFile(s *schema, a *resourceAPI, pkgPath string) *jen.File {
	f := newFile(s, pkgPath)
	r := a.model
	kind := jen.Id(r.VarName + "Kind")
	rec := jen.Op("*").Id(r.GoName + "Record")
	ctx := jen.Id("ctx").Qual("context", "Context")
	str := func(p *jen.Statement) *jen.Statement { return p.Op("*").String() }
	result := jen.Params(rec.Clone(), jen.Error())
	res := resultFunc(a)
	svc := func(method string, args ...jen.Code) *jen.Statement {
		return jen.Id("r").Dot("svc").Dot(method).Call(append([]jen.Code{jen.Id("ctx"), kind.Clone()}, args...)...)
	}
	writeOpts := func(ifMatch, mode, status bool) *jen.Statement {
		arg := func(ok bool, name string) jen.Code {
			if ok {
				return jen.Id(name)
			}
			return jen.Nil()
		}
		return jen.Qual(pkgGQL, "WriteOptions").Call(arg(ifMatch, "ifMatch"), arg(mode, "mode"), arg(status, "status"))
	}
	method := func(recv, name, field string, params []jen.Code, results jen.Code, body ...jen.Code) {
		f.Comment(fmt.Sprintf("%s is the resolver of %s.", name, field))
		f.Func().Params(jen.Id("r").Op("*").Id(recv)).Id(name).Params(append([]jen.Code{ctx.Clone()}, params...)...).Add(results).Block(body...)
		f.Line()
	}
	listParams := listParamsOf(a)
	objRecv := r.VarName + "Resolver"
	obj := jen.Id("obj").Add(rec.Clone())
	encode := []jen.Code{
		jen.List(jen.Id("data"), jen.Err()).Op(":=").Id("input").Dot("encode").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
	}
	// uploads stores the files of a multipart request that the data (or
	// patch) of a write of a resource with file fields names:
	//
	//	ctx, data, done, err := gql.SaveUploads(ctx, r.svc, postKind, resource.ActionCreate, data)
	//	if err != nil { return nil, gql.Wrap(err) }
	uploads := func(data, action string) []jen.Code {
		if !r.HasFiles() {
			return nil
		}
		return []jen.Code{
			jen.List(jen.Id("ctx"), jen.Id(data), jen.Id("done"), jen.Err()).Op(":=").Qual(pkgGQL, "SaveUploads").Call(
				jen.Id("ctx"), jen.Id("r").Dot("svc"), kind.Clone(), jen.Qual(pkgResource, action), jen.Id(data)),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
		}
	}
	// uploaded removes the stored files of a write that failed: done(err).
	uploaded := func() []jen.Code {
		if !r.HasFiles() {
			return nil
		}
		return []jen.Code{jen.Id("done").Call(jen.Err())}
	}
	// resolve emits the resolver of the GraphQL field of op.
	resolve := func(op *model.Operation, params []jen.Code, results jen.Code, body ...jen.Code) {
		recv, typ := map[string]string{
			model.GraphQLQuery: "queryResolver", model.GraphQLMutation: "mutationResolver",
			model.GraphQLSubscription: "subscriptionResolver", model.GraphQLResource: objRecv,
		}[op.GraphQL.Root], op.GraphQL.Root
		if typ == model.GraphQLResource {
			typ = a.name
		}
		method(recv, upperFirst(op.GraphQL.Name), typ+"."+op.GraphQL.Name, params, results, body...)
	}
	// operation emits the resolver of op, an operation whose field is on a
	// root type or (revisions, diff) on the resource's object type.
	operation := func(op *model.Operation) {
		switch op.Action {
		case model.ActionRead:
			resolve(op, []jen.Code{jen.Id("id").String(), str(jen.Id("revision")), jen.Id("includeDeleted").Op("*").Bool()}, result.Clone(),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Get", jen.Id("id"), jen.Qual(pkgResource, "ReadOptions").Values(jen.Dict{
					jen.Id("Revision"):       jen.Qual(pkgGQL, "Deref").Call(jen.Id("revision")),
					jen.Id("IncludeDeleted"): jen.Qual(pkgGQL, "Deref").Call(jen.Id("includeDeleted")),
				}))),
				jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))
		case model.ActionList:
			resolve(op, listParams, jen.Params(jen.Op("*").Id(a.conn), jen.Error()),
				jen.Return(jen.Id("r").Dot(listFunc(a)).Call(jen.Id("ctx"), jen.Nil(), jen.Id("where"), jen.Id("orderBy"), jen.Id("first"), jen.Id("after"), jen.Id("includeDeleted"))))
		case model.ActionCreate:
			body := append(append(encode, uploads("data", "ActionCreate")...),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Create", jen.Id("data"), writeOpts(false, false, true))))
			resolve(op, []jen.Code{jen.Id("input").Id(r.GoName), str(jen.Id("status"))}, result.Clone(),
				append(append(body, uploaded()...), jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))...)
		case model.ActionUpdate:
			body := append(append(encode, uploads("data", "ActionUpdate")...),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Update", jen.Id("id"), jen.Id("data"), writeOpts(true, true, true))))
			resolve(op, []jen.Code{jen.Id("id").String(), jen.Id("input").Id(r.GoName), str(jen.Id("ifMatch")), str(jen.Id("mode")), str(jen.Id("status"))}, result.Clone(),
				append(append(body, uploaded()...), jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))...)
		case model.ActionPatch:
			emitPatchFields(f, r)
			// The patch names fields and enum values as GraphQL does.
			body := []jen.Code{
				jen.List(jen.Id("patch"), jen.Err()).Op(":=").Qual(pkgGQL, "TranslatePatch").Call(jen.Id("patch"), jen.Id(patchFieldsVar(r))),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
			}
			body = append(body, uploads("patch", "ActionUpdate")...)
			body = append(body,
				jen.Id("apply").Op(":=").Func().Params(jen.Id("current").Qual(pkgJSON, "RawMessage")).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
					jen.List(jen.Id("merged"), jen.Err()).Op(":=").Qual(pkgGQL, "MergePatch").Call(jen.Id("current"), jen.Id("patch")),
					jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
					jen.Return(jen.Id("decode"+r.GoName).Call(jen.Id("merged"))),
				),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Patch", jen.Id("id"), jen.Id("apply"), writeOpts(true, true, true))))
			body = append(body, uploaded()...)
			body = append(body, jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))
			resolve(op, []jen.Code{jen.Id("id").String(), jen.Id("patch").Qual(pkgJSON, "RawMessage"), str(jen.Id("ifMatch")), str(jen.Id("mode")), str(jen.Id("status"))}, result.Clone(), body...)
		case model.ActionDelete:
			resolve(op, []jen.Code{jen.Id("id").String(), str(jen.Id("ifMatch"))}, result.Clone(),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Delete", jen.Id("id"), writeOpts(true, false, false))),
				jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))
		case model.ActionRestore:
			// opts := gql.WriteOptions(ifMatch, nil, nil)
			// opts.Cascade = gql.Deref(cascade)
			resolve(op, []jen.Code{jen.Id("id").String(), str(jen.Id("ifMatch")), jen.Id("cascade").Op("*").Bool()}, result.Clone(),
				jen.Id("opts").Op(":=").Add(writeOpts(true, false, false)),
				jen.Id("opts").Dot("Cascade").Op("=").Qual(pkgGQL, "Deref").Call(jen.Id("cascade")),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Restore", jen.Id("id"), jen.Id("opts"))),
				jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))
		case model.ActionPurge:
			resolve(op, []jen.Code{jen.Id("id").String(), str(jen.Id("ifMatch"))}, jen.Params(jen.String(), jen.Error()),
				jen.If(jen.Err().Op(":=").Add(svc("Purge", jen.Id("id"), writeOpts(true, false, false))), jen.Err().Op("!=").Nil()).Block(
					jen.Return(jen.Lit(""), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
				jen.Return(jen.Id("id"), jen.Nil()))
		case model.ActionSwitch:
			resolve(op, []jen.Code{jen.Id("id").String(), jen.Id("revision").String(), str(jen.Id("ifMatch"))}, result.Clone(),
				jen.List(jen.Id("env"), jen.Err()).Op(":=").Add(svc("Switch", jen.Id("id"), jen.Id("revision"), writeOpts(true, false, false))),
				jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))
		case model.ActionSubscribe:
			resolve(op, []jen.Code{str(jen.Id("id"))}, jen.Params(jen.Op("<-").Chan().Op("*").Id(a.change), jen.Error()),
				jen.Return(jen.Qual(pkgGQL, "Changes").Call(jen.Id("ctx"), jen.Id("r").Dot("svc"), jen.Id("r").Dot("changes"), kind.Clone(), jen.Id("id"),
					jen.Func().Params(jen.Id("e").Qual(pkgFeed, "Event")).Params(jen.Op("*").Id(a.change), jen.Error()).Block(
						jen.Id("c").Op(":=").Op("&").Id(a.change).Values(jen.Dict{jen.Id("Kind"): jen.Id("e").Dot("Op"), jen.Id("ID"): jen.Id("e").Dot("ID")}),
						jen.If(jen.Id("e").Dot("Envelope").Op("==").Nil()).Block(jen.Return(jen.Id("c"), jen.Nil())),
						jen.List(jen.Id("rec"), jen.Err()).Op(":=").Id("decode"+r.GoName+"Record").Call(jen.Id("e").Dot("Envelope"), jen.Nil()),
						jen.Id("c").Dot(r.GoName).Op("=").Id("rec"),
						jen.Return(jen.Id("c"), jen.Err()),
					))))
		case model.ActionRevisions:
			resolve(op, []jen.Code{obj.Clone(), jen.Id("first").Op("*").Int(), str(jen.Id("after")), jen.Id("chain").Op("*").Bool()},
				jen.Params(jen.Op("*").Qual(pkgGQL, "RevisionConnection"), jen.Error()),
				jen.Return(jen.Qual(pkgGQL, "Revisions").Call(jen.Id("ctx"), jen.Id("r").Dot("svc"), kind.Clone(), jen.Id("obj").Dot("ID").Call(),
					jen.Id("obj").Dot("Meta").Dot("IsDeleted"), jen.Id("first"), jen.Id("after"), jen.Id("chain"))))
		case model.ActionDiff:
			resolve(op, []jen.Code{obj.Clone(), str(jen.Id("against"))}, jen.Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()),
				jen.Return(jen.Qual(pkgGQL, "Diff").Call(jen.Id("ctx"), jen.Id("r").Dot("svc"), kind.Clone(), jen.Id("obj").Dot("ID").Call(),
					jen.Id("obj").Dot("Meta").Dot("IsDeleted"), jen.Id("obj").Dot("RevisionInfo").Dot("RevisionID"), jen.Qual(pkgGQL, "Deref").Call(jen.Id("against")))))
		case model.ActionEnqueue:
			// env, _, err := enqueuePost(ctx, r.svc, &input.Payload, jobres.EnqueueOptions{RunAt: gql.Deref(input.RunAt)})
			args := []jen.Code{jen.Id("ctx"), jen.Id("r").Dot("svc")}
			if r.Job.Payload != nil {
				args = append(args, jen.Op("&").Id("input").Dot("Payload"))
			}
			args = append(args, jen.Qual(pkgJobres, "EnqueueOptions").Values(jen.Dict{jen.Id("RunAt"): jen.Qual(pkgGQL, "Deref").Call(jen.Id("input").Dot("RunAt"))}))
			resolve(op, []jen.Code{jen.Id("input").Id(r.GoName)}, result.Clone(),
				jen.List(jen.Id("env"), jen.Id("_"), jen.Err()).Op(":=").Id("enqueue"+r.Job.Name).Call(args...),
				jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))
		case model.ActionCancel, model.ActionRerun:
			q := []jen.Code{
				jen.List(jen.Id("q"), jen.Err()).Op(":=").Qual(pkgJobres, "Of").Call(jen.Id("r").Dot("svc")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
			}
			def := jen.Id(r.VarName + "Def")
			if op.Action == model.ActionCancel {
				q = append(q, jen.List(jen.Id("env"), jen.Id("_"), jen.Err()).Op(":=").Id("q").Dot("Cancel").Call(jen.Id("ctx"), def, jen.Id("id")))
			} else {
				q = append(q, jen.List(jen.Id("env"), jen.Err()).Op(":=").Id("q").Dot("Rerun").Call(jen.Id("ctx"), def, jen.Id("id")))
			}
			resolve(op, []jen.Code{jen.Id("id").String()}, result.Clone(), append(q, jen.Return(jen.Id(res).Call(jen.Id("env"), jen.Err())))...)
		default:
			panic("graphqlgen: no resolver for action " + op.Action) // a row without a case here, caught by the golden tests
		}
	}

	// Queries, mutations and the subscription.
	if s.model.Auth != nil && r == s.model.Auth.User {
		emitMe(f, a, kind)
	}
	for _, rt := range rootTypes() {
		for _, op := range r.GraphQLOperations(rt) {
			operation(op)
		}
	}

	// Fields of the object type: relations, back-references, then the
	// operations on the object (revisions, diff).
	for _, rel := range a.relations {
		target := rel.target.model
		method(objRecv, upperFirst(rel.name), a.name+"."+rel.name, []jen.Code{obj.Clone()},
			jen.Params(jen.Op("*").Id(target.GoName+"Record"), jen.Error()),
			jen.Return(jen.Id("r").Dot(loadFunc(rel.target)).Call(jen.Id("ctx"), refValue(rel.field, jen.Id("obj")))))
	}
	for _, b := range a.backrefs {
		method(objRecv, upperFirst(b.name), a.name+"."+b.name, append([]jen.Code{obj.Clone()}, listParamsOf(b.source)...),
			jen.Params(jen.Op("*").Id(b.source.conn), jen.Error()),
			jen.Return(jen.Id("r").Dot(listFunc(b.source)).Call(jen.Id("ctx"),
				jen.Qual(pkgGQL, "Eq").Call(jen.Lit(b.field.Path), jen.Id("obj").Dot("ID").Call()),
				jen.Id("where"), jen.Id("orderBy"), jen.Id("first"), jen.Id("after"), jen.Id("includeDeleted"))))
	}
	for _, op := range r.GraphQLOperations(model.GraphQLResource) {
		operation(op)
	}

	emitList(f, a, kind)
	emitLoad(f, a, kind)
	f.Comment(fmt.Sprintf("%s turns what a service call returned into a record, classifying the error", res))
	f.Comment("for the GraphQL error presenter.")
	f.Func().Id(res).Params(jen.Id("env").Op("*").Qual(pkgResource, "Envelope"), jen.Err().Error()).Add(result.Clone()).Block(
		jen.List(jen.Id("rec"), jen.Err()).Op(":=").Id("decode"+r.GoName+"Record").Call(jen.Id("env"), jen.Err()),
		jen.Return(jen.Id("rec"), jen.Qual(pkgGQL, "Wrap").Call(jen.Err())),
	)
	return f
}

// emitMe emits the resolver of the me query of a spec with auth: the
// caller's User, read as the system, since users are for admins only.
//
//	func (r *queryResolver) Me(ctx context.Context) (*UserRecord, error)
func emitMe(f *jen.File, a *resourceAPI, kind *jen.Statement) {
	f.Comment(fmt.Sprintf("Me is the resolver of Query.%s: the %s of the caller, read as resource.System (the", meField, a.model.Name))
	f.Comment("rules of users let only admins read them). An anonymous caller gets UNAUTHENTICATED,")
	f.Comment("as REST's GET /api/auth/me answers 401.")
	f.Func().Params(jen.Id("r").Op("*").Id("queryResolver")).Id("Me").Params(jen.Id("ctx").Qual("context", "Context")).Params(
		jen.Op("*").Id(a.model.GoName+"Record"), jen.Error(),
	).Block(
		jen.Id("p").Op(":=").Qual(pkgResource, "PrincipalFrom").Call(jen.Id("ctx")),
		jen.If(jen.Id("p").Dot("IsAnonymous").Call()).Block(
			jen.Return(jen.Nil(), jen.Qual(pkgResource, "Errorf").Call(jen.Qual(pkgResource, "CodeUnauthenticated"), jen.Lit("sign in to read your user"))),
		),
		jen.List(jen.Id("env"), jen.Err()).Op(":=").Id("r").Dot("svc").Dot("Get").Call(
			jen.Qual(pkgResource, "AsSystem").Call(jen.Id("ctx")), kind.Clone(), jen.Id("p").Dot("ID"), jen.Qual(pkgResource, "ReadOptions").Values()),
		jen.Return(jen.Id(resultFunc(a)).Call(jen.Id("env"), jen.Err())),
	)
	f.Line()
}

// listParamsOf are the parameters of a connection resolver of a.
func listParamsOf(a *resourceAPI) []jen.Code {
	return []jen.Code{
		jen.Id("where").Op("*").Id(a.filter),
		jen.Id("orderBy").Index().Op("*").Id(a.order),
		jen.Id("first").Op("*").Int(),
		jen.Id("after").Op("*").String(),
		jen.Id("includeDeleted").Op("*").Bool(),
	}
}

// emitList emits the list helper shared by the list query and the
// back-references to the resource.
//
//	func (r *resolver) listPosts(ctx, cond filter.Expr, where *PostFilter, ...) (*PostConnection, error)
func emitList(f *jen.File, a *resourceAPI, kind *jen.Statement) {
	r := a.model
	name := listFunc(a)
	f.Comment(fmt.Sprintf("%s lists %s resources for %s and for the back-references to %s:", name, r.Name, a.many, r.Name))
	f.Comment("cond (nil for none) and the filter input where must both hold.")
	f.Func().Params(jen.Id("r").Op("*").Id("resolver")).Id(name).Params(
		append([]jen.Code{jen.Id("ctx").Qual("context", "Context"), jen.Id("cond").Qual(pkgFilter, "Expr")}, listParamsOf(a)...)...,
	).Params(jen.Op("*").Id(a.conn), jen.Error()).BlockFunc(func(g *jen.Group) {
		g.List(jen.Id("q"), jen.Err()).Op(":=").Qual(pkgGQL, "ListQuery").Call(jen.Id("first"), jen.Id("after"), jen.Id("includeDeleted"))
		g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err()))
		g.Id("q").Dot("Filter").Op("=").Qual(pkgGQL, "FilterText").Call(jen.Qual(pkgGQL, "And").Call(jen.Id("cond"), jen.Id("where").Dot("expr").Call()))
		g.Id("q").Dot("Sort").Op("=").Id(sortFunc(a)).Call(jen.Id("orderBy"))
		g.Id("q").Dot("Count").Op("=").Qual(pkgGQL, "Requested").Call(jen.Id("ctx"), jen.Lit("totalCount"))
		g.List(jen.Id("page"), jen.Err()).Op(":=").Id("r").Dot("svc").Dot("List").Call(jen.Id("ctx"), kind.Clone(), jen.Id("q"))
		g.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err())))
		g.Id("conn").Op(":=").Op("&").Id(a.conn).Values(jen.Dict{
			jen.Id("Nodes"):    jen.Make(jen.Index().Op("*").Id(r.GoName+"Record"), jen.Lit(0), jen.Len(jen.Id("page").Dot("Items"))),
			jen.Id("PageInfo"): jen.Qual(pkgGQL, "NewPageInfo").Call(jen.Id("page")),
		})
		g.Comment("Edges, and the cursor of each, only when the query selects them.")
		g.Id("edges").Op(":=").Qual(pkgGQL, "Requested").Call(jen.Id("ctx"), jen.Lit("edges"))
		g.If(jen.Id("edges")).Block(
			jen.Id("conn").Dot("Edges").Op("=").Make(jen.Index().Op("*").Id(a.edge), jen.Lit(0), jen.Len(jen.Id("page").Dot("Items"))))
		g.If(jen.Id("page").Dot("Total").Op("!=").Nil()).Block(jen.Id("conn").Dot("TotalCount").Op("=").Op("*").Id("page").Dot("Total"))
		g.Comment("Under the fast path the page stays as stored: the encoders write it.")
		g.Id("stored").Op(":=").Qual(pkgGQL, "WritesStored").Call(jen.Id("ctx"))
		g.Var().Id("recs").Index().Id(r.GoName + "Record")
		g.If(jen.Id("stored")).Block(
			jen.Id("conn").Dot("stored").Op("=").Id("page").Dot("Items"),
		).Else().Block(
			jen.Id("recs").Op("=").Make(jen.Index().Id(r.GoName+"Record"), jen.Len(jen.Id("page").Dot("Items"))))
		g.For(jen.List(jen.Id("i"), jen.Id("env")).Op(":=").Range().Id("page").Dot("Items")).Block(
			jen.Var().Id("rec").Op("*").Id(r.GoName+"Record"),
			jen.If(jen.Op("!").Id("stored")).Block(
				jen.Id("rec").Op("=").Op("&").Id("recs").Index(jen.Id("i")),
				jen.If(jen.Err().Op(":=").Id("decode"+r.GoName+"RecordGQL").Call(jen.Id("rec"), jen.Id("env")), jen.Err().Op("!=").Nil()).Block(
					jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
				jen.Id("conn").Dot("Nodes").Op("=").Append(jen.Id("conn").Dot("Nodes"), jen.Id("rec")),
			),
			jen.If(jen.Id("edges")).Block(
				jen.Id("edge").Op(":=").Op("&").Id(a.edge).Values(jen.Dict{
					jen.Id("Cursor"): jen.Qual(pkgGQL, "Cursor").Call(jen.Id("page"), jen.Id("i")),
					jen.Id("Node"):   jen.Id("rec"),
				}),
				jen.If(jen.Id("stored")).Block(jen.Id("edge").Dot("stored").Op("=").Id("env")),
				jen.Id("conn").Dot("Edges").Op("=").Append(jen.Id("conn").Dot("Edges"), jen.Id("edge")),
			),
		)
		if len(a.relations) > 0 {
			g.Comment("Queue the targets of the relations the query selects, so that resolving")
			g.Comment("them costs one query per target kind for the whole page.")
		}
		for _, rel := range a.relations {
			g.If(jen.Qual(pkgGQL, "Requested").Call(jen.Id("ctx"), jen.Lit("nodes."+rel.name)).Op("||").Qual(pkgGQL, "Requested").Call(jen.Id("ctx"), jen.Lit("edges.node."+rel.name))).Block(
				jen.Id("ids").Op(":=").Make(jen.Index().String(), jen.Lit(0), jen.Len(jen.Id("conn").Dot("Nodes"))),
				jen.For(jen.List(jen.Id("_"), jen.Id("rec")).Op(":=").Range().Id("conn").Dot("Nodes")).Block(
					jen.Id("ids").Op("=").Append(jen.Id("ids"), refValue(rel.field, jen.Id("rec")))),
				jen.Qual(pkgGQL, "LoaderFor").Call(jen.Id("ctx"), jen.Id("r").Dot("svc"), jen.Id(rel.target.model.VarName+"Kind")).Dot("Prime").Call(jen.Id("ids").Op("...")),
			)
		}
		g.Return(jen.Id("conn"), jen.Nil())
	})
	f.Line()
}

// emitLoad emits the batched load of one resource, used by the relations
// that point to it.
func emitLoad(f *jen.File, a *resourceAPI, kind *jen.Statement) {
	r := a.model
	if len(r.Referrers) == 0 {
		return
	}
	name := loadFunc(a)
	f.Comment(fmt.Sprintf("%s returns the live %s id through the batch loader of the response, or nil.", name, r.Name))
	f.Func().Params(jen.Id("r").Op("*").Id("resolver")).Id(name).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("id").String()).Params(
		jen.Op("*").Id(r.GoName+"Record"), jen.Error(),
	).Block(
		jen.List(jen.Id("env"), jen.Err()).Op(":=").Qual(pkgGQL, "LoaderFor").Call(jen.Id("ctx"), jen.Id("r").Dot("svc"), kind.Clone()).Dot("Load").Call(jen.Id("ctx"), jen.Id("id")),
		jen.If(jen.Err().Op("!=").Nil().Op("||").Id("env").Op("==").Nil()).Block(jen.Return(jen.Nil(), jen.Qual(pkgGQL, "Wrap").Call(jen.Err()))),
		jen.Return(jen.Id(resultFunc(a)).Call(jen.Id("env"), jen.Nil())),
	)
	f.Line()
}

// refValue renders the id a ref field of the record rec holds ("" when
// unset).
func refValue(fd *model.Field, rec *jen.Statement) jen.Code {
	v := rec.Dot("Data").Dot(fd.GoName)
	if fd.Nullable() {
		return jen.Qual(pkgGQL, "Deref").Call(v)
	}
	return v
}

// listFunc, loadFunc and resultFunc name the helpers of a resource:
// listPosts, loadPost, postResult.
func listFunc(a *resourceAPI) string   { return "list" + a.model.Plural }
func loadFunc(a *resourceAPI) string   { return "load" + a.model.GoName }
func resultFunc(a *resourceAPI) string { return a.model.VarName + "Result" }

// patchFieldsVar is the variable of the GraphQL patch fields of r.
func patchFieldsVar(r *model.Resource) string { return r.VarName + "PatchFields" }

// emitPatchFields emits how the keys of a patchX mutation's patch (GraphQL
// names and enum values) map to the stored data:
//
//	var postPatchFields = gql.PatchFields{
//		"publishedAt": {JSON: "published_at"},
//		"status":      {JSON: "status", Enum: map[string]string{"DRAFT": "draft", ...}},
//	}
func emitPatchFields(f *jen.File, r *model.Resource) {
	f.Comment(patchFieldsVar(r) + " maps the GraphQL names of the fields of " + r.GoName + " (and of")
	f.Comment("its enum values) in a patch" + r.GoName + " patch to the stored data.")
	f.Var().Id(patchFieldsVar(r)).Op("=").Add(patchFieldsValue(r.Fields))
	f.Line()
}

// patchFieldsValue renders the gql.PatchFields of fields.
func patchFieldsValue(fields []*model.Field) jen.Code {
	return jen.Qual(pkgGQL, "PatchFields").Values(jen.DictFunc(func(d jen.Dict) {
		for _, fd := range fields {
			kv := jen.Dict{jen.Id("JSON"): jen.Lit(fd.Name)}
			enum := fd
			if fd.Type == model.List && fd.Elem != nil {
				enum = fd.Elem
			}
			if enum.Type == model.Enum {
				kv[jen.Id("Enum")] = jen.Map(jen.String()).String().Values(jen.DictFunc(func(e jen.Dict) {
					for _, v := range enum.Values {
						e[jen.Lit(enumValueName(v))] = jen.Lit(v)
					}
				}))
			}
			if fd.Type == model.Object {
				kv[jen.Id("Fields")] = patchFieldsValue(fd.Fields)
			}
			d[jen.Lit(fieldName(fd.Name))] = jen.Values(kv)
		}
	}))
}
