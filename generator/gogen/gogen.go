// Package gogen emits the Go code of a generated backend: typed models with
// validation, typed repositories, echo handlers and the schema that wires
// them to the runtime. It is a pure function of the model: no file system,
// clock or environment.
package gogen

import (
	"bytes"
	"fmt"

	"github.com/dave/jennifer/jen"
	"golang.org/x/tools/imports"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/model"
)

// Import paths of the packages generated code uses. The generator names
// runtime packages only as strings, never by importing them.
const (
	pkgEcho      = "github.com/labstack/echo/v4"
	pkgRuntime   = "github.com/specstar-go/specstar/runtime"
	pkgResource  = "github.com/specstar-go/specstar/runtime/resource"
	pkgRest      = "github.com/specstar-go/specstar/runtime/rest"
	pkgServer    = "github.com/specstar-go/specstar/runtime/server"
	pkgValidate  = "github.com/specstar-go/specstar/runtime/validate"
	pkgJSONPatch = "github.com/specstar-go/specstar/runtime/jsonpatch"
	pkgFiles     = "github.com/specstar-go/specstar/runtime/files"
	pkgJSON      = "encoding/json"
	pkgHTTP      = "net/http"
)

// importNames maps import paths to the names generated files use for them.
// jennifer would otherwise name echo after the last path element ("v4").
// It is a function, not a package variable, so nothing in the generator
// holds mutable package state.
func importNames() map[string]string {
	return map[string]string{
		pkgEcho:      "echo",
		pkgRuntime:   "specstar",
		pkgResource:  "resource",
		pkgRest:      "rest",
		pkgServer:    "server",
		pkgValidate:  "validate",
		pkgJSONPatch: "jsonpatch",
		pkgJobs:      "jobs",
		pkgJobres:    "jobres",
		pkgFiles:     "files",
	}
}

// ScaffoldFile is the user's file of business logic in the output package,
// written once when absent.
const ScaffoldFile = "hooks.go"

// Files returns the Go files for m, and the user's hooks.go scaffold. pkgPath is the import path of the
// output package, so that references to its own identifiers render
// unqualified.
func Files(m *model.Model, pkgPath string) ([]*gen.File, error) {
	var files []*gen.File
	add := func(name string, f *jen.File) error {
		out, err := render(m, name, f)
		if err != nil {
			return err
		}
		files = append(files, out)
		return nil
	}
	if err := add("schema.gen.go", schemaFile(m, pkgPath)); err != nil {
		return nil, err
	}
	if err := add("app.gen.go", appFile(m, pkgPath)); err != nil {
		return nil, err
	}
	for _, r := range m.APIResources() {
		base := r.Table
		if err := add(base+"_model.gen.go", modelFile(m, r, pkgPath)); err != nil {
			return nil, err
		}
		if err := add(base+"_repo.gen.go", repoFile(m, r, pkgPath)); err != nil {
			return nil, err
		}
		if err := add(base+"_handler.gen.go", handlerFile(m, r, pkgPath)); err != nil {
			return nil, err
		}
		if r.Job != nil {
			// The queue writes a job's resource: no hooks.
			if err := add(base+".gen.go", jobFile(m, r, pkgPath)); err != nil {
				return nil, err
			}
			continue
		}
		if err := add(base+"_hooks.gen.go", hooksFile(m, r, pkgPath)); err != nil {
			return nil, err
		}
	}
	example := "Post"
	for _, r := range m.APIResources() {
		if r.Job == nil {
			example = r.GoName
			break
		}
	}
	scaffold, err := Scaffold(m.Package, example)
	if err != nil {
		return nil, fmt.Errorf("gen: %s: %w", ScaffoldFile, err)
	}
	files = append(files, &gen.File{Path: ScaffoldFile, Content: scaffold, Scaffold: true})
	if len(m.Jobs()) > 0 {
		js, err := JobsScaffold(m)
		if err != nil {
			return nil, fmt.Errorf("gen: %s: %w", JobsScaffoldFile, err)
		}
		files = append(files, &gen.File{Path: JobsScaffoldFile, Content: js, Scaffold: true})
	}
	upgrades, err := upgradeScaffolds(m)
	if err != nil {
		return nil, err
	}
	return append(files, upgrades...), nil
}

// newFile starts a generated file with the standard header.
func newFile(m *model.Model, pkgPath string) *jen.File {
	f := jen.NewFilePathName(pkgPath, m.Package)
	for _, line := range gen.Header(m.Source) {
		f.HeaderComment(line)
	}
	f.ImportNames(importNames())
	return f
}

// render turns f into formatted source. A rendering failure names the file
// so a generator bug is easy to locate.
func render(m *model.Model, name string, f *jen.File) (*gen.File, error) {
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("gen: %s: %w", name, err)
	}
	// FormatOnly groups standard-library imports apart from the others and
	// gofmts; it never adds or removes an import (jennifer owns those).
	src, err := imports.Process(name, buf.Bytes(), &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8})
	if err != nil {
		return nil, fmt.Errorf("gen: %s: format: %w", name, err)
	}
	return &gen.File{Path: name, Content: src}, nil
}

// docLines turns description lines, or a fallback sentence, into comments.
func docLines(lines []string, fallback string) jen.Code {
	if len(lines) == 0 {
		return jen.Comment(fallback)
	}
	g := jen.Null()
	for i, l := range lines {
		if i > 0 {
			g.Line()
		}
		g.Comment(l)
	}
	return g
}
