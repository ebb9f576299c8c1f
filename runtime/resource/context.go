package resource

import (
	"context"
	"slices"
)

// Principal is who acts: the identity a request was authenticated as. The
// Service stamps its ID as created_by and updated_by, and authorizers and
// permission rules decide with its roles and claims.
type Principal struct {
	// ID is the subject: a user id, a service account, "system". Empty
	// means Anonymous.
	ID string
	// Roles are the roles the principal holds.
	Roles []string
	// Claims carries what the authenticator knows besides id and roles
	// (token claims, tenant), for authorizers and user code.
	Claims map[string]any
}

// Anonymous is the subject of requests that carry no principal.
const Anonymous = "anonymous"

// anonymous is the principal of contexts that carry none.
var anonymous = &Principal{ID: Anonymous}

// IsAnonymous reports whether p is the principal of an unauthenticated
// caller.
func (p *Principal) IsAnonymous() bool { return p == nil || p.ID == "" || p.ID == Anonymous }

// HasRole reports whether p holds role.
func (p *Principal) HasRole(role string) bool { return p != nil && slices.Contains(p.Roles, role) }

// principalKey is the context key of the acting principal.
type principalKey struct{}

// WithPrincipal returns a context whose calls act as p: its writes are
// attributed to p.ID (created_by and updated_by), and authorizers see p.
// A nil p means the anonymous principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal set by WithPrincipal, or the
// anonymous principal (ID Anonymous, no roles). The result is shared:
// do not modify it.
func PrincipalFrom(ctx context.Context) *Principal {
	if p, ok := ctx.Value(principalKey{}).(*Principal); ok && p != nil {
		return p
	}
	return anonymous
}

// WithSubject is WithPrincipal for a principal with an id and no roles.
func WithSubject(ctx context.Context, subject string) context.Context {
	return WithPrincipal(ctx, &Principal{ID: subject})
}

// SubjectFrom returns the id of the principal of ctx, or Anonymous.
func SubjectFrom(ctx context.Context) string {
	if p := PrincipalFrom(ctx); p.ID != "" {
		return p.ID
	}
	return Anonymous
}

// System is the principal of the engine's own work (the auth package's
// records, the change feed's loads): it holds the admin role, so no rule
// restricts it. Writes it makes are attributed to "system".
var System = &Principal{ID: "system", Roles: []string{RoleAdmin}}

// AsSystem returns a context whose calls act as System.
func AsSystem(ctx context.Context) context.Context { return WithPrincipal(ctx, System) }
