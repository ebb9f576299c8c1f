package resource

import (
	"context"
	"errors"
	"fmt"

	"github.com/specstar-go/specstar/runtime/filter"
)

// The actions of export and import (runtime/backup). They are not rule
// actions: only callers with the admin role (and trusted code acting as
// System) may take them, whatever the kind's permissions say.
const (
	ActionExport Action = "export" // GET /{res}/export
	ActionImport Action = "import" // POST /{res}/import
)

// RevisionScanner is an optional interface of a Reader that streams the
// revisions of a range of resources in one query, as an export needs
// them. Every backend of this module implements it; Service.Export falls
// back on Revisions and Revision for one that does not.
type RevisionScanner interface {
	// ScanRevisions calls fn with every stored revision, data included,
	// of the resources of k whose ids are between from and to (both
	// included, compared byte by byte), ordered by resource id, then by
	// number ascending. fn must not keep or modify the revision after it
	// returns; the first error fn returns stops the scan and is returned.
	ScanRevisions(k *Kind, from, to string, fn func(*Revision) error) error
}

// exportBatch is how many records Export reads per query; the revisions
// of each batch are then streamed in one scan.
const exportBatch = 500

// Exporter receives what Service.Export reads, in order: for each kind,
// each resource (in id order) followed by each of its revisions (oldest
// first). Records and revisions are valid only during the call.
type Exporter interface {
	// Kind starts the resources of k.
	Kind(k *Kind) error
	Resource(k *Kind, rec *Record) error
	Revision(k *Kind, rev *Revision) error
}

// Export reads every resource of the given kinds, live, soft-deleted and
// with drafts, with every stored revision, in one read transaction (a
// consistent snapshot), and hands them to e as it reads them: memory use
// does not grow with the number of resources or revisions. done, when
// not nil, runs at the end inside the same transaction (a whole-backend
// backup copies the file bytes there, before anything could collect
// them). Only admins (and System) may export.
func (s *Service) Export(ctx context.Context, kinds []*Kind, e Exporter, done func() error) error {
	for _, k := range kinds {
		if err := s.adminOnly(ctx, k, ActionExport); err != nil {
			return err
		}
	}
	return s.backend.View(ctx, func(r Reader) error {
		for _, k := range kinds {
			if err := e.Kind(k); err != nil {
				return err
			}
			if err := exportKind(ctx, r, k, e); err != nil {
				return err
			}
		}
		if done != nil {
			return done()
		}
		return nil
	})
}

// exportKind streams the resources of k in batches of exportBatch
// records: one keyset page of records, then one scan of their
// revisions, merged by resource id.
func exportKind(ctx context.Context, r Reader, k *Kind, e Exporter) error {
	scanner, _ := r.(RevisionScanner)
	return RecordPages(ctx, r, k, exportBatch, func(recs []*Record) error {
		if scanner != nil {
			return exportBatchOf(scanner, k, recs, e)
		}
		for _, rec := range recs {
			if err := exportOne(r, k, rec, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordPages calls page with every record of k, deleted ones included,
// in pages of up to size records in resource id order (keyset pages, so
// the walk stays cheap however many records there are). Whole-store
// readers (export, the file collector) read revisions a page at a time
// from there.
func RecordPages(ctx context.Context, r Reader, k *Kind, size int, page func([]*Record) error) error {
	q := &Query{IncludeDeleted: true, Sort: []filter.SortKey{ResourceIDKey}, Limit: size}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, err := r.List(k, q)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		if err := page(recs); err != nil {
			return err
		}
		if len(recs) < size {
			return nil
		}
		q.After = []any{recs[len(recs)-1].Meta.ResourceID}
	}
}

// exportBatchOf hands e the records of recs and their revisions from one
// scan.
func exportBatchOf(scanner RevisionScanner, k *Kind, recs []*Record, e Exporter) error {
	next := 0 // the next record to hand e
	err := scanner.ScanRevisions(k, recs[0].Meta.ResourceID, recs[len(recs)-1].Meta.ResourceID, func(rev *Revision) error {
		if next > 0 && recs[next-1].Meta.ResourceID == rev.Info.ResourceID {
			return e.Revision(k, rev)
		}
		for next < len(recs) && recs[next].Meta.ResourceID != rev.Info.ResourceID {
			// A resource without revisions: not written by the Service,
			// but still exported as it is.
			if err := e.Resource(k, recs[next]); err != nil {
				return err
			}
			next++
		}
		if next == len(recs) {
			return fmt.Errorf("resource: export %s: revision %s has no record, or the store scanned out of id order", k.Name, rev.Info.RevisionID)
		}
		if err := e.Resource(k, recs[next]); err != nil {
			return err
		}
		next++
		return e.Revision(k, rev)
	})
	if err != nil {
		return err
	}
	for ; next < len(recs); next++ {
		if err := e.Resource(k, recs[next]); err != nil {
			return err
		}
	}
	return nil
}

// exportOne hands e one record and its revisions, read one by one.
func exportOne(r Reader, k *Kind, rec *Record, e Exporter) error {
	if err := e.Resource(k, rec); err != nil {
		return err
	}
	infos, err := r.Revisions(k, rec.Meta.ResourceID)
	if err != nil {
		return err
	}
	for i := len(infos) - 1; i >= 0; i-- {
		rev, err := r.Revision(k, rec.Meta.ResourceID, infos[i].Number)
		if errors.Is(err, ErrNotFound) {
			continue // pruned meanwhile: cannot happen in a snapshot, but harmless
		}
		if err != nil {
			return err
		}
		if err := e.Revision(k, rev); err != nil {
			return err
		}
	}
	return nil
}

// adminOnly lets through callers with the admin role, System, and calls
// inside a hook's transaction, after the authorizers; it refuses others
// with a 401 (anonymous) or a 403. A kind without permissions is open to
// every caller, as its other actions are; an internal kind (the stored
// state of authentication) never is.
func (s *Service) adminOnly(ctx context.Context, k *Kind, a Action) error {
	if s.joined(ctx) != nil {
		return nil
	}
	for _, az := range s.authorizers {
		if err := az(ctx, k, a); err != nil {
			return err
		}
	}
	p := PrincipalFrom(ctx)
	if p.HasRole(RoleAdmin) {
		return nil
	}
	if k.Access == nil && !k.Internal {
		// A kind without permissions (a spec without auth) lets every
		// caller do everything (DESIGN.md §7): export and import too.
		return nil
	}
	if p.IsAnonymous() {
		return Errorf(CodeUnauthenticated, "sign in as an admin to %s %s", a, plural(k))
	}
	return Errorf(CodeForbidden, "only admins may %s %s", a, plural(k))
}
