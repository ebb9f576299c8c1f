// Package auth authenticates the requests of a generated backend whose spec
// has an auth: section (DESIGN.md §7): users' passwords, access tokens,
// refresh tokens, personal access tokens, the /api/auth routes, the
// middleware that turns a bearer token into a resource.Principal, the
// login rate limit, and the users subcommand of the server binary.
// Permission rules are not here: the Service enforces them with the
// principal this package puts in the request's context.
//
// # Storage
//
// All state lives in kinds the generator adds to the schema (see
// authtest.Kinds), read and written through the resource.Service as the
// system principal, so it is stored, migrated and replicated like any
// resource on every backend: User (the public /api/users resource),
// AuthCredential (the argon2id hash and the epoch of one user),
// AuthSession (one login), AuthToken (personal access tokens), AuthKey
// (generated signing keys) and AuthLimit (rate-limit counters). A
// password written to a User is taken out of the data by a BeforeWrite
// hook and only its hash is stored, in the same transaction; no
// revision, response, change event, log line or error holds it.
//
// # Tokens
//
// An access token is a short-lived JWT (HS256 only; kid names the key;
// claims sub, iat, exp, iss "specstar", jti and ver). A refresh token is
// "<session id>.<secret>"; a personal access token is
// "sst_<token id>_<secret>". Secrets are 32 random bytes, and only their
// SHA-256 is stored.
//
// Refresh tokens rotate: each refresh returns a new one and the old one
// stops working. All the refresh tokens of one login form a family (one
// AuthSession, which remembers the hashes of its rotated secrets). A
// rotated token presented again means two parties hold the family — the
// user and a thief — and the server cannot tell which is which, so the
// whole family is revoked and the user logs in again (OAuth 2.0 Security
// BCP, refresh token rotation). A stolen refresh token thus works at
// most until its rightful owner refreshes.
//
// # Why an epoch
//
// Access tokens are verified without storage (a signature and an expiry),
// which is what makes them cheap, but it also means a signed token cannot
// be recalled. Each user's credential has an epoch, a counter bumped by
// every password change, by disabling the user and by deleting them;
// access tokens carry the epoch they were issued in ("ver") and a token
// of an older epoch is refused. One write thus ends every access token of
// the user at once, without a revocation list, and the same transaction
// revokes the user's sessions and personal access tokens.
//
// # Why a cache with a short TTL
//
// Checking the epoch, the user's current roles (a principal's roles are
// the user's roles now, not those in the token) and whether the user is
// disabled needs the user's state on every request. Reading it from
// storage each time would make an authenticated request cost two reads
// more than an anonymous one. The middleware keeps it in memory instead:
// verified JWTs by token, users and personal access tokens by id, each
// trusted for about two seconds. Changes made through this instance's
// Service drop the entries at once (an observer), changes of other
// instances when the server calls Invalidate for their change events, and
// in the worst case (a missed event) when the two seconds pass: the
// window in which a disabled user, a revoked token or a removed role can
// still act on another instance. The benchmark target is an
// authenticated GET costing at most 1.10 times an anonymous one.
//
// # Passwords and logins
//
// Passwords are hashed with argon2id (see defaultParams for the
// parameters and the PHC string format), between MinPasswordLen and
// MaxPasswordLen bytes. A login with an unknown email runs argon2 on a
// dummy hash, so that unknown emails, wrong passwords and disabled users
// get the same 401 after the same work. Emails compare as the unique
// index of User.email does: ASCII letters without regard to case.
//
// Logins and password changes are rate limited per client address and
// per account in fixed windows counted in AuthLimit, so instances sharing
// a database share the limit; over it the answer is 429 RATE_LIMITED with
// Retry-After.
package auth
