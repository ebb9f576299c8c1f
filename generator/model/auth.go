package model

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/names"
)

// RoleAdmin is the role that passes every rule; every spec with auth has
// it, listed or not (runtime/resource.RoleAdmin).
const RoleAdmin = "admin"

// The token lifetimes of an auth block that does not set them.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 720 * time.Hour
)

// RuleActions are the actions a permission rule governs, in documentation
// order (load.PermissionActions): read, list, create, update, switch,
// delete, restore, purge. Operation.Permission maps every operation to
// one of them.
func RuleActions() []string { return load.PermissionActions() }

// roleRE matches a role name: lower-case words of letters and digits
// joined by single "_" or "-" (editor, site-admin, level_2).
var roleRE = regexp.MustCompile(`^[a-z][a-z0-9]*([_-][a-z0-9]+)*$`)

// auth resolves the auth block: roles and token lifetimes.
func (b *builder) auth(spec *load.Spec) {
	la := spec.Auth
	if la == nil {
		return
	}
	const subject = "auth"
	a := &Auth{Pos: pos(la.KeyPos), AccessTTL: DefaultAccessTTL, RefreshTTL: DefaultRefreshTTL}
	var roles []string
	if la.Roles != nil {
		seen := make(map[string]load.Pos)
		goNames := make(map[string]string)
		for _, item := range la.Roles.Items {
			role := item.Value
			goName := names.Pascal(role)
			switch {
			case !roleRE.MatchString(role):
				b.errorf(pos(item.Pos), "%s: role %q must be lower-case letters and digits, words joined by \"_\" or \"-\" (such as \"editor\" or \"site-admin\")%s",
					subject, role, load.DidYouMean(suggestRole(role)))
				continue
			case seen[role].IsValid():
				b.errorf(pos(item.Pos), "%s: role %q is listed twice (first at line %d)", subject, role, seen[role].Line)
				continue
			case goNames[goName] != "":
				b.errorf(pos(item.Pos), "%s: roles %q and %q have the same Go and GraphQL name (%s); make them differ in letters or digits", subject, goNames[goName], role, goName)
				continue
			}
			seen[role], goNames[goName] = item.Pos, role
			roles = append(roles, role)
		}
	}
	if !slices.Contains(roles, RoleAdmin) {
		roles = append([]string{RoleAdmin}, roles...)
	}
	a.Roles = roles
	if d := la.AccessTokenTTL; d != nil {
		if d.Value <= 0 {
			b.errorf(pos(d.Pos), "%s: access_token_ttl must be greater than 0, got %q (omit it for the default, 15m)", subject, d.Text)
		} else {
			a.AccessTTL = d.Value
		}
	}
	if d := la.RefreshTokenTTL; d != nil {
		switch {
		case d.Value <= 0:
			b.errorf(pos(d.Pos), "%s: refresh_token_ttl must be greater than 0, got %q (omit it for the default, 720h)", subject, d.Text)
		case d.Value < a.AccessTTL:
			b.errorf(pos(d.Pos), "%s: refresh_token_ttl %s is shorter than access_token_ttl %s: a login would end before its first access token", subject, d.Text, fmtDuration(a.AccessTTL))
		default:
			a.RefreshTTL = d.Value
		}
	}
	b.m.Auth = a
}

// suggestRole turns a name into a plausible role name, or "".
func suggestRole(s string) string {
	r := strings.Trim(strings.ReplaceAll(names.Snake(s), "__", "_"), "_-")
	if roleRE.MatchString(r) && r != s {
		return r
	}
	return ""
}

// fmtDuration writes a duration as a spec would: "15m", "720h", not
// "15m0s", "720h0m0s".
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// The built-in resources of auth. User is a resource like the spec's (its
// routes at /api/users, its history, its typed repository), readable and
// writable by admins only; runtime/auth reads and writes it by these
// names and fields. The internal kinds hold what auth stores for itself:
// they have a schema descriptor and tables, and nothing else.
const (
	builtinUser       = "User"
	builtinCredential = "AuthCredential"
	builtinSession    = "AuthSession"
	builtinToken      = "AuthToken"
	builtinKey        = "AuthKey"
	builtinLimit      = "AuthLimit"
)

// BuiltinNames returns the names of the resources auth declares, User
// first.
func BuiltinNames() []string {
	return []string{builtinUser, builtinCredential, builtinSession, builtinToken, builtinKey, builtinLimit}
}

// builtinUse says what a built-in resource is for, in messages.
func builtinUse(name string) string {
	switch name {
	case builtinUser:
		return "the users of auth, with email, name, roles, disabled and password; refer to them with {type: ref, to: User}"
	case builtinCredential:
		return "auth's stored password hashes"
	case builtinSession:
		return "auth's logins and their refresh tokens"
	case builtinToken:
		return "auth's personal access tokens"
	case builtinKey:
		return "auth's token signing keys"
	}
	return "auth's login rate limits"
}

// Helpers that write the AST of the built-in resources.

func lstr(v string) *load.String             { return &load.String{Value: v} }
func lyes() *load.Bool                       { return &load.Bool{Value: true} }
func lint(v int64) *load.Int                 { return &load.Int{Value: v} }
func lfields(fs ...*load.Field) *load.Fields { return &load.Fields{List: fs} }

// lfield is a field of a type, with its description.
func lfield(name, typ, desc string) *load.Field {
	return &load.Field{Name: name, Type: lstr(typ), Description: lstr(desc)}
}

// builtinSpecs returns the AST of the built-in resources of a spec with
// auth, roles being the resolved roles (the values of User.roles).
func builtinSpecs(roles []string) []*load.Resource {
	email := lfield("email", "email", "The address the user signs in with, unique among users whatever the case of its ASCII letters.")
	email.Required, email.Unique, email.Index, email.Display = lyes(), lyes(), lyes(), lyes()
	name := lfield("name", "string", "The user's name, for people.")
	name.MaxLength = lint(200)
	roleList := lfield("roles", "list", "The roles the permission rules check; admin passes every rule.")
	roleList.Of, roleList.Index = lstr("enum"), lyes()
	roleList.Values = &load.StringList{}
	for _, r := range roles {
		roleList.Values.Items = append(roleList.Values.Items, lstr(r))
	}
	disabled := lfield("disabled", "bool", "A disabled user cannot sign in, and every token of theirs stops working.")
	disabled.Default = &load.Value{Kind: load.Scalar, Tag: "!!bool", Text: "false"}
	disabled.Index = lyes()
	password := lfield("password", "string", "Write-only: a new password, which the server stores as an argon2id hash; never returned.")
	password.MinLength, password.MaxLength = lint(8), lint(1024)

	user := &load.Resource{
		Name:        builtinUser,
		Description: lstr("A user of the API, who signs in with an email address and a password (built in by auth)."),
		Fields:      lfields(email, name, roleList, disabled, password),
	}
	internal := func(name, desc string, fs ...*load.Field) *load.Resource {
		return &load.Resource{Name: name, Description: lstr(desc), Fields: lfields(fs...),
			Revisions: &load.Revisions{KeepLast: lint(1)}}
	}
	indexed := func(f *load.Field) *load.Field { f.Index = lyes(); return f }
	unique := func(f *load.Field) *load.Field { f.Required, f.Unique, f.Index = lyes(), lyes(), lyes(); return f }
	list := func(f *load.Field) *load.Field { f.Of = lstr("string"); return f }
	return []*load.Resource{
		user,
		internal(builtinCredential, "The password hash of a user.",
			unique(lfield("user", "string", "The id of the user.")),
			lfield("hash", "string", "The PHC string of the argon2id hash."),
			lfield("epoch", "int", "Bumped by every change of password or of the user's status, which ends every token issued before."),
			lfield("changed_at", "datetime", "When the password last changed.")),
		internal(builtinSession, "A login: its current refresh token and the rotated ones.",
			indexed(lfield("user", "string", "The id of the user.")),
			lfield("secret_hash", "string", "The hash of the current refresh token."),
			list(lfield("previous", "list", "The hashes of the rotated refresh tokens; presenting one revokes the login.")),
			indexed(lfield("expires_at", "datetime", "When the login ends.")),
			indexed(lfield("revoked", "bool", "Set by logout and by the reuse of a rotated refresh token."))),
		internal(builtinToken, "A personal access token.",
			indexed(lfield("user", "string", "The id of the owner.")),
			lfield("name", "string", "What the owner calls it."),
			lfield("secret_hash", "string", "The hash of the token."),
			list(lfield("roles", "list", "The roles it acts with: a subset of the owner's; none means all of them.")),
			lfield("expires_at", "datetime", "When it stops working; null for never."),
			lfield("revoked", "bool", "Set when the owner revokes it.")),
		internal(builtinKey, "A key that signs access tokens.",
			unique(lfield("kid", "string", "The key id of the JWT header.")),
			lfield("secret", "string", "The key, base64."),
			lfield("created_at", "datetime", "When it was made.")),
		internal(builtinLimit, "A window of the login rate limit.",
			unique(lfield("key", "string", "The client address or account it counts.")),
			lfield("window_start", "datetime", "When the window started."),
			lfield("count", "int", "The attempts in the window.")),
	}
}

// builtins declares the built-in resources of a spec with auth, before
// the spec's own (so that their names are taken first: a spec resource
// that collides is the one reported). It returns their ASTs, in the
// order of the resources it appended to the model.
func (b *builder) builtins() []*load.Resource {
	if b.m.Auth == nil {
		return nil
	}
	specs := builtinSpecs(b.m.Auth.Roles)
	for _, lr := range specs {
		r := b.resource(lr)
		r.Builtin, r.Internal = true, lr.Name != builtinUser
		if !r.Internal {
			b.m.Auth.User = r
		}
	}
	return specs
}

// builtinConflict reports a spec resource named like a built-in one.
func (b *builder) builtinConflict(lr *load.Resource, prev *Resource) {
	if prev.Name == builtinUser {
		b.errorf(pos(lr.Pos), "resource %s: auth provides the built-in User resource (%s): remove this one, or rename it", lr.Name, builtinUse(prev.Name))
		return
	}
	b.errorf(pos(lr.Pos), "resource %s: the name is taken by an internal resource of auth (%s); rename this resource", lr.Name, builtinUse(prev.Name))
}

// declaredBy names the resource that holds a name, a table or a path, for
// messages: "resource Post at line 12", or "the built-in User resource of
// auth".
func declaredBy(r *Resource) string {
	if r.Builtin {
		return fmt.Sprintf("the built-in %s resource of auth", r.Name)
	}
	return fmt.Sprintf("resource %s at line %d", r.Name, r.Pos.Line)
}
