package gogen

import (
	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/model"
)

// MainGlueFile is the generated file of a main package next to the spec
// (specstar init writes one) through which its main.go reaches the
// generated package without naming it, so that a spec's package or output
// can change without breaking the user's main.go. gen keeps it up to
// date when it exists, and never creates it.
const MainGlueFile = "specstar_main.gen.go"

// MainGlue returns the MainGlueFile of m, whose generated package has the
// import path pkgPath:
//
//	package main
//
//	import api "example.com/helpdesk/helpdesk"
//
//	func specstarApp() server.App { return api.App() }
func MainGlue(m *model.Model, pkgPath string) (*gen.File, error) {
	f := jen.NewFile("main")
	for _, line := range gen.Header(m.Source) {
		f.HeaderComment(line)
	}
	f.ImportName(pkgServer, "server")
	f.ImportAlias(pkgPath, "api")
	f.Commentf("specstarApp returns the API generated from %s (package %s), which", m.Source, m.Package)
	f.Comment("main.go serves. specstar gen keeps this file in step with the spec's package")
	f.Comment("and output, so main.go never names the generated package.")
	f.Func().Id("specstarApp").Params().Qual(pkgServer, "App").Block(
		jen.Return(jen.Qual(pkgPath, "App").Call()),
	)
	return render(m, MainGlueFile, f)
}
