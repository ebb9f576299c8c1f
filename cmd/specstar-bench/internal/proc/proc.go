// Package proc starts and stops the server processes specstar-bench
// measures, and reads their resource usage from Linux's /proc: resident
// memory (VmRSS, and the peak VmHWM, which clear_refs resets) and CPU time
// (utime + stime of every thread).
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
}

// Start starts path with args and env (added to the current environment)
// in dir, with stdout and stderr appended to logPath.
func Start(name, path string, args, env []string, dir, logPath string) (*Process, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, cmd: cmd, log: log, done: make(chan struct{})}
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
		<-p.done
		return fmt.Errorf("stop %s: no exit %s after SIGTERM; killed", p.Name, timeout)
	}
}

// Kill kills the process at once and waits for it.
func (p *Process) Kill() {
	if exited, _ := p.Exited(); exited {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Stats is a snapshot of a process's resource usage.
type Stats struct {
	RSS  int64         // resident set size now (VmRSS), bytes
	Peak int64         // peak resident set size (VmHWM), bytes
	CPU  time.Duration // user + system CPU time of all threads so far
}

// Stats reads the process's current resource usage.
func (p *Process) Stats() (Stats, error) { return ReadStats(p.Pid()) }

// ResetPeak resets the peak resident set size (VmHWM) to the current
// one, so that the next Stats reports the peak since now. It needs Linux
// 4.0 or later and permission to write /proc/<pid>/clear_refs, which the
// parent of a process has.
func (p *Process) ResetPeak() error {
	path := fmt.Sprintf("/proc/%d/clear_refs", p.Pid())
	if err := os.WriteFile(path, []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS of %s: %w", p.Name, err)
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
	var s Stats
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
// The command name (field 2) is in parentheses and may hold spaces or
// parentheses itself, so fields are counted from the last ')'.
func parseStat(data []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, errors.New("/proc stat: no command name")
	}
	// After ") " come fields 3 (state) onwards; utime and stime are
	// fields 14 and 15, that is indexes 11 and 12 here.
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the command name, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc stat: bad CPU time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
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
