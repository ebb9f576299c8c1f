package main

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	// The client that oapi-codegen generates imports this module. Importing
	// it here keeps it, with its checksums, in this module's go.mod and
	// go.sum, which the temporary client module copies to build offline.
	_ "github.com/oapi-codegen/runtime"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/server"
)

// clientModule is the module path of the temporary client module.
const clientModule = "example.com/blogclient"

// TestOpenAPIClientRoundTrip generates a Go client from the blog's
// openapi.json with oapi-codegen (the version this module pins as a tool),
// builds it in a temporary module, and runs testdata/openapiclient against
// a live blog server on loopback. The program uses only the generated
// client, so the round trip passes only if an independent tool reads the
// document the way the server behaves.
func TestOpenAPIClientRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a client with the go command; skipped in -short mode")
	}
	srv, err := server.New(server.Config{DatabaseURL: "memory:", Logger: slog.New(slog.DiscardHandler)}, blog.App())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(actAsAdmin(srv.Handler())) // listens on 127.0.0.1
	t.Cleanup(ts.Close)

	root := moduleRoot(t)
	mod := t.TempDir()
	writeClientModule(t, root, mod)
	config := filepath.Join(mod, "oapi-codegen.yaml")
	writeFile(t, config, "package: blogclient\noutput: "+filepath.Join(mod, "client.gen.go")+"\n"+
		"generate:\n  models: true\n  client: true\n")
	doc := filepath.Join(root, "examples", "blog", "blog", "openapi.json")
	run(t, root, nil, "go", "tool", "oapi-codegen", "-config", config, doc)

	src, err := os.ReadFile(filepath.Join(root, "examples", "blog", "testdata", "openapiclient", "roundtrip_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(mod, "roundtrip_test.go"), string(src))
	env := []string{"BLOG_URL=" + ts.URL, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off"}
	run(t, mod, env, "go", "vet", "./...")
	run(t, mod, env, "go", "test", "-count=1", "./...")
}

// writeClientModule writes the go.mod and go.sum of the client module:
// this module's requirements and checksums, so every dependency of the
// generated client resolves from the module cache without a network.
func writeClientModule(t *testing.T, root, dir string) {
	t.Helper()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	out.WriteString("module " + clientModule + "\n\n")
	inTool := false
	for line := range strings.Lines(string(gomod)) {
		// Keep the go line and the require blocks; drop module and the tool
		// directives (one line, or a block).
		trimmed := strings.TrimSpace(line)
		switch {
		case inTool:
			inTool = trimmed != ")"
		case strings.HasPrefix(trimmed, "tool ("):
			inTool = true
		case strings.HasPrefix(trimmed, "module "), strings.HasPrefix(trimmed, "tool "):
		default:
			out.WriteString(line)
		}
	}
	writeFile(t, filepath.Join(dir, "go.mod"), out.String())
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(sum))
}

// moduleRoot returns the root of this module (the directory of go.mod).
func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("not inside a Go module")
	}
	return filepath.Dir(gomod)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// run runs a command in dir with extra environment variables and fails the
// test, showing its output, when it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s", name, strings.Join(args, " "), dir, err, out.String())
	}
}
