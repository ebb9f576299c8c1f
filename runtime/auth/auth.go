package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Defaults of Config and Limit.
const (
	DefaultAccessTTL  = 15 * time.Minute
	DefaultRefreshTTL = 720 * time.Hour

	DefaultAccountFailures = 10
	DefaultAddressAttempts = 50
	DefaultLimitWindow     = 15 * time.Minute
)

// RoleAdmin is the role that passes every permission rule; every spec
// with auth has it.
const RoleAdmin = "admin"

// MinSecretLen is the shortest SPECSTAR_AUTH_SECRET entry New accepts: an
// HS256 key should hold at least as many bytes as the hash output.
const MinSecretLen = 32

// Config configures an Auth. Zero fields take their defaults.
type Config struct {
	// Roles are the spec's roles; RoleAdmin is added when missing.
	Roles []string
	// AccessTTL is the lifetime of an access token (default 15m).
	AccessTTL time.Duration
	// RefreshTTL is how long a login lasts without a refresh (default
	// 720h): each refresh extends the session by RefreshTTL.
	RefreshTTL time.Duration
	// Secrets are the JWT signing secrets (SPECSTAR_AUTH_SECRET split on
	// ","), each at least MinSecretLen bytes: the first signs, all
	// verify, so that a secret can be rotated by prepending the new one.
	// Empty: a key is generated once and stored in the AuthKey kind, so
	// that every instance on the database agrees.
	Secrets []string
	// Limit is the login rate limit.
	Limit Limit
	// Logger receives security events (logins refused, refresh token
	// reuse) and failures; nil discards them. No password, token or hash
	// is ever logged.
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Limit is the rate limit of logins and password changes, counted in
// fixed windows in the AuthLimit kind, so that every instance on one
// database shares the counters. A zero field takes its default; a
// negative one turns that limit off.
type Limit struct {
	// AccountFailures is how many attempts on one account (email) may
	// fail in a window (default 10). A successful login resets the count.
	AccountFailures int
	// AddressAttempts is how many attempts one client address may make in
	// a window, successful or not (default 50).
	AddressAttempts int
	// Window is the length of a counting window (default 15m).
	Window time.Duration
}

// Auth authenticates the requests of one server: it issues and checks
// access, refresh and personal access tokens, serves the /auth routes,
// and keeps the users' credentials consistent through Service hooks.
// Build it with New before the Service (its ServiceOptions go into the
// Service), then Start it with the Service. Its methods are safe for
// concurrent use.
type Auth struct {
	cfg    Config
	limit  Limit
	logger *slog.Logger
	now    func() time.Time
	kinds  kinds
	roles  []string

	// hooked is the service built with ServiceOptions; svc the one
	// bound by Start (they must be the same).
	hooked atomic.Pointer[resource.Service]
	svc    atomic.Pointer[resource.Service]

	keys  *keyring
	cache *cache

	// params are the argon2id parameters of new hashes; dummy is a hash
	// made with them, verified for unknown accounts so that they take as
	// long as known ones.
	params params
	dummy  string
	// hashSlots bounds how many argon2 computations run at once (each
	// takes params.memory KiB).
	hashSlots chan struct{}
	// argonCalls counts argon2 computations (tests check that unknown
	// accounts cost one too).
	argonCalls atomic.Int64
}

// kinds are the storage kinds of auth's state.
type kinds struct {
	user, credential, session, token, key, limit *resource.Kind
}

// kindSpec is what auth needs of one kind: its name, the keys of its
// data and which of them must be indexed (and unique).
type kindSpec struct {
	name    string
	data    []string
	indexed []string
	unique  []string
	dst     func(*kinds) **resource.Kind
}

// kindSpecs lists the kinds auth needs (authtest.Kinds builds them).
var kindSpecs = []kindSpec{
	{name: "User", data: []string{"email", "name", "roles", "disabled"}, indexed: []string{"email"}, unique: []string{"email"},
		dst: func(k *kinds) **resource.Kind { return &k.user }},
	{name: "AuthCredential", data: []string{"user", "hash", "epoch", "changed_at"}, indexed: []string{"user"}, unique: []string{"user"},
		dst: func(k *kinds) **resource.Kind { return &k.credential }},
	{name: "AuthSession", data: []string{"user", "secret_hash", "previous", "expires_at", "revoked"}, indexed: []string{"user", "expires_at", "revoked"},
		dst: func(k *kinds) **resource.Kind { return &k.session }},
	{name: "AuthToken", data: []string{"user", "name", "secret_hash", "roles", "expires_at", "revoked"}, indexed: []string{"user"},
		dst: func(k *kinds) **resource.Kind { return &k.token }},
	{name: "AuthKey", data: []string{"kid", "secret", "created_at"}, indexed: []string{"kid"}, unique: []string{"kid"},
		dst: func(k *kinds) **resource.Kind { return &k.key }},
	{name: "AuthLimit", data: []string{"key", "window_start", "count"}, indexed: []string{"key"}, unique: []string{"key"},
		dst: func(k *kinds) **resource.Kind { return &k.limit }},
}

// New returns an Auth for the kinds of schema, which must hold the kinds
// the generator adds for auth (see authtest.Kinds): a missing kind or
// field is an error naming it.
func New(schema *resource.Schema, cfg Config) (*Auth, error) {
	if schema == nil {
		return nil, errors.New("auth: no schema")
	}
	a := &Auth{cfg: cfg, now: cfg.Now, logger: cfg.Logger, params: defaultParams}
	if a.now == nil {
		a.now = time.Now
	}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.cfg.AccessTTL == 0 {
		a.cfg.AccessTTL = DefaultAccessTTL
	}
	if a.cfg.RefreshTTL == 0 {
		a.cfg.RefreshTTL = DefaultRefreshTTL
	}
	if a.cfg.AccessTTL < 0 || a.cfg.RefreshTTL < 0 {
		return nil, errors.New("auth: AccessTTL and RefreshTTL must not be negative")
	}
	a.limit = cfg.Limit.withDefaults()
	a.roles = slices.Clone(cfg.Roles)
	if !slices.Contains(a.roles, RoleAdmin) {
		a.roles = append([]string{RoleAdmin}, a.roles...)
	}
	var errs []error
	for _, ks := range kindSpecs {
		k, err := checkKind(schema, ks)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		*ks.dst(&a.kinds) = k
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("auth: the schema lacks what auth needs (does the spec have an auth: section?):\n%w", err)
	}
	keys, err := newKeyring(cfg.Secrets)
	if err != nil {
		return nil, err
	}
	a.keys = keys
	a.cache = newCache()
	a.hashSlots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))
	a.dummy = a.mustHash("specstar dummy password for unknown accounts")
	return a, nil
}

// checkKind returns the kind ks describes, or an error naming what it
// lacks.
func checkKind(schema *resource.Schema, ks kindSpec) (*resource.Kind, error) {
	k := schema.Kind(ks.name)
	if k == nil {
		return nil, fmt.Errorf("kind %s is missing", ks.name)
	}
	var missing []string
	for _, name := range ks.data {
		if !slices.Contains(k.DataFields, name) {
			missing = append(missing, fmt.Sprintf("field %q", name))
		}
	}
	for _, name := range ks.indexed {
		if f := k.Field(name); f == nil || !f.Indexed {
			missing = append(missing, fmt.Sprintf("an index on %q", name))
		}
	}
	for _, name := range ks.unique {
		if f := k.Field(name); f == nil || !f.Unique {
			missing = append(missing, fmt.Sprintf("uniqueness of %q", name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("kind %s lacks %s", ks.name, strings.Join(missing, ", "))
	}
	return k, nil
}

// withDefaults fills the zero fields of l.
func (l Limit) withDefaults() Limit {
	if l.AccountFailures == 0 {
		l.AccountFailures = DefaultAccountFailures
	}
	if l.AddressAttempts == 0 {
		l.AddressAttempts = DefaultAddressAttempts
	}
	if l.Window <= 0 {
		l.Window = DefaultLimitWindow
	}
	return l
}

// Roles returns the roles of the spec, RoleAdmin included.
func (a *Auth) Roles() []string { return slices.Clone(a.roles) }

// Start binds the Service, which must have been built with
// a.ServiceOptions(), and loads the signing keys: with no configured
// secret, the newest key stored in AuthKey, created on first start (two
// instances starting at once agree: the first key has a fixed kid, so
// one create wins and the other reads it).
func (a *Auth) Start(ctx context.Context, svc *resource.Service) error {
	if svc == nil {
		return errors.New("auth: Start: no service")
	}
	if a.hooked.Load() != svc {
		return errors.New("auth: Start: the service was not built with Auth.ServiceOptions(); without its hooks, passwords written to users would be stored as they are")
	}
	a.svc.Store(svc)
	if err := a.keys.start(ctx, a); err != nil {
		return fmt.Errorf("auth: Start: %w", err)
	}
	return nil
}

// service returns the bound service, or an error before Start.
func (a *Auth) service() (*resource.Service, error) {
	if s := a.svc.Load(); s != nil {
		return s, nil
	}
	return nil, errors.New("auth: used before Start")
}

// sys returns ctx acting as the system principal (a hook's transaction,
// if ctx carries one, is kept).
func sys(ctx context.Context) context.Context {
	return resource.AsSystem(ctx)
}

// timestamp returns the current time as auth stores it: UTC, truncated to
// microseconds as the Service stores its own times.
func (a *Auth) timestamp() time.Time {
	return a.now().UTC().Truncate(time.Microsecond)
}
