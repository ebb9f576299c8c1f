package server

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestMainExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantCode   int
		wantStderr []string
		wantUsage  bool
	}{
		{name: "bad flag", args: []string{"-nope"}, wantCode: ExitUsage,
			wantStderr: []string{"error: flag provided but not defined: -nope", "Usage:", "-database-url"}, wantUsage: true},
		{name: "bad flag value", args: []string{"-write-timeout", "forever"}, wantCode: ExitUsage,
			wantStderr: []string{`invalid value "forever" for flag -write-timeout`, "Usage:"}, wantUsage: true},
		{name: "help", args: []string{"-help"}, wantCode: ExitOK, wantStderr: []string{"Usage:", "-shutdown-timeout",
			// The program is named (it printed "Usage: [flags]").
			"  " + filepath.Base(os.Args[0]) + " [flags]  ", filepath.Base(os.Args[0]) + " [flags] migrate"}, wantUsage: true},
		{name: "unknown subcommand", args: []string{"serve"}, wantCode: ExitUsage,
			wantStderr: []string{`unexpected argument "serve" (the subcommands are migrate, users, backup and restore)`}, wantUsage: true},
		{name: "bad env", env: map[string]string{"SPECSTAR_READ_TIMEOUT": "x"}, wantCode: ExitUsage,
			wantStderr: []string{`SPECSTAR_READ_TIMEOUT: invalid duration "x"`}},
		{name: "bad database url", args: []string{"-database-url", "redis://x"}, wantCode: ExitUsage,
			wantStderr: []string{`error: unsupported database URL "redis://x"`}},
		{name: "bad combination", env: map[string]string{"SPECSTAR_S3_BUCKET": "b"}, args: []string{"-database-url", "memory:"},
			wantCode: ExitUsage, wantStderr: []string{"error: S3 storage needs a persistent database"}},
		{name: "startup failure", args: []string{"-database-url", "postgres://u:secret@127.0.0.1:1/x?connect_timeout=1"}, wantCode: ExitFailure,
			wantStderr: []string{`"msg":"startup failed"`, "postgres: open"}},
		{name: "clean run", args: []string{"-addr", "127.0.0.1:0", "-database-url", "memory:"}, wantCode: ExitOK,
			wantStderr: []string{`"msg":"listening","addr":"127.0.0.1:`, `"msg":"stopped"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			var stderr bytes.Buffer
			code := Main(ctx, tt.args, newTestApp(), &stderr)
			if code != tt.wantCode {
				t.Errorf("Main = %d, want %d; stderr:\n%s", code, tt.wantCode, &stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not contain %q:\n%s", want, &stderr)
				}
			}
			if got := strings.Contains(stderr.String(), "Usage:"); got != tt.wantUsage {
				t.Errorf("usage printed = %v, want %v", got, tt.wantUsage)
			}
			if tt.wantCode == ExitUsage && strings.Contains(stderr.String(), "listening") {
				t.Error("server started despite a usage error")
			}
		})
	}
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Each way a shutdown ends has its exit code: every request finished (0,
// in TestMainExitCodes), or requests still running were cancelled at the
// shutdown timeout or by a second signal (ExitDrainTimeout).
func TestMainDrainTimeout(t *testing.T) {
	for _, tt := range []struct {
		name    string
		timeout string
		signal  bool // end the drain with a second SIGTERM instead of the timeout
	}{
		{name: "timeout", timeout: "100ms"},
		{name: "second signal", timeout: "1m", signal: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			app := newTestApp()
			addr := freeAddr(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr syncBuffer
			code := make(chan int, 1)
			go func() {
				code <- Main(ctx, []string{"-addr", addr, "-database-url", "memory:", "-shutdown-timeout", tt.timeout}, app, &stderr)
			}()
			go func() {
				for range 100 {
					resp, err := http.Get("http://" + addr + "/api/wait")
					if err == nil {
						resp.Body.Close()
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}()
			select {
			case <-app.waitStarted:
			case <-time.After(5 * time.Second):
				t.Fatalf("the request never started; stderr:\n%s", stderr.String())
			}
			if tt.signal {
				for range 2 {
					if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
						t.Fatal(err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			} else {
				cancel()
			}
			select {
			case got := <-code:
				if got != ExitDrainTimeout {
					t.Errorf("Main = %d, want %d; stderr:\n%s", got, ExitDrainTimeout, stderr.String())
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Main did not return")
			}
			if !errors.Is(<-app.waitEnded, context.Canceled) {
				t.Error("the request in flight was not cancelled")
			}
			for _, want := range []string{"requests still running at the shutdown timeout were cancelled", `"level":"WARN"`} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not contain %q:\n%s", want, stderr.String())
				}
			}
			if strings.Contains(stderr.String(), `"level":"ERROR"`) {
				t.Errorf("a drain timeout is logged as an error:\n%s", stderr.String())
			}
		})
	}
}
