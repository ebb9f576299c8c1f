package resource

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/specstar-go/specstar/runtime/jsonpatch"
)

// view runs fn in one read-only backend transaction.
func (s *Service) view(ctx context.Context, op string, fn func(r Reader) error) error {
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
	return rec, nil
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
	return out, err
}

// Get returns a resource at its current revision, or at o.Revision.
func (s *Service) Get(ctx context.Context, k *Kind, id string, o ReadOptions) (*Envelope, error) {
	var env *Envelope
	err := s.view(ctx, "get", func(r Reader) error {
		rec, err := record(r, k, id, o.IncludeDeleted)
		if err != nil {
			return err
		}
		env = rec.Envelope()
		if o.Revision == "" {
			return nil
		}
		rev, err := revision(r, k, id, o.Revision)
		if err != nil {
			return err
		}
		env.Data, env.RevisionInfo = rev.Data, rev.Info
		return nil
	})
	return env, err
}

// List returns a page of resources in creation (resource id) order.
func (s *Service) List(ctx context.Context, k *Kind, q ListQuery) (*Page, error) {
	bq, limit, err := backendQuery(q)
	if err != nil {
		return nil, err
	}
	bq.Limit = limit + 1 // one more tells whether a next page exists
	var recs []*Record
	var total *int
	err = s.view(ctx, "list", func(r Reader) error {
		var err error
		if recs, err = r.List(k, bq); err != nil {
			return err
		}
		if q.Count {
			n, err := r.Count(k, bq)
			if err != nil {
				return err
			}
			total = &n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	page := &Page{Items: make([]*Envelope, 0, min(len(recs), limit)), Total: total}
	if len(recs) > limit {
		recs = recs[:limit]
		next := encodeListCursor(recs[limit-1].Meta.ResourceID)
		page.NextCursor = &next
	}
	for _, rec := range recs {
		page.Items = append(page.Items, rec.Envelope())
	}
	return page, nil
}

// Count returns how many resources match q, ignoring its paging.
func (s *Service) Count(ctx context.Context, k *Kind, q ListQuery) (int, error) {
	bq, _, err := backendQuery(q)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.view(ctx, "count", func(r Reader) error {
		n, err = r.Count(k, bq)
		return err
	})
	return n, err
}

// backendQuery validates q and converts it to a backend query.
func backendQuery(q ListQuery) (*Query, int, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return nil, 0, err
	}
	after, err := decodeListCursor(q.Cursor)
	if err != nil {
		return nil, 0, err
	}
	if q.Offset < 0 {
		return nil, 0, &Error{
			Code:   CodeBadRequest,
			Detail: "offset must not be negative",
			Fields: []FieldError{{Field: "offset", Message: "must not be negative"}},
		}
	}
	return &Query{
		IncludeDeleted: q.IncludeDeleted || q.OnlyDeleted,
		OnlyDeleted:    q.OnlyDeleted,
		After:          after,
		Offset:         q.Offset,
	}, limit, nil
}

// Revisions returns a page of the stored revisions of a resource, newest
// first; with q.Chain only the current revision and its ancestors, up to
// the first pruned one.
func (s *Service) Revisions(ctx context.Context, k *Kind, id string, q RevisionQuery) (*RevisionPage, error) {
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
		rec, err := record(r, k, id, false)
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
// "{id}:{n}" or the number n. A revision id of another resource is a 404.
func (s *Service) Revision(ctx context.Context, k *Kind, id, rev string) (*Revision, error) {
	var out *Revision
	err := s.view(ctx, "revision", func(r Reader) error {
		if _, err := record(r, k, id, false); err != nil {
			return err
		}
		var err error
		out, err = revision(r, k, id, rev)
		return err
	})
	return out, err
}

// Diff returns the RFC 6902 JSON Patch that turns revision against into
// revision rev. An empty against means rev's parent, or {} for a revision
// without one.
func (s *Service) Diff(ctx context.Context, k *Kind, id, rev, against string) ([]jsonpatch.Operation, error) {
	var from, to json.RawMessage
	err := s.view(ctx, "diff", func(r Reader) error {
		if _, err := record(r, k, id, false); err != nil {
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
	ops, err := jsonpatch.Diff(from, to)
	if err != nil {
		return nil, backendErr("diff", err)
	}
	return ops, nil
}
