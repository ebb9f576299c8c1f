package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPersonalAccessTokens(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend)
		alice := v.createUser("alice@example.com", "password1", "editor", "viewer")
		v.createUser("bob@example.com", "password2", "viewer")
		v.createUser("root@example.com", "password3", "admin")
		sess := v.login("alice@example.com", "password1")
		bob := v.login("bob@example.com", "password2")
		root := v.login("root@example.com", "password3")

		// Create: shown once, distinguishable from a JWT.
		r := v.do(http.MethodPost, "/api/auth/tokens", sess.AccessToken, map[string]any{"name": "ci", "roles": []string{"viewer"}, "expires_in": 3600})
		wantStatus(t, r, http.StatusCreated)
		var nt NewToken
		decode(t, r.Body, &nt)
		if !strings.HasPrefix(nt.Token, PATPrefix+nt.ID+"_") || nt.Name != "ci" || !slices.Equal(nt.Roles, []string{"viewer"}) ||
			nt.ExpiresAt == nil || !nt.ExpiresAt.Equal(v.clock.Now().Add(time.Hour)) || nt.CreatedAt.IsZero() {
			t.Fatalf("created token = %+v", nt)
		}
		code, p := v.whoami(nt.Token)
		if code != http.StatusOK || p.ID != alice || !slices.Equal(p.Roles, []string{"viewer"}) || p.Claims["token_id"] != nt.ID {
			t.Fatalf("whoami with the token = %d %+v", code, p)
		}
		all := v.createPAT(sess.AccessToken, map[string]any{"name": "all roles", "expires_at": v.clock.Now().Add(48 * time.Hour).Format(time.RFC3339)})
		if _, p := v.whoami(all); !slices.Equal(p.Roles, []string{"editor", "viewer"}) {
			t.Errorf("token without roles has %v, want the owner's", p.Roles)
		}

		// Refusals.
		tests := []struct {
			name   string
			bearer string
			body   any
			status int
		}{
			{name: "a role the owner lacks", bearer: sess.AccessToken, body: map[string]any{"name": "x", "roles": []string{"admin"}}, status: http.StatusForbidden},
			{name: "an unknown role", bearer: sess.AccessToken, body: map[string]any{"name": "x", "roles": []string{"wizard"}}, status: http.StatusUnprocessableEntity},
			{name: "no name", bearer: sess.AccessToken, body: map[string]any{"roles": []string{"viewer"}}, status: http.StatusUnprocessableEntity},
			{name: "blank name", bearer: sess.AccessToken, body: map[string]any{"name": "  "}, status: http.StatusUnprocessableEntity},
			{name: "both expiries", bearer: sess.AccessToken, body: map[string]any{"name": "x", "expires_in": 5, "expires_at": "2099-01-01T00:00:00Z"}, status: http.StatusUnprocessableEntity},
			{name: "expiry in the past", bearer: sess.AccessToken, body: map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, status: http.StatusUnprocessableEntity},
			{name: "negative expires_in", bearer: sess.AccessToken, body: map[string]any{"name": "x", "expires_in": -5}, status: http.StatusUnprocessableEntity},
			{name: "anonymous", body: map[string]any{"name": "x"}, status: http.StatusUnauthorized},
			{name: "a token making tokens", bearer: nt.Token, body: map[string]any{"name": "x"}, status: http.StatusForbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantStatus(t, v.do(http.MethodPost, "/api/auth/tokens", tt.bearer, tt.body), tt.status)
			})
		}

		// List: own tokens only, never a secret or a hash.
		r = v.do(http.MethodGet, "/api/auth/tokens", sess.AccessToken, nil)
		wantStatus(t, r, http.StatusOK)
		var list struct{ Items []map[string]any }
		decode(t, r.Body, &list)
		if len(list.Items) != 2 || list.Items[0]["id"] != nt.ID {
			t.Fatalf("list = %s", r.Body)
		}
		secret := nt.Token[strings.LastIndex(nt.Token, "_")+1:]
		if strings.Contains(string(r.Body), secret) || strings.Contains(string(r.Body), hashSecret(secret)) || strings.Contains(string(r.Body), "hash") {
			t.Errorf("the list shows a secret or a hash: %s", r.Body)
		}
		wantStatus(t, v.do(http.MethodGet, "/api/auth/tokens", nt.Token, nil), http.StatusOK) // a token may list
		r = v.do(http.MethodGet, "/api/auth/tokens", bob.AccessToken, nil)
		if !strings.Contains(string(r.Body), `"items":[]`) {
			t.Errorf("bob's list = %s", r.Body)
		}

		// Revoke: another user's token is a 404; the owner and an admin may.
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/"+nt.ID, bob.AccessToken, nil), http.StatusNotFound)
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/no-such-token", sess.AccessToken, nil), http.StatusNotFound)
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/"+nt.ID, sess.AccessToken, nil), http.StatusNoContent)
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", nt.Token, nil))
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/"+nt.ID, sess.AccessToken, nil), http.StatusNoContent) // again
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/"+nt.ID[:len(nt.ID)-1]+flip(nt.ID[len(nt.ID)-1:]), sess.AccessToken, nil), http.StatusNotFound)
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/"+strings.SplitN(all, "_", 3)[1], root.AccessToken, nil), http.StatusNoContent)
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", all, nil))
		r = v.do(http.MethodGet, "/api/auth/tokens", sess.AccessToken, nil)
		if !strings.Contains(string(r.Body), `"items":[]`) {
			t.Errorf("list after revoking = %s", r.Body)
		}

		// A tampered secret and an expired token do not authenticate.
		short := v.createPAT(sess.AccessToken, map[string]any{"name": "short", "expires_in": 60})
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", short[:len(short)-1]+flip(short[len(short)-1:]), nil))
		if code, _ := v.whoami(short); code != http.StatusOK {
			t.Fatalf("fresh token: %d", code)
		}
		v.clock.Advance(61 * time.Second)
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", short, nil))
	})
}
