package proc

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		rss, hwm int64
		wantErr  string
	}{
		{
			name: "a real status file",
			in: "Name:\tbench\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 1234 kB\n" +
				"VmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t5\n",
			rss: 10240 * 1024, hwm: 20480 * 1024,
		},
		{name: "no memory lines (a zombie)", in: "Name:\tbench\nState:\tZ (zombie)\n", wantErr: "no VmRSS"},
		{name: "a bad unit", in: "VmHWM:\t1 MB\nVmRSS:\t1 kB\n", wantErr: "unexpected value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, hwm, err := parseStatus([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rss != tt.rss || hwm != tt.hwm {
				t.Errorf("rss, hwm = %d, %d; want %d, %d", rss, hwm, tt.rss, tt.hwm)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	// Fields after the command: state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime ...
	tail := " S 1 2 3 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 5 0 100 0 0"
	tests := []struct {
		name    string
		in      string
		want    time.Duration
		wantErr bool
	}{
		{name: "plain name", in: "42 (bench)" + tail, want: 3 * time.Second},
		{name: "name with spaces and parentheses", in: "42 (a (weird) name)" + tail, want: 3 * time.Second},
		{name: "truncated", in: "42 (bench) S 1 2", wantErr: true},
		{name: "no name", in: "42 bench", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("CPU = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMain lets the test binary act as a small server for the process
// tests: PROC_TEST_SERVE=addr makes it serve 200 on / until SIGTERM.
// PROC_TEST_TREE=addr makes it start two children that sleep, then serve
// like PROC_TEST_SERVE: a master and its workers.
func TestMain(m *testing.M) {
	if os.Getenv("PROC_TEST_SLEEP") != "" {
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	if addr := os.Getenv("PROC_TEST_TREE"); addr != "" {
		exe, _ := os.Executable()
		for range 2 {
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), "PROC_TEST_TREE=", "PROC_TEST_SLEEP=1")
			if err := cmd.Start(); err != nil {
				os.Exit(3)
			}
		}
		os.Setenv("PROC_TEST_SERVE", addr)
	}
	if addr := os.Getenv("PROC_TEST_SERVE"); addr != "" {
		http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestProcessLifecycle(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs Linux /proc")
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := Start("child", exe, nil, []string{"PROC_TEST_SERVE=" + addr}, dir, filepath.Join(dir, "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if err := p.WaitHTTP(context.Background(), "http://"+addr+"/", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	s, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 || s.Peak < s.RSS {
		t.Errorf("stats %+v: want RSS > 0 and peak >= RSS", s)
	}
	if err := p.ResetPeak(); err != nil {
		t.Errorf("ResetPeak: %v", err)
	}
	// SIGTERM kills the child (it has no handler): a clean stop.
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if exited, _ := p.Exited(); !exited {
		t.Error("the process is still running after Stop")
	}
	if err := p.Stop(time.Second); err == nil || !strings.Contains(err.Error(), "had exited") {
		t.Errorf("second Stop: %v, want a had-exited error", err)
	}
}

func TestWaitHTTPNoticesExit(t *testing.T) {
	dir := t.TempDir()
	p, err := Start("false", mustLookPath(t, "false"), nil, nil, dir, filepath.Join(dir, "false.log"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitHTTP(context.Background(), "http://127.0.0.1:1/", 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited while starting") {
		t.Fatalf("err = %v, want an exited-while-starting error", err)
	}
}

func mustLookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("no %s: %v", name, err)
	}
	return p
}

func TestParseStatFields(t *testing.T) {
	tail := " S 17 2 3 0 -1 4194560 100 0 0 0 250 50 120 30 20 0 5 0 100 0 0"
	st, err := parseStatFields([]byte("42 (gunicorn: worker [x])" + tail))
	if err != nil {
		t.Fatal(err)
	}
	if st.ppid != 17 || st.cpu != 3*time.Second || st.childCPU != 1500*time.Millisecond {
		t.Errorf("fields %+v, want ppid 17, cpu 3s, children 1.5s", st)
	}
}

func TestParsePss(t *testing.T) {
	rollup := "00400000-7ffc [rollup]\nRss:               55472 kB\nPss:               30123 kB\nPss_Anon:          20000 kB\n"
	if got, err := parsePss([]byte(rollup)); err != nil || got != 30123*1024 {
		t.Errorf("parsePss = %d, %v; want %d", got, err, 30123*1024)
	}
	if _, err := parsePss([]byte("Rss: 1 kB\n")); err == nil {
		t.Error("parsePss without a Pss line: no error")
	}
}

func TestProcessTree(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skip("needs Linux /proc with smaps_rollup")
	}
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := StartTree("tree", exe, nil, []string{"PROC_TEST_TREE=" + addr}, dir, filepath.Join(dir, "tree.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	if err := p.WaitHTTP(context.Background(), "http://"+addr+"/", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	pids, err := Tree(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 3 || pids[0] != p.Pid() {
		t.Fatalf("tree %v, want the master and its 2 children", pids)
	}
	s, err := p.Stats()
	if err != nil {
		t.Fatal(err)
	}
	one, err := ReadStats(p.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if s.Procs != 3 || s.RSS <= 0 || s.Peak <= one.Peak {
		t.Errorf("tree stats %+v (master alone %+v): want 3 processes and a peak above the master's", s, one)
	}
	if err := p.ResetPeak(); err != nil {
		t.Errorf("ResetPeak: %v", err)
	}
	// SIGTERM ends the master; the children, which ignore nothing but
	// were not told, go with the group.
	if err := p.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids[1:] {
		for {
			data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			// A killed child that init has not reaped yet is a zombie.
			if err != nil || strings.Contains(string(data), ") Z ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("child %d still runs after Stop", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
