package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the test binary run as the specstar command inside the
// scripts: testscript re-executes it under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"specstar": main})
}

// TestScripts runs testdata/*.txtar. Scripts run in a temporary $WORK
// outside the repository. Scripts that build generated code need the Go
// toolchain; they run offline from the module cache (GOPROXY=off).
func TestScripts(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("specstar checkout not found at %s: %v", root, err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			return setupEnv(env, root)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"http":       cmdHTTP,
			"freeaddr":   cmdFreeAddr,
			"appendfile": cmdAppendFile,
		},
	})
}

// goEnv is the Go configuration of the process running the tests, which
// the scripts' go commands reuse (build and module caches in particular).
var goEnv = sync.OnceValues(func() (map[string]string, error) {
	out, err := exec.Command("go", "env", "-json", "GOCACHE", "GOMODCACHE", "GOPATH", "GOFLAGS").Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	vars := map[string]string{}
	if err := json.Unmarshal(out, &vars); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	return vars, nil
})

func setupEnv(env *testscript.Env, root string) error {
	vars, err := goEnv()
	if err != nil {
		return err
	}
	for k, v := range vars {
		env.Setenv(k, v)
	}
	home := filepath.Join(env.WorkDir, ".home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	env.Setenv("HOME", home)
	// Generated projects must build from the module cache alone.
	env.Setenv("GOPROXY", "off")
	env.Setenv("GOTOOLCHAIN", "local")
	env.Setenv("SPECSTAR_ROOT", root)
	return nil
}

// cmdHTTP sends a request and writes the response body to stdout:
//
//	http [-status code] [-id VAR] METHOD URL [JSON body]
//
// It fails unless the response has the given status (default: any 2xx).
// -id sets the script's variable VAR to the meta.resource_id of the
// response (an envelope), for later requests to name the resource.
// Connection errors are retried for up to 30 seconds, so a script can call
// it right after starting a server in the background.
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! http")
	}
	fs := flag.NewFlagSet("http", flag.ContinueOnError)
	status := fs.Int("status", 0, "expected status code")
	idVar := fs.String("id", "", "variable to set to the response's meta.resource_id")
	if err := fs.Parse(args); err != nil || fs.NArg() < 2 || fs.NArg() > 3 {
		ts.Fatalf("usage: http [-status code] [-id VAR] METHOD URL [JSON body]")
	}
	method, url := fs.Arg(0), fs.Arg(1)
	var body []byte
	if fs.NArg() == 3 {
		body = []byte(fs.Arg(2))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, err := http.NewRequest(method, url, bytes.NewReader(body))
		ts.Check(err)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			if errors.Is(err, syscall.ECONNREFUSED) && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			ts.Fatalf("%s %s: %v", method, url, err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		ts.Check(err)
		ts.Logf("%s %s: %s", method, url, resp.Status)
		fmt.Fprintf(ts.Stdout(), "%s\n", data)
		switch {
		case *status != 0 && resp.StatusCode != *status:
			ts.Fatalf("%s %s: status %d, want %d; body: %s", method, url, resp.StatusCode, *status, data)
		case *status == 0 && resp.StatusCode/100 != 2:
			ts.Fatalf("%s %s: status %d; body: %s", method, url, resp.StatusCode, data)
		}
		if *idVar != "" {
			var env struct {
				Meta struct {
					ResourceID string `json:"resource_id"`
				} `json:"meta"`
			}
			if err := json.Unmarshal(data, &env); err != nil || env.Meta.ResourceID == "" {
				ts.Fatalf("%s %s: no meta.resource_id in %s", method, url, data)
			}
			ts.Setenv(*idVar, env.Meta.ResourceID)
		}
		return
	}
}

// cmdFreeAddr sets the environment variable VAR to a free local TCP
// address, "127.0.0.1:port":
//
//	freeaddr VAR
func cmdFreeAddr(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeaddr VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := l.Addr().(*net.TCPAddr)
	ts.Check(l.Close())
	ts.Setenv(args[0], "127.0.0.1:"+strconv.Itoa(addr.Port))
}

// cmdAppendFile appends a line to a file, to edit a generated file by
// hand:
//
//	appendfile FILE TEXT
func cmdAppendFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: appendfile FILE TEXT")
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_WRONLY|os.O_APPEND, 0)
	ts.Check(err)
	_, err = fmt.Fprintln(f, args[1])
	ts.Check(errors.Join(err, f.Close()))
}
