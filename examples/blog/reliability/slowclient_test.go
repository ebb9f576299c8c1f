package reliability

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
)

// Bounds of the slow-client test.
const (
	slowReadTimeout = time.Second     // the server's -read-timeout
	slowAttack      = 3 * time.Second // how long the attackers keep reconnecting
	slowLoris       = 40              // concurrent slowloris connections
	slowBodies      = 20              // concurrent slow-body connections
	slowTrickle     = 250 * time.Millisecond
	slowCutSlack    = 1500 * time.Millisecond // a cut may come this late after the timeout on a busy machine
	slowMaxConnLife = 10 * time.Second        // an attacking connection is abandoned after this
	// A request of the probe client during the attack is "prompt" under
	// these; its latency before the attack is logged for comparison.
	probeMaxP99 = 500 * time.Millisecond
	probeMaxAll = 2 * time.Second
)

// cut is how one attacking connection ended.
type cut struct {
	kind   string        // "slowloris", "slow body"
	after  time.Duration // from the dial to the server's close or answer
	status int           // of the answer, 0 when the server only closed
	sent   int           // bytes the attacker had sent
}

// TestSlowClients attacks a server whose read timeout is 1s with
// slowloris connections (a request's headers sent one byte at a time)
// and slow bodies (a create whose body trickles in), and checks that the
// server cuts each of them at the read timeout, creates nothing from a
// cut body, and meanwhile serves a probe client promptly.
func TestSlowClients(t *testing.T) {
	needServer(t)
	srv := startServer(t, "server", "SPECSTAR_DATABASE_URL=sqlite:"+filepath.Join(t.TempDir(), "blog.db"),
		"SPECSTAR_READ_TIMEOUT="+slowReadTimeout.String())
	c := newClient(t, srv)
	var author envelope
	if _, err := c.expect(201, &author, "POST", authors.path, map[string]any{"name": "Probe", "email": "probe@example.com"}); err != nil {
		t.Fatal(err)
	}
	quiet := probe(c, author.Meta.ResourceID, time.Second, "quiet")

	stop := time.Now().Add(slowAttack)
	var mu sync.Mutex
	var cuts []cut
	var errs []error
	var wg sync.WaitGroup
	attack := func(kind string, conns int, one func(addr string, n int) (cut, error)) {
		for i := range conns {
			wg.Go(func() {
				for n := 0; time.Now().Before(stop); n++ {
					ct, err := one(srv.addr, i*1000+n)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						ct.kind = kind
						cuts = append(cuts, ct)
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			})
		}
	}
	attack("slowloris", slowLoris, slowloris)
	attack("slow body", slowBodies, slowBody)
	time.Sleep(200 * time.Millisecond) // every attacker connected
	during := probe(c, author.Meta.ResourceID, slowAttack-500*time.Millisecond, "attack")
	wg.Wait()

	for _, err := range errs {
		t.Error(err)
	}
	byKind := make(map[string][]time.Duration)
	statuses := make(map[string]int) // "slow body 400", "slowloris close"
	for _, ct := range cuts {
		byKind[ct.kind] = append(byKind[ct.kind], ct.after)
		if ct.status == 0 {
			statuses[ct.kind+" close"]++
		} else {
			statuses[fmt.Sprintf("%s %d", ct.kind, ct.status)]++
		}
		if ct.after < slowReadTimeout-100*time.Millisecond || ct.after > slowReadTimeout+slowCutSlack {
			t.Errorf("%s connection ended after %s (%d bytes sent, status %d), want at the %s read timeout",
				ct.kind, ct.after.Round(time.Millisecond), ct.sent, ct.status, slowReadTimeout)
		}
		if ct.status != 0 && ct.status != http.StatusBadRequest && ct.status != http.StatusRequestTimeout {
			t.Errorf("%s connection answered %d, want a close, 400 or 408", ct.kind, ct.status)
		}
	}
	for _, kind := range []string{"slowloris", "slow body"} {
		d := byKind[kind]
		slices.Sort(d)
		if len(d) == 0 {
			t.Errorf("no %s connection was cut", kind)
			continue
		}
		t.Logf("%s: %d connections cut after %s (median) to %s (max)", kind, len(d), d[len(d)/2].Round(time.Millisecond), d[len(d)-1].Round(time.Millisecond))
	}
	t.Logf("how the server ended them: %v", statuses)
	t.Logf("probe before the attack: %s", quiet)
	t.Logf("probe during the attack: %s", during)
	if during.errors > 0 {
		t.Errorf("probe during the attack: %d requests failed: %s", during.errors, during.firstErr)
	}
	if during.p99 > probeMaxP99 || during.max > probeMaxAll {
		t.Errorf("probe during the attack: p99 %s, max %s; want under %s and %s", during.p99, during.max, probeMaxP99, probeMaxAll)
	}
	// Nothing of a cut body was stored: the only authors are the probe's.
	snap, err := takeSnapshot(c)
	if err != nil {
		t.Fatal(err)
	}
	for id, e := range snap[authors] {
		if a := decode[blog.Author](e); strings.HasPrefix(a.Email, "slow") {
			t.Errorf("author %s (%s) was created from a body cut by the read timeout", id, a.Email)
		}
	}
	if code, took, err := srv.terminate(stopTimeout); err != nil || code != 0 {
		t.Errorf("SIGTERM: exit %d after %s, %v\n%s", code, took, err, srv.logs.tail(20))
	}
}

// slowloris opens a connection and sends a request's headers one byte
// per slowTrickle, never finishing them, until the server ends the
// connection.
func slowloris(addr string, n int) (cut, error) {
	req := fmt.Sprintf("GET /api/authors HTTP/1.1\r\nHost: %s\r\nX-Slow-%d: ", addr, n) + strings.Repeat("a", 1000)
	return trickle(addr, "", req)
}

// slowBody sends a create's headers at once and its body one byte per
// slowTrickle: a body the server must stop waiting for.
func slowBody(addr string, n int) (cut, error) {
	body := fmt.Sprintf(`{"name": "Slow %d", "email": "slow%d@example.com", "bio": "%s"}`, n, n, strings.Repeat("b", 200))
	head := fmt.Sprintf("POST /api/authors HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	return trickle(addr, head, body)
}

// trickle dials addr, sends head at once and then slow one byte per
// slowTrickle, and reports when and how the server ended the connection.
// It is an error if the server never does within slowMaxConnLife.
func trickle(addr, head, slow string) (cut, error) {
	start := time.Now()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return cut{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(start.Add(slowMaxConnLife))
	done := make(chan cut, 1)
	go func() {
		// The server's answer, if any, then its close.
		ct := cut{}
		if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err == nil {
			ct.status = resp.StatusCode
			resp.Body.Close()
		}
		ct.after = time.Since(start)
		done <- ct
	}()
	sent := 0
	if head != "" {
		if _, err := conn.Write([]byte(head)); err != nil {
			return cut{}, fmt.Errorf("send headers: %v", err)
		}
		sent += len(head)
	}
	tick := time.NewTicker(slowTrickle)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case ct := <-done:
			ct.sent = sent
			return ct, nil
		case <-tick.C:
		}
		if i == len(slow) {
			return cut{}, fmt.Errorf("the server read all %d slow bytes without cutting the connection", len(slow))
		}
		if _, err := conn.Write([]byte{slow[i]}); err != nil {
			ct := <-done // the write failed: the server closed; the reader sees it too
			ct.sent = sent
			return ct, nil
		}
		sent++
		if time.Since(start) > slowMaxConnLife {
			return cut{}, fmt.Errorf("the server kept a trickling connection open for %s", slowMaxConnLife)
		}
	}
}

// probeResult is what the probe client measured.
type probeResult struct {
	requests, errors int
	firstErr         string
	p50, p99, max    time.Duration
}

func (p probeResult) String() string {
	return fmt.Sprintf("%d requests, %d errors, p50 %s, p99 %s, max %s", p.requests, p.errors,
		p.p50.Round(10*time.Microsecond), p.p99.Round(10*time.Microsecond), p.max.Round(10*time.Microsecond))
}

// probe alternates reads of an author and small lists, one request at a
// time, for d (at most 2000 requests) and measures their latency.
func probe(c *client, id string, d time.Duration, label string) probeResult {
	var res probeResult
	var lat []time.Duration
	end := time.Now().Add(d)
	for i := 0; i < 2000 && time.Now().Before(end); i++ {
		path := authors.path + "/" + id
		if i%2 == 1 {
			path = authors.path + "?limit=5"
		}
		t0 := time.Now()
		r, err := c.send("GET", path, nil)
		lat = append(lat, time.Since(t0))
		res.requests++
		if err == nil && r.status != 200 {
			err = &errStatus{r}
		}
		if err != nil {
			res.errors++
			if res.firstErr == "" {
				res.firstErr = label + ": " + err.Error()
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		res.p50 = lat[len(lat)/2]
		res.p99 = lat[min(len(lat)-1, len(lat)*99/100)]
		res.max = lat[len(lat)-1]
	}
	return res
}
