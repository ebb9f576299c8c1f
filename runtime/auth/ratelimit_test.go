package auth

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

func TestRateLimitAccount(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend, func(c *Config) { c.Limit = Limit{AccountFailures: 3, AddressAttempts: 100, Window: 10 * time.Minute} })
		v.createUser("alice@example.com", "password1", "viewer")
		bad := map[string]string{"email": "alice@example.com", "password": "wrong one"}
		for i := range 3 {
			// From different addresses: the account limit holds for all.
			wantStatus(t, v.doFrom(fmt.Sprintf("198.51.100.%d:1", i), http.MethodPost, "/api/auth/login", "", bad), http.StatusUnauthorized)
		}
		v.clock.Advance(4 * time.Minute)
		r := v.doFrom("198.51.100.9:1", http.MethodPost, "/api/auth/login", "", map[string]string{"email": "ALICE@example.com", "password": "password1"})
		wantRateLimited(t, r, 6*time.Minute)
		// The password is not even checked while limited.
		before := v.a.argonCalls.Load()
		wantStatus(t, v.do(http.MethodPost, "/api/auth/login", "", bad), http.StatusTooManyRequests)
		if v.a.argonCalls.Load() != before {
			t.Error("argon2 ran for a refused attempt")
		}
		// Other accounts are not affected.
		v.createUser("bob@example.com", "password2", "viewer")
		v.login("bob@example.com", "password2")
		// The window ends.
		v.clock.Advance(6 * time.Minute)
		v.login("alice@example.com", "password1")
		// A success resets the count.
		for range 3 {
			wantStatus(t, v.do(http.MethodPost, "/api/auth/login", "", bad), http.StatusUnauthorized)
			v.login("alice@example.com", "password1")
		}
	})
}

func TestRateLimitAddress(t *testing.T) {
	v := newEnv(t, "memory", func(c *Config) { c.Limit = Limit{AccountFailures: 100, AddressAttempts: 5, Window: time.Minute} })
	v.createUser("alice@example.com", "password1", "viewer")
	for i := range 5 {
		body := map[string]string{"email": fmt.Sprintf("user%d@example.com", i), "password": "password"}
		wantStatus(t, v.doFrom("203.0.113.7:1000", http.MethodPost, "/api/auth/login", "", body), http.StatusUnauthorized)
	}
	r := v.doFrom("203.0.113.7:1001", http.MethodPost, "/api/auth/login", "", map[string]string{"email": "alice@example.com", "password": "password1"})
	wantRateLimited(t, r, time.Minute)
	// Another address may log in.
	wantStatus(t, v.doFrom("203.0.113.8:1000", http.MethodPost, "/api/auth/login", "", map[string]string{"email": "alice@example.com", "password": "password1"}), http.StatusOK)
	// So does the password endpoint share the limit.
	tok := v.login("alice@example.com", "password1")
	r = v.doFrom("203.0.113.7:1", http.MethodPost, "/api/auth/password", tok.AccessToken, map[string]string{"old_password": "password1", "new_password": "password2"})
	wantStatus(t, r, http.StatusTooManyRequests)
	v.clock.Advance(time.Minute)
	wantStatus(t, v.doFrom("203.0.113.7:1001", http.MethodPost, "/api/auth/login", "", map[string]string{"email": "alice@example.com", "password": "password1"}), http.StatusOK)
}

func TestRateLimitOff(t *testing.T) {
	v := newEnv(t, "memory", func(c *Config) { c.Limit = Limit{AccountFailures: -1, AddressAttempts: -1} })
	v.createUser("alice@example.com", "password1", "viewer")
	for range 60 {
		wantStatus(t, v.do(http.MethodPost, "/api/auth/login", "", map[string]string{"email": "alice@example.com", "password": "nope nope"}), http.StatusUnauthorized)
	}
	if n := v.count("AuthLimit", ""); n != 0 {
		t.Errorf("%d counters stored with the limit off", n)
	}
}

// wantRateLimited checks a 429 whose Retry-After is the time left in the
// window.
func wantRateLimited(tb testing.TB, r *response, left time.Duration) {
	tb.Helper()
	wantStatus(tb, r, http.StatusTooManyRequests)
	if code := r.json(tb)["code"]; code != string(resource.CodeRateLimited) {
		tb.Errorf("code = %v", code)
	}
	got, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if err != nil || got != int(left.Seconds()) {
		tb.Errorf("Retry-After = %q, want %d", r.Header.Get("Retry-After"), int(left.Seconds()))
	}
}

// TestRateLimitConcurrentFirstHits makes several instances count the
// first attempts of one key at once: every hit is counted once, the
// instances that lose the race to create the counter retry.
func TestRateLimitConcurrentFirstHits(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		base := newEnv(t, backend)
		b := base.svc.Backend()
		const n = 4
		envs := make([]*env, n)
		for i := range envs {
			envs[i] = newEnvOn(t, b, base.schema, base.clock)
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		counts := make([]int, n)
		for i, v := range envs {
			wg.Go(func() { counts[i], _, errs[i] = v.a.hit(context.Background(), "addr:192.0.2.55") })
		}
		wg.Wait()
		seen := map[int]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("hit %d: %v", i, errs[i])
			}
			seen[counts[i]] = true
		}
		for c := 1; c <= n; c++ {
			if !seen[c] {
				t.Errorf("counts = %v, want each of 1..%d once", counts, n)
				break
			}
		}
		if got := base.count("AuthLimit", eq("key", "addr:192.0.2.55")); got != 1 {
			t.Errorf("%d counters, want 1", got)
		}
	})
}

func TestLimitKey(t *testing.T) {
	long := strings.Repeat("a", 400) + "@example.com"
	tests := []struct{ name, got, want string }{
		{name: "address", got: addressKey("192.0.2.1"), want: "addr:192.0.2.1"},
		{name: "account folds ASCII", got: accountKey("Ünï@EXAMPLE.com"), want: "account:Ünï@example.com"},
		{name: "long account", got: accountKey(long), want: "account:#" + hashSecret(long)},
		{name: "NUL", got: addressKey("1\x002"), want: "addr:#" + hashSecret("1\x002")},
		{name: "not UTF-8", got: addressKey("\xff"), want: "addr:#" + hashSecret("\xff")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
	// Login with such values is a plain refusal, not a storage error.
	v := newEnv(t, "memory")
	for _, email := range []string{long, "a\x00@example.com", "\xff@example.com"} {
		if _, err := v.a.Login(context.Background(), email, "password1", "\xff"); resource.CodeOf(err) != resource.CodeUnauthenticated {
			t.Errorf("Login(%.20q): %v, want a 401", email, err)
		}
	}
}
