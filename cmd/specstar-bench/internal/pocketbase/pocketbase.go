// Package pocketbase sets up PocketBase as a peer of specstar-bench: it
// installs a pinned release with go install (through the Go module proxy),
// prepares a fresh data directory with a superuser, and configures a
// collection of the benchmark's shape (the same fields and indexes, open
// API rules) with request logging off.
package pocketbase

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Package is the PocketBase release the peer runs: the stock "base"
// example application, with no hooks of its own.
const Package = "github.com/pocketbase/pocketbase/examples/base@v0.36.8"

// Collection is the name of the benchmark collection.
const Collection = "items"

// Superuser credentials of the throwaway data directory.
const (
	Email    = "bench@example.com"
	Password = "bench-password-1234"
)

// Install builds PocketBase into gobin with go install and returns the
// binary's path. Build output goes to log.
//
// A build of the pinned release is kept in CacheDir and reused: on a busy
// 2-CPU machine go install takes minutes (21 once), and the binary of a
// pinned version never changes. The cached copy is taken only when it is
// there whole (it is written under a temporary name and renamed); with no
// user cache directory every run builds.
func Install(ctx context.Context, gobin string, log io.Writer) (bin string, cached bool, err error) {
	cache := CacheDir()
	if cache != "" {
		if st, err := os.Stat(filepath.Join(cache, "base")); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return filepath.Join(cache, "base"), true, nil
		}
	}
	cmd := exec.CommandContext(ctx, "go", "install", Package)
	// Outside any module, so that the repository's go.mod plays no part;
	// GOFLAGS cleared so that a -mod setting cannot break the install.
	cmd.Dir = gobin
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "GO111MODULE=on")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", false, fmt.Errorf("go install %s: %w", Package, err)
	}
	bin = filepath.Join(gobin, "base")
	if _, err := os.Stat(bin); err != nil {
		return "", false, fmt.Errorf("go install %s: %w", Package, err)
	}
	if cache != "" {
		if err := keep(bin, cache); err != nil {
			fmt.Fprintf(log, "pocketbase: not cached: %v\n", err)
		}
	}
	return bin, false, nil
}

// CacheDir is where Install keeps the binary of the pinned release:
// specstar-bench/pocketbase-<version> under the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache), or "" when there is none.
func CacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	version := Package[strings.LastIndexByte(Package, '@')+1:]
	return filepath.Join(dir, "specstar-bench", "pocketbase-"+version)
}

// keep copies the built binary into the cache directory under a
// temporary name and renames it, so that a run never sees half a copy.
func keep(bin, cache string) error {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return err
	}
	src, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(cache, "base-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(cache, "base"))
}

// globalFlags turn off what a production deployment would not run: dev
// mode (which PocketBase enables for binaries under the temp directory,
// taking them for `go run`, and which prints every SQL statement), and
// the migration and hook watchers.
var globalFlags = []string{"--dev=false", "--automigrate=false", "--hooksWatch=false"}

// CreateSuperuser creates the superuser in the data directory dataDir
// with PocketBase's CLI (before the server starts).
func CreateSuperuser(ctx context.Context, bin, dataDir string, log io.Writer) error {
	args := append([]string{"superuser", "upsert", Email, Password, "--dir", dataDir}, globalFlags...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = filepath.Dir(dataDir)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pocketbase superuser upsert: %w", err)
	}
	return nil
}

// ServeArgs returns the arguments that serve dataDir on addr.
func ServeArgs(addr, dataDir string) []string {
	return append([]string{"serve", "--http", addr, "--dir", dataDir}, globalFlags...)
}

// Field is one field of the benchmark collection, in PocketBase's
// collection schema.
type Field map[string]any

// Fields returns the collection fields equivalent to the benchmark's Item
// resource, with the given category values.
func Fields(categories []string) []Field {
	return []Field{
		{"name": "title", "type": "text", "required": true, "max": 200},
		{"name": "category", "type": "select", "required": true, "maxSelect": 1, "values": categories},
		{"name": "happened_at", "type": "date", "required": true},
		{"name": "body", "type": "text", "max": 4000},
		{"name": "score", "type": "number", "onlyInt": true, "min": 0},
	}
}

// Indexes are the collection indexes, one per field the specstar spec
// indexes.
var Indexes = []string{
	"CREATE INDEX idx_items_category ON items (category)",
	"CREATE INDEX idx_items_happened_at ON items (happened_at)",
	"CREATE INDEX idx_items_score ON items (score)",
}

// Configure authenticates as the superuser on the server at base and
// creates the collection with open list, view, create and update rules,
// then turns request logging off (logs maxDays 0).
func Configure(ctx context.Context, client *http.Client, base string, categories []string) error {
	var auth struct {
		Token string `json:"token"`
	}
	err := call(ctx, client, http.MethodPost, base+"/api/collections/_superusers/auth-with-password", "",
		map[string]string{"identity": Email, "password": Password}, &auth)
	if err != nil {
		return fmt.Errorf("pocketbase: authenticate: %w", err)
	}
	open := ""
	collection := map[string]any{
		"name":       Collection,
		"type":       "base",
		"listRule":   open,
		"viewRule":   open,
		"createRule": open,
		"updateRule": open,
		"fields":     Fields(categories),
		"indexes":    Indexes,
	}
	if err := call(ctx, client, http.MethodPost, base+"/api/collections", auth.Token, collection, nil); err != nil {
		return fmt.Errorf("pocketbase: create collection: %w", err)
	}
	settings := map[string]any{"logs": map[string]any{"maxDays": 0}}
	if err := call(ctx, client, http.MethodPatch, base+"/api/settings", auth.Token, settings, nil); err != nil {
		return fmt.Errorf("pocketbase: turn logs off: %w", err)
	}
	return nil
}

// call sends a JSON request and decodes a 2xx JSON response into out
// (when not nil).
func call(ctx context.Context, client *http.Client, method, url, token string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(string(data)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}
