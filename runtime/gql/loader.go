package gql

import (
	"context"
	"sync"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// batchWait is how long a batch started by a Load collects further ids
// before it is fetched. gqlgen resolves the fields of sibling objects
// concurrently, so their loads arrive within microseconds. A variable
// only so that a test can widen it (a loaded machine can delay a
// goroutine by more than 2 ms).
var batchWait = 2 * time.Millisecond

// maxBatch is the most ids one fetch asks for.
const maxBatch = resource.MaxLimit

// Loaders holds the batch loaders of one GraphQL response, one per kind.
// Results are cached for the response, so a resource referenced by many
// others is read once.
type Loaders struct {
	ctx context.Context
	svc *resource.Service

	mu    sync.Mutex
	kinds map[*resource.Kind]*Loader
}

type loadersKey struct{}

// WithLoaders returns ctx carrying fresh loaders over svc. The handler
// does this for every response; code that resolves fields outside the
// handler (tests) may do it too.
func WithLoaders(ctx context.Context, svc *resource.Service) context.Context {
	return context.WithValue(ctx, loadersKey{}, &Loaders{ctx: ctx, svc: svc, kinds: make(map[*resource.Kind]*Loader)})
}

// LoaderFor returns the loader of kind k for the response of ctx. Without
// loaders in ctx it returns a loader of its own over svc, which still
// batches but caches only for its own lifetime.
func LoaderFor(ctx context.Context, svc *resource.Service, k *resource.Kind) *Loader {
	ls, ok := ctx.Value(loadersKey{}).(*Loaders)
	if !ok {
		return newLoader(ctx, svc, k)
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l, ok := ls.kinds[k]
	if !ok {
		l = newLoader(ls.ctx, ls.svc, k)
		ls.kinds[k] = l
	}
	return l
}

// Loader loads resources of one kind by id, many at a time: every id
// asked for while a batch is open is fetched with one Service.GetMany, in
// one read transaction.
//
// A batch opens with the first Load of an id not seen yet and is fetched
// batchWait later, or at once when it holds maxBatch ids. Prime adds ids
// without opening a batch; the next Load then fetches everything primed
// at once, without waiting. A list resolver primes the refs of its page,
// which makes the relations of a page cost exactly one query, however
// the goroutines resolving them are scheduled.
type Loader struct {
	ctx  context.Context
	svc  *resource.Service
	kind *resource.Kind

	mu      sync.Mutex
	results map[string]*result
	open    *batch // collecting ids, not fetched yet
}

// result is the outcome of loading one id; done is closed when it is
// known.
type result struct {
	env   *resource.Envelope
	err   error
	done  chan struct{}
	batch *batch
}

// batch is a set of ids fetched together.
type batch struct {
	ids     []string
	primed  bool // holds ids from Prime: fetch on the first Load
	timer   *time.Timer
	fetched bool
}

func newLoader(ctx context.Context, svc *resource.Service, k *resource.Kind) *Loader {
	return &Loader{ctx: ctx, svc: svc, kind: k, results: make(map[string]*result)}
}

// Prime adds ids to the open batch without fetching. Empty ids and ids
// already known are skipped.
func (l *Loader) Prime(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if id == "" {
			continue
		}
		if _, ok := l.results[id]; !ok {
			l.add(id)
			l.open.primed = true
		}
	}
}

// Load returns the live resource id, or nil when there is none (unknown
// or soft-deleted: a relation to it resolves to null).
func (l *Loader) Load(ctx context.Context, id string) (*resource.Envelope, error) {
	if id == "" {
		return nil, nil
	}
	l.mu.Lock()
	r, ok := l.results[id]
	if !ok {
		r = l.add(id)
		if !r.batch.primed && r.batch.timer == nil {
			b := r.batch
			b.timer = time.AfterFunc(batchWait, func() { l.fetch(b) })
		}
	}
	b := r.batch
	now := !b.fetched && (b.primed || len(b.ids) >= maxBatch)
	l.mu.Unlock()
	if now {
		l.fetch(b)
	}
	select {
	case <-r.done:
		return r.env, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// add records id as pending in the open batch; l.mu must be held.
func (l *Loader) add(id string) *result {
	if l.open == nil {
		l.open = &batch{}
	}
	r := &result{done: make(chan struct{}), batch: l.open}
	l.results[id] = r
	l.open.ids = append(l.open.ids, id)
	if len(l.open.ids) >= maxBatch {
		l.open = nil // full: the next id starts a new batch
	}
	return r
}

// fetch loads the ids of b, unless that has begun already, and delivers
// the results.
func (l *Loader) fetch(b *batch) {
	l.mu.Lock()
	if b.fetched {
		l.mu.Unlock()
		return
	}
	b.fetched = true
	if l.open == b {
		l.open = nil
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	l.mu.Unlock()

	envs, err := l.svc.GetMany(l.ctx, l.kind, b.ids)
	err = Wrap(err)

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range b.ids {
		r := l.results[id]
		if err != nil {
			r.err = err
		} else {
			r.env = envs[id]
		}
		close(r.done)
	}
}
