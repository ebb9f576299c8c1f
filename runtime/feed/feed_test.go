package feed

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// recv returns the next event of ch, failing after a second.
func recv(t *testing.T, ch <-chan Event) (Event, bool) {
	t.Helper()
	select {
	case e, ok := <-ch:
		return e, ok
	case <-time.After(time.Second):
		t.Fatal("no event within a second")
		return Event{}, false
	}
}

func TestBrokerRoutesByKindAndID(t *testing.T) {
	tests := []struct {
		name     string
		kind, id string
		want     []string // ids received, in order
	}{
		{name: "every post", kind: "Post", want: []string{"p1", "p2"}},
		{name: "one post", kind: "Post", id: "p2", want: []string{"p2"}},
		{name: "authors", kind: "Author", want: []string{"a1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(0)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := b.Subscribe(ctx, tt.kind, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			b.Publish(Event{Op: Created, Kind: "Post", ID: "p1"})
			b.Publish(Event{Op: Created, Kind: "Author", ID: "a1"})
			b.Publish(Event{Op: Updated, Kind: "Post", ID: "p2"})
			b.Close()
			var got []string
			for e := range ch {
				got = append(got, e.ID)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestBrokerEndsSubscriptions(t *testing.T) {
	tests := []struct {
		name string
		end  func(b *Broker, cancel context.CancelFunc)
	}{
		{name: "context cancelled", end: func(_ *Broker, cancel context.CancelFunc) { cancel() }},
		{name: "broker closed", end: func(b *Broker, _ context.CancelFunc) { b.Close() }},
		{name: "subscriptions ended", end: func(b *Broker, _ context.CancelFunc) { b.EndSubscriptions() }},
		{name: "subscriber too slow", end: func(b *Broker, _ context.CancelFunc) {
			for range 3 {
				b.Publish(Event{Op: Updated, Kind: "Post", ID: "p"})
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBroker(2)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ch, err := b.Subscribe(ctx, "Post", "")
			if err != nil {
				t.Fatal(err)
			}
			tt.end(b, cancel)
			for {
				if _, ok := recv(t, ch); !ok {
					break
				}
			}
			if n := b.Subscribers(); n != 0 {
				t.Errorf("%d subscribers left, want 0", n)
			}
		})
	}
}

func TestBrokerRefusesAfterClose(t *testing.T) {
	b := NewBroker(0)
	b.Close()
	if _, err := b.Subscribe(context.Background(), "Post", ""); err != ErrClosed {
		t.Fatalf("Subscribe after Close: %v, want ErrClosed", err)
	}
	b.Publish(Event{Op: Created, Kind: "Post", ID: "p"}) // no subscribers: no panic
}

func TestBrokerAcceptsAfterEndSubscriptions(t *testing.T) {
	b := NewBroker(0)
	old, err := b.Subscribe(context.Background(), "Post", "")
	if err != nil {
		t.Fatal(err)
	}
	b.EndSubscriptions()
	if _, ok := recv(t, old); ok {
		t.Fatal("subscription still open after EndSubscriptions")
	}
	ch, err := b.Subscribe(context.Background(), "Post", "")
	if err != nil {
		t.Fatalf("Subscribe after EndSubscriptions: %v", err)
	}
	b.Publish(Event{Op: Created, Kind: "Post", ID: "p"})
	if e, ok := recv(t, ch); !ok || e.ID != "p" {
		t.Fatalf("got %+v (open %v), want the event of p", e, ok)
	}
}

// TestBrokerKinds checks the kinds a broker reports and that it says when
// a kind gets its first subscriber or loses its last.
func TestBrokerKinds(t *testing.T) {
	b := NewBroker(0)
	var changes atomic.Int32 // OnKindsChange runs in the goroutine that ends a subscription
	b.OnKindsChange(func() { changes.Add(1) })
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	for _, sub := range []struct {
		ctx        context.Context
		kind, id   string
		wantChange int32
	}{{ctx1, "Post", "", 1}, {ctx2, "Post", "p1", 1}, {ctx2, "Comment", "", 2}} {
		if _, err := b.Subscribe(sub.ctx, sub.kind, sub.id); err != nil {
			t.Fatal(err)
		}
		if n := changes.Load(); n != sub.wantChange {
			t.Fatalf("after subscribing to %s: %d changes, want %d", sub.kind, n, sub.wantChange)
		}
	}
	if got := b.Kinds(); !slices.Equal(got, []string{"Comment", "Post"}) {
		t.Fatalf("Kinds() = %q", got)
	}
	cancel1() // Post keeps the subscriber of p1
	waitFor(t, func() bool { return b.Subscribers() == 2 })
	if n := changes.Load(); n != 2 || !b.HasKind("Post") {
		t.Fatalf("after one of two Post subscribers ended: %d changes, HasKind(Post) = %v", n, b.HasKind("Post"))
	}
	cancel2()
	waitFor(t, func() bool { return b.Subscribers() == 0 })
	if n := changes.Load(); n != 4 || len(b.Kinds()) != 0 || b.HasKind("Post") {
		t.Fatalf("after every subscriber ended: %d changes, Kinds() = %q", n, b.Kinds())
	}
}

// waitFor waits up to a second for cond.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("condition not met within a second")
}
