package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// keyring holds the HS256 keys of access tokens by kid: the configured
// secrets (kid "s-" and 12 hex digits of the secret's SHA-256, the same on
// every instance), or the keys stored in AuthKey (kids "k1", "k2", …; the
// highest number signs).
type keyring struct {
	static bool

	mu   sync.RWMutex
	sign string
	keys map[string][]byte
	// loaded is when the stored keys were last read; reloads on an
	// unknown kid happen at most once per reloadEvery.
	loaded time.Time
	// stale is set when another instance may have added a key.
	stale atomic.Bool
	// reloading serialises the reloads of lookup.
	reloading sync.Mutex
}

// reloadEvery bounds how often a token with an unknown kid makes auth
// read the stored keys again.
const reloadEvery = time.Second

// keyBytes is the size of a generated key.
const keyBytes = 32

// newKeyring returns the keyring of the configured secrets, or an empty
// one to be filled from storage by start.
func newKeyring(secrets []string) (*keyring, error) {
	kr := &keyring{keys: make(map[string][]byte)}
	for i, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("auth: secret %d of %d is %d bytes long; each must have at least %d (generate one with: openssl rand -base64 32)", i+1, len(secrets), len(s), MinSecretLen)
		}
		sum := sha256.Sum256([]byte(s))
		kid := "s-" + hex.EncodeToString(sum[:6])
		if _, dup := kr.keys[kid]; dup {
			continue
		}
		kr.keys[kid] = []byte(s)
		if kr.sign == "" {
			kr.sign = kid
		}
	}
	kr.static = len(kr.keys) > 0
	return kr, nil
}

// keyData is the data of an AuthKey.
type keyData struct {
	Kid       string    `json:"kid"`
	Secret    string    `json:"secret"`
	CreatedAt time.Time `json:"created_at"`
}

// start loads the stored keys, creating the first one if there is none.
func (kr *keyring) start(ctx context.Context, a *Auth) error {
	if kr.static {
		return nil
	}
	if err := kr.reload(ctx, a); err != nil {
		return err
	}
	kr.mu.RLock()
	empty := kr.sign == ""
	kr.mu.RUnlock()
	if !empty {
		return nil
	}
	if err := kr.create(ctx, a, 1); err != nil {
		return err
	}
	return kr.reload(ctx, a)
}

// create stores key number n. A conflict means another instance created
// it first, which is as good.
func (kr *keyring) create(ctx context.Context, a *Auth, n int) error {
	secret := make([]byte, keyBytes)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	_, err := a.create(ctx, a.kinds.key, keyData{
		Kid:       "k" + strconv.Itoa(n),
		Secret:    base64.StdEncoding.EncodeToString(secret),
		CreatedAt: a.timestamp(),
	})
	if resource.CodeOf(err) == resource.CodeConflict {
		return nil
	}
	return err
}

// reload reads every stored key.
func (kr *keyring) reload(ctx context.Context, a *Auth) error {
	recs, err := a.listAll(ctx, a.kinds.key, "")
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	keys := make(map[string][]byte, len(recs))
	sign, best := "", 0
	for _, env := range recs {
		var d keyData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			return fmt.Errorf("signing key %s: %w", env.Meta.ResourceID, err)
		}
		secret, err := base64.StdEncoding.DecodeString(d.Secret)
		if err != nil || len(secret) < keyBytes {
			return fmt.Errorf("signing key %q is not %d bytes of base64", d.Kid, keyBytes)
		}
		keys[d.Kid] = secret
		if n, err := strconv.Atoi(strings.TrimPrefix(d.Kid, "k")); err == nil && strings.HasPrefix(d.Kid, "k") && n > best {
			sign, best = d.Kid, n
		}
	}
	kr.mu.Lock()
	kr.keys, kr.sign, kr.loaded = keys, sign, a.now()
	kr.mu.Unlock()
	kr.stale.Store(false)
	return nil
}

// signing returns the kid and key that sign new tokens.
func (kr *keyring) signing(ctx context.Context, a *Auth) (string, []byte, error) {
	if !kr.static && kr.stale.Load() {
		if err := kr.reload(ctx, a); err != nil {
			return "", nil, err
		}
	}
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	if kr.sign == "" {
		return "", nil, errors.New("auth: no signing key (was Start called?)")
	}
	return kr.sign, kr.keys[kr.sign], nil
}

// lookup returns the key of kid. An unknown kid makes it read the stored
// keys again, at most once per reloadEvery, since another instance may
// have rotated them.
func (kr *keyring) lookup(ctx context.Context, a *Auth, kid string) ([]byte, bool) {
	key, ok, loaded := kr.find(kid)
	if ok || kr.static || kid == "" {
		return key, ok
	}
	// One reload at a time: requests with unknown kids arriving together
	// wait for it, and find the answer without reading again.
	kr.reloading.Lock()
	defer kr.reloading.Unlock()
	if key, ok, loaded = kr.find(kid); ok {
		return key, true
	}
	if !kr.stale.Load() && a.now().Sub(loaded) < reloadEvery {
		return nil, false
	}
	if err := kr.reload(ctx, a); err != nil {
		a.logger.WarnContext(ctx, "auth: reading the signing keys failed", "error", err.Error())
		return nil, false
	}
	key, ok, _ = kr.find(kid)
	return key, ok
}

// find returns the key of kid and when the keys were loaded.
func (kr *keyring) find(kid string) ([]byte, bool, time.Time) {
	kr.mu.RLock()
	defer kr.mu.RUnlock()
	key, ok := kr.keys[kid]
	return key, ok, kr.loaded
}

// RotateKey adds a new stored signing key, which signs the tokens issued
// from now on; tokens signed with the older keys stay valid until they
// expire. Other instances start signing with it when they next see a
// token they cannot place, or when Invalidate("AuthKey", …) is called.
// With configured secrets, rotate by prepending a new secret instead:
// RotateKey is then an error.
func (a *Auth) RotateKey(ctx context.Context) error {
	if a.keys.static {
		return errors.New("auth: RotateKey: the signing keys come from the configured secrets; prepend a new secret instead")
	}
	if err := a.keys.reload(ctx, a); err != nil {
		return fmt.Errorf("auth: RotateKey: %w", err)
	}
	a.keys.mu.RLock()
	n, _ := strconv.Atoi(strings.TrimPrefix(a.keys.sign, "k"))
	a.keys.mu.RUnlock()
	if err := a.keys.create(ctx, a, n+1); err != nil {
		return fmt.Errorf("auth: RotateKey: %w", err)
	}
	if err := a.keys.reload(ctx, a); err != nil {
		return fmt.Errorf("auth: RotateKey: %w", err)
	}
	return nil
}
