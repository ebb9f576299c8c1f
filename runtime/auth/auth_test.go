package auth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/specstar-go/specstar/runtime/auth/authtest"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

func TestNewChecksKinds(t *testing.T) {
	without := func(name string) []*resource.Kind {
		return slices.DeleteFunc(authtest.Kinds(testRoles), func(k *resource.Kind) bool { return k.Name == name })
	}
	changed := func(name string, fn func(k *resource.Kind)) []*resource.Kind {
		ks := authtest.Kinds(testRoles)
		for _, k := range ks {
			if k.Name == name {
				fn(k)
			}
		}
		return ks
	}
	tests := []struct {
		name  string
		kinds []*resource.Kind
		want  string
	}{
		{name: "all there", kinds: authtest.Kinds(testRoles)},
		{name: "no AuthKey", kinds: without("AuthKey"), want: "kind AuthKey is missing"},
		{name: "no User", kinds: without("User"), want: "kind User is missing"},
		{name: "no data field", kinds: changed("AuthSession", func(k *resource.Kind) { k.DataFields = k.DataFields[:3] }),
			want: `kind AuthSession lacks field "expires_at", field "revoked"`},
		{name: "email not indexed", kinds: changed("User", func(k *resource.Kind) { k.Fields = k.Fields[1:] }),
			want: `kind User lacks an index on "email", uniqueness of "email"`},
		{name: "kid not unique", kinds: changed("AuthKey", func(k *resource.Kind) { k.Fields[0].Unique = false }),
			want: `kind AuthKey lacks uniqueness of "kid"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&resource.Schema{Kinds: tt.kinds}, Config{})
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New: %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := New(&resource.Schema{Kinds: authtest.Kinds(nil)}, Config{Secrets: []string{"too short"}}); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("short secret: %v", err)
	}
}

func TestAuthtestKinds(t *testing.T) {
	// The descriptors match what auth requires, and each call returns
	// new ones (tests may change them).
	a, b := authtest.Kinds(testRoles), authtest.Kinds(testRoles)
	if a[0] == b[0] || &a[0].Fields[0] == &b[0].Fields[0] {
		t.Error("Kinds shares descriptors between calls")
	}
	user := a[0]
	email := user.Field("email")
	if user.Name != "User" || email == nil || !email.Unique || !email.Fold || !email.Indexed || user.Field("roles") == nil || !user.Field("roles").List {
		t.Errorf("User = %+v", user)
	}
}

func TestStartNeedsTheHooks(t *testing.T) {
	schema := &resource.Schema{Kinds: authtest.Kinds(testRoles)}
	a, err := New(schema, Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(memory.New(), schema)
	if err := a.Start(context.Background(), svc); err == nil || !strings.Contains(err.Error(), "ServiceOptions") {
		t.Errorf("Start on a service without the hooks: %v", err)
	}
	if _, err := a.Authenticate(context.Background(), "x"); err == nil {
		t.Error("Authenticate before Start succeeded")
	}
}

func TestStoredKeysAcrossInstances(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		base := newEnv(t, backend)
		b := base.svc.Backend()
		// Instances starting at once agree on one key.
		const n = 3
		envs := make([]*env, n)
		var wg sync.WaitGroup
		for i := range envs {
			wg.Go(func() { envs[i] = newEnvOn(t, b, base.schema, base.clock) })
		}
		wg.Wait()
		if got := base.count("AuthKey", ""); got != 1 {
			t.Fatalf("%d stored keys, want 1", got)
		}
		base.createUser("alice@example.com", "password1", "viewer")
		tok := envs[0].login("alice@example.com", "password1")
		for i, v := range append(envs, base) {
			if code, _ := v.whoami(tok.AccessToken); code != http.StatusOK {
				t.Errorf("instance %d: %d", i, code)
			}
		}
		// After a rotation on one instance, the others verify its new
		// tokens (reading the keys again for the unknown kid), and the
		// old tokens stay valid.
		if err := envs[1].a.RotateKey(context.Background()); err != nil {
			t.Fatal(err)
		}
		tok2 := envs[1].login("alice@example.com", "password1")
		if kidOf(t, tok2.AccessToken) != "k2" || kidOf(t, tok.AccessToken) != "k1" {
			t.Fatalf("kids %s, %s", kidOf(t, tok.AccessToken), kidOf(t, tok2.AccessToken))
		}
		base.clock.Advance(reloadEvery)
		for i, v := range envs {
			for _, bearer := range []string{tok.AccessToken, tok2.AccessToken} {
				if code, _ := v.whoami(bearer); code != http.StatusOK {
					t.Errorf("instance %d, %s: %d", i, kidOf(t, bearer), code)
				}
			}
		}
		// An instance told of the new key signs with it.
		envs[2].a.Invalidate("AuthKey", "")
		if kid := kidOf(t, envs[2].login("alice@example.com", "password1").AccessToken); kid != "k2" {
			t.Errorf("after Invalidate the instance signs with %s", kid)
		}
	})
}

func TestConfiguredSecrets(t *testing.T) {
	const s1, s2 = "first-secret-of-at-least-32-bytes!!", "second-secret-of-at-least-32-bytes!"
	v1 := newEnv(t, "memory", func(c *Config) { c.Secrets = []string{s2} })
	v1.createUser("alice@example.com", "password1", "viewer")
	old := v1.login("alice@example.com", "password1")
	// The next deployment prepends a new secret: old tokens still verify,
	// new ones are signed with the new secret.
	v2 := newEnvOn(t, v1.svc.Backend(), v1.schema, v1.clock, func(c *Config) { c.Secrets = []string{s1, " " + s2} })
	if code, _ := v2.whoami(old.AccessToken); code != http.StatusOK {
		t.Errorf("a token of the second secret: %d", code)
	}
	fresh := v2.login("alice@example.com", "password1")
	if kidOf(t, fresh.AccessToken) == kidOf(t, old.AccessToken) {
		t.Error("the first secret does not sign")
	}
	if code, _ := v1.whoami(fresh.AccessToken); code != http.StatusUnauthorized {
		t.Errorf("an instance without the new secret accepted its token: %d", code)
	}
	if n := v1.count("AuthKey", ""); n != 0 {
		t.Errorf("%d keys stored with configured secrets", n)
	}
	if err := v2.a.RotateKey(context.Background()); err == nil {
		t.Error("RotateKey with configured secrets succeeded")
	}
}

// kidOf returns the kid header of a JWT.
func kidOf(tb testing.TB, token string) string {
	tb.Helper()
	tk, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		tb.Fatal(err)
	}
	kid, _ := tk.Header["kid"].(string)
	return kid
}

func TestAuthenticate(t *testing.T) {
	v := newEnv(t, "memory")
	id := v.createUser("alice@example.com", "password1", "editor")
	tok := v.login("alice@example.com", "password1")
	for _, bearer := range []string{tok.AccessToken, "Bearer " + tok.AccessToken, "bearer  " + tok.AccessToken + " "} {
		p, err := v.a.Authenticate(context.Background(), bearer)
		if err != nil || p == nil || p.ID != id {
			t.Errorf("Authenticate(%.12q…) = %+v, %v", bearer, p, err)
		}
	}
	if p, err := v.a.Authenticate(context.Background(), ""); p != nil || err != nil {
		t.Errorf("empty bearer: %+v, %v", p, err)
	}
	for _, bad := range []string{"nope", "Bearer ", "Bearer nope"} {
		if _, err := v.a.Authenticate(context.Background(), bad); resource.CodeOf(err) != resource.CodeUnauthenticated {
			t.Errorf("Authenticate(%q): %v, want a 401", bad, err)
		}
	}
	ctx := resource.WithPrincipal(context.Background(), &resource.Principal{ID: id, Claims: map[string]any{"auth": "jwt"}})
	if u, err := v.a.Me(ctx); err != nil || u.Email != "alice@example.com" {
		t.Errorf("Me = %+v, %v", u, err)
	}
}

func TestCacheExpires(t *testing.T) {
	// A change that does not reach this instance (another instance made
	// it, and no Invalidate came) applies once the cache TTL passes.
	v := newEnv(t, "memory")
	other := newEnvOn(t, v.svc.Backend(), v.schema, v.clock)
	id := v.createUser("alice@example.com", "password1", "editor")
	tok := v.login("alice@example.com", "password1")
	if code, _ := v.whoami(tok.AccessToken); code != http.StatusOK {
		t.Fatal(code)
	}
	other.patchUser(id, map[string]any{"roles": []string{"viewer"}})
	if _, p := v.whoami(tok.AccessToken); !slices.Equal(p.Roles, []string{"editor"}) {
		t.Fatalf("roles changed before the TTL: %v", p.Roles)
	}
	v.clock.Advance(cacheTTL)
	if _, p := v.whoami(tok.AccessToken); !slices.Equal(p.Roles, []string{"viewer"}) {
		t.Errorf("roles after the TTL: %v", p.Roles)
	}
	// Invalidate applies at once.
	other.patchUser(id, map[string]any{"disabled": true})
	v.a.Invalidate("User", id)
	wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", tok.AccessToken, nil))
}

func TestPHC(t *testing.T) {
	a := &Auth{params: testParams, hashSlots: make(chan struct{}, 1)}
	h, err := a.hashPassword("pässword")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash = %s", h)
	}
	// Verification reads the parameters from the hash, not the defaults.
	a.params = defaultParams
	if ok, err := a.verifyPassword(h, "pässword"); !ok || err != nil {
		t.Errorf("verify = %v, %v", ok, err)
	}
	if ok, _ := a.verifyPassword(h, "password"); ok {
		t.Error("a wrong password verified")
	}
	// The default parameters are the documented ones.
	a.params = defaultParams
	h2, _ := a.hashPassword("x")
	if !strings.HasPrefix(h2, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("default hash = %s", h2)
	}
	for _, bad := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1$c2FsdHNhbHQ", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5", "$argon2id$v=19$m=64,t=1,p=1,x=2$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5a2V5a2V5a2V5a2V5a2V5",
	} {
		if ok, err := a.verifyPassword(bad, "x"); ok || err == nil {
			t.Errorf("verify(%q) = %v, %v; want an error", bad, ok, err)
		}
	}
}

func TestSweep(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend, func(c *Config) {
			c.RefreshTTL = time.Hour
			c.Limit = Limit{Window: time.Minute}
		})
		v.createUser("alice@example.com", "password1", "viewer")
		old := v.login("alice@example.com", "password1")
		short := v.createPAT(old.AccessToken, map[string]any{"name": "short", "expires_in": 60})
		revoked := v.createPAT(old.AccessToken, map[string]any{"name": "revoked"})
		keep := v.createPAT(old.AccessToken, map[string]any{"name": "keep"})
		wantStatus(t, v.do(http.MethodDelete, "/api/auth/tokens/"+strings.Split(revoked, "_")[1], old.AccessToken, nil), http.StatusNoContent)
		v.clock.Advance(50 * time.Minute)
		fresh := v.login("alice@example.com", "password1")
		if n, err := v.a.Sweep(context.Background()); err != nil || n != 2 {
			// the revoked token and the expired one (the login just now
			// started new windows for both counters)
			t.Errorf("first sweep: %d, %v; want 2", n, err)
		}
		v.clock.Advance(20 * time.Minute)
		if n, err := v.a.Sweep(context.Background()); err != nil || n != 3 {
			// the old session and both counters of the fresh login
			t.Errorf("second sweep: %d, %v; want 3", n, err)
		}
		if n := v.count("AuthSession", ""); n != 1 {
			t.Errorf("%d sessions left, want 1", n)
		}
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": fresh.RefreshToken}), http.StatusOK)
		if code, _ := v.whoami(keep); code != http.StatusOK {
			t.Errorf("kept token: %d", code)
		}
		wantUnauthorized(t, v.do(http.MethodGet, "/api/whoami", short, nil))
	})
}

// TestConcurrentRequests authenticates from several goroutines while
// the user's roles change (run it with -race).
func TestConcurrentRequests(t *testing.T) {
	v := newEnv(t, "memory")
	id := v.createUser("alice@example.com", "password1", "editor")
	tok := v.login("alice@example.com", "password1")
	pat := v.createPAT(tok.AccessToken, map[string]any{"name": "x"})
	var wg sync.WaitGroup
	for i := range 4 {
		bearer := tok.AccessToken
		if i%2 == 1 {
			bearer = pat
		}
		wg.Go(func() {
			for range 50 {
				p, err := v.a.Authenticate(context.Background(), bearer)
				if err != nil || p.ID != id {
					t.Errorf("Authenticate: %+v, %v", p, err)
					return
				}
			}
		})
	}
	for i := range 10 {
		v.patchUser(id, map[string]any{"roles": []string{testRoles[i%3]}})
		v.clock.Advance(time.Second)
	}
	wg.Wait()
	if _, p := v.whoami(tok.AccessToken); !slices.Equal(p.Roles, []string{testRoles[9%3]}) {
		t.Errorf("roles = %v", p.Roles)
	}
}
