package resource

import (
	"context"
	"encoding/json"
	"errors"
)

// PatchOp is one change of PatchMany: the patch of resource ID of Kind by
// Fn, as Patch takes them.
type PatchOp struct {
	Kind *Kind
	ID   string
	Fn   func(current json.RawMessage) (json.RawMessage, error)
}

// PatchMany applies many patches in one write transaction: what Patch
// does for each op, in order, with one read of all their records (one
// Reader.GetMany per kind) instead of one read per op. Ops on the same
// resource apply one after the other, each to the data the one before
// wrote, and each writes a revision of its own (one that changes nothing
// writes nothing), so the history is what as many Patch calls would have
// left. It is for writers of many small changes at once (runtime/jobres
// records the status changes of many jobs this way): on PostgreSQL the
// call costs two round trips (the read, then the writes with COMMIT)
// whatever the number of ops, where Patch costs two per op.
//
// Authorization, field rules, hooks and observers apply to each op as to
// a Patch. The call is all or nothing: the first error (a resource that
// does not exist or is deleted, a refusal, an error of Fn, returned as
// it is) rolls back every op and is returned. o applies to every op;
// If-Match, which names one revision, is refused. The envelopes returned
// are parallel to ops.
func (s *Service) PatchMany(ctx context.Context, ops []PatchOp, o WriteOptions) ([]*Envelope, error) {
	if o.IfMatch != "" {
		return nil, Errorf(CodeBadRequest, "If-Match names one revision and cannot apply to a batch of patches")
	}
	if o.Mode != ModeNew && o.Mode != ModeModify {
		return nil, Errorf(CodeBadRequest, "mode must be %q or empty, got %q", ModeModify, o.Mode)
	}
	status, err := optionalStatus(o.Status)
	if err != nil {
		return nil, err
	}
	guards := make(map[*Kind]*guard)
	ids := make(map[*Kind][]string)
	var kinds []*Kind // in the order of ops, for a deterministic read order
	for _, op := range ops {
		if op.Kind == nil || op.Fn == nil {
			return nil, errors.New("resource: PatchMany: an op without kind or function")
		}
		if guards[op.Kind] == nil {
			g, err := s.guard(ctx, op.Kind, ActionPatch)
			if err != nil {
				return nil, err
			}
			guards[op.Kind] = g
			kinds = append(kinds, op.Kind)
		}
		ids[op.Kind] = append(ids[op.Kind], op.ID)
	}
	if len(ops) == 0 {
		return nil, nil
	}
	// Without write hooks nothing but the ops runs in the transaction,
	// so that nothing can read a record between two ops: the record of
	// each resource is written once, after its last op.
	hold := true
	for _, k := range kinds {
		if h := s.hooksOf(k); h != nil && (h.BeforeWrite != nil || h.AfterWrite != nil) {
			hold = false
		}
	}
	envs := make([]*Envelope, len(ops))
	var fnErr error
	err = s.write(ctx, "update", func(t *writeTx) error {
		fnErr = nil
		if hold && t.depth == 0 && t.tx == nil {
			t.held, t.heldOrder = make(map[heldKey]*Record), nil
			defer func() { t.held, t.heldOrder = nil, nil }()
		}
		recs := make(map[*Kind]map[string]*Record, len(kinds))
		for _, k := range kinds {
			found, err := t.w.GetMany(k, ids[k])
			if err != nil {
				return err
			}
			if err := upgradeRecords(k, found); err != nil {
				return err
			}
			recs[k] = found
		}
		for i, op := range ops {
			cur := recs[op.Kind][op.ID]
			switch {
			case cur == nil:
				return notFound(op.Kind, op.ID)
			case cur.Meta.IsDeleted:
				return gone(op.Kind, op.ID)
			}
			var rec *Record
			var err error
			rec, fnErr, err = t.updateRecord(guards[op.Kind], op.Kind, ActionPatch, cur, op.Fn, o, status)
			if err != nil {
				return err
			}
			recs[op.Kind][op.ID] = rec
			envs[i] = rec.Envelope()
		}
		return t.flushRecords()
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, err
	}
	for i, op := range ops {
		if err := guards[op.Kind].act.strip(envs[i]); err != nil {
			return nil, err
		}
	}
	return envs, nil
}

// heldKey names a resource whose record write is held.
type heldKey struct {
	k  *Kind
	id string
}

// flushRecords writes the held records, each resource's last, in the
// order the resources were first written, and stops holding.
func (t *writeTx) flushRecords() error {
	held, order := t.held, t.heldOrder
	t.held, t.heldOrder = nil, nil
	for _, key := range order {
		if err := t.writeErr(t.w.PutRecord(key.k, held[key])); err != nil {
			return err
		}
	}
	return nil
}
