package gogen

import (
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// appFile emits what a server and user code are built from: App and its
// options (hooks, custom routes), NewServer, the Client of typed
// repositories and the Tx that hooks get.
//
//	func App(opts ...Option) server.App
//	func WithRoutes(fn func(r *Routes)) Option
//	type Client struct{ Post *PostRepository; ... }
//	type Tx struct{ Post *PostRepository; ... }
func appFile(m *model.Model, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	addOptions(f, m)
	addApp(f, m)
	addJobsApp(f, m)
	addOpenAPI(f)
	addRepositories(f, m)
	return f
}

// addOptions emits Option, the options App collects and WithRoutes:
//
//	type Option func(*appOptions)
//	type Routes struct{ *echo.Group; Client *Client }
//	func WithRoutes(fn func(r *Routes)) Option
func addOptions(f *jen.File, m *model.Model) {
	f.Comment("Option configures App: the typed hooks of the resources (WithPostHooks and the like)")
	f.Comment("and custom routes (WithRoutes). setup, in your hooks.go, returns the options App")
	f.Comment("applies first.")
	f.Type().Id("Option").Func().Params(jen.Op("*").Id("appOptions"))
	f.Line()
	f.Comment("appOptions is what the options of an App set.")
	f.Type().Id("appOptions").Struct(
		jen.Comment("service are the hooks, as options of the resource.Service."),
		jen.Id("service").Index().Qual(pkgResource, "Option"),
		jen.Comment("routes add custom routes, in order."),
		jen.Id("routes").Index().Func().Params(jen.Op("*").Id("Routes")),
		jen.Do(func(s *jen.Statement) {
			if len(m.Jobs()) == 0 {
				return
			}
			s.Comment("jobs are the handlers of the job types, by name, to bind to the service.").Line().
				Id("jobs").Map(jen.String()).Func().Params(jen.Op("*").Qual(pkgResource, "Service")).Qual(pkgJobs, "Handler")
		}),
	)
	f.Line()
	f.Comment("Routes is where custom routes join the generated ones under /api. Add them with the")
	f.Comment("echo methods of the embedded group (r.POST(\"/posts/:id/publish\", ...)); read and write")
	f.Comment("resources through Client with the request's context, so that the request's principal")
	f.Comment("acts and the hooks run. Return a *resource.Error (resource.Invalid, resource.Forbidden,")
	f.Comment("resource.Errorf) for a problem+json answer with its status; any other error is a 500.")
	f.Type().Id("Routes").Struct(
		jen.Op("*").Qual(pkgEcho, "Group"),
		jen.Comment("Client holds the typed repositories of every resource."),
		jen.Id("Client").Op("*").Id("Client"),
	)
	f.Line()
	f.Comment("WithRoutes adds custom routes: the server calls fn once, after it has mounted the")
	f.Comment("generated routes.")
	f.Func().Id("WithRoutes").Params(jen.Id("fn").Func().Params(jen.Id("r").Op("*").Id("Routes"))).Id("Option").Block(
		jen.Return(jen.Func().Params(jen.Id("o").Op("*").Id("appOptions")).Block(
			jen.Id("o").Dot("routes").Op("=").Append(jen.Id("o").Dot("routes"), jen.Id("fn")),
		)),
	)
	f.Line()
}

// addApp emits App, NewServer and the app type that implements server.App.
func addApp(f *jen.File, m *model.Model) {
	f.Comment("App returns the generated application: its schema, its REST routes and their OpenAPI")
	f.Comment("document, with the business logic that setup (in hooks.go) registers, then opts.")
	f.Comment("Pass it to server.New or server.Main.")
	all := jen.Append(jen.Id("setup").Call(), jen.Id("opts").Op("..."))
	if len(m.Jobs()) > 0 {
		// setup's options, the job handlers of jobs.go, then opts.
		all = jen.Qual("slices", "Concat").Call(jen.Id("setup").Call(), jen.Id("jobHandlers").Call(), jen.Id("opts"))
	}
	f.Func().Id("App").Params(jen.Id("opts").Op("...").Id("Option")).Qual(pkgServer, "App").Block(
		jen.Var().Id("a").Id("app"),
		jen.For(jen.List(jen.Id("_"), jen.Id("o")).Op(":=").Range().Add(all)).Block(
			jen.Id("o").Call(jen.Op("&").Id("a").Dot("opts")),
		),
		jen.Return(jen.Id("a")),
	)
	f.Line()
	f.Comment("NewServer opens the storage cfg names, applies the schema and returns a server for")
	f.Comment("these resources, with the options of App. server.LoadConfig reads cfg from flags and")
	f.Comment("SPECSTAR_* variables.")
	f.Func().Id("NewServer").Params(jen.Id("cfg").Qual(pkgServer, "Config"), jen.Id("opts").Op("...").Id("Option")).Params(jen.Op("*").Qual(pkgServer, "Server"), jen.Error()).Block(
		jen.Return(jen.Qual(pkgServer, "New").Call(jen.Id("cfg"), jen.Id("App").Call(jen.Id("opts").Op("...")))),
	)
	f.Line()
	if m.Auth != nil {
		f.Comment("app implements server.App, server.ServiceApp and server.AuthApp.")
	} else {
		f.Comment("app implements server.App and server.ServiceApp.")
	}
	f.Type().Id("app").Struct(jen.Id("opts").Id("appOptions"))
	f.Line()
	if m.Auth != nil {
		addAuthSettings(f, m.Auth)
	}
	f.Comment("Schema returns the storage descriptors of every resource.")
	f.Func().Params(jen.Id("app")).Id("Schema").Params().Op("*").Qual(pkgResource, "Schema").Block(jen.Return(jen.Id("schema")))
	f.Line()
	f.Comment("ServiceOptions returns the hooks of the resources, for the service the server builds.")
	f.Func().Params(jen.Id("a").Id("app")).Id("ServiceOptions").Params().Index().Qual(pkgResource, "Option").Block(
		jen.Return(jen.Id("a").Dot("opts").Dot("service")),
	)
	f.Line()
	f.Comment("Register mounts the REST routes of every resource on g, then the custom routes.")
	f.Func().Params(jen.Id("a").Id("app")).Id("Register").Params(
		jen.Id("g").Op("*").Qual(pkgEcho, "Group"), jen.Id("svc").Op("*").Qual(pkgResource, "Service"),
	).BlockFunc(func(g *jen.Group) {
		for _, r := range m.APIResources() {
			g.Id("register"+r.GoName+"Routes").Call(jen.Id("g"), jen.Id("svc"))
		}
		g.If(jen.Len(jen.Id("a").Dot("opts").Dot("routes")).Op("==").Lit(0)).Block(jen.Return())
		g.Id("r").Op(":=").Op("&").Id("Routes").Values(jen.Dict{
			jen.Id("Group"):  jen.Id("g"),
			jen.Id("Client"): jen.Id("NewClient").Call(jen.Id("svc")),
		})
		g.For(jen.List(jen.Id("_"), jen.Id("fn")).Op(":=").Range().Id("a").Dot("opts").Dot("routes")).Block(
			jen.Id("fn").Call(jen.Id("r")),
		)
	})
	f.Line()
}

// addAuthSettings emits the auth block of the spec, which makes app a
// server.AuthApp:
//
//	var _ server.AuthApp = app{}
//	func (app) AuthSettings() server.AuthSettings { return server.AuthSettings{Roles: ..., AccessTTL: 15 * time.Minute, ...} }
func addAuthSettings(f *jen.File, a *model.Auth) {
	f.Comment("The spec has auth: the server serves /api/auth, authenticates every request and")
	f.Comment("enforces the permission rules of the resources.")
	f.Var().Id("_").Qual(pkgServer, "AuthApp").Op("=").Id("app").Values()
	f.Line()
	f.Comment("AuthSettings returns the auth block of the spec: its roles (admin passes every rule)")
	f.Comment("and the lifetimes of its tokens.")
	f.Func().Params(jen.Id("app")).Id("AuthSettings").Params().Qual(pkgServer, "AuthSettings").Block(
		jen.Return(jen.Qual(pkgServer, "AuthSettings").Values(jen.Dict{
			jen.Id("Roles"): jen.Index().String().ValuesFunc(func(g *jen.Group) {
				for _, r := range a.Roles {
					g.Lit(r)
				}
			}),
			jen.Id("AccessTTL"):  durationCode(a.AccessTTL),
			jen.Id("RefreshTTL"): durationCode(a.RefreshTTL),
		})),
	)
	f.Line()
}

// durationCode renders a duration in its largest whole unit:
// 15 * time.Minute, 720 * time.Hour.
func durationCode(d time.Duration) jen.Code {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}} {
		if d%u.unit == 0 {
			return jen.Lit(int(d/u.unit)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Qual("time", "Duration").Call(jen.Lit(int64(d)))
}

// addRepositories emits Client and Tx, which group the typed repositories:
// over the service, or bound to the transaction of a hook.
func addRepositories(f *jen.File, m *model.Model) {
	repos := func(g *jen.Group) {
		for _, r := range m.APIResources() {
			g.Id(r.GoName).Op("*").Id(r.GoName + "Repository")
		}
	}
	f.Comment("Client groups the typed repositories of every resource.")
	f.Type().Id("Client").StructFunc(repos)
	f.Line()
	f.Comment("NewClient returns the repositories of every resource, stored by svc.")
	f.Func().Id("NewClient").Params(jen.Id("svc").Op("*").Qual(pkgResource, "Service")).Op("*").Id("Client").Block(
		jen.Return(jen.Op("&").Id("Client").Values(jen.DictFunc(func(d jen.Dict) {
			for _, r := range m.APIResources() {
				d[jen.Id(r.GoName)] = jen.Id("New" + r.GoName + "Repository").Call(jen.Id("svc"))
			}
		}))),
	)
	f.Line()
	f.Comment("Tx holds the typed repositories of every resource inside the transaction of a write,")
	f.Comment("for its hooks: reads see the write's changes so far, and writes commit or roll back")
	f.Comment("with it. It is valid only while the hook runs.")
	f.Type().Id("Tx").StructFunc(repos)
	f.Line()
	f.Comment("newTx returns the repositories bound to tx.")
	f.Func().Id("newTx").Params(jen.Id("tx").Op("*").Qual(pkgResource, "Tx")).Op("*").Id("Tx").Block(
		jen.Id("svc").Op(":=").Id("tx").Dot("Service").Call(),
		jen.Return(jen.Op("&").Id("Tx").Values(jen.DictFunc(func(d jen.Dict) {
			for _, r := range m.APIResources() {
				d[jen.Id(r.GoName)] = jen.Op("&").Id(r.GoName + "Repository").Values(jen.Dict{
					jen.Id("svc"): jen.Id("svc"),
					jen.Id("tx"):  jen.Id("tx"),
				})
			}
		}))),
	)
}
