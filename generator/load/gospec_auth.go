package load

import (
	"go/ast"
	"go/token"
	"slices"
	"strings"
)

// The auth parts of a Go spec (docs/spec-go.md, Auth and permissions):
//
//	var _ = spec.Spec{..., Auth: spec.Auth{Roles: []string{"editor"}, AccessTokenTTL: "15m"}}
//
//	var _ = spec.Permissions[Post]{Read: "public", Update: `owner | role:editor`}
//
// and the read= and write= keys of a field's specstar tag.

// goAuthKeys are the fields of spec.Auth.
func goAuthKeys() []string { return []string{"Roles", "AccessTokenTTL", "RefreshTokenTTL"} }

// goActionKeys are the fields of spec.Permissions: the actions, in Go
// form ("Read" for read).
func goActionKeys() []string {
	var out []string
	for _, a := range PermissionActions() {
		out = append(out, strings.ToUpper(a[:1])+a[1:])
	}
	return out
}

// keyValues returns the elements of a composite literal as key: value
// pairs with identifier keys, reporting any other element and keys
// written twice.
func (l *goLoader) keyValues(lit *ast.CompositeLit, subject, typ string) []*ast.KeyValueExpr {
	var out []*ast.KeyValueExpr
	seen := make(map[string]token.Pos)
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		var key *ast.Ident
		if ok {
			key, ok = kv.Key.(*ast.Ident)
		}
		if !ok {
			l.errorf(elt.Pos(), "%s: write the fields of %s with their names", subject, typ)
			continue
		}
		if first, dup := seen[key.Name]; dup {
			l.errorf(key.Pos(), "%s: duplicate key %q (first defined at line %d)", subject, key.Name, l.pos(first).Line)
			continue
		}
		seen[key.Name] = key.Pos()
		out = append(out, kv)
	}
	return out
}

// authLit reads the Auth field of the header: a spec.Auth literal.
func (l *goLoader) authLit(kv *ast.KeyValueExpr, loc Loc) *Auth {
	const subject = "auth"
	typ := l.specName() + ".Auth"
	lit, ok := kv.Value.(*ast.CompositeLit)
	if !ok || !l.isSpecSel(lit.Type, "Auth") {
		l.errorf(kv.Value.Pos(), "spec: Auth must be a %s{...} literal, got %s", typ, l.source(kv.Value))
		return nil
	}
	a := &Auth{Loc: loc}
	for _, kv := range l.keyValues(lit, subject, typ) {
		key := kv.Key.(*ast.Ident)
		loc := Loc{KeyPos: l.pos(key.Pos()), Pos: l.pos(kv.Value.Pos())}
		switch key.Name {
		case "Roles":
			a.Roles = l.stringSlice(kv, loc, subject)
		case "AccessTokenTTL", "RefreshTokenTTL":
			d := l.headerDuration(kv, loc, subject)
			if key.Name == "AccessTokenTTL" {
				a.AccessTokenTTL = d
			} else {
				a.RefreshTokenTTL = d
			}
		default:
			l.errorf(key.Pos(), "%s: unknown key %q in %s%s", subject, key.Name, typ, DidYouMean(Suggest(key.Name, goAuthKeys())))
		}
	}
	return a
}

// stringSlice reads a []string{"a", "b"} literal.
func (l *goLoader) stringSlice(kv *ast.KeyValueExpr, loc Loc, subject string) *StringList {
	name := kv.Key.(*ast.Ident).Name
	lit, ok := kv.Value.(*ast.CompositeLit)
	if arr, isArr := typeOf(lit).(*ast.ArrayType); !ok || !isArr || arr.Len != nil || !isIdent(arr.Elt, "string") {
		l.errorf(kv.Value.Pos(), "%s: %s must be a []string{...} literal, got %s", subject, name, l.source(kv.Value))
		return nil
	}
	list := &StringList{Loc: loc}
	for _, elt := range lit.Elts {
		s, ok := l.stringLit(elt)
		if !ok {
			l.errorf(elt.Pos(), "%s: the items of %s must be string literals, got %s", subject, name, l.source(elt))
			continue
		}
		list.Items = append(list.Items, &String{Loc: Loc{Pos: l.pos(elt.Pos())}, Value: s.text})
	}
	return list
}

// typeOf returns the type of a composite literal, nil for none.
func typeOf(lit *ast.CompositeLit) ast.Expr {
	if lit == nil {
		return nil
	}
	return lit.Type
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// stringLit decodes a string literal, raw or interpreted, with the
// position of each byte.
func (l *goLoader) stringLit(e ast.Expr) (posText, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return posText{}, false
	}
	return tagLit(lit.Value, lit.Pos())
}

// headerDuration reads a duration written as a string literal ("15m").
func (l *goLoader) headerDuration(kv *ast.KeyValueExpr, loc Loc, subject string) *Duration {
	name := kv.Key.(*ast.Ident).Name
	s, ok := l.stringLit(kv.Value)
	if !ok {
		l.errorf(kv.Value.Pos(), "%s: %s must be a string literal such as \"15m\" or \"30d\", got %s", subject, name, l.source(kv.Value))
		return nil
	}
	d, ok := ParseDuration(s.text)
	if !ok {
		l.errorf(kv.Value.Pos(), "%s: %s must be a duration such as 720h or 30d, got %q", subject, name, truncate(s.text))
		return nil
	}
	return &Duration{Loc: loc, Value: d, Text: s.text}
}

// permissionsTarget returns the type argument T of a spec.Permissions[T]
// literal, or nil when lit is something else.
func (l *goLoader) permissionsTarget(lit *ast.CompositeLit) *ast.Ident {
	ix, ok := lit.Type.(*ast.IndexExpr)
	if !ok || !l.isSpecSel(ix.X, "Permissions") {
		return nil
	}
	if id, ok := ix.Index.(*ast.Ident); ok {
		return id
	}
	return &ast.Ident{NamePos: ix.Index.Pos(), Name: l.source(ix.Index)}
}

// attachPermissions gives each resource of s the spec.Permissions
// declared for it.
func (l *goLoader) attachPermissions(s *Spec) {
	byName := make(map[string]*Resource)
	jobs := make(map[string]*Job)
	var names []string
	for _, r := range s.Resources {
		byName[r.Name] = r
		names = append(names, r.Name)
	}
	for _, j := range s.Jobs {
		jobs[j.Name] = j
		names = append(names, j.Name)
	}
	first := make(map[string]*ast.CompositeLit)
	for _, lit := range l.perms {
		target := l.permissionsTarget(lit)
		subject := "permissions of " + target.Name
		r := byName[target.Name]
		if j := jobs[target.Name]; j != nil {
			if first[j.Name] != nil {
				l.errorf(lit.Pos(), "%s: declared twice (first at line %d); keep one %s.Permissions[%s]", subject, l.pos(first[j.Name].Pos()).Line, l.specName(), j.Name)
				continue
			}
			first[j.Name] = lit
			j.Permissions = l.permissionsLit(lit, "job "+j.Name)
			continue
		}
		switch {
		case r == nil && l.types[target.Name] != nil:
			l.errorf(target.Pos(), "%s: %s is an object type, not a resource: permissions apply to resources (exported struct types)", subject, target.Name)
			continue
		case r == nil:
			l.errorf(target.Pos(), "%s.Permissions[%s]: unknown resource %q%s", l.specName(), target.Name, target.Name, DidYouMean(Suggest(target.Name, names)))
			continue
		case first[r.Name] != nil:
			l.errorf(lit.Pos(), "%s: declared twice (first at line %d); keep one %s.Permissions[%s]", subject, l.pos(first[r.Name].Pos()).Line, l.specName(), r.Name)
			continue
		}
		first[r.Name] = lit
		r.Permissions = l.permissionsLit(lit, "resource "+r.Name)
	}
}

// permissionsLit reads the rules of a spec.Permissions literal.
func (l *goLoader) permissionsLit(lit *ast.CompositeLit, owner string) *Permissions {
	subject := owner + " permissions"
	p := &Permissions{Loc: l.locAt(lit.Pos())}
	for _, kv := range l.keyValues(lit, subject, l.specName()+".Permissions") {
		key := kv.Key.(*ast.Ident)
		i := slices.Index(goActionKeys(), key.Name)
		if i < 0 {
			l.errorf(key.Pos(), "%s: unknown action %q%s; the actions are %s", subject, key.Name,
				DidYouMean(Suggest(key.Name, goActionKeys())), strings.Join(goActionKeys(), ", "))
			continue
		}
		text, ok := l.stringLit(kv.Value)
		if !ok {
			l.errorf(kv.Value.Pos(), "%s: %s must be a string literal such as \"public\" or `role:editor | where(status = \"published\")`, got %s", subject, key.Name, l.source(kv.Value))
			continue
		}
		r := l.ruleOf(text, Loc{KeyPos: l.pos(key.Pos()), Pos: l.pos(kv.Value.Pos())})
		p.Rules = append(p.Rules, &ActionRule{Action: PermissionActions()[i], Rule: r})
	}
	return p
}

// ruleOf makes a Rule of decoded text located in the file.
func (l *goLoader) ruleOf(text posText, loc Loc) *Rule {
	r := &Rule{Loc: loc, Value: text.text, Positions: make([]Pos, len(text.pos))}
	for i, p := range text.pos {
		r.Positions[i] = l.pos(p)
	}
	return r
}

// tagRule reads the rule of a field's read= or write= tag key.
func (l *goLoader) tagRule(it tagItem, subject string) *Rule {
	p, ok := l.tagValue(it, subject, "role:editor")
	if !ok {
		return nil
	}
	return l.ruleOf(p.src, l.itemLoc(it))
}
