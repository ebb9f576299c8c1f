package resource

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/jsonpatch"
)

// view runs fn in one read-only backend transaction, or, for a call made
// inside a hook, in the transaction of that hook's call, so that it sees
// the call's writes.
func (s *Service) view(ctx context.Context, op string, fn func(r Reader) error) error {
	if t := s.joined(ctx); t != nil {
		if t.done {
			return errTxDone
		}
		return fn(t.w)
	}
	if err := s.backend.View(ctx, fn); err != nil {
		return backendErr(op, err)
	}
	return nil
}

// record returns the record of a resource: 404 when unknown, 410 when
// deleted unless includeDeleted.
func record(r Reader, k *Kind, id string, includeDeleted bool) (*Record, error) {
	rec, err := r.Get(k, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound(k, id)
	}
	if err != nil {
		return nil, err
	}
	if rec.Meta.IsDeleted && !includeDeleted {
		return nil, gone(k, id)
	}
	return upgradeRecord(k, rec)
}

// readable returns the record of a resource the caller's view admits: as
// record, and 404 for a row outside the view, as if it did not exist.
func readable(r Reader, k *Kind, id string, includeDeleted bool, v *view) (*Record, error) {
	rec, err := r.Get(k, id)
	if errors.Is(err, ErrNotFound) || err == nil && !v.admits(rec) {
		return nil, notFound(k, id)
	}
	if err != nil {
		return nil, err
	}
	if rec.Meta.IsDeleted && !includeDeleted {
		return nil, gone(k, id)
	}
	return upgradeRecord(k, rec)
}

// revision returns revision rev (full id or number) of a resource.
func revision(r Reader, k *Kind, id, rev string) (*Revision, error) {
	n, ok := ParseRevision(id, rev)
	if !ok {
		return nil, revisionNotFound(k, id, rev)
	}
	out, err := r.Revision(k, id, n)
	if errors.Is(err, ErrNotFound) {
		return nil, revisionNotFound(k, id, rev)
	}
	if err != nil {
		return nil, err
	}
	return upgradeRevision(k, out)
}

// Get returns a resource at its current revision, or at o.Revision, with
// the data fields o.Fields (all when empty) and the references o.Expand
// embedded as List embeds them.
func (s *Service) Get(ctx context.Context, k *Kind, id string, o ReadOptions) (*Envelope, error) {
	v, err := s.authorize(ctx, k, ActionRead)
	if err != nil {
		return nil, hiddenAs404(err, k, id)
	}
	var fields []string
	var exps []*expansion
	if len(o.Fields) > 0 || len(o.Expand) > 0 {
		if fields, err = projection(k, s.queryInfo(k, v), o.Fields); err != nil {
			return nil, err
		}
		if exps, err = s.parseExpand(k, o.Expand, v); err != nil {
			return nil, err
		}
	}
	var env *Envelope
	if pr, ok := s.backend.(PointReader); ok && o.Revision == "" && len(exps) == 0 && s.joined(ctx) == nil {
		env, err = s.pointGet(ctx, pr, k, id, o.IncludeDeleted, v)
	} else {
		env, err = s.viewGet(ctx, k, id, o, exps, v)
	}
	if err == nil {
		err = v.strip(env)
	}
	if err != nil || fields == nil {
		return env, err
	}
	if env.Data, err = project(env.Data, fields); err != nil {
		return nil, backendErr("get", err)
	}
	return env, nil
}

// pointGet reads the current revision of a resource with one statement
// (see PointReader).
func (s *Service) pointGet(ctx context.Context, pr PointReader, k *Kind, id string, includeDeleted bool, v *view) (*Envelope, error) {
	rec, err := pr.GetRecord(ctx, k, id)
	switch {
	case errors.Is(err, ErrNotFound), err == nil && !v.admits(rec):
		return nil, notFound(k, id)
	case err != nil:
		return nil, backendErr("get", err)
	case rec.Meta.IsDeleted && !includeDeleted:
		return nil, gone(k, id)
	}
	if rec, err = upgradeRecord(k, rec); err != nil {
		return nil, backendErr("get", err)
	}
	return rec.Envelope(), nil
}

// viewGet reads a resource in a read transaction: at o.Revision, with the
// references exps embedded.
func (s *Service) viewGet(ctx context.Context, k *Kind, id string, o ReadOptions, exps []*expansion, v *view) (*Envelope, error) {
	var env *Envelope
	err := s.view(ctx, "get", func(r Reader) error {
		rec, err := readable(r, k, id, o.IncludeDeleted, v)
		if err != nil {
			return err
		}
		env = rec.Envelope()
		if o.Revision != "" {
			rev, err := revision(r, k, id, o.Revision)
			if err != nil {
				return err
			}
			env.Data, env.RevisionInfo = rev.Data, rev.Info
		}
		if len(exps) > 0 {
			return s.expand(ctx, r, []*Envelope{env}, exps)
		}
		return nil
	})
	return env, err
}

// GetMany returns the live resources of k among ids, by id, read in one
// transaction; unknown, deleted and (for the authorizers) unreadable
// resources are absent. GraphQL's batch loaders resolve relations with
// it.
func (s *Service) GetMany(ctx context.Context, k *Kind, ids []string) (map[string]*Envelope, error) {
	out := make(map[string]*Envelope, len(ids))
	v, ok, err := s.readView(ctx, k)
	if !ok || len(ids) == 0 {
		return out, err
	}
	err = s.view(ctx, "get", func(r Reader) error {
		recs, err := r.GetMany(k, ids)
		if err != nil {
			return err
		}
		if err := upgradeRecords(k, recs); err != nil {
			return err
		}
		for id, rec := range recs {
			if !rec.Meta.IsDeleted && v.admits(rec) {
				env := rec.Envelope()
				if err := v.strip(env); err != nil {
					return err
				}
				out[id] = env
			}
		}
		return nil
	})
	return out, err
}

// List returns a page of resources matching q.Filter in q.Sort order
// (default: the kind's DefaultSort), each order ending with resource_id
// as the tie-break. The next cursor is a keyset bound: paging with it
// never lists a resource twice and never skips one that existed when
// paging started, whatever is inserted or deleted meanwhile.
func (s *Service) List(ctx context.Context, k *Kind, q ListQuery) (*Page, error) {
	v, err := s.authorize(ctx, k, ActionList)
	if err != nil {
		return nil, denied(err, k, ActionList)
	}
	p, err := s.planList(k, q, v)
	if err != nil {
		return nil, err
	}
	p.query.Filter = filter.Conjoin(v.cond, p.query.Filter)
	bq := p.query
	bq.Limit = p.limit + 1 // one more tells whether a next page exists
	var recs []*Record
	var total *int
	var items []*Envelope
	err = s.view(ctx, "list", func(r Reader) error {
		var err error
		if recs, err = r.List(k, &bq); err != nil {
			return err
		}
		if q.Count {
			n, err := r.Count(k, &p.query)
			if err != nil {
				return err
			}
			total = &n
		}
		items = make([]*Envelope, 0, min(len(recs), p.limit))
		for _, rec := range recs[:min(len(recs), p.limit)] {
			// The cursor keeps the stored record: its sort values are
			// the ones the backend ordered by.
			up, err := upgradeRecord(k, rec)
			if err != nil {
				return err
			}
			items = append(items, up.Envelope())
		}
		if len(p.expand) > 0 {
			if err := s.expand(ctx, r, items, p.expand); err != nil {
				return err
			}
		}
		for _, env := range items {
			if err := v.strip(env); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page := &Page{Items: items, Total: total, recs: recs[:len(items)], sort: p.query.Sort, hash: p.hash}
	if len(recs) > p.limit {
		next, err := page.cursor(p.limit - 1)
		if err != nil {
			return nil, err
		}
		page.NextCursor = &next
	}
	if p.fields != nil {
		for _, env := range items {
			if env.Data, err = project(env.Data, p.fields); err != nil {
				return nil, backendErr("list", err)
			}
		}
	}
	return page, nil
}

// Cursor returns the cursor that continues the revision list after item
// i of the page, as GraphQL edges need; "" for an i out of range.
func (p *RevisionPage) Cursor(i int) string {
	if i < 0 || i >= len(p.Items) {
		return ""
	}
	return encodeRevisionCursor(p.Items[i].Number)
}

// Cursor returns the cursor that continues the list after item i of the
// page (with the same filter, sort and deletion mode), as GraphQL edges
// need; for the last item of a page with a next page it is NextCursor.
// It returns "" for a page not returned by List or an i out of range.
func (p *Page) Cursor(i int) string {
	if i < 0 || i >= len(p.recs) {
		return ""
	}
	c, err := p.cursor(i)
	if err != nil {
		return ""
	}
	return c
}

// cursor encodes the keyset position of item i.
func (p *Page) cursor(i int) (string, error) {
	values := make([]any, len(p.sort))
	for j, key := range p.sort {
		values[j] = SortValue(p.recs[i], key.Field)
	}
	return encodeListCursor(values, p.hash)
}

// Count returns how many resources match q's filter and deletion mode,
// ignoring its paging (q is validated as List validates it).
func (s *Service) Count(ctx context.Context, k *Kind, q ListQuery) (int, error) {
	v, err := s.authorize(ctx, k, ActionCount)
	if err != nil {
		return 0, denied(err, k, ActionCount)
	}
	p, err := s.planList(k, q, v)
	if err != nil {
		return 0, err
	}
	p.query.Filter = filter.Conjoin(v.cond, p.query.Filter)
	var n int
	err = s.view(ctx, "count", func(r Reader) error {
		n, err = r.Count(k, &p.query)
		return err
	})
	return n, err
}

// Revisions returns a page of the stored revisions of a resource, newest
// first; with q.Chain only the current revision and its ancestors, up to
// the first pruned one. A soft-deleted resource is a 410 unless
// q.IncludeDeleted.
func (s *Service) Revisions(ctx context.Context, k *Kind, id string, q RevisionQuery) (*RevisionPage, error) {
	v, err := s.authorize(ctx, k, ActionRevisions)
	if err != nil {
		return nil, hiddenAs404(err, k, id)
	}
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return nil, err
	}
	before, err := decodeRevisionCursor(q.Cursor)
	if err != nil {
		return nil, err
	}
	var infos []RevisionInfo
	err = s.view(ctx, "revisions", func(r Reader) error {
		rec, err := readable(r, k, id, q.IncludeDeleted, v)
		if err != nil {
			return err
		}
		if infos, err = r.Revisions(k, id); err != nil {
			return err
		}
		if q.Chain {
			infos = chain(rec.Current, infos)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Both orders (newest first, chain from current) have strictly
	// decreasing numbers, so the cursor is the last number returned.
	page := &RevisionPage{Items: make([]RevisionInfo, 0, min(len(infos), limit))}
	for _, info := range infos {
		if before > 0 && info.Number >= before {
			continue
		}
		if len(page.Items) == limit {
			next := encodeRevisionCursor(page.Items[limit-1].Number)
			page.NextCursor = &next
			break
		}
		page.Items = append(page.Items, info)
	}
	return page, nil
}

// Revision returns one revision of a resource: rev is a full revision id
// "{id}:{n}" or the number n. A revision id of another resource is a 404;
// a soft-deleted resource is a 410 unless o.IncludeDeleted.
func (s *Service) Revision(ctx context.Context, k *Kind, id, rev string, o RevisionOptions) (*Revision, error) {
	v, err := s.authorize(ctx, k, ActionRevision)
	if err != nil {
		return nil, hiddenAs404(err, k, id)
	}
	var out *Revision
	err = s.view(ctx, "revision", func(r Reader) error {
		if _, err := readable(r, k, id, o.IncludeDeleted, v); err != nil {
			return err
		}
		var err error
		if out, err = revision(r, k, id, rev); err != nil || v.hidden == 0 {
			return err
		}
		out.Data, err = omit(out.Data, v.hiddenNames())
		return err
	})
	return out, err
}

// Diff returns the RFC 6902 JSON Patch that turns revision against into
// revision rev. An empty against means rev's parent, or {} for a revision
// without one. A soft-deleted resource is a 410 unless o.IncludeDeleted.
func (s *Service) Diff(ctx context.Context, k *Kind, id, rev, against string, o RevisionOptions) ([]jsonpatch.Operation, error) {
	v, err := s.authorize(ctx, k, ActionDiff)
	if err != nil {
		return nil, hiddenAs404(err, k, id)
	}
	var from, to json.RawMessage
	err = s.view(ctx, "diff", func(r Reader) error {
		if _, err := readable(r, k, id, o.IncludeDeleted, v); err != nil {
			return err
		}
		target, err := revision(r, k, id, rev)
		if err != nil {
			return err
		}
		to = target.Data
		switch {
		case against != "":
			base, err := revision(r, k, id, against)
			if err != nil {
				return err
			}
			from = base.Data
		case target.Info.ParentRevisionID == nil:
			from = json.RawMessage("{}")
		default:
			parent := *target.Info.ParentRevisionID
			base, err := revision(r, k, id, parent)
			if err != nil {
				var e *Error
				if errors.As(err, &e) && e.Code == CodeNotFound {
					return Errorf(CodeNotFound, "parent revision %q of %q was pruned; pass against= to compare with a stored revision", parent, target.Info.RevisionID)
				}
				return err
			}
			from = base.Data
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if v.hidden != 0 {
		// The diff of the visible fields is the diff without the hidden
		// ones: they are top-level members.
		if from, err = omit(from, v.hiddenNames()); err != nil {
			return nil, backendErr("diff", err)
		}
		if to, err = omit(to, v.hiddenNames()); err != nil {
			return nil, backendErr("diff", err)
		}
	}
	ops, err := jsonpatch.Diff(from, to)
	if err != nil {
		return nil, backendErr("diff", err)
	}
	return ops, nil
}

// ReferrerGroup lists the live resources that refer to one resource
// through one ref field.
type ReferrerGroup struct {
	Resource string   `json:"resource"` // the referring kind: "Comment"
	Path     string   `json:"path"`     // its REST path segment: "comments"
	Field    string   `json:"field"`    // its ref field: "post"
	IDs      []string `json:"ids"`      // the referrers, in id order
}

// Referrers returns who refers to a live resource: for every ref field of
// any kind that targets k and holds id, the live referrers, in the
// schema's order of kinds and fields. Fields without referrers and kinds
// the caller may not read are left out.
func (s *Service) Referrers(ctx context.Context, k *Kind, id string) ([]ReferrerGroup, error) {
	v, err := s.authorize(ctx, k, ActionReferrers)
	if err != nil {
		return nil, hiddenAs404(err, k, id)
	}
	refs := s.referrers[k.Name]
	views := make([]*view, len(refs))
	for i, r := range refs {
		rv, ok, err := s.readView(ctx, r.kind)
		if err != nil {
			return nil, err
		}
		if ok && !rv.isHidden(r.field.JSON) {
			views[i] = rv
		}
	}
	out := []ReferrerGroup{}
	err = s.view(ctx, "referrers", func(r Reader) error {
		if _, err := readable(r, k, id, false, v); err != nil {
			return err
		}
		out = out[:0]
		for i, ref := range refs {
			if views[i] == nil {
				continue
			}
			ids, err := r.Referrers(ref.kind, ref.field.JSON, id)
			if err != nil {
				return err
			}
			if ids, err = admitted(r, ref.kind, ids, views[i]); err != nil {
				return err
			}
			if len(ids) > 0 {
				out = append(out, ReferrerGroup{Resource: ref.kind.Name, Path: ref.kind.Path, Field: ref.field.JSON, IDs: ids})
			}
		}
		return nil
	})
	return out, err
}

// admitted returns the ids of resources of k whose records v admits, in
// their order.
func admitted(r Reader, k *Kind, ids []string, v *view) ([]string, error) {
	if v.cond == nil || len(ids) == 0 {
		return ids, nil
	}
	recs, err := r.GetMany(k, ids)
	if err != nil {
		return nil, err
	}
	out := ids[:0:0]
	for _, id := range ids {
		if rec := recs[id]; rec != nil && v.admits(rec) {
			out = append(out, id)
		}
	}
	return out, nil
}
