package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestLoginRefreshLogout(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend)
		id := v.createUser("alice@example.com", "correct horse", "editor")

		tok := v.login("alice@example.com", "correct horse")
		if tok.TokenType != "Bearer" || tok.ExpiresIn != int(DefaultAccessTTL.Seconds()) || tok.AccessToken == "" || tok.RefreshToken == "" {
			t.Fatalf("login answer = %+v", tok)
		}
		want := User{ID: id, Email: "alice@example.com", Name: "N alice@example.com", Roles: []string{"editor"}}
		if !equalUser(tok.User, want) {
			t.Errorf("user = %+v, want %+v", tok.User, want)
		}
		if !strings.HasPrefix(tok.AccessToken, "eyJ") || strings.Count(tok.RefreshToken, ".") != 1 || strings.HasPrefix(tok.RefreshToken, PATPrefix) {
			t.Errorf("token formats: access %.10s…, refresh %.10s…", tok.AccessToken, tok.RefreshToken)
		}

		code, p := v.whoami(tok.AccessToken)
		if code != http.StatusOK || p.ID != id || !slices.Equal(p.Roles, []string{"editor"}) || p.Claims["auth"] != "jwt" || p.Claims["email"] != "alice@example.com" {
			t.Fatalf("whoami = %d %+v", code, p)
		}
		r := v.do(http.MethodGet, "/api/auth/me", tok.AccessToken, nil)
		wantStatus(t, r, http.StatusOK)
		if m := r.json(t); m["id"] != id || m["email"] != "alice@example.com" {
			t.Errorf("me = %v", m)
		}
		wantStatus(t, v.do(http.MethodGet, "/api/auth/me", "", nil), http.StatusUnauthorized)
		if code, p := v.whoami(""); code != http.StatusOK || !p.IsAnonymous() {
			t.Errorf("no token: %d %+v, want anonymous", code, p)
		}

		// Rotation: the new refresh token works, the old one does not, and
		// presenting the old one revokes the whole family.
		r = v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
		wantStatus(t, r, http.StatusOK)
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q", cc)
		}
		var tok2 Tokens
		decode(t, r.Body, &tok2)
		if tok2.RefreshToken == tok.RefreshToken || tok2.AccessToken == "" || tok2.User.ID != id {
			t.Fatalf("refresh answer = %+v", tok2)
		}
		r = v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok2.RefreshToken})
		wantStatus(t, r, http.StatusOK)
		var tok3 Tokens
		decode(t, r.Body, &tok3)

		r = v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
		wantStatus(t, r, http.StatusUnauthorized)
		if !strings.Contains(v.logs.String(), "presented again") {
			t.Errorf("reuse not logged:\n%s", v.logs)
		}
		r = v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok3.RefreshToken})
		wantStatus(t, r, http.StatusUnauthorized) // the family is revoked

		// Logout revokes the session of a second login.
		tok4 := v.login("ALICE@example.com", "correct horse")
		wantStatus(t, v.do(http.MethodPost, "/api/auth/logout", "", map[string]string{"refresh_token": tok4.RefreshToken}), http.StatusNoContent)
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok4.RefreshToken}), http.StatusUnauthorized)
		// Unknown and malformed tokens log out quietly.
		wantStatus(t, v.do(http.MethodPost, "/api/auth/logout", "", map[string]string{"refresh_token": "nope"}), http.StatusNoContent)
		wantStatus(t, v.do(http.MethodPost, "/api/auth/logout", "", map[string]string{"refresh_token": "0190.AAAAAAAAAAAAAAAAAAAAAAAA"}), http.StatusNoContent)
		// Malformed refresh tokens are 401s; a missing one a 422.
		for _, bad := range []string{"", "x", "abc.def", id + ".", tok4.RefreshToken + "x"} {
			wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": bad}), http.StatusUnauthorized)
		}
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{}), http.StatusUnprocessableEntity)
	})
}

func TestRefreshExpiry(t *testing.T) {
	v := newEnv(t, "memory", func(c *Config) { c.RefreshTTL = time.Hour; c.AccessTTL = time.Minute })
	v.createUser("a@example.com", "password1", "viewer")
	tok := v.login("a@example.com", "password1")
	v.clock.Advance(2 * time.Minute)
	wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))
	// Each refresh extends the session by RefreshTTL.
	v.clock.Advance(50 * time.Minute)
	r := v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken})
	wantStatus(t, r, http.StatusOK)
	var tok2 Tokens
	decode(t, r.Body, &tok2)
	if code, _ := v.whoami(tok2.AccessToken); code != http.StatusOK {
		t.Fatalf("refreshed access token: %d", code)
	}
	v.clock.Advance(50 * time.Minute)
	r = v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok2.RefreshToken})
	wantStatus(t, r, http.StatusOK)
	var tok3 Tokens
	decode(t, r.Body, &tok3)
	v.clock.Advance(61 * time.Minute)
	wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok3.RefreshToken}), http.StatusUnauthorized)
}

func TestLoginRefusalsLookAlike(t *testing.T) {
	v := newEnv(t, "memory")
	v.createUser("alice@example.com", "correct horse", "editor")
	off := v.createUser("off@example.com", "correct horse", "editor")
	v.patchUser(off, map[string]any{"disabled": true})
	v.createUser("nopass@example.com", "", "editor")

	tests := []struct {
		name, email, password string
	}{
		{name: "unknown email", email: "bob@example.com", password: "correct horse"},
		{name: "wrong password", email: "alice@example.com", password: "wrong horse"},
		{name: "disabled user", email: "off@example.com", password: "correct horse"},
		{name: "user without password", email: "nopass@example.com", password: "correct horse"},
		{name: "empty email", email: "", password: "correct horse"},
		{name: "substring of an email", email: "lice@example.com", password: "correct horse"},
	}
	var details []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := v.a.argonCalls.Load()
			r := v.do(http.MethodPost, "/api/auth/login", "", map[string]string{"email": tt.email, "password": tt.password})
			wantStatus(t, r, http.StatusUnauthorized)
			details = append(details, r.json(t)["detail"].(string))
			// Every refusal runs argon2 exactly once, as a success does:
			// the time does not tell them apart.
			if n := v.a.argonCalls.Load() - before; n != 1 {
				t.Errorf("argon2 ran %d times, want 1", n)
			}
		})
	}
	for _, d := range details {
		if d != details[0] {
			t.Errorf("details differ: %q and %q", d, details[0])
		}
	}
	before := v.a.argonCalls.Load()
	v.login("Alice@Example.COM", "correct horse")
	if n := v.a.argonCalls.Load() - before; n != 1 {
		t.Errorf("a successful login ran argon2 %d times, want 1", n)
	}
	if strings.Contains(v.logs.String(), "correct horse") || strings.Contains(v.logs.String(), "wrong horse") {
		t.Errorf("a password reached the log:\n%s", v.logs)
	}
}

func TestEmailFold(t *testing.T) {
	v := newEnv(t, "memory")
	id := v.createUser("Mixed.Case@Example.com", "password1", "viewer")
	for _, email := range []string{"Mixed.Case@Example.com", "mixed.case@example.com", "MIXED.CASE@EXAMPLE.COM"} {
		if tok := v.login(email, "password1"); tok.User.ID != id {
			t.Errorf("login %s: user %s", email, tok.User.ID)
		}
	}
}

func TestPasswordChange(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend)
		id := v.createUser("alice@example.com", "old password", "editor")
		tok := v.login("alice@example.com", "old password")
		other := v.login("alice@example.com", "old password") // another device
		pat := v.createPAT(tok.AccessToken, map[string]any{"name": "ci"})

		r := v.do(http.MethodPost, "/api/auth/password", tok.AccessToken, map[string]string{"old_password": "wrong", "new_password": "new password"})
		wantStatus(t, r, http.StatusForbidden)
		if f := r.json(t)["errors"]; f == nil {
			t.Errorf("403 without field errors: %s", r.Body)
		}
		r = v.do(http.MethodPost, "/api/auth/password", tok.AccessToken, map[string]string{"old_password": "old password", "new_password": "short"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantStatus(t, v.do(http.MethodPost, "/api/auth/password", pat, map[string]string{"old_password": "old password", "new_password": "new password"}), http.StatusForbidden)
		wantStatus(t, v.do(http.MethodPost, "/api/auth/password", "", map[string]string{"old_password": "old password", "new_password": "new password"}), http.StatusUnauthorized)

		r = v.do(http.MethodPost, "/api/auth/password", tok.AccessToken, map[string]string{"old_password": "old password", "new_password": "new password"})
		wantStatus(t, r, http.StatusOK)
		var fresh Tokens
		decode(t, r.Body, &fresh)
		if fresh.User.ID != id {
			t.Fatalf("password answer = %+v", fresh)
		}
		// Every earlier token stops working at once.
		for name, bearer := range map[string]string{"access": tok.AccessToken, "other access": other.AccessToken, "pat": pat} {
			if code, _ := v.whoami(bearer); code != http.StatusUnauthorized {
				t.Errorf("%s token after the password change: %d, want 401", name, code)
			}
		}
		for _, rt := range []string{tok.RefreshToken, other.RefreshToken} {
			wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": rt}), http.StatusUnauthorized)
		}
		if code, _ := v.whoami(fresh.AccessToken); code != http.StatusOK {
			t.Errorf("new access token: %d", code)
		}
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": fresh.RefreshToken}), http.StatusOK)
		wantStatus(t, v.do(http.MethodPost, "/api/auth/login", "", map[string]string{"email": "alice@example.com", "password": "old password"}), http.StatusUnauthorized)
		v.login("alice@example.com", "new password")
	})
}

func TestAdminChangesApplyAtOnce(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend)
		id := v.createUser("alice@example.com", "password1", "editor", "viewer")
		tok := v.login("alice@example.com", "password1")
		pat := v.createPAT(tok.AccessToken, map[string]any{"name": "viewer only", "roles": []string{"viewer"}})
		if _, p := v.whoami(pat); !slices.Equal(p.Roles, []string{"viewer"}) || p.Claims["auth"] != "pat" {
			t.Fatalf("pat principal = %+v", p)
		}

		// Roles come from the user record, not from the token.
		v.patchUser(id, map[string]any{"roles": []string{"admin", "viewer"}})
		if _, p := v.whoami(tok.AccessToken); !slices.Equal(p.Roles, []string{"admin", "viewer"}) {
			t.Errorf("roles after the edit = %v", p.Roles)
		}
		if _, p := v.whoami(pat); !slices.Equal(p.Roles, []string{"viewer"}) {
			t.Errorf("pat roles after the edit = %v", p.Roles)
		}
		v.patchUser(id, map[string]any{"roles": []string{"admin"}})
		if _, p := v.whoami(pat); len(p.Roles) != 0 {
			t.Errorf("pat roles after losing viewer = %v, want none", p.Roles)
		}

		// Disabling ends every token at once, and re-enabling does not
		// revive them.
		v.patchUser(id, map[string]any{"disabled": true})
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", pat, nil))
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
		v.patchUser(id, map[string]any{"disabled": false})
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", pat, nil))
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
		tok = v.login("alice@example.com", "password1")

		// So does deleting the user; restoring does not revive them.
		if _, err := v.svc.Delete(sysCtx(), v.a.kinds.user, id, resourceWriteOptions()); err != nil {
			t.Fatal(err)
		}
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))
		if _, err := v.svc.Restore(sysCtx(), v.a.kinds.user, id, resourceWriteOptions()); err != nil {
			t.Fatal(err)
		}
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))

		// Purging removes the user's credential, sessions and tokens.
		v.login("alice@example.com", "password1")
		if err := v.svc.Purge(sysCtx(), v.a.kinds.user, id, resourceWriteOptions()); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"AuthCredential", "AuthSession", "AuthToken"} {
			if n := v.count(k, eq("user", id)); n != 0 {
				t.Errorf("%d %s left after the purge", n, k)
			}
		}
	})
}

func TestSwitchToDisabledRevision(t *testing.T) {
	v := newEnv(t, "memory")
	id := v.createUser("alice@example.com", "password1", "editor")
	v.patchUser(id, map[string]any{"disabled": true}) // revision 2
	v.patchUser(id, map[string]any{"disabled": false})
	tok := v.login("alice@example.com", "password1")
	if _, err := v.svc.Switch(sysCtx(), v.a.kinds.user, id, "2", resourceWriteOptions()); err != nil {
		t.Fatal(err)
	}
	wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))
}

func TestAccessTokenAttacks(t *testing.T) {
	v := newEnv(t, "memory")
	v.createUser("alice@example.com", "password1", "admin")
	tok := v.login("alice@example.com", "password1")
	parts := strings.Split(tok.AccessToken, ".")
	kid, key, err := v.a.keys.signing(t.Context(), v.a)
	if err != nil {
		t.Fatal(err)
	}
	var claims accessClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, &claims); err != nil {
		t.Fatal(err)
	}
	sign := func(m jwt.SigningMethod, key any, header map[string]any, c jwt.Claims) string {
		t.Helper()
		tk := jwt.NewWithClaims(m, c)
		for k, x := range header {
			tk.Header[k] = x
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	admin := claims
	admin.Subject = "someone-else"
	expired := claims
	expired.ExpiresAt = jwt.NewNumericDate(v.clock.Now().Add(-time.Second))
	noExp := claims
	noExp.ExpiresAt = nil
	otherIss := claims
	otherIss.Issuer = "evil"
	oldEpoch := claims
	oldEpoch.Ver = claims.Ver - 1

	tests := []struct {
		name, token string
	}{
		{name: "tampered payload", token: parts[0] + "." + encodeSeg(t, admin) + "." + parts[2]},
		{name: "tampered signature", token: parts[0] + "." + parts[1] + "." + flip(parts[2])},
		{name: "alg none", token: sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": kid}, claims)},
		{name: "alg none without signature", token: encodeSeg(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}) + "." + parts[1] + "."},
		{name: "HS512 with the right key", token: sign(jwt.SigningMethodHS512, key, map[string]any{"kid": kid}, claims)},
		{name: "RS256 header", token: encodeSeg(t, map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + parts[1] + "." + parts[2]},
		{name: "unknown kid", token: sign(jwt.SigningMethodHS256, key, map[string]any{"kid": "k99"}, claims)},
		{name: "no kid", token: sign(jwt.SigningMethodHS256, key, nil, claims)},
		{name: "wrong key", token: sign(jwt.SigningMethodHS256, []byte("0123456789abcdef0123456789abcdef"), map[string]any{"kid": kid}, claims)},
		{name: "expired", token: sign(jwt.SigningMethodHS256, key, map[string]any{"kid": kid}, expired)},
		{name: "no expiry", token: sign(jwt.SigningMethodHS256, key, map[string]any{"kid": kid}, noExp)},
		{name: "other issuer", token: sign(jwt.SigningMethodHS256, key, map[string]any{"kid": kid}, otherIss)},
		{name: "old epoch", token: sign(jwt.SigningMethodHS256, key, map[string]any{"kid": kid}, oldEpoch)},
		{name: "unknown user", token: sign(jwt.SigningMethodHS256, key, map[string]any{"kid": kid}, admin)},
		{name: "garbage", token: "not-a-token"},
		{name: "refresh token as access token", token: tok.RefreshToken},
		{name: "pat-like", token: "sst_x_yyyyyyyyyyyyyyyyyyyyyyyyyyyy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tt.token, nil))
		})
	}
	t.Run("empty bearer", func(t *testing.T) {
		req := v.do(http.MethodGet, "/api/whoami", "", nil)
		wantStatus(t, req, http.StatusOK) // no header: anonymous
		r := v.doHeader("Bearer ")
		wantUnauthorized(t, r)
	})
	t.Run("other scheme is anonymous", func(t *testing.T) {
		r := v.doHeader("Basic dXNlcjpwYXNz")
		wantStatus(t, r, http.StatusOK)
	})
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		wantStatus(t, v.doHeader("bearer "+tok.AccessToken), http.StatusOK)
	})
	if code, _ := v.whoami(tok.AccessToken); code != http.StatusOK {
		t.Errorf("the genuine token: %d", code)
	}
}
