package reliability

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// Bounds of the SIGTERM test.
const (
	termShutdownTimeout = 10 * time.Second // the server's -shutdown-timeout
	termWriters         = 8                // fast writers
	termSlowWriters     = 3                // writers whose body takes termSlowBody to send
	termSlowBody        = 1500 * time.Millisecond
	termBefore          = 500 * time.Millisecond // writes before SIGTERM
	termMaxWrites       = 2000                   // per writer
	termWriteWindow     = 15 * time.Second       // a writer stops after this, whatever happens
)

// termWrite is one write of the SIGTERM test and its outcome.
type termWrite struct {
	op     string // "create", "update"
	email  string // of the author created or updated
	id     string // the author updated, or created when answered
	status int    // 0 when no answer came
	err    error  // the transport error when no answer came
	env    *envelope
}

// TestSIGTERMSQLite is the SIGTERM test (see runSIGTERM) on SQLite.
func TestSIGTERMSQLite(t *testing.T) {
	needServer(t)
	runSIGTERM(t, "SPECSTAR_DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "blog.db"))
}

// TestSIGTERMPostgres is the SIGTERM test (see runSIGTERM) on PostgreSQL.
func TestSIGTERMPostgres(t *testing.T) {
	needServer(t)
	runSIGTERM(t, "SPECSTAR_DATABASE_URL="+pgtest.SchemaURL(t, pgtest.URL(t)))
}

// runSIGTERM sends SIGTERM to a server in the middle of concurrent
// creates and If-Match updates, some of them with a body still being
// sent. The server must drain: exit with status 0 within its shutdown
// timeout, having answered every request it had started (the slow ones
// with 2xx). After a restart on the same data, every acknowledged write
// is there at its acknowledged revision, and every write that got no
// answer (connection refused or closed before an answer) or a 503 left
// no trace: nothing torn, nothing half-applied.
func runSIGTERM(t *testing.T, env ...string) {
	env = append(env, "SPECSTAR_SHUTDOWN_TIMEOUT="+termShutdownTimeout.String())
	srv := startServer(t, "server", env...)
	c := newClient(t, srv)
	// Each fast writer owns one author it updates and creates others.
	owned := make([]string, termWriters)
	for i := range owned {
		var a envelope
		if _, err := c.expect(201, &a, "POST", authors.path, map[string]any{"name": "Owner", "email": fmt.Sprintf("owner%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
		owned[i] = a.Meta.ResourceID
	}

	var mu sync.Mutex
	var writes []*termWrite
	record := func(w *termWrite) {
		mu.Lock()
		defer mu.Unlock()
		writes = append(writes, w)
	}
	stopAt := time.Now().Add(termWriteWindow)
	var wg sync.WaitGroup
	for g := range termWriters {
		wg.Go(func() {
			for i := 0; i < termMaxWrites && time.Now().Before(stopAt); i++ {
				w := fastWrite(c, g, i, owned[g])
				record(w)
				if w.status == 0 && isRefused(w.err) {
					return // the listener is closed: the server is draining or gone
				}
			}
		})
	}
	slowStarted := make(chan struct{}, termSlowWriters)
	for g := range termSlowWriters {
		wg.Go(func() { record(slowCreate(c, g, slowStarted)) })
	}
	time.Sleep(termBefore)
	for range termSlowWriters {
		select {
		case <-slowStarted: // a slow body is on its way
		case <-time.After(termWriteWindow):
			t.Fatalf("a slow create did not start sending its body within %s", termWriteWindow)
		}
	}
	code, took, err := srv.terminate(termShutdownTimeout + 5*time.Second)
	wg.Wait()
	if err != nil || code != 0 {
		t.Fatalf("SIGTERM: exit %d after %s, %v; want 0 within %s\n%s", code, took, err, termShutdownTimeout, srv.logs.tail(20))
	}
	if took > termShutdownTimeout {
		t.Errorf("exit %s after SIGTERM, want within the shutdown timeout %s", took, termShutdownTimeout)
	}

	// The writes' outcomes.
	l := newLedger()
	counts := make(map[string]int)
	for _, w := range writes {
		switch {
		case w.status/100 == 2:
			l.acked(authors, w.op, w.env)
			counts[w.op+" acknowledged"]++
		case w.status == http.StatusServiceUnavailable:
			counts[w.op+" refused with 503"]++
		case w.status == 0:
			counts[fmt.Sprintf("%s refused: %s", w.op, refusal(w.err))]++
		default:
			t.Errorf("%s %s: status %d, want 2xx, 503 or no answer", w.op, w.email, w.status)
		}
	}
	for _, w := range writes {
		if strings.HasPrefix(w.email, "slow") && w.status != http.StatusCreated {
			t.Errorf("slow create %s, in flight at SIGTERM: status %d (%v), want 201 after the drain", w.email, w.status, w.err)
		}
	}
	t.Logf("exit 0 %s after SIGTERM; writes: %v", took.Round(time.Millisecond), counts)
	if counts["create acknowledged"] == 0 || counts["update acknowledged"] == 0 {
		t.Fatalf("too few writes before SIGTERM: %v", counts)
	}

	srv = startServer(t, "restarted server", env...)
	c = newClient(t, srv)
	snap := checkAll(t, c, l, "after SIGTERM and restart", false)
	byEmail := make(map[string]*envelope)
	for _, e := range snap[authors] {
		byEmail[decode[blog.Author](e).Email] = e
	}
	// A write without an answer or with a 503 was not applied: its author
	// does not exist (create) or has only the acknowledged revisions
	// (update: each writer's updates of its author are sequential).
	ackedUpdates := make(map[string]int)
	for _, w := range writes {
		if w.op == "update" && w.status/100 == 2 {
			ackedUpdates[w.id]++
		}
	}
	for _, w := range writes {
		if w.status/100 == 2 {
			continue
		}
		switch w.op {
		case "create":
			if e := byEmail[w.email]; e != nil {
				t.Errorf("create of %s was not answered with 2xx (%d, %v) but the author %s exists", w.email, w.status, w.err, e.Meta.ResourceID)
			}
		case "update":
			if e := snap[authors][w.id]; e.Meta.TotalRevisionCount != 1+ackedUpdates[w.id] {
				t.Errorf("author %s: %d revisions, but 1 create and %d updates were acknowledged: an unanswered update (%d, %v) was applied",
					w.id, e.Meta.TotalRevisionCount, ackedUpdates[w.id], w.status, w.err)
			}
		}
	}
	if code, took, err := srv.terminate(stopTimeout); err != nil || code != 0 {
		t.Errorf("final SIGTERM: exit %d after %s, %v", code, took, err)
	}
}

// fastWrite is write i of fast writer g: a create of a new author, or an
// update of the writer's own author with If-Match from a read.
func fastWrite(c *client, g, i int, own string) *termWrite {
	w := &termWrite{op: "create", email: fmt.Sprintf("term%d-%d@example.com", g, i)}
	var r *reply
	if i%2 == 1 {
		w.op, w.id, w.email = "update", own, fmt.Sprintf("owner%d@example.com", g)
		var cur envelope
		r, w.err = c.expect(200, &cur, "GET", authors.path+"/"+own, nil)
		if w.err != nil {
			if r != nil {
				w.status = r.status
			}
			return w
		}
		a := decode[blog.Author](&cur)
		a.Name = fmt.Sprintf("Owner v%d", i)
		r, w.err = c.send("PUT", authors.path+"/"+own, a, "If-Match", r.header.Get("ETag"))
	} else {
		r, w.err = c.send("POST", authors.path, map[string]any{"name": "Created", "email": w.email})
	}
	if w.err == nil {
		w.status = r.status
		if r.status/100 == 2 {
			w.env = &envelope{}
			if err := json.Unmarshal(r.body, w.env); err != nil {
				w.status, w.err = 0, err
			} else {
				w.id = w.env.Meta.ResourceID
			}
		}
	}
	return w
}

// slowCreate creates an author with a body sent over termSlowBody, and
// signals started once its first bytes are sent.
func slowCreate(c *client, g int, started chan<- struct{}) *termWrite {
	w := &termWrite{op: "create", email: fmt.Sprintf("slow%d@example.com", g)}
	body, _ := json.Marshal(map[string]any{"name": "Slow", "email": w.email, "bio": strings.Repeat("x", 300)})
	const chunks = 15
	req, err := http.NewRequest("POST", c.base+authors.path, &slowReader{data: body, chunk: len(body)/chunks + 1,
		pause: termSlowBody / chunks, started: started})
	if err != nil {
		w.err = err
		return w
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		w.err = err
		return w
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	w.status, w.err = resp.StatusCode, err
	if resp.StatusCode == http.StatusCreated {
		w.env = &envelope{}
		if err := json.Unmarshal(data, w.env); err != nil {
			w.status, w.err = 0, err
		}
	}
	return w
}

// slowReader yields data chunk bytes at a time, pausing before each
// chunk but the first; started is signalled after the first.
type slowReader struct {
	data    []byte
	chunk   int
	pause   time.Duration
	started chan<- struct{}
	reads   int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.reads > 0 {
		time.Sleep(r.pause)
	}
	n := copy(p, r.data[:min(r.chunk, len(r.data))])
	r.data = r.data[n:]
	if r.reads == 0 {
		r.started <- struct{}{}
	}
	r.reads++
	return n, nil
}

// isRefused reports whether err is a refused connection: the server's
// listener is closed.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// refusal names the kind of a transport error, for the log.
func refusal(err error) string {
	switch {
	case isRefused(err):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "closed before an answer"
	}
	return "other transport error"
}
