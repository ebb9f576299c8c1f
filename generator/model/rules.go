package model

import (
	"errors"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Permission rules are parsed and checked here with the runtime's own
// parser and checker (resource.ParseRule, Rule.Check), against the fields
// the generated kind lets lists filter on (resource.FilterFields of
// Resource.Kind): a rule the spec accepts is one the server accepts.

// defaultRuleOf returns the action whose rule an action takes when the
// spec does not name it ("" for none: the fixed default of defaultRule).
func defaultRuleOf(action string) string {
	switch action {
	case "list":
		return "read"
	case "switch":
		return "update"
	case "restore":
		return "delete"
	}
	return ""
}

// defaultRule is the rule of an action that the spec does not name and
// that takes no other action's rule.
func defaultRule(action string) string {
	if action == "purge" {
		return "role:" + RoleAdmin
	}
	return "authenticated"
}

// rules resolves the permission rules of r. Without auth, permissions are
// an error; internal resources have none; the built-in User is for
// admins only.
func (b *builder) rules(lr *load.Resource, r *Resource) {
	if r.Internal {
		return
	}
	if b.m.Auth == nil {
		if p := lr.Permissions; p != nil {
			what := "resource"
			if r.Job != nil {
				what = "job"
			}
			b.errorf(pos(p.KeyPos), "%s %s: permissions need auth: add a top-level auth block that declares the roles (auth: {roles: [editor]}), or remove permissions", what, lr.Name)
		}
		return
	}
	written := make(map[string]*load.Rule)
	if lr.Permissions != nil {
		for _, ar := range lr.Permissions.Rules {
			written[ar.Action] = ar.Rule
		}
	}
	fields := resource.FilterFields(r.Kind())
	for _, action := range RuleActions() {
		rl := &Rule{Action: action}
		switch lrule, from := written[action], defaultRuleOf(action); {
		case r.Builtin, r.Job != nil && lrule == nil && from == "":
			// The built-in User, and jobs, are for admins unless the
			// spec says otherwise.
			rl.Source, rl.Default = "role:"+RoleAdmin, true
		case lrule != nil:
			rl.Source, rl.Pos = lrule.Value, pos(lrule.Pos)
			prefix := "resource " + r.Name
			if r.Job != nil {
				prefix = "job " + r.Job.Name
			}
			rl.Anonymous, _ = b.checkRule(r, lrule, fields, prefix+" permissions: "+action+": ", false)
		case from != "":
			prev := r.Rule(from)
			rl.Source, rl.Pos, rl.Anonymous, rl.Default = prev.Source, prev.Pos, prev.Anonymous, true
		default:
			rl.Source, rl.Default = defaultRule(action), true
		}
		r.Rules = append(r.Rules, rl)
	}
}

// checkRule parses and checks a rule written in the spec and reports its
// mistakes at their exact positions, each message after prefix.
// fieldRule restricts it to the atoms that do not depend on the row
// (public, authenticated, role:NAME). It returns whether an anonymous
// caller may pass the rule, and whether the rule is valid.
func (b *builder) checkRule(r *Resource, lr *load.Rule, fields []filter.FieldInfo, prefix string, fieldRule bool) (anonymous, valid bool) {
	at := func(off int) Pos { return pos(lr.PosAt(off - 1)) } // RuleError offsets are 1-based
	parsed, err := resource.ParseRule(lr.Value)
	if err != nil {
		b.ruleErrors(err, at, prefix, nil)
		return false, false
	}
	if fieldRule {
		ok := true
		for _, a := range parsed.Atoms {
			switch a.Kind {
			case resource.AtomOwner, resource.AtomWhere:
				word := "owner"
				if a.Kind == resource.AtomWhere {
					word = "where()"
				}
				b.errorf(at(a.Pos), "%s%s depends on the row, and a field rule cannot: use public, authenticated or role:NAME (put row conditions in the resource's permissions)", prefix, word)
				ok = false
			}
		}
		if !ok {
			return false, false
		}
	}
	// A where() may name only indexed fields: one that names a data field
	// that is not indexed gets that said, instead of "unknown field".
	notIndexed := make(map[int]bool)
	for _, a := range parsed.Atoms {
		if a.Kind != resource.AtomWhere {
			continue
		}
		for _, ref := range fieldRefs(a.Where) {
			if f := fieldByPath(r.Fields, ref.Name); f != nil && !slices.ContainsFunc(fields, func(fi filter.FieldInfo) bool { return fi.Name == ref.Name }) {
				off := a.WherePos + ref.At - 1
				notIndexed[off] = true
				b.errorf(at(off), "%sfield %q is not indexed: a where() may name only indexed fields and meta fields; add index: true to %s", prefix, ref.Name, ref.Name)
			}
		}
	}
	// Check adds admin to the roles it is given.
	roles := slices.DeleteFunc(slices.Clone(b.m.Auth.Roles), func(r string) bool { return r == RoleAdmin })
	if err := parsed.Check(fields, roles); err != nil {
		b.ruleErrors(err, at, prefix, notIndexed)
		return false, false
	}
	if len(notIndexed) > 0 {
		return false, false
	}
	for _, a := range parsed.Atoms {
		if a.Kind == resource.AtomPublic || a.Kind == resource.AtomWhere && !filter.HasParams(a.Where) {
			return true, true
		}
	}
	return false, true
}

// ruleErrors reports the RuleErrors of err, but those at offsets in skip.
func (b *builder) ruleErrors(err error, at func(int) Pos, prefix string, skip map[int]bool) {
	var list resource.RuleErrors
	if !errors.As(err, &list) {
		b.errorf(at(1), "%s%v", prefix, err)
		return
	}
	for _, e := range list {
		if !skip[e.Pos] {
			b.errorf(at(e.Pos), "%s%s", prefix, e.Msg)
		}
	}
}

// fieldRefs returns the fields a filter expression names.
func fieldRefs(e filter.Expr) []filter.Ref {
	var out []filter.Ref
	switch e := e.(type) {
	case *filter.And:
		for _, t := range e.Terms {
			out = append(out, fieldRefs(t)...)
		}
	case *filter.Or:
		for _, t := range e.Terms {
			out = append(out, fieldRefs(t)...)
		}
	case *filter.Not:
		out = fieldRefs(e.X)
	case *filter.Cmp:
		out = []filter.Ref{e.Field}
	case *filter.In:
		out = []filter.Ref{e.Field}
	case *filter.IsNull:
		out = []filter.Ref{e.Field}
	}
	return out
}

// fieldByPath returns the field at a dotted path, or nil.
func fieldByPath(fields []*Field, path string) *Field {
	head, rest, nested := strings.Cut(path, ".")
	for _, f := range fields {
		if f.Name != head {
			continue
		}
		if !nested {
			return f
		}
		return fieldByPath(f.Fields, rest)
	}
	return nil
}

// fieldRules resolves the read and write rules of a field. They need
// auth, apply to top-level fields only, and use only the atoms that do
// not depend on the row.
func (c *fieldCtx) fieldRules() {
	for _, fr := range []struct {
		key  string
		rule *load.Rule
		set  *string
	}{{"read", c.lf.Read, &c.f.Read}, {"write", c.lf.Write, &c.f.Write}} {
		if fr.rule == nil {
			continue
		}
		switch {
		case c.sc.jobPayload:
			continue // jobPayloadField reported it
		case c.b.m.Auth == nil:
			c.errorf(fr.rule.KeyPos, "%s rules need auth: add a top-level auth block that declares the roles (auth: {roles: [editor]}), or remove %s", fr.key, fr.key)
			continue
		case !c.sc.top:
			c.errorf(fr.rule.KeyPos, "%s applies only to top-level fields, not to fields inside an object: put the rule on the object field %s", fr.key, strings.SplitN(c.f.Path, ".", 2)[0])
			continue
		}
		if _, ok := c.b.checkRule(c.sc.owner, fr.rule, nil, c.subject+": "+fr.key+": ", true); ok {
			*fr.set = fr.rule.Value
		}
	}
}
