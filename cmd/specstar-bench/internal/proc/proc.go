// Package proc starts and stops the server processes specstar-bench
// measures, and reads their resource usage from Linux's /proc: resident
// memory (VmRSS, and the peak VmHWM, which clear_refs resets) and CPU time
// (utime + stime of every thread). A server that runs as a tree of
// processes (a master and its workers: gunicorn, uvicorn) is measured as
// the sum over the tree.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports (the kernel exports a
// fixed value to user space whatever its internal HZ).
const clockTicks = 100

// Process is a started server process.
type Process struct {
	Name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error // the Wait error, valid once done is closed
	// tree says the process leads a process group of workers: it is
	// measured, and killed, as a whole.
	tree bool
}

// Start starts path with args and env (added to the current environment)
// in dir, with stdout and stderr appended to logPath.
func Start(name, path string, args, env []string, dir, logPath string) (*Process, error) {
	return start(name, path, args, env, dir, logPath, false)
}

// StartTree is Start for a server that runs as a tree of processes (a
// master and its workers). The process leads a new process group: Kill,
// and Stop once the master has exited or timed out, kill the whole group,
// so that no worker outlives the run; Stats and ResetPeak cover the tree.
func StartTree(name, path string, args, env []string, dir, logPath string) (*Process, error) {
	return start(name, path, args, env, dir, logPath, true)
}

// start starts a process, in a new process group when tree is set.
func start(name, path string, args, env []string, dir, logPath string, tree bool) (*Process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if tree {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, log: log, done: make(chan struct{}), tree: tree}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, and its Wait error.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// Stop asks the process to shut down with SIGTERM and waits up to
// timeout for it to exit, then kills it. It returns an error when the
// process had to be killed or exited with a failure status; a process
// that already exited on its own is reported as such.
func (p *Process) Stop(timeout time.Duration) error {
	if exited, err := p.Exited(); exited {
		if err != nil {
			return fmt.Errorf("%s had exited: %w", p.Name, err)
		}
		return fmt.Errorf("%s had exited", p.Name)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	select {
	case <-p.done:
		p.killGroup() // workers the master left behind
		var ee *exec.ExitError
		if errors.As(p.err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() {
			return nil // died of the SIGTERM itself: no handler, still a clean stop
		}
		if p.err != nil {
			return fmt.Errorf("stop %s: %w", p.Name, p.err)
		}
		return nil
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		p.killGroup()
		<-p.done
		return fmt.Errorf("stop %s: no exit %s after SIGTERM; killed", p.Name, timeout)
	}
}

// Kill kills the process (and, for a tree, its process group) at once and
// waits for it.
func (p *Process) Kill() {
	p.killGroup()
	if exited, _ := p.Exited(); exited {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// killGroup kills what is left of a tree's process group. The group's id
// is the master's pid, which stays reserved while a member lives.
func (p *Process) killGroup() {
	if p.tree {
		_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	}
}

// Stats is a snapshot of a process's resource usage.
type Stats struct {
	// RSS is the resident set size now, bytes: VmRSS of one process. For
	// a tree it is the sum of every process's proportional set size (Pss:
	// each page shared by n processes counts 1/n in each), so that memory
	// the workers share (the interpreter, pages a fork did not copy) is
	// counted once; a sum of VmRSS would count it in every worker.
	RSS int64
	// Peak is the peak resident set size (VmHWM), bytes; for a tree, the
	// sum of each process's peak (an upper bound: the peaks need not
	// coincide, and shared pages count in each).
	Peak int64
	// CPU is the user + system CPU time of all threads so far; for a tree,
	// of every process in it and of the children its processes reaped.
	CPU   time.Duration
	Procs int // processes measured: 1, or the size of the tree
}

// Stats reads the process's current resource usage.
func (p *Process) Stats() (Stats, error) {
	if p.tree {
		return ReadTreeStats(p.Pid())
	}
	return ReadStats(p.Pid())
}

// ResetPeak resets the peak resident set size (VmHWM) to the current
// one, so that the next Stats reports the peak since now, for every
// process of a tree. It needs Linux 4.0 or later and permission to write
// /proc/<pid>/clear_refs, which the parent of a process has (and the
// owner of its workers).
func (p *Process) ResetPeak() error {
	pids := []int{p.Pid()}
	if p.tree {
		var err error
		if pids, err = Tree(p.Pid()); err != nil {
			return fmt.Errorf("reset peak RSS of %s: %w", p.Name, err)
		}
	}
	for _, pid := range pids {
		path := fmt.Sprintf("/proc/%d/clear_refs", pid)
		if err := os.WriteFile(path, []byte("5"), 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("reset peak RSS of %s: %w", p.Name, err)
		}
	}
	return nil
}

// ReadStats reads the resource usage of process pid.
func ReadStats(pid int) (Stats, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Stats{}, fmt.Errorf("read stats of %d: %w", pid, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Stats{}, fmt.Errorf("read stats of %d: %w", pid, err)
	}
	s := Stats{Procs: 1}
	if s.RSS, s.Peak, err = parseStatus(status); err != nil {
		return Stats{}, fmt.Errorf("read stats of %d: %w", pid, err)
	}
	if s.CPU, err = parseStat(stat); err != nil {
		return Stats{}, fmt.Errorf("read stats of %d: %w", pid, err)
	}
	return s, nil
}

// parseStatus returns VmRSS and VmHWM, in bytes, from the content of
// /proc/<pid>/status.
func parseStatus(data []byte) (rss, hwm int64, err error) {
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		n, err := parseKB(value)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc status %s: %w", key, err)
		}
		if key == "VmRSS" {
			rss = n
		} else {
			hwm = n
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("/proc status: no VmRSS or VmHWM line")
	}
	return rss, hwm, nil
}

// parseKB parses a "  1234 kB" value into bytes.
func parseKB(v string) (int64, error) {
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("unexpected value %q", strings.TrimSpace(v))
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("unexpected value %q", strings.TrimSpace(v))
	}
	return n * 1024, nil
}

// parseStat returns utime + stime from the content of /proc/<pid>/stat.
func parseStat(data []byte) (time.Duration, error) {
	st, err := parseStatFields(data)
	return st.cpu, err
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitHTTP polls url until it answers 200, the process exits, or timeout
// passes.
func (p *Process) WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	var last error
	for {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s exited while starting (%v); see its log", p.Name, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not become ready within %s: %v", p.Name, timeout, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
