package resource

import (
	"context"
	"encoding/json"
	"errors"
)

// PatchOp is one change of PatchMany: the patch of resource ID of Kind by
// Fn, as Patch takes them.
type PatchOp struct {
	Kind *Kind
	ID   string
	Fn   func(current json.RawMessage) (json.RawMessage, error)
}

// PatchMany applies many patches in one write transaction: what Patch
// does for each op, in order, with one read of all their records (one
// Reader.GetMany per kind) instead of one read per op. Ops on the same
// resource apply one after the other, each to the data the one before
// wrote, and each writes a revision of its own (one that changes nothing
// writes nothing), so the history is what as many Patch calls would have
// left. It is for writers of many small changes at once (runtime/jobres
// records the status changes of many jobs this way): on PostgreSQL the
// call costs two round trips (the read, then the writes with COMMIT)
// whatever the number of ops, where Patch costs two per op.
//
// Authorization, field rules, hooks and observers apply to each op as to
// a Patch. Where the backend can (ManyWriter), the revisions and the
// records are sent with one statement per kind and table. The call is
// all or nothing: the first error (a resource that does not exist or is
// deleted, a refusal, an error of Fn, returned as it is) rolls back
// every op and is returned. o applies to every op;
// If-Match, which names one revision, is refused. The envelopes returned
// are parallel to ops.
func (s *Service) PatchMany(ctx context.Context, ops []PatchOp, o WriteOptions) ([]*Envelope, error) {
	if o.IfMatch != "" {
		return nil, Errorf(CodeBadRequest, "If-Match names one revision and cannot apply to a batch of patches")
	}
	if o.Mode != ModeNew && o.Mode != ModeModify {
		return nil, Errorf(CodeBadRequest, "mode must be %q or empty, got %q", ModeModify, o.Mode)
	}
	status, err := optionalStatus(o.Status)
	if err != nil {
		return nil, err
	}
	guards := make(map[*Kind]*guard)
	ids := make(map[*Kind][]string)
	var kinds []*Kind // in the order of ops, for a deterministic read order
	for _, op := range ops {
		if op.Kind == nil || op.Fn == nil {
			return nil, errors.New("resource: PatchMany: an op without kind or function")
		}
		if guards[op.Kind] == nil {
			g, err := s.guard(ctx, op.Kind, ActionPatch)
			if err != nil {
				return nil, err
			}
			guards[op.Kind] = g
			kinds = append(kinds, op.Kind)
		}
		ids[op.Kind] = append(ids[op.Kind], op.ID)
	}
	if len(ops) == 0 {
		return nil, nil
	}
	// Without write hooks nothing but the ops runs in the transaction,
	// so that nothing can read a record between two ops: the record of
	// each resource is written once, after its last op.
	hold := true
	for _, k := range kinds {
		if h := s.hooksOf(k); h != nil && (h.BeforeWrite != nil || h.AfterWrite != nil) {
			hold = false
		}
	}
	envs := make([]*Envelope, len(ops))
	var fnErr error
	err = s.write(ctx, "update", func(t *writeTx) error {
		fnErr = nil
		top := t.depth == 0 && t.tx == nil // not inside a hook's transaction
		if top {
			release := t.holdWrites()
			defer release()
		}
		if hold && top {
			t.held, t.heldOrder = make(map[heldKey]*Record), nil
			defer func() { t.held, t.heldOrder = nil, nil }()
		}
		recs := make(map[*Kind]map[string]*Record, len(kinds))
		for _, k := range kinds {
			found, err := t.w.GetMany(k, ids[k])
			if err != nil {
				return err
			}
			if err := upgradeRecords(k, found); err != nil {
				return err
			}
			recs[k] = found
		}
		for i, op := range ops {
			cur := recs[op.Kind][op.ID]
			switch {
			case cur == nil:
				return notFound(op.Kind, op.ID)
			case cur.Meta.IsDeleted:
				return gone(op.Kind, op.ID)
			}
			var rec *Record
			var err error
			rec, fnErr, err = t.updateRecord(guards[op.Kind], op.Kind, ActionPatch, cur, op.Fn, o, status)
			if err != nil {
				return err
			}
			recs[op.Kind][op.ID] = rec
			envs[i] = rec.Envelope()
		}
		if err := t.flushRecords(); err != nil {
			return err
		}
		return t.flushWrites()
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, err
	}
	for i, op := range ops {
		if err := guards[op.Kind].act.strip(envs[i]); err != nil {
			return nil, err
		}
	}
	return envs, nil
}

// heldKey names a resource whose record write is held.
type heldKey struct {
	k  *Kind
	id string
}

// flushRecords writes the held records, each resource's last, in the
// order the resources were first written, and stops holding.
func (t *writeTx) flushRecords() error {
	held, order := t.held, t.heldOrder
	t.held, t.heldOrder = nil, nil
	for _, key := range order {
		if err := t.writeErr(t.w.PutRecord(key.k, held[key])); err != nil {
			return err
		}
	}
	return nil
}

// ManyWriter is an optional interface of a Writer that writes many
// revisions or records with one statement: a PostgreSQL statement costs
// its parsing, planning and executor start however few rows it writes.
// PatchMany and TransactionMany send their writes through it when the
// backend's Writer has it.
type ManyWriter interface {
	// PutRevisions does what PutRevision does for each of revs, which
	// name distinct revisions.
	PutRevisions(k *Kind, revs []*Revision) error
	// PutRecords does what PutRecord (or, with create, CreateRecord)
	// does for each of recs, which name distinct resources. A failure
	// names no one record: the caller runs the writes again one by one
	// to learn which failed, when it needs to.
	PutRecords(k *Kind, recs []*Record, create bool) error
}

// TransactionMany is Transaction for code that writes many resources in
// one transaction (runtime/jobres enqueues the jobs of concurrent callers
// together this way): the revisions and records its calls write are held
// and sent at the end, with one statement per kind and table where the
// backend allows it (ManyWriter), or as they come. A read sends what is
// held first, so the calls inside see each other's writes as in a
// Transaction. A failure of the held writes fails the transaction without
// naming the write that failed: run the calls again one by one for that.
// Inside a transaction (ctx carries one) it is Transaction.
func (s *Service) TransactionMany(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if t := s.joined(ctx); t != nil {
		return s.Transaction(ctx, fn)
	}
	var ferr error
	err := s.write(ctx, "transaction", func(t *writeTx) error {
		release := t.holdWrites()
		defer release()
		ferr = fn(t.hookCtx(), t.handle())
		if ferr != nil {
			return ferr
		}
		return t.flushWrites()
	})
	if ferr != nil {
		return ferr
	}
	return err
}

// holdWrites makes the writes of t held by a manyWriter when the backend
// can send many at once, and returns the function that stops holding
// (without sending: flushWrites sends).
func (t *writeTx) holdWrites() (release func()) {
	mw, ok := t.w.(ManyWriter)
	if !ok {
		return func() {}
	}
	inner := t.w
	t.w = &manyWriter{Writer: inner, many: mw}
	return func() { t.w = inner }
}

// flushWrites sends the writes held by holdWrites.
func (t *writeTx) flushWrites() error {
	if m, ok := t.w.(*manyWriter); ok {
		return t.writeErr(m.flush())
	}
	return nil
}

// manyWriter is a Writer that holds revision and record writes and sends
// them with ManyWriter: every read, and every other write, sends them
// first, so that the transaction sees its writes in order.
type manyWriter struct {
	Writer
	many ManyWriter

	revs    []heldRevision
	recs    []heldRecord
	revKeys map[heldKey]map[int]bool // the revision numbers held per resource
	recKeys map[heldKey]bool         // the resources whose record is held
}

type heldRevision struct {
	k   *Kind
	rev *Revision
}

type heldRecord struct {
	k      *Kind
	rec    *Record
	create bool
}

// StoreTx returns the backend's Writer, with the held writes sent, for
// code that runs its own statements in the transaction (see Tx.StoreTx).
func (m *manyWriter) StoreTx() any {
	m.flush() // an error fails the statements that follow, and the commit
	return m.Writer
}

// flush sends the held writes: the revisions, then the records, one
// statement per kind for each (a kind's revisions reference its records
// with a check deferred to the commit).
func (m *manyWriter) flush() error {
	revs, recs := m.revs, m.recs
	m.revs, m.recs, m.revKeys, m.recKeys = nil, nil, nil, nil
	for len(revs) > 0 {
		k := revs[0].k
		var same []*Revision
		rest := revs[:0]
		for _, r := range revs {
			if r.k == k {
				same = append(same, r.rev)
			} else {
				rest = append(rest, r)
			}
		}
		revs = rest
		var err error
		if len(same) == 1 {
			err = m.Writer.PutRevision(k, same[0])
		} else {
			err = m.many.PutRevisions(k, same)
		}
		if err != nil {
			return err
		}
	}
	for len(recs) > 0 {
		k, create := recs[0].k, recs[0].create
		var same []*Record
		rest := recs[:0]
		for _, r := range recs {
			if r.k == k && r.create == create {
				same = append(same, r.rec)
			} else {
				rest = append(rest, r)
			}
		}
		recs = rest
		var err error
		switch {
		case len(same) > 1:
			err = m.many.PutRecords(k, same, create)
		case create:
			err = m.Writer.CreateRecord(k, same[0])
		default:
			err = m.Writer.PutRecord(k, same[0])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// PutRevision holds a revision; one of a revision already held sends
// what is held first.
func (m *manyWriter) PutRevision(k *Kind, r *Revision) error {
	key := heldKey{k, r.Info.ResourceID}
	if m.revKeys[key][r.Info.Number] {
		if err := m.flush(); err != nil {
			return err
		}
	}
	if m.revKeys == nil {
		m.revKeys = make(map[heldKey]map[int]bool)
	}
	if m.revKeys[key] == nil {
		m.revKeys[key] = make(map[int]bool)
	}
	m.revKeys[key][r.Info.Number] = true
	m.revs = append(m.revs, heldRevision{k: k, rev: r})
	return nil
}

// PutRecord holds a record.
func (m *manyWriter) PutRecord(k *Kind, r *Record) error { return m.holdRecord(k, r, false) }

// CreateRecord holds the record of a new resource.
func (m *manyWriter) CreateRecord(k *Kind, r *Record) error { return m.holdRecord(k, r, true) }

// holdRecord holds a record write; one of a record already held sends
// what is held first.
func (m *manyWriter) holdRecord(k *Kind, r *Record, create bool) error {
	key := heldKey{k, r.Meta.ResourceID}
	if m.recKeys[key] {
		if err := m.flush(); err != nil {
			return err
		}
	}
	if m.recKeys == nil {
		m.recKeys = make(map[heldKey]bool)
	}
	m.recKeys[key] = true
	m.recs = append(m.recs, heldRecord{k: k, rec: r, create: create})
	return nil
}

// The reads and the other writes send the held writes first.

func (m *manyWriter) Get(k *Kind, id string) (*Record, error) {
	if err := m.flush(); err != nil {
		return nil, err
	}
	return m.Writer.Get(k, id)
}

func (m *manyWriter) GetMany(k *Kind, ids []string) (map[string]*Record, error) {
	if err := m.flush(); err != nil {
		return nil, err
	}
	return m.Writer.GetMany(k, ids)
}

func (m *manyWriter) Revision(k *Kind, id string, n int) (*Revision, error) {
	if err := m.flush(); err != nil {
		return nil, err
	}
	return m.Writer.Revision(k, id, n)
}

func (m *manyWriter) Revisions(k *Kind, id string) ([]RevisionInfo, error) {
	if err := m.flush(); err != nil {
		return nil, err
	}
	return m.Writer.Revisions(k, id)
}

func (m *manyWriter) List(k *Kind, q *Query) ([]*Record, error) {
	if err := m.flush(); err != nil {
		return nil, err
	}
	return m.Writer.List(k, q)
}

func (m *manyWriter) Count(k *Kind, q *Query) (int, error) {
	if err := m.flush(); err != nil {
		return 0, err
	}
	return m.Writer.Count(k, q)
}

func (m *manyWriter) Referrers(k *Kind, field, target string) ([]string, error) {
	if err := m.flush(); err != nil {
		return nil, err
	}
	return m.Writer.Referrers(k, field, target)
}

func (m *manyWriter) DeleteRevisions(k *Kind, id string, numbers []int) error {
	if err := m.flush(); err != nil {
		return err
	}
	return m.Writer.DeleteRevisions(k, id, numbers)
}

func (m *manyWriter) Purge(k *Kind, id string) error {
	if err := m.flush(); err != nil {
		return err
	}
	return m.Writer.Purge(k, id)
}
