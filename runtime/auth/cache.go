package auth

import (
	"context"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/specstar-go/specstar/runtime/resource"
)

// cacheTTL is how long the state of a user or a personal access token is
// trusted without reading it again. It bounds how long a change made on
// another instance that did not reach Invalidate (roles, disabling, a
// revoked token) can take to apply here; changes made through this
// instance's Service apply at once (the observer drops the entry).
const cacheTTL = 2 * time.Second

// loadTimeout bounds a load of a user or a token that requests share.
const loadTimeout = 10 * time.Second

// Cache bounds: when full, a map starts over (a cheap reset rather than
// an eviction policy; the entries are cheap to load again).
const (
	maxUsers  = 10000
	maxPATs   = 10000
	maxAccess = 20000
)

// userEntry is the state of a user as requests see it.
type userEntry struct {
	id       string
	exists   bool // live (neither unknown nor deleted)
	email    string
	name     string
	roles    []string
	disabled bool
	epoch    int64  // of the credential; 0 without one
	credID   string // the credential's resource id, for Invalidate
	loaded   time.Time
	// principal is the principal of the user's access tokens (shared by
	// every request: principals are read-only).
	principal *resource.Principal
}

// usable reports whether the user may authenticate.
func (u *userEntry) usable() bool { return u.exists && !u.disabled }

// patEntry is the state of a personal access token.
type patEntry struct {
	id     string
	exists bool
	user   string
	// secretSum is the SHA-256 of the secret (decoded from the stored
	// hex), compared without allocating on every request.
	secretSum [32]byte
	roles     []string
	expiresAt *time.Time
	revoked   bool
	loaded    time.Time
	// principal caches the principal built from one userEntry.
	principal atomic.Pointer[patPrincipal]
}

// patPrincipal is a PAT's principal and the user state it was built from.
type patPrincipal struct {
	user *userEntry
	p    *resource.Principal
}

// accessEntry is a verified access token: its signature, issuer, and
// algorithm were checked once, and only its expiry and the user's state
// are checked on each use.
type accessEntry struct {
	sub string
	ver int64
	exp time.Time
}

// cache holds users, PATs and verified access tokens. Reads take no
// lock (they happen on every request, on every core); writes hold mu.
// gen counts invalidations: a load that started before one does not
// store its (possibly stale) result.
type cache struct {
	mu    sync.Mutex
	users table[*userEntry]
	pats  table[*patEntry]
	gen   atomic.Uint64

	access table[*accessEntry] // by token; written without mu

	loads singleflight.Group
}

func newCache() *cache {
	return &cache{users: table[*userEntry]{max: maxUsers}, pats: table[*patEntry]{max: maxPATs}, access: table[*accessEntry]{max: maxAccess}}
}

// table is a map read without locks, bounded by max entries: when full,
// it starts over (a cheap reset rather than an eviction policy; the
// entries are cheap to load again).
type table[V any] struct {
	m   sync.Map
	n   atomic.Int64
	max int64
}

func (t *table[V]) load(key string) (V, bool) {
	v, ok := t.m.Load(key)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

func (t *table[V]) store(key string, v V) {
	if _, loaded := t.m.Swap(key, v); !loaded && t.n.Add(1) > t.max {
		t.m.Clear()
		t.n.Store(1)
		t.m.Store(key, v)
	}
}

func (t *table[V]) delete(key string) {
	if _, ok := t.m.LoadAndDelete(key); ok {
		t.n.Add(-1)
	}
}

func (t *table[V]) deleteFunc(del func(V) bool) {
	t.m.Range(func(k, v any) bool {
		if del(v.(V)) {
			t.delete(k.(string))
		}
		return true
	})
}

func (t *table[V]) clear() {
	t.m.Clear()
	t.n.Store(0)
}

// dropUser forgets user id.
func (c *cache) dropUser(id string) {
	c.mu.Lock()
	c.gen.Add(1)
	c.users.delete(id)
	c.mu.Unlock()
}

// dropCredential forgets the user whose credential is credID.
func (c *cache) dropCredential(credID string) {
	c.mu.Lock()
	c.gen.Add(1)
	c.users.deleteFunc(func(u *userEntry) bool { return u.credID == credID })
	c.mu.Unlock()
}

// dropPAT forgets token id.
func (c *cache) dropPAT(id string) {
	c.mu.Lock()
	c.gen.Add(1)
	c.pats.delete(id)
	c.mu.Unlock()
}

// storeIfCurrent stores a loaded entry unless an invalidation happened
// since the load started (at generation gen).
func storeIfCurrent[V any](c *cache, t *table[V], gen uint64, key string, v V) {
	c.mu.Lock()
	if c.gen.Load() == gen {
		t.store(key, v)
	}
	c.mu.Unlock()
}

// fresh reports whether an entry loaded at loaded may be used at now.
func fresh(loaded, now time.Time) bool {
	return now.Sub(loaded) < cacheTTL && !now.Before(loaded)
}

// user returns the state of user id, from the cache when fresh.
func (a *Auth) user(ctx context.Context, id string) (*userEntry, error) {
	if u, ok := a.cache.users.load(id); ok && fresh(u.loaded, a.now()) {
		return u, nil
	}
	v, err, _ := a.cache.loads.Do("u\x00"+id, func() (any, error) {
		// The callers waiting on this load share it: it must not fail
		// because the first of them went away.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		gen := a.cache.gen.Load()
		u, err := a.loadUser(ctx, id)
		if err != nil {
			return nil, err
		}
		storeIfCurrent(a.cache, &a.cache.users, gen, id, u)
		return u, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*userEntry), nil
}

// loadUser reads the state of user id from storage.
func (a *Auth) loadUser(ctx context.Context, id string) (*userEntry, error) {
	u := &userEntry{id: id, loaded: a.now()}
	var d userData
	_, err := a.get(ctx, a.kinds.user, id, &d)
	switch resource.CodeOf(err) {
	case resource.CodeNotFound, resource.CodeGone:
		return u, nil
	}
	if err != nil {
		return nil, err
	}
	u.exists, u.email, u.name, u.roles, u.disabled = true, d.Email, d.Name, d.roles(), d.Disabled
	var cred credentialData
	env, err := a.findOne(ctx, a.kinds.credential, "user", id, &cred)
	if err != nil {
		return nil, err
	}
	if env != nil {
		u.epoch, u.credID = cred.Epoch, env.Meta.ResourceID
	}
	u.principal = &resource.Principal{ID: id, Roles: u.roles, Claims: map[string]any{"auth": "jwt", "email": u.email}}
	return u, nil
}

// pat returns the state of token id, from the cache when fresh.
func (a *Auth) pat(ctx context.Context, id string) (*patEntry, error) {
	if t, ok := a.cache.pats.load(id); ok && fresh(t.loaded, a.now()) {
		return t, nil
	}
	v, err, _ := a.cache.loads.Do("t\x00"+id, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		gen := a.cache.gen.Load()
		t := &patEntry{id: id, loaded: a.now()}
		var d tokenData
		_, err := a.get(ctx, a.kinds.token, id, &d)
		switch code := resource.CodeOf(err); {
		case code == resource.CodeNotFound || code == resource.CodeGone:
		case err != nil:
			return nil, err
		default:
			t.exists, t.user, t.roles, t.expiresAt, t.revoked = true, d.User, d.Roles, d.ExpiresAt, d.Revoked
			if n, err := hex.Decode(t.secretSum[:], []byte(d.SecretHash)); err != nil || n != len(t.secretSum) {
				t.exists = false // a corrupt hash matches nothing
			}
		}
		storeIfCurrent(a.cache, &a.cache.pats, gen, id, t)
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*patEntry), nil
}

// patPrincipalFor returns the principal of token t owned by user u: the
// user's current roles, narrowed to the token's when it names some.
func (t *patEntry) principalFor(u *userEntry) *resource.Principal {
	if pp := t.principal.Load(); pp != nil && pp.user == u {
		return pp.p
	}
	roles := u.roles
	if len(t.roles) > 0 {
		roles = make([]string, 0, len(t.roles))
		for _, r := range u.roles {
			if containsString(t.roles, r) {
				roles = append(roles, r)
			}
		}
	}
	p := &resource.Principal{ID: u.id, Roles: roles, Claims: map[string]any{"auth": "pat", "email": u.email, "token_id": t.id}}
	t.principal.Store(&patPrincipal{user: u, p: p})
	return p
}

// containsString reports whether list holds s.
func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
