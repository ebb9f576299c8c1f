package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Bounds of the suite's processes and requests.
const (
	buildTimeout   = 5 * time.Minute
	startTimeout   = time.Minute // until a started server answers /readyz
	requestTimeout = 20 * time.Second
	stopTimeout    = 20 * time.Second // from SIGTERM to exit, before SIGKILL
)

// blogBin is the server binary TestMain builds; empty under -short.
var blogBin string

// TestMain builds the blog server once for every test of the package.
func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "specstar-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	blogBin = filepath.Join(dir, "blog")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", blogBin, "github.com/specstar-go/specstar/examples/blog").CombinedOutput()
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build examples/blog: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// needServer skips t under -short: every test here runs server processes.
func needServer(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("reliability suite skipped in -short mode: it builds the blog server and runs it as a process")
	}
}

// server is one running blog server process.
type server struct {
	name   string
	cmd    *exec.Cmd
	base   string // "http://127.0.0.1:port"
	addr   string // "127.0.0.1:port"
	logs   *tailLog
	exited chan struct{} // closed when the process has exited
	state  *os.ProcessState
	err    error // of Wait; both set before exited closes
	// token is an admin's access token for the server's database: the
	// blog has permission rules, and the workloads write as an admin.
	token string
}

// The admin the workloads act as, made in every database with the
// server's own users subcommand before the server starts.
const (
	adminEmail    = "reliability-admin@example.com"
	adminPassword = "reliability admin password"
	// authSecret signs the access tokens of every server, so that a token
	// stays valid across restarts and instances.
	authSecret = "SPECSTAR_AUTH_SECRET=reliability-suite-secret-0123456789abcdef"
)

// tailLog keeps the last lines a process wrote, for failure messages.
type tailLog struct {
	mu    sync.Mutex
	lines []string
}

const tailLines = 200

func (l *tailLog) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == tailLines {
		l.lines = slices.Delete(l.lines, 0, 1)
	}
	l.lines = append(l.lines, s)
}

// tail returns the last n lines.
func (l *tailLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-n):], "\n")
}

// startServer starts the blog server on a free loopback port with the
// SPECSTAR_* settings env (the caller's own SPECSTAR_* variables are
// dropped; the data directory is a fresh temporary one unless env sets
// it) and waits until it answers /readyz. A server still running
// when t ends is killed.
func startServer(t *testing.T, name string, env ...string) *server {
	t.Helper()
	cmd := exec.Command(blogBin)
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "SPECSTAR_") }),
		"SPECSTAR_ADDR=127.0.0.1:0", "SPECSTAR_LOG_LEVEL=info", "SPECSTAR_DATA_DIR="+t.TempDir(), authSecret)
	cmd.Env = append(cmd.Env, env...) // later values win
	makeAdmin(t, cmd.Env)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{name: name, cmd: cmd, logs: &tailLog{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			s.logs.add(line)
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
		s.err = cmd.Wait()
		s.state = cmd.ProcessState
		close(s.exited)
	}()
	t.Cleanup(func() { s.kill() })
	select {
	case s.addr = <-addr:
		s.base = "http://" + s.addr
	case <-s.exited:
		t.Fatalf("%s exited at startup: %v\n%s", name, s.err, s.logs.tail(30))
	case <-time.After(startTimeout):
		t.Fatalf("%s did not listen within %s\n%s", name, startTimeout, s.logs.tail(30))
	}
	s.waitReady(t)
	s.token = s.login(t)
	return s
}

// makeAdmin creates the workloads' admin in the database of the server
// environment env, unless a previous start did.
func makeAdmin(t *testing.T, env []string) {
	t.Helper()
	cmd := exec.Command(blogBin, "users", "create", adminEmail, "--role", "admin")
	cmd.Env = env
	cmd.Stdin = strings.NewReader(adminPassword + "\n")
	out, err := cmd.CombinedOutput()
	if err != nil && !strings.Contains(string(out), "already") {
		t.Fatalf("users create: %v\n%s", err, out)
	}
}

// login returns an access token of the workloads' admin.
func (s *server) login(t *testing.T) string {
	t.Helper()
	var tokens struct {
		AccessToken string `json:"access_token"`
	}
	c := &client{base: s.base, hc: &http.Client{Timeout: requestTimeout}}
	if _, err := c.expect(http.StatusOK, &tokens, "POST", "/api/auth/login",
		map[string]string{"email": adminEmail, "password": adminPassword}); err != nil {
		t.Fatalf("%s: login: %v", s.name, err)
	}
	return tokens.AccessToken
}

// waitReady polls /readyz until it answers 200.
func (s *server) waitReady(t *testing.T) {
	t.Helper()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := hc.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within %s: %v\n%s", s.name, startTimeout, err, s.logs.tail(30))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running reports whether the process has not exited.
func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to end.
func (s *server) kill() {
	if !s.running() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// terminate sends SIGTERM and waits up to timeout for the process to
// exit. It returns the exit code and how long the exit took, or an error
// when the process had to be killed or died of a signal.
func (s *server) terminate(timeout time.Duration) (code int, took time.Duration, err error) {
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, 0, fmt.Errorf("SIGTERM %s: %w", s.name, err)
	}
	select {
	case <-s.exited:
	case <-time.After(timeout):
		s.kill()
		return 0, time.Since(start), fmt.Errorf("%s did not exit within %s of SIGTERM; killed", s.name, timeout)
	}
	took = time.Since(start)
	if ws, ok := s.state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 0, took, fmt.Errorf("%s died of %s", s.name, ws.Signal())
	}
	return s.state.ExitCode(), took, nil
}

// client sends requests to one server. Its methods are safe for
// concurrent use.
type client struct {
	base  string
	token string // sent as a bearer token when set
	hc    *http.Client
}

// newClient returns a client of the server s, acting as the workloads'
// admin, with its own connection pool.
func newClient(t *testing.T, s *server) *client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{base: s.base, token: s.token, hc: &http.Client{Timeout: requestTimeout, Transport: tr}}
}

// reply is a received answer.
type reply struct {
	req    string // "METHOD /path", for messages
	status int
	header http.Header
	body   []byte
}

// send performs one request. body is nil or a value sent as its JSON
// encoding; header holds name, value pairs. The error is a transport
// error: no answer was received.
func (c *client) send(method, path string, body any, header ...string) (*reply, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return &reply{req: method + " " + path, status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// errStatus is an answer with an unexpected status.
type errStatus struct{ r *reply }

func (e *errStatus) Error() string {
	return fmt.Sprintf("%s: status %d: %s", e.r.req, e.r.status, short(e.r.body))
}

// expect performs a request and decodes the JSON answer into out (when
// non-nil); an answer with another status than want is an *errStatus.
func (c *client) expect(want int, out any, method, path string, body any, header ...string) (*reply, error) {
	r, err := c.send(method, path, body, header...)
	if err != nil {
		return nil, err
	}
	if r.status != want {
		return r, &errStatus{r}
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return r, fmt.Errorf("%s: %v: %s", r.req, err, short(r.body))
		}
	}
	return r, nil
}

// short returns the start of a body for messages.
func short(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// problemFields returns the field names of a problem+json answer.
func problemFields(body []byte) []string {
	var p struct {
		Code   string `json:"code"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &p) != nil {
		return nil
	}
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// problemCode returns the code of a problem+json answer.
func problemCode(body []byte) string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Code
}

// decodeRaw returns data decoded as a T (its zero value when data does
// not decode; the canonical check reports that).
func decodeRaw[T any](data []byte) T {
	var v T
	_ = json.Unmarshal(data, &v)
	return v
}
