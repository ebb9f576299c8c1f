package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Cookies of the admin. They are scoped to the admin's path, HttpOnly,
// SameSite=Lax and Secure when the request came over TLS.
const (
	accessCookie  = "specstar_admin_access"  // the login's access token (JWT)
	refreshCookie = "specstar_admin_refresh" // the login's refresh token
	csrfCookie    = "specstar_admin_csrf"    // the CSRF token every form echoes
	csrfField     = "csrf"                   // the form field that carries it
)

// refreshTTL bounds the refresh cookie; auth's refresh tokens end on
// their own, this only lets the browser forget a dead one.
const refreshTTL = 30 * 24 * time.Hour

// sessions turns the admin's cookies into the request's principal.
//
// The admin logs in through runtime/auth like any client: the access
// token and the refresh token of the login live in HttpOnly cookies. When
// the access token has ended, the refresh token gets a new pair. auth
// rotates refresh tokens and revokes a login whose used token comes back,
// so concurrent requests of one browser (htmx, tabs) must not refresh
// twice with one token: recent refreshes are remembered for a minute and
// shared.
type sessions struct {
	auth *auth.Auth
	mu   sync.Mutex
	done map[string]*refreshed // refresh token -> its refresh
}

// refreshed is one refresh of a token, shared by the requests that
// presented it.
type refreshed struct {
	once   sync.Once
	tokens *auth.Tokens
	err    error
	at     time.Time
}

// sharedRefreshFor is how long a refresh's result is shared.
const sharedRefreshFor = time.Minute

// refresh returns the tokens that follow token, refreshing once per token.
func (s *sessions) refresh(c echo.Context, token string) (*auth.Tokens, error) {
	s.mu.Lock()
	if s.done == nil {
		s.done = make(map[string]*refreshed)
	}
	now := time.Now()
	for k, r := range s.done {
		if now.Sub(r.at) > sharedRefreshFor {
			delete(s.done, k)
		}
	}
	r, ok := s.done[token]
	if !ok {
		r = &refreshed{at: now}
		s.done[token] = r
	}
	s.mu.Unlock()
	r.once.Do(func() {
		r.tokens, r.err = s.auth.Refresh(c.Request().Context(), token)
	})
	return r.tokens, r.err
}

// principal returns the principal of the request's cookies, refreshing an
// ended access token (and setting the new cookies); nil when the request
// has no usable login.
func (s *sessions) principal(c echo.Context) *resource.Principal {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(accessCookie); err == nil && ck.Value != "" {
		if p, err := s.auth.Authenticate(ctx, ck.Value); err == nil && p != nil {
			return p
		}
	}
	ck, err := c.Cookie(refreshCookie)
	if err != nil || ck.Value == "" {
		return nil
	}
	t, err := s.refresh(c, ck.Value)
	if err != nil {
		clearCookie(c, refreshCookie)
		clearCookie(c, accessCookie)
		return nil
	}
	setTokens(c, t)
	p, err := s.auth.Authenticate(ctx, t.AccessToken)
	if err != nil {
		return nil
	}
	return p
}

// setTokens stores a login's tokens in the admin's cookies.
func setTokens(c echo.Context, t *auth.Tokens) {
	setCookie(c, accessCookie, t.AccessToken, time.Duration(t.ExpiresIn)*time.Second)
	setCookie(c, refreshCookie, t.RefreshToken, refreshTTL)
}

// cookiePath is the path of the admin's cookies: the mount point.
func cookiePath(c echo.Context) string {
	if p, ok := c.Get(baseKey).(string); ok && p != "" {
		return p
	}
	return "/"
}

func setCookie(c echo.Context, name, value string, ttl time.Duration) {
	c.SetCookie(&http.Cookie{
		Name:     name,
		Value:    value,
		Path:     cookiePath(c),
		MaxAge:   int(ttl.Seconds()),
		HttpOnly: true,
		Secure:   c.IsTLS(),
		SameSite: http.SameSiteLaxMode,
	})
}

func clearCookie(c echo.Context, name string) {
	c.SetCookie(&http.Cookie{
		Name:     name,
		Value:    "",
		Path:     cookiePath(c),
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   c.IsTLS(),
		SameSite: http.SameSiteLaxMode,
	})
}

// csrfToken returns the request's CSRF token, creating it (and its
// cookie) on the first page a browser gets. Every form carries it in
// csrfField; checkCSRF compares the two (the double-submit pattern: a
// forging site can make the browser send the cookie, not read it).
func csrfToken(c echo.Context) string {
	if t, ok := c.Get(csrfKey).(string); ok {
		return t
	}
	if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		c.Set(csrfKey, ck.Value)
		return ck.Value
	}
	var b [32]byte
	rand.Read(b[:])
	t := base64.RawURLEncoding.EncodeToString(b[:])
	setCookie(c, csrfCookie, t, refreshTTL)
	c.Set(csrfKey, t)
	return t
}

// errCSRF answers a state-changing request that fails the CSRF checks.
var errCSRF = resource.NewError(http.StatusForbidden, resource.CodeForbidden, "the form is stale or was sent from another site (CSRF check failed); reload the page and try again")

// checkCSRF refuses a state-changing request whose form (or X-CSRF-Token
// header, which htmx sends) does not carry the cookie's token. Cross-site
// requests are also refused by their Sec-Fetch-Site or Origin header
// (net/http's CrossOriginProtection) before this runs.
func checkCSRF(c echo.Context) error {
	ck, err := c.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 32 {
		return errCSRF
	}
	sent := c.Request().Header.Get("X-CSRF-Token")
	if sent == "" {
		sent = c.FormValue(csrfField)
	}
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(sent)), []byte(ck.Value)) != 1 {
		return errCSRF
	}
	return nil
}
