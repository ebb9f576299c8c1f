package main

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/server"
)

// genqlientVersion is the version of github.com/Khan/genqlient that
// generates the independent client.
const genqlientVersion = "v0.8.1"

// TestGraphQLClientRoundTrip generates a typed Go client from the blog's
// schema.graphqls with genqlient, in a temporary module as an external
// user would, and runs testdata/graphqlclient against a live blog server
// on loopback: queries, mutations, filters, paging, ifMatch and error
// codes, through a client no one here wrote.
func TestGraphQLClientRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and builds a client with the go command; skipped in -short mode")
	}
	srv, err := server.New(server.Config{DatabaseURL: "memory:", Logger: slog.New(slog.DiscardHandler)}, blog.App())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(actAsAdmin(srv.Handler()))
	t.Cleanup(ts.Close)

	root := moduleRoot(t)
	mod := t.TempDir()
	writeClientModule(t, root, mod)
	src := filepath.Join(root, "examples", "blog")
	for from, to := range map[string]string{
		filepath.Join(src, "blog", "schema.graphqls"):                         "schema.graphqls",
		filepath.Join(src, "testdata", "graphqlclient", "operations.graphql"): "operations.graphql",
		filepath.Join(src, "testdata", "graphqlclient", "genqlient.yaml"):     "genqlient.yaml",
		filepath.Join(src, "testdata", "graphqlclient", "roundtrip_test.go"):  "roundtrip_test.go",
	} {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(mod, to), string(data))
	}
	// genqlient is not a dependency of this module: the client module
	// gets it (and its checksums) like any user's module would.
	env := []string{"BLOG_URL=" + ts.URL, "GOFLAGS=-mod=mod", "GOWORK=off"}
	run(t, mod, env, "go", "get", "github.com/Khan/genqlient@"+genqlientVersion)
	run(t, mod, env, "go", "run", "github.com/Khan/genqlient", "genqlient.yaml")
	run(t, mod, env, "go", "vet", "./...")
	run(t, mod, env, "go", "test", "-count=1", "./...")
}
