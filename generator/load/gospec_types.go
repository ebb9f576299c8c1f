package load

import (
	"go/ast"
	"maps"
	"slices"
	"strings"
)

// specMarkers maps the marker types of runtime/spec that fields use to
// spec type names.
func specMarkers() map[string]string {
	return map[string]string{
		"Text": "text", "Email": "email", "URL": "url", "UUID": "uuid",
		"Date": "date", "JSON": "json", "Enum": "enum", "File": "file",
	}
}

// goScalars maps the predeclared Go types specs use to spec type names.
func goScalars() map[string]string {
	return map[string]string{
		"string": "string", "int": "int", "int64": "int", "float64": "float", "bool": "bool",
	}
}

// isScalarType reports whether t is a spec type a list may hold.
func isScalarType(t string) bool {
	switch t {
	case "string", "text", "int", "float", "bool", "datetime", "date", "enum", "email", "url", "uuid":
		return true
	}
	return false
}

// fieldType sets f's type from its Go type expression: Type, and Of, To
// or Fields where they apply. path is the dotted subject path of the
// field, for the fields of an anonymous struct.
func (l *goLoader) fieldType(f *Field, expr ast.Expr, path, subject string, depth int) {
	loc := l.locAt(expr.Pos())
	switch e := expr.(type) {
	case *ast.ArrayType:
		if elem, ok := l.listElem(e, subject); ok {
			f.Type = &String{Loc: loc, Value: "list"}
			f.Of = &String{Loc: l.locAt(e.Elt.Pos()), Value: elem}
		}
		return
	case *ast.StructType:
		f.Type = &String{Loc: loc, Value: "object"}
		f.Fields = l.structFields(e, path, subject, depth+1)
		return
	case *ast.IndexExpr:
		if l.isSpecSel(e.X, "Ref") {
			if to := l.refTarget(e, subject); to != nil {
				f.Type = &String{Loc: loc, Value: "ref"}
				f.To = to
			}
			return
		}
	case *ast.Ident:
		if t := l.types[e.Name]; t != nil {
			if fs := l.objectType(t, e, subject, depth); fs != nil {
				f.Type = &String{Loc: loc, Value: "object"}
				f.Fields = fs
			}
			return
		}
	}
	if t, ok := l.simpleType(expr, subject); ok {
		f.Type = &String{Loc: loc, Value: t}
	}
}

// simpleType resolves a type that is neither a slice, a struct nor a
// reference: a predeclared scalar, time.Time, json.RawMessage or a marker.
// It reports anything else.
func (l *goLoader) simpleType(expr ast.Expr, subject string) (string, bool) {
	switch e := expr.(type) {
	case *ast.Ident:
		if t, ok := goScalars()[e.Name]; ok {
			return t, true
		}
		l.unsupportedType(expr, subject, l.identHint(e.Name))
		return "", false
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			break
		}
		switch x.Name {
		case l.specName():
			if t, ok := specMarkers()[e.Sel.Name]; ok {
				return t, true
			}
			l.specSelError(e, subject)
			return "", false
		case l.timePkg:
			if e.Sel.Name == "Time" {
				return "datetime", true
			}
		case l.jsonPkg:
			if e.Sel.Name == "RawMessage" {
				return "json", true
			}
		default:
			if x.Name == "time" || x.Name == "json" {
				l.errorf(x.Pos(), "%s: %s: package %s is not imported", subject, l.source(e), x.Name)
				return "", false
			}
		}
	case *ast.MapType, *ast.InterfaceType:
		l.unsupportedType(expr, subject, l.specName()+".JSON")
		return "", false
	case *ast.StarExpr:
		l.errorf(expr.Pos(), "%s: unsupported type %s: a field may be a pointer, but not a pointer to a pointer or a list of pointers", subject, l.source(expr))
		return "", false
	}
	l.unsupportedType(expr, subject, "")
	return "", false
}

// identHint suggests a supported type for an unsupported identifier.
func (l *goLoader) identHint(name string) string {
	switch name {
	case "int8", "int16", "int32", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "rune", "byte":
		return "int"
	case "float32", "complex64", "complex128":
		return "float64"
	case "any":
		return l.specName() + ".JSON"
	}
	if hint := l.timeHint(name); hint != "" {
		return hint
	}
	if _, ok := specMarkers()[name]; ok || name == "Ref" {
		return l.specName() + "." + name
	}
	candidates := []string{"string", "int", "int64", "float64", "bool"}
	for _, t := range l.typeOrder {
		if t.st != nil && !ast.IsExported(t.name.Name) {
			candidates = append(candidates, t.name.Name)
		}
	}
	return Suggest(name, candidates)
}

// timeHint suggests time.Time for names of date-time types.
func (l *goLoader) timeHint(name string) string {
	switch strings.ToLower(name) {
	case "time", "datetime", "timestamp":
		pkg := l.timePkg
		if pkg == "" {
			pkg = "time"
		}
		return pkg + ".Time"
	}
	return ""
}

// specSelError reports spec.X where X is not a field marker type.
func (l *goLoader) specSelError(e *ast.SelectorExpr, subject string) {
	spec := l.specName()
	switch name := e.Sel.Name; name {
	case "Ref":
		l.errorf(e.Pos(), "%s: %s.Ref needs the resource it refers to: %s.Ref[Author]", subject, spec, spec)
	case "Resource":
		l.errorf(e.Pos(), "%s: %s.Resource is not a field type: embed it in a resource struct to set resource options", subject, spec)
	default:
		hint := map[string]string{"String": "string", "Int": "int", "Float": "float64", "Bool": "bool"}[name]
		if hint == "" {
			hint = l.timeHint(name)
		}
		if hint == "" {
			markers := slices.Sorted(maps.Keys(specMarkers()))
			if s := Suggest(name, markers); s != "" {
				hint = spec + "." + s
			}
		}
		l.unsupportedType(e, subject, hint)
	}
}

// unsupportedType reports a Go type that has no spec type, listing the
// supported ones.
func (l *goLoader) unsupportedType(expr ast.Expr, subject, hint string) {
	spec := l.specName()
	timeT := "time.Time"
	if l.timePkg != "" {
		timeT = l.timePkg + ".Time"
	}
	l.errorf(expr.Pos(), "%s: unsupported type %s: use string, int, int64, float64, bool, %s, %s.Text, %s.Email, %s.URL, %s.UUID, %s.Date, %s.Enum, %s.JSON, %s.File, %s.Ref[T], a struct or a slice of a scalar type%s",
		subject, l.source(expr), timeT, spec, spec, spec, spec, spec, spec, spec, spec, spec, DidYouMean(hint))
}

// listElem resolves the element type of a slice field, which must be a
// scalar or spec.File (a list of files).
func (l *goLoader) listElem(e *ast.ArrayType, subject string) (string, bool) {
	if e.Len != nil {
		l.errorf(e.Pos(), "%s: unsupported type %s: arrays have a fixed length; use a slice, with max_length if needed", subject, l.source(e))
		return "", false
	}
	if id, ok := e.Elt.(*ast.Ident); ok && (id.Name == "byte" || id.Name == "uint8") {
		l.errorf(e.Pos(), "%s: unsupported type %s: use %s.File for uploaded bytes or %s.JSON for raw JSON", subject, l.source(e), l.specName(), l.specName())
		return "", false
	}
	notScalar := func() (string, bool) {
		l.errorf(e.Elt.Pos(), "%s: unsupported type %s: a slice holds scalar values (string, int, float64, bool, time.Time, %s.Enum, ...), not %s",
			subject, l.source(e), l.specName(), l.source(e.Elt))
		return "", false
	}
	switch elt := e.Elt.(type) {
	case *ast.ArrayType, *ast.StructType, *ast.IndexExpr, *ast.StarExpr:
		return notScalar()
	case *ast.Ident:
		if l.types[elt.Name] != nil {
			return notScalar()
		}
	}
	t, ok := l.simpleType(e.Elt, subject)
	if ok && !isScalarType(t) && t != "file" {
		return notScalar()
	}
	return t, ok
}

// refTarget resolves the type argument of spec.Ref[T], which must be a
// resource of this file.
func (l *goLoader) refTarget(e *ast.IndexExpr, subject string) *String {
	if l.isSpecSel(e.Index, "User") {
		// The built-in User of auth, which the file does not declare.
		return &String{Loc: l.locAt(e.Index.Pos()), Value: "User"}
	}
	id, ok := e.Index.(*ast.Ident)
	if !ok {
		l.errorf(e.Index.Pos(), "%s: %s: the type argument of %s.Ref is the name of a resource of this spec", subject, l.source(e), l.specName())
		return nil
	}
	var resources []string
	for _, t := range l.typeOrder {
		if t.st != nil && ast.IsExported(t.name.Name) {
			resources = append(resources, t.name.Name)
		}
	}
	switch t := l.types[id.Name]; {
	case t != nil && t.st != nil && ast.IsExported(id.Name):
		return &String{Loc: l.locAt(id.Pos()), Value: id.Name}
	case t != nil && t.st != nil:
		l.errorf(id.Pos(), "%s: %s: %s is an object type, not a resource: a reference points to a resource (an exported struct type)", subject, l.source(e), id.Name)
	case id.Name == "User":
		l.errorf(id.Pos(), "%s: %s: unknown resource \"User\": refer to the built-in User of auth with %s.Ref[%s.User]", subject, l.source(e), l.specName(), l.specName())
	default:
		l.errorf(id.Pos(), "%s: %s: unknown resource %q%s", subject, l.source(e), id.Name, DidYouMeanOrList(id.Name, resources, "resources"))
	}
	return nil
}

// objectType resolves a field whose type is a type declared in the file:
// an unexported struct type is an object; a resource or a non-struct type
// is an error.
func (l *goLoader) objectType(t *goType, use *ast.Ident, subject string, depth int) *Fields {
	name := t.name.Name
	switch {
	case t.st == nil:
		l.errorf(use.Pos(), "%s: type %s is not a struct type", subject, name)
		return nil
	case ast.IsExported(name):
		l.errorf(use.Pos(), "%s: %s is a resource: refer to it with %s.Ref[%s], or declare an unexported struct type to nest its fields", subject, name, l.specName(), name)
		return nil
	}
	t.used = true
	switch t.state {
	case objectReading:
		l.errorf(use.Pos(), "%s: object type %s contains itself: objects cannot be recursive", subject, name)
		return nil
	case objectRead:
		return t.fields
	}
	t.state = objectReading
	t.fields = l.structFields(t.st, name, "type "+name, depth+1)
	t.state = objectRead
	return t.fields
}

// structFields reads the fields of an object's struct type. path is the
// subject path of its fields ("Post.address", or "address" for a named
// object type) and subject names the struct itself in messages.
func (l *goLoader) structFields(st *ast.StructType, path, subject string, depth int) *Fields {
	fs := &Fields{Loc: l.locAt(st.Struct)}
	if depth >= maxDepth {
		l.errorf(st.Struct, "%s: objects nest too deeply (at most %d levels)", subject, maxDepth)
		return fs
	}
	for _, fld := range st.Fields.List {
		if len(fld.Names) == 0 {
			if l.isSpecSel(fld.Type, "Resource") {
				l.errorf(fld.Type.Pos(), "%s: %s.Resource sets resource options: embed it in a resource (an exported struct type), not in an object", subject, l.specName())
			} else {
				l.errorf(fld.Type.Pos(), "%s: embedded field %s is not supported: name every field of an object", subject, l.source(fld.Type))
			}
			continue
		}
		for _, name := range fld.Names {
			if f := l.field(name, fld, path, false, depth); f != nil {
				fs.List = append(fs.List, f)
			}
		}
	}
	if len(fs.List) == 0 {
		l.errorf(st.Struct, "%s: the struct has no fields: an object needs at least one field", subject)
	}
	return fs
}
