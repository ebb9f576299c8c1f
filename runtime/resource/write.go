package resource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/validate"
)

// writeTx is the state of one write call: its transaction, its subject and
// its single timestamp (every row a call writes carries the same time).
// Writes that hooks make inside the call share it (see Tx).
type writeTx struct {
	s       *Service
	w       Writer
	subject string
	now     time.Time
	// deleting holds the resources this call is deleting ("kind\x00id"),
	// so that cascades terminate on cycles and a resource never blocks its
	// own deletion.
	deleting map[string]bool
	// changes are the changes this call made, for the observers and the
	// AfterCommit hooks.
	changes []Change
	// puts are the records this call wrote, newest last, to explain a
	// unique violation or a taken id that a backend reports only when
	// it sends its queued writes (PostgreSQL, at COMMIT).
	puts []put

	// callCtx is the context of the call; ctx is the context of the call
	// running now carrying tx, for hooks (made on first use for the
	// call that opened the transaction).
	callCtx context.Context
	ctx     context.Context
	tx      *Tx
	// depth counts the writes hooks are running inside this one; failed
	// is the first error of such a write, which fails the call.
	depth  int
	failed error
	// done is set when the transaction has ended.
	done bool
	// onCommit and onRollback are the callbacks of Tx.OnCommit and
	// Tx.OnRollback of the attempt running now.
	onCommit, onRollback []func()
	// held, when set, holds the record writes of the call instead of
	// sending them, the last per resource (PatchMany: see flushRecords).
	held map[heldKey]*Record
	// heldOrder is the order in which the held resources were first
	// written.
	heldOrder []heldKey
}

// put is one record written by a call.
type put struct {
	k      *Kind
	rec    *Record
	create bool
}

// write runs fn in one backend transaction, or, for a call made inside a
// hook, in the transaction of that hook's call.
func (s *Service) write(ctx context.Context, op string, fn func(t *writeTx) error) error {
	if t := s.joined(ctx); t != nil {
		return t.nested(ctx, op, fn)
	}
	t := &writeTx{s: s, subject: SubjectFrom(ctx), now: s.timestamp(), callCtx: ctx}
	err := s.backend.Update(ctx, func(w Writer) error {
		t.rolledBack() // of an earlier attempt the backend abandoned
		t.w = w
		t.deleting = nil
		t.changes = t.changes[:0] // a backend may run fn again
		t.puts = t.puts[:0]
		t.depth, t.failed = 0, nil
		if err := fn(t); err != nil {
			return err
		}
		return t.failed
	})
	t.done = true
	if err != nil {
		t.rolledBack()
		return backendErr(op, t.writeErr(err))
	}
	t.committed()
	s.notify(ctx, t.changes)
	s.afterCommitHooks(ctx, t.changes)
	return nil
}

// Create stores data as revision 1 of a new resource with a fresh id. The
// revision is stable, or a draft when o.Status is "draft".
func (s *Service) Create(ctx context.Context, k *Kind, data json.RawMessage, o WriteOptions) (*Envelope, error) {
	v, err := s.authorize(ctx, k, ActionCreate)
	if err != nil {
		return nil, denied(err, k, ActionCreate)
	}
	if o.Mode != ModeNew {
		return nil, Errorf(CodeBadRequest, "mode=%s needs an existing %s", o.Mode, noun(k))
	}
	status, err := newStatus(o.Status)
	if err != nil {
		return nil, err
	}
	if o.IfMatch != "" {
		return nil, Errorf(CodePreconditionFailed, "If-Match cannot match a %s that does not exist yet", noun(k))
	}
	if err := checkData(data); err != nil {
		return nil, err
	}
	if data, err = v.checkFieldWrites(k, nil, data, false); err != nil {
		return nil, err
	}
	id := o.ID
	if id == "" {
		id = s.newID()
	} else if !validID(id) {
		return nil, Errorf(CodeBadRequest, "the id of a new %s must be 1 to 128 letters, digits, '-', '_' or '.'", noun(k))
	}
	var env *Envelope
	err = s.write(ctx, "create", func(t *writeTx) error {
		data, hw, err := t.beforeWrite(k, ActionCreate, id, nil, data, o)
		if err != nil {
			return err
		}
		if err := t.checkRefs(k, data); err != nil {
			return err
		}
		info := RevisionInfo{
			RevisionID:    RevisionID(id, 1),
			ResourceID:    id,
			Number:        1,
			Status:        status,
			DataHash:      DataHash(data),
			SchemaVersion: k.SchemaVersion,
			CreatedTime:   t.now,
			CreatedBy:     t.subject,
			UpdatedTime:   t.now,
			UpdatedBy:     t.subject,
		}
		rec := &Record{
			Meta: Meta{
				ResourceID:         id,
				CurrentRevisionID:  info.RevisionID,
				TotalRevisionCount: 1,
				SchemaVersion:      k.SchemaVersion,
				CreatedTime:        t.now,
				CreatedBy:          t.subject,
				UpdatedTime:        t.now,
				UpdatedBy:          t.subject,
			},
			Current: info,
			Data:    data,
		}
		if !v.admits(rec) {
			return Errorf(CodeForbidden, "you may not create %s with these values", plural(k))
		}
		if err := t.w.PutRevision(k, &Revision{Info: info, Data: data}); err != nil {
			return err
		}
		// The id is a fresh UUIDv7, so a record with it exists only
		// after a collision of 74 random bits within a millisecond;
		// CreateRecord still refuses one rather than replace it.
		t.puts = append(t.puts, put{k: k, rec: rec, create: true})
		if err := t.writeErr(t.w.CreateRecord(k, rec)); err != nil {
			return err
		}
		t.changed(ChangeCreated, k, id, rec)
		env = rec.Envelope()
		return t.afterWrite(k, hw, rec)
	})
	if err == nil {
		err = v.strip(env)
	}
	return env, err
}

// validID reports whether id may name a new resource given by the
// caller (WriteOptions.ID): it becomes a path segment and a revision id
// prefix, so it is short and needs no escaping.
func validID(id string) bool {
	if len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return id != "" && id != "." && id != ".."
}

// Transaction runs fn in one write transaction of the service, or, when
// ctx carries one (a hook's), inside it. Every Service call made with the
// context fn gets joins the transaction, as a hook's calls do: what they
// write commits together or not at all, and, like a hook's, they are not
// authorized: fn is trusted code, which asks Allow first when it acts for
// a caller (runtime/jobres enqueues a job and creates its resource in one
// transaction this way). An error from fn rolls everything back and is
// returned as it is; a failed call inside fails the transaction even if
// fn ignores its error.
func (s *Service) Transaction(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if t := s.joined(ctx); t != nil {
		if t.done {
			return errTxDone
		}
		return fn(ctx, t.handle())
	}
	var ferr error
	err := s.write(ctx, "transaction", func(t *writeTx) error {
		ferr = fn(t.hookCtx(), t.handle())
		return ferr
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// Update replaces the data of a live resource: a new revision whose parent
// is the current one, or, with o.Mode "modify", an in-place edit of the
// current draft. An update that changes neither data nor status writes
// nothing and returns the current envelope.
func (s *Service) Update(ctx context.Context, k *Kind, id string, data json.RawMessage, o WriteOptions) (*Envelope, error) {
	return s.update(ctx, k, ActionUpdate, id, func(json.RawMessage) (json.RawMessage, error) { return data, nil }, o)
}

// Patch is Update with data computed from the current data inside the write
// transaction: fn gets the current data and returns the new, validated,
// canonical data, or an error, which aborts the call and is returned as is.
func (s *Service) Patch(ctx context.Context, k *Kind, id string, fn func(current json.RawMessage) (json.RawMessage, error), o WriteOptions) (*Envelope, error) {
	return s.update(ctx, k, ActionPatch, id, fn, o)
}

// update is Update and Patch: action a names which, for authorizers and
// hooks.
func (s *Service) update(ctx context.Context, k *Kind, a Action, id string, fn func(current json.RawMessage) (json.RawMessage, error), o WriteOptions) (*Envelope, error) {
	g, err := s.guard(ctx, k, a)
	if err != nil {
		return nil, err
	}
	if o.Mode != ModeNew && o.Mode != ModeModify {
		return nil, Errorf(CodeBadRequest, "mode must be %q or empty, got %q", ModeModify, o.Mode)
	}
	status, err := optionalStatus(o.Status)
	if err != nil {
		return nil, err
	}
	var env *Envelope
	var fnErr error
	err = s.write(ctx, "update", func(t *writeTx) error {
		cur, err := t.live(k, id, o.IfMatch)
		if err != nil {
			return err
		}
		var rec *Record
		rec, fnErr, err = t.updateRecord(g, k, a, cur, fn, o, status)
		if rec != nil {
			env = rec.Envelope()
		}
		return err
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err == nil {
		err = g.act.strip(env)
	}
	return env, err
}

// updateRecord is the write of Update and Patch (and of each change of
// PatchMany) once the current record cur is read: it checks access,
// computes the data with fn, runs the hooks and writes the revision. It
// returns the record as written (cur when nothing changed), and fn's
// own error apart (as fnErr, also returned as err) so that callers can
// return it as it is.
func (t *writeTx) updateRecord(g *guard, k *Kind, a Action, cur *Record, fn func(current json.RawMessage) (json.RawMessage, error), o WriteOptions, status string) (rec *Record, fnErr, err error) {
	id := cur.Meta.ResourceID
	if err := g.current(cur); err != nil {
		return nil, nil, err
	}
	visible, err := g.visible(cur.Data)
	if err != nil {
		return nil, nil, backendErr("update", err)
	}
	data, err := fn(visible)
	if err != nil {
		return nil, err, err
	}
	if err := checkData(data); err != nil {
		return nil, nil, err
	}
	if data, err = g.act.checkFieldWrites(k, cur.Data, data, true); err != nil {
		return nil, nil, err
	}
	data, hw, err := t.beforeWrite(k, a, id, cur, data, o)
	if err != nil {
		return nil, nil, err
	}
	if err := g.result(&Record{Meta: cur.Meta, Data: data}); err != nil {
		return nil, nil, err
	}
	if o.Mode == ModeModify {
		rec, err = t.modify(k, cur, data, status)
	} else {
		st := status
		if st == "" {
			st = StatusStable
		}
		rec, err = t.newRevision(k, cur, data, st, true)
	}
	if err != nil {
		return nil, nil, err
	}
	if rec == cur {
		return rec, nil, nil // nothing changed
	}
	return rec, nil, t.afterWrite(k, hw, rec)
}

// newRevision writes revision n+1 of cur with the given data and status,
// unless both equal the current revision's. checkRefs is false for writes
// the engine makes itself (set_null), which only clear references.
func (t *writeTx) newRevision(k *Kind, cur *Record, data json.RawMessage, status string, checkRefs bool) (*Record, error) {
	hash := DataHash(data)
	if hash == cur.Current.DataHash && status == cur.Current.Status {
		return cur, nil
	}
	if checkRefs {
		if err := t.checkRefs(k, data); err != nil {
			return nil, err
		}
	}
	id := cur.Meta.ResourceID
	n := cur.Meta.TotalRevisionCount + 1
	parent := cur.Current.RevisionID
	info := RevisionInfo{
		RevisionID:       RevisionID(id, n),
		ParentRevisionID: &parent,
		ResourceID:       id,
		Number:           n,
		Status:           status,
		DataHash:         hash,
		SchemaVersion:    k.SchemaVersion,
		CreatedTime:      t.now,
		CreatedBy:        t.subject,
		UpdatedTime:      t.now,
		UpdatedBy:        t.subject,
	}
	rec := &Record{Meta: cur.Meta, Current: info, Data: data}
	rec.Meta.CurrentRevisionID = info.RevisionID
	rec.Meta.TotalRevisionCount = n
	rec.Meta.SchemaVersion = k.SchemaVersion
	t.touch(rec)
	if err := t.w.PutRevision(k, &Revision{Info: info, Data: data}); err != nil {
		return nil, err
	}
	if err := t.putRecord(k, rec); err != nil {
		return nil, err
	}
	if err := t.prune(k, rec); err != nil {
		return nil, err
	}
	t.changed(ChangeUpdated, k, id, rec)
	return rec, nil
}

// modify edits the current revision of cur in place (mode=modify). Only a
// draft may be edited, or a stable revision that status turns into one.
func (t *writeTx) modify(k *Kind, cur *Record, data json.RawMessage, status string) (*Record, error) {
	if cur.Current.Status != StatusDraft && status != StatusDraft {
		return nil, Errorf(CodeConflict,
			"revision %q of %s %q is stable and cannot be modified in place; write a new revision, or set status=draft to turn it into a draft",
			cur.Current.RevisionID, noun(k), cur.Meta.ResourceID)
	}
	if status == "" {
		status = cur.Current.Status
	}
	hash := DataHash(data)
	if hash == cur.Current.DataHash && status == cur.Current.Status {
		return cur, nil
	}
	if err := t.checkRefs(k, data); err != nil {
		return nil, err
	}
	info := cur.Current
	info.Status = status
	info.DataHash = hash
	info.SchemaVersion = k.SchemaVersion
	info.UpdatedTime = t.now
	info.UpdatedBy = t.subject
	rec := &Record{Meta: cur.Meta, Current: info, Data: data}
	rec.Meta.SchemaVersion = k.SchemaVersion
	t.touch(rec)
	if err := t.w.PutRevision(k, &Revision{Info: info, Data: data}); err != nil {
		return nil, err
	}
	if err := t.putRecord(k, rec); err != nil {
		return nil, err
	}
	t.changed(ChangeUpdated, k, rec.Meta.ResourceID, rec)
	return rec, nil
}

// Delete soft-deletes a live resource (no revision is written) and applies
// the on_delete policy of every ref field that points at it.
func (s *Service) Delete(ctx context.Context, k *Kind, id string, o WriteOptions) (*Envelope, error) {
	g, err := s.guard(ctx, k, ActionDelete)
	if err != nil {
		return nil, err
	}
	var env *Envelope
	err = s.write(ctx, "delete", func(t *writeTx) error {
		cur, err := t.live(k, id, o.IfMatch)
		if err == nil {
			err = g.current(cur)
		}
		if err != nil {
			return err
		}
		rec, err := t.softDelete(k, cur)
		if err != nil {
			return err
		}
		env = rec.Envelope()
		return nil
	})
	if err == nil {
		err = g.act.strip(env)
	}
	return env, err
}

// softDelete marks cur deleted after applying its referrers' policies.
func (t *writeTx) softDelete(k *Kind, cur *Record) (*Record, error) {
	if err := t.before(k, ActionDelete, cur, nil); err != nil {
		return nil, err
	}
	t.markDeleting(k, cur.Meta.ResourceID)
	if err := t.onDelete(k, cur.Meta.ResourceID); err != nil {
		return nil, err
	}
	rec := *cur
	rec.Meta.IsDeleted = true
	t.touch(&rec)
	if err := t.putRecord(k, &rec); err != nil {
		return nil, err
	}
	t.changed(ChangeDeleted, k, rec.Meta.ResourceID, &rec)
	return &rec, nil
}

// Restore undeletes a soft-deleted resource. Its references must still
// name live resources and its unique values must still be free.
//
// With o.Cascade it also restores, in the same transaction, what the
// delete of the resource cascaded to: the deleted referrers, through ref
// fields with on_delete: cascade, whose deletion was written by the same
// call (recursively, as the delete went). A delete call stamps every row
// it writes with one time and one subject (writeTx.now, subject), so a
// referrer belongs to the cascade when it is deleted and its
// updated_time and updated_by equal the resource's: a referrer deleted
// earlier by its own call, or restored and deleted again since, is left
// alone. Each referrer is restored as a restore of its own would be: the
// caller's restore rule on its kind, the before hooks, the reference and
// unique checks; any refusal refuses the whole call and nothing changes.
func (s *Service) Restore(ctx context.Context, k *Kind, id string, o WriteOptions) (*Envelope, error) {
	g, err := s.guard(ctx, k, ActionRestore)
	if err != nil {
		return nil, err
	}
	var env *Envelope
	err = s.write(ctx, "restore", func(t *writeTx) error {
		cur, err := t.load(k, id, o.IfMatch)
		if err == nil {
			err = g.current(cur)
		}
		if err != nil {
			return err
		}
		if !cur.Meta.IsDeleted {
			return Errorf(CodeConflict, "%s %q is not deleted", noun(k), id)
		}
		if !o.Cascade {
			rec, err := t.restore(k, cur, true)
			if err != nil {
				return err
			}
			env = rec.Envelope()
			return nil
		}
		// The cascade may hold a cycle (the resource refers to one of
		// its referrers): the references are checked once every record
		// of it is live again.
		rec, err := t.restore(k, cur, false)
		if err != nil {
			return err
		}
		restored := []put{{k: k, rec: rec}}
		guards := map[*Kind]*guard{k: g}
		if err := t.restoreCascade(ctx, guards, k, cur, &restored); err != nil {
			return err
		}
		for _, r := range restored {
			if err := t.checkRefs(r.k, r.rec.Data); err != nil {
				return err
			}
		}
		env = rec.Envelope()
		return nil
	})
	if err == nil {
		err = g.act.strip(env)
	}
	return env, err
}

// restore undeletes cur after its before hooks and, with check, the
// check of its references.
func (t *writeTx) restore(k *Kind, cur *Record, check bool) (*Record, error) {
	if err := t.before(k, ActionRestore, cur, nil); err != nil {
		return nil, err
	}
	if check {
		if err := t.checkRefs(k, cur.Data); err != nil {
			return nil, err
		}
	}
	rec := *cur
	rec.Meta.IsDeleted = false
	t.touch(&rec)
	if err := t.putRecord(k, &rec); err != nil {
		return nil, err
	}
	t.changed(ChangeRestored, k, rec.Meta.ResourceID, &rec)
	return &rec, nil
}

// restoreCascade restores the referrers that the delete of deleted (the
// record as it was while deleted) cascaded to, and theirs in turn (see
// Restore), without checking their references, and appends them to
// restored. guards holds the caller's restore guard of each kind met.
func (t *writeTx) restoreCascade(ctx context.Context, guards map[*Kind]*guard, k *Kind, deleted *Record, restored *[]put) error {
	for _, r := range t.s.referrers[k.Name] {
		if r.field.Ref.OnDelete != Cascade {
			continue
		}
		recs, err := t.cascaded(r, deleted)
		if err != nil {
			return err
		}
		for _, ref := range recs {
			g := guards[r.kind]
			if g == nil {
				if g, err = t.s.guard(ctx, r.kind, ActionRestore); err != nil {
					return err
				}
				guards[r.kind] = g
			}
			if err := g.current(ref); err != nil {
				return err
			}
			rec, err := t.restore(r.kind, ref, false)
			if err != nil {
				return err
			}
			*restored = append(*restored, put{k: r.kind, rec: rec})
			t.s.logger.Debug("cascade restore", "kind", r.kind.Name, "id", ref.Meta.ResourceID, "field", r.field.JSON)
			if err := t.restoreCascade(ctx, guards, r.kind, ref, restored); err != nil {
				return err
			}
		}
	}
	return nil
}

// cascaded returns the deleted referrers of deleted through r that the
// same call deleted: updated_time and updated_by are the deletion's (the
// list asks the backend for those, a meta field every backend filters
// on) and the ref field holds its id.
func (t *writeTx) cascaded(r referrer, deleted *Record) ([]*Record, error) {
	src := fmt.Sprintf("%s = %s", FieldUpdatedTime, strconv.Quote(deleted.Meta.UpdatedTime.UTC().Format(time.RFC3339Nano)))
	expr, err := filter.Parse(src)
	if err == nil {
		err = filter.Check(expr, metaFields)
	}
	if err != nil {
		return nil, fmt.Errorf("cascade restore of %s: %w", r.kind.Name, err)
	}
	recs, err := t.w.List(r.kind, &Query{OnlyDeleted: true, Filter: expr})
	if err != nil {
		return nil, err
	}
	var out []*Record
	for _, rec := range recs {
		if rec.Meta.UpdatedBy != deleted.Meta.UpdatedBy || !rec.Meta.UpdatedTime.Equal(deleted.Meta.UpdatedTime) {
			continue
		}
		raw, ok, err := Lookup(rec.Data, r.field.JSON)
		if err != nil || !ok {
			continue
		}
		ids, err := refIDs(raw, r.field.List)
		if err == nil && slices.Contains(ids, deleted.Meta.ResourceID) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// Purge removes a resource, live or deleted, with all its revisions, after
// applying the on_delete policy of every ref field that points at it.
func (s *Service) Purge(ctx context.Context, k *Kind, id string, o WriteOptions) error {
	g, err := s.guard(ctx, k, ActionPurge)
	if err != nil {
		return err
	}
	return s.write(ctx, "purge", func(t *writeTx) error {
		cur, err := t.load(k, id, o.IfMatch)
		if err == nil {
			err = g.current(cur)
		}
		if err != nil {
			return err
		}
		if err := t.before(k, ActionPurge, cur, nil); err != nil {
			return err
		}
		t.markDeleting(k, id)
		if err := t.onDelete(k, id); err != nil {
			return err
		}
		if err := t.w.Purge(k, id); err != nil {
			return err
		}
		t.changed(ChangePurged, k, id, nil)
		return nil
	})
}

// Switch makes revision rev (a full revision id or its number) the current
// revision of a live resource, without writing a revision. The next update
// branches from it.
func (s *Service) Switch(ctx context.Context, k *Kind, id, rev string, o WriteOptions) (*Envelope, error) {
	g, err := s.guard(ctx, k, ActionSwitch)
	if err != nil {
		return nil, err
	}
	var env *Envelope
	err = s.write(ctx, "switch", func(t *writeTx) error {
		cur, err := t.live(k, id, o.IfMatch)
		if err == nil {
			err = g.current(cur)
		}
		if err != nil {
			return err
		}
		n, ok := ParseRevision(id, rev)
		if !ok {
			return revisionNotFound(k, id, rev)
		}
		if n == cur.Current.Number {
			env = cur.Envelope()
			return nil
		}
		r, err := t.w.Revision(k, id, n)
		if errors.Is(err, ErrNotFound) {
			return revisionNotFound(k, id, rev)
		}
		if err != nil {
			return err
		}
		// The revision's data in today's form becomes the current data.
		if r, err = upgradeRevision(k, r); err != nil {
			return err
		}
		if _, err := g.act.checkFieldWrites(k, cur.Data, r.Data, false); err != nil {
			return err
		}
		if err := g.result(&Record{Meta: cur.Meta, Data: r.Data}); err != nil {
			return err
		}
		if err := t.before(k, ActionSwitch, cur, r); err != nil {
			return err
		}
		if err := t.checkRefs(k, r.Data); err != nil {
			return err
		}
		rec := &Record{Meta: cur.Meta, Current: r.Info, Data: r.Data}
		rec.Meta.CurrentRevisionID = r.Info.RevisionID
		rec.Meta.SchemaVersion = k.SchemaVersion
		t.touch(rec)
		if err := t.putRecord(k, rec); err != nil {
			return err
		}
		t.changed(ChangeSwitched, k, id, rec)
		env = rec.Envelope()
		return nil
	})
	if err == nil {
		err = g.act.strip(env)
	}
	return env, err
}

// get returns the record of a resource, deleted or not.
func (t *writeTx) get(k *Kind, id string) (*Record, error) {
	rec, err := t.w.Get(k, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(k, id)
	}
	if err != nil {
		return nil, err
	}
	return upgradeRecord(k, rec)
}

// load returns the record of a resource, deleted or not, checking If-Match.
func (t *writeTx) load(k *Kind, id, ifMatch string) (*Record, error) {
	rec, err := t.get(k, id)
	if err != nil {
		return nil, err
	}
	return rec, precondition(k, rec, ifMatch)
}

// live is load for a resource that must not be deleted.
func (t *writeTx) live(k *Kind, id, ifMatch string) (*Record, error) {
	rec, err := t.get(k, id)
	if err != nil {
		return nil, err
	}
	if rec.Meta.IsDeleted {
		return nil, gone(k, id)
	}
	return rec, precondition(k, rec, ifMatch)
}

// precondition checks an If-Match value against the current revision.
func precondition(k *Kind, rec *Record, ifMatch string) error {
	if ifMatch == "" || matchIfMatch(ifMatch, &rec.Current) {
		return nil
	}
	return Errorf(CodePreconditionFailed,
		"%s %q has changed: If-Match does not match its current revision; read it again and retry",
		noun(k), rec.Meta.ResourceID)
}

// touch stamps the record's meta as updated by this call.
func (t *writeTx) touch(rec *Record) {
	rec.Meta.UpdatedTime = t.now
	rec.Meta.UpdatedBy = t.subject
}

// putRecord stores rec, turning a unique violation into a 409 that names
// the field and its value.
func (t *writeTx) putRecord(k *Kind, rec *Record) error {
	t.puts = append(t.puts, put{k: k, rec: rec})
	if t.held != nil {
		key := heldKey{k, rec.Meta.ResourceID}
		if t.held[key] == nil {
			t.heldOrder = append(t.heldOrder, key)
		}
		t.held[key] = rec
		return nil
	}
	return t.writeErr(t.w.PutRecord(k, rec))
}

// writeErr turns a backend's unique violation or taken id into the 409
// that explains it, naming the field and its value, from the records
// this call wrote. A backend may report either at the write itself or
// when the transaction commits. Other errors are returned as they are.
func (t *writeTx) writeErr(err error) error {
	var uv *UniqueViolation
	switch {
	case errors.As(err, &uv):
		for i := len(t.puts) - 1; i >= 0; i-- {
			if p := t.puts[i]; p.k.Name == uv.Kind && (uv.ID == "" || uv.ID == p.rec.Meta.ResourceID) {
				return uniqueConflict(p.k, uv.Field, p.rec.Data)
			}
		}
	case errors.Is(err, ErrExists):
		for i := len(t.puts) - 1; i >= 0; i-- {
			if p := t.puts[i]; p.create {
				return Errorf(CodeConflict, "%s %q already exists", noun(p.k), p.rec.Meta.ResourceID)
			}
		}
	}
	return err
}

// uniqueConflict is the 409 of a unique violation on field.
func uniqueConflict(k *Kind, field string, data json.RawMessage) *Error {
	value := "this value"
	if raw, ok, _ := Lookup(data, field); ok {
		value = string(raw)
		if len(value) > 100 {
			value = value[:97] + "..."
		}
	}
	msg := fmt.Sprintf("%s is already used by another %s", value, noun(k))
	if f := k.Field(field); f != nil && f.Fold {
		msg += " (compared without regard to case)"
	}
	return &Error{
		Code:   CodeConflict,
		Detail: field + " " + msg,
		Fields: []FieldError{{Field: field, Message: msg}},
	}
}

// newStatus validates the status of a new revision ("" is stable).
func newStatus(s string) (string, error) {
	s, err := optionalStatus(s)
	if s == "" {
		s = StatusStable
	}
	return s, err
}

// optionalStatus validates a status option, which may be empty.
func optionalStatus(s string) (string, error) {
	switch s {
	case "", StatusStable, StatusDraft:
		return s, nil
	}
	return "", &Error{
		Code:   CodeBadRequest,
		Detail: fmt.Sprintf("status must be %q or %q, got %q", StatusStable, StatusDraft, s),
		Fields: []FieldError{{Field: "status", Message: "must be stable or draft"}},
	}
}

// checkData checks that data is one JSON object whose strings and keys
// every backend stores as they are: Unicode without U+0000. This is the
// one door of every write (REST, GraphQL, repositories, hooks), so data
// moves between backends: PostgreSQL text cannot hold U+0000, SQLite and
// memory could, and REST decoding refuses the same text before this.
func checkData(data json.RawMessage) error {
	if !isJSONObject(data) {
		return Errorf(CodeValidation, "the resource data must be a JSON object")
	}
	if f := validate.TextFault(data); f != validate.FaultNone {
		return textError(data, f)
	}
	return nil
}

// MalformedText is the BAD_REQUEST of a request body whose text is not
// Unicode (validate.TextFault reports it Malformed), naming every string
// and key that holds some by its path in the body. REST decoding and the
// GraphQL handler answer it.
func MalformedText(data []byte) *Error {
	e := &Error{
		Code:   CodeBadRequest,
		Detail: "the request body holds text that is not valid Unicode (bytes that are not UTF-8, or a lone surrogate escape); it would not be stored as sent",
	}
	for _, p := range validate.TextProblems(data) {
		if p.Fault.Malformed() {
			e.Fields = append(e.Fields, FieldError{Field: p.Path, Message: p.Message()})
		}
	}
	return e
}

// textError names the strings and keys of data with faulty text: a 422
// for U+0000, a 400 for text that is not Unicode (as REST decoding
// answers both).
func textError(data json.RawMessage, worst validate.Fault) *Error {
	e := &Error{Code: CodeValidation, Detail: "the data holds the character U+0000 (\\u0000), which no backend stores; remove it"}
	if worst.Malformed() {
		e = &Error{Code: CodeBadRequest, Detail: "the data holds text that is not valid Unicode (bytes that are not UTF-8, or a lone surrogate escape)"}
	}
	for _, p := range validate.TextProblems(data) {
		if p.Fault.Malformed() == worst.Malformed() {
			e.Fields = append(e.Fields, FieldError{Field: p.Path, Message: p.Message()})
		}
	}
	return e
}
