package s3

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
)

// deleteResource deletes the objects of a purged resource, best effort:
// the purge is committed, so a failure is logged and GC retries later.
// Resource ids are never reused, so no later write can need them.
func (s *Store) deleteResource(ctx context.Context, k *resource.Kind, id string) {
	var keys []string
	err := s.objects.List(ctx, resourceDir(k, id), func(i blob.Info) error {
		keys = append(keys, i.Key)
		return nil
	})
	for _, former := range k.FormerTables { // bodies from before a rename
		err = errors.Join(err, s.objects.List(ctx, former+"/"+escapeID(id)+"/", func(i blob.Info) error {
			keys = append(keys, i.Key)
			return nil
		}))
	}
	for _, key := range keys {
		err = errors.Join(err, s.objects.Delete(ctx, key))
	}
	if err != nil {
		s.logger.WarnContext(ctx, "s3: objects of a purged resource left for GC",
			"kind", k.Name, "id", id, "error", err)
	}
}

// GCStats reports what GC did.
type GCStats struct {
	Scanned int // objects listed under the kinds' folders
	Deleted int // unreferenced objects deleted
}

// GC deletes the objects no revision references any more (of pruned
// revisions, replaced drafts, purges whose cleanup failed, and uploads
// whose transaction failed to commit), among those last written at least
// minAge ago, for every kind Migrate was given. Objects of other tables
// and keys this store does not write are left alone.
//
// Each resource is checked in its own index write transaction that
// rewrites the resource's record unchanged first, so that it waits for
// (or makes wait) any write of the same resource: a concurrent write
// uploads its bodies while holding the record, so GC never deletes an
// object that a committed revision references. (This relies on the
// index making a second writer of a record wait for the first: SQLite
// serializes all writers; a PostgreSQL index locks the record's row.)
//
// Run it now and then (say daily, from one process: several at once are
// safe but redundant). minAge (say an hour) keeps it away from uploads in
// flight; a read that started before a revision was pruned may still
// fail to fetch its body once GC has run.
func (s *Store) GC(ctx context.Context, minAge time.Duration) (GCStats, error) {
	s.mu.RLock()
	kinds := make([]*resource.Kind, 0, len(s.tables))
	for _, k := range s.tables {
		kinds = append(kinds, k)
	}
	s.mu.RUnlock()
	if len(kinds) == 0 {
		return GCStats{}, errors.New("s3: GC before Migrate")
	}
	var st GCStats
	cutoff := time.Now().Add(-minAge)
	for _, k := range kinds {
		if err := s.gcKind(ctx, k, cutoff, &st); err != nil {
			return st, err
		}
	}
	return st, nil
}

// gcKind collects the old objects of one kind by resource and checks
// each resource.
func (s *Store) gcKind(ctx context.Context, k *resource.Kind, cutoff time.Time, st *GCStats) error {
	candidates := make(map[string]map[string]bool) // escaped id -> hashes
	var order []string
	err := s.objects.List(ctx, k.Table+"/", func(i blob.Info) error {
		st.Scanned++
		rest := strings.TrimPrefix(i.Key, k.Table+"/")
		eid, sum, ok := strings.Cut(rest, "/")
		if !ok || i.ModTime.After(cutoff) {
			return nil
		}
		if _, ok := parsePointer(pointer(sum)); !ok {
			return nil // not one of our keys
		}
		if candidates[eid] == nil {
			candidates[eid] = make(map[string]bool)
			order = append(order, eid)
		}
		candidates[eid][sum] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("s3: gc %s: %w", k.Name, err)
	}
	for _, eid := range order {
		n, err := s.gcResource(ctx, k, eid, candidates[eid])
		st.Deleted += n
		if err != nil {
			return fmt.Errorf("s3: gc %s: %w", k.Name, err)
		}
	}
	return nil
}

// gcResource deletes the candidate objects of one resource that none of
// its revisions references, and returns how many it deleted.
func (s *Store) gcResource(ctx context.Context, k *resource.Kind, eid string, sums map[string]bool) (int, error) {
	id, ok := unescapeID(eid)
	if !ok {
		return 0, nil // not a folder this store writes
	}
	deleted := 0
	err := s.index.Update(ctx, func(w resource.Writer) error {
		unused := maps.Clone(sums) // the index may retry this function
		rec, err := w.Get(k, id)
		switch {
		case errors.Is(err, resource.ErrNotFound):
		case err != nil:
			return err
		default:
			if err := w.PutRecord(k, rec); err != nil {
				return err
			}
		}
		infos, err := w.Revisions(k, id)
		if err != nil {
			return err
		}
		for _, info := range infos {
			rev, err := w.Revision(k, id, info.Number)
			if errors.Is(err, resource.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if sum, ok := parsePointer(rev.Data); ok {
				delete(unused, sum)
			}
		}
		for sum := range unused {
			if err := s.objects.Delete(ctx, bodyKey(k, id, sum)); err != nil {
				return err
			}
			deleted++
		}
		return nil
	})
	return deleted, err
}
