package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// repoFile emits the typed repository of a resource: the Go API that user
// code (hooks, custom routes, jobs, tests) uses to read and write it with
// full history, one method per operation of the operations table.
func repoFile(m *model.Model, r *model.Resource, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	rec := r.GoName + "Record"
	repo := r.GoName + "Repository"

	f.Comment(fmt.Sprintf("%s is a %s at one revision, with its metadata. It encodes to JSON as the", rec, r.Name))
	f.Comment("REST API's envelope, so custom routes can answer with it.")
	f.Type().Id(rec).Struct(
		jen.Id("Data").Id(r.GoName).Tag(map[string]string{"json": "data"}),
		jen.Id("Meta").Qual(pkgResource, "Meta").Tag(map[string]string{"json": "meta"}),
		jen.Id("RevisionInfo").Qual(pkgResource, "RevisionInfo").Tag(map[string]string{"json": "revision_info"}),
	)
	f.Line()

	f.Comment(fmt.Sprintf("%s reads and writes %s resources with their revision history,", repo, r.Name))
	f.Comment("through the service: the hooks run and the caller's principal acts. Every write is one")
	f.Comment("atomic transaction; see package resource for the rules.")
	f.Type().Id(repo).Struct(
		jen.Id("svc").Op("*").Qual(pkgResource, "Service"),
		jen.Comment("tx, when set, is the transaction of a hook that every call joins."),
		jen.Id("tx").Op("*").Qual(pkgResource, "Tx"),
	)
	f.Line()

	f.Comment(fmt.Sprintf("New%s returns a repository of %s resources stored by svc.", repo, r.Name))
	f.Func().Id("New" + repo).Params(jen.Id("svc").Op("*").Qual(pkgResource, "Service")).Op("*").Id(repo).Block(
		jen.Return(jen.Op("&").Id(repo).Values(jen.Dict{jen.Id("svc"): jen.Id("svc")})),
	)
	f.Line()

	for _, op := range r.Operations {
		if op.Repo == "" {
			continue
		}
		doc, params, results, body := repoMethod(r, op)
		f.Comment(op.Repo + " " + doc)
		f.Func().Params(jen.Id("r").Op("*").Id(repo)).Id(op.Repo).Params(params...).Add(results).BlockFunc(func(g *jen.Group) {
			g.Id("ctx").Op("=").Qual(pkgResource, "WithTx").Call(jen.Id("ctx"), jen.Id("r").Dot("tx"))
			for _, s := range body {
				g.Add(s)
			}
		})
		f.Line()
	}

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

// repoMethod returns the doc, parameters, results and body (after the
// line that binds ctx to the repository's transaction) of the repository
// method of op.
func repoMethod(r *model.Resource, op *model.Operation) (doc string, params []jen.Code, results jen.Code, body []jen.Code) {
	rec := r.GoName + "Record"
	kind := jen.Id(r.VarName + "Kind")
	ctx := jen.Id("ctx").Qual("context", "Context")
	id := jen.Id("id").String()
	wopts := jen.Id("opts").Qual(pkgResource, "WriteOptions")
	recResult := jen.Params(jen.Op("*").Id(rec), jen.Error())
	svc := func(name string, args ...jen.Code) *jen.Statement {
		return jen.Id("r").Dot("svc").Dot(name).Call(append([]jen.Code{jen.Id("ctx"), kind.Clone()}, args...)...)
	}
	toRecord := func(call ...jen.Code) jen.Code { return jen.Return(jen.Id("decode" + rec).Call(call...)) }
	encode := []jen.Code{
		jen.List(jen.Id("data"), jen.Err()).Op(":=").Id("d").Dot("encode").Call(),
		jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
	}
	switch op.Action {
	case "create":
		return "validates d and stores it as revision 1 of a new resource.",
			[]jen.Code{ctx, jen.Id("d").Op("*").Id(r.GoName), wopts}, recResult,
			append(encode, toRecord(svc("Create", jen.Id("data"), jen.Id("opts"))))
	case "list":
		return "returns one page of resources and the cursor of the next page (nil on the last).",
			[]jen.Code{ctx, jen.Id("q").Qual(pkgResource, "ListQuery")},
			jen.Params(jen.Index().Op("*").Id(rec), jen.Op("*").String(), jen.Error()),
			[]jen.Code{
				jen.List(jen.Id("page"), jen.Err()).Op(":=").Add(svc("List", jen.Id("q"))),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Nil(), jen.Err())),
				jen.Id("out").Op(":=").Make(jen.Index().Op("*").Id(rec), jen.Lit(0), jen.Len(jen.Id("page").Dot("Items"))),
				jen.For(jen.List(jen.Id("_"), jen.Id("env")).Op(":=").Range().Id("page").Dot("Items")).Block(
					jen.List(jen.Id("rec"), jen.Err()).Op(":=").Id("decode"+rec).Call(jen.Id("env"), jen.Nil()),
					jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Nil(), jen.Err())),
					jen.Id("out").Op("=").Append(jen.Id("out"), jen.Id("rec")),
				),
				jen.Return(jen.Id("out"), jen.Id("page").Dot("NextCursor"), jen.Nil()),
			}
	case "count":
		return "returns how many resources match q.Filter (q's paging is ignored).",
			[]jen.Code{ctx, jen.Id("q").Qual(pkgResource, "ListQuery")}, jen.Params(jen.Int(), jen.Error()),
			[]jen.Code{jen.Return(svc("Count", jen.Id("q")))}
	case "read":
		return "reads a resource at its current revision, or at opts.Revision.",
			[]jen.Code{ctx, id, jen.Id("opts").Qual(pkgResource, "ReadOptions")}, recResult,
			[]jen.Code{toRecord(svc("Get", jen.Id("id"), jen.Id("opts")))}
	case "update":
		return "validates d and writes it as a new revision (or edits a draft, per opts).",
			[]jen.Code{ctx, id, jen.Id("d").Op("*").Id(r.GoName), wopts}, recResult,
			append(encode, toRecord(svc("Update", jen.Id("id"), jen.Id("data"), jen.Id("opts"))))
	case "patch":
		// fn edits the current data inside the transaction:
		//
		//	return decodePostRecord(r.svc.Patch(ctx, postKind, id, func(current json.RawMessage) (json.RawMessage, error) {
		//		var d Post
		//		if err := json.Unmarshal(current, &d); err != nil { return nil, err }
		//		if err := fn(&d); err != nil { return nil, err }
		//		return d.encode()
		//	}, opts))
		apply := jen.Func().Params(jen.Id("current").Qual(pkgJSON, "RawMessage")).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
			jen.Var().Id("d").Id(r.GoName),
			jen.If(jen.Err().Op(":=").Qual(pkgJSON, "Unmarshal").Call(jen.Id("current"), jen.Op("&").Id("d")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("decode "+r.Name+" %s: %w"), jen.Id("id"), jen.Err())),
			),
			jen.If(jen.Err().Op(":=").Id("fn").Call(jen.Op("&").Id("d")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
			jen.Return(jen.Id("d").Dot("encode").Call()),
		)
		return "changes a resource with fn, which edits its current data inside the write's transaction;\n" +
				"// the result is validated and written as a new revision (or a draft edit, per opts). An\n" +
				"// error from fn aborts the write and is returned as it is.",
			[]jen.Code{ctx, id, jen.Id("fn").Func().Params(jen.Id("d").Op("*").Id(r.GoName)).Error(), wopts}, recResult,
			[]jen.Code{toRecord(svc("Patch", jen.Id("id"), apply, jen.Id("opts")))}
	case "delete":
		return "soft-deletes a resource, applying the on_delete rules of its referrers.",
			[]jen.Code{ctx, id, wopts}, recResult, []jen.Code{toRecord(svc("Delete", jen.Id("id"), jen.Id("opts")))}
	case "restore":
		return "undoes a soft delete.",
			[]jen.Code{ctx, id, wopts}, recResult, []jen.Code{toRecord(svc("Restore", jen.Id("id"), jen.Id("opts")))}
	case "purge":
		return "removes a resource and its whole history.",
			[]jen.Code{ctx, id, wopts}, jen.Error(), []jen.Code{jen.Return(svc("Purge", jen.Id("id"), jen.Id("opts")))}
	case "revisions":
		return "lists the revisions of a resource, newest first (of a soft-deleted one with\n// q.IncludeDeleted).",
			[]jen.Code{ctx, id, jen.Id("q").Qual(pkgResource, "RevisionQuery")},
			jen.Params(jen.Op("*").Qual(pkgResource, "RevisionPage"), jen.Error()),
			[]jen.Code{jen.Return(svc("Revisions", jen.Id("id"), jen.Id("q")))}
	case "revision":
		return "reads one revision of a resource (rev is a full revision id or its number): its\n" +
				"// data and its info. The history of a soft-deleted resource needs opts.IncludeDeleted.",
			[]jen.Code{ctx, id, jen.Id("rev").String(), jen.Id("opts").Qual(pkgResource, "RevisionOptions")},
			jen.Params(jen.Op("*").Id(r.GoName), jen.Op("*").Qual(pkgResource, "RevisionInfo"), jen.Error()),
			[]jen.Code{
				jen.List(jen.Id("out"), jen.Err()).Op(":=").Add(svc("Revision", jen.Id("id"), jen.Id("rev"), jen.Id("opts"))),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Nil(), jen.Err())),
				jen.Var().Id("d").Id(r.GoName),
				jen.If(jen.Err().Op(":=").Qual(pkgJSON, "Unmarshal").Call(jen.Id("out").Dot("Data"), jen.Op("&").Id("d")), jen.Err().Op("!=").Nil()).Block(
					jen.Return(jen.Nil(), jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("decode "+r.Name+" %s: %w"), jen.Id("out").Dot("Info").Dot("RevisionID"), jen.Err())),
				),
				jen.Return(jen.Op("&").Id("d"), jen.Op("&").Id("out").Dot("Info"), jen.Nil()),
			}
	case "diff":
		return "returns the JSON Patch that turns revision against (default: rev's parent) into rev.\n" +
				"// The history of a soft-deleted resource needs opts.IncludeDeleted.",
			[]jen.Code{ctx, id, jen.Id("rev").String(), jen.Id("against").String(), jen.Id("opts").Qual(pkgResource, "RevisionOptions")},
			jen.Params(jen.Index().Qual(pkgJSONPatch, "Operation"), jen.Error()),
			[]jen.Code{jen.Return(svc("Diff", jen.Id("id"), jen.Id("rev"), jen.Id("against"), jen.Id("opts")))}
	case "switch":
		return "makes revision rev (a full revision id or its number) current.",
			[]jen.Code{ctx, id, jen.Id("rev").String(), wopts}, recResult,
			[]jen.Code{toRecord(svc("Switch", jen.Id("id"), jen.Id("rev"), jen.Id("opts")))}
	case model.ActionEnqueue:
		params := []jen.Code{ctx}
		args := []jen.Code{jen.Id("ctx"), jen.Id("r").Dot("svc")}
		doc := "enqueues a " + r.Job.Name + " job and returns its record, pending. Inside a hook's\n" +
			"// transaction (w.Tx) the job exists if and only if the write commits. With unique_for, an\n" +
			"// equal payload enqueued in the same window returns that job."
		if r.Job.Payload != nil {
			params = append(params, jen.Id("p").Op("*").Id(r.Job.PayloadGoType))
			args = append(args, jen.Id("p"))
			doc = "validates p, " + doc[:1] + doc[1:]
		}
		params = append(params, jen.Id("opts").Qual(pkgJobres, "EnqueueOptions"))
		args = append(args, jen.Id("opts"))
		return doc, params, recResult, []jen.Code{
			jen.List(jen.Id("env"), jen.Id("_"), jen.Err()).Op(":=").Id(enqueueFunc(r)).Call(args...),
			toRecord(jen.Id("env"), jen.Err()),
		}
	case model.ActionCancel, model.ActionRerun:
		method, doc := "Cancel", "cancels a pending job, or cancels the context of a running one's handler (the\n"+
			"// record then still shows it running, until the handler returns)."
		if op.Action == model.ActionRerun {
			method, doc = "Rerun", "makes a finished job run again, or a pending one run now."
		}
		body := []jen.Code{
			jen.List(jen.Id("q"), jen.Err()).Op(":=").Qual(pkgJobres, "Of").Call(jen.Id("r").Dot("svc")),
			jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		}
		if op.Action == model.ActionCancel {
			body = append(body, jen.List(jen.Id("env"), jen.Id("_"), jen.Err()).Op(":=").Id("q").Dot(method).Call(jen.Id("ctx"), jen.Id(jobDefVar(r)), jen.Id("id")))
		} else {
			body = append(body, jen.List(jen.Id("env"), jen.Err()).Op(":=").Id("q").Dot(method).Call(jen.Id("ctx"), jen.Id(jobDefVar(r)), jen.Id("id")))
		}
		return doc, []jen.Code{ctx, id}, recResult, append(body, toRecord(jen.Id("env"), jen.Err()))
	case model.ActionLogs:
		return "returns what the job's handler logged, one entry per attempt that logged anything.",
			[]jen.Code{ctx, id}, jen.Params(jen.Index().Qual(pkgJobs, "Log"), jen.Error()),
			[]jen.Code{
				jen.List(jen.Id("q"), jen.Err()).Op(":=").Qual(pkgJobres, "Of").Call(jen.Id("r").Dot("svc")),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Id("q").Dot("Logs").Call(jen.Id("ctx"), jen.Id(jobDefVar(r)), jen.Id("id"))),
			}
	case "referrers":
		return "lists the live resources that refer to a resource, by ref field.",
			[]jen.Code{ctx, id}, jen.Params(jen.Index().Qual(pkgResource, "ReferrerGroup"), jen.Error()),
			[]jen.Code{jen.Return(svc("Referrers", jen.Id("id")))}
	}
	panic(fmt.Sprintf("gogen: no repository method for action %q", op.Action))
}
