package resource

import (
	"context"

	"github.com/specstar-go/specstar/runtime/filter"
)

// Backend is a storage implementation. It knows nothing of revision
// semantics: it stores records and revisions, enforces uniqueness of unique
// fields among live records, answers queries, and runs transactions.
// Service implements DESIGN.md §4 on top of it, once, for every backend.
//
// Update runs fn in a serializable read-write transaction: either every
// write fn made is committed or none is (fn returned an error, the context
// was cancelled, or the process died). View runs fn in a read-only snapshot.
type Backend interface {
	// Migrate creates or upgrades storage for the schema. It is idempotent
	// and safe to call from several processes at once.
	Migrate(ctx context.Context, s *Schema) error
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Writer) error) error
	// Ping reports whether the backend can serve requests (readiness).
	Ping(ctx context.Context) error
	Close() error
}

// Reader is the read side of a transaction.
type Reader interface {
	// Get returns the record of a resource, deleted or not, or ErrNotFound.
	Get(k *Kind, id string) (*Record, error)
	// GetMany returns the records of the given resources, deleted or not,
	// by id, in one storage round trip; ids without a record are absent
	// from the map. Duplicate ids are allowed.
	GetMany(k *Kind, ids []string) (map[string]*Record, error)
	// Revision returns revision number n of a resource, or ErrNotFound.
	Revision(k *Kind, id string, n int) (*Revision, error)
	// Revisions returns the info of every stored revision of a resource,
	// newest (highest number) first.
	Revisions(k *Kind, id string) ([]RevisionInfo, error)
	// List returns records matching q, in q's order, at most q.Limit of them.
	List(k *Kind, q *Query) ([]*Record, error)
	// Count returns how many records match q, ignoring its paging.
	Count(k *Kind, q *Query) (int, error)
	// Referrers returns the ids of live records of k whose ref field
	// (Field.JSON) holds target, in id order.
	Referrers(k *Kind, field, target string) ([]string, error)
}

// Writer is the write side of a transaction.
type Writer interface {
	Reader
	// PutRecord inserts or replaces a record (meta and current data). It
	// returns a *UniqueViolation when a unique field value of a live record
	// would be held by another live record of the same kind.
	PutRecord(k *Kind, r *Record) error
	// CreateRecord inserts the record of a new resource, as PutRecord
	// does, but returns ErrExists when a record with its id exists,
	// deleted or not, and writes nothing. Create uses it instead of a
	// read of the id and a PutRecord: one statement instead of two, and
	// on PostgreSQL no round trip before COMMIT.
	CreateRecord(k *Kind, r *Record) error
	// PutRevision inserts or replaces a revision (drafts are replaced).
	PutRevision(k *Kind, r *Revision) error
	// DeleteRevisions removes the given revision numbers of a resource.
	DeleteRevisions(k *Kind, id string, numbers []int) error
	// Purge removes a resource's record and all its revisions.
	Purge(k *Kind, id string) error
}

// Query selects records for List and Count.
//
// Filter is an expression checked by filter.Check against the kind's
// filterable fields (Service builds them: indexed data fields and meta
// fields); nil matches every record. Comparisons follow SQL null
// semantics: a comparison with a null or absent field is unknown, and a
// record matches only when the whole filter is true.
//
// Records are ordered by Sort, which Service always ends with resource_id
// so that the order is total; an empty Sort means resource_id ascending.
// Nulls sort first in ascending and last in descending order, on every
// backend.
//
// After is the exclusive keyset bound: the values of the Sort keys of the
// last record of the previous page, in Sort order, as returned by
// SortValue (nil for the first page). Only records strictly after it in
// the Sort order are listed.
type Query struct {
	IncludeDeleted bool             // live and deleted records
	OnlyDeleted    bool             // deleted records only
	Filter         filter.Expr      // checked filter, nil for none
	Sort           []filter.SortKey // total order ending with resource_id; empty: resource_id
	After          []any            // keyset bound parallel to Sort, nil for the first page
	Limit          int              // 0: no limit
	Offset         int              // rows to skip after After
}

// PointReader is an optional interface of a Backend that can read one
// record with a single statement outside any transaction. One statement
// sees a consistent snapshot on its own, so Service.Get of the current
// revision uses it when available and saves the BEGIN and ROLLBACK a View
// costs (two of three round trips on PostgreSQL). GetRecord behaves like
// Reader.Get: ErrNotFound for an unknown id, deleted records included.
type PointReader interface {
	GetRecord(ctx context.Context, k *Kind, id string) (*Record, error)
}
