package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Issuer is the "iss" claim of access tokens.
const Issuer = "specstar"

// PATPrefix starts every personal access token, which reads
// "sst_<token id>_<secret>": unlike a JWT (which starts "eyJ"), it is
// recognisable in logs and by secret scanners.
const PATPrefix = "sst_"

// accessClaims are the claims of an access token.
type accessClaims struct {
	jwt.RegisteredClaims
	// Ver is the epoch of the user's credential when the token was
	// issued; a token of an older epoch is refused.
	Ver int64 `json:"ver"`
}

// parser checks access tokens: HS256 only (so "none" and every other
// algorithm, RS256 included, are refused before any key is looked up),
// issuer "specstar", an expiry required. iat is not checked: only the
// servers can sign, and a clock a second ahead on the issuing instance
// would otherwise make its fresh tokens fail on the others.
func (a *Auth) parser() *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(a.now),
	)
}

// issueAccess signs an access token for user at epoch and returns it with
// its lifetime.
func (a *Auth) issueAccess(ctx context.Context, user string, epoch int64) (string, time.Duration, error) {
	kid, key, err := a.keys.signing(ctx, a)
	if err != nil {
		return "", 0, err
	}
	now := a.now()
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	ttl := a.cfg.AccessTTL
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, accessClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   user,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		Ver: epoch,
	})
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	return s, ttl, err
}

// Errors of credentials that do not authenticate (401). Their details
// say what a client can act on, never why a signature failed.
var (
	errInvalidToken = resource.Errorf(resource.CodeUnauthenticated, "the access token is not valid")
	errExpiredToken = resource.Errorf(resource.CodeUnauthenticated, "the access token has expired; refresh it or log in again")
	errRevokedToken = resource.Errorf(resource.CodeUnauthenticated, "the access token is no longer valid (revoked, or the user's password or status changed); log in again")
)

// verifyAccess checks a JWT access token and returns its subject and
// epoch; a token verified before is only checked for expiry.
func (a *Auth) verifyAccess(ctx context.Context, token string) (*accessEntry, error) {
	if e, ok := a.cache.access.load(token); ok {
		if !a.now().Before(e.exp) {
			return nil, errExpiredToken
		}
		return e, nil
	}
	var c accessClaims
	_, err := a.parser().ParseWithClaims(token, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		key, ok := a.keys.lookup(ctx, a, kid)
		if !ok {
			return nil, errors.New("unknown kid")
		}
		return key, nil
	})
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, errExpiredToken
	case err != nil:
		return nil, errInvalidToken
	case c.Subject == "" || c.ExpiresAt == nil:
		return nil, errInvalidToken
	}
	e := &accessEntry{sub: c.Subject, ver: c.Ver, exp: c.ExpiresAt.Time}
	a.cache.access.store(token, e)
	return e, nil
}

// Authenticate returns the principal a bearer token (an access token or a
// personal access token, with or without the "Bearer " prefix) stands
// for, with the user's current roles. An empty bearer (without the
// prefix) returns a nil principal and no error: anonymous. A token that does not
// authenticate (malformed, bad signature, expired, revoked, unknown
// kid, of a disabled or deleted user, of an older credential epoch) is a
// 401 UNAUTHENTICATED *resource.Error; storage failures are other errors.
// GraphQL websocket connection_init payloads use it.
func (a *Auth) Authenticate(ctx context.Context, bearer string) (*resource.Principal, error) {
	if tok, ok := cutBearer(bearer); ok {
		if tok == "" {
			return nil, errInvalidToken // "Bearer " and nothing
		}
		bearer = tok
	}
	bearer = strings.TrimSpace(bearer)
	if bearer == "" {
		return nil, nil
	}
	return a.authenticate(ctx, bearer)
}

// authenticate is Authenticate for a bare, non-empty token.
func (a *Auth) authenticate(ctx context.Context, token string) (*resource.Principal, error) {
	if _, err := a.service(); err != nil {
		return nil, err
	}
	if strings.HasPrefix(token, PATPrefix) {
		return a.authenticatePAT(ctx, token)
	}
	e, err := a.verifyAccess(ctx, token)
	if err != nil {
		return nil, err
	}
	u, err := a.user(ctx, e.sub)
	if err != nil {
		return nil, err
	}
	if !u.usable() || u.epoch != e.ver {
		return nil, errRevokedToken
	}
	return u.principal, nil
}

// authenticatePAT checks a personal access token.
func (a *Auth) authenticatePAT(ctx context.Context, token string) (*resource.Principal, error) {
	id, secret, ok := parsePAT(token)
	if !ok {
		return nil, errInvalidToken
	}
	t, err := a.pat(ctx, id)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	if !t.exists || subtle.ConstantTimeCompare(sum[:], t.secretSum[:]) != 1 {
		return nil, errInvalidToken
	}
	if t.revoked {
		return nil, errRevokedToken
	}
	if t.expiresAt != nil && !a.now().Before(*t.expiresAt) {
		return nil, errExpiredToken
	}
	u, err := a.user(ctx, t.user)
	if err != nil {
		return nil, err
	}
	if !u.usable() {
		return nil, errRevokedToken
	}
	return t.principalFor(u), nil
}

// formatPAT returns the token string of PAT id with secret.
func formatPAT(id, secret string) string { return PATPrefix + id + "_" + secret }

// parsePAT splits "sst_<id>_<secret>". Ids hold no "_" (they are UUIDs);
// base64url secrets may.
func parsePAT(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, PATPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || id == "" || len(secret) < 16 {
		return "", "", false
	}
	return id, secret, true
}

// cutBearer returns the token of an Authorization header value with the
// Bearer scheme (case-insensitive, RFC 9110 §11.1).
func cutBearer(header string) (string, bool) {
	const scheme = "bearer"
	header = strings.TrimSpace(header)
	if len(header) < len(scheme) || !strings.EqualFold(header[:len(scheme)], scheme) {
		return "", false
	}
	rest := header[len(scheme):]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", false // another scheme ("Bearerx")
	}
	return strings.TrimSpace(rest), true
}

// invalidTokenChallenge is the WWW-Authenticate value of a 401 for a
// token that does not authenticate (RFC 6750 §3).
const invalidTokenChallenge = `Bearer error="invalid_token"`

// Middleware authenticates requests with an "Authorization: Bearer"
// header (an access token or a personal access token): the request's
// context gets the principal (resource.WithPrincipal). A request without
// the header, or with another scheme, goes on as anonymous. A token that
// does not authenticate is a 401 UNAUTHENTICATED problem with
// `WWW-Authenticate: Bearer error="invalid_token"`. Users and tokens are
// cached for about two seconds (see the package documentation), so an
// authenticated request normally costs no storage read.
func (a *Auth) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			header := req.Header.Get(echo.HeaderAuthorization)
			if header == "" {
				return next(c)
			}
			token, ok := cutBearer(header)
			if !ok {
				return next(c)
			}
			if token == "" {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, invalidTokenChallenge)
				return errInvalidToken
			}
			p, err := a.authenticate(req.Context(), token)
			if err != nil {
				if resource.CodeOf(err) == resource.CodeUnauthenticated {
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, invalidTokenChallenge)
				}
				return err
			}
			c.SetRequest(req.WithContext(resource.WithPrincipal(req.Context(), p)))
			return next(c)
		}
	}
}

// requireUser returns the principal of an authenticated request, or the
// 401 of an anonymous one.
func requireUser(c echo.Context) (*resource.Principal, error) {
	p := resource.PrincipalFrom(c.Request().Context())
	if p.IsAnonymous() {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, "Bearer")
		return nil, resource.Errorf(resource.CodeUnauthenticated, "log in first: this needs an access token (Authorization: Bearer …)")
	}
	return p, nil
}

// viaSession reports whether p authenticated with an access token (a
// login), not a personal access token.
func viaSession(p *resource.Principal) bool { return p.Claims["auth"] == "jwt" }
