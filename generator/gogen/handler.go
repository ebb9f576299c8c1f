package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// handlerFile emits the echo handlers of a resource.
func handlerFile(m *model.Model, r *model.Resource, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	h := r.VarName + "Handler"
	kind := jen.Id(r.VarName + "Kind")

	f.Comment(fmt.Sprintf("%s serves the REST routes of %s under /api/%s.", h, r.Name, r.Path))
	f.Type().Id(h).Struct(jen.Id("svc").Op("*").Qual(pkgResource, "Service"))
	f.Line()

	f.Comment(fmt.Sprintf("register%sRoutes mounts the %s routes on g.", r.GoName, r.Name))
	f.Func().Id("register"+r.GoName+"Routes").Params(
		jen.Id("g").Op("*").Qual(pkgEcho, "Group"), jen.Id("svc").Op("*").Qual(pkgResource, "Service"),
	).BlockFunc(func(g *jen.Group) {
		g.Id("h").Op(":=").Op("&").Id(h).Values(jen.Dict{jen.Id("svc"): jen.Id("svc")})
		for _, op := range restOperations(r) {
			g.Id("g").Dot(op.Method).Call(jen.Lit(op.Route), jen.Id("h").Dot(op.Handler))
		}
	})
	f.Line()

	emitInvalid(f, r, h, kind)
	for _, op := range restOperations(r) {
		f.Comment(fmt.Sprintf("%s %s: %s %s.", op.Handler, op.Doc, op.Method, "/api"+op.Route))
		f.Func().Params(jen.Id("h").Op("*").Id(h)).Id(op.Handler).Params(
			jen.Id("c").Qual(pkgEcho, "Context"),
		).Error().BlockFunc(func(g *jen.Group) {
			g.Add(checkQuery(op))
			handlerBody(g, r, op, kind)
		})
		f.Line()
	}
	return f
}

// emitInvalid emits the method that answers a create or update body with
// mistakes, naming all of them at once:
//
//	func (h *postHandler) invalid(c echo.Context, action resource.Action, err error, in *Post) error {
//		if !rest.IsValidation(err) {
//			return err
//		}
//		in.prepare()
//		data, merr := json.Marshal(in)
//		if merr != nil {
//			return err
//		}
//		return rest.Invalid(err, in.Validate(), h.svc.CheckRefs(c.Request().Context(), postKind, action, data))
//	}
//
// Without ref fields, the last line is rest.Invalid(err, in.Validate()).
func emitInvalid(f *jen.File, r *model.Resource, h string, kind jen.Code) {
	hasRefs := false
	for _, fd := range r.Fields {
		hasRefs = hasRefs || fd.Type == model.Ref
	}
	f.Comment("invalid answers a body with mistakes (err, of decoding or of the constraints)")
	f.Comment("with every field error at once: those of decoding, of the constraints and")
	f.Comment("of the references. Other errors (a 400, a 415) are returned as they are.")
	f.Func().Params(jen.Id("h").Op("*").Id(h)).Id("invalid").Params(
		jen.Id("c").Qual(pkgEcho, "Context"), jen.Id("action").Qual(pkgResource, "Action"), jen.Err().Error(), jen.Id("in").Op("*").Id(r.GoName),
	).Error().BlockFunc(func(g *jen.Group) {
		g.If(jen.Op("!").Add(rest("IsValidation", jen.Err()))).Block(jen.Return(jen.Err()))
		g.Id("in").Dot("prepare").Call()
		if !hasRefs {
			g.Return(rest("Invalid", jen.Err(), jen.Id("in").Dot("Validate").Call()))
			return
		}
		g.List(jen.Id("data"), jen.Id("merr")).Op(":=").Qual(pkgJSON, "Marshal").Call(jen.Id("in"))
		g.If(jen.Id("merr").Op("!=").Nil()).Block(jen.Return(jen.Err()))
		g.Return(rest("Invalid", jen.Err(), jen.Id("in").Dot("Validate").Call(),
			jen.Id("h").Dot("svc").Dot("CheckRefs").Call(jen.Id("c").Dot("Request").Call().Dot("Context").Call(), kind, jen.Id("action"), jen.Id("data"))))
	})
	f.Line()
}

// restOperations returns the operations of r that have a REST route, in
// registration order.
func restOperations(r *model.Resource) []*model.Operation {
	var out []*model.Operation
	for _, op := range r.Operations {
		if op.Method != "" {
			out = append(out, op)
		}
	}
	return out
}

// ifErr renders: if err != nil { return err }
func ifErr() jen.Code {
	return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
}

// call renders: lhs, err := fn
func call(lhs string, fn jen.Code) jen.Code {
	return jen.List(jen.Id(lhs), jen.Err()).Op(":=").Add(fn)
}

// svcCall renders h.svc.Method(c.Request().Context(), kind, args...).
func svcCall(method string, kind jen.Code, args ...jen.Code) *jen.Statement {
	all := append([]jen.Code{jen.Id("c").Dot("Request").Call().Dot("Context").Call(), kind}, args...)
	return jen.Id("h").Dot("svc").Dot(method).Call(all...)
}

func rest(name string, args ...jen.Code) *jen.Statement {
	return jen.Qual(pkgRest, name).Call(args...)
}

// checkQuery refuses the query parameters op does not accept (a 400
// naming them), so that a misspelt one is not silently ignored:
//
//	if err := rest.CheckQuery(c, "filter", "sort", ...); err != nil {
//		return err
//	}
func checkQuery(op *model.Operation) jen.Code {
	args := []jen.Code{jen.Id("c")}
	for _, q := range op.Query {
		args = append(args, jen.Lit(q))
	}
	return jen.If(jen.Err().Op(":=").Add(rest("CheckQuery", args...)), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
}

// pathParams emits, for each name, the path-unescaped parameter:
//
//	id, err := rest.Param(c, "id")
//	if err != nil {
//		return err
//	}
func pathParams(g *jen.Group, names ...string) {
	for _, name := range names {
		g.Add(call(name, rest("Param", jen.Id("c"), jen.Lit(name))))
		g.Add(ifErr())
	}
}

// handlerBody emits the statements of the handler of op.
func handlerBody(g *jen.Group, r *model.Resource, op *model.Operation, kind jen.Code) {
	c := jen.Id("c")
	id, rev := jen.Id("id"), jen.Id("rev")
	readBody := func() {
		action := jen.Qual(pkgResource, "Action"+map[string]string{model.ActionCreate: "Create", model.ActionUpdate: "Update"}[op.Action])
		invalid := jen.Return(jen.Id("h").Dot("invalid").Call(c, action, jen.Err(), jen.Op("&").Id("in")))
		g.Var().Id("in").Id(r.GoName)
		g.If(jen.Err().Op(":=").Add(rest("DecodeJSON", c, jen.Op("&").Id("in"), jen.Id(r.VarName+"Required").Op("..."))), jen.Err().Op("!=").Nil()).Block(invalid)
		g.Add(call("data", jen.Id("in").Dot("encode").Call()))
		g.If(jen.Err().Op("!=").Nil()).Block(invalid)
	}
	writeOpts := func() {
		g.Add(call("opts", rest("WriteOptions", c)))
		g.Add(ifErr())
	}
	envReturn := func(status string) {
		g.Add(ifErr())
		g.Return(rest("Envelope", c, jen.Qual(pkgHTTP, status), jen.Id("env")))
	}
	switch op.Action {
	case model.ActionCreate:
		readBody()
		writeOpts()
		g.Add(call("env", svcCall("Create", kind, jen.Id("data"), jen.Id("opts"))))
		g.Add(ifErr())
		g.Return(rest("Created", c, jen.Id("env")))
	case model.ActionList, model.ActionCount:
		g.Add(call("q", rest("ListQuery", c)))
		g.Add(ifErr())
		if op.Action == model.ActionList {
			g.Add(call("page", svcCall("List", kind, jen.Id("q"))))
			g.Add(ifErr())
			g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("page")))
			return
		}
		g.Add(call("n", svcCall("Count", kind, jen.Id("q"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Map(jen.String()).Int().Values(jen.Dict{jen.Lit("count"): jen.Id("n")})))
	case model.ActionRead:
		pathParams(g, "id")
		g.Add(call("opts", rest("ReadOptions", c)))
		g.Add(ifErr())
		g.Add(call("env", svcCall("Get", kind, id, jen.Id("opts"))))
		g.Add(ifErr())
		g.If(rest("NotModified", c, jen.Id("env"))).Block(jen.Return(jen.Nil()))
		g.Return(rest("Envelope", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("env")))
	case model.ActionUpdate:
		pathParams(g, "id")
		readBody()
		writeOpts()
		g.Add(call("env", svcCall("Update", kind, id, jen.Id("data"), jen.Id("opts"))))
		envReturn("StatusOK")
	case model.ActionPatch:
		pathParams(g, "id")
		g.Add(call("apply", rest("ReadPatch", c)))
		g.Add(ifErr())
		writeOpts()
		g.Add(call("env", svcCall("Patch", kind, id,
			jen.Func().Params(jen.Id("current").Qual(pkgJSON, "RawMessage")).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
				call("patched", jen.Id("apply").Call(jen.Id("current"))),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Id("decode"+r.GoName).Call(jen.Id("patched"))),
			), jen.Id("opts"))))
		envReturn("StatusOK")
	case model.ActionDelete, model.ActionRestore:
		method := map[string]string{model.ActionDelete: "Delete", model.ActionRestore: "Restore"}[op.Action]
		pathParams(g, "id")
		writeOpts()
		g.Add(call("env", svcCall(method, kind, id, jen.Id("opts"))))
		envReturn("StatusOK")
	case model.ActionPurge:
		pathParams(g, "id")
		writeOpts()
		g.If(jen.Err().Op(":=").Add(svcCall("Purge", kind, id, jen.Id("opts"))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		g.Return(c.Clone().Dot("NoContent").Call(jen.Qual(pkgHTTP, "StatusNoContent")))
	case model.ActionRevisions:
		pathParams(g, "id")
		g.Add(call("q", rest("RevisionQuery", c)))
		g.Add(ifErr())
		g.Add(call("page", svcCall("Revisions", kind, id, jen.Id("q"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("page")))
	case model.ActionRevision:
		pathParams(g, "id", "rev")
		g.Add(call("opts", rest("RevisionOptions", c)))
		g.Add(ifErr())
		g.Add(call("revision", svcCall("Revision", kind, id, rev, jen.Id("opts"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("revision")))
	case model.ActionDiff:
		pathParams(g, "id", "rev")
		g.Add(call("opts", rest("RevisionOptions", c)))
		g.Add(ifErr())
		g.Add(call("ops", svcCall("Diff", kind, id, rev, c.Clone().Dot("QueryParam").Call(jen.Lit("against")), jen.Id("opts"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("ops")))
	case model.ActionSwitch:
		pathParams(g, "id", "rev")
		writeOpts()
		g.Add(call("env", svcCall("Switch", kind, id, rev, jen.Id("opts"))))
		envReturn("StatusOK")
	case model.ActionReferrers:
		pathParams(g, "id")
		g.Add(call("groups", svcCall("Referrers", kind, id)))
		g.Add(ifErr())
		g.Return(rest("Items", c, jen.Id("groups")))
	case model.ActionEnqueue:
		// var in postJobInput; decode; env, dup, err := enqueuePost(ctx, h.svc, &in.Payload, opts)
		in := jobInput(r)
		g.Var().Id("in").Id(in)
		g.If(jen.Err().Op(":=").Add(rest("DecodeJSON", c, jen.Op("&").Id("in"), jen.Id(in+"Required").Op("..."))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		g.Var().Id("opts").Qual(pkgJobres, "EnqueueOptions")
		g.If(jen.Id("in").Dot("RunAt").Op("!=").Nil()).Block(jen.Id("opts").Dot("RunAt").Op("=").Op("*").Id("in").Dot("RunAt"))
		args := []jen.Code{jen.Id("c").Dot("Request").Call().Dot("Context").Call(), jen.Id("h").Dot("svc")}
		if r.Job.Payload != nil {
			args = append(args, jen.Op("&").Id("in").Dot("Payload"))
		}
		args = append(args, jen.Id("opts"))
		g.List(jen.Id("env"), jen.Id("duplicate"), jen.Err()).Op(":=").Id(enqueueFunc(r)).Call(args...)
		g.Add(ifErr())
		g.Comment("unique_for found the job of this payload: answer with it.")
		g.If(jen.Id("duplicate")).Block(jen.Return(rest("Envelope", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("env"))))
		g.Return(rest("Created", c, jen.Id("env")))
	case model.ActionCancel, model.ActionRerun:
		pathParams(g, "id")
		g.Add(call("q", jen.Qual(pkgJobres, "Of").Call(jen.Id("h").Dot("svc"))))
		g.Add(ifErr())
		ctx := jen.Id("c").Dot("Request").Call().Dot("Context").Call()
		if op.Action == model.ActionRerun {
			g.Add(call("env", jen.Id("q").Dot("Rerun").Call(ctx, jen.Id(jobDefVar(r)), id)))
			envReturn("StatusOK")
			return
		}
		g.List(jen.Id("env"), jen.Id("running"), jen.Err()).Op(":=").Id("q").Dot("Cancel").Call(ctx, jen.Id(jobDefVar(r)), id)
		g.Add(ifErr())
		g.Comment("A running job stops when its handler returns: 202 until then.")
		g.If(jen.Id("running")).Block(jen.Return(rest("Envelope", c, jen.Qual(pkgHTTP, "StatusAccepted"), jen.Id("env"))))
		g.Return(rest("Envelope", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("env")))
	case model.ActionLogs:
		pathParams(g, "id")
		g.Add(call("q", jen.Qual(pkgJobres, "Of").Call(jen.Id("h").Dot("svc"))))
		g.Add(ifErr())
		g.Add(call("logs", jen.Id("q").Dot("Logs").Call(jen.Id("c").Dot("Request").Call().Dot("Context").Call(), jen.Id(jobDefVar(r)), id)))
		g.Add(ifErr())
		g.Return(rest("Items", c, jen.Id("logs")))
	case model.ActionDownload, model.ActionDownloadItem:
		// The field, the index and ?revision= are read by files.Download,
		// which reads the resource through h.svc (the read rule applies).
		g.Return(jen.Qual(pkgFiles, "Download").Call(c, jen.Id("h").Dot("svc"), kind))
	default:
		panic("gogen: no handler for action " + op.Action) // a row without a case here, caught by the golden tests
	}
}
