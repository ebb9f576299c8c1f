package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TokenRequest asks for a personal access token.
type TokenRequest struct {
	// Name says what the token is for (required, at most 200 bytes).
	Name string `json:"name"`
	// ExpiresAt or ExpiresIn (seconds) sets an expiry; neither: the token
	// lasts until revoked.
	ExpiresAt *time.Time `json:"expires_at"`
	ExpiresIn *int64     `json:"expires_in"`
	// Roles narrow the token to some of the owner's roles; empty: the
	// token has all of them, as they are when it is used.
	Roles []string `json:"roles"`
}

// TokenInfo describes a personal access token; it never holds the secret.
type TokenInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Roles     []string   `json:"roles"`
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
}

// NewToken is a created personal access token: its Token is shown this
// once and stored only hashed.
type NewToken struct {
	TokenInfo
	Token string `json:"token"`
}

// maxTokenName bounds the name of a token.
const maxTokenName = 200

// CreateToken creates a personal access token for the principal of ctx,
// who must have logged in (a token cannot make tokens). Roles beyond the
// owner's are a 403; unknown roles, a missing name and an expiry in the
// past are 422s.
func (a *Auth) CreateToken(ctx context.Context, req TokenRequest) (*NewToken, error) {
	p := resource.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return nil, resource.Errorf(resource.CodeUnauthenticated, "log in first: creating a token needs an access token")
	}
	if !viaSession(p) {
		return nil, resource.Forbidden("a personal access token cannot create tokens; log in with the password")
	}
	now := a.timestamp()
	expires, err := a.checkTokenRequest(req, now)
	if err != nil {
		return nil, err
	}
	u, err := a.user(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if !u.usable() {
		return nil, errRevokedToken
	}
	for _, r := range req.Roles {
		if !slices.Contains(u.roles, r) {
			return nil, &resource.Error{Code: resource.CodeForbidden, Detail: "a token cannot have role " + r + ", which its owner does not hold",
				Fields: []resource.FieldError{{Field: "roles", Message: "holds " + r + ", a role the owner does not hold"}}}
		}
	}
	roles := slices.Compact(slices.Sorted(slices.Values(req.Roles)))
	if roles == nil {
		roles = []string{}
	}
	secret := newSecret()
	env, err := a.create(ctx, a.kinds.token, tokenData{
		User: p.ID, Name: req.Name, SecretHash: hashSecret(secret), Roles: roles, ExpiresAt: expires,
	})
	if err != nil {
		return nil, err
	}
	a.logger.InfoContext(ctx, "auth: personal access token created", "user", p.ID, "token", env.Meta.ResourceID)
	info := TokenInfo{ID: env.Meta.ResourceID, Name: req.Name, Roles: roles, ExpiresAt: expires, CreatedAt: env.Meta.CreatedTime}
	return &NewToken{TokenInfo: info, Token: formatPAT(info.ID, secret)}, nil
}

// checkTokenRequest validates req and returns its expiry.
func (a *Auth) checkTokenRequest(req TokenRequest, now time.Time) (*time.Time, error) {
	var errs resource.ValidationErrors
	switch name := strings.TrimSpace(req.Name); {
	case name == "":
		errs.Add("name", "is required")
	case len(req.Name) > maxTokenName || !utf8.ValidString(req.Name):
		errs.Add("name", "must be at most 200 bytes of text")
	}
	for i, r := range req.Roles {
		if !slices.Contains(a.roles, r) {
			errs.Add("roles["+strconv.Itoa(i)+"]", "must be one of "+strings.Join(a.roles, ", "))
		}
	}
	var expires *time.Time
	switch {
	case req.ExpiresAt != nil && req.ExpiresIn != nil:
		errs.Add("expires_in", "cannot be given with expires_at")
	case req.ExpiresAt != nil:
		t := req.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !t.After(now) {
			errs.Add("expires_at", "must be in the future")
		}
		expires = &t
	case req.ExpiresIn != nil:
		if *req.ExpiresIn <= 0 || *req.ExpiresIn > 100*365*24*3600 {
			errs.Add("expires_in", "must be a positive number of seconds (at most 100 years)")
		} else {
			t := now.Add(time.Duration(*req.ExpiresIn) * time.Second)
			expires = &t
		}
	}
	return expires, errs.Err()
}

// ListTokens returns the live (not revoked) personal access tokens of the
// principal of ctx, oldest first.
func (a *Auth) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	p := resource.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return nil, resource.Errorf(resource.CodeUnauthenticated, "log in first: listing tokens needs an access token")
	}
	envs, err := a.listAll(ctx, a.kinds.token, eq("user", p.ID))
	if err != nil {
		return nil, err
	}
	out := []TokenInfo{}
	for _, env := range envs {
		var d tokenData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return nil, err
		}
		if d.Revoked {
			continue
		}
		if d.Roles == nil {
			d.Roles = []string{}
		}
		out = append(out, TokenInfo{ID: env.Meta.ResourceID, Name: d.Name, Roles: d.Roles, ExpiresAt: d.ExpiresAt, CreatedAt: env.Meta.CreatedTime})
	}
	slices.SortStableFunc(out, func(x, y TokenInfo) int { return cmp.Compare(x.ID, y.ID) })
	return out, nil
}

// RevokeToken revokes personal access token id of the principal of ctx
// (an admin may revoke anyone's). Another user's token is a 404, as an
// unknown one; revoking a revoked token again is not an error.
func (a *Auth) RevokeToken(ctx context.Context, id string) error {
	p := resource.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return resource.Errorf(resource.CodeUnauthenticated, "log in first: revoking a token needs an access token")
	}
	notFound := resource.Errorf(resource.CodeNotFound, "token %q not found", id)
	var d tokenData
	_, err := a.get(ctx, a.kinds.token, id, &d)
	switch code := resource.CodeOf(err); {
	case code == resource.CodeNotFound || code == resource.CodeGone:
		return notFound
	case err != nil:
		return err
	case d.User != p.ID && !p.HasRole(RoleAdmin):
		return notFound
	}
	if _, err := patch(ctx, a, a.kinds.token, id, revokeToken); err != nil {
		return err
	}
	a.logger.InfoContext(ctx, "auth: personal access token revoked", "user", d.User, "token", id, "by", p.ID)
	return nil
}
