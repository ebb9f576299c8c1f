package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
)

// TestEmailUniqueIgnoresCase checks that Author.email (type email,
// unique) is unique without regard to the case of ASCII letters on every
// backend, while the stored address stays as it was sent.
func TestEmailUniqueIgnoresCase(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, b, nil)
			ada := c.createAuthor("Ada", "CaseX@Example.com")
			for _, email := range []string{"casex@example.com", "CASEX@EXAMPLE.COM"} {
				fields := c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors",
					map[string]any{"name": "Bob", "email": email})
				if !slices.Equal(fields, []string{"email"}) {
					t.Errorf("POST %s: errors name %v, want [email]", email, fields)
				}
			}
			r := c.must(http.StatusOK, "GET", "/api/authors/"+ada, nil)
			if got := r.str(t, "data.email"); got != "CaseX@Example.com" {
				t.Errorf("stored email %q, want it as sent, CaseX@Example.com", got)
			}
			if n := c.must(http.StatusOK, "GET", "/api/authors/count", nil).num(t, "count"); n != 1 {
				t.Errorf("%d authors after the refused creates, want 1", n)
			}

			// Ada may change the case of her own address; it is stored as sent.
			r = c.must(http.StatusOK, "PATCH", "/api/authors/"+ada, `{"email":"casex@EXAMPLE.com"}`, "Content-Type", mergePatch)
			if got := r.str(t, "data.email"); got != "casex@EXAMPLE.com" {
				t.Errorf("patched email %q, want casex@EXAMPLE.com", got)
			}
			// Another author may not take it in any spelling, by replace
			// or patch.
			bob := c.createAuthor("Bob", "bob@example.com")
			fields := c.problem(http.StatusConflict, "CONFLICT", "PUT", "/api/authors/"+bob,
				map[string]any{"name": "Bob", "email": "CaseX@example.COM"})
			if !slices.Equal(fields, []string{"email"}) {
				t.Errorf("PUT: errors name %v, want [email]", fields)
			}
			c.problem(http.StatusConflict, "CONFLICT", "PATCH", "/api/authors/"+bob, `{"email":"CASEX@example.com"}`, "Content-Type", mergePatch)

			// Deleting Ada frees the address in every spelling.
			c.must(http.StatusOK, "DELETE", "/api/authors/"+ada, nil)
			c.must(http.StatusOK, "PATCH", "/api/authors/"+bob, `{"email":"CASEX@example.com"}`, "Content-Type", mergePatch)
			c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors/"+ada+"/restore", nil)
		})
	}
}

// upToVersion returns the migrations of fsys numbered at most last: the
// migrations of an earlier build of the blog.
func upToVersion(t *testing.T, fsys fs.FS, last string) fs.FS {
	t.Helper()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, name := range names {
		if name > last {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = &fstest.MapFile{Data: data}
	}
	return out
}

// olderBlog is the blog as built before migration 00003 made the email
// index ignore case: its schema knows migrations 00001 and 00002 only,
// and it had no users and no permission rules (migration 00004).
type olderBlog struct {
	server.App
	schema *resource.Schema
}

func (a olderBlog) Schema() *resource.Schema { return a.schema }

func newOlderBlog(t *testing.T) olderBlog {
	app := blog.App()
	s := *app.Schema()
	s.Kinds = nil
	for _, k := range app.Schema().Kinds {
		if k.Internal || k.Name == "User" || strings.HasPrefix(k.Path, "jobs/") {
			continue // not in that build
		}
		old := *k
		old.Access = nil
		s.Kinds = append(s.Kinds, &old)
	}
	s.Migrations = map[string]fs.FS{}
	for dialect, fsys := range app.Schema().Migrations {
		s.Migrations[dialect] = upToVersion(t, fsys, "00003")
	}
	return olderBlog{App: app, schema: &s}
}

// TestEmailUniqueMigration opens a database that an older build of the
// blog migrated (unique email compared exactly) with the current build:
// migration 00003 replaces the email index by the case-insensitive one.
// A database whose authors hold two spellings of one address is refused
// with an error naming the migration and the index, and left as it was;
// once one of them is deleted, the migration applies.
func TestEmailUniqueMigration(t *testing.T) {
	for _, b := range backends {
		if b.name != "sqlite" && b.name != "postgres" {
			continue // s3 keeps its indexes in one of these; memory has no migrations
		}
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			cfg := server.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
			b.configure(t, &cfg)
			older := newOlderBlog(t)
			author := older.schema.Kind("Author")
			ctx := context.Background()

			// The older build stores two spellings of one address.
			srv, err := server.New(cfg, older)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, email := range []string{"Dup@Example.com", "dup@example.com", "solo@example.com"} {
				env, err := srv.Service().Create(ctx, author, json.RawMessage(`{"name":"A","email":"`+email+`"}`), resource.WriteOptions{})
				if err != nil {
					t.Fatalf("older build: create %s: %v", email, err)
				}
				ids = append(ids, env.Meta.ResourceID)
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}

			// The current build refuses to start, and changes nothing.
			if srv, err := server.New(cfg, blog.App()); err == nil {
				srv.Close()
				t.Fatal("the current build started on authors sharing an address in two spellings")
			} else if msg := err.Error(); !strings.Contains(msg, "00003") || !strings.Contains(msg, "ux_author_email") {
				t.Errorf("startup error %q does not name migration 00003 and index ux_author_email", msg)
			}
			srv, err = server.New(cfg, older)
			if err != nil {
				t.Fatalf("the older build no longer opens the database: %v", err)
			}
			if n, err := srv.Service().Count(ctx, author, resource.ListQuery{}); err != nil || n != 3 {
				t.Fatalf("%d authors after the refused migration (%v), want 3", n, err)
			}
			// Its exact index still holds, and still lets a third spelling in.
			_, err = srv.Service().Create(ctx, author, json.RawMessage(`{"name":"B","email":"solo@example.com"}`), resource.WriteOptions{})
			if resource.CodeOf(err) != resource.CodeConflict {
				t.Fatalf("a duplicate after the refused migration: %v, want a conflict", err)
			}
			third, err := srv.Service().Create(ctx, author, json.RawMessage(`{"name":"B","email":"DUP@example.com"}`), resource.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Deleting all spellings but one fixes the data.
			for _, id := range []string{ids[0], third.Meta.ResourceID} {
				if _, err := srv.Service().Delete(ctx, author, id, resource.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}

			// Now the current build migrates and compares without case.
			c := newClient(t, b, func(c *server.Config) { c.DatabaseURL = cfg.DatabaseURL })
			c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors", map[string]any{"name": "C", "email": "SOLO@example.com"})
			c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors", map[string]any{"name": "C", "email": "DUP@EXAMPLE.COM"})
			r := c.must(http.StatusOK, "GET", "/api/authors/"+ids[1], nil)
			if got := r.str(t, "data.email"); got != "dup@example.com" {
				t.Errorf("email %q after the migration, want dup@example.com", got)
			}
			c.createAuthor("D", "new@example.com")
		})
	}
}
