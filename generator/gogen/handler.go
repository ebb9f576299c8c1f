package gogen

import (
	"fmt"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// route is one REST route of a resource: method, path below the resource
// path, handler method name and what it does (for the doc comment).
type route struct {
	method, path, handler, doc string
}

// routes lists the REST routes of every resource, in registration order.
// Static segments ("count") are registered before parameters so that the
// router never reads them as ids.
func routes() []route {
	return []route{
		{"POST", "", "create", "creates a resource from a JSON body"},
		{"GET", "", "list", "lists resources, one page at a time"},
		{"GET", "/count", "count", "counts resources"},
		{"GET", "/:id", "read", "reads a resource, at its current or a given revision"},
		{"PUT", "/:id", "replace", "replaces the data of a resource, writing a new revision or editing a draft"},
		{"PATCH", "/:id", "patch", "applies a JSON merge patch or JSON Patch to a resource"},
		{"DELETE", "/:id", "delete", "soft-deletes a resource"},
		{"POST", "/:id/restore", "restore", "undoes a soft delete"},
		{"DELETE", "/:id/permanently", "purge", "removes a resource and its whole history"},
		{"GET", "/:id/revisions", "revisions", "lists the revisions of a resource, newest first"},
		{"GET", "/:id/revisions/:rev", "revision", "reads one revision's data and info"},
		{"GET", "/:id/revisions/:rev/diff", "diff", "returns the JSON Patch between two revisions"},
		{"POST", "/:id/switch/:rev", "switchRevision", "makes a revision current (rollback)"},
	}
}

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
		for _, rt := range routes() {
			g.Id("g").Dot(rt.method).Call(jen.Lit("/"+r.Path+rt.path), jen.Id("h").Dot(rt.handler))
		}
	})
	f.Line()

	for _, rt := range routes() {
		f.Comment(fmt.Sprintf("%s %s: %s %s.", rt.handler, rt.doc, rt.method, "/api/"+r.Path+rt.path))
		f.Func().Params(jen.Id("h").Op("*").Id(h)).Id(rt.handler).Params(
			jen.Id("c").Qual(pkgEcho, "Context"),
		).Error().BlockFunc(func(g *jen.Group) {
			handlerBody(g, r, rt.handler, kind)
		})
		f.Line()
	}
	return f
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

// param renders c.Param(name).
func param(name string) *jen.Statement {
	return jen.Id("c").Dot("Param").Call(jen.Lit(name))
}

// handlerBody emits the statements of one handler.
func handlerBody(g *jen.Group, r *model.Resource, handler string, kind jen.Code) {
	c := jen.Id("c")
	readBody := func() {
		g.Var().Id("in").Id(r.GoName)
		g.If(jen.Err().Op(":=").Add(rest("DecodeJSON", c, jen.Op("&").Id("in"), jen.Id(r.VarName+"Required").Op("..."))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		g.Add(call("data", jen.Id("in").Dot("encode").Call()))
		g.Add(ifErr())
	}
	writeOpts := func() {
		g.Add(call("opts", rest("WriteOptions", c)))
		g.Add(ifErr())
	}
	envReturn := func(status string) {
		g.Add(ifErr())
		g.Return(rest("Envelope", c, jen.Qual(pkgHTTP, status), jen.Id("env")))
	}
	switch handler {
	case "create":
		readBody()
		writeOpts()
		g.Add(call("env", svcCall("Create", kind, jen.Id("data"), jen.Id("opts"))))
		g.Add(ifErr())
		g.Return(rest("Created", c, jen.Id("env")))
	case "list", "count":
		g.Add(call("q", rest("ListQuery", c)))
		g.Add(ifErr())
		if handler == "list" {
			g.Add(call("page", svcCall("List", kind, jen.Id("q"))))
			g.Add(ifErr())
			g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("page")))
			return
		}
		g.Add(call("n", svcCall("Count", kind, jen.Id("q"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Map(jen.String()).Int().Values(jen.Dict{jen.Lit("count"): jen.Id("n")})))
	case "read":
		g.Add(call("opts", rest("ReadOptions", c)))
		g.Add(ifErr())
		g.Add(call("env", svcCall("Get", kind, param("id"), jen.Id("opts"))))
		g.Add(ifErr())
		g.If(rest("NotModified", c, jen.Id("env"))).Block(jen.Return(jen.Nil()))
		g.Return(rest("Envelope", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("env")))
	case "replace":
		readBody()
		writeOpts()
		g.Add(call("env", svcCall("Update", kind, param("id"), jen.Id("data"), jen.Id("opts"))))
		envReturn("StatusOK")
	case "patch":
		g.Add(call("apply", rest("ReadPatch", c)))
		g.Add(ifErr())
		writeOpts()
		g.Add(call("env", svcCall("Patch", kind, param("id"),
			jen.Func().Params(jen.Id("current").Qual(pkgJSON, "RawMessage")).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
				call("patched", jen.Id("apply").Call(jen.Id("current"))),
				jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				jen.Return(jen.Id("decode"+r.GoName).Call(jen.Id("patched"))),
			), jen.Id("opts"))))
		envReturn("StatusOK")
	case "delete", "restore":
		method := map[string]string{"delete": "Delete", "restore": "Restore"}[handler]
		writeOpts()
		g.Add(call("env", svcCall(method, kind, param("id"), jen.Id("opts"))))
		envReturn("StatusOK")
	case "purge":
		writeOpts()
		g.If(jen.Err().Op(":=").Add(svcCall("Purge", kind, param("id"), jen.Id("opts"))), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))
		g.Return(c.Clone().Dot("NoContent").Call(jen.Qual(pkgHTTP, "StatusNoContent")))
	case "revisions":
		g.Add(call("q", rest("RevisionQuery", c)))
		g.Add(ifErr())
		g.Add(call("page", svcCall("Revisions", kind, param("id"), jen.Id("q"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("page")))
	case "revision":
		g.Add(call("rev", svcCall("Revision", kind, param("id"), param("rev"))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("rev")))
	case "diff":
		g.Add(call("ops", svcCall("Diff", kind, param("id"), param("rev"), c.Clone().Dot("QueryParam").Call(jen.Lit("against")))))
		g.Add(ifErr())
		g.Return(rest("JSON", c, jen.Qual(pkgHTTP, "StatusOK"), jen.Id("ops")))
	case "switchRevision":
		writeOpts()
		g.Add(call("env", svcCall("Switch", kind, param("id"), param("rev"), jen.Id("opts"))))
		envReturn("StatusOK")
	default:
		panic("gogen: unknown handler " + handler) // a bug in routes(), caught by the golden tests
	}
}
