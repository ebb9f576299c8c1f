package auth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/specstar-go/specstar/runtime/resource"
)

// LimitedError is the 429 RATE_LIMITED of a login or password change
// over the rate limit. It wraps the *resource.Error the transports send;
// RetryAfter is how long until the counting window ends (the REST
// handlers send it as Retry-After, in whole seconds).
type LimitedError struct {
	Err        *resource.Error
	RetryAfter time.Duration
}

func (e *LimitedError) Error() string { return e.Err.Error() }

// Unwrap returns the *resource.Error.
func (e *LimitedError) Unwrap() error { return e.Err }

// RetryAfter returns how long a client refused by the rate limit should
// wait, when err is (or wraps) a *LimitedError.
func RetryAfter(err error) (time.Duration, bool) {
	var le *LimitedError
	if errors.As(err, &le) {
		return le.RetryAfter, true
	}
	return 0, false
}

// retrySeconds returns d in whole seconds, rounded up, at least 1.
func retrySeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// Rate-limit counter keys: "addr:IP" and "account:lower-cased email".
func addressKey(addr string) string  { return limitKey("addr:", addr, 64) }
func accountKey(email string) string { return limitKey("account:", foldEmail(email), maxEmailLen) }

// limitKey returns prefix+value, or, for a value that no real client
// sends (too long, not UTF-8, holding U+0000: the address may come from
// a header), prefix+"#"+its SHA-256, which storage always accepts.
func limitKey(prefix, value string, maxLen int) string {
	if len(value) > maxLen || !utf8.ValidString(value) || strings.ContainsRune(value, 0) {
		return prefix + "#" + hashSecret(value)
	}
	return prefix + value
}

// foldEmail lower-cases the ASCII letters of an email, as the unique
// index of User.email compares them.
func foldEmail(email string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, email)
}

// checkLimits counts one attempt by the client at addr on the account
// email, and refuses it with a *LimitedError when either counter is
// over its limit: AddressAttempts per address, AccountFailures per
// account (an attempt counts as a failure until a success resets it).
// Counting before the attempt makes concurrent attempts unable to slip
// past the limit.
func (a *Auth) checkLimits(ctx context.Context, addr, email string) error {
	type check struct {
		key   string
		limit int
		what  string
	}
	checks := []check{{accountKey(email), a.limit.AccountFailures, "on this account"}}
	if addr != "" {
		checks = append([]check{{addressKey(addr), a.limit.AddressAttempts, "from this address"}}, checks...)
	}
	for _, c := range checks {
		if c.limit < 0 {
			continue
		}
		n, start, err := a.hit(ctx, c.key)
		if err != nil {
			return err
		}
		if n > c.limit {
			retry := start.Add(a.limit.Window).Sub(a.now())
			a.logger.WarnContext(ctx, "auth: rate limit reached", "key", strings.SplitN(c.key, ":", 2)[0], "addr", addr, "count", n)
			return &LimitedError{
				Err: resource.Errorf(resource.CodeRateLimited,
					"too many login attempts %s; try again in %d seconds", c.what, retrySeconds(retry)),
				RetryAfter: retry,
			}
		}
	}
	return nil
}

// hit adds one to the counter key in the current window and returns the
// new count and the window's start. Two instances creating the same
// counter at once conflict on its unique key: the loser retries and
// increments the winner's.
func (a *Auth) hit(ctx context.Context, key string) (int, time.Time, error) {
	for attempt := 0; ; attempt++ {
		var cur limitData
		env, err := a.findOne(ctx, a.kinds.limit, "key", key, &cur)
		if err != nil {
			return 0, time.Time{}, err
		}
		now := a.timestamp()
		if env == nil {
			d := limitData{Key: key, WindowStart: now, Count: 1}
			_, err := a.create(ctx, a.kinds.limit, d)
			if resource.CodeOf(err) == resource.CodeConflict && attempt < 3 {
				continue
			}
			return d.Count, d.WindowStart, err
		}
		var out limitData
		_, err = patch(ctx, a, a.kinds.limit, env.Meta.ResourceID, func(d *limitData) error {
			if now.Sub(d.WindowStart) >= a.limit.Window || d.WindowStart.After(now) {
				d.WindowStart, d.Count = now, 0
			}
			d.Count++
			out = *d
			return nil
		})
		if code := resource.CodeOf(err); (code == resource.CodeNotFound || code == resource.CodeGone) && attempt < 3 {
			continue // swept meanwhile
		}
		if err != nil {
			return 0, time.Time{}, fmt.Errorf("auth: rate limit: %w", err)
		}
		return out.Count, out.WindowStart, nil
	}
}

// resetAccount clears the failure count of the account email after a
// successful login.
func (a *Auth) resetAccount(ctx context.Context, email string) error {
	if a.limit.AccountFailures < 0 {
		return nil
	}
	var cur limitData
	env, err := a.findOne(ctx, a.kinds.limit, "key", accountKey(email), &cur)
	if err != nil || env == nil || cur.Count == 0 {
		return err
	}
	_, err = patch(ctx, a, a.kinds.limit, env.Meta.ResourceID, func(d *limitData) error {
		if d.Count == 0 {
			return errUnchanged
		}
		d.Count = 0
		return nil
	})
	if code := resource.CodeOf(err); code == resource.CodeNotFound || code == resource.CodeGone {
		return nil
	}
	return err
}
