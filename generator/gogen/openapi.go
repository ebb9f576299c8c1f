package gogen

import (
	"github.com/dave/jennifer/jen"
)

// openAPIFile is the name of the OpenAPI document that generator/openapigen
// writes next to the Go files. The embed directive names it, so a mismatch
// fails the build of the generated package.
const openAPIFile = "openapi.json"

// addOpenAPI adds to the schema file the embedded OpenAPI document and the
// App method that exposes it; server.New serves it at /openapi.json and
// renders it at /docs.
//
//	//go:embed openapi.json
//	var openAPIDocument string
//
//	func (app) OpenAPI() []byte { return []byte(openAPIDocument) }
func addOpenAPI(f *jen.File) {
	f.Anon("embed")
	f.Comment("openAPIDocument is " + openAPIFile + ", the OpenAPI 3.1 document of the REST API, generated")
	f.Comment("from the same spec as this package. It is a string so that nothing can modify it.")
	f.Comment("")
	f.Comment("//go:embed " + openAPIFile)
	f.Var().Id("openAPIDocument").String()
	f.Line()
	f.Comment("OpenAPI returns the OpenAPI document of the REST routes (a fresh copy on each call).")
	f.Comment("server.New serves it at /openapi.json and renders it at /docs.")
	f.Func().Params(jen.Id("app")).Id("OpenAPI").Params().Index().Byte().Block(
		jen.Return(jen.Index().Byte().Parens(jen.Id("openAPIDocument"))),
	)
	f.Line()
}
