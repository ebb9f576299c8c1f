package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Sweep purges the auth state nobody can use any more: sessions past
// their expiry, personal access tokens that are revoked or expired, and
// rate-limit counters whose window has ended. Nothing else removes them,
// so run it now and then (hourly is plenty); several instances may run it
// at once. It returns how many resources it purged.
func (a *Auth) Sweep(ctx context.Context) (int, error) {
	svc, err := a.service()
	if err != nil {
		return 0, err
	}
	now := a.timestamp()
	n := 0
	purge := func(k *resource.Kind, envs []*resource.Envelope, dead func(json.RawMessage) bool) error {
		for _, env := range envs {
			if dead != nil && !dead(env.Data) {
				continue
			}
			err := svc.Purge(sys(ctx), k, env.Meta.ResourceID, resource.WriteOptions{})
			if err != nil && resource.CodeOf(err) == resource.CodeNotFound {
				continue // another instance swept it
			}
			if err != nil {
				return fmt.Errorf("auth: sweep %s: %w", k.Name, err)
			}
			n++
		}
		return nil
	}
	expired := filter.Format(&filter.Cmp{Field: filter.Ref{Name: "expires_at"}, Op: filter.Lt,
		Value: filter.Value{Kind: filter.KindString, Str: now.Format(time.RFC3339Nano)}})
	sessions, err := a.listAll(ctx, a.kinds.session, expired)
	if err != nil {
		return n, err
	}
	if err := purge(a.kinds.session, sessions, nil); err != nil {
		return n, err
	}
	tokens, err := a.listAll(ctx, a.kinds.token, "")
	if err != nil {
		return n, err
	}
	err = purge(a.kinds.token, tokens, func(data json.RawMessage) bool {
		var d tokenData
		return json.Unmarshal(data, &d) == nil && (d.Revoked || (d.ExpiresAt != nil && !now.Before(*d.ExpiresAt)))
	})
	if err != nil {
		return n, err
	}
	limits, err := a.listAll(ctx, a.kinds.limit, "")
	if err != nil {
		return n, err
	}
	err = purge(a.kinds.limit, limits, func(data json.RawMessage) bool {
		var d limitData
		return json.Unmarshal(data, &d) == nil && now.Sub(d.WindowStart) >= a.limit.Window
	})
	return n, err
}
