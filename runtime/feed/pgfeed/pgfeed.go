// Package pgfeed is a feed.Feed shared by every server process on one
// PostgreSQL database, through LISTEN/NOTIFY.
//
// Each Feed delivers the events published in its own process to its local
// subscribers at once (a feed.Broker), and sends each event with
// pg_notify on a channel. One dedicated connection per Feed LISTENs on
// that channel and hands the events of other processes to the local
// subscribers; the process's own events, which come back too, are
// recognised by an origin id and skipped, so no subscriber sees an event
// twice.
//
// Delivery is at most once. NOTIFY is sent after the write has committed,
// from a queue, so Publish never blocks the writer; an event is lost when
// that queue overflows, when PostgreSQL refuses the notification, or
// while the LISTEN connection is down. When the LISTEN connection drops,
// the Feed ends every local subscription (their channels close, as when a
// subscriber falls behind, so they know they may have missed events) and
// reconnects with backoff.
//
// The events published within a few milliseconds of each other (linger)
// are sent by one statement: under load, one round trip and one
// transaction per batch rather than per write. A transaction that
// notifies commits like one that writes, so one per write would cost
// this process and PostgreSQL a good part of what the write itself
// costs; other processes get an event up to linger later in exchange.
//
// A Feed notifies only the events of kinds that some other process
// subscribes to: with no subscriber elsewhere (a single server, or one
// whose subscriptions are all local), a write costs no notification at
// all. Each Feed tells the others which kinds its local subscribers want
// with an interest message on the same channel, whenever that set
// changes, every announceEvery, and in answer to the hello a Feed sends
// after each LISTEN. Until it has heard the answers (announceGrace after
// a LISTEN) and while its LISTEN connection is down, a Feed notifies
// every event. An event another process publishes within the few
// milliseconds its interest message takes to arrive may be missed, which
// at-most-once delivery allows; a process that ends without saying so
// (Close sends an empty set) is forgotten after 3 x announceEvery of
// silence, and until then only costs notifications nobody reads.
//
// A notification carries at most 8000 bytes. An event whose envelope does
// not fit is sent without it, and receivers read the resource's current
// envelope with Options.Load.
package pgfeed

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Loader reads the current envelope of a resource (deleted resources
// included) for an event that arrived without it. A nil Loader leaves
// such events without an envelope.
type Loader func(ctx context.Context, kind, id string) (*resource.Envelope, error)

// Options configures New.
type Options struct {
	// Channel is the notification channel; every process that shares the
	// data must use the same one. Default: Channel("").
	Channel string
	// Load reads the envelopes of events too large for a notification.
	Load Loader
	// Logger reports lost events and connection problems (default:
	// discard).
	Logger *slog.Logger
	// Buffer is how many events a local subscriber may have pending
	// (feed.DefaultBuffer when <= 0).
	Buffer int
	// Queue is how many events may wait to be sent (DefaultQueue when
	// <= 0); Publish drops events beyond it.
	Queue int
}

// Defaults and limits.
const (
	// DefaultQueue is the default number of events waiting for NOTIFY.
	DefaultQueue = 4096
	// MaxPayload is the largest notification payload PostgreSQL accepts
	// (in its default build), in bytes.
	MaxPayload = 7999
	// maxBatch is how many notifications one round trip sends.
	maxBatch = 256
	// linger is how long the publisher waits for more events before it
	// sends a batch that is not full (see the package documentation).
	// Subscribers do not notice 5ms.
	linger = 5 * time.Millisecond
	// loadTimeout bounds a Loader call.
	loadTimeout = 5 * time.Second
	// sendTimeout bounds one batch of notifications.
	sendTimeout = 10 * time.Second
	// flushTimeout bounds the sending of queued events by Close.
	flushTimeout = 5 * time.Second
	// announceGrace is how long a Feed notifies every event after a
	// LISTEN, while the other processes answer its hello with their
	// interests.
	announceGrace = time.Second
	// announceEvery is how often a Feed repeats its interest; another
	// process's interest is forgotten after 3 x announceEvery without
	// hearing from it.
	announceEvery = 30 * time.Second
	// minBackoff and maxBackoff bound the wait between reconnections.
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// ErrStarted is returned by a second Start.
var ErrStarted = errors.New("pgfeed: already started")

// Feed is a feed.Feed over PostgreSQL LISTEN/NOTIFY. New returns one;
// Start connects it; Close stops it.
type Feed struct {
	pool    *pgxpool.Pool
	local   *feed.Broker
	channel string
	origin  string // identifies this Feed's notifications
	self    string // how the payloads of this Feed's notifications start
	load    Loader
	logger  *slog.Logger

	queue   chan feed.Event
	closed  atomic.Bool
	seq     atomic.Uint64
	dropped atomic.Int64

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc // stops the listener
	stop    chan struct{}      // closed by Close: the publisher flushes and returns
	wg      sync.WaitGroup

	// listenerPID is the backend process id of the LISTEN connection
	// (0 while disconnected); connects counts successful LISTENs. Tests
	// use both.
	listenerPID atomic.Uint32
	connects    atomic.Int64

	// Interests (see the package documentation). blindUntil (unix
	// nanoseconds) is when the Feed may start to skip the events nobody
	// else wants; wanted holds the kinds other processes subscribe to
	// (read by Publish without a lock), computed from remote under imu.
	blindUntil atomic.Int64
	wanted     atomic.Pointer[map[string]bool]
	imu        sync.Mutex
	remote     map[string]*interest // by origin
	announceMu sync.Mutex           // orders the sequence numbers of announcements
	announce   chan struct{}        // asks the announcer to send this Feed's interest
	grace      time.Duration        // announceGrace; tests shorten it
	// sent counts the notifications of events sent; tests read it.
	sent atomic.Int64
}

// interest is what a Feed knows of another process's subscriptions.
type interest struct {
	seq   uint64 // of the newest interest message, which replaces the older
	kinds []string
	heard time.Time
}

var _ feed.Feed = (*Feed)(nil)

// Channel returns the notification channel of the data in schema (""
// for an unqualified default): "specstar_changes" and the schema name,
// shortened to a hash when the result would exceed PostgreSQL's 63-byte
// identifier limit. Processes on different schemas of one database thus
// never see each other's events.
func Channel(schema string) string {
	const base = "specstar_changes"
	if schema == "" {
		return base
	}
	if ch := base + "_" + schema; len(ch) <= 63 {
		return ch
	}
	sum := sha256.Sum256([]byte(schema))
	return base + "_" + hex.EncodeToString(sum[:16])
}

// New returns a Feed that sends notifications through pool and listens
// on a connection of its own, configured like pool's. It does no I/O:
// Start connects. Events published before Start reach local subscribers
// at once and other processes once it has started.
func New(pool *pgxpool.Pool, opts Options) *Feed {
	if opts.Channel == "" {
		opts.Channel = Channel("")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultQueue
	}
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	origin := hex.EncodeToString(b[:])
	f := &Feed{
		pool:     pool,
		local:    feed.NewBroker(opts.Buffer),
		channel:  opts.Channel,
		origin:   origin,
		self:     `{"o":"` + origin + `",`,
		load:     opts.Load,
		logger:   opts.Logger,
		queue:    make(chan feed.Event, opts.Queue),
		stop:     make(chan struct{}),
		remote:   make(map[string]*interest),
		announce: make(chan struct{}, 1),
		grace:    announceGrace,
	}
	f.blindUntil.Store(math.MaxInt64) // until Start has heard the others
	f.wanted.Store(&map[string]bool{})
	f.local.OnKindsChange(f.askAnnounce)
	return f
}

// Local returns the broker that holds this process's subscriptions.
func (f *Feed) Local() *feed.Broker { return f.local }

// Start opens the LISTEN connection (failing when it cannot, within ctx)
// and starts sending and receiving events until Close.
func (f *Feed) Start(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Load() {
		return feed.ErrClosed
	}
	if f.started {
		return ErrStarted
	}
	conn, err := f.listen(ctx)
	if err != nil {
		return err
	}
	f.started = true
	lctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.wg.Add(3)
	go f.receive(lctx, conn)
	go f.send()
	go f.announcer(lctx)
	f.hello(ctx)
	return nil
}

// Publish implements feed.Feed: it hands e to the local subscribers and
// queues it for the other processes, without blocking.
func (f *Feed) Publish(e feed.Event) {
	if f.closed.Load() {
		return
	}
	f.local.Publish(e)
	if !f.wants(e.Kind) {
		return
	}
	select {
	case f.queue <- e:
	default:
		if n := f.dropped.Add(1); n&(n-1) == 0 { // log the 1st, 2nd, 4th, 8th… drop
			f.logger.Warn("pgfeed: notification queue full; events are not reaching other processes", "dropped", n)
		}
	}
}

// Subscribe implements feed.Feed: the channel yields the events of this
// process and of the others.
//
// The first subscription of a kind tells the other processes at once, so
// that they notify its events from then on (see the package
// documentation).
func (f *Feed) Subscribe(ctx context.Context, kind, id string) (<-chan feed.Event, error) {
	first := !f.local.HasKind(kind)
	ch, err := f.local.Subscribe(ctx, kind, id)
	if err != nil || !first {
		return ch, err
	}
	f.mu.Lock()
	started := f.started && !f.closed.Load()
	f.mu.Unlock()
	if started {
		actx, cancel := context.WithTimeout(ctx, sendTimeout)
		f.sendInterest(actx, false)
		cancel()
	}
	return ch, nil
}

// wants reports whether the events of kind must be notified: another
// process subscribes to kind, or the Feed does not know yet.
func (f *Feed) wants(kind string) bool {
	return (*f.wanted.Load())[kind] || time.Now().UnixNano() < f.blindUntil.Load()
}

// askAnnounce asks the announcer to send this Feed's interest, without
// blocking (the broker calls it with its lock held).
func (f *Feed) askAnnounce() {
	select {
	case f.announce <- struct{}{}:
	default:
	}
}

// hello sends this Feed's interest with a request for everyone else's,
// after a LISTEN, and notifies every event for the grace period their
// answers take.
func (f *Feed) hello(ctx context.Context) {
	f.blindUntil.Store(time.Now().Add(f.grace).UnixNano())
	f.sendInterest(ctx, true)
}

// announcer sends this Feed's interest when asked, and every
// announceEvery while it has subscribers (forgetting the processes not
// heard from for 3 x announceEvery), until ctx ends.
func (f *Feed) announcer(ctx context.Context) {
	defer f.wg.Done()
	tick := time.NewTicker(announceEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.announce:
		case <-tick.C:
			f.forget(time.Now().Add(-3 * announceEvery))
			if len(f.local.Kinds()) == 0 {
				continue
			}
		}
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		f.sendInterest(sctx, false)
		cancel()
	}
}

// interestMessage is the payload of an interest message: the kinds the
// Feed's local subscribers want (all of them: it replaces the previous
// message of the origin), and with Hello a request that every other
// Feed sends its own.
type interestMessage struct {
	Origin string   `json:"o"`
	Seq    uint64   `json:"s"`
	Want   []string `json:"w"`
	Hello  bool     `json:"h,omitempty"`
}

// sendInterest notifies this Feed's interest. A failure is logged: the
// others then learn it at the next announcement.
func (f *Feed) sendInterest(ctx context.Context, hello bool) {
	f.announceMu.Lock()
	m := interestMessage{Origin: f.origin, Seq: f.seq.Add(1), Want: f.local.Kinds(), Hello: hello}
	f.announceMu.Unlock()
	if f.closed.Load() {
		m.Want = []string{} // Close ended the subscriptions: withdraw
	}
	payload, err := json.Marshal(m)
	if err != nil {
		f.logger.Warn("pgfeed: interest not sent", "error", err)
		return
	}
	if _, err := f.pool.Exec(ctx, notifyOne, f.channel, string(payload)); err != nil {
		f.logger.Warn("pgfeed: interest not sent to other processes", "error", err)
	}
}

// notifyOne sends one notification.
const notifyOne = `SELECT pg_notify($1, $2)`

// heard records the interest message m of another process, and answers a
// hello with this Feed's interest.
func (f *Feed) heard(m *message) {
	f.imu.Lock()
	in := f.remote[m.Origin]
	if in == nil || m.Seq > in.seq {
		// An empty set is kept too (until forget), so that an older
		// message arriving late cannot bring its kinds back.
		f.remote[m.Origin] = &interest{seq: m.Seq, kinds: *m.Want, heard: time.Now()}
		f.recompute()
	}
	f.imu.Unlock()
	if m.Hello {
		f.askAnnounce()
	}
}

// forget drops the interests of the processes not heard from since
// before.
func (f *Feed) forget(before time.Time) {
	f.imu.Lock()
	defer f.imu.Unlock()
	n := len(f.remote)
	for origin, in := range f.remote {
		if in.heard.Before(before) {
			delete(f.remote, origin)
		}
	}
	if len(f.remote) != n {
		f.recompute()
	}
}

// recompute publishes the union of the remote interests to Publish;
// f.imu must be held.
func (f *Feed) recompute() {
	w := make(map[string]bool)
	for _, in := range f.remote {
		for _, k := range in.kinds {
			w[k] = true
		}
	}
	f.wanted.Store(&w)
}

// Close ends every subscription, sends the events still queued (for up
// to a few seconds), closes the LISTEN connection and waits for the
// Feed's goroutines. It is safe to call more than once.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed.Swap(true) {
		return
	}
	f.local.Close()
	if !f.started {
		return
	}
	close(f.stop)
	// Withdraw this Feed's interest, so that the others stop notifying
	// for it.
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	f.sendInterest(ctx, false)
	cancel()
	f.cancel()
	f.wg.Wait()
}

// message is the payload of a notification. Origin comes first: deliver
// skips the notifications of its own Feed by it, without decoding them.
type message struct {
	Origin   string             `json:"o"`
	Seq      uint64             `json:"s"` // keeps equal events of one batch distinct (NOTIFY folds duplicates)
	Op       feed.Op            `json:"op"`
	Kind     string             `json:"k"`
	ID       string             `json:"id"`
	Envelope *resource.Envelope `json:"e,omitempty"`
	Load     bool               `json:"l,omitempty"` // the envelope was too large: load it
	// Want and Hello are those of an interestMessage: Want is set (to
	// a list, maybe empty) only on one.
	Want  *[]string `json:"w,omitempty"`
	Hello bool      `json:"h,omitempty"`
}

// encode returns the payload of e: with its envelope when that fits.
func (f *Feed) encode(e feed.Event) (string, error) {
	m := message{Origin: f.origin, Seq: f.seq.Add(1), Op: e.Op, Kind: e.Kind, ID: e.ID}
	head, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	if e.Envelope != nil {
		data, err := appendEnvelope(head, e.Envelope)
		if err != nil {
			return "", err
		}
		if len(data) <= MaxPayload {
			return string(data), nil
		}
		m.Load = true
		if head, err = json.Marshal(m); err != nil {
			return "", err
		}
	}
	if len(head) > MaxPayload {
		return "", fmt.Errorf("event of %s %.100q does not fit in a notification", e.Kind, e.ID)
	}
	return string(head), nil
}

// envelopeRest is an envelope less its data.
type envelopeRest struct {
	Meta         resource.Meta         `json:"meta"`
	RevisionInfo resource.RevisionInfo `json:"revision_info"`
	Expand       map[string]any        `json:"expand,omitempty"`
}

// appendEnvelope turns head, the JSON of a message without an envelope,
// into that of the message with env, as json.Marshal would write it.
// The data is written as it is: it is the canonical JSON the Service
// produced, which json.Marshal would only validate and compact again,
// at a cost per byte higher than the rest of the event's.
func appendEnvelope(head []byte, env *resource.Envelope) ([]byte, error) {
	rest, err := json.Marshal(envelopeRest{Meta: env.Meta, RevisionInfo: env.RevisionInfo, Expand: env.Expand})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(head)+len(env.Data)+len(rest)+16)
	out = append(out, head[:len(head)-1]...) // without the closing brace
	out = append(out, `,"e":{"data":`...)
	if len(env.Data) == 0 {
		out = append(out, "null"...)
	} else {
		out = append(out, env.Data...)
	}
	out = append(out, ',')
	out = append(out, rest[1:]...) // "meta":…}, after its opening brace
	return append(out, '}'), nil
}

// send is the publisher goroutine: it sends the queued events in
// batches, one round trip (and one transaction) per batch, until Close,
// then flushes the queue. A batch holds the events published within
// linger of its first one (at most maxBatch). The goroutine sleeps
// through the linger rather than wake for each event: the queue holds
// them meanwhile.
func (f *Feed) send() {
	defer f.wg.Done()
	batch := make([]feed.Event, 0, maxBatch)
	timer := time.NewTimer(linger)
	timer.Stop()
	for {
		select {
		case e := <-f.queue:
			batch = append(batch[:0], e)
		case <-f.stop:
			f.flush()
			return
		}
		if len(f.queue) < maxBatch-1 { // else a full batch is waiting: send it now
			timer.Reset(linger)
			select {
			case <-timer.C:
			case <-f.stop: // flush sends the rest
				timer.Stop()
			}
		}
		batch = f.fill(batch)
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		f.notify(ctx, batch)
		cancel()
	}
}

// fill appends the events waiting in the queue to batch, up to maxBatch.
func (f *Feed) fill(batch []feed.Event) []feed.Event {
	for len(batch) < maxBatch {
		select {
		case e := <-f.queue:
			batch = append(batch, e)
		default:
			return batch
		}
	}
	return batch
}

// flush sends what is left in the queue when Close is called.
func (f *Feed) flush() {
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	for {
		batch := f.fill(nil)
		if len(batch) == 0 {
			return
		}
		f.notify(ctx, batch)
		if ctx.Err() != nil {
			return
		}
	}
}

// notify sends a batch of events, retrying once on a failure (such as a
// pooled connection that broke); what cannot be sent is logged and lost.
func (f *Feed) notify(ctx context.Context, events []feed.Event) {
	payloads := make([]string, 0, len(events))
	for _, e := range events {
		payload, err := f.encode(e)
		if err != nil {
			f.logger.Warn("pgfeed: event not sent to other processes", "kind", e.Kind, "id", e.ID, "error", err)
			continue
		}
		payloads = append(payloads, payload)
	}
	f.sent.Add(int64(len(payloads)))
	if len(payloads) == 0 {
		return
	}
	var err error
	for attempt := range 2 {
		if attempt > 0 {
			select {
			case <-time.After(minBackoff):
			case <-ctx.Done():
			}
		}
		if _, err = f.pool.Exec(ctx, notifyAll, f.channel, payloads); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		f.logger.Warn("pgfeed: events not sent to other processes", "events", len(payloads), "error", err)
	}
}

// notifyAll sends the notifications of a batch, one per element of $2 in
// its order, in one statement (and one transaction): PostgreSQL's cost
// per statement and per transaction is paid once per batch.
const notifyAll = `SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload`

// listen opens the LISTEN connection.
func (f *Feed) listen(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, f.pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, fmt.Errorf("pgfeed: connect: %w", err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{f.channel}.Sanitize()); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("pgfeed: listen on %s: %w", f.channel, err)
	}
	f.listenerPID.Store(conn.PgConn().PID())
	f.connects.Add(1)
	return conn, nil
}

// receive is the listener goroutine: it hands the notifications of other
// processes to the local subscribers, and reconnects when the connection
// drops, until ctx ends.
func (f *Feed) receive(ctx context.Context, conn *pgx.Conn) {
	defer f.wg.Done()
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		n, err := conn.WaitForNotification(ctx)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			f.deliver(ctx, n.Payload)
			continue
		}
		f.listenerPID.Store(0)
		f.blindUntil.Store(math.MaxInt64) // interests are not heard meanwhile
		conn.Close(context.Background())
		conn = nil
		f.logger.Warn("pgfeed: LISTEN connection lost; ending subscriptions and reconnecting", "error", err)
		// Subscribers may miss events until the new connection listens:
		// end their subscriptions, so that they know.
		f.local.EndSubscriptions()
		if conn = f.reconnect(ctx); conn == nil {
			return
		}
		f.logger.Info("pgfeed: LISTEN connection restored")
		hctx, cancel := context.WithTimeout(ctx, sendTimeout)
		f.hello(hctx)
		cancel()
	}
}

// reconnect opens a new LISTEN connection, with exponential backoff; it
// returns nil when ctx ends first.
func (f *Feed) reconnect(ctx context.Context) *pgx.Conn {
	wait := minBackoff
	for {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
		conn, err := f.listen(ctx)
		if err == nil {
			return conn
		}
		if ctx.Err() != nil {
			return nil
		}
		f.logger.Warn("pgfeed: reconnect failed", "error", err, "retry_in", wait.String())
		wait = min(2*wait, maxBackoff)
	}
}

// deliver decodes a notification and hands it to the local subscribers,
// unless this Feed sent it. PostgreSQL delivers every notification of
// this Feed back to it, one per write of this process: those are
// recognised by the start of their payload, which encode writes first,
// without decoding the envelope they carry.
func (f *Feed) deliver(ctx context.Context, payload string) {
	if strings.HasPrefix(payload, f.self) {
		return // already delivered locally by Publish
	}
	var m message
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		f.logger.Warn("pgfeed: notification is not an event", "channel", f.channel, "error", err)
		return
	}
	if m.Origin == f.origin {
		return // already delivered locally by Publish
	}
	if m.Want != nil {
		f.heard(&m)
		return
	}
	if env := m.Envelope; env != nil {
		// The number is not part of the JSON form: take it from the id.
		env.RevisionInfo.Number, _ = resource.ParseRevision(env.RevisionInfo.ResourceID, env.RevisionInfo.RevisionID)
	}
	e := feed.Event{Op: m.Op, Kind: m.Kind, ID: m.ID, Envelope: m.Envelope}
	if m.Load && f.load != nil {
		lctx, cancel := context.WithTimeout(ctx, loadTimeout)
		env, err := f.load(lctx, m.Kind, m.ID)
		cancel()
		if err != nil {
			f.logger.Warn("pgfeed: cannot read the resource of a large event; delivering it without",
				"kind", m.Kind, "id", m.ID, "error", err)
		}
		e.Envelope = env
	}
	f.local.Publish(e)
}
