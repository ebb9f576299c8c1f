// Package feed is the change feed of a generated backend: every resource
// write the engine commits becomes an Event, and subscribers (GraphQL
// subscriptions today; webhooks and live admin pages later) receive the
// events of the kinds and resources they ask for.
//
// Broker is the in-process implementation. A multi-instance deployment
// plugs in another Feed with the same contract: package pgfeed publishes
// each event with PostgreSQL NOTIFY and runs one LISTEN connection per
// instance that hands what it hears to a local Broker.
package feed

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Op says what a write did to a resource: the engine's change operations.
type Op = resource.ChangeOp

// Operations, one per kind of write.
const (
	Created  = resource.ChangeCreated
	Updated  = resource.ChangeUpdated // a new revision, or a draft edited in place
	Deleted  = resource.ChangeDeleted // soft delete, including cascades
	Restored = resource.ChangeRestored
	Switched = resource.ChangeSwitched
	Purged   = resource.ChangePurged
)

// Event is one committed change of one resource.
type Event struct {
	Op   Op
	Kind string // Kind.Name
	ID   string // resource id
	// Envelope is the resource after the change (current revision); nil
	// for Purged.
	Envelope *resource.Envelope
}

// Feed distributes events. Publish must not block on slow subscribers;
// Subscribe returns a channel that yields the events of kind (and of the
// resource id, unless id is "") published after the call, and that is
// closed when ctx ends, when the feed closes, or when the subscriber
// falls too far behind (it then knows it missed events and may
// resubscribe).
type Feed interface {
	Publish(e Event)
	Subscribe(ctx context.Context, kind, id string) (<-chan Event, error)
}

// DefaultBuffer is how many events a subscriber may have pending before
// the Broker drops it.
const DefaultBuffer = 64

// ErrClosed is returned by Subscribe on a closed Broker.
var ErrClosed = errors.New("feed: closed")

// Broker is an in-process Feed. The zero value is not usable; call
// NewBroker.
type Broker struct {
	buffer int

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	kinds  map[string]int // subscribers per kind
	closed bool
	// onKinds is called, with mu held, when a kind gets its first
	// subscriber or loses its last (see OnKindsChange).
	onKinds func()
}

// subscriber is one Subscribe call.
type subscriber struct {
	kind, id string
	ch       chan Event
	done     bool // ch is closed
}

var _ Feed = (*Broker)(nil)

// NewBroker returns a broker whose subscribers may each have up to buffer
// pending events (DefaultBuffer when buffer <= 0).
func NewBroker(buffer int) *Broker {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	return &Broker{buffer: buffer, subs: make(map[*subscriber]struct{}), kinds: make(map[string]int)}
}

// OnKindsChange makes the broker call fn whenever a kind gets its first
// subscriber or loses its last, so that a feed relaying events between
// processes can tell the others which kinds it wants (package pgfeed).
// fn runs with the broker's lock held: it must not block nor call the
// broker. Call OnKindsChange before the first Subscribe.
func (b *Broker) OnKindsChange(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onKinds = fn
}

// Kinds returns the kinds that have at least one subscriber, sorted.
func (b *Broker) Kinds() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.kinds))
	for k := range b.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// HasKind reports whether kind has at least one subscriber.
func (b *Broker) HasKind(kind string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.kinds[kind] > 0
}

// Publish hands e to every matching subscriber without blocking. A
// subscriber whose buffer is full is dropped: its channel is closed.
func (b *Broker) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.kind != e.Kind || (s.id != "" && s.id != e.ID) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			b.drop(s)
		}
	}
}

// Subscribe implements Feed.
func (b *Broker) Subscribe(ctx context.Context, kind, id string) (<-chan Event, error) {
	s := &subscriber{kind: kind, id: id, ch: make(chan Event, b.buffer)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	b.subs[s] = struct{}{}
	if b.kinds[kind]++; b.kinds[kind] == 1 && b.onKinds != nil {
		b.onKinds()
	}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.drop(s)
	})
	return s.ch, nil
}

// Subscribers returns how many subscriptions are active.
func (b *Broker) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Close ends every subscription and refuses new ones. Servers call it
// when they shut down, so that streaming responses finish.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.drop(s)
	}
}

// EndSubscriptions ends every current subscription (their channels
// close, as when a subscriber falls behind, so subscribers know they may
// have missed events) and keeps accepting new ones. A feed that relays
// events from elsewhere calls it when it loses its source.
func (b *Broker) EndSubscriptions() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		b.drop(s)
	}
}

// drop removes s and closes its channel; b.mu must be held.
func (b *Broker) drop(s *subscriber) {
	if s.done {
		return
	}
	s.done = true
	delete(b.subs, s)
	close(s.ch)
	if b.kinds[s.kind]--; b.kinds[s.kind] <= 0 {
		delete(b.kinds, s.kind)
		if b.onKinds != nil {
			b.onKinds()
		}
	}
}

// Observer returns a resource.Observer that publishes every change of a
// service to f: pass it to resource.NewService with resource.WithObserver.
func Observer(f Feed) resource.Observer {
	return func(_ context.Context, c resource.Change) {
		f.Publish(Event{Op: c.Op, Kind: c.Kind.Name, ID: c.ID, Envelope: c.Envelope})
	}
}
