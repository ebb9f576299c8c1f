// Package memory is an in-process resource.Backend for tests and
// development. Transactions are serializable: one writer at a time under a
// sync.RWMutex, readers in parallel. A failed Update is undone completely.
// Nothing survives the process.
package memory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/specstar-go/specstar/runtime/resource"
)

// ErrClosed is returned by every operation on a closed store.
var ErrClosed = errors.New("memory: store is closed")

// Store is an in-memory resource.Backend. The zero value is not usable;
// call New.
type Store struct {
	mu     sync.RWMutex
	tables map[string]*table // by Kind.Name
	shapes map[string][]byte // by Kind.Table (resource.ShapeStore)
	closed bool
	// examined counts the records List and Count have tested against a
	// query, so that tests can see whether an index narrowed the scan.
	examined atomic.Int64
}

// New returns an empty store.
func New() *Store {
	return &Store{tables: make(map[string]*table)}
}

var _ resource.Backend = (*Store)(nil)

// Migrate creates storage for the kinds of s, and rebuilds the unique and
// reference indexes of kinds that already exist (their fields may have
// changed). It fails, changing nothing, when existing live records violate
// a new unique field.
func (s *Store) Migrate(ctx context.Context, schema *resource.Schema) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	next := make(map[string]*table, len(s.tables))
	for name, t := range s.tables {
		next[name] = t
	}
	for _, k := range schema.Kinds {
		old := s.tables[k.Name]
		for _, former := range k.FormerTables {
			if old != nil {
				break
			}
			// A renamed kind keeps the data of its former table (the
			// SQL backends rename the table).
			for name, t := range next {
				if t.kind.Table == former && schema.Kind(name) == nil {
					old = t
					delete(next, name)
					break
				}
			}
		}
		if old == nil {
			next[k.Name] = newTable(k)
			continue
		}
		t, err := old.reindex(k)
		if err != nil {
			return fmt.Errorf("memory: migrate %s: %w", k.Name, err)
		}
		next[k.Name] = t
	}
	s.tables = next
	return nil
}

var _ resource.ShapeStore = (*Store)(nil)

// DataShapes returns the data shapes resource.MigrateData recorded, by
// table.
func (s *Store) DataShapes(ctx context.Context) (map[string][]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	return maps.Clone(s.shapes), nil
}

// SetDataShape records the data shape of a table.
func (s *Store) SetDataShape(ctx context.Context, table string, shape []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.shapes == nil {
		s.shapes = make(map[string][]byte)
	}
	s.shapes[table] = bytes.Clone(shape)
	return nil
}

// View runs fn with a read-only view of the store. Views run in parallel
// with each other, never with an Update.
func (s *Store) View(ctx context.Context, fn func(resource.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return fn(reader{s: s})
}

// Update runs fn in a read-write transaction. When fn returns an error or
// panics, or ctx is done when fn returns, every write fn made is undone.
func (s *Store) Update(ctx context.Context, fn func(resource.Writer) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	tx := &writer{reader: reader{s: s}}
	committed := false
	defer func() {
		if !committed {
			tx.rollback()
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	committed = true
	return nil
}

// Ping reports whether the store is open.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return ctx.Err()
}

// Close releases the data; later calls fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.tables = nil
	return nil
}

// table returns the storage of kind k.
func (s *Store) table(k *resource.Kind) (*table, error) {
	t := s.tables[k.Name]
	if t == nil {
		return nil, fmt.Errorf("memory: kind %q is not migrated", k.Name)
	}
	return t, nil
}

// reader implements resource.Reader on the store; the caller holds the lock.
type reader struct{ s *Store }

// Get returns a copy of the record of a resource.
func (r reader) Get(k *resource.Kind, id string) (*resource.Record, error) {
	t, err := r.s.table(k)
	if err != nil {
		return nil, err
	}
	e := t.records[id]
	if e == nil {
		return nil, resource.ErrNotFound
	}
	return copyRecord(e.rec), nil
}

// Revision returns a copy of revision n of a resource.
func (r reader) Revision(k *resource.Kind, id string, n int) (*resource.Revision, error) {
	t, err := r.s.table(k)
	if err != nil {
		return nil, err
	}
	revs := t.revisions[id]
	i, ok := findRevision(revs, n)
	if !ok {
		return nil, resource.ErrNotFound
	}
	return copyRevision(revs[i]), nil
}

// Revisions returns the info of every revision of a resource, newest first.
func (r reader) Revisions(k *resource.Kind, id string) ([]resource.RevisionInfo, error) {
	t, err := r.s.table(k)
	if err != nil {
		return nil, err
	}
	revs := t.revisions[id]
	out := make([]resource.RevisionInfo, len(revs))
	for i, rev := range revs {
		out[len(revs)-1-i] = copyInfo(rev.Info)
	}
	return out, nil
}

// GetMany returns copies of the records of the given resources.
func (r reader) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	t, err := r.s.table(k)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*resource.Record, len(ids))
	for _, id := range ids {
		if e := t.records[id]; e != nil {
			out[id] = copyRecord(e.rec)
		}
	}
	return out, nil
}

// List returns copies of the records matching q, in q's order. An
// equality, "in", range or prefix condition on an indexed field at the top
// level of the filter narrows the rows tested to that index range; else a
// limited list sorted on an indexed field walks that field's index.
func (r reader) List(k *resource.Kind, q *resource.Query) ([]*resource.Record, error) {
	t, err := r.s.table(k)
	if err != nil {
		return nil, err
	}
	rows, examined := t.selectRows(q)
	r.s.examined.Add(examined)
	out := make([]*resource.Record, len(rows))
	for i, e := range rows {
		out[i] = copyRecord(e.rec)
	}
	return out, nil
}

// Count returns how many records match q, ignoring After, Offset and Limit.
func (r reader) Count(k *resource.Kind, q *resource.Query) (int, error) {
	t, err := r.s.table(k)
	if err != nil {
		return 0, err
	}
	n, examined := t.countRows(q)
	r.s.examined.Add(examined)
	return n, nil
}

// Referrers returns the ids of live records of k whose ref field holds
// target, in id order.
func (r reader) Referrers(k *resource.Kind, field, target string) ([]string, error) {
	t, err := r.s.table(k)
	if err != nil {
		return nil, err
	}
	idx := t.refs[field]
	if idx == nil {
		if k.Field(field) == nil || k.Field(field).Ref == nil {
			return nil, fmt.Errorf("memory: %s.%s is not a ref field", k.Name, field)
		}
		return nil, nil
	}
	set := idx[target]
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// writer implements resource.Writer. Each write is applied at once and
// pushes its inverse on an undo log, so reads inside the transaction see
// its writes and a rollback replays the log backwards.
type writer struct {
	reader
	undo []func()
}

// rollback undoes every write of the transaction, newest first.
func (w *writer) rollback() {
	for i := len(w.undo) - 1; i >= 0; i-- {
		w.undo[i]()
	}
	w.undo = nil
}

// PutRecord inserts or replaces a record, enforcing unique fields among
// live records.
func (w *writer) PutRecord(k *resource.Kind, r *resource.Record) error {
	return w.put(k, r, false)
}

// CreateRecord inserts a record whose id is not stored yet.
func (w *writer) CreateRecord(k *resource.Kind, r *resource.Record) error {
	return w.put(k, r, true)
}

// put stores a record; create refuses to replace one.
func (w *writer) put(k *resource.Kind, r *resource.Record, create bool) error {
	t, err := w.s.table(k)
	if err != nil {
		return err
	}
	if r.Meta.ResourceID == "" {
		return errors.New("memory: record without a resource id")
	}
	if _, ok := t.records[r.Meta.ResourceID]; create && ok {
		return resource.ErrExists
	}
	e, err := t.newEntry(copyRecord(r))
	if err != nil {
		return err
	}
	id := r.Meta.ResourceID
	if err := t.checkUnique(id, e); err != nil {
		return err
	}
	old := t.records[id]
	t.set(id, e)
	w.undo = append(w.undo, func() { t.set(id, old) })
	return nil
}

// PutRevision inserts or replaces a revision.
func (w *writer) PutRevision(k *resource.Kind, r *resource.Revision) error {
	t, err := w.s.table(k)
	if err != nil {
		return err
	}
	id := r.Info.ResourceID
	if id == "" || r.Info.Number < 1 {
		return errors.New("memory: revision without a resource id or number")
	}
	prev := t.revisions[id]
	rev := copyRevision(r)
	var revs []*resource.Revision
	switch i, ok := findRevision(prev, rev.Info.Number); {
	case ok:
		revs = slices.Clone(prev)
		revs[i] = rev
	case i == len(prev):
		// Appending never changes the elements prev shows, so the undo
		// entry can keep prev without a copy.
		revs = append(prev, rev)
	default:
		revs = slices.Insert(slices.Clone(prev), i, rev)
	}
	t.revisions[id] = revs
	w.undo = append(w.undo, func() { t.restoreRevisions(id, prev) })
	return nil
}

// DeleteRevisions removes the given revision numbers of a resource.
func (w *writer) DeleteRevisions(k *resource.Kind, id string, numbers []int) error {
	t, err := w.s.table(k)
	if err != nil {
		return err
	}
	prev := t.revisions[id]
	if len(prev) == 0 {
		return nil
	}
	revs := slices.DeleteFunc(slices.Clone(prev), func(r *resource.Revision) bool {
		return slices.Contains(numbers, r.Info.Number)
	})
	t.restoreRevisions(id, revs)
	w.undo = append(w.undo, func() { t.restoreRevisions(id, prev) })
	return nil
}

// Purge removes a resource's record and revisions.
func (w *writer) Purge(k *resource.Kind, id string) error {
	t, err := w.s.table(k)
	if err != nil {
		return err
	}
	old := t.records[id]
	prevRevs := t.revisions[id]
	if old != nil {
		t.set(id, nil)
		w.undo = append(w.undo, func() { t.set(id, old) })
	}
	if prevRevs != nil {
		t.restoreRevisions(id, nil)
		w.undo = append(w.undo, func() { t.restoreRevisions(id, prevRevs) })
	}
	return nil
}

// findRevision binary-searches revs (ascending by number) for number n.
func findRevision(revs []*resource.Revision, n int) (int, bool) {
	return slices.BinarySearchFunc(revs, n, func(r *resource.Revision, n int) int {
		return r.Info.Number - n
	})
}

// copyRecord returns a deep copy of r, so that neither the caller nor the
// store can change the other's memory.
func copyRecord(r *resource.Record) *resource.Record {
	c := *r
	c.Data = slices.Clone(r.Data)
	c.Current = copyInfo(r.Current)
	return &c
}

// copyRevision returns a deep copy of r.
func copyRevision(r *resource.Revision) *resource.Revision {
	return &resource.Revision{Info: copyInfo(r.Info), Data: slices.Clone(r.Data)}
}

// copyInfo returns info with its own parent pointer.
func copyInfo(info resource.RevisionInfo) resource.RevisionInfo {
	if info.ParentRevisionID != nil {
		p := *info.ParentRevisionID
		info.ParentRevisionID = &p
	}
	return info
}
