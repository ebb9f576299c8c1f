package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// passwordKey is the write-only key of User data.
const passwordKey = "password"

// ServiceOptions returns the options the Service must be built with (Start
// checks it was):
//
//   - hooks on User: a "password" in the data of a create, update or patch
//     is taken out before anything is stored (no revision, response or
//     change event ever holds it), hashed, and stored as the user's
//     AuthCredential in the same transaction; setting a password or
//     disabling the user bumps the credential's epoch; deleting a user
//     bumps it too, and purging one purges their credential, sessions
//     and tokens;
//   - a hook on AuthCredential: when the epoch changes, every session and
//     personal access token of the user is revoked in the same
//     transaction;
//   - an observer that drops the cached state of changed users and tokens.
//
// Put them before the application's own options, so that the user's
// typed hooks of User run after auth's and never see a password.
func (a *Auth) ServiceOptions() []resource.Option {
	return []resource.Option{
		func(s *resource.Service) { a.hooked.Store(s) },
		resource.WithBaseHooks(a.kinds.user, resource.Hooks{
			BeforeWrite:  a.userBeforeWrite,
			AfterWrite:   a.userAfterWrite,
			BeforeDelete: a.userBeforeDelete,
			BeforeSwitch: a.userBeforeSwitch,
		}),
		resource.WithBaseHooks(a.kinds.credential, resource.Hooks{
			AfterWrite: a.credentialAfterWrite,
		}),
		resource.WithObserver(a.observe),
	}
}

// userBeforeWrite takes the password out of a User write and stores its
// hash. Doing it here (not in AfterWrite) also covers a write that sets
// only the password, which changes no data and so writes no revision
// and runs no AfterWrite.
func (a *Auth) userBeforeWrite(ctx context.Context, w *resource.Write) (json.RawMessage, error) {
	data, password, found, err := stripKey(w.Data, passwordKey)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil
	}
	if password == nil {
		return data, nil // "password": null sets nothing
	}
	var pw string
	if err := json.Unmarshal(password, &pw); err != nil {
		return nil, resource.Invalid(passwordKey, "must be a string")
	}
	if err := checkPassword(passwordKey, pw); err != nil {
		return nil, err
	}
	hash, err := a.hashPassword(pw)
	if err != nil {
		return nil, err
	}
	if err := a.setCredential(ctx, w.ID, hash); err != nil {
		return nil, err
	}
	return data, nil
}

// setCredential stores hash as the password of user, bumping the epoch
// of an existing credential (which revokes the user's tokens).
func (a *Auth) setCredential(ctx context.Context, user, hash string) error {
	var cur credentialData
	env, err := a.findOne(ctx, a.kinds.credential, "user", user, &cur)
	if err != nil {
		return err
	}
	now := a.timestamp()
	if env == nil {
		_, err = a.create(ctx, a.kinds.credential, credentialData{User: user, Hash: hash, Epoch: 1, ChangedAt: now})
		return err
	}
	_, err = patch(ctx, a, a.kinds.credential, env.Meta.ResourceID, func(d *credentialData) error {
		d.Hash, d.Epoch, d.ChangedAt = hash, d.Epoch+1, now
		return nil
	})
	return err
}

// bumpEpoch makes every token of user fail: it bumps the credential's
// epoch (whose hook revokes the sessions and personal access tokens),
// or, for a user without a credential, revokes them directly.
func (a *Auth) bumpEpoch(ctx context.Context, user string) error {
	var cur credentialData
	env, err := a.findOne(ctx, a.kinds.credential, "user", user, &cur)
	if err != nil {
		return err
	}
	if env == nil {
		return a.revokeAll(ctx, user)
	}
	now := a.timestamp()
	_, err = patch(ctx, a, a.kinds.credential, env.Meta.ResourceID, func(d *credentialData) error {
		d.Epoch, d.ChangedAt = d.Epoch+1, now
		return nil
	})
	return err
}

// userAfterWrite bumps the epoch of a user the write disabled.
func (a *Auth) userAfterWrite(ctx context.Context, w *resource.Write, stored *resource.Envelope) error {
	if w.Current != nil && disabled(stored.Data) && !disabled(w.Current.Data) {
		return a.bumpEpoch(ctx, w.ID)
	}
	return nil
}

// userBeforeSwitch bumps the epoch of a user whom the switch disables.
func (a *Auth) userBeforeSwitch(ctx context.Context, e *resource.Event) error {
	if e.Target != nil && disabled(e.Target.Data) && !disabled(e.Current.Data) {
		return a.bumpEpoch(ctx, e.Current.Meta.ResourceID)
	}
	return nil
}

// userBeforeDelete bumps the epoch of a deleted user (so that restoring
// them does not revive old tokens), and purges the auth state of a
// purged one.
func (a *Auth) userBeforeDelete(ctx context.Context, e *resource.Event) error {
	id := e.Current.Meta.ResourceID
	if e.Action != resource.ActionPurge {
		return a.bumpEpoch(ctx, id)
	}
	svc, err := a.svcFor(ctx)
	if err != nil {
		return err
	}
	for _, k := range []*resource.Kind{a.kinds.credential, a.kinds.session, a.kinds.token} {
		envs, err := a.listAll(ctx, k, eq("user", id))
		if err != nil {
			return err
		}
		for _, env := range envs {
			if err := svc.Purge(sys(ctx), k, env.Meta.ResourceID, resource.WriteOptions{}); err != nil {
				return err
			}
		}
	}
	return nil
}

// credentialAfterWrite revokes the sessions and tokens of a user whose
// credential epoch changed (or was created: nothing issued before may
// outlive it).
func (a *Auth) credentialAfterWrite(ctx context.Context, w *resource.Write, stored *resource.Envelope) error {
	var now credentialData
	if err := json.Unmarshal(stored.Data, &now); err != nil {
		return fmt.Errorf("auth: decode credential: %w", err)
	}
	if w.Current != nil {
		var before credentialData
		if err := json.Unmarshal(w.Current.Data, &before); err != nil {
			return fmt.Errorf("auth: decode credential: %w", err)
		}
		if before.Epoch == now.Epoch && before.User == now.User {
			return nil
		}
	}
	return a.revokeAll(ctx, now.User)
}

// revokeAll revokes every live session and personal access token of user.
func (a *Auth) revokeAll(ctx context.Context, user string) error {
	live := filter.Format(&filter.And{Terms: []filter.Expr{
		&filter.Cmp{Field: filter.Ref{Name: "user"}, Op: filter.Eq, Value: filter.Value{Kind: filter.KindString, Str: user}},
		&filter.Cmp{Field: filter.Ref{Name: "revoked"}, Op: filter.Eq, Value: filter.Value{Kind: filter.KindBool, Bool: false}},
	}})
	sessions, err := a.listAll(ctx, a.kinds.session, live)
	if err != nil {
		return err
	}
	for _, env := range sessions {
		if _, err := patch(ctx, a, a.kinds.session, env.Meta.ResourceID, revokeSession); err != nil {
			return err
		}
	}
	tokens, err := a.listAll(ctx, a.kinds.token, eq("user", user))
	if err != nil {
		return err
	}
	for _, env := range tokens {
		if _, err := patch(ctx, a, a.kinds.token, env.Meta.ResourceID, revokeToken); err != nil {
			return err
		}
	}
	return nil
}

// revokeSession and revokeToken are patch functions that revoke.
func revokeSession(d *sessionData) error {
	if d.Revoked {
		return errUnchanged
	}
	d.Revoked = true
	return nil
}

func revokeToken(d *tokenData) error {
	if d.Revoked {
		return errUnchanged
	}
	d.Revoked = true
	return nil
}

// disabled reports whether User data has "disabled": true.
func disabled(data json.RawMessage) bool {
	var d struct {
		Disabled bool `json:"disabled"`
	}
	return json.Unmarshal(data, &d) == nil && d.Disabled
}

// stripKey returns the JSON object data without its top-level member key
// (keeping the other members, their order and their bytes), and that
// member's value (nil for JSON null). found reports whether data had it.
func stripKey(data json.RawMessage, key string) (out, value json.RawMessage, found bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return data, nil, false, nil // not an object: the Service refuses it
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return data, nil, false, nil
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return data, nil, false, nil
		}
		if name == key {
			found = true
			if !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
				value = raw
			}
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		b.Write(raw)
	}
	if _, err := dec.Token(); err != nil {
		return data, nil, false, nil
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return data, nil, false, nil
	}
	if !found {
		return data, nil, false, nil
	}
	b.WriteByte('}')
	return b.Bytes(), value, true, nil
}

// observe drops the cached state that a committed change makes stale.
func (a *Auth) observe(_ context.Context, c resource.Change) {
	switch c.Kind {
	case a.kinds.user:
		a.cache.dropUser(c.ID)
	case a.kinds.credential:
		var d credentialData
		if c.Envelope != nil && json.Unmarshal(c.Envelope.Data, &d) == nil && d.User != "" {
			a.cache.dropUser(d.User)
		} else {
			a.cache.dropCredential(c.ID)
		}
	case a.kinds.token:
		a.cache.dropPAT(c.ID)
	case a.kinds.key:
		a.keys.stale.Store(true)
	}
}

// Invalidate drops what auth caches about resource id of the named kind;
// the server calls it for the changes other instances make (this
// instance's own changes reach auth through its observer). Other kinds
// are ignored.
func (a *Auth) Invalidate(kind, id string) {
	switch kind {
	case a.kinds.user.Name:
		a.cache.dropUser(id)
	case a.kinds.credential.Name:
		a.cache.dropCredential(id)
	case a.kinds.token.Name:
		a.cache.dropPAT(id)
	case a.kinds.key.Name:
		a.keys.stale.Store(true)
	}
}
