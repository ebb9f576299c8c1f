// Package authtest gives tests the storage kinds package auth keeps its
// state in, built by hand as the generator builds them for a spec with
// an auth: section, so that tests of auth, of the server and of the
// examples can run an Auth on a memory, SQLite or PostgreSQL backend
// without generated code.
package authtest

import "github.com/specstar-go/specstar/runtime/resource"

// Kinds returns new descriptors of the kinds package auth needs, in this
// order: User, AuthCredential, AuthSession, AuthToken, AuthKey and
// AuthLimit. They match what the generator emits:
//
//	User            email (indexed, unique, case-folded), roles (indexed list); name, disabled
//	AuthCredential  user (indexed, unique); hash, epoch, changed_at            keep_last 1
//	AuthSession     user, expires_at, revoked (indexed); secret_hash, previous  keep_last 1
//	AuthToken       user (indexed); name, secret_hash, roles, expires_at, revoked keep_last 1
//	AuthKey         kid (indexed, unique); secret, created_at                  keep_last 1
//	AuthLimit       key (indexed, unique); window_start, count                 keep_last 1
//
// roles are the spec's roles. They do not change the descriptors (the
// values of the roles enum are checked by generated validation, not by
// the storage), and are taken so that callers state the roles their
// tests use. Kind.Fields lists only the fields that storage indexes;
// DataFields lists every key of the data.
func Kinds(roles []string) []*resource.Kind {
	_ = roles
	str := resource.TypeString
	return []*resource.Kind{
		{
			Name: "User", Table: "user", Path: "users", SchemaVersion: 1,
			DataFields: []string{"email", "name", "roles", "disabled"},
			Fields: []resource.Field{
				{JSON: "email", Type: str, Indexed: true, Unique: true, Fold: true},
				{JSON: "roles", Type: str, List: true, Indexed: true},
			},
		},
		{
			Name: "AuthCredential", Table: "auth_credential", Path: "auth-credentials", SchemaVersion: 1, KeepLast: 1,
			DataFields: []string{"user", "hash", "epoch", "changed_at"},
			Fields: []resource.Field{
				{JSON: "user", Type: str, Indexed: true, Unique: true},
			},
		},
		{
			Name: "AuthSession", Table: "auth_session", Path: "auth-sessions", SchemaVersion: 1, KeepLast: 1,
			DataFields: []string{"user", "secret_hash", "previous", "expires_at", "revoked"},
			Fields: []resource.Field{
				{JSON: "user", Type: str, Indexed: true},
				{JSON: "expires_at", Type: resource.TypeDateTime, Indexed: true},
				{JSON: "revoked", Type: resource.TypeBool, Indexed: true},
			},
		},
		{
			Name: "AuthToken", Table: "auth_token", Path: "auth-tokens", SchemaVersion: 1, KeepLast: 1,
			DataFields: []string{"user", "name", "secret_hash", "roles", "expires_at", "revoked"},
			Fields: []resource.Field{
				{JSON: "user", Type: str, Indexed: true},
			},
		},
		{
			Name: "AuthKey", Table: "auth_key", Path: "auth-keys", SchemaVersion: 1, KeepLast: 1,
			DataFields: []string{"kid", "secret", "created_at"},
			Fields: []resource.Field{
				{JSON: "kid", Type: str, Indexed: true, Unique: true},
			},
		},
		{
			Name: "AuthLimit", Table: "auth_limit", Path: "auth-limits", SchemaVersion: 1, KeepLast: 1,
			DataFields: []string{"key", "window_start", "count"},
			Fields: []resource.Field{
				{JSON: "key", Type: str, Indexed: true, Unique: true},
			},
		},
	}
}
