package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
)

// Hooks is the business logic of one kind as the Service runs it. Generated
// code adapts each resource's typed hooks (PostHooks) to it, decoding the
// data into the typed struct and validating what a hook returns; every
// field is optional, and a kind without hooks costs nothing.
//
// The Before hooks run inside the write's transaction, with a context that
// carries it (see Tx): every Service call made with that context, or
// through the Tx, reads and writes in the same transaction, so what a hook
// writes commits or rolls back with the write. A backend may run a
// transaction again after a conflict, so Before hooks may run more than
// once for one call: keep side effects outside the store for AfterCommit.
//
// An error from a Before hook aborts the call and is returned as it is: an
// *Error keeps its status, code and detail; any other error is a 500 whose
// cause is only logged. A panic in a hook is such an error.
type Hooks struct {
	// BeforeWrite runs for every create, update and patch (draft edits
	// included) once the new data is known and before its references are
	// checked and it is stored. (The revisions on_delete: set_null writes
	// are the engine's, and do not run it.) It
	// returns the data to store: w.Data or a changed copy, which must be
	// valid data of the kind (generated adapters validate it).
	BeforeWrite func(ctx context.Context, w *Write) (json.RawMessage, error)
	// AfterWrite runs inside the transaction of a create, update or patch
	// after the new data is stored (not for a write that changed
	// nothing), with the same Write as BeforeWrite and the stored
	// resource: the place for writes that refer to the resource, which
	// exists only now. An error rolls the whole call back.
	AfterWrite func(ctx context.Context, w *Write, stored *Envelope) error
	// BeforeDelete runs before a resource is soft-deleted (also when a
	// cascade deletes it) or purged; an error refuses the delete.
	BeforeDelete func(ctx context.Context, e *Event) error
	// BeforeRestore runs before a soft-deleted resource is restored.
	BeforeRestore func(ctx context.Context, e *Event) error
	// BeforeSwitch runs before another revision becomes current; e.Target
	// is that revision.
	BeforeSwitch func(ctx context.Context, e *Event) error
	// AfterCommit runs once per change of a resource of the kind, after
	// the write's transaction committed, with the context of the call
	// (outside any transaction). It cannot undo the write: an error or a
	// panic is logged and the call still succeeds. If the process dies
	// between the commit and the hook, the hook does not run: it is at
	// most once.
	AfterCommit func(ctx context.Context, c Change) error
}

// Write is a create, update or patch on its way to storage, as hooks see it.
type Write struct {
	// Tx is the write's transaction.
	Tx *Tx
	// Action is ActionCreate, ActionUpdate or ActionPatch.
	Action Action
	// ID is the resource's id; on create, the id it is getting.
	ID string
	// Current is the resource as stored before the write (its current
	// revision); nil on create.
	Current *Envelope
	// Data is the data about to be stored.
	Data json.RawMessage
	// Options are the write's options (If-Match, mode, status).
	Options WriteOptions
	// Value is free for the hooks of one write to share state: generated
	// adapters keep their typed form of the write here, so that
	// AfterWrite sees what BeforeWrite did.
	Value any
}

// Event is a delete, purge, restore or switch about to happen, as hooks
// see it.
type Event struct {
	// Tx is the call's transaction.
	Tx *Tx
	// Action is ActionDelete, ActionPurge, ActionRestore or ActionSwitch.
	Action Action
	// Current is the resource as stored before the change.
	Current *Envelope
	// Target is the revision a switch makes current; nil otherwise.
	Target *Revision
}

// WithHooks sets the hooks of kind k, replacing any set before with
// WithHooks. (Hooks added with WithBaseHooks stay, and run first.)
func WithHooks(k *Kind, h Hooks) Option {
	return func(s *Service) {
		if s.hooks == nil {
			s.hooks = make(map[*Kind]*Hooks)
		}
		s.hooks[k] = &h
	}
}

// WithBaseHooks adds hooks that the engine's own packages need on kind
// k (the auth package's hooks of its users): they run before the hooks
// set with WithHooks, in the order they were added, and WithHooks does
// not replace them.
func WithBaseHooks(k *Kind, h Hooks) Option {
	return func(s *Service) {
		if s.baseHooks == nil {
			s.baseHooks = make(map[*Kind]Hooks)
		}
		if prev, ok := s.baseHooks[k]; ok {
			h = chainHooks(prev, h)
		}
		s.baseHooks[k] = h
	}
}

// combineHooks sets the hooks the service runs: for each kind, its base
// hooks then its own. NewService calls it once the options are applied.
func (s *Service) combineHooks() {
	for k, base := range s.baseHooks {
		h := base
		if own := s.hooks[k]; own != nil {
			h = chainHooks(base, *own)
		}
		if s.hooks == nil {
			s.hooks = make(map[*Kind]*Hooks)
		}
		s.hooks[k] = &h
	}
	for _, h := range s.hooks {
		if h.AfterCommit != nil {
			s.afterCommit = true
		}
	}
}

// chainHooks returns the hooks that run a's, then b's.
func chainHooks(a, b Hooks) Hooks {
	event := func(x, y func(context.Context, *Event) error) func(context.Context, *Event) error {
		switch {
		case x == nil:
			return y
		case y == nil:
			return x
		}
		return func(ctx context.Context, e *Event) error {
			if err := x(ctx, e); err != nil {
				return err
			}
			return y(ctx, e)
		}
	}
	out := Hooks{
		BeforeDelete:  event(a.BeforeDelete, b.BeforeDelete),
		BeforeRestore: event(a.BeforeRestore, b.BeforeRestore),
		BeforeSwitch:  event(a.BeforeSwitch, b.BeforeSwitch),
	}
	switch {
	case a.BeforeWrite == nil:
		out.BeforeWrite = b.BeforeWrite
	case b.BeforeWrite == nil:
		out.BeforeWrite = a.BeforeWrite
	default:
		out.BeforeWrite = func(ctx context.Context, w *Write) (json.RawMessage, error) {
			data, err := a.BeforeWrite(ctx, w)
			if err != nil {
				return nil, err
			}
			w.Data = data
			return b.BeforeWrite(ctx, w)
		}
	}
	switch {
	case a.AfterWrite == nil:
		out.AfterWrite = b.AfterWrite
	case b.AfterWrite == nil:
		out.AfterWrite = a.AfterWrite
	default:
		out.AfterWrite = func(ctx context.Context, w *Write, stored *Envelope) error {
			if err := a.AfterWrite(ctx, w, stored); err != nil {
				return err
			}
			return b.AfterWrite(ctx, w, stored)
		}
	}
	switch {
	case a.AfterCommit == nil:
		out.AfterCommit = b.AfterCommit
	case b.AfterCommit == nil:
		out.AfterCommit = a.AfterCommit
	default:
		out.AfterCommit = func(ctx context.Context, c Change) error {
			return errors.Join(a.AfterCommit(ctx, c), b.AfterCommit(ctx, c))
		}
	}
	return out
}

// Authorizer decides whether the principal of ctx may perform action a on
// resources of kind k. The Service asks it at the start of every call
// that comes from outside (REST, GraphQL, typed repositories, custom
// routes), with the action of the call, and for the kinds a call reads
// besides its own (expand=, GraphQL relations, referrers) with
// ActionRead. A non-nil error refuses the call and is returned as it is
// (an *Error such as Errorf(CodeForbidden, ...) keeps its status); a
// refused extra read leaves the resources out, as if they did not exist.
// Calls made inside a hook's transaction are not asked: hooks are trusted
// code acting for the caller.
type Authorizer func(ctx context.Context, k *Kind, a Action) error

// WithAuthorizer adds an authorizer; every one must allow a call.
func WithAuthorizer(a Authorizer) Option {
	return func(s *Service) { s.authorizers = append(s.authorizers, a) }
}

// Allow asks the authorizers and the permission rules whether the
// principal of ctx may perform a on k at all, as every Service call does
// first: a 401 for an anonymous caller the rule grants nothing, a 403 for
// another. Transports call it for operations the Service does not run
// itself (GraphQL subscriptions, which then pass each event through
// Visible). Inside a hook's transaction it allows everything.
func (s *Service) Allow(ctx context.Context, k *Kind, a Action) error {
	_, err := s.authorize(ctx, k, a)
	return denied(err, k, a)
}

// readView returns the caller's view of k for the reads a call makes
// besides its own kind (expand=, referrers, batch loaders): false when
// the caller may read none of it, which hides the resources; any other
// error is returned.
func (s *Service) readView(ctx context.Context, k *Kind) (*view, bool, error) {
	v, err := s.authorize(ctx, k, ActionRead)
	if err == nil {
		return v, true, nil
	}
	if err == errNoGrant || CodeOf(err) != CodeInternal {
		return nil, false, nil
	}
	return nil, false, err
}

// hooksOf returns the hooks of k, or nil.
func (s *Service) hooksOf(k *Kind) *Hooks {
	if s.hooks == nil {
		return nil
	}
	return s.hooks[k]
}

// callHook runs a hook, turning a panic into an error that carries the
// stack for the log (the client sees a bare 500).
func callHook(kind *Kind, name string, fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("resource: %s hook of %s panicked: %v\n%s", name, kind.Name, v, debug.Stack())
		}
	}()
	return fn()
}

// beforeWrite runs the BeforeWrite hook of k, if any, and returns the
// data to store, and the Write that afterWrite passes on (nil when k has
// no write hooks).
func (t *writeTx) beforeWrite(k *Kind, a Action, id string, cur *Record, data json.RawMessage, o WriteOptions) (json.RawMessage, *Write, error) {
	h := t.s.hooksOf(k)
	if h == nil || (h.BeforeWrite == nil && h.AfterWrite == nil) {
		return data, nil, nil
	}
	w := &Write{Tx: t.handle(), Action: a, ID: id, Data: data, Options: o}
	if cur != nil {
		w.Current = cur.Envelope()
	}
	if h.BeforeWrite == nil {
		return data, w, nil
	}
	var out json.RawMessage
	err := callHook(k, "BeforeWrite", func() error {
		var err error
		out, err = h.BeforeWrite(t.hookCtx(), w)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if out != nil {
		data = out
		w.Data = out
	}
	return data, w, checkData(data)
}

// afterWrite runs the AfterWrite hook of k for a write that stored rec.
func (t *writeTx) afterWrite(k *Kind, w *Write, rec *Record) error {
	if w == nil {
		return nil
	}
	h := t.s.hooksOf(k)
	if h.AfterWrite == nil {
		return nil
	}
	return callHook(k, "AfterWrite", func() error { return h.AfterWrite(t.hookCtx(), w, rec.Envelope()) })
}

// before runs the BeforeDelete, BeforeRestore or BeforeSwitch hook of k,
// as action a selects it.
func (t *writeTx) before(k *Kind, a Action, cur *Record, target *Revision) error {
	h := t.s.hooksOf(k)
	if h == nil {
		return nil
	}
	var fn func(context.Context, *Event) error
	var name string
	switch a {
	case ActionDelete, ActionPurge:
		fn, name = h.BeforeDelete, "BeforeDelete"
	case ActionRestore:
		fn, name = h.BeforeRestore, "BeforeRestore"
	case ActionSwitch:
		fn, name = h.BeforeSwitch, "BeforeSwitch"
	}
	if fn == nil {
		return nil
	}
	e := &Event{Tx: t.handle(), Action: a, Current: cur.Envelope(), Target: target}
	return callHook(k, name, func() error { return fn(t.hookCtx(), e) })
}

// afterCommitHooks runs the AfterCommit hooks of the changes of a committed
// call. A panic is logged: the write has committed and stays.
func (s *Service) afterCommitHooks(ctx context.Context, changes []Change) {
	if !s.afterCommit {
		return
	}
	for _, c := range changes {
		h := s.hooksOf(c.Kind)
		if h == nil || h.AfterCommit == nil {
			continue
		}
		err := callHook(c.Kind, "AfterCommit", func() error { return h.AfterCommit(ctx, c) })
		if err != nil {
			s.logger.ErrorContext(ctx, "after-commit hook failed; the write is committed", "kind", c.Kind.Name, "id", c.ID, "op", string(c.Op), "error", err.Error())
		}
	}
}
