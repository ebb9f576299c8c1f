package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// User is a user as the auth endpoints show it.
type User struct {
	ID       string   `json:"id"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Disabled bool     `json:"disabled"`
}

// Tokens is the answer of a login, a refresh and a password change.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"` // "Bearer"
	ExpiresIn    int    `json:"expires_in"` // seconds
	RefreshToken string `json:"refresh_token"`
	User         User   `json:"user"`
}

// errBadLogin is the one answer to an unknown email, a wrong password and
// a disabled user, so that a client cannot tell them apart.
var errBadLogin = resource.Errorf(resource.CodeUnauthenticated, "the email or the password is wrong, or the account is disabled")

// errBadRefresh answers every refresh token that does not refresh.
var errBadRefresh = resource.Errorf(resource.CodeUnauthenticated, "the refresh token is not valid (expired, revoked or already used); log in again")

// maxEmailLen is the longest email address (RFC 5321 path limit).
const maxEmailLen = 320

// foldScanLimit bounds the users a case-insensitive email lookup reads.
const foldScanLimit = 100

// account is a user found by email, with their credential.
type account struct {
	id   string
	user userData
	cred *credentialData // nil without a password
	// credID is the credential's resource id.
	credID string
}

// findAccount returns the live user whose email equals email up to the
// case of ASCII letters (as the unique index compares them), or nil.
func (a *Auth) findAccount(ctx context.Context, email string) (*account, error) {
	if email == "" || len(email) > maxEmailLen || !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		return nil, nil // no user can have it
	}
	// The filter language compares exactly: try the email as typed and
	// lower-cased first (one indexed lookup finds nearly every login),
	// then the case-insensitive substring match, checked exactly here.
	// That one scans: it takes one page, and only for something that
	// looks like an address, so that "a" does not load every user.
	values := []string{email}
	if low := foldEmail(email); low != email {
		values = append(values, low)
	}
	envs, err := a.listAll(ctx, a.kinds.user, inStrings("email", values))
	if err != nil {
		return nil, err
	}
	env := matchEmail(envs, email)
	if env == nil {
		at := strings.LastIndexByte(email, '@')
		if at <= 0 || at == len(email)-1 {
			return nil, nil
		}
		svc, err := a.svcFor(ctx)
		if err != nil {
			return nil, err
		}
		page, err := svc.List(sys(ctx), a.kinds.user, resource.ListQuery{Filter: contains("email", email), Sort: resource.FieldResourceID, Limit: foldScanLimit})
		if err != nil {
			return nil, err
		}
		if env = matchEmail(page.Items, email); env == nil {
			return nil, nil
		}
	}
	acc := &account{id: env.Meta.ResourceID}
	if err := json.Unmarshal(env.Data, &acc.user); err != nil {
		return nil, err
	}
	var cred credentialData
	cenv, err := a.findOne(ctx, a.kinds.credential, "user", acc.id, &cred)
	if err != nil {
		return nil, err
	}
	if cenv != nil {
		acc.cred, acc.credID = &cred, cenv.Meta.ResourceID
	}
	return acc, nil
}

// matchEmail returns the envelope whose email folds to email's fold.
func matchEmail(envs []*resource.Envelope, email string) *resource.Envelope {
	want := foldEmail(email)
	for _, env := range envs {
		var d struct {
			Email string `json:"email"`
		}
		if json.Unmarshal(env.Data, &d) == nil && foldEmail(d.Email) == want {
			return env
		}
	}
	return nil
}

// inStrings returns the filter `field in [values…]` (or `field = value`).
func inStrings(field string, values []string) string {
	if len(values) == 1 {
		return eq(field, values[0])
	}
	in := &filter.In{Field: filter.Ref{Name: field}}
	for _, v := range values {
		in.Values = append(in.Values, filter.Value{Kind: filter.KindString, Str: v})
	}
	return filter.Format(in)
}

// checkAccountPassword verifies password for acc (nil: unknown email),
// always running argon2 once, so that unknown emails, users without a
// password and disabled users take as long as a wrong password.
func (a *Auth) checkAccountPassword(ctx context.Context, acc *account, password string) (bool, error) {
	hash := a.dummy
	if acc != nil && acc.cred != nil {
		hash = acc.cred.Hash
	}
	ok, err := a.verifyPassword(hash, password)
	if err != nil {
		a.logger.ErrorContext(ctx, "auth: a stored password hash does not parse", "user", acc.id, "error", err.Error())
		_, _ = a.verifyPassword(a.dummy, password)
		return false, nil
	}
	if acc == nil || acc.cred == nil || acc.user.Disabled {
		return false, nil
	}
	return ok, nil
}

// Login checks an email and a password and starts a session: it returns
// an access token and the first refresh token of a new refresh family.
// addr is the client's address for the rate limit ("" skips the address
// limit). An unknown email, a wrong password and a disabled user get the
// same 401, after the same argon2 work; over the rate limit the error is
// a *LimitedError (429).
func (a *Auth) Login(ctx context.Context, email, password, addr string) (*Tokens, error) {
	if _, err := a.service(); err != nil {
		return nil, err
	}
	if err := a.checkLimits(ctx, addr, email); err != nil {
		return nil, err
	}
	acc, err := a.findAccount(ctx, email)
	if err != nil {
		return nil, err
	}
	ok, err := a.checkAccountPassword(ctx, acc, password)
	if err != nil {
		return nil, err
	}
	if !ok {
		attrs := []any{"addr", addr}
		if acc != nil {
			attrs = append(attrs, "user", acc.id)
		}
		a.logger.InfoContext(ctx, "auth: login refused", attrs...)
		return nil, errBadLogin
	}
	if err := a.resetAccount(ctx, email); err != nil {
		return nil, err
	}
	a.logger.InfoContext(ctx, "auth: login", "user", acc.id, "addr", addr)
	return a.startSession(ctx, acc.id, acc.user, acc.cred.Epoch)
}

// startSession creates a refresh family for user and issues its tokens.
func (a *Auth) startSession(ctx context.Context, id string, u userData, epoch int64) (*Tokens, error) {
	secret := newSecret()
	env, err := a.create(ctx, a.kinds.session, sessionData{
		User:       id,
		SecretHash: hashSecret(secret),
		Previous:   []string{},
		ExpiresAt:  a.timestamp().Add(a.cfg.RefreshTTL),
	})
	if err != nil {
		return nil, err
	}
	return a.tokens(ctx, id, u, epoch, env.Meta.ResourceID+"."+secret)
}

// tokens issues an access token and returns it with refresh.
func (a *Auth) tokens(ctx context.Context, id string, u userData, epoch int64, refresh string) (*Tokens, error) {
	access, ttl, err := a.issueAccess(ctx, id, epoch)
	if err != nil {
		return nil, err
	}
	return &Tokens{
		AccessToken:  access,
		TokenType:    "Bearer",
		ExpiresIn:    int(ttl.Seconds()),
		RefreshToken: refresh,
		User:         userOf(id, u),
	}, nil
}

// userOf returns the public view of a user.
func userOf(id string, u userData) User {
	return User{ID: id, Email: u.Email, Name: u.Name, Roles: u.roles(), Disabled: u.Disabled}
}

// parseRefresh splits "<session id>.<secret>".
func parseRefresh(token string) (id, secret string, ok bool) {
	id, secret, ok = strings.Cut(token, ".")
	if !ok || id == "" || len(secret) < 16 || strings.Contains(secret, ".") {
		return "", "", false
	}
	return id, secret, true
}

// Refresh rotates a refresh token: it returns a new access token and the
// next refresh token of the same family, and the presented one stops
// working. Presenting a rotated (already used) refresh token is taken as
// theft: the whole family is revoked, so that neither the thief nor the
// user can refresh any more (the user logs in again). Every refusal is
// the same 401.
func (a *Auth) Refresh(ctx context.Context, token string) (*Tokens, error) {
	if _, err := a.service(); err != nil {
		return nil, err
	}
	sid, secret, ok := parseRefresh(token)
	if !ok {
		return nil, errBadRefresh
	}
	presented := hashSecret(secret)
	next := newSecret()
	var s sessionData
	reused := false
	now := a.timestamp()
	_, err := patch(ctx, a, a.kinds.session, sid, func(d *sessionData) error {
		reused = false
		switch {
		case d.Revoked || !now.Before(d.ExpiresAt):
			return errBadRefresh
		case equalHash(presented, d.SecretHash):
			d.Previous = append(d.Previous, d.SecretHash)
			if len(d.Previous) > maxPrevious {
				d.Previous = slices.Clone(d.Previous[len(d.Previous)-maxPrevious:])
			}
			d.SecretHash = hashSecret(next)
			d.ExpiresAt = now.Add(a.cfg.RefreshTTL)
		case slices.ContainsFunc(d.Previous, func(h string) bool { return equalHash(presented, h) }):
			d.Revoked, reused = true, true
		default:
			return errBadRefresh
		}
		s = *d
		return nil
	})
	switch code := resource.CodeOf(err); {
	case code == resource.CodeNotFound || code == resource.CodeGone:
		return nil, errBadRefresh
	case err != nil:
		return nil, err
	case reused:
		a.logger.WarnContext(ctx, "auth: a rotated refresh token was presented again; the session is revoked", "user", s.User, "session", sid)
		return nil, errBadRefresh
	}
	u, err := a.loadUser(ctx, s.User)
	if err != nil {
		return nil, err
	}
	if !u.usable() {
		return nil, errBadRefresh
	}
	return a.tokens(ctx, u.id, userData{Email: u.email, Name: u.name, Roles: u.roles, Disabled: u.disabled}, u.epoch, sid+"."+next)
}

// equalHash compares two hex hashes in constant time.
func equalHash(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Logout revokes the session of a refresh token (its current or an older
// secret). A token that is malformed, unknown or already revoked is not
// an error: logging out is idempotent and tells nothing about tokens.
func (a *Auth) Logout(ctx context.Context, token string) error {
	if _, err := a.service(); err != nil {
		return err
	}
	sid, secret, ok := parseRefresh(token)
	if !ok {
		return nil
	}
	presented := hashSecret(secret)
	_, err := patch(ctx, a, a.kinds.session, sid, func(d *sessionData) error {
		if d.Revoked {
			return errUnchanged
		}
		if !equalHash(presented, d.SecretHash) && !slices.ContainsFunc(d.Previous, func(h string) bool { return equalHash(presented, h) }) {
			return errUnchanged
		}
		d.Revoked = true
		return nil
	})
	if code := resource.CodeOf(err); code == resource.CodeNotFound || code == resource.CodeGone {
		return nil
	}
	return err
}

// Me returns the user of the principal of ctx; an anonymous caller gets
// a 401.
func (a *Auth) Me(ctx context.Context) (*User, error) {
	p := resource.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return nil, resource.Errorf(resource.CodeUnauthenticated, "log in first: this needs an access token")
	}
	var d userData
	if _, err := a.get(ctx, a.kinds.user, p.ID, &d); err != nil {
		if code := resource.CodeOf(err); code == resource.CodeNotFound || code == resource.CodeGone {
			return nil, errRevokedToken
		}
		return nil, err
	}
	u := userOf(p.ID, d)
	return &u, nil
}

// ChangePassword changes the password of the principal of ctx, which must
// have logged in (a personal access token cannot change its owner's
// password), after checking the old one: a wrong old password is a 403
// FORBIDDEN naming old_password. It bumps the credential's epoch, which
// revokes every session and personal access token of the user in the
// same transaction and makes every earlier access token fail at once,
// and returns the tokens of a new session. It is rate limited as Login.
func (a *Auth) ChangePassword(ctx context.Context, oldPassword, newPassword, addr string) (*Tokens, error) {
	if _, err := a.service(); err != nil {
		return nil, err
	}
	p := resource.PrincipalFrom(ctx)
	if p.IsAnonymous() {
		return nil, resource.Errorf(resource.CodeUnauthenticated, "log in first: changing a password needs an access token")
	}
	if !viaSession(p) {
		return nil, resource.Forbidden("a personal access token cannot change its owner's password; log in with the password")
	}
	if err := checkPassword("new_password", newPassword); err != nil {
		return nil, err
	}
	var u userData
	if _, err := a.get(ctx, a.kinds.user, p.ID, &u); err != nil {
		return nil, err
	}
	if err := a.checkLimits(ctx, addr, u.Email); err != nil {
		return nil, err
	}
	acc, err := a.findAccount(ctx, u.Email)
	if err != nil {
		return nil, err
	}
	if acc != nil && acc.id != p.ID {
		acc = nil // cannot happen while emails are unique
	}
	ok, err := a.checkAccountPassword(ctx, acc, oldPassword)
	if err != nil {
		return nil, err
	}
	if !ok {
		a.logger.InfoContext(ctx, "auth: password change refused: wrong old password", "user", p.ID, "addr", addr)
		return nil, &resource.Error{Code: resource.CodeForbidden, Detail: "old_password is not the current password",
			Fields: []resource.FieldError{{Field: "old_password", Message: "is not the current password"}}}
	}
	hash, err := a.hashPassword(newPassword)
	if err != nil {
		return nil, err
	}
	var cred credentialData
	_, err = patch(ctx, a, a.kinds.credential, acc.credID, func(d *credentialData) error {
		if d.Hash != acc.cred.Hash {
			return resource.Errorf(resource.CodeConflict, "the password was changed meanwhile; try again")
		}
		d.Hash, d.Epoch, d.ChangedAt = hash, d.Epoch+1, a.timestamp()
		cred = *d
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := a.resetAccount(ctx, u.Email); err != nil {
		return nil, err
	}
	a.logger.InfoContext(ctx, "auth: password changed", "user", p.ID)
	return a.startSession(ctx, p.ID, u, cred.Epoch)
}
