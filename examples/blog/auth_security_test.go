package main

// The bad input and security tests of issue 12, against the blog server
// on memory, SQLite and PostgreSQL: forged and stale tokens, refresh
// token reuse, revocation at once, users granting themselves roles, field
// smuggling through PATCH, the login rate limit, the password hash in no
// output, GraphQL me, read rules on lists, relations and subscriptions,
// and the OpenAPI document's security. Helpers (azEnv, the oracle) are in
// auth_matrix_test.go.

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gqlclient "github.com/99designs/gqlgen/client"
	"github.com/golang-jwt/jwt/v5"

	"github.com/specstar-go/specstar/runtime/server"
)

// azSecret is the SPECSTAR_AUTH_SECRET of the token tests, so that they
// can sign tokens as the server does.
const azSecret = "an auth secret of the security tests (48 bytes)."

// azKid is the kid the server gives azSecret: "s-" and 12 hex digits of
// its SHA-256 (docs/auth.md: the kid names the key).
func azKid() string {
	sum := sha256.Sum256([]byte(azSecret))
	return "s-" + hex.EncodeToString(sum[:6])
}

// TestAuthSecurity runs the security tests on every auth backend.
func TestAuthSecurity(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, b backend)
	}{
		{"forged tokens", testAZForgedTokens},
		{"stored key", testAZStoredKey},
		{"refresh reuse", testAZRefreshReuse},
		{"revocation at once", testAZRevocation},
		{"no self-granted roles", testAZSelfGrant},
		{"field smuggling", testAZFieldSmuggling},
		{"login rate limit", testAZRateLimit},
		{"password never shown", testAZPasswordNeverShown},
		{"graphql me", testAZGraphQLMe},
		{"read rules on lists and relations", testAZReadRulesInLists},
		{"subscriptions", testAZSubscriptions},
		{"references to hidden rows", testAZHiddenRefs},
	}
	for _, b := range azBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) { tt.run(t, b) })
			}
			t.Logf("%s: security tests in %s", b.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// wantInvalidToken checks the 401 of a token that does not authenticate.
func wantInvalidToken(t *testing.T, what string, r *response) {
	t.Helper()
	checkProblem(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
	if got := r.Header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
		t.Errorf("%s: WWW-Authenticate %q, want Bearer error=\"invalid_token\"", what, got)
	}
}

// wantGQLUnauthenticated checks that a GraphQL call was refused as
// unauthenticated: an UNAUTHENTICATED error, or the 401 problem of the
// HTTP layer, which refuses a bad token before GraphQL runs (the
// subtest "GraphQL answer to a bad token" holds it to the documented
// GraphQL error).
func wantGQLUnauthenticated(t *testing.T, what string, res azGQLResult) {
	t.Helper()
	if res.status == http.StatusUnauthorized && len(res.errs) == 0 {
		var p struct{ Code string }
		if err := json.Unmarshal(res.body, &p); err != nil || p.Code != "UNAUTHENTICATED" {
			t.Errorf("%s: GraphQL 401 body %s, want an UNAUTHENTICATED problem", what, short(res.body))
		}
		return
	}
	azGQLCode(t, what, res, "UNAUTHENTICATED")
	if res.data != nil && res.data["me"] != nil {
		t.Errorf("%s: GraphQL answered me: %v", what, res.data["me"])
	}
}

// jwtSeg encodes a JWT segment.
func jwtSeg(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtClaims decodes the claims of a token without checking it.
func jwtClaims(t *testing.T, token string) jwt.MapClaims {
	t.Helper()
	c := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, c); err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	return c
}

// jwtSign signs claims with method and key, with the given header
// members.
func jwtSign(t *testing.T, m jwt.SigningMethod, key any, header map[string]any, c jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withClaims returns a copy of c with kv set (a nil value removes).
func withClaims(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// flipChar changes the character of s at i.
func flipChar(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// testAZForgedTokens sends forged, tampered and expired tokens, signed
// with the server's own secret where that makes the forgery stronger; a
// control token crafted the same way but valid shows that the forgeries
// fail for the one thing they get wrong.
func testAZForgedTokens(t *testing.T, b backend) {
	e := newAZEnv(t, b, func(cfg *server.Config) { cfg.AuthSecret = azSecret })
	admin := e.addUser(t, "admin", []string{"admin"})
	user := e.addUser(t, "reader", []string{"viewer"})
	claims := jwtClaims(t, user.access)
	parts := strings.Split(user.access, ".")
	var header map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if err := json.Unmarshal(raw, &header); err != nil {
		t.Fatal(err)
	}
	if header["alg"] != "HS256" || header["kid"] != azKid() {
		t.Fatalf("the server's token header is %v, want HS256 with kid %s", header, azKid())
	}
	key := []byte(azSecret)
	kid := map[string]any{"kid": azKid()}
	future := time.Now().Add(10 * time.Minute).Unix()
	past := time.Now().Add(-time.Minute).Unix()

	// The control: signed here as the server signs, it authenticates.
	control := jwtSign(t, jwt.SigningMethodHS256, key, kid, withClaims(claims, "exp", future, "jti", "control"))
	if r := e.call(t, &azUser{access: control}, "GET", "/api/auth/me", nil); r.Status != http.StatusOK || r.str(t, "id") != user.id {
		t.Fatalf("a token signed with the configured secret: %d %s", r.Status, short(r.Body))
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sig := parts[2]
	tests := []struct{ name, token string }{
		{"tampered signature", parts[0] + "." + parts[1] + "." + flipChar(sig, len(sig)/2)},
		{"tampered payload (another subject)", parts[0] + "." + jwtSeg(t, withClaims(claims, "sub", admin.id)) + "." + sig},
		{"tampered payload (later expiry)", parts[0] + "." + jwtSeg(t, withClaims(claims, "exp", future+3600)) + "." + sig},
		{"alg none", jwtSign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, claims)},
		{"alg none, no signature", jwtSeg(t, map[string]any{"alg": "none", "typ": "JWT", "kid": azKid()}) + "." + parts[1] + "."},
		{"alg NONE with the real signature", jwtSeg(t, map[string]any{"alg": "NONE", "typ": "JWT", "kid": azKid()}) + "." + parts[1] + "." + sig},
		{"RS256 header on an HS256 token", jwtSeg(t, map[string]any{"alg": "RS256", "typ": "JWT", "kid": azKid()}) + "." + parts[1] + "." + sig},
		{"RS256 signed with a key of the attacker", jwtSign(t, jwt.SigningMethodRS256, rsaKey, kid, withClaims(claims, "exp", future))},
		{"HS512 with the right secret", jwtSign(t, jwt.SigningMethodHS512, key, kid, withClaims(claims, "exp", future))},
		{"expired", jwtSign(t, jwt.SigningMethodHS256, key, kid, withClaims(claims, "exp", past))},
		{"no expiry", jwtSign(t, jwt.SigningMethodHS256, key, kid, withClaims(claims, "exp", nil))},
		{"unknown kid", jwtSign(t, jwt.SigningMethodHS256, key, map[string]any{"kid": "s-000000000000"}, withClaims(claims, "exp", future))},
		{"stored-key kid", jwtSign(t, jwt.SigningMethodHS256, key, map[string]any{"kid": "k1"}, withClaims(claims, "exp", future))},
		{"no kid", jwtSign(t, jwt.SigningMethodHS256, key, nil, withClaims(claims, "exp", future))},
		{"right kid, wrong secret", jwtSign(t, jwt.SigningMethodHS256, []byte(strings.ToUpper(azSecret)), kid, withClaims(claims, "exp", future))},
		{"other issuer", jwtSign(t, jwt.SigningMethodHS256, key, kid, withClaims(claims, "exp", future, "iss", "evil"))},
		{"older credential epoch", jwtSign(t, jwt.SigningMethodHS256, key, kid, withClaims(claims, "exp", future, "ver", claims["ver"].(float64)-1))},
		{"unknown user", jwtSign(t, jwt.SigningMethodHS256, key, kid, withClaims(claims, "exp", future, "sub", "01900000-0000-7000-8000-000000000000"))},
		{"refresh token as access token", user.refresh},
		{"garbage", "not.a.token"},
		{"a personal access token that does not exist", "sst_01900000-0000-7000-8000-000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	}
	postsBefore := e.countAll(t, "Post")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := []string{"Authorization", "Bearer " + tt.token}
			c := e.client(t)
			// Refused on a route that needs a user, on a public route (a bad
			// token is never taken for anonymous) and on a write.
			wantInvalidToken(t, "me", c.do("GET", "/api/auth/me", nil, auth...))
			wantInvalidToken(t, "public list", c.do("GET", "/api/authors", nil, auth...))
			wantInvalidToken(t, "create", c.do("POST", "/api/posts", map[string]any{"title": "Forged", "author": "x"}, auth...))
			wantGQLUnauthenticated(t, "GraphQL me", e.gqlHeaders(t, `{ me { id } }`, nil, auth...))
		})
	}
	if n := e.countAll(t, "Post"); n != postsBefore {
		t.Errorf("forged tokens wrote posts: %d, was %d", n, postsBefore)
	}
	// docs/auth.md: a bad token answers GraphQL with extensions.code
	// UNAUTHENTICATED, like every other GraphQL error.
	t.Run("GraphQL answer to a bad token", func(t *testing.T) {
		res := e.gqlHeaders(t, `{ me { id } }`, nil, "Authorization", "Bearer "+tests[0].token)
		if len(res.errs) != 1 || res.errs[0].Extensions.Code != "UNAUTHENTICATED" {
			t.Errorf("GraphQL with a tampered token: HTTP %d %s, want a GraphQL error with extensions.code UNAUTHENTICATED", res.status, short(res.body))
		}
	})
	// "Authorization: Bearer" with no token (a client sending "Bearer "
	// with an empty token: HTTP drops the trailing space) is a bad
	// token, not an anonymous request.
	t.Run("bare Bearer scheme", func(t *testing.T) {
		for _, h := range []string{"Bearer", "Bearer ", "bearer  "} {
			r := e.raw(t, "GET", "/api/authors", nil, "Authorization", h)
			if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != `Bearer error="invalid_token"` {
				t.Errorf("GET /api/authors with Authorization %q: %d (WWW-Authenticate %q), want 401 invalid_token; body %s",
					h, r.Status, r.Header.Get("WWW-Authenticate"), short(r.Body))
			}
		}
	})
	// The genuine token still works, and admin's is still admin's.
	if r := e.call(t, user, "GET", "/api/auth/me", nil); r.Status != http.StatusOK {
		t.Errorf("the genuine token: %d", r.Status)
	}
	if r := e.call(t, admin, "GET", "/api/users", nil); r.Status != http.StatusOK {
		t.Errorf("admin's token: %d", r.Status)
	}
}

// testAZStoredKey checks tokens on a server without SPECSTAR_AUTH_SECRET,
// whose key is generated and stored in the database: a token signed with
// any key of the caller's for the stored kid, or for another kid, fails.
func testAZStoredKey(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	user := e.addUser(t, "reader", []string{"viewer"})
	parts := strings.Split(user.access, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var header map[string]any
	if err := json.Unmarshal(raw, &header); err != nil {
		t.Fatal(err)
	}
	if header["kid"] != "k1" {
		t.Errorf("the stored key's kid is %v, want k1", header["kid"])
	}
	claims := withClaims(jwtClaims(t, user.access), "exp", time.Now().Add(time.Hour).Unix())
	for _, tt := range []struct{ name, token string }{
		{"stored kid, guessed key", jwtSign(t, jwt.SigningMethodHS256, []byte(azSecret), map[string]any{"kid": "k1"}, claims)},
		{"next kid", jwtSign(t, jwt.SigningMethodHS256, []byte(azSecret), map[string]any{"kid": "k2"}, claims)},
		{"secret kid", jwtSign(t, jwt.SigningMethodHS256, []byte(azSecret), map[string]any{"kid": azKid()}, claims)},
	} {
		wantInvalidToken(t, tt.name, e.client(t).do("GET", "/api/auth/me", nil, "Authorization", "Bearer "+tt.token))
	}
	if r := e.call(t, user, "GET", "/api/auth/me", nil); r.Status != http.StatusOK {
		t.Errorf("the genuine token: %d", r.Status)
	}
}

// refresh posts a refresh token.
func (e *azEnv) refreshWith(t *testing.T, token string) *response {
	t.Helper()
	return e.client(t).do("POST", "/api/auth/refresh", map[string]any{"refresh_token": token})
}

// testAZRefreshReuse: refresh tokens rotate, and presenting a rotated one
// again revokes its whole login, not the user's other logins.
func testAZRefreshReuse(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	u := e.addUser(t, "reader", []string{"viewer"})
	first := u.refresh
	other := &azUser{azWho: u.azWho, email: u.email, password: u.password}
	e.login(t, other) // a second login of the same user

	r := e.refreshWith(t, first)
	if r.Status != http.StatusOK {
		t.Fatalf("refresh: %d %s", r.Status, short(r.Body))
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("refresh answer Cache-Control %q, want no-store", r.Header.Get("Cache-Control"))
	}
	second := r.str(t, "refresh_token")
	access := r.str(t, "access_token")
	if second == first {
		t.Fatal("refresh returned the same refresh token")
	}
	if r := e.call(t, &azUser{access: access}, "GET", "/api/auth/me", nil); r.Status != http.StatusOK {
		t.Errorf("the refreshed access token: %d", r.Status)
	}
	// The rotated token is refused, and its reuse revokes the family: the
	// token that replaced it stops working too.
	checkProblem(t, e.refreshWith(t, first), http.StatusUnauthorized, "UNAUTHENTICATED")
	checkProblem(t, e.refreshWith(t, second), http.StatusUnauthorized, "UNAUTHENTICATED")
	// The other login is another family.
	r = e.refreshWith(t, other.refresh)
	if r.Status != http.StatusOK {
		t.Fatalf("the other login's refresh: %d %s", r.Status, short(r.Body))
	}
	third := r.str(t, "refresh_token")
	// Logout ends a login; an unknown token logs out quietly.
	e.client(t).must(http.StatusNoContent, "POST", "/api/auth/logout", map[string]any{"refresh_token": third})
	checkProblem(t, e.refreshWith(t, third), http.StatusUnauthorized, "UNAUTHENTICATED")
	e.client(t).must(http.StatusNoContent, "POST", "/api/auth/logout", map[string]any{"refresh_token": "no.such-token"})
	// A tampered refresh token (the right session, another secret).
	session, _, _ := strings.Cut(other.refresh, ".")
	checkProblem(t, e.refreshWith(t, session+".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), http.StatusUnauthorized, "UNAUTHENTICATED")
}

// testAZRevocation: disabling a user, changing their password or deleting
// them ends their access tokens at once.
func testAZRevocation(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	admin := e.addUser(t, "admin", []string{"admin"})
	u := e.addUser(t, "reader", []string{"viewer"})
	path := "/api/users/" + u.id
	merge := []string{"Content-Type", "application/merge-patch+json"}
	if r := e.call(t, u, "GET", "/api/auth/me", nil); r.Status != http.StatusOK {
		t.Fatalf("me: %d", r.Status)
	}

	// Disabled: the access token, the refresh token and the password stop
	// working at once.
	e.call(t, admin, "PATCH", path, map[string]any{"disabled": true}, merge...)
	wantInvalidToken(t, "disabled user's token", e.call(t, u, "GET", "/api/auth/me", nil))
	wantInvalidToken(t, "disabled user's token on a public route", e.call(t, u, "GET", "/api/posts", nil))
	wantGQLUnauthenticated(t, "disabled user's GraphQL me", e.gql(t, u, `{ me { id } }`, nil))
	checkProblem(t, e.refreshWith(t, u.refresh), http.StatusUnauthorized, "UNAUTHENTICATED")
	bad := e.client(t).do("POST", "/api/auth/login", map[string]any{"email": u.email, "password": u.password})
	wrong := e.client(t).do("POST", "/api/auth/login", map[string]any{"email": u.email, "password": "not the password"})
	checkProblem(t, bad, http.StatusUnauthorized, "UNAUTHENTICATED")
	if string(bad.Body) != string(wrong.Body) {
		t.Errorf("a disabled user's login %s differs from a wrong password's %s", bad.Body, wrong.Body)
	}

	// Enabled again: the old tokens stay dead; a new login works.
	e.call(t, admin, "PATCH", path, map[string]any{"disabled": false}, merge...)
	wantInvalidToken(t, "re-enabled user's old token", e.call(t, u, "GET", "/api/auth/me", nil))
	e.login(t, u)

	// A password set by an admin ends the tokens and the old password.
	old := u.password
	u.password = "a brand new password"
	e.call(t, admin, "PATCH", path, map[string]any{"password": u.password}, merge...)
	wantInvalidToken(t, "token after a password change", e.call(t, u, "GET", "/api/auth/me", nil))
	checkProblem(t, e.client(t).do("POST", "/api/auth/login", map[string]any{"email": u.email, "password": old}), http.StatusUnauthorized, "UNAUTHENTICATED")
	e.login(t, u)

	// The user's own password change ends their other logins.
	before := *u
	r := e.call(t, u, "POST", "/api/auth/password", map[string]any{"old_password": u.password, "new_password": "the third password"})
	if r.Status != http.StatusOK {
		t.Fatalf("password change: %d %s", r.Status, short(r.Body))
	}
	wantInvalidToken(t, "token of before the own password change", e.call(t, &before, "GET", "/api/auth/me", nil))
	checkProblem(t, e.refreshWith(t, before.refresh), http.StatusUnauthorized, "UNAUTHENTICATED")
	u.access, u.refresh, u.password = r.str(t, "access_token"), r.str(t, "refresh_token"), "the third password"
	if r := e.call(t, u, "GET", "/api/auth/me", nil); r.Status != http.StatusOK {
		t.Errorf("the new login's token: %d", r.Status)
	}
	// A wrong old password is a 403 and changes nothing.
	checkProblem(t, e.call(t, u, "POST", "/api/auth/password", map[string]any{"old_password": "wrong wrong", "new_password": "a fourth password"}),
		http.StatusForbidden, "FORBIDDEN")
	e.login(t, u)

	// Deleted: the token dies.
	e.call(t, admin, "DELETE", path, nil)
	wantInvalidToken(t, "deleted user's token", e.call(t, u, "GET", "/api/auth/me", nil))
}

// testAZSelfGrant: nobody but an admin edits users, so nobody grants
// themselves a role or edits another user; nothing is written.
func testAZSelfGrant(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	e.addUser(t, "admin", []string{"admin"})
	viewer := e.addUser(t, "viewer", []string{"viewer"})
	editor := e.addUser(t, "editor", []string{"editor"})
	plain := e.addUser(t, "plain", nil)
	other := e.addUser(t, "other", []string{"viewer"})
	merge := []string{"Content-Type", "application/merge-patch+json"}
	jsonPatch := []string{"Content-Type", "application/json-patch+json"}

	type attempt struct {
		name   string
		method string
		target *azUser
		body   any
		header []string
	}
	for _, u := range []*azUser{viewer, editor, plain} {
		attempts := []attempt{
			{"merge patch of own roles", "PATCH", u, map[string]any{"roles": []string{"admin"}}, merge},
			{"JSON Patch adding a role", "PATCH", u, []any{map[string]any{"op": "add", "path": "/roles/-", "value": "admin"}}, jsonPatch},
			{"JSON Patch replacing roles", "PATCH", u, []any{map[string]any{"op": "replace", "path": "/roles", "value": []string{"admin"}}}, jsonPatch},
			{"PUT with roles", "PUT", u, map[string]any{"email": u.email, "name": u.name, "roles": []string{"admin", "editor"}}, nil},
			{"rename self", "PATCH", u, map[string]any{"name": "Me"}, merge},
			{"another user's name", "PATCH", other, map[string]any{"name": "Pwned"}, merge},
			{"another user's password", "PATCH", other, map[string]any{"password": "taken over, mine now"}, merge},
			{"another user's roles", "PATCH", other, map[string]any{"roles": []string{}}, merge},
			{"disable another user", "PATCH", other, map[string]any{"disabled": true}, merge},
			{"delete another user", "DELETE", other, nil, nil},
			{"switch another user", "POST", other, nil, nil},
		}
		for _, a := range attempts {
			t.Run(u.name+"/"+a.name, func(t *testing.T) {
				before := e.snap(t, azUserKind, a.target.id)
				path := "/api/users/" + a.target.id
				if a.name == "switch another user" {
					path += "/switch/1"
				}
				checkProblem(t, e.call(t, u, a.method, path, a.body, a.header...), http.StatusForbidden, "FORBIDDEN")
				if after := e.snap(t, azUserKind, a.target.id); !azSameSnap(before, after) {
					t.Errorf("refused: the user changed from %v to %v", before, after)
				}
			})
		}
		// GraphQL: the same refusals.
		for _, q := range []string{
			`mutation($id: ID!) { patchUser(id: $id, patch: {roles: ["ADMIN"]}) { id } }`,
			`mutation($id: ID!) { updateUser(id: $id, input: {email: "x@example.com", roles: [ADMIN]}) { id } }`,
		} {
			before := e.snap(t, azUserKind, u.id)
			azGQLCode(t, u.name+": "+q, e.gql(t, u, q, map[string]any{"id": u.id}), "FORBIDDEN")
			if after := e.snap(t, azUserKind, u.id); !azSameSnap(before, after) {
				t.Errorf("GraphQL refusal changed the user: %v to %v", before, after)
			}
		}
		// Creating an admin is refused too.
		n := e.countAll(t, azUserKind)
		checkProblem(t, e.call(t, u, "POST", "/api/users", map[string]any{"email": "new-admin-" + u.name + "@example.com", "roles": []string{"admin"}, "password": "a long password"}),
			http.StatusForbidden, "FORBIDDEN")
		azGQLCode(t, u.name+": createUser", e.gql(t, u, `mutation { createUser(input: {email: "gql-admin@example.com", roles: [ADMIN]}) { id } }`, nil), "FORBIDDEN")
		if got := e.countAll(t, azUserKind); got != n {
			t.Errorf("refused creates changed the count of users from %d to %d", n, got)
		}
		// A personal access token cannot hold a role its owner lacks.
		fields := checkProblem(t, e.call(t, u, "POST", "/api/auth/tokens", map[string]any{"name": "escalate", "roles": []string{"admin"}}),
			http.StatusForbidden, "FORBIDDEN")
		wantFields(t, u.name+": token with admin", fields, []string{"roles"})
		// The roles are unchanged: still no access to the users.
		got := e.snap(t, azUserKind, u.id).data["roles"]
		if !azJSONEq(got, u.roles) {
			t.Errorf("%s's roles are now %v, want %v", u.name, got, u.roles)
		}
		checkProblem(t, e.call(t, u, "GET", "/api/users", nil), http.StatusForbidden, "FORBIDDEN")
	}
	// /api/auth/me is read-only.
	r := e.call(t, viewer, "PATCH", "/api/auth/me", map[string]any{"roles": []string{"admin"}}, merge...)
	if r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
		t.Errorf("PATCH /api/auth/me: %d, want 405 or 404", r.Status)
	}
	// The other user can still log in with their password.
	e.login(t, other)
}

// testAZFieldSmuggling: a caller without the editor role cannot change
// Post.featured (write: role:editor) or Post.review_notes (read and write:
// role:editor) through merge patches, JSON Patches, PUT, creates or
// GraphQL, and never learns review_notes.
func testAZFieldSmuggling(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	admin := e.addUser(t, "admin", []string{"admin"})
	editor := e.addUser(t, "editor", []string{"editor"})
	owner := e.addUser(t, "owner", nil)
	viewer := e.addUser(t, "viewer", []string{"viewer"})
	author := e.call(t, admin, "POST", "/api/authors", map[string]any{"name": "Ada", "email": "ada@example.com"}).str(t, "meta.resource_id")
	const secret = "the secret review of the editors"
	r := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": "Mine", "author": author})
	if r.Status != http.StatusCreated {
		t.Fatalf("owner's post: %d %s", r.Status, short(r.Body))
	}
	id := r.str(t, "meta.resource_id")
	path := "/api/posts/" + id
	// Another post of the owner's, without notes.
	plain := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": "Plain", "author": author}).str(t, "meta.resource_id")
	merge := []string{"Content-Type", "application/merge-patch+json"}
	jsonPatch := []string{"Content-Type", "application/json-patch+json"}
	r = e.call(t, editor, "PATCH", path, map[string]any{"review_notes": secret}, merge...)
	if r.Status != http.StatusOK || r.str(t, "data.review_notes") != secret {
		t.Fatalf("editor's notes: %d %s", r.Status, short(r.Body))
	}

	// refused checks a write that must be a 403 naming field and write
	// nothing, and that its answer does not hold the secret.
	refused := func(t *testing.T, u *azUser, field, method string, body any, header ...string) *response {
		t.Helper()
		before := e.snap(t, "Post", id)
		r := e.call(t, u, method, path, body, header...)
		fields := checkProblem(t, r, http.StatusForbidden, "FORBIDDEN")
		if field != "" {
			wantFields(t, r.req, fields, []string{field})
			if !strings.Contains(string(r.Body), field) {
				t.Errorf("the refusal does not name %s: %s", field, r.Body)
			}
		}
		if strings.Contains(string(r.Body), secret) {
			t.Errorf("the refusal shows the secret: %s", r.Body)
		}
		if after := e.snap(t, "Post", id); !azSameSnap(before, after) {
			t.Errorf("refused write changed the post: %v to %v", before, after)
		}
		return r
	}
	for _, u := range []*azUser{owner} {
		t.Run("merge patch featured", func(t *testing.T) {
			refused(t, u, "featured", "PATCH", map[string]any{"featured": true, "title": "Featured"}, merge...)
		})
		t.Run("JSON Patch replace featured", func(t *testing.T) {
			refused(t, u, "featured", "PATCH", []any{map[string]any{"op": "replace", "path": "/featured", "value": true}}, jsonPatch...)
		})
		t.Run("PUT featured", func(t *testing.T) {
			refused(t, u, "featured", "PUT", map[string]any{"title": "Mine", "author": author, "featured": true})
		})
		t.Run("merge patch review_notes", func(t *testing.T) {
			refused(t, u, "review_notes", "PATCH", map[string]any{"review_notes": "mine now"}, merge...)
		})
		t.Run("JSON Patch add review_notes", func(t *testing.T) {
			refused(t, u, "review_notes", "PATCH", []any{map[string]any{"op": "add", "path": "/review_notes", "value": "mine now"}}, jsonPatch...)
		})
		t.Run("JSON Patch replace review_notes", func(t *testing.T) {
			// The patch applies to the data the caller can see, where
			// review_notes is absent: refused as on a post without notes,
			// which tells nothing of the notes.
			replace := []any{map[string]any{"op": "replace", "path": "/review_notes", "value": "mine now"}}
			before := e.snap(t, "Post", id)
			r := e.call(t, u, "PATCH", path, replace, jsonPatch...)
			blank := e.call(t, u, "PATCH", "/api/posts/"+plain, replace, jsonPatch...)
			if r.Status < 400 || r.Status != blank.Status || string(r.Body) != strings.ReplaceAll(string(blank.Body), plain, id) {
				t.Errorf("replace /review_notes answers %d %s; on a post without notes %d %s", r.Status, r.Body, blank.Status, blank.Body)
			}
			if strings.Contains(string(r.Body), secret) {
				t.Errorf("the refusal shows the secret: %s", r.Body)
			}
			if after := e.snap(t, "Post", id); !azSameSnap(before, after) {
				t.Errorf("refused write changed the post: %v to %v", before, after)
			}
		})
		t.Run("PUT review_notes", func(t *testing.T) {
			refused(t, u, "review_notes", "PUT", map[string]any{"title": "Mine", "author": author, "review_notes": "mine now"})
		})
		t.Run("GraphQL", func(t *testing.T) {
			before := e.snap(t, "Post", id)
			for _, q := range []string{
				`mutation($id: ID!) { patchPost(id: $id, patch: {featured: true}) { id } }`,
				`mutation($id: ID!) { patchPost(id: $id, patch: {reviewNotes: "mine now"}) { id } }`,
				`mutation($id: ID!, $a: ID!) { updatePost(id: $id, input: {title: "Mine", author: $a, reviewNotes: "mine now"}) { id } }`,
				`mutation($id: ID!, $a: ID!) { updatePost(id: $id, input: {title: "Mine", author: $a, featured: true}) { id } }`,
			} {
				res := e.gql(t, u, q, map[string]any{"id": id, "a": author})
				azGQLCode(t, q, res, "FORBIDDEN")
				if len(res.errs) == 1 && len(res.errs[0].Extensions.Errors) != 1 {
					t.Errorf("%s: the error names no field: %s", q, res.body)
				}
				if strings.Contains(string(res.body), secret) {
					t.Errorf("%s shows the secret: %s", q, res.body)
				}
			}
			if after := e.snap(t, "Post", id); !azSameSnap(before, after) {
				t.Errorf("refused GraphQL writes changed the post: %v to %v", before, after)
			}
		})
	}

	// Probing the hidden value must not tell a right guess from a wrong
	// one: not with a JSON Patch test, not by sending it back unchanged.
	probes := []struct {
		name   string
		method string
		body   func(guess string) any
		header []string
	}{
		{"JSON Patch test", "PATCH", func(g string) any {
			return []any{map[string]any{"op": "test", "path": "/review_notes", "value": g},
				map[string]any{"op": "replace", "path": "/title", "value": "Probed"}}
		}, jsonPatch},
		{"merge patch", "PATCH", func(g string) any { return map[string]any{"review_notes": g, "title": "Probed"} }, merge},
		{"PUT", "PUT", func(g string) any { return map[string]any{"title": "Probed", "author": author, "review_notes": g} }, nil},
		{"JSON Patch add", "PATCH", func(g string) any {
			return []any{map[string]any{"op": "add", "path": "/review_notes", "value": g}}
		}, jsonPatch},
	}
	for _, p := range probes {
		t.Run("probe by "+p.name, func(t *testing.T) {
			before := e.snap(t, "Post", id)
			right := e.call(t, owner, p.method, path, p.body(secret), p.header...)
			wrong := e.call(t, owner, p.method, path, p.body("a wrong guess"), p.header...)
			if right.Status != wrong.Status || right.JSON == nil || wrong.JSON == nil ||
				fmt.Sprint(right.get(t, "code")) != fmt.Sprint(wrong.get(t, "code")) {
				t.Errorf("the right guess of review_notes answers %d %s, a wrong one %d %s: the answer tells whether the guess was right",
					right.Status, short(right.Body), wrong.Status, short(wrong.Body))
			}
			if right.Status < 400 || wrong.Status < 400 {
				t.Errorf("a probe of review_notes by a caller who may not read it succeeded: %d, %d", right.Status, wrong.Status)
			}
			if after := e.snap(t, "Post", id); !azSameSnap(before, after) {
				t.Errorf("the probes changed the post: %v to %v", before, after)
			}
			for _, r := range []*response{right, wrong} {
				if strings.Contains(string(r.Body), secret) {
					t.Errorf("a probe's answer shows the secret: %s", r.Body)
				}
			}
		})
	}

	// What the caller may do: leave the fields out or send what they read.
	t.Run("allowed writes keep the fields", func(t *testing.T) {
		r := e.call(t, owner, "PATCH", path, map[string]any{"title": "Mine again", "review_notes": nil}, merge...)
		if r.Status != http.StatusOK {
			t.Fatalf("owner's merge patch: %d %s", r.Status, short(r.Body))
		}
		r = e.call(t, owner, "GET", path, nil)
		body := with(r.get(t, "data").(map[string]any), "title", "Mine, put")
		if r := e.call(t, owner, "PUT", path, body); r.Status != http.StatusOK {
			t.Fatalf("owner's PUT of what they read: %d %s", r.Status, short(r.Body))
		}
		r = e.call(t, owner, "PATCH", path, []any{map[string]any{"op": "replace", "path": "/title", "value": "Mine, patched"}}, jsonPatch...)
		if r.Status != http.StatusOK {
			t.Fatalf("owner's JSON Patch: %d %s", r.Status, short(r.Body))
		}
		s := e.snap(t, "Post", id)
		if s.data["review_notes"] != secret || s.data["featured"] != false || s.data["title"] != "Mine, patched" {
			t.Errorf("after the owner's writes: %v", s.data)
		}
	})

	// featured set by an editor: the owner's PUT that leaves it out keeps
	// it ("leaving it out is allowed"), the unchanged value is accepted.
	t.Run("featured left out", func(t *testing.T) {
		if r := e.call(t, editor, "PATCH", path, map[string]any{"featured": true}, merge...); r.Status != http.StatusOK {
			t.Fatalf("editor features: %d %s", r.Status, short(r.Body))
		}
		if r := e.call(t, owner, "PATCH", path, map[string]any{"featured": true, "title": "Still featured"}, merge...); r.Status != http.StatusOK {
			t.Errorf("the unchanged value of featured: %d %s", r.Status, short(r.Body))
		}
		r := e.call(t, owner, "PUT", path, map[string]any{"title": "Put without featured", "author": author})
		if r.Status != http.StatusOK {
			t.Errorf("owner's PUT leaving featured out: %d %s (docs/auth.md: leaving it out is allowed)", r.Status, short(r.Body))
		} else if s := e.snap(t, "Post", id); s.data["featured"] != true || s.data["review_notes"] != secret {
			t.Errorf("after the PUT leaving featured out: featured %v, review_notes %v", s.data["featured"], s.data["review_notes"])
		}
	})

	t.Run("create", func(t *testing.T) {
		n := e.countAll(t, "Post")
		for _, body := range []map[string]any{
			{"title": "Featured at birth", "author": author, "featured": true},
			{"title": "Noted at birth", "author": author, "review_notes": "by me"},
		} {
			r := e.call(t, owner, "POST", "/api/posts", body)
			fields := checkProblem(t, r, http.StatusForbidden, "FORBIDDEN")
			if len(fields) != 1 {
				t.Errorf("create %v: fields %v, want the one field", body, fields)
			}
		}
		if got := e.countAll(t, "Post"); got != n {
			t.Errorf("refused creates changed the count from %d to %d", n, got)
		}
		if r := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": "The default", "author": author, "featured": false}); r.Status != http.StatusCreated {
			t.Errorf("create with featured at its default: %d %s", r.Status, short(r.Body))
		}
	})

	// The hidden field is absent from everything the owner and a viewer
	// read, and unknown to their filters and sorts; editors see it.
	t.Run("hidden from reads", func(t *testing.T) {
		if r := e.call(t, editor, "PATCH", path, map[string]any{"review_notes": secret + " (2)"}, merge...); r.Status != http.StatusOK {
			t.Fatalf("editor: %d", r.Status)
		}
		revs := e.snap(t, "Post", id).revs
		for _, u := range []*azUser{owner, viewer} {
			for _, p := range []string{
				path, "/api/posts", "/api/posts?fields=title", path + "/revisions", path + "/revisions/" + strconv.Itoa(revs),
				path + "/revisions/2", path + "/revisions/2/diff", path + "/revisions/" + strconv.Itoa(revs) + "/diff",
				path + "/revisions/" + strconv.Itoa(revs) + "/diff?against=1", "/api/authors/" + author + "/referrers",
			} {
				r := e.call(t, u, "GET", p, nil)
				if r.Status != http.StatusOK {
					t.Errorf("%s as %s: %d %s", p, u.name, r.Status, short(r.Body))
				}
				if strings.Contains(string(r.Body), "review_notes") || strings.Contains(string(r.Body), secret) {
					t.Errorf("%s as %s shows review_notes: %s", p, u.name, short(r.Body))
				}
			}
			// fields= naming it is a 400, as for an unknown field (it is not
			// indexed, so filters and sorts on it are 400s for everyone).
			for _, q := range []string{"/api/posts?fields=review_notes", "/api/posts?fields=title,review_notes", path + "?fields=review_notes"} {
				checkProblem(t, e.call(t, u, "GET", q, nil), http.StatusBadRequest, "BAD_REQUEST")
			}
			res := e.gql(t, u, `query($id: ID!) { post(id: $id) { data { reviewNotes } revisions { nodes { number } } diff old: diff(against: "1") }
				posts { nodes { data { reviewNotes } } } }`, map[string]any{"id": id})
			if len(res.errs) > 0 || strings.Contains(string(res.body), secret) || strings.Contains(string(res.body), "review_notes") {
				t.Errorf("GraphQL as %s: %s", u.name, short(res.body))
			}
		}
		r := e.call(t, editor, "GET", path+`?fields=review_notes`, nil)
		if r.Status != http.StatusOK || r.str(t, "data.review_notes") != secret+" (2)" {
			t.Errorf("editor's read of review_notes: %d %s", r.Status, short(r.Body))
		}
		if r := e.call(t, editor, "GET", "/api/posts?fields=review_notes&filter="+url.QueryEscape(`resource_id="`+id+`"`), nil); r.Status != http.StatusOK || r.str(t, "items.0.data.review_notes") != secret+" (2)" {
			t.Errorf("editor's list of review_notes: %d %s", r.Status, short(r.Body))
		}
		d := e.gqlOK(t, editor, `query($id: ID!) { post(id: $id) { data { reviewNotes } } }`, map[string]any{"id": id})
		if got := (gqlData{t: t, v: any(d)}).str("post.data.reviewNotes"); got != secret+" (2)" {
			t.Errorf("editor's GraphQL reviewNotes: %q", got)
		}
	})
}

// testAZRateLimit: a brute force on one account hits the limit (429 with
// Retry-After) and then even the right password is refused; the
// refusals before it look alike for known and unknown accounts.
func testAZRateLimit(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	u := e.addUser(t, "victim", []string{"viewer"})
	login := func(email, password string) *response {
		return e.client(t).do("POST", "/api/auth/login", map[string]any{"email": email, "password": password})
	}
	unknown := login("nobody@example.com", "whatever it is")
	checkProblem(t, unknown, http.StatusUnauthorized, "UNAUTHENTICATED")
	var limited *response
	attempts := 0
	for attempts < 30 && limited == nil {
		attempts++
		r := login(u.email, fmt.Sprintf("guess number %d", attempts))
		switch r.Status {
		case http.StatusUnauthorized:
			if string(r.Body) != string(unknown.Body) {
				t.Errorf("a wrong password answers %s, an unknown email %s", r.Body, unknown.Body)
			}
		case http.StatusTooManyRequests:
			limited = r
		default:
			t.Fatalf("guess %d: %d %s", attempts, r.Status, short(r.Body))
		}
	}
	if limited == nil || attempts != 11 {
		t.Fatalf("the account limit: %d attempts without a 429 (want the 11th to be one)", attempts)
	}
	checkProblem(t, limited, http.StatusTooManyRequests, "RATE_LIMITED")
	retry, err := strconv.Atoi(limited.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 15*60 {
		t.Errorf("Retry-After %q, want seconds within the 15-minute window", limited.Header.Get("Retry-After"))
	}
	// The right password is refused too while the limit holds.
	checkProblem(t, login(u.email, u.password), http.StatusTooManyRequests, "RATE_LIMITED")
	// Another account from the same address still logs in.
	e.addUser(t, "bystander", nil)

	// The address limit: many accounts from one address.
	limited = nil
	for i := 0; i < 60 && limited == nil; i++ {
		r := login(fmt.Sprintf("spray%d@example.com", i), "a sprayed password")
		switch r.Status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			limited = r
		default:
			t.Fatalf("spray %d: %d %s", i, r.Status, short(r.Body))
		}
	}
	if limited == nil {
		t.Fatal("60 logins from one address without a 429")
	}
	checkProblem(t, limited, http.StatusTooManyRequests, "RATE_LIMITED")
	if limited.Header.Get("Retry-After") == "" {
		t.Error("the address limit's 429 has no Retry-After")
	}
	checkProblem(t, login(e.users["bystander"].email, e.users["bystander"].password), http.StatusTooManyRequests, "RATE_LIMITED")
}

// testAZPasswordNeverShown creates and changes a password every way there
// is, then scans every answer and the server's log for the passwords and
// for any argon2id hash.
func testAZPasswordNeverShown(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	admin := e.addUser(t, "admin", []string{"admin"})
	passwords := []string{"first secret password", "second secret password", "third secret password", "fourth secret password", "a wrongly typed password"}
	var bodies []string
	keep := func(what string, body []byte) {
		bodies = append(bodies, what+": "+string(body))
	}
	merge := []string{"Content-Type", "application/merge-patch+json"}

	// A user created with a password, over REST; an error that must not
	// echo the password it refuses.
	r := e.call(t, admin, "POST", "/api/users", map[string]any{"email": "pat@example.com", "name": "Pat", "roles": []string{"viewer"}, "password": passwords[0]})
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, short(r.Body))
	}
	keep("create", r.Body)
	id := r.str(t, "meta.resource_id")
	r = e.call(t, admin, "POST", "/api/users", map[string]any{"email": "short@example.com", "password": "shrt"})
	if r.Status < 400 {
		t.Errorf("a 4-byte password was accepted: %d", r.Status)
	}
	keep("short password", r.Body)
	// Changed by an admin (PATCH) and by a PUT.
	r = e.call(t, admin, "PATCH", "/api/users/"+id, map[string]any{"name": "Pat P.", "password": passwords[1]}, merge...)
	keep("patch", r.Body)
	r = e.call(t, admin, "PUT", "/api/users/"+id, map[string]any{"email": "pat@example.com", "name": "Pat Q.", "roles": []string{"viewer"}, "password": passwords[2]})
	keep("put", r.Body)
	if r.Status != http.StatusOK {
		t.Fatalf("put: %d %s", r.Status, short(r.Body))
	}
	// Over GraphQL too.
	res := e.gql(t, admin, `mutation($id: ID!, $p: JSON!) { patchUser(id: $id, patch: $p) { id data { email name roles disabled } } }`,
		map[string]any{"id": id, "p": map[string]any{"password": passwords[3], "name": "Pat R."}})
	keep("GraphQL patch", res.body)
	if len(res.errs) > 0 {
		t.Fatalf("GraphQL patchUser: %s", res.body)
	}
	res = e.gql(t, admin, `mutation { createUser(input: {email: "gql@example.com", password: "`+passwords[0]+`"}) { id data { email } } }`, nil)
	keep("GraphQL create", res.body)
	if len(res.errs) > 0 {
		t.Fatalf("GraphQL createUser: %s", res.body)
	}

	// The user logs in, fails once, refreshes, reads themselves and
	// changes their own password.
	pat := &azUser{azWho: azWho{name: "pat", id: id}, email: "pat@example.com", password: passwords[3]}
	keep("failed login", e.client(t).do("POST", "/api/auth/login", map[string]any{"email": pat.email, "password": passwords[4]}).Body)
	keep("login", e.login(t, pat).Body)
	keep("refresh", e.refreshWith(t, pat.refresh).Body)
	e.login(t, pat)
	keep("me", e.call(t, pat, "GET", "/api/auth/me", nil).Body)
	keep("GraphQL me", e.gql(t, pat, `{ me { id data { email name roles disabled } meta { resourceId } revisions { nodes { revisionId dataHash } } diff } }`, nil).body)
	r = e.call(t, pat, "POST", "/api/auth/password", map[string]any{"old_password": passwords[3], "new_password": passwords[0] + " again"})
	keep("own password change", r.Body)
	if r.Status != http.StatusOK {
		t.Fatalf("own password change: %d %s", r.Status, short(r.Body))
	}
	passwords = append(passwords, passwords[0]+" again")
	keep("wrong old password", e.call(t, &azUser{access: r.str(t, "access_token")}, "POST", "/api/auth/password",
		map[string]any{"old_password": passwords[4], "new_password": passwords[4] + "!"}).Body)

	// Everything an admin reads about users.
	revs := e.snap(t, azUserKind, id).revs
	paths := []string{"/api/users", "/api/users?fields=email,name", "/api/users/" + id, "/api/users/" + id + "/revisions"}
	for n := 1; n <= revs; n++ {
		paths = append(paths, fmt.Sprintf("/api/users/%s/revisions/%d", id, n))
		if n > 1 {
			paths = append(paths, fmt.Sprintf("/api/users/%s/revisions/%d/diff", id, n), fmt.Sprintf("/api/users/%s/revisions/%d/diff?against=1", id, n))
		}
	}
	for _, p := range paths {
		r := e.call(t, admin, "GET", p, nil)
		if r.Status != http.StatusOK {
			t.Errorf("GET %s: %d", p, r.Status)
		}
		keep(p, r.Body)
	}
	keep("GraphQL users", e.gql(t, admin, `query($id: ID!) { users { nodes { id data { email name roles disabled } } }
		user(id: $id) { data { email } revisions { nodes { revisionId dataHash } } diff first: diff(against: "1") } }`, map[string]any{"id": id}).body)

	// Nothing holds a password or a hash; the log did record the logins.
	logs := e.logs.String()
	if !strings.Contains(logs, "login") {
		t.Errorf("the server logged no login; is the log captured? %q", logs)
	}
	bodies = append(bodies, "server log: "+logs)
	for _, body := range bodies {
		for _, s := range append(passwords, "$argon2id", "argon2id$", "m=19456") {
			if strings.Contains(body, s) {
				t.Errorf("%q appears in %s", s, short([]byte(body)))
			}
		}
		if strings.Contains(body, `"password"`) && !strings.HasPrefix(body, "short password") {
			t.Errorf("a password member appears in %s", short([]byte(body)))
		}
	}
	// The credentials are no resource of the API.
	for _, p := range []string{"/api/auth-credentials", "/api/auth_credentials", "/api/authcredentials"} {
		if r := e.call(t, admin, "GET", p, nil); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.Status)
		}
	}
}

// testAZGraphQLMe: me is the caller's user, for every signed-in caller
// (the users resource itself is admin-only); anonymous callers get
// UNAUTHENTICATED.
func testAZGraphQLMe(t *testing.T, b backend) {
	e := newAZEnv(t, b, nil)
	viewer := e.addUser(t, "viewer", []string{"viewer"})
	plain := e.addUser(t, "plain", nil)
	for _, u := range []*azUser{viewer, plain} {
		d := e.gqlOK(t, u, `{ me { id data { email roles disabled } } }`, nil)
		want := []any{}
		for _, r := range u.roles {
			want = append(want, strings.ToUpper(r))
		}
		got := gqlData{t: t, v: any(d)}
		if got.str("me.id") != u.id || got.str("me.data.email") != u.email || !azJSONEq(got.get("me.data.roles"), want) {
			t.Errorf("me as %s: %v", u.name, d)
		}
		// The same user through REST.
		r := e.call(t, u, "GET", "/api/auth/me", nil)
		if r.Status != http.StatusOK || r.str(t, "id") != u.id || r.str(t, "email") != u.email {
			t.Errorf("/api/auth/me as %s: %d %s", u.name, r.Status, short(r.Body))
		}
		// But not the users resource.
		azGQLCode(t, "user as "+u.name, e.gql(t, u, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": u.id}), "NOT_FOUND")
		azGQLCode(t, "users as "+u.name, e.gql(t, u, `{ users { nodes { id } } }`, nil), "FORBIDDEN")
	}
	wantGQLUnauthenticated(t, "anonymous me", e.gql(t, nil, `{ me { id } }`, nil))
	r := e.call(t, nil, "GET", "/api/auth/me", nil)
	checkProblem(t, r, http.StatusUnauthorized, "UNAUTHENTICATED")
	if r.Header.Get("WWW-Authenticate") != "Bearer" {
		t.Errorf("anonymous /api/auth/me: WWW-Authenticate %q, want Bearer", r.Header.Get("WWW-Authenticate"))
	}
	// A personal access token is a caller too.
	tok := e.call(t, viewer, "POST", "/api/auth/tokens", map[string]any{"name": "script", "roles": []string{"viewer"}})
	if tok.Status != http.StatusCreated {
		t.Fatalf("token: %d %s", tok.Status, short(tok.Body))
	}
	d := e.gqlOK(t, &azUser{access: tok.str(t, "token")}, `{ me { id } }`, nil)
	if (gqlData{t: t, v: any(d)}).str("me.id") != viewer.id {
		t.Errorf("me with a personal access token: %v", d)
	}
}

// testAZReadRulesInLists: lists, counts, totals, cursors, referrers,
// expand= and GraphQL connections and relations show exactly the rows the
// read rule admits (the oracle of the matrix decides which), and paging
// one row at a time visits each once.
func testAZReadRulesInLists(t *testing.T, b backend) {
	spec := azLoadSpec(t)
	o := azOracle{spec: spec}
	e := newAZEnv(t, b, nil)
	users := e.principals(t, spec)
	admin, owner, other := e.users["admin"], e.users["owner"], e.users["non-owner"]
	author := e.call(t, admin, "POST", "/api/authors", map[string]any{"name": "Ada", "email": "ada@example.com"}).str(t, "meta.resource_id")
	type post struct {
		id    string
		facts azRowFacts
	}
	var posts []post
	for i, p := range []struct {
		by     *azUser
		status string
	}{{owner, "draft"}, {owner, "published"}, {other, "draft"}, {other, "published"}, {owner, "archived"}, {other, "draft"}, {owner, "draft"}} {
		r := e.call(t, p.by, "POST", "/api/posts", map[string]any{"title": fmt.Sprintf("Post %d", i), "author": author, "status": p.status})
		if r.Status != http.StatusCreated {
			t.Fatalf("post %d: %d %s", i, r.Status, short(r.Body))
		}
		posts = append(posts, post{id: r.str(t, "meta.resource_id"), facts: azRowFacts{createdBy: p.by.id, fields: r.get(t, "data").(map[string]any)}})
	}
	// Two deleted posts, for the lists of deleted posts.
	var deleted []post
	for i, status := range []string{"draft", "published"} {
		r := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": fmt.Sprintf("Deleted %d", i), "author": author, "status": status})
		if r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, short(r.Body))
		}
		p := post{id: r.str(t, "meta.resource_id"), facts: azRowFacts{createdBy: owner.id, fields: r.get(t, "data").(map[string]any)}}
		if r := e.call(t, owner, "DELETE", "/api/posts/"+p.id, nil); r.Status != http.StatusOK {
			t.Fatalf("delete: %d %s", r.Status, short(r.Body))
		}
		deleted = append(deleted, p)
	}
	// One public comment on each post.
	comments := map[string]string{} // comment id -> post id
	for _, p := range posts {
		r := e.call(t, admin, "POST", "/api/comments", map[string]any{"post": p.id, "author_name": "Reader", "body": "Hello"})
		if r.Status != http.StatusCreated {
			t.Fatalf("comment: %d %s", r.Status, short(r.Body))
		}
		comments[r.str(t, "meta.resource_id")] = p.id
	}
	for _, u := range users {
		w := azWhoOf(u)
		t.Run(w.name, func(t *testing.T) {
			readable := map[string]bool{}
			var want []string
			for _, p := range posts {
				if ok, _ := o.may("Post", "list", w, p.facts); ok {
					want = append(want, p.id)
					readable[p.id] = true
				}
			}
			slices.Sort(want)
			// REST: pages of one, with totals.
			var seen []string
			cursor := ""
			for page := 0; page <= len(posts); page++ {
				q := `/api/posts?limit=1&count=true&sort=resource_id&filter=author="` + author + `"`
				if cursor != "" {
					q += "&cursor=" + cursor
				}
				r := e.call(t, u, "GET", q, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("%s: %d %s", q, r.Status, short(r.Body))
				}
				if r.num(t, "total") != len(want) {
					t.Errorf("total %d, want %d", r.num(t, "total"), len(want))
				}
				seen = append(seen, r.ids(t, "meta.resource_id")...)
				next, _ := r.get(t, "next_cursor").(string)
				if next == "" {
					break
				}
				cursor = next
			}
			if !slices.Equal(seen, want) {
				t.Errorf("paged posts %v, want %v", seen, want)
			}
			if n := e.call(t, u, "GET", `/api/posts/count?filter=author="`+author+`"`, nil).num(t, "count"); n != len(want) {
				t.Errorf("count %d, want %d", n, len(want))
			}
			// Deleted posts: listed, counted and read with include_deleted
			// as the rule says.
			var wantDeleted []string
			for _, p := range deleted {
				ok, _ := o.may("Post", "read", w, p.facts)
				if ok {
					wantDeleted = append(wantDeleted, p.id)
				}
				r := e.call(t, u, "GET", "/api/posts/"+p.id+"?include_deleted=true", nil)
				if want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[ok]; r.Status != want {
					t.Errorf("deleted %s post with include_deleted: %d, want %d", p.facts.fields["status"], r.Status, want)
				}
			}
			slices.Sort(wantDeleted)
			r := e.call(t, u, "GET", `/api/posts?deleted=only&sort=resource_id&count=true&filter=author="`+author+`"`, nil)
			if got := r.ids(t, "meta.resource_id"); !slices.Equal(got, wantDeleted) || r.num(t, "total") != len(wantDeleted) {
				t.Errorf("deleted posts %v (total %v), want %v", got, r.get(t, "total"), wantDeleted)
			}
			if n := e.call(t, u, "GET", `/api/posts/count?include_deleted=true&filter=author="`+author+`"`, nil).num(t, "count"); n != len(want)+len(wantDeleted) {
				t.Errorf("count with include_deleted %d, want %d", n, len(want)+len(wantDeleted))
			}
			// Filtering for drafts finds only the readable drafts.
			drafts := 0
			for _, p := range posts {
				if readable[p.id] && p.facts.fields["status"] == "draft" {
					drafts++
				}
			}
			if n := e.call(t, u, "GET", `/api/posts/count?filter=status="draft"`, nil).num(t, "count"); n != drafts {
				t.Errorf("count of drafts %d, want %d", n, drafts)
			}
			// GraphQL: pages of one, and the relation from the author.
			seen = nil
			after := any(nil)
			for page := 0; page <= len(posts); page++ {
				d := gqlData{t: t, v: any(e.gqlOK(t, u, `query($after: String) { posts(first: 1, after: $after, orderBy: [{field: RESOURCE_ID}]) {
					totalCount nodes { id } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}))}
				if d.num("posts.totalCount") != len(want) {
					t.Errorf("GraphQL totalCount %d, want %d", d.num("posts.totalCount"), len(want))
				}
				seen = append(seen, d.ids("posts.nodes")...)
				if d.get("posts.pageInfo.hasNextPage") != true {
					break
				}
				after = d.str("posts.pageInfo.endCursor")
			}
			if !slices.Equal(seen, want) {
				t.Errorf("GraphQL paged posts %v, want %v", seen, want)
			}
			d := gqlData{t: t, v: any(e.gqlOK(t, u, `query($a: ID!) { author(id: $a) { postsByAuthor(first: 100) { totalCount nodes { id } } } }`, map[string]any{"a": author}))}
			if got := slices.Sorted(slices.Values(d.ids("author.postsByAuthor.nodes"))); !slices.Equal(got, want) || d.num("author.postsByAuthor.totalCount") != len(want) {
				t.Errorf("postsByAuthor %v (total %d), want %v", got, d.num("author.postsByAuthor.totalCount"), want)
			}
			// REST referrers of the author.
			r = e.call(t, u, "GET", "/api/authors/"+author+"/referrers", nil)
			var refs []string
			for i := range r.list(t, "items") {
				if r.str(t, fmt.Sprintf("items.%d.resource", i)) == "Post" {
					for _, id := range r.list(t, fmt.Sprintf("items.%d.ids", i)) {
						refs = append(refs, id.(string))
					}
				}
			}
			if slices.Sort(refs); !slices.Equal(refs, want) {
				t.Errorf("referrers %v, want %v; body %s", refs, want, short(r.Body))
			}
			// Comments are public; the posts they expand to are not.
			r = e.call(t, u, "GET", "/api/comments?limit=100&expand=post", nil)
			if r.Status != http.StatusOK || len(r.list(t, "items")) != len(comments) {
				t.Fatalf("comments: %d %s", r.Status, short(r.Body))
			}
			for i := range r.list(t, "items") {
				cid := r.str(t, fmt.Sprintf("items.%d.meta.resource_id", i))
				exp, _ := lookup(r.JSON, fmt.Sprintf("items.%d.expand.post", i))
				if got, want := exp != nil, readable[comments[cid]]; got != want {
					t.Errorf("comment %s expands its post: %v, want %v (%v)", cid, got, want, exp)
				}
			}
			d = gqlData{t: t, v: any(e.gqlOK(t, u, `{ comments(first: 100) { nodes { id post { id } } } }`, nil))}
			for i := range d.list("comments.nodes") {
				cid := d.str(fmt.Sprintf("comments.nodes.%d.id", i))
				got := d.get(fmt.Sprintf("comments.nodes.%d.post", i)) != nil
				if want := readable[comments[cid]]; got != want {
					t.Errorf("GraphQL comment %s has its post: %v, want %v", cid, got, want)
				}
			}
		})
	}
}

// testAZSubscriptions: a subscriber receives the changes of the rows it
// may read only, without the fields it may not read; over Server-Sent
// Events (credentials in the Authorization header) and WebSockets
// (credentials in the connection_init payload).
func testAZSubscriptions(t *testing.T, b backend) {
	spec := azLoadSpec(t)
	e := newAZEnv(t, b, nil)
	e.principals(t, spec)
	owner, editor, viewer, other := e.users["owner"], e.users["editor"], e.users["viewer"], e.users["non-owner"]
	author := e.call(t, e.users["admin"], "POST", "/api/authors", map[string]any{"name": "Ada", "email": "ada@example.com"}).str(t, "meta.resource_id")
	draft := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": "Draft", "author": author}).str(t, "meta.resource_id")
	published := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": "Published", "author": author, "status": "published"}).str(t, "meta.resource_id")

	const query = `subscription { postChanged { id post { data { title reviewNotes } } } }`
	type event struct {
		id, title string
		notes     any
	}
	type message struct {
		PostChanged struct {
			ID   string `json:"id"`
			Post struct {
				Data struct {
					Title       string `json:"title"`
					ReviewNotes any    `json:"reviewNotes"`
				} `json:"data"`
			} `json:"post"`
		} `json:"postChanged"`
	}
	toEvent := func(m message) event {
		return event{id: m.PostChanged.ID, title: m.PostChanged.Post.Data.Title, notes: m.PostChanged.Post.Data.ReviewNotes}
	}
	waitRegistered := func(before int, who string) {
		deadline := time.Now().Add(5 * time.Second)
		for e.srv.Feed().Subscribers() <= before {
			if time.Now().After(deadline) {
				t.Fatalf("the subscription of %s is not registered", who)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	sse := func(u *azUser) chan event {
		t.Helper()
		before := e.srv.Feed().Subscribers()
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		body, _ := json.Marshal(map[string]any{"query": query})
		req, err := http.NewRequestWithContext(ctx, "POST", e.url+"/graphql", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		if h := azBearer(u); h != nil {
			req.Header.Set(h[0], h[1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("subscribe as %s: %d", azWhoOf(u).name, resp.StatusCode)
		}
		out := make(chan event, 16)
		go func() {
			defer close(out)
			lines := bufio.NewScanner(resp.Body)
			for lines.Scan() {
				data, ok := strings.CutPrefix(lines.Text(), "data: ")
				if !ok {
					continue
				}
				var msg struct {
					Data message `json:"data"`
				}
				if json.Unmarshal([]byte(data), &msg) == nil {
					out <- toEvent(msg.Data)
				}
			}
		}()
		waitRegistered(before, azWhoOf(u).name)
		return out
	}
	gc := gqlclient.New(e.srv.Handler(), gqlclient.Path("/graphql"))
	ws := func(u *azUser) chan event {
		t.Helper()
		before := e.srv.Feed().Subscribers()
		var payload map[string]any
		if h := azBearer(u); h != nil {
			payload = map[string]any{"Authorization": h[1]}
		}
		sub := gc.WebsocketWithPayload(query, payload)
		t.Cleanup(func() { _ = sub.Close() })
		out := make(chan event, 16)
		go func() {
			defer close(out)
			for {
				var m message
				if err := sub.Next(&m); err != nil {
					return
				}
				out <- toEvent(m)
			}
		}()
		waitRegistered(before, azWhoOf(u).name)
		return out
	}
	subs := map[string]chan event{
		"anonymous (SSE)": sse(nil), "non-owner (WebSocket)": ws(other), "viewer (SSE)": sse(viewer),
		"editor (WebSocket)": ws(editor), "anonymous (WebSocket)": ws(nil), "editor (SSE)": sse(editor),
	}
	// A WebSocket with a bad token in its payload is refused.
	bad := gc.WebsocketWithPayload(query, map[string]any{"Authorization": "Bearer " + flipChar(viewer.access, len(viewer.access)-10)})
	var m message
	if err := bad.Next(&m); err == nil {
		t.Errorf("a WebSocket with a tampered token received %+v", m)
	}
	_ = bad.Close()

	merge := []string{"Content-Type", "application/merge-patch+json"}
	// The draft changes first (with review notes), then the published post.
	if r := e.call(t, editor, "PATCH", "/api/posts/"+draft, map[string]any{"title": "Draft 2", "review_notes": "draft notes"}, merge...); r.Status != http.StatusOK {
		t.Fatalf("draft change: %d %s", r.Status, short(r.Body))
	}
	if r := e.call(t, editor, "PATCH", "/api/posts/"+published, map[string]any{"title": "Published 2", "review_notes": "pub notes"}, merge...); r.Status != http.StatusOK {
		t.Fatalf("published change: %d %s", r.Status, short(r.Body))
	}
	next := func(name string) event {
		select {
		case ev, ok := <-subs[name]:
			if !ok {
				t.Fatalf("%s's subscription ended", name)
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatalf("%s received nothing", name)
		}
		return event{}
	}
	onlyPublished := []event{{published, "Published 2", nil}}
	both := []event{{draft, "Draft 2", nil}, {published, "Published 2", nil}}
	withNotes := []event{{draft, "Draft 2", "draft notes"}, {published, "Published 2", "pub notes"}}
	for _, tt := range []struct {
		name string
		want []event
	}{
		{"anonymous (SSE)", onlyPublished}, {"anonymous (WebSocket)", onlyPublished}, {"non-owner (WebSocket)", onlyPublished},
		{"viewer (SSE)", both}, {"editor (WebSocket)", withNotes}, {"editor (SSE)", withNotes},
	} {
		for i, want := range tt.want {
			if got := next(tt.name); got != want {
				t.Errorf("%s's event %d: %+v, want %+v", tt.name, i, got, want)
			}
		}
	}
}

// testAZHiddenRefs: a reference is a read of its target. A caller who
// may not read a post (another user's draft) cannot make a comment refer
// to it: the answer is the one for a post that does not exist, so that
// the draft's existence does not leak, and nothing is written (such a
// comment would also stop the draft's owner from deleting it, since
// Comment.post is on_delete: restrict).
func testAZHiddenRefs(t *testing.T, b backend) {
	spec := azLoadSpec(t)
	e := newAZEnv(t, b, nil)
	e.principals(t, spec)
	owner, other, viewer := e.users["owner"], e.users["non-owner"], e.users["viewer"]
	author := e.call(t, e.users["admin"], "POST", "/api/authors", map[string]any{"name": "Ada", "email": "ada@example.com"}).str(t, "meta.resource_id")
	newPost := func(title, status string) string {
		t.Helper()
		r := e.call(t, owner, "POST", "/api/posts", map[string]any{"title": title, "author": author, "status": status})
		if r.Status != http.StatusCreated {
			t.Fatalf("post: %d %s", r.Status, short(r.Body))
		}
		return r.str(t, "meta.resource_id")
	}
	draft, published, deletedDraft := newPost("A draft", "draft"), newPost("Published", "published"), newPost("Deleted draft", "draft")
	e.call(t, owner, "DELETE", "/api/posts/"+deletedDraft, nil)
	const missing = "01900000-0000-7000-8000-00000000abcd"
	comment := func(post string) map[string]any {
		return map[string]any{"post": post, "author_name": "Prober", "body": "Hello"}
	}
	// normalize removes the id from an answer, to compare answers.
	normalize := func(r *response, id string) string { return strings.ReplaceAll(string(r.Body), id, "<id>") }

	want := e.call(t, other, "POST", "/api/comments", comment(missing))
	checkProblem(t, want, http.StatusUnprocessableEntity, "VALIDATION_ERROR")
	mine := e.call(t, other, "POST", "/api/comments", comment(published))
	if mine.Status != http.StatusCreated {
		t.Fatalf("a comment on a published post: %d %s", mine.Status, short(mine.Body))
	}
	mineID := mine.str(t, "meta.resource_id")
	for _, tt := range []struct{ name, post string }{{"draft", draft}, {"deleted draft", deletedDraft}} {
		t.Run(tt.name, func(t *testing.T) {
			n := e.countAll(t, "Comment")
			r := e.call(t, other, "POST", "/api/comments", comment(tt.post))
			if r.Status != want.Status || normalize(r, tt.post) != normalize(want, missing) {
				t.Errorf("a comment on another user's %s answers %d %s; on a post that does not exist %d %s",
					tt.name, r.Status, short(r.Body), want.Status, short(want.Body))
			}
			res := e.gql(t, other, `mutation($p: ID!) { createComment(input: {post: $p, authorName: "Prober", body: "Hello"}) { id } }`, map[string]any{"p": tt.post})
			azGQLCode(t, "GraphQL createComment on another user's "+tt.name, res, "VALIDATION_ERROR")
			if got := e.countAll(t, "Comment"); got != n {
				t.Errorf("comments on another user's %s were written: %d, was %d", tt.name, got, n)
			}
			// Nor by moving one's own comment there.
			before := e.snap(t, "Comment", mineID)
			r = e.call(t, other, "PATCH", "/api/comments/"+mineID, map[string]any{"post": tt.post}, "Content-Type", "application/merge-patch+json")
			if r.Status != want.Status {
				t.Errorf("moving a comment to another user's %s: %d %s", tt.name, r.Status, short(r.Body))
			}
			if after := e.snap(t, "Comment", mineID); !azSameSnap(before, after) {
				t.Errorf("the comment moved: %v to %v", before, after)
			}
		})
	}
	// The owner can still delete the draft (no comment of another's
	// restricts it), and restore it.
	if r := e.call(t, owner, "DELETE", "/api/posts/"+draft, nil); r.Status != http.StatusOK {
		t.Errorf("the owner cannot delete their draft: %d %s", r.Status, short(r.Body))
	} else if r := e.call(t, owner, "POST", "/api/posts/"+draft+"/restore", nil); r.Status != http.StatusOK {
		t.Fatalf("restore: %d %s", r.Status, short(r.Body))
	}
	// Callers who may read the draft may refer to it.
	for _, u := range []*azUser{owner, viewer} {
		if r := e.call(t, u, "POST", "/api/comments", comment(draft)); r.Status != http.StatusCreated {
			t.Errorf("%s's comment on a draft they may read: %d %s", u.name, r.Status, short(r.Body))
		}
	}
}

// TestAuthOpenAPISecurity checks the document the server serves: the
// bearer scheme, and on every operation of the resources the security
// that the spec's rule implies (anonymous access ({}) exactly when the
// rule grants anonymous callers rows) and the 401 and 403 answers.
func TestAuthOpenAPISecurity(t *testing.T) {
	spec := azLoadSpec(t)
	e := newAZEnv(t, azBackends()[0], nil)
	r := e.client(t).must(http.StatusOK, "GET", "/openapi.json", nil)
	var doc struct {
		Security   []map[string][]string `json:"security"`
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	bearerScheme := doc.Components.SecuritySchemes["bearerAuth"]
	if bearerScheme["type"] != "http" || bearerScheme["scheme"] != "bearer" {
		t.Errorf("securitySchemes.bearerAuth = %v, want an http bearer scheme", bearerScheme)
	}
	type operation struct {
		Security  *[]map[string][]string     `json:"security"`
		Responses map[string]json.RawMessage `json:"responses"`
	}
	anonymousAllowed := func(kind, action string) bool {
		all, conds := azGrant(azRule(spec.rule(kind, action)), azWho{name: "anonymous"})
		return all || len(conds) > 0
	}
	checked := 0
	for _, kind := range spec.kinds() {
		base := "/api/" + e.kind(kind).Path
		routes := []struct{ path, method, action string }{
			{base, "get", "list"}, {base, "post", "create"}, {base + "/count", "get", "list"},
			{base + "/{id}", "get", "read"}, {base + "/{id}", "put", "update"}, {base + "/{id}", "patch", "update"},
			{base + "/{id}", "delete", "delete"}, {base + "/{id}/restore", "post", "restore"},
			{base + "/{id}/permanently", "delete", "purge"}, {base + "/{id}/revisions", "get", "read"},
			{base + "/{id}/revisions/{rev}", "get", "read"}, {base + "/{id}/revisions/{rev}/diff", "get", "read"},
			{base + "/{id}/switch/{rev}", "post", "switch"}, {base + "/{id}/referrers", "get", "read"},
		}
		for _, rt := range routes {
			raw, ok := doc.Paths[rt.path][rt.method]
			if !ok {
				t.Errorf("the document has no %s %s", strings.ToUpper(rt.method), rt.path)
				continue
			}
			checked++
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			what := strings.ToUpper(rt.method) + " " + rt.path
			if op.Security == nil {
				t.Errorf("%s declares no security", what)
				continue
			}
			hasBearer, hasAnon := false, false
			for _, req := range *op.Security {
				if len(req) == 0 {
					hasAnon = true
				}
				if _, ok := req["bearerAuth"]; ok {
					hasBearer = true
				}
			}
			if !hasBearer {
				t.Errorf("%s: security %v lacks bearerAuth", what, *op.Security)
			}
			if want := anonymousAllowed(kind, rt.action); hasAnon != want {
				t.Errorf("%s: anonymous access declared %v, but the %s rule %q grants anonymous callers rows: %v", what, hasAnon, rt.action, spec.rule(kind, rt.action), want)
			}
			if _, ok := op.Responses["401"]; !ok {
				t.Errorf("%s declares no 401", what)
			}
			if _, ok := op.Responses["403"]; !ok && rt.action != "read" {
				t.Errorf("%s declares no 403", what)
			}
			if _, ok := op.Responses["404"]; !ok && (rt.action == "read" && rt.path != base+"/count") && rt.method == "get" && strings.Contains(rt.path, "{id}") {
				t.Errorf("%s declares no 404", what)
			}
		}
	}
	if want := 14 * len(spec.kinds()); checked != want {
		t.Errorf("checked %d operations, want %d", checked, want)
	}
	// The auth routes.
	for _, rt := range []struct {
		path, method string
		public       bool
		statuses     []string
	}{
		{"/api/auth/login", "post", true, []string{"200", "401", "429"}},
		{"/api/auth/refresh", "post", true, []string{"200", "401"}},
		{"/api/auth/logout", "post", true, []string{"204"}},
		{"/api/auth/me", "get", false, []string{"200", "401"}},
		{"/api/auth/password", "post", false, []string{"200", "401", "403", "429"}},
		{"/api/auth/tokens", "post", false, []string{"201", "401"}},
		{"/api/auth/tokens", "get", false, []string{"200", "401"}},
	} {
		var op operation
		if err := json.Unmarshal(doc.Paths[rt.path][rt.method], &op); err != nil || op.Security == nil {
			t.Errorf("%s %s: no operation or no security (%v)", rt.method, rt.path, err)
			continue
		}
		if public := len(*op.Security) == 0 || slices.ContainsFunc(*op.Security, func(m map[string][]string) bool { return len(m) == 0 }); public != rt.public {
			t.Errorf("%s %s: security %v, want public %v", rt.method, rt.path, *op.Security, rt.public)
		}
		for _, s := range rt.statuses {
			if _, ok := op.Responses[s]; !ok {
				t.Errorf("%s %s declares no %s", rt.method, rt.path, s)
			}
		}
	}
}
