package files

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Stats reports one run of Collect.
type Stats struct {
	Referenced     int // distinct file contents some revision references
	Blobs          int // file contents in the store before the run
	DeletedBlobs   int
	Uploads        int // upload records before the run
	DeletedUploads int
	// DeletedTemps counts the temporary files of uploads that never
	// finished (a crash) removed from a folder store.
	DeletedTemps int
}

// Collect removes what no revision of any resource references: upload
// records not used for the grace period, the bytes that neither a
// revision nor a kept upload record names and that were written before
// the grace period, and (on a folder store) the temporary files of
// uploads that never finished, last written before it. Retention pruning and purges only remove revisions;
// this is where their files go.
//
// It is safe while uploads and writes run: an upload writes its bytes
// (refreshing their time) before its record, and a write that references
// an upload marks its record used inside the write's transaction, so what
// is younger than the grace period is never removed. Several processes
// may call it: Options.Lock makes them take turns.
func (s *Store) Collect(ctx context.Context, backend resource.Backend, schema *resource.Schema) (Stats, error) {
	return s.CollectOlder(ctx, backend, schema, s.opts.Grace)
}

// CollectOlder is Collect with another grace period: 0 removes every
// unreferenced upload at once, which is safe only while no client is
// between an upload and the write that references it (after a restore,
// in tests).
func (s *Store) CollectOlder(ctx context.Context, backend resource.Backend, schema *resource.Schema, grace time.Duration) (Stats, error) {
	// The uploads of this process that have answered are in the store
	// before it is looked at (an upload still being committed is young
	// anyway; this makes what an answered upload leaves collectable).
	if err := s.settleAll(ctx); err != nil {
		return Stats{}, err
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	if s.opts.Lock != nil {
		unlock, err := s.opts.Lock(ctx)
		if err != nil {
			return Stats{}, fmt.Errorf("files: gc lock: %w", err)
		}
		defer unlock()
	}
	cutoff := s.opts.Now().Add(-grace)
	ids, shas, err := referenced(ctx, backend, schema)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Referenced: len(shas)}
	keep := make(map[string]bool, len(shas))
	for sha := range shas {
		keep[sha] = true
	}
	// Upload records: keep the referenced and the recently used ones.
	var stale []string
	err = s.blobs.List(ctx, UploadPrefix, func(i blob.Info) error {
		st.Uploads++
		id := strings.TrimPrefix(i.Key, UploadPrefix)
		rec, ok, err := s.getRecord(ctx, id)
		if err != nil || !ok {
			return err
		}
		if ids[id] || rec.Used.After(cutoff) {
			keep[rec.File.SHA256] = true
			return nil
		}
		stale = append(stale, i.Key)
		return nil
	})
	if err != nil {
		return st, err
	}
	for _, key := range stale {
		if err := s.blobs.Delete(ctx, key); err != nil {
			return st, err
		}
		st.DeletedUploads++
	}
	var garbage []string
	err = s.blobs.List(ctx, BlobPrefix, func(i blob.Info) error {
		st.Blobs++
		if !keep[strings.TrimPrefix(i.Key, BlobPrefix)] && i.ModTime.Before(cutoff) {
			garbage = append(garbage, i.Key)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	for _, key := range garbage {
		if err := s.blobs.Delete(ctx, key); err != nil {
			return st, err
		}
		st.DeletedBlobs++
	}
	if d, ok := s.blobs.(interface {
		RemoveTemps(ctx context.Context, before time.Time) (int, error)
	}); ok {
		// Never younger than an hour, whatever the grace: a client
		// may be slow, and a spool in use is written all along.
		n, err := d.RemoveTemps(ctx, s.opts.Now().Add(-max(grace, time.Hour)))
		st.DeletedTemps = n
		if err != nil {
			return st, err
		}
	}
	s.opts.Logger.Info("files gc", "referenced", st.Referenced, "blobs", st.Blobs, "deleted_blobs", st.DeletedBlobs,
		"uploads", st.Uploads, "deleted_uploads", st.DeletedUploads, "deleted_temps", st.DeletedTemps)
	return st, nil
}

// referenced returns the file ids and contents that some stored revision
// of some resource (deleted ones included) references.
func referenced(ctx context.Context, backend resource.Backend, schema *resource.Schema) (map[string]bool, map[string]bool, error) {
	ids, shas := make(map[string]bool), make(map[string]bool)
	for _, k := range schema.Kinds {
		if len(k.Files) == 0 {
			continue
		}
		mark := func(rev *resource.Revision) {
			for _, ff := range k.Files {
				for _, f := range FilesAt(rev.Data, ff.Path) {
					ids[f.ID], shas[f.SHA256] = true, true
				}
			}
		}
		err := backend.View(ctx, func(r resource.Reader) error { return scanKind(ctx, r, k, mark) })
		if err != nil {
			return nil, nil, fmt.Errorf("files: gc: read %s: %w", k.Name, err)
		}
	}
	return ids, shas, nil
}

// gcBatch is how many records scanKind reads per query.
const gcBatch = 500

// scanKind calls mark with every stored revision of every resource of k,
// deleted ones included, as an export reads them: a keyset page of
// records at a time, then one scan of their revisions when the store can
// (resource.RevisionScanner), instead of a query per revision.
func scanKind(ctx context.Context, r resource.Reader, k *resource.Kind, mark func(*resource.Revision)) error {
	scanner, _ := r.(resource.RevisionScanner)
	return resource.RecordPages(ctx, r, k, gcBatch, func(recs []*resource.Record) error {
		if scanner != nil {
			return scanner.ScanRevisions(k, recs[0].Meta.ResourceID, recs[len(recs)-1].Meta.ResourceID, func(rev *resource.Revision) error {
				mark(rev)
				return nil
			})
		}
		for _, rec := range recs {
			infos, err := r.Revisions(k, rec.Meta.ResourceID)
			if err != nil {
				return err
			}
			for _, info := range infos {
				rev, err := r.Revision(k, rec.Meta.ResourceID, info.Number)
				if err != nil {
					return err
				}
				mark(rev)
			}
		}
		return nil
	})
}

// Run runs Collect every interval until ctx ends, logging each result.
func (s *Store) Run(ctx context.Context, interval time.Duration, backend resource.Backend, schema *resource.Schema) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.Collect(ctx, backend, schema); err != nil && ctx.Err() == nil {
			s.opts.Logger.Warn("files gc failed", "error", err)
		}
	}
}
