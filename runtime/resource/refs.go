package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// checkRefs checks that every reference in data names a live resource of
// the field's target kind. It returns a 422 naming each bad field.
func (t *writeTx) checkRefs(k *Kind, data json.RawMessage) error {
	read := func(target *Kind) (*view, error) {
		if t.depth > 0 {
			return open, nil // hooks' writes are trusted
		}
		return t.s.refView(t.callCtx, target)
	}
	errs, err := refErrors(t.w, t.s.schema, k, data, read)
	if err != nil || len(errs) == 0 {
		return err
	}
	detail := errs[0].Message
	if len(errs) > 1 {
		detail = fmt.Sprintf("%d references do not name live resources", len(errs))
	}
	return &Error{Code: CodeValidation, Detail: detail, Fields: errs}
}

// markDeleting records that this call deletes the resource.
func (t *writeTx) markDeleting(k *Kind, id string) {
	if t.deleting == nil {
		t.deleting = make(map[string]bool)
	}
	t.deleting[k.Name+"\x00"+id] = true
}

// isDeleting reports whether this call is already deleting the resource.
func (t *writeTx) isDeleting(k *Kind, id string) bool {
	return t.deleting[k.Name+"\x00"+id]
}

// onDelete applies, for the deletion or purge of resource id of kind k, the
// on_delete policy of every ref field pointing at it to its live referrers:
// restrict refuses (409), cascade soft-deletes them (recursively), set_null
// writes a new revision of each with the reference cleared.
func (t *writeTx) onDelete(k *Kind, id string) error {
	for _, r := range t.s.referrers[k.Name] {
		ids, err := t.w.Referrers(r.kind, r.field.JSON, id)
		if err != nil {
			return err
		}
		ids = slices.DeleteFunc(ids, func(rid string) bool { return t.isDeleting(r.kind, rid) })
		if len(ids) == 0 {
			continue
		}
		switch r.field.Ref.OnDelete {
		case Cascade:
			err = t.cascade(r, ids)
		case SetNull:
			err = t.setNull(r, ids, id)
		default:
			err = &Error{
				Code: CodeConflict,
				Detail: fmt.Sprintf("%s %q is referenced by %d live %s(s) through field %s; delete them first",
					noun(k), id, len(ids), noun(r.kind), r.field.JSON),
				Fields: []FieldError{{
					Field:   r.kind.Name + "." + r.field.JSON,
					Message: fmt.Sprintf("%d live %s(s) refer to this %s", len(ids), noun(r.kind), noun(k)),
				}},
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// cascade soft-deletes the referrers ids of r.
func (t *writeTx) cascade(r referrer, ids []string) error {
	for _, rid := range ids {
		if t.isDeleting(r.kind, rid) {
			continue // reached again through a cycle
		}
		cur, err := t.get(r.kind, rid)
		if err != nil {
			return err
		}
		if cur.Meta.IsDeleted {
			continue
		}
		if _, err := t.softDelete(r.kind, cur); err != nil {
			return err
		}
		t.s.logger.Debug("cascade delete", "kind", r.kind.Name, "id", rid, "field", r.field.JSON)
	}
	return nil
}

// setNull clears the reference to target in field r of the referrers ids,
// writing a new stable revision of each.
func (t *writeTx) setNull(r referrer, ids []string, target string) error {
	for _, rid := range ids {
		cur, err := t.get(r.kind, rid)
		if err != nil {
			return err
		}
		data, err := clearRef(cur.Data, r.field, target)
		if err != nil {
			return fmt.Errorf("set_null on %s %s.%s: %w", r.kind.Name, rid, r.field.JSON, err)
		}
		if _, err := t.newRevision(r.kind, cur, data, StatusStable, false); err != nil {
			return err
		}
		t.s.logger.Debug("set_null", "kind", r.kind.Name, "id", rid, "field", r.field.JSON)
	}
	return nil
}

// clearRef returns data with the reference to target in field f cleared:
// the value becomes null, or, for a list, loses its elements equal to
// target.
func clearRef(data json.RawMessage, f *Field, target string) (json.RawMessage, error) {
	value := []byte("null")
	if f.List {
		raw, _, err := Lookup(data, f.JSON)
		if err != nil {
			return nil, err
		}
		ids, err := refIDs(raw, true)
		if err != nil {
			return nil, err
		}
		ids = slices.DeleteFunc(ids, func(id string) bool { return id == target })
		if value, err = json.Marshal(ids); err != nil {
			return nil, err
		}
	}
	out, ok, err := replacePath(data, f.JSON, value)
	if err != nil {
		return nil, err
	}
	if !ok {
		return data, nil
	}
	return out, nil
}

// refView returns the view of target of the caller of ctx, for the
// references a write holds: a reference is a read of its target, so a
// target the caller may not read is as good as missing (nil: none).
func (s *Service) refView(ctx context.Context, target *Kind) (*view, error) {
	switch v, err := s.rules(ctx, target, ActionRead); {
	case err == errNoGrant || CodeOf(err) == CodeUnauthenticated:
		return nil, nil
	case err != nil:
		return nil, err
	default:
		return v, nil
	}
}

// refErrors returns a field error for every reference in data that does
// not name a live resource of its target kind that read (of the target)
// admits.
func refErrors(r Reader, s *Schema, k *Kind, data json.RawMessage, read func(target *Kind) (*view, error)) (ValidationErrors, error) {
	var errs ValidationErrors
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Ref == nil {
			continue
		}
		target := s.Kind(f.Ref.Kind)
		if target == nil {
			return nil, fmt.Errorf("kind %s: field %s refers to kind %q, which is not in the schema", k.Name, f.JSON, f.Ref.Kind)
		}
		raw, _, err := Lookup(data, f.JSON)
		if err != nil {
			return nil, Errorf(CodeValidation, "the resource data is not valid JSON")
		}
		ids, err := refIDs(raw, f.List)
		if err != nil {
			errs.Add(f.JSON, err.Error())
			continue
		}
		if len(ids) == 0 {
			continue
		}
		v, err := read(target)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			rec, err := r.Get(target, id)
			if err == nil && (v == nil || !v.admits(rec)) {
				err = ErrNotFound
			}
			switch {
			case err == nil && rec.Meta.IsDeleted:
				errs.Add(f.JSON, fmt.Sprintf("%s %q was deleted", noun(target), id))
			case err == nil:
			case isNotFound(err):
				errs.Add(f.JSON, fmt.Sprintf("%s %q not found", noun(target), id))
			default:
				return nil, err
			}
		}
	}
	return errs, nil
}

// CheckRefs returns the 422 that a write of data by action (create or
// update) would get for its references: one field error per reference
// that does not name a live resource of its kind; nil when they all do.
// A caller who may not do action gets that 403 instead. Handlers call it
// when a body has other mistakes, to name every one of them in one
// response (rest.Invalid merges them); the write itself checks the
// references again.
func (s *Service) CheckRefs(ctx context.Context, k *Kind, action Action, data json.RawMessage) error {
	if _, err := s.authorize(ctx, k, action); err != nil {
		return denied(err, k, action)
	}
	var errs ValidationErrors
	err := s.view(ctx, "check references", func(r Reader) (err error) {
		errs, err = refErrors(r, s.schema, k, data, func(target *Kind) (*view, error) { return s.refView(ctx, target) })
		return err
	})
	if err != nil {
		return err
	}
	return errs.Err()
}
