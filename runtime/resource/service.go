package resource

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/specstar-go/specstar/runtime/filter"
)

// Service implements the revision semantics of DESIGN.md §4 once, on top of
// any Backend: ids, revisions, drafts, switch, soft delete, references,
// uniqueness, optimistic concurrency and retention. Every call that writes
// runs in exactly one Backend.Update transaction, so it is atomic.
//
// Client mistakes are returned as *Error values with client-safe details;
// other failures are wrapped and carry no client detail.
type Service struct {
	backend Backend
	schema  *Schema
	now     func() time.Time
	newID   func() string
	logger  *slog.Logger
	// referrers maps a kind name to the ref fields that point at it.
	referrers map[string][]referrer
	// observers receive the changes of committed writes.
	observers []Observer
	// hooks holds the business logic of the kinds that have any;
	// afterCommit is set when one has an AfterCommit hook.
	hooks       map[*Kind]*Hooks
	baseHooks   map[*Kind]Hooks
	afterCommit bool
	// authorizers decide who may do what (WithAuthorizer).
	authorizers []Authorizer
	// access holds the compiled permission rules of the kinds that have
	// any (Kind.Access).
	access map[*Kind]*compiledAccess
	// kinds caches the list query descriptors of each kind, per set of
	// hidden fields (kindQueryKey -> *kindQuery).
	kinds sync.Map
	// parsed caches parsed and checked filters and sorts.
	parsedMu sync.Mutex
	parsed   map[parsedKey]*parsedQuery
	// values are what WithValue attached.
	values map[any]any
}

// referrer is one ref field of one kind.
type referrer struct {
	kind  *Kind
	field *Field
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock of the service (default time.Now). Times are
// stored in UTC, truncated to microseconds.
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// WithIDs sets the generator of resource ids (default: UUIDv7 strings).
// Ids must be unique; keyset pagination lists resources in id order.
// WithValue attaches value to the service under key, for the packages
// that extend it: runtime/jobres keeps the job queue of a service here,
// so that generated code given the service finds it. Keys are compared
// with ==; use an unexported type of your package.
func WithValue(key, value any) Option {
	return func(s *Service) {
		if s.values == nil {
			s.values = make(map[any]any)
		}
		s.values[key] = value
	}
}

// Value returns the value attached under key with WithValue, or nil.
func (s *Service) Value(key any) any { return s.values[key] }

func WithIDs(newID func() string) Option {
	return func(s *Service) { s.newID = newID }
}

// WithLogger sets the logger the service reports cascades and pruning to
// (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) { s.logger = l }
}

// NewService returns a service for the kinds of schema over backend. The
// backend must already be migrated for the schema. It panics when the
// permission rules of a kind do not compile: generated code holds rules
// the generator checked.
func NewService(b Backend, s *Schema, opts ...Option) *Service {
	svc := &Service{
		backend:   b,
		schema:    s,
		now:       time.Now,
		newID:     newUUIDv7,
		logger:    slog.New(slog.DiscardHandler),
		referrers: make(map[string][]referrer),
	}
	for _, o := range opts {
		o(svc)
	}
	svc.combineHooks()
	for _, k := range s.Kinds {
		if k.Access != nil {
			ca, err := compileAccess(k)
			if err != nil {
				panic(err)
			}
			if svc.access == nil {
				svc.access = make(map[*Kind]*compiledAccess)
			}
			svc.access[k] = ca
		}
		for i := range k.Fields {
			f := &k.Fields[i]
			if f.Ref != nil {
				svc.referrers[f.Ref.Kind] = append(svc.referrers[f.Ref.Kind], referrer{kind: k, field: f})
			}
		}
	}
	return svc
}

// Schema returns the schema the service was built for.
func (s *Service) Schema() *Schema { return s.schema }

// Backend returns the storage backend of the service.
func (s *Service) Backend() Backend { return s.backend }

// Ping reports whether the backend can serve requests.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.backend.Ping(ctx); err != nil {
		return fmt.Errorf("resource: ping: %w", err)
	}
	return nil
}

// WriteOptions are the request options of a write.
type WriteOptions struct {
	// IfMatch is "" (unconditional), "*" (any current revision) or a list of
	// entity tags, quoted or not, as returned by ETag.
	IfMatch string
	// Mode is "" (write a new revision) or "modify" (edit the current draft
	// in place).
	Mode string
	// Status is "" (stable for new revisions, unchanged for modify),
	// "draft" or "stable".
	Status string
	// ID is, for Create only, the id of the new resource: "" (the usual
	// case) for a fresh UUIDv7. Trusted code sets it when the resource
	// mirrors something that has an id already (a job resource has its
	// queue id); a taken id is a 409. REST and GraphQL never set it.
	ID string
	// Cascade is, for Restore only, whether to restore with the resource
	// the referrers that its delete soft-deleted through on_delete:
	// cascade (recursively): exactly those, not ones deleted by another
	// call (see Service.Restore).
	Cascade bool
}

// Write modes.
const (
	ModeNew    = ""
	ModeModify = "modify"
)

// ReadOptions are the request options of a read.
type ReadOptions struct {
	// Revision is "" for the current revision, else a full revision id or
	// its number n.
	Revision string
	// IncludeDeleted allows reading a soft-deleted resource.
	IncludeDeleted bool
	// Fields are the data fields to return; nil: all (as ListQuery.Fields).
	Fields []string
	// Expand are the ref fields to embed (as ListQuery.Expand).
	Expand []string
}

// ListQuery selects a page of resources. Filter, Sort, Fields and Expand
// are the raw query parameters; the Service parses and checks them against
// the kind, so that every transport (REST, GraphQL) reports the same errors.
type ListQuery struct {
	Filter         string   // filter language expression; "" matches everything
	Sort           string   // "-views,title"; "" is the kind's default sort
	Limit          int      // 1..MaxLimit; 0 means DefaultLimit
	Cursor         string   // opaque, from Page.NextCursor
	Offset         int      // resources to skip (after Cursor)
	IncludeDeleted bool     // live and deleted resources
	OnlyDeleted    bool     // deleted resources only
	Count          bool     // fill Page.Total
	Fields         []string // data fields to return; nil: all
	Expand         []string // ref fields to embed, dotted for two levels ("post.author")
}

// Page is one page of a list.
type Page struct {
	Items      []*Envelope `json:"items"`
	NextCursor *string     `json:"next_cursor"`     // nil on the last page
	Total      *int        `json:"total,omitempty"` // set when ListQuery.Count

	// recs, sort and hash let Cursor build the cursor of any item.
	recs []*Record
	sort []filter.SortKey
	hash string
}

// RevisionQuery selects a page of a resource's revisions, newest first.
type RevisionQuery struct {
	Chain  bool // only the current revision and its ancestors
	Limit  int  // 1..MaxLimit; 0 means DefaultLimit
	Cursor string
	// IncludeDeleted allows listing the revisions of a soft-deleted
	// resource; without it, that is a 410 GONE.
	IncludeDeleted bool
}

// RevisionOptions are the request options of Revision and Diff.
type RevisionOptions struct {
	// IncludeDeleted allows reading the history of a soft-deleted
	// resource; without it, that is a 410 GONE.
	IncludeDeleted bool
}

// RevisionPage is one page of revisions.
type RevisionPage struct {
	Items      []RevisionInfo `json:"items"`
	NextCursor *string        `json:"next_cursor"` // nil on the last page
}

// Page sizes of List and Revisions.
const (
	DefaultLimit = 20
	MaxLimit     = 1000
)

// pageLimit validates a requested page size.
func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, &Error{
			Code:   CodeBadRequest,
			Detail: fmt.Sprintf("limit must be between 1 and %d, got %d", MaxLimit, limit),
			Fields: []FieldError{{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxLimit)}},
		}
	}
	return limit, nil
}

// timestamp returns the current time as stored: UTC, truncated to microseconds,
// so that every backend round-trips it exactly.
func (s *Service) timestamp() time.Time {
	return s.now().UTC().Truncate(time.Microsecond)
}

// backendErr wraps a backend failure that is not a client mistake.
func backendErr(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("resource: %s: %w", op, err)
}

// notFound is the 404 of a resource.
func notFound(k *Kind, id string) *Error {
	return Errorf(CodeNotFound, "%s %q not found", noun(k), id)
}

// gone is the 410 of a soft-deleted resource.
func gone(k *Kind, id string) *Error {
	return Errorf(CodeGone, "%s %q was deleted", noun(k), id)
}

// revisionNotFound is the 404 of a revision.
func revisionNotFound(k *Kind, id, rev string) *Error {
	return Errorf(CodeNotFound, "revision %q of %s %q not found", rev, noun(k), id)
}

// noun names a kind in messages: "BlogPost" => "blog post",
// "HTTPLog" => "http log".
func noun(k *Kind) string {
	rs := []rune(k.Name)
	var b strings.Builder
	for i, r := range rs {
		if i > 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// isNotFound reports whether a backend error means "no such row".
func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
