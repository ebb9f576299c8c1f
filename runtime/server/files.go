package server

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
)

// FilesGCInterval is how often the server collects unreferenced files
// (files.Store.Collect); CollectFiles runs it on demand.
const FilesGCInterval = time.Hour

// newFiles opens the files blob store of an app with file fields: S3 when
// the storage has S3 (keys under "files/" beside the revision bodies), the
// process's memory on the memory database, and else the folder files/ in
// the data directory. It returns nil for an app without file fields.
func (s *Server) newFiles(schema *resource.Schema) (*files.Store, error) {
	has := false
	for _, k := range schema.Kinds {
		has = has || len(k.Files) > 0
	}
	if !has {
		return nil, nil
	}
	var blobs blob.Store
	switch db, _ := parseDatabaseURL(s.cfg.DatabaseURL); {
	case s.cfg.S3.Bucket != "":
		st, err := blob.OpenS3(s.cfg.S3)
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		blobs = st
	case db.kind == dbMemory:
		blobs = blob.NewMemory()
	default:
		d, err := blob.NewDir(filepath.Join(s.cfg.DataDir, "files"))
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		blobs = d
	}
	o := files.Options{Logger: s.logger}
	if s.store.pg != nil {
		o.Lock = s.filesLock
	}
	return files.New(blobs, o), nil
}

// errGCBusy is the error of a files GC while another process runs one.
var errGCBusy = errors.New("another process is collecting files")

// filesLock takes the PostgreSQL advisory lock of the files GC of this
// schema, so that the server processes on one database collect one at a
// time; it fails at once when another holds it.
func (s *Server) filesLock(ctx context.Context) (func(), error) {
	conn, err := s.store.pg.Pool().Acquire(ctx)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte("specstar files gc " + s.store.pg.Schema()))
	key := int64(h.Sum64())
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Release()
		return nil, err
	}
	if !ok {
		conn.Release()
		return nil, errGCBusy
	}
	return func() {
		conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
		conn.Release()
	}, nil
}

// Files returns the server's file store, or nil for an app without file
// fields.
func (s *Server) Files() *files.Store { return s.files }

// CollectFiles runs the files GC now (files.Store.Collect).
func (s *Server) CollectFiles(ctx context.Context) (files.Stats, error) {
	if s.files == nil {
		return files.Stats{}, nil
	}
	return s.files.Collect(ctx, s.backend, s.schema)
}

// startFilesGC runs the files GC every FilesGCInterval until Close.
func (s *Server) startFilesGC() {
	if s.files == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.stopFilesGC = func() {
		cancel()
		<-done
	}
	go func() {
		defer close(done)
		s.files.Run(ctx, FilesGCInterval, s.backend, s.schema)
	}()
}
