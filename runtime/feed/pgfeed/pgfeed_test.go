package pgfeed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// wait bounds every wait for an event.
const wait = 5 * time.Second

// newPool connects to the test server (skipping or failing as pgtest
// says).
func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	pool, err := pgxpool.New(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// testChannel returns a channel no other test uses.
func testChannel(t *testing.T) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "pgfeed_test_" + hex.EncodeToString(b[:])
}

// startFeed starts a Feed on pool, closed when t ends.
func startFeed(t *testing.T, pool *pgxpool.Pool, opts Options) *Feed {
	t.Helper()
	f := New(pool, opts)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// subscribe subscribes to every event of kind Post.
func subscribe(t *testing.T, f feed.Feed) <-chan feed.Event {
	t.Helper()
	ch, err := f.Subscribe(t.Context(), "Post", "")
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// next returns the next event of ch, failing after wait.
func next(t *testing.T, ch <-chan feed.Event) feed.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("subscription ended")
		}
		return e
	case <-time.After(wait):
		t.Fatal("no event within", wait)
	}
	return feed.Event{}
}

// envelope returns an envelope of a post whose data has a title of n
// bytes.
func envelope(id string, n int) *resource.Envelope {
	at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)
	data, _ := json.Marshal(map[string]string{"title": strings.Repeat("x", n)})
	rev := id + ":1"
	return &resource.Envelope{
		Data: data,
		Meta: resource.Meta{ResourceID: id, CurrentRevisionID: rev, TotalRevisionCount: 1, SchemaVersion: 1,
			CreatedTime: at, CreatedBy: "alice", UpdatedTime: at, UpdatedBy: "alice"},
		RevisionInfo: resource.RevisionInfo{ResourceID: id, RevisionID: rev, Number: 1, DataHash: "sha256:00",
			Status: resource.StatusStable, SchemaVersion: 1, CreatedTime: at, CreatedBy: "alice", UpdatedTime: at, UpdatedBy: "alice"},
	}
}

func TestEventsCrossFeeds(t *testing.T) {
	tests := []struct {
		name  string
		event feed.Event
		load  bool // the receiver must read the envelope with Load
	}{
		{name: "created", event: feed.Event{Op: feed.Created, Kind: "Post", ID: "p1", Envelope: envelope("p1", 10)}},
		{name: "purged has no envelope", event: feed.Event{Op: feed.Purged, Kind: "Post", ID: "p2"}},
		{name: "large envelope is loaded", event: feed.Event{Op: feed.Updated, Kind: "Post", ID: "p3", Envelope: envelope("p3", 9000)},
			load: true},
	}
	pool := newPool(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := testChannel(t)
			var loads atomic.Int64
			load := func(_ context.Context, kind, id string) (*resource.Envelope, error) {
				loads.Add(1)
				if kind != tt.event.Kind || id != tt.event.ID {
					return nil, errors.New("unexpected load")
				}
				return tt.event.Envelope, nil
			}
			a := startFeed(t, pool, Options{Channel: ch})
			b := startFeed(t, pool, Options{Channel: ch, Load: load})
			sub := subscribe(t, b)
			a.Publish(tt.event)
			got := next(t, sub)
			if diff := cmp.Diff(tt.event, got); diff != "" {
				t.Errorf("event mismatch (-published +received):\n%s", diff)
			}
			if n := loads.Load(); (n == 1) != tt.load || n > 1 {
				t.Errorf("Load called %d times, want load=%v", n, tt.load)
			}
		})
	}
}

// TestNoDuplicateOfLocalEvents checks that a feed's own notifications,
// which PostgreSQL delivers back to it, do not reach its subscribers a
// second time, and that remote events follow in commit order.
func TestNoDuplicateOfLocalEvents(t *testing.T) {
	pool := newPool(t)
	ch := testChannel(t)
	a := startFeed(t, pool, Options{Channel: ch})
	b := startFeed(t, pool, Options{Channel: ch})
	subA, subB := subscribe(t, a), subscribe(t, b)
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "local"})
	if e := next(t, subB); e.ID != "local" { // a's NOTIFY has committed
		t.Fatalf("b got %q, want local", e.ID)
	}
	b.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "remote"})
	for _, want := range []string{"local", "remote"} {
		if e := next(t, subA); e.ID != want {
			t.Fatalf("a got %q, want %q (a duplicate of its own event?)", e.ID, want)
		}
	}
	select {
	case e := <-subA:
		t.Fatalf("unexpected event %+v", e)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestChannelsAreIsolated(t *testing.T) {
	pool := newPool(t)
	a := startFeed(t, pool, Options{Channel: testChannel(t)})
	otherChannel := testChannel(t)
	b := startFeed(t, pool, Options{Channel: otherChannel})
	c := startFeed(t, pool, Options{Channel: otherChannel})
	sub := subscribe(t, b)
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "elsewhere"})
	c.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "here"})
	if e := next(t, sub); e.ID != "here" {
		t.Fatalf("got %q from another channel", e.ID)
	}
}

// TestManyEvents sends more events than one batch holds, from two feeds
// at once, and checks that each arrives once, in each sender's order.
func TestManyEvents(t *testing.T) {
	const n = 1000
	pool := newPool(t)
	ch := testChannel(t)
	a := startFeed(t, pool, Options{Channel: ch})
	b := startFeed(t, pool, Options{Channel: ch})
	c := startFeed(t, pool, Options{Channel: ch, Buffer: 2 * n})
	sub := subscribe(t, c)
	go func() {
		for i := range n {
			a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "a" + itoa(i)})
		}
	}()
	for i := range n {
		b.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "b" + itoa(i)})
	}
	nextOf := map[byte]int{'a': 0, 'b': 0}
	for range 2 * n {
		e := next(t, sub)
		if want := string(e.ID[0]) + itoa(nextOf[e.ID[0]]); e.ID != want {
			t.Fatalf("got %q, want %q", e.ID, want)
		}
		nextOf[e.ID[0]]++
	}
}

// TestOwnNotificationsSkipped checks the shortcut by which deliver skips
// this Feed's own notifications without decoding them: each payload the
// Feed sends starts with its prefix, and another Feed's does not (so it
// is decoded and delivered).
func TestOwnNotificationsSkipped(t *testing.T) {
	a, b := New(nil, Options{}), New(nil, Options{})
	defer a.Close()
	defer b.Close()
	sub := subscribe(t, a)
	for _, e := range []feed.Event{
		{Op: feed.Created, Kind: "Post", ID: "p1", Envelope: envelope("p1", 10)},
		{Op: feed.Updated, Kind: "Post", ID: "p2", Envelope: envelope("p2", 9000)}, // sent without its envelope
		{Op: feed.Purged, Kind: "Post", ID: "p3"},
	} {
		own, err := a.encode(e)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(own, a.self) {
			t.Fatalf("payload %.60q does not start with the feed's prefix %q", own, a.self)
		}
		other, err := b.encode(e)
		if err != nil {
			t.Fatal(err)
		}
		a.deliver(t.Context(), own)
		a.deliver(t.Context(), other)
		if got := next(t, sub); got.ID != e.ID {
			t.Fatalf("got %q, want %q", got.ID, e.ID)
		}
	}
	select {
	case e := <-sub:
		t.Fatalf("own notification delivered: %+v", e)
	default:
	}
}

// TestEncodeAsJSONMarshal checks that encode, which writes the data of
// the envelope itself, writes what json.Marshal writes for the message.
func TestEncodeAsJSONMarshal(t *testing.T) {
	f := New(nil, Options{})
	defer f.Close()
	parent := "p1:1"
	withParent := envelope("p1", 10)
	withParent.RevisionInfo.ParentRevisionID = &parent
	noData := envelope("p2", 0)
	noData.Data = nil
	expanded := envelope("p3", 10)
	expanded.Expand = map[string]any{"author": envelope("a1", 3)}
	for _, e := range []feed.Event{
		{Op: feed.Created, Kind: "Post", ID: "p1", Envelope: envelope("p1", 10)},
		{Op: feed.Updated, Kind: "Post", ID: "p1", Envelope: withParent},
		{Op: feed.Updated, Kind: "Post", ID: "p2", Envelope: noData},
		{Op: feed.Updated, Kind: "Post", ID: "p3", Envelope: expanded},
		{Op: feed.Updated, Kind: "Po\"st", ID: "quote\"d \u2028", Envelope: envelope("p4", 10)},
		{Op: feed.Purged, Kind: "Post", ID: "p5"},
		{Op: feed.Updated, Kind: "Post", ID: "p6", Envelope: envelope("p6", 9000)},
	} {
		got, err := f.encode(e)
		if err != nil {
			t.Fatal(err)
		}
		seq := f.seq.Load()
		m := message{Origin: f.origin, Seq: seq, Op: e.Op, Kind: e.Kind, ID: e.ID, Envelope: e.Envelope}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) > MaxPayload {
			m.Envelope, m.Load = nil, true
			if want, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		if got != string(want) {
			t.Errorf("encode(%s %s):\n got %s\nwant %s", e.Op, e.ID, got, want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// hashHex returns the first 16 bytes of the SHA-256 of s in hex.
func hashHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// TestReconnect kills the LISTEN connection: the subscriptions of the
// time end, and once the feed has reconnected, new ones get remote
// events again.
func TestReconnect(t *testing.T) {
	pool := newPool(t)
	ch := testChannel(t)
	a := startFeed(t, pool, Options{Channel: ch})
	b := startFeed(t, pool, Options{Channel: ch})
	old := subscribe(t, b)
	pid := b.listenerPID.Load()
	if _, err := pool.Exec(t.Context(), "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	select {
	case e, ok := <-old:
		if ok {
			t.Fatalf("got %+v, want the subscription to end", e)
		}
	case <-time.After(wait):
		t.Fatal("subscription not ended after the connection was lost")
	}
	deadline := time.Now().Add(wait)
	for b.connects.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no reconnection")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if b.listenerPID.Load() == pid {
		t.Fatal("same backend after reconnection")
	}
	sub := subscribe(t, b)
	waitWants(t, a, "Post", true)
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "after"})
	if e := next(t, sub); e.ID != "after" {
		t.Fatalf("got %q, want after", e.ID)
	}
}

// TestCloseFlushes checks that events queued when Close is called still
// reach the other processes, and that a closed feed refuses subscribers.
func TestCloseFlushes(t *testing.T) {
	pool := newPool(t)
	ch := testChannel(t)
	a := startFeed(t, pool, Options{Channel: ch})
	b := startFeed(t, pool, Options{Channel: ch})
	sub := subscribe(t, b)
	for i := range 10 {
		a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: itoa(i)})
	}
	a.Close()
	for i := range 10 {
		if e := next(t, sub); e.ID != itoa(i) {
			t.Fatalf("got %q, want %d", e.ID, i)
		}
	}
	if _, err := a.Subscribe(t.Context(), "Post", ""); !errors.Is(err, feed.ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want feed.ErrClosed", err)
	}
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "late"}) // no panic
	if err := a.Start(t.Context()); !errors.Is(err, feed.ErrClosed) {
		t.Errorf("Start after Close: %v, want feed.ErrClosed", err)
	}
	a.Close()
}

func TestStartErrors(t *testing.T) {
	pool := newPool(t)
	f := startFeed(t, pool, Options{Channel: testChannel(t)})
	if err := f.Start(t.Context()); !errors.Is(err, ErrStarted) {
		t.Errorf("second Start: %v, want ErrStarted", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := New(pool, Options{})
	defer g.Close()
	if err := g.Start(ctx); err == nil {
		t.Error("Start with a cancelled context succeeded")
	}
}

func TestChannel(t *testing.T) {
	long := strings.Repeat("s", 63)
	tests := []struct {
		name   string
		schema string
		want   string
	}{
		{name: "default", schema: "", want: "specstar_changes"},
		{name: "schema", schema: "app", want: "specstar_changes_app"},
		{name: "longest plain", schema: long[:46], want: "specstar_changes_" + long[:46]},
		{name: "hashed", schema: long, want: "specstar_changes_" + hashHex(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Channel(tt.schema)
			if got != tt.want || len(got) > 63 {
				t.Errorf("Channel(%q) = %q, want %q (at most 63 bytes)", tt.schema, got, tt.want)
			}
		})
	}
}

// startFeedGrace starts a Feed that trusts the interests it has heard
// after grace (instead of announceGrace).
func startFeedGrace(t *testing.T, pool *pgxpool.Pool, opts Options, grace time.Duration) *Feed {
	t.Helper()
	f := New(pool, opts)
	f.grace = grace
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// waitWants waits until f.wants(kind) is want (past f's grace period).
func waitWants(t *testing.T, f *Feed, kind string, want bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for (*f.wanted.Load())[kind] != want || (want && time.Now().UnixNano() < f.blindUntil.Load()) {
		if time.Now().After(deadline) {
			t.Fatalf("wants(%q) is not %v after %s", kind, want, wait)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestInterest checks that a Feed notifies only the events of the kinds
// another process subscribes to: it learns a subscription, its end, the
// subscriptions that existed before it started (hello), and a Close.
func TestInterest(t *testing.T) {
	pool := newPool(t)
	ch := testChannel(t)
	a := startFeedGrace(t, pool, Options{Channel: ch}, 0)
	b := startFeedGrace(t, pool, Options{Channel: ch}, 0)

	// Nobody subscribes: nothing is queued nor sent.
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "unseen"})
	if n := len(a.queue); n != 0 {
		t.Fatalf("%d events queued with no subscriber anywhere", n)
	}

	// b subscribes to Post: a notifies Post, and still not Comment.
	ctx, unsubscribe := context.WithCancel(t.Context())
	sub, err := b.Subscribe(ctx, "Post", "")
	if err != nil {
		t.Fatal(err)
	}
	waitWants(t, a, "Post", true)
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "p"})
	if e := next(t, sub); e.ID != "p" {
		t.Fatalf("got %q, want p", e.ID)
	}
	a.Publish(feed.Event{Op: feed.Created, Kind: "Comment", ID: "c"})
	a.Publish(feed.Event{Op: feed.Created, Kind: "Post", ID: "q"})
	if e := next(t, sub); e.ID != "q" {
		t.Fatalf("got %q, want q", e.ID)
	}
	if n := a.sent.Load(); n != 2 {
		t.Errorf("a sent %d notifications, want 2 (Post p and q; no Comment)", n)
	}

	// A Feed started later learns b's subscription by its hello.
	c := startFeedGrace(t, pool, Options{Channel: ch}, 0)
	waitWants(t, c, "Post", true)

	// The subscription ends: a stops notifying Post.
	unsubscribe()
	waitWants(t, a, "Post", false)

	// A closed Feed withdraws its interest.
	subscribe(t, b)
	waitWants(t, a, "Post", true)
	b.Close()
	waitWants(t, a, "Post", false)
}
