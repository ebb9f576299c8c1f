package gogen

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/specstar-go/specstar/generator/model"
)

// modelFile emits the data type of a resource, its nested object and enum
// types, and the methods that default, normalise and validate it.
func modelFile(m *model.Model, r *model.Resource, pkgPath string) *jen.File {
	f := newFile(m, pkgPath)
	f.Add(typeDoc(r.GoName, r.Description, "is the data of one "+r.Name+" resource."))
	f.Type().Id(r.GoName).Struct(structFields(r.Fields)...)
	f.Line()
	f.Comment(r.VarName + "Required lists the JSON paths that a " + r.GoName + " body must hold, non-null.")
	f.Var().Id(r.VarName + "Required").Op("=").Index().String().ValuesFunc(func(g *jen.Group) {
		for _, p := range requiredPaths(r.Fields, "") {
			g.Lit(p)
		}
	})
	f.Line()
	emitPrepare(f, r.Receiver, r.GoName, r.Fields, true)
	emitValidate(f, r.Receiver, r.GoName, r.Fields, true)
	emitEncode(f, r)
	emitUpgrade(f, r)
	walkFields(r.Fields, func(fd *model.Field) {
		if fd.Type == model.Object {
			emitObject(f, fd)
		}
		if fd.EnumGoType != "" && (fd.Type == model.Enum || fd.Type == model.List) {
			emitEnum(f, fd)
		}
	})
	emitPatterns(f, r)
	return f
}

// typeDoc writes the doc comment of a generated type: the spec description
// when there is one, a fixed phrase otherwise. Both start with the name.
func typeDoc(name string, desc []string, fallback string) jen.Code {
	if len(desc) == 0 {
		return jen.Comment(name + " " + fallback)
	}
	lines := append([]string(nil), desc...)
	lines[0] = name + " is " + lowerArticle(lines[0])
	if !hasArticle(desc[0]) {
		lines[0] = name + ": " + desc[0]
	}
	return docLines(lines, "")
}

func hasArticle(s string) bool {
	for _, a := range []string{"A ", "An ", "The "} {
		if strings.HasPrefix(s, a) {
			return true
		}
	}
	return false
}

func lowerArticle(s string) string {
	if hasArticle(s) {
		return strings.ToLower(s[:1]) + s[1:]
	}
	return s
}

// walkFields calls fn for every field, depth first, including nested
// object fields.
func walkFields(fields []*model.Field, fn func(*model.Field)) {
	for _, fd := range fields {
		fn(fd)
		if fd.Type == model.Object {
			walkFields(fd.Fields, fn)
		}
	}
}

// requiredPaths lists the dotted JSON paths that a request body must hold.
// A required field of an optional object is only required when the object
// is present; the decoder checks a path only when its parent exists.
func requiredPaths(fields []*model.Field, prefix string) []string {
	var out []string
	for _, fd := range fields {
		if fd.Required {
			out = append(out, prefix+fd.Name)
		}
		if fd.Type == model.Object {
			out = append(out, requiredPaths(fd.Fields, prefix+fd.Name+".")...)
		}
	}
	return out
}

// structFields renders the fields of a data struct:
//
//	Title string `json:"title"`
func structFields(fields []*model.Field) []jen.Code {
	var out []jen.Code
	for _, fd := range fields {
		if len(fd.Description) > 0 {
			out = append(out, docLines(fd.Description, ""))
		}
		tag := fd.Name
		if fd.WriteOnly {
			// Absent from what the server returns: a record re-encoded by
			// user code does not show it as null either.
			tag += ",omitempty"
		}
		out = append(out, jen.Id(fd.GoName).Add(goType(fd)).Tag(map[string]string{"json": tag}))
	}
	return out
}

// goType is the Go type of a field: required scalars and objects are values,
// optional ones pointers; lists and JSON are nil-able already.
func goType(fd *model.Field) *jen.Statement {
	t := baseType(fd)
	switch fd.Type {
	case model.List, model.JSON:
		return t
	}
	if fd.Nullable() {
		return jen.Op("*").Add(t)
	}
	return t
}

// baseType is the non-pointer Go type of a field's value.
func baseType(fd *model.Field) *jen.Statement {
	switch fd.Type {
	case model.Int:
		return jen.Int64()
	case model.Float:
		return jen.Float64()
	case model.Bool:
		return jen.Bool()
	case model.DateTime:
		return jen.Qual("time", "Time")
	case model.Enum:
		return jen.Id(fd.EnumGoType)
	case model.JSON:
		return jen.Qual(pkgJSON, "RawMessage")
	case model.List:
		if fd.Elem.Type == model.Enum {
			return jen.Index().Id(fd.EnumGoType)
		}
		return jen.Index().Add(baseType(fd.Elem))
	case model.Object:
		return jen.Id(fd.ObjectGoType)
	case model.File:
		return jen.Qual(pkgResource, "File")
	}
	return jen.String() // string, text, email, url, uuid, date, ref
}

// emitObject emits the struct of a nested object and its methods.
func emitObject(f *jen.File, fd *model.Field) {
	f.Comment(fmt.Sprintf("%s is the %s field of %s.", fd.ObjectGoType, fd.Path, fd.Owner.GoName))
	f.Type().Id(fd.ObjectGoType).Struct(structFields(fd.Fields)...)
	f.Line()
	emitPrepare(f, "o", fd.ObjectGoType, fd.Fields, false)
	emitValidate(f, "o", fd.ObjectGoType, fd.Fields, false)
}

// emitEnum emits a string type with one constant per value and Valid.
//
//	type PostStatus string
//	const PostStatusDraft PostStatus = "draft"
//	func (v PostStatus) Valid() bool
func emitEnum(f *jen.File, fd *model.Field) {
	f.Comment(fmt.Sprintf("%s is a value of the %s field of %s.", fd.EnumGoType, fd.Path, fd.Owner.GoName))
	f.Type().Id(fd.EnumGoType).String()
	f.Line()
	values, goNames := fd.Values, fd.ValueGoNames
	if fd.Type == model.List {
		values, goNames = fd.Elem.Values, fd.Elem.ValueGoNames
	}
	f.Comment("Values of " + fd.EnumGoType + ".")
	f.Const().DefsFunc(func(g *jen.Group) {
		for i, v := range values {
			g.Id(goNames[i]).Id(fd.EnumGoType).Op("=").Lit(v)
		}
	})
	f.Line()
	f.Comment("Valid reports whether v is one of the values the spec allows.")
	f.Func().Params(jen.Id("v").Id(fd.EnumGoType)).Id("Valid").Params().Bool().Block(
		jen.Switch(jen.Id("v")).Block(
			jen.CaseFunc(func(g *jen.Group) {
				for _, n := range goNames {
					g.Id(n)
				}
			}).Block(jen.Return(jen.True())),
		),
		jen.Return(jen.False()),
	)
	f.Line()
}

// emitPatterns declares the compiled regular expressions of pattern
// constraints, once per field, at package level.
func emitPatterns(f *jen.File, r *model.Resource) {
	var defs []jen.Code
	walkFields(r.Fields, func(fd *model.Field) {
		for _, p := range []*model.Field{fd, fd.Elem} {
			if p != nil && p.Pattern != "" {
				defs = append(defs, jen.Id(patternVar(fd)).Op("=").Qual("regexp", "MustCompile").Call(jen.Lit(p.Pattern)))
			}
		}
	})
	switch {
	case len(defs) == 1:
		f.Comment("The pattern of a " + r.Name + " field, compiled once.")
		f.Var().Add(defs[0])
	case len(defs) > 1:
		f.Comment("Patterns of the " + r.Name + " fields, compiled once.")
		f.Var().Defs(defs...)
	}
}

// patternVar names the package variable holding a field's pattern.
func patternVar(fd *model.Field) string {
	return fd.Owner.VarName + strings.ReplaceAll(pascalPath(fd.Path), ".", "") + "Pattern"
}

// pascalPath turns "address.city" into "AddressCity" using the GoNames the
// model computed along the path.
func pascalPath(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		parts[i] = strings.ToUpper(p[:1]) + p[1:]
	}
	return strings.Join(parts, "")
}

// emitPrepare emits the method that fills in defaults and normalises values
// (UTC times, lower-case UUIDs) before validation, so that equal content is
// stored as equal bytes.
//
//	func (p *Post) prepare() { if p.Status == nil { p.Status = new(PostStatusDraft) } }
func emitPrepare(f *jen.File, recv, typeName string, fields []*model.Field, top bool) {
	name := "prepare"
	f.Comment(fmt.Sprintf("%s fills in the spec defaults of unset fields and normalises values,", name))
	f.Comment("so that equal content always encodes to equal bytes.")
	f.Func().Params(jen.Id(recv).Op("*").Id(typeName)).Id(name).Params().BlockFunc(func(g *jen.Group) {
		for _, fd := range fields {
			sel := jen.Id(recv).Dot(fd.GoName)
			if fd.Default != nil {
				g.If(sel.Clone().Op("==").Nil()).Block(sel.Clone().Op("=").Add(defaultValue(fd)))
			}
			normalise(g, fd, sel)
		}
	})
	f.Line()
}

// defaultValue renders a field's default as a value of its Go type.
func defaultValue(fd *model.Field) jen.Code {
	if fd.Type == model.List {
		items, _ := fd.Default.([]any)
		return baseType(fd).ValuesFunc(func(g *jen.Group) {
			for _, it := range items {
				g.Add(scalarLit(fd.Elem, fd.Elem.Values, fd.Elem.ValueGoNames, it))
			}
		})
	}
	return jen.New(scalarLit(fd, fd.Values, fd.ValueGoNames, fd.Default))
}

// scalarLit renders one scalar default value.
func scalarLit(fd *model.Field, values, goNames []string, v any) jen.Code {
	switch fd.Type {
	case model.Enum:
		for i, val := range values {
			if val == v {
				return jen.Id(goNames[i])
			}
		}
	case model.Int:
		return jen.Int64().Call(jen.Lit(int(toInt64(v))))
	case model.Float:
		return jen.Lit(toFloat64(v))
	case model.DateTime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				t = t.UTC()
				return jen.Qual("time", "Date").Call(jen.Lit(t.Year()), jen.Qual("time", t.Month().String()),
					jen.Lit(t.Day()), jen.Lit(t.Hour()), jen.Lit(t.Minute()), jen.Lit(t.Second()),
					jen.Lit(t.Nanosecond()), jen.Qual("time", "UTC"))
			}
		}
	}
	return jen.Lit(v)
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return 0
}

func toFloat64(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int64:
		return float64(n)
	case int:
		return float64(n)
	}
	return 0
}

// normalise emits the normalisation of one field: UTC for times,
// lower case for UUIDs, recursion into nested objects.
func normalise(g *jen.Group, fd *model.Field, sel *jen.Statement) {
	switch fd.Type {
	case model.DateTime:
		if fd.Nullable() {
			g.If(sel.Clone().Op("!=").Nil()).Block(sel.Clone().Op("=").New(sel.Clone().Dot("UTC").Call()))
		} else {
			g.Add(sel.Clone().Op("=").Add(sel.Clone()).Dot("UTC").Call())
		}
	case model.UUID:
		if fd.Nullable() {
			g.If(sel.Clone().Op("!=").Nil()).Block(sel.Clone().Op("=").New(jen.Qual("strings", "ToLower").Call(jen.Op("*").Add(sel.Clone()))))
		} else {
			g.Add(sel.Clone().Op("=").Qual("strings", "ToLower").Call(sel.Clone()))
		}
	case model.List:
		switch fd.Elem.Type {
		case model.DateTime:
			g.For(jen.Id("i").Op(":=").Range().Add(sel.Clone())).Block(
				sel.Clone().Index(jen.Id("i")).Op("=").Add(sel.Clone()).Index(jen.Id("i")).Dot("UTC").Call())
		case model.UUID:
			g.For(jen.Id("i").Op(":=").Range().Add(sel.Clone())).Block(
				sel.Clone().Index(jen.Id("i")).Op("=").Qual("strings", "ToLower").Call(sel.Clone().Index(jen.Id("i"))))
		}
	case model.Object:
		if fd.Nullable() {
			g.If(sel.Clone().Op("!=").Nil()).Block(sel.Clone().Dot("prepare").Call())
		} else {
			g.Add(sel.Clone().Dot("prepare").Call())
		}
	}
}

// fieldPath is where a field sits, for error messages: a literal at the
// top level ("title"), or below the path parameter of a nested validate
// method (path + ".city").
type fieldPath struct {
	nested bool
	name   string
}

// expr renders the path as a string expression.
func (p fieldPath) expr() jen.Code {
	if p.nested {
		return jen.Id("path").Op("+").Lit("." + p.name)
	}
	return jen.Lit(p.name)
}

// elem renders the path of list element i: fmt.Sprintf("tags[%d]", i).
func (p fieldPath) elem() jen.Code {
	if p.nested {
		return jen.Qual("fmt", "Sprintf").Call(jen.Lit("%s."+p.name+"[%d]"), jen.Id("path"), jen.Id("i"))
	}
	return jen.Qual("fmt", "Sprintf").Call(jen.Lit(p.name+"[%d]"), jen.Id("i"))
}

// emitValidate emits Validate for a resource, or validate(path, errs) for
// a nested object. Every check is inline: no reflection.
func emitValidate(f *jen.File, recv, typeName string, fields []*model.Field, top bool) {
	body := func(g *jen.Group) {
		for _, fd := range fields {
			fieldChecks(g, fd, jen.Id(recv).Dot(fd.GoName), fieldPath{nested: !top, name: fd.Name})
		}
	}
	if top {
		f.Comment("Validate checks " + recv + " against the constraints of the spec. It returns a")
		f.Comment("*resource.Error with code VALIDATION_ERROR listing every invalid field, or nil.")
		f.Func().Params(jen.Id(recv).Op("*").Id(typeName)).Id("Validate").Params().Error().BlockFunc(func(g *jen.Group) {
			g.Var().Id("errs").Qual(pkgResource, "ValidationErrors")
			body(g)
			g.Return(jen.Id("errs").Dot("Err").Call())
		})
	} else {
		f.Comment("validate records the problems of " + recv + ", found at path, in errs.")
		f.Func().Params(jen.Id(recv).Op("*").Id(typeName)).Id("validate").Params(
			jen.Id("path").String(), jen.Id("errs").Op("*").Qual(pkgResource, "ValidationErrors"),
		).BlockFunc(body)
	}
	f.Line()
}

// errsAdd renders errs.Add(path, msg).
func errsAdd(path jen.Code, msg string) *jen.Statement {
	return jen.Id("errs").Dot("Add").Call(path, jen.Lit(msg))
}

// check is one generated constraint check: if init; cond { errs.Add(path, msg) }.
// Keeping the parts apart lets callers merge a check into a guard
// (p.X != nil && ...) or an else-if chain instead of nesting blocks.
type check struct {
	init jen.Code       // optional simple statement, e.g. n := len(p.Tags)
	cond *jen.Statement // true when the value is invalid
	or   bool           // cond is a disjunction: parenthesise it after &&
	path jen.Code
	msg  string
}

// stmt renders the check as an if statement.
func (c check) stmt() *jen.Statement {
	if c.init != nil {
		return jen.If(c.init, c.cond).Block(errsAdd(c.path, c.msg))
	}
	return jen.If(c.cond).Block(errsAdd(c.path, c.msg))
}

// guarded renders checks that apply only when guard holds:
//
//	if p.Views != nil && *p.Views < 0 { ... }      (one check)
//	if p.Bio != nil { ...checks... }               (several)
func guarded(guard *jen.Statement, checks []check) jen.Code {
	if len(checks) == 1 && checks[0].init == nil {
		c := checks[0]
		cond := c.cond
		if c.or {
			cond = jen.Parens(cond)
		}
		return jen.If(guard.Op("&&").Add(cond)).Block(errsAdd(c.path, c.msg))
	}
	return jen.If(guard).BlockFunc(func(g *jen.Group) {
		for _, c := range checks {
			g.Add(c.stmt())
		}
	})
}

// requiredThen renders a presence check followed by the value's checks:
//
//	if p.Title == "" { errs.Add("title", "is required") } else if n := ...; n < 3 { ... }
func requiredThen(missing *jen.Statement, path jen.Code, msg string, checks []check) jen.Code {
	s := jen.If(missing).Block(errsAdd(path, msg))
	switch len(checks) {
	case 0:
	case 1:
		s.Else().Add(checks[0].stmt())
	default:
		s.Else().BlockFunc(func(g *jen.Group) {
			for _, c := range checks {
				g.Add(c.stmt())
			}
		})
	}
	return s
}

// fieldChecks emits the checks of one field whose value is sel.
func fieldChecks(g *jen.Group, fd *model.Field, sel *jen.Statement, fp fieldPath) {
	path := fp.expr()
	switch fd.Type {
	case model.List:
		listChecks(g, fd, sel, fp)
		return
	case model.JSON:
		if fd.Required {
			g.If(jen.Len(sel.Clone()).Op("==").Lit(0).Op("||").String().Call(sel.Clone()).Op("==").Lit("null")).Block(errsAdd(path, "is required"))
		}
		return
	case model.Object:
		errs := jen.Op("&").Id("errs")
		if fp.nested {
			errs = jen.Id("errs") // already a pointer in a nested validate method
		}
		switch {
		case fd.Required && fd.Nullable():
			g.If(sel.Clone().Op("==").Nil()).Block(errsAdd(path, "is required")).Else().Block(sel.Clone().Dot("validate").Call(path, errs))
		case fd.Nullable():
			g.If(sel.Clone().Op("!=").Nil()).Block(sel.Clone().Dot("validate").Call(path, errs))
		default:
			g.Add(sel.Clone().Dot("validate").Call(path, errs))
		}
		return
	}
	// Methods and struct fields are reached through a pointer implicitly;
	// only operators need the value itself.
	val := sel.Clone()
	if fd.Nullable() && fd.Type != model.Enum && fd.Type != model.File {
		val = jen.Op("*").Add(sel.Clone())
	}
	checks := scalarChecks(fd, val, path)
	var missing *jen.Statement
	switch {
	case fd.Required && fd.Nullable():
		// A required field with a read rule is a pointer (see
		// model.Field.Nullable).
		missing = sel.Clone().Op("==").Nil()
		switch {
		case isStringLike(fd.Type):
			missing.Op("||").Op("*").Add(sel.Clone()).Op("==").Lit("")
		case fd.Type == model.DateTime:
			missing.Op("||").Add(sel.Clone()).Dot("IsZero").Call()
		}
	case fd.Required && isStringLike(fd.Type):
		missing = sel.Clone().Op("==").Lit("")
	case fd.Required && fd.Type == model.DateTime:
		missing = sel.Clone().Dot("IsZero").Call()
	}
	switch {
	case missing != nil:
		g.Add(requiredThen(missing, path, "is required", checks))
	case fd.Nullable() && len(checks) > 0:
		g.Add(guarded(sel.Clone().Op("!=").Nil(), checks))
	default:
		for _, c := range checks {
			g.Add(c.stmt())
		}
	}
}

// listChecks emits the checks of a list: presence, item count and the
// checks of each element.
func listChecks(g *jen.Group, fd *model.Field, sel *jen.Statement, fp fieldPath) {
	path := fp.expr()
	if fd.Required {
		g.If(sel.Clone().Op("==").Nil()).Block(errsAdd(path, "is required"))
	}
	if c, ok := lengthCheck(jen.Len(sel.Clone()), fd.MinLength, fd.MaxLength, "items", path); ok {
		g.Add(c.stmt())
	}
	elemPath := fp.elem()
	elem := *fd.Elem
	elem.Owner, elem.Path, elem.Required = fd.Owner, fd.Path, true
	checks := scalarChecks(&elem, jen.Id("v"), elemPath)
	loop := jen.For(jen.List(jen.Id("i"), jen.Id("v")).Op(":=").Range().Add(sel.Clone()))
	switch {
	case isStringLike(fd.Elem.Type) && fd.Elem.Type != model.Enum:
		g.Add(loop.Block(requiredThen(jen.Id("v").Op("==").Lit(""), elemPath, "must not be empty", checks)))
	case len(checks) > 0:
		g.Add(loop.BlockFunc(func(g *jen.Group) {
			for _, c := range checks {
				g.Add(c.stmt())
			}
		}))
	}
}

func isStringLike(t model.Type) bool {
	switch t {
	case model.String, model.Text, model.Email, model.URL, model.UUID, model.Date, model.Ref, model.Enum:
		return true
	}
	return false
}

// scalarChecks returns the checks of a scalar value val (already
// dereferenced), without the presence check.
func scalarChecks(fd *model.Field, val *jen.Statement, path jen.Code) []check {
	var out []check
	not := func(fn string, msg string) {
		out = append(out, check{cond: jen.Op("!").Qual(pkgValidate, fn).Call(val.Clone()), path: path, msg: msg})
	}
	switch fd.Type {
	case model.String, model.Text, model.Email, model.URL, model.UUID:
		if c, ok := lengthCheck(jen.Qual("unicode/utf8", "RuneCountInString").Call(val.Clone()), fd.MinLength, fd.MaxLength, "characters long", path); ok {
			out = append(out, c)
		}
	}
	switch fd.Type {
	case model.Email:
		not("Email", "must be an email address")
	case model.URL:
		not("URL", "must be an absolute http or https URL")
	case model.UUID:
		not("UUID", "must be a UUID")
	case model.Date:
		not("Date", "must be a date (YYYY-MM-DD)")
	case model.Enum:
		out = append(out, enumCheck(val, fd.Values, path))
	case model.Int, model.Float:
		if c, ok := rangeCheck(fd, val, path); ok {
			out = append(out, c)
		}
	case model.File:
		out = append(out, fileChecks(fd, val, path)...)
	}
	if fd.Pattern != "" {
		out = append(out, check{
			cond: jen.Op("!").Id(patternVar(fd)).Dot("MatchString").Call(val.Clone()),
			path: path, msg: "must match the pattern " + fd.Pattern,
		})
	}
	return out
}

// enumCheck renders: if !v.Valid() { errs.Add(path, `must be one of "a", "b"`) }
func enumCheck(val *jen.Statement, values []string, path jen.Code) check {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return check{cond: jen.Op("!").Add(val.Clone()).Dot("Valid").Call(), path: path, msg: "must be one of " + strings.Join(quoted, ", ")}
}

// lengthCheck returns the bounds check of a length expression n. With both
// bounds the length is computed once in the if statement's init:
//
//	if n := utf8.RuneCountInString(p.Title); n < 3 || n > 200 { ... }
func lengthCheck(n *jen.Statement, minLen, maxLen *int, unit string, path jen.Code) (check, bool) {
	c := check{path: path}
	switch {
	case minLen != nil && maxLen != nil:
		c.init = jen.Id("n").Op(":=").Add(n)
		c.cond = jen.Id("n").Op("<").Lit(*minLen).Op("||").Id("n").Op(">").Lit(*maxLen)
		c.msg = fmt.Sprintf("must be between %d and %d %s", *minLen, *maxLen, unit)
	case minLen != nil:
		c.cond = n.Clone().Op("<").Lit(*minLen)
		c.msg = fmt.Sprintf("must be at least %d %s", *minLen, unit)
	case maxLen != nil:
		c.cond = n.Clone().Op(">").Lit(*maxLen)
		c.msg = fmt.Sprintf("must be at most %d %s", *maxLen, unit)
	default:
		return c, false
	}
	if unit == "items" {
		c.msg = strings.Replace(c.msg, "must be", "must have", 1)
	}
	return c, true
}

// rangeCheck returns the min/max check of a number.
func rangeCheck(fd *model.Field, val *jen.Statement, path jen.Code) (check, bool) {
	num := func(v float64) jen.Code {
		if fd.Type == model.Int {
			return jen.Lit(int(v))
		}
		return jen.Lit(v)
	}
	text := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	c := check{path: path}
	switch {
	case fd.Min != nil && fd.Max != nil:
		c.cond = val.Clone().Op("<").Add(num(*fd.Min)).Op("||").Add(val.Clone()).Op(">").Add(num(*fd.Max))
		c.or = true
		c.msg = fmt.Sprintf("must be between %s and %s", text(*fd.Min), text(*fd.Max))
	case fd.Min != nil:
		c.cond = val.Clone().Op("<").Add(num(*fd.Min))
		c.msg = "must be at least " + text(*fd.Min)
	case fd.Max != nil:
		c.cond = val.Clone().Op(">").Add(num(*fd.Max))
		c.msg = "must be at most " + text(*fd.Max)
	default:
		return c, false
	}
	return c, true
}

// fileChecks returns the size and media type checks of a file field.
func fileChecks(fd *model.Field, val *jen.Statement, path jen.Code) []check {
	var out []check
	if fd.MaxSize > 0 {
		out = append(out, check{
			cond: val.Clone().Dot("Size").Op(">").Lit(fd.MaxSize),
			path: path, msg: fmt.Sprintf("must be at most %d bytes", fd.MaxSize),
		})
	}
	if len(fd.Accept) > 0 {
		out = append(out, check{
			// An empty content type is a reference by id alone, which
			// runtime/files completes from its record and checks.
			cond: val.Clone().Dot("ContentType").Op("!=").Lit("").Op("&&").Op("!").Qual("slices", "Contains").Call(jen.Index().String().ValuesFunc(func(g *jen.Group) {
				for _, a := range fd.Accept {
					g.Lit(a)
				}
			}), val.Clone().Dot("ContentType")),
			path: path, msg: "must be one of the media types " + strings.Join(fd.Accept, ", "),
		})
	}
	return out
}

// emitEncode emits the method that turns the data into its stored form.
func emitEncode(f *jen.File, r *model.Resource) {
	recv := r.Receiver
	f.Comment("encode prepares and validates " + recv + " and returns its canonical JSON, the form")
	f.Comment("in which revisions are stored and hashed.")
	f.Func().Params(jen.Id(recv).Op("*").Id(r.GoName)).Id("encode").Params().Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
		jen.Id(recv).Dot("prepare").Call(),
		jen.If(jen.Err().Op(":=").Id(recv).Dot("Validate").Call(), jen.Err().Op("!=").Nil()).Block(
			jen.Return(jen.Nil(), jen.Err()),
		),
		jen.Return(jen.Qual(pkgJSON, "Marshal").Call(jen.Id(recv))),
	)
	f.Line()
	f.Comment(fmt.Sprintf("decode%s strictly decodes a request body or patched document into a", r.GoName))
	f.Comment(r.GoName + " and returns its canonical JSON.")
	f.Func().Id("decode"+r.GoName).Params(jen.Id("body").Index().Byte()).Params(jen.Qual(pkgJSON, "RawMessage"), jen.Error()).Block(
		jen.Var().Id(recv).Id(r.GoName),
		jen.If(jen.Err().Op(":=").Qual(pkgRest, "Decode").Call(jen.Id("body"), jen.Op("&").Id(recv), jen.Id(r.VarName+"Required").Op("...")), jen.Err().Op("!=").Nil()).Block(
			// Name the constraint mistakes of what did decode too.
			jen.Return(jen.Nil(), jen.Qual(pkgRest, "Invalid").Call(jen.Err(), jen.Id(recv).Dot("Validate").Call())),
		),
		jen.Return(jen.Id(recv).Dot("encode").Call()),
	)
	f.Line()
}
