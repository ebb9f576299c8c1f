package load

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
)

// The Go spec format: a Go file, guarded by "//go:build specstar", that
// declares `var _ = spec.Spec{...}` and one exported struct type per
// resource. It is read statically with go/parser and go/ast: never
// type-checked with go/types, compiled or run. Marker types from
// runtime/spec are recognised by the local name of their import. See
// docs/spec-go.md.

// SpecImportPath is the import path of the marker types of Go specs.
const SpecImportPath = "github.com/specstar-go/specstar/runtime/spec"

// BuildTag is the build tag that keeps a Go spec out of normal builds.
const BuildTag = "specstar"

// goLoader holds the state of loading one Go spec.
type goLoader struct {
	file string
	fset *token.FileSet
	tf   *token.File
	src  []byte
	errs ErrorList

	// Local names of the imports that specs may use; "" when not
	// imported.
	specPkg, timePkg, jsonPkg string

	types     map[string]*goType // top-level type declarations by name
	typeOrder []*goType          // in file order

	// perms are the spec.Permissions[T] declarations, in file order.
	perms []*ast.CompositeLit
}

// goType is a top-level type declaration. Exported struct types are
// resources; unexported struct types are object types that fields use.
type goType struct {
	name  *ast.Ident
	spec  *ast.TypeSpec
	doc   *ast.CommentGroup
	st    *ast.StructType // nil when the type is not a struct
	state int             // objectUnread, objectReading or objectRead
	used  bool            // an object type some field uses
	// fields are the fields of an object type, read once and shared by
	// every field of that type.
	fields *Fields
}

// States of reading an object type's fields, to detect recursion.
const (
	objectUnread = iota
	objectReading
	objectRead
)

// pos converts a go/token position. //line directives are ignored: the
// position is where the text is in the file.
func (l *goLoader) pos(p token.Pos) Pos {
	if !p.IsValid() {
		return Pos{File: l.file, Line: 1, Col: 1}
	}
	tp := l.fset.PositionFor(p, false)
	return Pos{File: l.file, Line: tp.Line, Col: tp.Column}
}

// locAt is a Loc whose key and value are both at p: Go specs have no
// separate key for values that come from Go syntax (a field's type).
func (l *goLoader) locAt(p token.Pos) Loc {
	return Loc{KeyPos: l.pos(p), Pos: l.pos(p)}
}

func (l *goLoader) errorf(p token.Pos, format string, args ...any) {
	l.errs.Add(l.pos(p), fmt.Sprintf(format, args...))
}

// source returns the text of a node as written, shortened for messages.
func (l *goLoader) source(n ast.Node) string {
	if l.tf == nil || !n.Pos().IsValid() || !n.End().IsValid() {
		return "?"
	}
	base := l.tf.Base()
	start, end := int(n.Pos())-base, int(n.End())-base
	if start < 0 || end > len(l.src) || start > end {
		return "?"
	}
	return truncate(strings.Join(strings.Fields(string(l.src[start:end])), " "))
}

// load parses the file and walks its declarations.
func (l *goLoader) load() *Spec {
	f, err := parser.ParseFile(l.fset, l.file, l.src, parser.ParseComments|parser.AllErrors|parser.SkipObjectResolution)
	if err != nil {
		l.syntaxErrors(err)
		return nil
	}
	l.tf = l.fset.File(f.Package)
	l.buildConstraint(f)
	l.imports(f)
	s := &Spec{File: l.file, Pos: l.pos(f.Name.Pos())}
	var header *ast.CompositeLit
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			l.errorf(d.Pos(), "func %s: a Go spec declares only types, its spec.Spec header and spec.Permissions; put code in your own files", d.Name.Name)
		case *ast.GenDecl:
			switch d.Tok {
			case token.TYPE:
				l.typeDecl(d)
			case token.VAR:
				for _, vs := range d.Specs {
					if lit := l.specVar(vs.(*ast.ValueSpec)); lit != nil && l.isSpecSel(lit.Type, "Spec") {
						if header != nil {
							l.errorf(lit.Pos(), "spec: spec.Spec is declared twice (first at line %d); keep one", l.pos(header.Pos()).Line)
							continue
						}
						header = lit
					}
				}
			case token.CONST:
				l.errorf(d.Pos(), "const: a Go spec declares only types, its spec.Spec header and spec.Permissions; write enum values in the tag: values=a|b")
			}
		}
	}
	if header == nil {
		l.errorf(f.Name.Pos(), `spec: missing header: declare var _ = %s.Spec{Version: 1, Package: "..."}`, l.specName())
	} else {
		l.header(s, header)
	}
	for _, t := range l.typeOrder {
		switch {
		case t.st == nil || !ast.IsExported(t.name.Name):
		case l.isJob(t):
			s.Jobs = append(s.Jobs, l.job(t))
		default:
			s.Resources = append(s.Resources, l.resource(t))
		}
	}
	l.attachPermissions(s)
	if len(s.Resources) == 0 {
		l.errorf(f.Name.Pos(), "spec: no resources: declare at least one exported struct type")
	}
	l.unusedObjects()
	return s
}

// syntaxErrors reports the parser's errors.
func (l *goLoader) syntaxErrors(err error) {
	list, ok := err.(scanner.ErrorList)
	if !ok {
		l.errs.Add(Pos{File: l.file, Line: 1, Col: 1}, "invalid Go: "+err.Error())
		return
	}
	for _, e := range list {
		p := Pos{File: l.file, Line: max(e.Pos.Line, 1), Col: max(e.Pos.Column, 1)}
		// Messages quote source text, which may span lines: keep one
		// error per line.
		msg := strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(e.Msg)
		l.errs.Add(p, "invalid Go: "+msg)
	}
}

// buildConstraint checks that the file has a //go:build line that needs
// the specstar tag, so that it is not part of the package's normal build.
func (l *goLoader) buildConstraint(f *ast.File) {
	want := "//go:build " + BuildTag
	for _, cg := range f.Comments {
		if cg.Pos() >= f.Package {
			break
		}
		for _, c := range cg.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				l.errorf(c.Pos(), "invalid build constraint %q: %v", c.Text, err)
				return
			}
			// With every tag but specstar satisfied, the file must still
			// be excluded: only a build with the specstar tag sees it.
			if expr.Eval(func(tag string) bool { return tag != BuildTag }) {
				l.errorf(c.Pos(), "build constraint %q does not keep the spec out of normal builds: use %q", c.Text, want)
			}
			return
		}
	}
	l.errs.Add(Pos{File: l.file, Line: 1, Col: 1}, fmt.Sprintf("missing build constraint: start the file with %q (and a blank line) so that the spec is not part of your package's build", want))
}

// imports records the local names of the packages specs use and reports
// any other import.
func (l *goLoader) imports(f *ast.File) {
	for _, is := range f.Imports {
		path, err := strconv.Unquote(is.Path.Value)
		if err != nil {
			continue // the parser reported it
		}
		name := ""
		if is.Name != nil {
			name = is.Name.Name
		}
		def := ""
		switch path {
		case SpecImportPath:
			def = "spec"
		case "time":
			def = "time"
		case "encoding/json":
			def = "json"
		default:
			l.errorf(is.Path.Pos(), "import %q: a Go spec may import only %q, \"time\" and \"encoding/json\"", path, SpecImportPath)
			continue
		}
		if name == "." || name == "_" {
			l.errorf(is.Pos(), "import %q: import it with a name, not %q: the loader finds marker types by their package name", path, name)
			continue
		}
		if name == "" {
			name = def
		}
		switch path {
		case SpecImportPath:
			l.specPkg = name
		case "time":
			l.timePkg = name
		case "encoding/json":
			l.jsonPkg = name
		}
	}
	if l.specPkg == "" {
		l.errorf(f.Name.Pos(), "missing import %q: it declares spec.Spec and the marker types", SpecImportPath)
	}
}

// specName is the local name of runtime/spec, for messages and for
// resolving marker types. Without the import, "spec" is assumed so that
// one missing import does not turn every field into an error.
func (l *goLoader) specName() string {
	if l.specPkg == "" {
		return "spec"
	}
	return l.specPkg
}

// typeDecl records the type declarations of one GenDecl.
func (l *goLoader) typeDecl(d *ast.GenDecl) {
	for _, s := range d.Specs {
		ts := s.(*ast.TypeSpec)
		name := ts.Name.Name
		t := &goType{name: ts.Name, spec: ts, doc: ts.Doc}
		if t.doc == nil && !d.Lparen.IsValid() {
			t.doc = d.Doc
		}
		switch {
		case name == "_":
			l.errorf(ts.Name.Pos(), "type _: name the type: exported struct types are resources, unexported ones objects")
			continue
		case l.types[name] != nil:
			l.errorf(ts.Name.Pos(), "type %s: declared twice (first at line %d)", name, l.pos(l.types[name].name.Pos()).Line)
			continue
		}
		l.types[name] = t
		l.typeOrder = append(l.typeOrder, t)
		st, isStruct := ts.Type.(*ast.StructType)
		switch {
		case ts.Assign.IsValid():
			l.errorf(ts.Name.Pos(), "type %s: type aliases are not supported: declare a struct type", name)
		case ts.TypeParams != nil:
			l.errorf(ts.Name.Pos(), "type %s: generic types are not supported: declare a plain struct type", name)
		case !isStruct:
			l.errorf(ts.Type.Pos(), "type %s: a spec declares only struct types (exported: a resource; unexported: an object type), got %s", name, l.source(ts.Type))
		default:
			t.st = st
		}
	}
}

// specVar reads one var declaration, which must be the spec.Spec header
// or the permissions of a resource (recorded in l.perms), and returns its
// composite literal, or nil after reporting a mistake.
func (l *goLoader) specVar(vs *ast.ValueSpec) *ast.CompositeLit {
	usage := fmt.Sprintf(`its header, var _ = %s.Spec{Version: 1, Package: "..."}, and the permissions of resources, var _ = %s.Permissions[Post]{Read: "public"}`, l.specName(), l.specName())
	if len(vs.Names) != 1 || len(vs.Values) != 1 || vs.Type != nil {
		l.errorf(vs.Pos(), "var: the variables of a Go spec are %s", usage)
		return nil
	}
	lit, ok := vs.Values[0].(*ast.CompositeLit)
	switch {
	case ok && l.isSpecSel(lit.Type, "Spec"):
		return lit
	case ok && l.permissionsTarget(lit) != nil:
		if vs.Names[0].Name != "_" {
			l.errorf(vs.Names[0].Pos(), "var %s: name the permissions _: var _ = %s.Permissions[...]{...}; nothing refers to them", vs.Names[0].Name, l.specName())
		}
		l.perms = append(l.perms, lit)
		return lit
	}
	l.errorf(vs.Values[0].Pos(), "var %s: the variables of a Go spec are %s", vs.Names[0].Name, usage)
	return nil
}

// isSpecSel reports whether e is the marker <spec>.<name>.
func (l *goLoader) isSpecSel(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == l.specName()
}

// specHeaderKeys are the fields of spec.Spec.
func specHeaderKeys() []string { return []string{"Version", "Package", "Output", "Auth"} }

// header reads the spec.Spec literal.
func (l *goLoader) header(s *Spec, lit *ast.CompositeLit) {
	const subject = "spec"
	s.Pos = l.pos(lit.Pos())
	seen := make(map[string]token.Pos)
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		var key *ast.Ident
		if ok {
			key, ok = kv.Key.(*ast.Ident)
		}
		if !ok {
			l.errorf(elt.Pos(), "%s: write the fields of %s.Spec with their names: Version: 1, Package: \"...\"", subject, l.specName())
			continue
		}
		if first, dup := seen[key.Name]; dup {
			l.errorf(key.Pos(), "%s: duplicate key %q (first defined at line %d)", subject, key.Name, l.pos(first).Line)
			continue
		}
		seen[key.Name] = key.Pos()
		loc := Loc{KeyPos: l.pos(key.Pos()), Pos: l.pos(kv.Value.Pos())}
		switch key.Name {
		case "Version":
			s.Specstar = l.headerInt(kv, loc, subject)
			if s.Specstar != nil && s.Specstar.Value != 1 {
				l.errorf(kv.Value.Pos(), "%s: Version %d is not supported: this version of specstar reads version 1", subject, s.Specstar.Value)
			}
		case "Package":
			s.Package = l.headerString(kv, loc, subject)
		case "Output":
			s.Output = l.headerString(kv, loc, subject)
		case "Auth":
			s.Auth = l.authLit(kv, loc)
		default:
			hint := Suggest(key.Name, specHeaderKeys())
			if strings.EqualFold(key.Name, "specstar") {
				hint = "Version"
			}
			l.errorf(key.Pos(), "%s: unknown key %q in %s.Spec%s", subject, key.Name, l.specName(), DidYouMean(hint))
		}
	}
	if _, ok := seen["Version"]; !ok {
		l.errorf(lit.Pos(), "%s: missing key \"Version\" (add Version: 1)", subject)
	}
	if _, ok := seen["Package"]; !ok {
		l.errorf(lit.Pos(), "%s: missing key \"Package\" (the Go package name of the generated code)", subject)
	}
}

// headerInt reads an integer literal.
func (l *goLoader) headerInt(kv *ast.KeyValueExpr, loc Loc, subject string) *Int {
	lit, ok := kv.Value.(*ast.BasicLit)
	if ok && lit.Kind == token.INT {
		if v, err := strconv.ParseInt(strings.ReplaceAll(lit.Value, "_", ""), 0, 64); err == nil {
			return &Int{Loc: loc, Value: v}
		}
	}
	l.errorf(kv.Value.Pos(), "%s: %s must be an integer literal, got %s", subject, kv.Key.(*ast.Ident).Name, l.source(kv.Value))
	return nil
}

// headerString reads a string literal.
func (l *goLoader) headerString(kv *ast.KeyValueExpr, loc Loc, subject string) *String {
	if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
		if v, err := strconv.Unquote(lit.Value); err == nil {
			return &String{Loc: loc, Value: v}
		}
	}
	l.errorf(kv.Value.Pos(), "%s: %s must be a string literal, got %s", subject, kv.Key.(*ast.Ident).Name, l.source(kv.Value))
	return nil
}

// description turns a doc comment into a description, nil when there is
// none. Directives (//go:...) are not part of it.
func (l *goLoader) description(cg *ast.CommentGroup) *String {
	if cg == nil {
		return nil
	}
	text := strings.TrimRight(cg.Text(), "\n")
	if strings.TrimSpace(text) == "" {
		return nil
	}
	return &String{Loc: l.locAt(cg.Pos()), Value: text}
}

// unusedObjects reports unexported struct types no field uses: they are
// most likely resources whose name starts with a lower-case letter.
func (l *goLoader) unusedObjects() {
	for _, t := range l.typeOrder {
		if t.st == nil || ast.IsExported(t.name.Name) || t.used {
			continue
		}
		hint := ""
		if n := []rune(t.name.Name); len(n) > 0 {
			hint = DidYouMean(strings.ToUpper(string(n[0])) + string(n[1:]))
		}
		l.errorf(t.name.Pos(), "type %s: unexported struct type is not used by any field: resources are exported struct types%s", t.name.Name, hint)
	}
}
