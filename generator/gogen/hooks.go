package gogen

import (
	"fmt"
	"go/format"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// hooksFile emits the typed hooks of a resource: PostHooks (the functions
// a user registers), PostWrite and PostEvent (what they receive),
// WithPostHooks, and the adapter to the service's untyped resource.Hooks.
func hooksFile(m *model.Model, r *model.Resource, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	g, n := r.GoName, r.Name
	hooks, write, event := g+"Hooks", g+"Write", g+"Event"
	rec := g + "Record"
	ctx := jen.Id("ctx").Qual("context", "Context")

	f.Comment(fmt.Sprintf("%s is the business logic of %s resources: functions the service calls around", hooks, n))
	f.Comment("every write, whether it comes from REST, GraphQL, the typed repositories or another")
	f.Comment(fmt.Sprintf("hook. Every hook is optional; register them with With%s. The Before hooks", hooks))
	f.Comment("and Validate run inside the write's transaction: an error aborts the write and")
	f.Comment("everything the hook wrote through the Tx. Return a *resource.Error for a client")
	f.Comment("answer (resource.Invalid for a 422 naming a field, resource.Forbidden for a 403,")
	f.Comment("resource.Errorf or resource.NewError for others); any other error is a 500 whose")
	f.Comment("cause is only logged. A transaction may run again after a conflict, so keep side")
	f.Comment("effects outside the store for AfterCommit. See docs/hooks.md.")
	f.Type().Id(hooks).Struct(
		jen.Comment("BeforeWrite runs for every create, update and patch (draft edits included) once the"),
		jen.Comment("data has passed the spec's validation. It may change w.Data (computed fields,"),
		jen.Comment("normalisation), which is validated again before it is stored."),
		jen.Id("BeforeWrite").Func().Params(ctx.Clone(), jen.Id("w").Op("*").Id(write)).Error(),
		jen.Comment("Validate checks business rules after BeforeWrite, on the data about to be stored."),
		jen.Id("Validate").Func().Params(ctx.Clone(), jen.Id("w").Op("*").Id(write)).Error(),
		jen.Comment("AfterWrite runs inside the transaction once the data is stored (w.Stored), for writes"),
		jen.Comment(fmt.Sprintf("that refer to the %s, which exists only now; an error rolls the write back.", n)),
		jen.Id("AfterWrite").Func().Params(ctx.Clone(), jen.Id("w").Op("*").Id(write)).Error(),
		jen.Comment(fmt.Sprintf("BeforeDelete runs before a %s is soft-deleted (also by a cascade) or purged", n)),
		jen.Comment("(e.Action says which); an error refuses it."),
		jen.Id("BeforeDelete").Func().Params(ctx.Clone(), jen.Id("e").Op("*").Id(event)).Error(),
		jen.Comment(fmt.Sprintf("BeforeRestore runs before a soft-deleted %s is restored; an error refuses it.", n)),
		jen.Id("BeforeRestore").Func().Params(ctx.Clone(), jen.Id("e").Op("*").Id(event)).Error(),
		jen.Comment(fmt.Sprintf("BeforeSwitch runs before another revision of a %s becomes current (e.Target);", n)),
		jen.Comment("an error refuses it."),
		jen.Id("BeforeSwitch").Func().Params(ctx.Clone(), jen.Id("e").Op("*").Id(event)).Error(),
		jen.Comment(fmt.Sprintf("AfterCommit runs after every committed change of a %s, outside the transaction.", n)),
		jen.Comment("It cannot undo the change: its error is logged. It runs at most once: if the process"),
		jen.Comment("stops between the commit and the hook, the hook does not run."),
		jen.Id("AfterCommit").Func().Params(ctx.Clone(), jen.Id("e").Op("*").Id(event)).Error(),
	)
	f.Line()

	f.Comment(fmt.Sprintf("%s is a create, update or patch of a %s, as BeforeWrite, Validate and AfterWrite", write, n))
	f.Comment("see it (one value for all three).")
	f.Type().Id(write).Struct(
		jen.Comment("Action is resource.ActionCreate, ActionUpdate or ActionPatch."),
		jen.Id("Action").Qual(pkgResource, "Action"),
		jen.Comment("ID is the resource's id; on create, the id it is getting."),
		jen.Id("ID").String(),
		jen.Comment("Data is the data about to be stored."),
		jen.Id("Data").Op("*").Id(g),
		jen.Comment("Current is the resource as stored before the write; nil on create."),
		jen.Id("Current").Op("*").Id(rec),
		jen.Comment("Options are the write's options (If-Match, mode, status)."),
		jen.Id("Options").Qual(pkgResource, "WriteOptions"),
		jen.Comment("Tx reads and writes every resource inside the write's transaction."),
		jen.Id("Tx").Op("*").Id("Tx"),
		jen.Comment("Stored is the resource as stored by the write; set for AfterWrite."),
		jen.Id("Stored").Op("*").Id(rec),
	)
	f.Line()

	f.Comment(fmt.Sprintf("%s is a delete, purge, restore or switch of a %s about to happen, or, in", event, n))
	f.Comment("AfterCommit, any change that has committed.")
	f.Type().Id(event).Struct(
		jen.Comment("Action says what happens: resource.ActionDelete, ActionPurge, ActionRestore,"),
		jen.Comment("ActionSwitch, and in AfterCommit also ActionCreate and ActionUpdate."),
		jen.Id("Action").Qual(pkgResource, "Action"),
		jen.Comment("ID is the resource's id."),
		jen.Id("ID").String(),
		jen.Comment("Record is the resource before the change; in AfterCommit, after it (nil after a purge)."),
		jen.Id("Record").Op("*").Id(rec),
		jen.Comment("Target is the revision a switch makes current; nil otherwise."),
		jen.Id("Target").Op("*").Id(rec),
		jen.Comment("Tx reads and writes inside the transaction; nil in AfterCommit."),
		jen.Id("Tx").Op("*").Id("Tx"),
	)
	f.Line()

	f.Comment(fmt.Sprintf("With%s sets the hooks of %s resources, replacing any set before.", hooks, n))
	f.Func().Id("With" + hooks).Params(jen.Id("h").Id(hooks)).Id("Option").Block(
		jen.Return(jen.Func().Params(jen.Id("o").Op("*").Id("appOptions")).Block(
			jen.Id("o").Dot("service").Op("=").Append(jen.Id("o").Dot("service"),
				jen.Qual(pkgResource, "WithHooks").Call(jen.Id(r.VarName+"Kind"), jen.Id("h").Dot("adapt").Call())),
		)),
	)
	f.Line()

	addHooksAdapter(f, r)
	return f
}

// addHooksAdapter emits PostHooks.adapt, which turns typed hooks into the
// service's resource.Hooks, and the decoding of what the service passes:
//
//	func (h PostHooks) adapt() resource.Hooks
//	func newPostWrite(w *resource.Write) (*PostWrite, error)
//	func newPostEvent(e *resource.Event) (*PostEvent, error)
func addHooksAdapter(f *jen.File, r *model.Resource) {
	g := r.GoName
	hooks, write, event, rec := g+"Hooks", g+"Write", g+"Event", g+"Record"
	ctx := jen.Id("ctx").Qual("context", "Context")
	retErr := func(vals ...jen.Code) jen.Code {
		return jen.If(jen.Err().Op("!=").Nil()).Block(jen.Return(append(vals, jen.Err())...))
	}

	f.Comment("adapt returns the hooks as the service runs them: it decodes the stored JSON into typed")
	f.Comment("values, calls the hooks that are set, and validates and encodes what BeforeWrite leaves.")
	f.Func().Params(jen.Id("h").Id(hooks)).Id("adapt").Params().Qual(pkgResource, "Hooks").BlockFunc(func(b *jen.Group) {
		b.Var().Id("out").Qual(pkgResource, "Hooks")
		b.If(jen.Id("h").Dot("BeforeWrite").Op("!=").Nil().Op("||").Id("h").Dot("Validate").Op("!=").Nil()).Block(
			jen.Id("out").Dot("BeforeWrite").Op("=").Func().Params(ctx.Clone(), jen.Id("w").Op("*").Qual(pkgResource, "Write")).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
				jen.List(jen.Id("tw"), jen.Err()).Op(":=").Id("new"+write).Call(jen.Id("w")),
				retErr(jen.Nil()),
				jen.Id("w").Dot("Value").Op("=").Id("tw"),
				jen.Id("data").Op(":=").Id("w").Dot("Data"),
				jen.If(jen.Id("h").Dot("BeforeWrite").Op("!=").Nil()).Block(
					jen.If(jen.Err().Op(":=").Id("h").Dot("BeforeWrite").Call(jen.Id("ctx"), jen.Id("tw")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
					jen.If(jen.List(jen.Id("data"), jen.Err()).Op("=").Id("tw").Dot("Data").Dot("encode").Call(), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				),
				jen.If(jen.Id("h").Dot("Validate").Op("!=").Nil()).Block(
					jen.If(jen.Err().Op(":=").Id("h").Dot("Validate").Call(jen.Id("ctx"), jen.Id("tw")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
				),
				jen.Return(jen.Id("data"), jen.Nil()),
			),
		)
		b.If(jen.Id("h").Dot("AfterWrite").Op("!=").Nil()).Block(
			jen.Id("out").Dot("AfterWrite").Op("=").Func().Params(ctx.Clone(), jen.Id("w").Op("*").Qual(pkgResource, "Write"), jen.Id("stored").Op("*").Qual(pkgResource, "Envelope")).Error().Block(
				jen.List(jen.Id("tw"), jen.Id("ok")).Op(":=").Id("w").Dot("Value").Assert(jen.Op("*").Id(write)),
				jen.If(jen.Op("!").Id("ok")).Block(
					jen.Var().Err().Error(),
					jen.If(jen.List(jen.Id("tw"), jen.Err()).Op("=").Id("new"+write).Call(jen.Id("w")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				),
				jen.Var().Err().Error(),
				jen.If(jen.List(jen.Id("tw").Dot("Stored"), jen.Err()).Op("=").Id("decode"+rec).Call(jen.Id("stored"), jen.Nil()), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				jen.Return(jen.Id("h").Dot("AfterWrite").Call(jen.Id("ctx"), jen.Id("tw"))),
			),
		)
		for _, hook := range []string{"BeforeDelete", "BeforeRestore", "BeforeSwitch"} {
			b.If(jen.Id("h").Dot(hook).Op("!=").Nil()).Block(
				jen.Id("out").Dot(hook).Op("=").Func().Params(ctx.Clone(), jen.Id("e").Op("*").Qual(pkgResource, "Event")).Error().Block(
					jen.List(jen.Id("te"), jen.Err()).Op(":=").Id("new"+event).Call(jen.Id("e")),
					retErr(),
					jen.Return(jen.Id("h").Dot(hook).Call(jen.Id("ctx"), jen.Id("te"))),
				),
			)
		}
		b.If(jen.Id("h").Dot("AfterCommit").Op("!=").Nil()).Block(
			jen.Id("out").Dot("AfterCommit").Op("=").Func().Params(ctx.Clone(), jen.Id("c").Qual(pkgResource, "Change")).Error().Block(
				jen.Id("te").Op(":=").Op("&").Id(event).Values(jen.Dict{
					jen.Id("Action"): jen.Id("c").Dot("Op").Dot("Action").Call(),
					jen.Id("ID"):     jen.Id("c").Dot("ID"),
				}),
				jen.If(jen.Id("c").Dot("Envelope").Op("!=").Nil()).Block(
					jen.Var().Err().Error(),
					jen.If(jen.List(jen.Id("te").Dot("Record"), jen.Err()).Op("=").Id("decode"+rec).Call(jen.Id("c").Dot("Envelope"), jen.Nil()), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err())),
				),
				jen.Return(jen.Id("h").Dot("AfterCommit").Call(jen.Id("ctx"), jen.Id("te"))),
			),
		)
		b.Return(jen.Id("out"))
	})
	f.Line()

	f.Comment(fmt.Sprintf("new%s decodes a write for the typed hooks.", write))
	f.Func().Id("new"+write).Params(jen.Id("w").Op("*").Qual(pkgResource, "Write")).Params(jen.Op("*").Id(write), jen.Error()).Block(
		jen.Id("tw").Op(":=").Op("&").Id(write).Values(jen.Dict{
			jen.Id("Action"):  jen.Id("w").Dot("Action"),
			jen.Id("ID"):      jen.Id("w").Dot("ID"),
			jen.Id("Data"):    jen.New(jen.Id(g)),
			jen.Id("Options"): jen.Id("w").Dot("Options"),
			jen.Id("Tx"):      jen.Id("newTx").Call(jen.Id("w").Dot("Tx")),
		}),
		jen.If(jen.Err().Op(":=").Qual(pkgJSON, "Unmarshal").Call(jen.Id("w").Dot("Data"), jen.Id("tw").Dot("Data")), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("decode "+r.Name+" %s: %w"), jen.Id("w").Dot("ID"), jen.Err())),
		),
		jen.If(jen.Id("w").Dot("Current").Op("!=").Nil()).Block(
			jen.Var().Err().Error(),
			jen.If(jen.List(jen.Id("tw").Dot("Current"), jen.Err()).Op("=").Id("decode"+rec).Call(jen.Id("w").Dot("Current"), jen.Nil()), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Err())),
		),
		jen.Return(jen.Id("tw"), jen.Nil()),
	)
	f.Line()

	f.Comment(fmt.Sprintf("new%s decodes an event for the typed hooks.", event))
	f.Func().Id("new"+event).Params(jen.Id("e").Op("*").Qual(pkgResource, "Event")).Params(jen.Op("*").Id(event), jen.Error()).Block(
		jen.List(jen.Id("rec"), jen.Err()).Op(":=").Id("decode"+rec).Call(jen.Id("e").Dot("Current"), jen.Nil()),
		retErr(jen.Nil()),
		jen.Id("te").Op(":=").Op("&").Id(event).Values(jen.Dict{
			jen.Id("Action"): jen.Id("e").Dot("Action"),
			jen.Id("ID"):     jen.Id("rec").Dot("Meta").Dot("ResourceID"),
			jen.Id("Record"): jen.Id("rec"),
			jen.Id("Tx"):     jen.Id("newTx").Call(jen.Id("e").Dot("Tx")),
		}),
		jen.If(jen.Id("e").Dot("Target").Op("!=").Nil()).Block(
			jen.Id("target").Op(":=").Op("&").Id(rec).Values(jen.Dict{
				jen.Id("Meta"):         jen.Id("rec").Dot("Meta"),
				jen.Id("RevisionInfo"): jen.Id("e").Dot("Target").Dot("Info"),
			}),
			jen.If(jen.Err().Op(":=").Qual(pkgJSON, "Unmarshal").Call(jen.Id("e").Dot("Target").Dot("Data"), jen.Op("&").Id("target").Dot("Data")), jen.Err().Op("!=").Nil()).Block(
				jen.Return(jen.Nil(), jen.Qual("fmt", "Errorf").Call(jen.Lit("decode "+r.Name+" %s: %w"), jen.Id("e").Dot("Target").Dot("Info").Dot("RevisionID"), jen.Err())),
			),
			jen.Id("te").Dot("Target").Op("=").Id("target"),
		),
		jen.Return(jen.Id("te"), jen.Nil()),
	)
}

// Scaffold returns the user's hooks.go of package pkg, whose example names
// the resource example (a Go name): the home of the business logic that App
// applies through setup. gen writes it once, when it is absent
// (gen.File.Scaffold); specstar init writes it with the rest of a new
// project.
func Scaffold(pkg, example string) ([]byte, error) {
	return format.Source(fmt.Appendf(nil, `package %[1]s

// This file is yours: specstar gen wrote it once, because it was missing, and
// never changes it. Write the business logic of the resources here, or in any
// other file of this package: typed hooks, which run for REST, GraphQL and the
// typed repositories alike, and custom routes. docs/hooks.md explains each hook.

// setup returns the options App applies before the ones passed to it, for
// example:
//
//	return []Option{
//		With%[2]sHooks(%[2]sHooks{
//			BeforeWrite: func(ctx context.Context, w *%[2]sWrite) error { ... },
//		}),
//		WithRoutes(func(r *Routes) { r.GET("/hello", ...) }),
//	}
func setup() []Option {
	return nil
}
`, pkg, example))
}
