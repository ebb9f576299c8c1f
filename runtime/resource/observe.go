package resource

import "context"

// ChangeOp says what a committed write did to one resource.
type ChangeOp string

// Change operations. A call can change several resources: a delete also
// soft-deletes the referrers that cascade and updates those set to null.
const (
	ChangeCreated  ChangeOp = "created"
	ChangeUpdated  ChangeOp = "updated" // a new revision, or a draft edited in place
	ChangeDeleted  ChangeOp = "deleted"
	ChangeRestored ChangeOp = "restored"
	ChangeSwitched ChangeOp = "switched"
	ChangePurged   ChangeOp = "purged"
)

// Action returns the action that makes a change of this kind: ActionCreate
// for ChangeCreated, ActionUpdate for ChangeUpdated (updates and patches
// alike), and so on.
func (op ChangeOp) Action() Action {
	switch op {
	case ChangeCreated:
		return ActionCreate
	case ChangeUpdated:
		return ActionUpdate
	case ChangeDeleted:
		return ActionDelete
	case ChangeRestored:
		return ActionRestore
	case ChangeSwitched:
		return ActionSwitch
	case ChangePurged:
		return ActionPurge
	}
	return Action(op)
}

// Change is one committed change of one resource.
type Change struct {
	Op   ChangeOp
	Kind *Kind
	ID   string
	// Envelope is the resource after the change; nil for ChangePurged.
	Envelope *Envelope
}

// Observer receives the changes of every committed write, one call per
// changed resource, in the order the write made them, with the context
// of the write. It runs on the writer's goroutine after the commit, so it
// must not block: hand the change to a queue (package feed does).
type Observer func(ctx context.Context, c Change)

// WithObserver adds o to the observers of the service's writes.
func WithObserver(o Observer) Option {
	return func(s *Service) { s.observers = append(s.observers, o) }
}

// changed records a change of this call, reported once it commits.
func (t *writeTx) changed(op ChangeOp, k *Kind, id string, rec *Record) {
	if len(t.s.observers) == 0 && !t.s.afterCommit {
		return
	}
	c := Change{Op: op, Kind: k, ID: id}
	if rec != nil {
		c.Envelope = rec.Envelope()
	}
	t.changes = append(t.changes, c)
}

// notify reports the changes of a committed call to the observers.
func (s *Service) notify(ctx context.Context, changes []Change) {
	for _, c := range changes {
		for _, o := range s.observers {
			o(ctx, c)
		}
	}
}
