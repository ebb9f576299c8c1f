package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// This file holds the typed helpers auth reads and writes its kinds with.
// Every call acts as the system principal, through the Service (the one
// door): inside a hook the context joins the hook's transaction.

// svcFor returns the service to use with ctx: the one of the hook's
// transaction ctx carries, else the bound one.
func (a *Auth) svcFor(ctx context.Context) (*resource.Service, error) {
	if tx := resource.TxFrom(ctx); tx != nil {
		return tx.Service(), nil
	}
	return a.service()
}

// eq returns the filter `field = "value"`, quoted by the filter package
// so that no value can change the expression.
func eq(field, value string) string {
	return filter.Format(&filter.Cmp{
		Field: filter.Ref{Name: field},
		Op:    filter.Eq,
		Value: filter.Value{Kind: filter.KindString, Str: value},
	})
}

// contains returns the filter `field ~ "value"` (ASCII case-insensitive
// substring).
func contains(field, value string) string {
	return filter.Format(&filter.Cmp{
		Field: filter.Ref{Name: field},
		Op:    filter.Contains,
		Value: filter.Value{Kind: filter.KindString, Str: value},
	})
}

// create stores data as a new resource of k.
func (a *Auth) create(ctx context.Context, k *resource.Kind, data any) (*resource.Envelope, error) {
	svc, err := a.svcFor(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("auth: encode %s: %w", k.Name, err)
	}
	return svc.Create(sys(ctx), k, raw, resource.WriteOptions{})
}

// get reads the live resource id of k into dst; a missing or deleted one
// is a NOT_FOUND or GONE *resource.Error.
func (a *Auth) get(ctx context.Context, k *resource.Kind, id string, dst any) (*resource.Envelope, error) {
	svc, err := a.svcFor(ctx)
	if err != nil {
		return nil, err
	}
	env, err := svc.Get(sys(ctx), k, id, resource.ReadOptions{})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(env.Data, dst); err != nil {
		return nil, fmt.Errorf("auth: decode %s %s: %w", k.Name, id, err)
	}
	return env, nil
}

// errUnchanged, returned by a patch function, leaves the resource as it
// is (no revision is written).
var errUnchanged = errors.New("unchanged")

// patch changes the live resource id of k in one transaction: fn gets its
// current data decoded and changes it in place. fn may return
// errUnchanged to write nothing; any other error aborts and is returned.
func patch[T any](ctx context.Context, a *Auth, k *resource.Kind, id string, fn func(*T) error) (*resource.Envelope, error) {
	svc, err := a.svcFor(ctx)
	if err != nil {
		return nil, err
	}
	env, err := svc.Patch(sys(ctx), k, id, func(cur json.RawMessage) (json.RawMessage, error) {
		var d T
		if err := json.Unmarshal(cur, &d); err != nil {
			return nil, fmt.Errorf("auth: decode %s %s: %w", k.Name, id, err)
		}
		if err := fn(&d); err != nil {
			if errors.Is(err, errUnchanged) {
				return cur, nil
			}
			return nil, err
		}
		return json.Marshal(&d)
	}, resource.WriteOptions{})
	return env, err
}

// listAll returns every live resource of k matching the filter expr
// ("" for all), in id order.
func (a *Auth) listAll(ctx context.Context, k *resource.Kind, expr string) ([]*resource.Envelope, error) {
	svc, err := a.svcFor(ctx)
	if err != nil {
		return nil, err
	}
	var out []*resource.Envelope
	q := resource.ListQuery{Filter: expr, Sort: resource.FieldResourceID, Limit: resource.MaxLimit}
	for {
		page, err := svc.List(sys(ctx), k, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out, nil
		}
		q.Cursor = *page.NextCursor
	}
}

// findOne returns the live resource of k whose unique field holds value,
// decoded into dst, or nil when there is none.
func (a *Auth) findOne(ctx context.Context, k *resource.Kind, field, value string, dst any) (*resource.Envelope, error) {
	svc, err := a.svcFor(ctx)
	if err != nil {
		return nil, err
	}
	page, err := svc.List(sys(ctx), k, resource.ListQuery{Filter: eq(field, value), Sort: resource.FieldResourceID, Limit: 1})
	if err != nil || len(page.Items) == 0 {
		return nil, err
	}
	env := page.Items[0]
	if err := json.Unmarshal(env.Data, dst); err != nil {
		return nil, fmt.Errorf("auth: decode %s %s: %w", k.Name, env.Meta.ResourceID, err)
	}
	return env, nil
}
