// Package graphqlgen emits the GraphQL API of a generated backend
// (DESIGN.md §6): the schema (schema.graphqls), the Go types the schema
// binds to (connections, filter and order inputs, change events), the
// resolvers over the same resource.Service the REST handlers use, the
// root that builds the handler, and the gqlgen configuration that binds
// every GraphQL type to those Go types.
//
// Like every emitter it is pure. gqlgen's executable schema
// (graphql_exec.gen.go) is produced afterwards by package gqlrun, which
// runs gqlgen on the files emitted here.
package graphqlgen

import (
	"bytes"
	"fmt"

	"github.com/dave/jennifer/jen"
	"golang.org/x/tools/imports"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/model"
)

// Names of the files Generate and gqlgen produce, relative to the output
// directory.
const (
	SchemaFile = "schema.graphqls"
	RootFile   = "graphql.gen.go"
	// ExecFile is the file gqlgen writes: the executable schema.
	ExecFile = "graphql_exec.gen.go"
	// ConfigFile is the name of the gqlgen configuration. It is not part
	// of the output: gqlrun writes it next to the package only while
	// gqlgen runs.
	ConfigFile = "gqlgen.yml"
)

// Result is what Generate emits.
type Result struct {
	// Files are the schema and the Go files, paths relative to the
	// output directory.
	Files []*gen.File
	// Deferred lists the paths among Files that refer to what gqlgen
	// generates (NewExecutableSchema, the resolver interfaces): the
	// package compiles without them, which gqlgen needs while it loads
	// the package, and they compile once ExecFile exists.
	Deferred []string
	// Config is the gqlgen configuration (ConfigFile), to be placed in
	// the output directory while gqlgen runs.
	Config []byte
}

// Import paths of the packages the emitted Go code uses.
const (
	pkgResource = "github.com/specstar-go/specstar/runtime/resource"
	pkgGQL      = "github.com/specstar-go/specstar/runtime/gql"
	pkgFeed     = "github.com/specstar-go/specstar/runtime/feed"
	pkgFilter   = "github.com/specstar-go/specstar/runtime/filter"
	pkgJSON     = "encoding/json"
	pkgGraphQL  = "github.com/99designs/gqlgen/graphql"
	pkgJobres   = "github.com/specstar-go/specstar/runtime/jobres"
)

func importNames() map[string]string {
	return map[string]string{
		pkgResource: "resource",
		pkgGQL:      "gql",
		pkgFeed:     "feed",
		pkgFilter:   "filter",
		pkgJobres:   "jobres",
		pkgAST:      "ast",
		pkgJSONRead: "jsonread",
	}
}

// Generate emits the GraphQL API of m; pkgPath is the import path of the
// output package.
func Generate(m *model.Model, pkgPath string) (*Result, error) {
	s, err := newSchema(m)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	res.Files = append(res.Files, &gen.File{Path: SchemaFile, Content: writeSchema(s)})
	add := func(name string, f *jen.File, deferred bool) error {
		out, err := render(name, f)
		if err != nil {
			return err
		}
		res.Files = append(res.Files, out)
		if deferred {
			res.Deferred = append(res.Deferred, name)
		}
		return nil
	}
	if err := add(RootFile, rootFile(s, pkgPath), true); err != nil {
		return nil, err
	}
	if err := add(FastFile, fastFile(s, pkgPath), true); err != nil {
		return nil, err
	}
	for _, r := range s.resources {
		base := r.model.Table
		if err := add(base+"_graphql.gen.go", typesFile(s, r, pkgPath), false); err != nil {
			return nil, err
		}
		if err := add(base+"_resolver.gen.go", resolverFile(s, r, pkgPath), true); err != nil {
			return nil, err
		}
	}
	if res.Config, err = gqlgenConfig(s, pkgPath); err != nil {
		return nil, err
	}
	return res, nil
}

// newFile starts a generated Go file with the standard header.
func newFile(s *schema, pkgPath string) *jen.File {
	f := jen.NewFilePathName(pkgPath, s.model.Package)
	for _, line := range gen.Header(s.model.Source) {
		f.HeaderComment(line)
	}
	f.ImportNames(importNames())
	return f
}

// render turns f into formatted source; see gogen.render.
func render(name string, f *jen.File) (*gen.File, error) {
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("gen: %s: %w", name, err)
	}
	src, err := imports.Process(name, buf.Bytes(), &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8})
	if err != nil {
		return nil, fmt.Errorf("gen: %s: format: %w", name, err)
	}
	return &gen.File{Path: name, Content: src}, nil
}
