package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
)

// reader is a resource.Reader over an index transaction that resolves
// revision pointers to bodies.
type reader struct {
	s   *Store
	ctx context.Context
	r   resource.Reader
}

// Get returns the record from the index.
func (r *reader) Get(k *resource.Kind, id string) (*resource.Record, error) {
	return r.r.Get(k, id)
}

// GetMany returns the records from the index.
func (r *reader) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	return r.r.GetMany(k, ids)
}

// Revisions returns the revision infos from the index.
func (r *reader) Revisions(k *resource.Kind, id string) ([]resource.RevisionInfo, error) {
	return r.r.Revisions(k, id)
}

// List answers from the index.
func (r *reader) List(k *resource.Kind, q *resource.Query) ([]*resource.Record, error) {
	return r.r.List(k, q)
}

// Count answers from the index.
func (r *reader) Count(k *resource.Kind, q *resource.Query) (int, error) {
	return r.r.Count(k, q)
}

// Referrers answers from the index.
func (r *reader) Referrers(k *resource.Kind, field, target string) ([]string, error) {
	return r.r.Referrers(k, field, target)
}

// Revision returns revision n with its body fetched from S3.
func (r *reader) Revision(k *resource.Kind, id string, n int) (*resource.Revision, error) {
	return r.revision(k, id, n, nil)
}

// revision reads revision n from the index and resolves its pointer,
// first among the bodies pending upload in this transaction.
func (r *reader) revision(k *resource.Kind, id string, n int, pending map[string][]byte) (*resource.Revision, error) {
	rev, err := r.r.Revision(k, id, n)
	if err != nil {
		return nil, err
	}
	return r.resolve(k, rev, pending)
}

// resolve replaces the pointer of rev, read from the index, with its
// body.
func (r *reader) resolve(k *resource.Kind, rev *resource.Revision, pending map[string][]byte) (*resource.Revision, error) {
	id := rev.Info.ResourceID
	sum, ok := parsePointer(rev.Data)
	if !ok {
		return rev, nil // written before S3 was configured
	}
	key := bodyKey(k, id, sum)
	if body, ok := pending[key]; ok {
		rev.Data = bytes.Clone(body)
		return rev, nil
	}
	body, err := r.s.body(r.ctx, key, sum)
	for _, former := range k.FormerTables {
		if !errors.Is(err, blob.ErrNotFound) {
			break
		}
		// A renamed kind's revisions written before the rename live
		// under its former table.
		body, err = r.s.body(r.ctx, former+"/"+escapeID(id)+"/"+sum, sum)
	}
	if err != nil {
		return nil, fmt.Errorf("s3: revision %s %s: %w", k.Name, rev.Info.RevisionID, err)
	}
	rev.Data = body
	return rev, nil
}

// writer is a resource.Writer over an index transaction. It writes
// pointers to the index and collects the bodies to upload before commit.
type writer struct {
	reader
	w       resource.Writer
	pending map[string][]byte // body by key
	purged  []purged
}

// purged names a resource purged by a transaction.
type purged struct {
	kind *resource.Kind
	id   string
}

// Revision returns revision n, seeing the bodies this transaction wrote.
func (t *writer) Revision(k *resource.Kind, id string, n int) (*resource.Revision, error) {
	return t.revision(k, id, n, t.pending)
}

// PutRecord writes the record (meta and current data) to the index.
func (t *writer) PutRecord(k *resource.Kind, r *resource.Record) error {
	return t.w.PutRecord(k, r)
}

// CreateRecord writes the record of a new resource to the index.
func (t *writer) CreateRecord(k *resource.Kind, r *resource.Record) error {
	return t.w.CreateRecord(k, r)
}

// PutRevision queues the body for upload and writes the revision to the
// index with a pointer in place of its data.
func (t *writer) PutRevision(k *resource.Kind, r *resource.Revision) error {
	// The key hashes the bytes themselves, not Info.DataHash: the
	// backend stores what it is given, and a key must name one content.
	sum := hashHex(r.Data)
	key := bodyKey(k, r.Info.ResourceID, sum)
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("s3: revision %s %s: %w", k.Name, r.Info.RevisionID, err)
	}
	if _, ok := t.pending[key]; !ok {
		t.pending[key] = bytes.Clone(r.Data)
	}
	return t.w.PutRevision(k, &resource.Revision{Info: r.Info, Data: pointer(sum)})
}

// DeleteRevisions removes the revision rows; their objects may be shared
// with other revisions of the resource and are left to GC.
func (t *writer) DeleteRevisions(k *resource.Kind, id string, numbers []int) error {
	return t.w.DeleteRevisions(k, id, numbers)
}

// Purge removes the resource from the index; its objects are deleted
// once the transaction commits.
func (t *writer) Purge(k *resource.Kind, id string) error {
	if err := t.w.Purge(k, id); err != nil {
		return err
	}
	t.purged = append(t.purged, purged{kind: k, id: id})
	return nil
}

// StoreTx returns the index's Writer: a job enqueued in this transaction
// (runtime/jobs.EnqueueTx) joins the index database's transaction, so
// that it commits or rolls back with the write.
func (t *writer) StoreTx() any { return t.w }
