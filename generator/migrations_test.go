package generator_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"

	// The SQLite driver, to inspect the server's database file.
	_ "github.com/specstar-go/specstar/runtime/store/sqlite"
)

const migrationSpecV1 = `specstar: 1
package: notes
resources:
  Note:
    fields:
      text: {type: string, required: true}
`

// migrationSpecV2 adds an indexed field, and an indexed enum with a
// default (the case of issue 16: old records must read, filter, sort and
// patch with it).
const migrationSpecV2 = migrationSpecV1 + `      priority: {type: int, index: true}
      channel: {type: enum, values: [email, phone, web], default: web, index: true}
`

// migrationSpecV3 renames the resource and a field.
const migrationSpecV3 = `specstar: 1
package: notes
resources:
  Memo:
    renamed_from: Note
    fields:
      body: {type: string, required: true, index: true, renamed_from: text}
      priority: {type: int, index: true}
      channel: {type: enum, values: [email, phone, web], default: web, index: true}
`

const migrationMain = `package main

import (
	"context"
	"os"

	"github.com/specstar-go/specstar/runtime/server"

	"example.com/golden/notes"
)

func main() {
	os.Exit(server.Main(context.Background(), os.Args[1:], notes.App(), os.Stderr))
}
`

// storage is a database a generated server runs on in
// TestMigrationsEndToEnd.
type storage struct {
	name string
	// open returns the server's SPECSTAR_ variables and a function that
	// reports, after the server stopped, whether ix_note_priority exists
	// and which versions goose_db_version records as applied.
	open func(t *testing.T, dir string) (env []string, inspect func(t *testing.T) (bool, []int64))
}

// storages returns the databases of TestMigrationsEndToEnd.
func storages() []storage {
	return []storage{
		{name: "sqlite", open: func(t *testing.T, dir string) ([]string, func(t *testing.T) (bool, []int64)) {
			dataDir := filepath.Join(dir, "data")
			inspect := func(t *testing.T) (bool, []int64) {
				db, err := sql.Open("sqlite", filepath.Join(dataDir, "specstar.db"))
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var n int
				if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'ix_note_priority' AND tbl_name = 'note'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 1, appliedVersions(t, func(q string) (rowsScanner, error) { return db.Query(q) })
			}
			return []string{"SPECSTAR_DATA_DIR=" + dataDir, "SPECSTAR_DATABASE_URL="}, inspect
		}},
		{name: "postgres", open: func(t *testing.T, dir string) ([]string, func(t *testing.T) (bool, []int64)) {
			u := pgtest.URL(t)
			schema := pgtest.Schema(t, u)
			su, err := pgtest.WithSearchPath(u, schema)
			if err != nil {
				t.Fatal(err)
			}
			inspect := func(t *testing.T) (bool, []int64) {
				ctx := context.Background()
				conn, err := pgx.Connect(ctx, su)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close(ctx)
				var n int
				if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = $1 AND tablename = 'note' AND indexname = 'ix_note_priority'`, schema).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 1, appliedVersions(t, func(q string) (rowsScanner, error) {
					rows, err := conn.Query(ctx, q)
					return pgxRows{rows}, err
				})
			}
			return []string{"SPECSTAR_DATABASE_URL=" + su}, inspect
		}},
	}
}

// TestMigrationsEndToEnd generates a server from a spec, stores data in
// its database (SQLite, then PostgreSQL), adds an indexed field to the
// spec, regenerates and restarts the server on the same database: the
// new migration is applied at startup, the data is intact, the new index
// exists and filters use the new field.
func TestMigrationsEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a generated server; skipped in -short mode")
	}
	for _, st := range storages() {
		t.Run(st.name, func(t *testing.T) {
			testMigrationsEndToEnd(t, st)
		})
	}
}

func testMigrationsEndToEnd(t *testing.T, st storage) {
	ctx := context.Background()
	dir := t.TempDir()
	env, inspect := st.open(t, dir)
	writeModule(t, dir, repoRoot(t))
	writeFile(t, filepath.Join(dir, "main.go"), migrationMain)

	// v1: generate, build, start, write two notes.
	writeFile(t, filepath.Join(dir, "specstar.yaml"), migrationSpecV1)
	if _, err := generator.Generate(ctx, generator.Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, dir, env)
	var ids []string
	for _, text := range []string{"first", "second"} {
		var env struct {
			Meta struct {
				ResourceID string `json:"resource_id"`
			} `json:"meta"`
		}
		srv.do(t, "POST", "/api/notes", fmt.Sprintf(`{"text":%q}`, text), http.StatusCreated, &env)
		if env.Meta.ResourceID == "" {
			t.Fatal("no resource_id in the created envelope")
		}
		ids = append(ids, env.Meta.ResourceID)
	}
	srv.stop(t)
	if has, _ := inspect(t); has {
		t.Fatal("ix_note_priority exists before the spec asks for it")
	}

	// v2: a new indexed field; the generator adds migration 00002.
	writeFile(t, filepath.Join(dir, "specstar.yaml"), migrationSpecV2)
	res, err := generator.Generate(ctx, generator.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"migrations/sqlite/00002_alter_note_channel_alter_note_priority.sql", "migrations/postgres/00002_alter_note_channel_alter_note_priority.sql"} {
		if !slices.Contains(res.Written, want) {
			t.Errorf("Generate wrote %v, want %s among them", res.Written, want)
		}
	}
	if slices.Contains(res.Written, "migrations/sqlite/00001_init.sql") {
		t.Error("Generate rewrote 00001_init.sql")
	}

	srv = startServer(t, dir, env)
	var page struct {
		Items []struct {
			Meta struct {
				ResourceID string `json:"resource_id"`
			} `json:"meta"`
			Data map[string]any `json:"data"`
		} `json:"items"`
	}
	srv.do(t, "GET", "/api/notes?sort=resource_id", "", http.StatusOK, &page)
	if len(page.Items) != 2 || page.Items[0].Data["text"] != "first" && page.Items[1].Data["text"] != "first" {
		t.Fatalf("after the migration the notes are %+v, want the two written before", page.Items)
	}
	// The notes written before the fields existed have them: the
	// default, or null.
	var got struct {
		Data json.RawMessage `json:"data"`
	}
	srv.do(t, "GET", "/api/notes/"+ids[0], "", http.StatusOK, &got)
	if string(got.Data) != `{"text":"first","priority":null,"channel":"web"}` {
		t.Errorf("an old note reads %s, want the new fields (priority null, channel web)", got.Data)
	}
	srv.do(t, "GET", "/api/notes?filter="+url.QueryEscape(`channel = "web"`)+"&sort=channel,resource_id", "", http.StatusOK, &page)
	if len(page.Items) != 2 {
		t.Errorf("filter channel = web returned %d notes, want the 2 old ones", len(page.Items))
	}
	req := `[{"op":"replace","path":"/channel","value":"email"}]`
	srv.doPatch(t, "/api/notes/"+ids[0], req)
	srv.do(t, "PUT", "/api/notes/"+ids[1], `{"text":"second","priority":5}`, http.StatusOK, nil)
	srv.do(t, "GET", "/api/notes?filter="+url.QueryEscape("priority >= 3"), "", http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].Meta.ResourceID != ids[1] {
		t.Errorf("filter priority >= 3 returned %+v, want only %s", page.Items, ids[1])
	}
	srv.do(t, "GET", "/api/notes?filter="+url.QueryEscape(`channel = "email"`), "", http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].Meta.ResourceID != ids[0] {
		t.Errorf("filter channel = email returned %+v, want only %s", page.Items, ids[0])
	}
	srv.stop(t)
	if !strings.Contains(srv.stderr.String(), `"msg":"data migration applied","resource":"Note"`) {
		t.Errorf("the server did not log the data migration:\n%s", srv.stderr)
	}

	has, versions := inspect(t)
	if !has {
		t.Error("index ix_note_priority does not exist after the migration")
	}
	if !slices.Equal(versions, []int64{0, 1, 2}) {
		t.Errorf("goose_db_version holds %v, want [0 1 2]", versions)
	}

	// v3: Note is renamed Memo and text body: the data, the history and
	// the indexes follow.
	writeFile(t, filepath.Join(dir, "specstar.yaml"), migrationSpecV3)
	if res, err = generator.Generate(ctx, generator.Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Written, "migrations/sqlite/00003_rename_note_to_memo.sql") {
		t.Errorf("Generate wrote %v, want the rename migration among them", res.Written)
	}
	srv = startServer(t, dir, env)
	srv.do(t, "GET", "/api/memos/"+ids[0], "", http.StatusOK, &got)
	if string(got.Data) != `{"body":"first","priority":null,"channel":"email"}` {
		t.Errorf("the renamed note reads %s", got.Data)
	}
	var revs struct {
		Data json.RawMessage `json:"data"`
	}
	srv.do(t, "GET", "/api/memos/"+ids[0]+"/revisions/1", "", http.StatusOK, &revs)
	if string(revs.Data) != `{"body":"first","priority":null,"channel":"web"}` {
		t.Errorf("revision 1 of the renamed note reads %s", revs.Data)
	}
	srv.do(t, "GET", "/api/memos?filter="+url.QueryEscape(`body = "second"`)+"&sort=-priority", "", http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].Meta.ResourceID != ids[1] {
		t.Errorf("filter body = second returned %+v", page.Items)
	}
	srv.stop(t)
}

// rowsScanner is the part of *sql.Rows and pgx.Rows appliedVersions uses.
type rowsScanner interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
}

// pgxRows adapts pgx.Rows to rowsScanner.
type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}

// appliedVersions returns the applied versions of goose_db_version, in
// the order they were recorded.
func appliedVersions(t *testing.T, query func(string) (rowsScanner, error)) []int64 {
	t.Helper()
	rows, err := query(`SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// server is a generated server running in its own process.
type server struct {
	cmd    *exec.Cmd
	base   string
	stderr *bytes.Buffer
}

// startServer builds the module in dir and starts it on a free loopback
// port with the SPECSTAR_ variables env.
func startServer(t *testing.T, dir string, env []string) *server {
	t.Helper()
	bin := filepath.Join(dir, "server")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{cmd: exec.Command(bin), base: "http://" + addr, stderr: &bytes.Buffer{}}
	s.cmd.Env = append(append(os.Environ(), "SPECSTAR_ADDR="+addr), env...)
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) || s.cmd.ProcessState != nil {
			t.Fatalf("server not ready: %v\n%s", err, s.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends a request and decodes the JSON answer into out (when not nil).
func (s *server) do(t *testing.T, method, path, body string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, wantStatus, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// doPatch sends a JSON Patch and fails unless it answers 200.
func (s *server) doPatch(t *testing.T, path, patch string) {
	t.Helper()
	req, err := http.NewRequest("PATCH", s.base+path, strings.NewReader(patch))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json-patch+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("PATCH %s: %d %s", path, resp.StatusCode, body)
	}
}

// stop interrupts the server and waits for its graceful exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exit: %v\n%s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not stop\n%s", s.stderr)
	}
}
