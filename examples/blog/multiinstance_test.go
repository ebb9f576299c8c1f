package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// Bounds of the multi-instance test.
const (
	buildTimeout    = 5 * time.Minute
	startTimeout    = time.Minute // until every instance answers /readyz
	requestTimeout  = 30 * time.Second
	stopTimeout     = 15 * time.Second // graceful shutdown, before SIGKILL
	subscribeWindow = 15 * time.Second // until a subscription sees a remote change
)

// TestMultiInstance runs three blog server processes on one PostgreSQL
// schema and checks what must hold across them: If-Match and unique
// values are enforced by the database, a write is visible at once on
// every instance, and GraphQL subscriptions see the changes made on other
// instances.
func TestMultiInstance(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-instance test skipped in -short mode: it builds the blog server and runs three processes")
	}
	dbURL := pgtest.SchemaURL(t, pgtest.URL(t))
	bin := buildBlog(t)
	// Started together, so that the instances migrate the fresh schema
	// concurrently, as a deployment's instances do.
	insts := startInstances(t, bin, dbURL, 3)
	hc := &http.Client{
		Timeout:   requestTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 200, MaxConnsPerHost: 200},
	}
	t.Cleanup(hc.CloseIdleConnections)
	// One admin, made with the binary's users subcommand; the token one
	// instance issues is good on every instance (they share the key).
	token = adminToken(t, bin, dbURL, insts[0].url)
	clients := func(t *testing.T) []*client {
		out := make([]*client, len(insts))
		for i, in := range insts {
			out[i] = &client{t: t, base: in.url, hc: hc, token: token}
		}
		return out
	}
	t.Run("if-match", func(t *testing.T) { testMultiIfMatch(t, clients(t)) })
	t.Run("unique", func(t *testing.T) { testMultiUnique(t, clients(t)) })
	t.Run("read after write", func(t *testing.T) { testMultiReadAfterWrite(t, clients(t)) })
	t.Run("subscription", func(t *testing.T) { testMultiSubscription(t, clients(t)) })
}

// testMultiIfMatch sends 3 x 50 concurrent read-then-PUT updates with
// If-Match of one author, spread over the instances: each accepted write
// has its own parent (the revision its writer read), the others get 412,
// and the revision chain holds exactly the accepted writes.
func testMultiIfMatch(t *testing.T, cs []*client) {
	const perInstance = 50
	id := cs[0].createAuthor("Contended", "contended@example.com")
	body := func(name string) map[string]any {
		return map[string]any{"name": name, "email": "contended@example.com"}
	}
	type result struct {
		name string
		read string // revision id the writer read and sent as If-Match
		resp *response
		err  error
		inst int
	}
	results := make([]result, perInstance*len(cs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range results {
		wg.Go(func() {
			res := &results[i]
			res.inst = i % len(cs)
			c := cs[res.inst]
			res.name = fmt.Sprintf("Writer %03d", i)
			<-start
			// Spread the writers over a second, so that writes interleave
			// with reads rather than all reading revision 1.
			time.Sleep(time.Duration(i*37%50) * 20 * time.Millisecond)
			read, err := c.send("GET", "/api/authors/"+id, nil)
			if err != nil {
				res.err = fmt.Errorf("read: %w", err)
				return
			}
			if read.Status != http.StatusOK {
				res.err = fmt.Errorf("read: status %d: %s", read.Status, short(read.Body))
				return
			}
			v, _ := lookup(read.JSON, "revision_info.revision_id")
			res.read, _ = v.(string)
			res.resp, res.err = c.send("PUT", "/api/authors/"+id, body(res.name), "If-Match", read.Header.Get("ETag"))
		})
	}
	close(start)
	wg.Wait()

	accepted := make(map[string]string) // revision id -> name written
	parents := make(map[string]string)  // parent revision id -> revision written on it
	perInst := make([]int, len(cs))
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("writer %d: %v", i, res.err)
		}
		switch res.resp.Status {
		case http.StatusOK:
			revID := res.resp.str(t, "revision_info.revision_id")
			parent, _ := res.resp.get(t, "revision_info.parent_revision_id").(string)
			if parent != res.read {
				t.Errorf("writer %d: parent %q, want the revision it read, %q", i, parent, res.read)
			}
			if other, dup := parents[parent]; dup {
				t.Errorf("writer %d: revisions %s and %s share the parent %s", i, other, revID, parent)
			}
			if _, dup := accepted[revID]; dup {
				t.Errorf("writer %d: revision %s reported twice", i, revID)
			}
			parents[parent] = revID
			accepted[revID] = res.name
			perInst[res.inst]++
		case http.StatusPreconditionFailed:
			checkProblem(t, res.resp, http.StatusPreconditionFailed, "PRECONDITION_FAILED")
		default:
			t.Errorf("writer %d: status %d, want 200 or 412: %s", i, res.resp.Status, short(res.resp.Body))
		}
	}
	if len(accepted) == 0 {
		t.Fatal("no write accepted")
	}
	t.Logf("%d of %d writes accepted (per instance %v), the rest got 412", len(accepted), len(results), perInst)

	// Every instance reports the same current revision and count.
	var current string
	for i, c := range cs {
		r := c.must(http.StatusOK, "GET", "/api/authors/"+id, nil)
		if n := r.num(t, "meta.total_revision_count"); n != len(accepted)+1 {
			t.Errorf("instance %d: total_revision_count %d, want %d accepted + 1", i, n, len(accepted))
		}
		cur := r.str(t, "meta.current_revision_id")
		if i > 0 && cur != current {
			t.Errorf("instance %d: current revision %s, instance 0 says %s", i, cur, current)
		}
		current = cur
	}
	// Nothing lost: the chain from the current revision back to revision
	// 1 is exactly the accepted revisions, each with its writer's data.
	seen := 0
	for revID := current; ; {
		r := cs[seen%len(cs)].must(http.StatusOK, "GET", "/api/authors/"+id+"/revisions/"+url.PathEscape(revID), nil)
		parent, _ := r.get(t, "revision_info.parent_revision_id").(string)
		if parent == "" {
			if revID != rev(id, 1) {
				t.Errorf("chain ends at %s, want %s", revID, rev(id, 1))
			}
			break
		}
		name, ok := accepted[revID]
		if !ok {
			t.Fatalf("revision %s on the chain was not reported to any writer", revID)
		}
		if got := r.str(t, "data.name"); got != name {
			t.Errorf("revision %s holds %q, its writer wrote %q", revID, got, name)
		}
		seen++
		revID = parent
	}
	if seen != len(accepted) {
		t.Errorf("chain holds %d accepted revisions, want %d", seen, len(accepted))
	}
}

// testMultiUnique creates one unique email 100 times at once across the
// instances: exactly one create succeeds.
func testMultiUnique(t *testing.T, cs []*client) {
	const creates = 100
	const email = "unique@example.com"
	resps := make([]*response, creates)
	errs := make([]error, creates)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range creates {
		wg.Go(func() {
			<-start
			resps[i], errs[i] = cs[i%len(cs)].send("POST", "/api/authors",
				map[string]any{"name": fmt.Sprintf("Author %03d", i), "email": email})
		})
	}
	close(start)
	wg.Wait()
	created := 0
	for i, r := range resps {
		if errs[i] != nil {
			t.Fatalf("create %d: %v", i, errs[i])
		}
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			wantFields(t, fmt.Sprintf("create %d", i), checkProblem(t, r, http.StatusConflict, "CONFLICT"), []string{"email"})
		default:
			t.Errorf("create %d: status %d, want 201 or 409: %s", i, r.Status, short(r.Body))
		}
	}
	if created != 1 {
		t.Errorf("%d creates succeeded, want exactly 1", created)
	}
	for i, c := range cs {
		r := c.must(http.StatusOK, "GET", "/api/authors?limit=1000", nil)
		n := 0
		for j := range r.list(t, "items") {
			if r.str(t, fmt.Sprintf("items.%d.data.email", j)) == email {
				n++
			}
		}
		if n != 1 {
			t.Errorf("instance %d lists %d authors with the email, want 1", i, n)
		}
	}
}

// testMultiReadAfterWrite writes on each instance in turn and reads the
// result back at once from the two others.
func testMultiReadAfterWrite(t *testing.T, cs []*client) {
	id := cs[0].createAuthor("Reader", "reader@example.com")
	for i := range 30 {
		w := i % len(cs)
		name := fmt.Sprintf("Version %02d", i)
		r := cs[w].must(http.StatusOK, "PUT", "/api/authors/"+id, map[string]any{"name": name, "email": "reader@example.com"})
		tag := r.Header.Get("ETag")
		for j, c := range cs {
			if j == w {
				continue
			}
			got := c.must(http.StatusOK, "GET", "/api/authors/"+id, nil)
			if got.Header.Get("ETag") != tag || got.str(t, "data.name") != name {
				t.Errorf("write %d on instance %d: instance %d reads ETag %s name %q, want %s %q",
					i, w, j, got.Header.Get("ETag"), got.str(t, "data.name"), tag, name)
			}
			c.must(http.StatusNotModified, "GET", "/api/authors/"+id, nil, "If-None-Match", tag)
		}
	}
}

// testMultiSubscription subscribes to post changes on instance B over
// Server-Sent Events and changes posts on instances C and A.
func testMultiSubscription(t *testing.T, cs []*client) {
	a, b, c := cs[0], cs[1], cs[2]
	author := c.createAuthor("Subscriber", "subscriber@example.com")
	events := subscribeSSE(t, b.base)

	// The stream answers before the subscription is registered: create
	// probe posts on C until B reports one.
	probes := make(map[string]bool)
	deadline := time.After(subscribeWindow)
	for first := false; !first; {
		id := c.createPost(fmt.Sprintf("Probe %d", len(probes)), fmt.Sprintf("probe-%d", len(probes)), author)
		probes[id] = true
		select {
		case e := <-events:
			if !probes[e.PostChanged.ID] || e.PostChanged.Kind != "CREATED" {
				t.Fatalf("first event %+v is not the creation of a probe", e.PostChanged)
			}
			first = true
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no event on instance B within %s of creating posts on instance C", subscribeWindow)
		}
	}
	id := c.createPost("From C", "from-c", author)
	b.must(http.StatusOK, "GET", "/api/posts/"+id, nil)
	a.must(http.StatusOK, "PUT", "/api/posts/"+id, postBody("Updated on A", "from-c", author))
	want := [][3]string{{"CREATED", id, "From C"}, {"UPDATED", id, "Updated on A"}}
	for _, w := range want {
		for {
			var e changeEvent
			select {
			case e = <-events:
			case <-time.After(subscribeWindow):
				t.Fatalf("no %v event on instance B within %s", w, subscribeWindow)
			}
			if probes[e.PostChanged.ID] && e.PostChanged.Kind == "CREATED" {
				continue // a probe created before the subscription took effect
			}
			title := ""
			if e.PostChanged.Post != nil {
				title = e.PostChanged.Post.Data.Title
			}
			if got := [3]string{e.PostChanged.Kind, e.PostChanged.ID, title}; got != w {
				t.Fatalf("event %v, want %v", got, w)
			}
			break
		}
	}
}

// subscribeSSE subscribes to every post change of the server at base
// with Server-Sent Events and returns the events; the stream ends with
// the test.
func subscribeSSE(t *testing.T, base string) <-chan changeEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	body := mustMarshal(t, map[string]any{"query": changesQuery})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("SSE: status %d", resp.StatusCode)
	}
	sub := &sseSubscription{cancel: cancel, resp: resp, lines: bufio.NewScanner(resp.Body)}
	out := make(chan changeEvent, 100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			e, err := sub.next()
			if err != nil {
				return
			}
			select {
			case out <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	t.Cleanup(func() {
		sub.close()
		<-done
	})
	return out
}

// token is the admin's access token of TestMultiInstance.
var token string

// adminToken makes an admin in the database at dbURL with the server
// binary's users subcommand and logs in on the server at base.
func adminToken(t *testing.T, bin, dbURL, base string) string {
	t.Helper()
	const email, password = "multi-admin@example.com", "multi instance password"
	cmd := exec.Command(bin, "users", "create", email, "--role", "admin")
	cmd.Env = append(hermeticEnv(), "SPECSTAR_DATABASE_URL="+dbURL, "SPECSTAR_DATA_DIR="+t.TempDir())
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("users create: %v\n%s", err, out)
	}
	c := &client{t: t, base: base, hc: http.DefaultClient}
	r := c.do("POST", "/api/auth/login", map[string]string{"email": email, "password": password})
	if r.Status != http.StatusOK {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return r.JSON.(map[string]any)["access_token"].(string)
}

// buildBlog builds the blog server into a temporary directory.
func buildBlog(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the server: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "blog")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// instance is one running server process.
type instance struct {
	name   string
	cmd    *exec.Cmd
	url    string
	logs   *lineLog
	exited chan struct{} // closed when the process has exited
	err    error         // of Wait, set before exited closes
}

// lineLog keeps the lines a process writes, for failure messages.
type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, s)
}

// tail returns the last n lines.
func (l *lineLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}

// startInstances starts n server processes on the database at dbURL, on
// free loopback ports, waits until each answers /readyz, and stops them
// (SIGTERM, then SIGKILL after stopTimeout) when t ends. A process that
// does not exit cleanly fails the test.
func startInstances(t *testing.T, bin, dbURL string, n int) []*instance {
	t.Helper()
	insts := make([]*instance, n)
	addrs := make([]chan string, n)
	for i := range insts {
		addrs[i] = make(chan string, 1)
		insts[i] = startInstance(t, bin, fmt.Sprintf("instance %c", 'A'+i), dbURL, addrs[i])
	}
	deadline := time.After(startTimeout)
	for i, in := range insts {
		select {
		case addr := <-addrs[i]:
			in.url = "http://" + addr
		case <-in.exited:
			t.Fatalf("%s exited at startup: %v\n%s", in.name, in.err, in.logs.tail(30))
		case <-deadline:
			t.Fatalf("%s did not listen within %s\n%s", in.name, startTimeout, in.logs.tail(30))
		}
	}
	for _, in := range insts {
		waitReady(t, in, time.Now().Add(startTimeout))
	}
	return insts
}

// startInstance starts one process; its listening address is sent on
// addr once it logs it.
func startInstance(t *testing.T, bin, name, dbURL string, addr chan<- string) *instance {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(hermeticEnv(),
		"SPECSTAR_DATABASE_URL="+dbURL,
		"SPECSTAR_ADDR=127.0.0.1:0",
		"SPECSTAR_DATA_DIR="+t.TempDir(),
		"SPECSTAR_LOG_LEVEL=info",
		"SPECSTAR_SHUTDOWN_TIMEOUT=5s",
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{name: name, cmd: cmd, logs: &lineLog{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			in.logs.add(line)
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if !sent && json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
				sent = true
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		in.err = cmd.Wait()
		close(in.exited)
	}()
	t.Cleanup(func() { stopInstance(t, in) })
	return in
}

// hermeticEnv returns the environment without SPECSTAR_* variables, so
// that the developer's settings do not leak into the test processes.
func hermeticEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "SPECSTAR_") })
}

// waitReady polls /readyz until it answers 200.
func waitReady(t *testing.T, in *instance, deadline time.Time) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := hc.Get(in.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s: %v\n%s", in.name, startTimeout, err, in.logs.tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopInstance stops a process gracefully, or kills it after
// stopTimeout; a process that does not exit with status 0 after SIGTERM
// fails the test.
func stopInstance(t *testing.T, in *instance) {
	select {
	case <-in.exited:
		t.Errorf("%s exited before the end of the test: %v\n%s", in.name, in.err, in.logs.tail(30))
		return
	default:
	}
	_ = in.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-in.exited:
		if in.err != nil {
			t.Errorf("%s: unclean exit after SIGTERM: %v\n%s", in.name, in.err, in.logs.tail(30))
		}
	case <-time.After(stopTimeout):
		_ = in.cmd.Process.Kill()
		<-in.exited
		t.Errorf("%s did not stop within %s of SIGTERM; killed\n%s", in.name, stopTimeout, in.logs.tail(30))
	}
}
