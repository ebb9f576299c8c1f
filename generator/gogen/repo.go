package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// repoFile emits the typed repository of a resource: the Go API that user
// code (hooks, jobs, tests) uses to read and write it with full history.
func repoFile(m *model.Model, r *model.Resource, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	rec := r.GoName + "Record"
	repo := r.GoName + "Repository"
	kind := jen.Id(r.VarName + "Kind")
	ctx := jen.Id("ctx").Qual("context", "Context")
	opts := jen.Id("opts").Qual(pkgResource, "WriteOptions")

	f.Comment(fmt.Sprintf("%s is a %s at one revision, with its metadata.", rec, r.Name))
	f.Type().Id(rec).Struct(
		jen.Id("Data").Id(r.GoName),
		jen.Id("Meta").Qual(pkgResource, "Meta"),
		jen.Id("RevisionInfo").Qual(pkgResource, "RevisionInfo"),
	)
	f.Line()

	f.Comment(fmt.Sprintf("%s reads and writes %s resources with their revision history.", repo, r.Plural))
	f.Comment("Every write is one atomic transaction; see package resource for the rules.")
	f.Type().Id(repo).Struct(jen.Id("svc").Op("*").Qual(pkgResource, "Service"))
	f.Line()

	f.Comment(fmt.Sprintf("New%s returns a repository of %s resources stored by svc.", repo, r.Name))
	f.Func().Id("New" + repo).Params(jen.Id("svc").Op("*").Qual(pkgResource, "Service")).Op("*").Id(repo).Block(
		jen.Return(jen.Op("&").Id(repo).Values(jen.Dict{jen.Id("svc"): jen.Id("svc")})),
	)
	f.Line()

	method := func(name, doc string, params []jen.Code, results jen.Code, body ...jen.Code) {
		f.Comment(name + " " + doc)
		f.Func().Params(jen.Id("r").Op("*").Id(repo)).Id(name).Params(params...).Add(results).Block(body...)
		f.Line()
	}
	recResult := jen.Params(jen.Op("*").Id(rec), jen.Error())
	svc := func(name string, args ...jen.Code) *jen.Statement {
		return jen.Id("r").Dot("svc").Dot(name).Call(append([]jen.Code{jen.Id("ctx"), kind.Clone()}, args...)...)
	}
	toRecord := func(call *jen.Statement) []jen.Code {
		return []jen.Code{
			jen.Return(jen.Id("decode" + rec).Call(call)),
		}
	}
	encode := []jen.Code{
		jen.List(jen.Id("data"), jen.Err()).Op(":=").Id("d").Dot("encode").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
	}

	method("Create", "validates d and stores it as revision 1 of a new resource.",
		[]jen.Code{ctx.Clone(), jen.Id("d").Op("*").Id(r.GoName), opts.Clone()}, recResult.Clone(),
		append(encode, toRecord(svc("Create", jen.Id("data"), jen.Id("opts")))...)...)
	method("Get", "reads a resource at its current revision, or at opts.Revision.",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), jen.Id("opts").Qual(pkgResource, "ReadOptions")}, recResult.Clone(),
		toRecord(svc("Get", jen.Id("id"), jen.Id("opts")))...)
	method("Update", "validates d and writes it as a new revision (or edits a draft, per opts).",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), jen.Id("d").Op("*").Id(r.GoName), opts.Clone()}, recResult.Clone(),
		append(encode, toRecord(svc("Update", jen.Id("id"), jen.Id("data"), jen.Id("opts")))...)...)
	method("Delete", "soft-deletes a resource, applying the on_delete rules of its referrers.",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), opts.Clone()}, recResult.Clone(),
		toRecord(svc("Delete", jen.Id("id"), jen.Id("opts")))...)
	method("Restore", "undoes a soft delete.",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), opts.Clone()}, recResult.Clone(),
		toRecord(svc("Restore", jen.Id("id"), jen.Id("opts")))...)
	method("Switch", "makes revision rev (a full revision id or its number) current.",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), jen.Id("rev").String(), opts.Clone()}, recResult.Clone(),
		toRecord(svc("Switch", jen.Id("id"), jen.Id("rev"), jen.Id("opts")))...)
	method("Purge", "removes a resource and its whole history.",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), opts.Clone()}, jen.Error(),
		jen.Return(svc("Purge", jen.Id("id"), jen.Id("opts"))))
	method("List", "returns one page of resources and the cursor of the next page (nil on the last).",
		[]jen.Code{ctx.Clone(), jen.Id("q").Qual(pkgResource, "ListQuery")},
		jen.Params(jen.Index().Op("*").Id(rec), jen.Op("*").String(), jen.Error()),
		jen.List(jen.Id("page"), jen.Err()).Op(":=").Add(svc("List", jen.Id("q"))),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Nil(), jen.Err())),
		jen.Id("out").Op(":=").Make(jen.Index().Op("*").Id(rec), jen.Lit(0), jen.Len(jen.Id("page").Dot("Items"))),
		jen.For(jen.List(jen.Id("_"), jen.Id("env")).Op(":=").Range().Id("page").Dot("Items")).Block(
			jen.List(jen.Id("rec"), jen.Err()).Op(":=").Id("decode"+rec).Call(jen.Id("env"), jen.Nil()),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Nil(), jen.Err())),
			jen.Id("out").Op("=").Append(jen.Id("out"), jen.Id("rec")),
		),
		jen.Return(jen.Id("out"), jen.Id("page").Dot("NextCursor"), jen.Nil()),
	)
	method("Revisions", "lists the revisions of a resource, newest first.",
		[]jen.Code{ctx.Clone(), jen.Id("id").String(), jen.Id("q").Qual(pkgResource, "RevisionQuery")},
		jen.Params(jen.Op("*").Qual(pkgResource, "RevisionPage"), jen.Error()),
		jen.Return(svc("Revisions", jen.Id("id"), jen.Id("q"))))

	f.Comment(fmt.Sprintf("decode%s turns what the service returned into a typed record.", rec))
	f.Func().Id("decode"+rec).Params(jen.Id("env").Op("*").Qual(pkgResource, "Envelope"), jen.Err().Error()).Params(jen.Op("*").Id(rec), jen.Error()).Block(
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		jen.Id("rec").Op(":=").Op("&").Id(rec).Values(jen.Dict{
			jen.Id("Meta"):         jen.Id("env").Dot("Meta"),
			jen.Id("RevisionInfo"): jen.Id("env").Dot("RevisionInfo"),
		}),
		jen.If(jen.Err().Op(":=").Qual(pkgJSON, "Unmarshal").Call(jen.Id("env").Dot("Data"), jen.Op("&").Id("rec").Dot("Data")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("decode "+r.Name+" %s: %w"), jen.Id("env").Dot("Meta").Dot("ResourceID"), jen.Err())),
		),
		jen.Return(jen.Id("rec"), jen.Nil()),
	)
	return f
}
