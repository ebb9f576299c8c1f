package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// The data of the kinds auth stores, as JSON objects.

// userData is the data of a User, as auth reads it (the resource may be
// written by anyone with the rules' permission: only these keys matter).
type userData struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Disabled bool     `json:"disabled"`
}

// roles returns the user's roles, never nil.
func (d *userData) roles() []string {
	if d.Roles == nil {
		return []string{}
	}
	return d.Roles
}

// credentialData is the data of an AuthCredential.
type credentialData struct {
	User string `json:"user"`
	// Hash is the argon2id PHC string of the password.
	Hash string `json:"hash"`
	// Epoch counts the changes that invalidate the user's tokens: every
	// password change and every disabling bumps it, and access tokens
	// carry the epoch they were issued in.
	Epoch     int64     `json:"epoch"`
	ChangedAt time.Time `json:"changed_at"`
}

// sessionData is the data of an AuthSession: one login, whose refresh
// tokens form a family.
type sessionData struct {
	User string `json:"user"`
	// SecretHash is the SHA-256 (hex) of the current refresh secret.
	SecretHash string `json:"secret_hash"`
	// Previous holds the hashes of the rotated secrets, newest last
	// (at most maxPrevious): presenting one of them is reuse.
	Previous  []string  `json:"previous"`
	ExpiresAt time.Time `json:"expires_at"`
	Revoked   bool      `json:"revoked"`
}

// maxPrevious is how many rotated refresh secrets a session remembers.
const maxPrevious = 32

// tokenData is the data of an AuthToken (a personal access token).
type tokenData struct {
	User       string `json:"user"`
	Name       string `json:"name"`
	SecretHash string `json:"secret_hash"`
	// Roles narrow the owner's roles; empty means all of them.
	Roles     []string   `json:"roles"`
	ExpiresAt *time.Time `json:"expires_at"`
	Revoked   bool       `json:"revoked"`
}

// limitData is the data of an AuthLimit: one rate-limit counter.
type limitData struct {
	Key         string    `json:"key"`
	WindowStart time.Time `json:"window_start"`
	Count       int       `json:"count"`
}

// newSecret returns 32 random bytes, base64url without padding.
func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret returns the SHA-256 of a token secret, in hex. Secrets are
// random 256-bit values, so a fast hash is enough: nobody can guess one
// from its hash.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
