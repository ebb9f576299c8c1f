package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Password length limits, in bytes. The maximum bounds the work an
// attacker can make one hash cost (argon2 reads the whole password).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 1024
)

// params are argon2id parameters.
type params struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int
	keyLen  int
}

// defaultParams are the argon2id parameters of new hashes: the first
// configuration of the OWASP Password Storage Cheat Sheet, m=19456 KiB
// (19 MiB), t=2, p=1, with a 16-byte random salt and a 32-byte key,
// stored as the PHC string
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64 unpadded>$<key, base64 unpadded>
//
// Verification reads the parameters from the stored string, so raising
// them later only changes new hashes; each user's hash is upgraded the
// next time they set a password.
var defaultParams = params{memory: 19456, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// phcPrefix starts every hash this package makes.
const phcPrefix = "$argon2id$v=19$"

// hashPassword returns the PHC string of password. It does not check the
// password's length (checkPassword does).
func (a *Auth) hashPassword(password string) (string, error) {
	salt := make([]byte, a.params.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := a.argon(password, salt, a.params)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("%sm=%d,t=%d,p=%d$%s$%s", phcPrefix, a.params.memory, a.params.time, a.params.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// mustHash is hashPassword for New's dummy hash (crypto/rand does not fail).
func (a *Auth) mustHash(password string) string {
	h, err := a.hashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
}

// verifyPassword reports whether password matches the PHC string phc.
// A malformed phc is an error (and never matches).
func (a *Auth) verifyPassword(phc, password string) (bool, error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	got := a.argon(password, salt, p)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// argon derives the argon2id key of password, holding one of the hash
// slots meanwhile, so that a burst of logins cannot allocate unbounded
// memory.
func (a *Auth) argon(password string, salt []byte, p params) []byte {
	a.hashSlots <- struct{}{}
	defer func() { <-a.hashSlots }()
	a.argonCalls.Add(1)
	return argon2.IDKey([]byte(password), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
}

// errPHC is the error of a stored hash this package cannot read.
var errPHC = errors.New("auth: the stored password hash is not an argon2id PHC string")

// parsePHC reads "$argon2id$v=19$m=M,t=T,p=P$salt$key". Parameters are
// bounded so that a corrupt row cannot make one check take gigabytes.
func parsePHC(phc string) (params, []byte, []byte, error) {
	var p params
	rest, ok := strings.CutPrefix(phc, phcPrefix)
	if !ok {
		return p, nil, nil, errPHC
	}
	parts := strings.Split(rest, "$")
	if len(parts) != 3 {
		return p, nil, nil, errPHC
	}
	for kv := range strings.SplitSeq(parts[0], ",") {
		name, value, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(value, 10, 32)
		if err != nil {
			return p, nil, nil, errPHC
		}
		switch name {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, errPHC
			}
			p.threads = uint8(n)
		default:
			return p, nil, nil, errPHC
		}
	}
	if p.memory < 8 || p.memory > 4<<20 || p.time < 1 || p.time > 64 || p.threads < 1 {
		return p, nil, nil, errPHC
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, errPHC
	}
	p.saltLen, p.keyLen = len(salt), len(key)
	return p, salt, key, nil
}

// checkPassword returns the 422 of a password that is too short or too
// long, naming field (never the value), or nil.
func checkPassword(field, password string) error {
	switch {
	case len(password) < MinPasswordLen:
		return resource.Invalid(field, fmt.Sprintf("must be at least %d bytes long", MinPasswordLen))
	case len(password) > MaxPasswordLen:
		return resource.Invalid(field, fmt.Sprintf("must be at most %d bytes long", MaxPasswordLen))
	}
	return nil
}
