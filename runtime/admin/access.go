package admin

import (
	"context"

	"github.com/specstar-go/specstar/runtime/resource"
)

// The admin offers only the actions the user may take. The Service
// decides (a forced request is refused there); these checks only choose
// what the pages show, from the same rules.

// allowed reports whether the caller may take action a on some resources
// of r (the Service's authorizers and the kind's rule).
func (a *Admin) allowed(ctx context.Context, r *Resource, act resource.Action) bool {
	return a.svc.Allow(ctx, r.Kind, act) == nil
}

// allowedOn reports whether the caller may take action act on env: the
// kind's rule evaluated on the row. owner compares created_by with the
// caller; a where() condition is taken as passing (the Service checks
// it when the action is taken).
func (a *Admin) allowedOn(ctx context.Context, r *Resource, act resource.Action, env *resource.Envelope) bool {
	if !a.allowed(ctx, r, act) {
		return false
	}
	p := resource.PrincipalFrom(ctx)
	if r.Kind.Access == nil || p.HasRole(resource.RoleAdmin) {
		return true
	}
	src, ok := r.Kind.Access.Rules[act.Rule()]
	if !ok {
		return true // the Service's default passed Allow without a row condition
	}
	rule, err := resource.ParseRule(src)
	if err != nil {
		return false
	}
	for _, at := range rule.Atoms {
		switch at.Kind {
		case resource.AtomPublic:
			return true
		case resource.AtomAuthenticated:
			if !p.IsAnonymous() {
				return true
			}
		case resource.AtomRole:
			if p.HasRole(at.Role) {
				return true
			}
		case resource.AtomOwner:
			if !p.IsAnonymous() && env != nil && env.Meta.CreatedBy == p.ID {
				return true
			}
		case resource.AtomWhere:
			return true
		}
	}
	return false
}

// fieldWritable reports whether the caller passes the write rule of the
// top-level field name (field rules use public, authenticated and role
// atoms only).
func fieldWritable(ctx context.Context, r *Resource, name string) bool {
	return passesFieldRule(ctx, r, name, func(fa resource.FieldAccess) string { return fa.Write })
}

func passesFieldRule(ctx context.Context, r *Resource, name string, pick func(resource.FieldAccess) string) bool {
	if r.Kind.Access == nil {
		return true
	}
	p := resource.PrincipalFrom(ctx)
	if p.HasRole(resource.RoleAdmin) {
		return true
	}
	for _, fa := range r.Kind.Access.Fields {
		if fa.Field != name || pick(fa) == "" {
			continue
		}
		rule, err := resource.ParseRule(pick(fa))
		if err != nil {
			return false
		}
		for _, at := range rule.Atoms {
			switch {
			case at.Kind == resource.AtomPublic,
				at.Kind == resource.AtomAuthenticated && !p.IsAnonymous(),
				at.Kind == resource.AtomRole && p.HasRole(at.Role):
				return true
			}
		}
		return false
	}
	return true
}

// fieldReadable reports whether the caller passes the read rule of the
// top-level field name.
func fieldReadable(ctx context.Context, r *Resource, name string) bool {
	return passesFieldRule(ctx, r, name, func(fa resource.FieldAccess) string { return fa.Read })
}
