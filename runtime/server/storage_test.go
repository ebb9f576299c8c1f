package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	s3store "github.com/specstar-go/specstar/runtime/store/s3"
	"github.com/specstar-go/specstar/runtime/store/s3/s3test"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// storageKind names the layers of a storage: "sqlite", "s3+postgres"…
func storageKind(b resource.Backend) string {
	switch b := b.(type) {
	case *memory.Store:
		return "memory"
	case *sqlite.Store:
		return "sqlite"
	case *postgres.Store:
		return "postgres"
	case *s3store.Store:
		return "s3+" + storageKind(b.Index())
	}
	return "unknown"
}

func TestOpenStorage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		cfg      func(t *testing.T) Config
		want     string // storageKind
		wantFile string // the SQLite file that must exist afterwards
		wantPG   bool   // PostgreSQL: the server uses the pgfeed
	}{
		{name: "default sqlite in data dir", cfg: func(*testing.T) Config { return Config{DataDir: filepath.Join(dir, "data")} },
			want: "sqlite", wantFile: filepath.Join(dir, "data", "specstar.db")},
		{name: "memory", cfg: func(*testing.T) Config { return Config{DatabaseURL: "memory:"} }, want: "memory"},
		{name: "sqlite url", cfg: func(*testing.T) Config { return Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "a.db")} },
			want: "sqlite", wantFile: filepath.Join(dir, "a.db")},
		{name: "file url", cfg: func(*testing.T) Config { return Config{DatabaseURL: "file:" + filepath.Join(dir, "b", "b.db")} },
			want: "sqlite", wantFile: filepath.Join(dir, "b", "b.db")},
		{name: "s3 over default sqlite", cfg: func(t *testing.T) Config {
			return Config{DataDir: filepath.Join(dir, "s3"), S3: s3test.Fake(t)}
		}, want: "s3+sqlite", wantFile: filepath.Join(dir, "s3", "specstar.db")},
		{name: "s3 over sqlite url", cfg: func(t *testing.T) Config {
			return Config{DatabaseURL: "sqlite:" + filepath.Join(dir, "c.db"), S3: s3test.Fake(t)}
		}, want: "s3+sqlite", wantFile: filepath.Join(dir, "c.db")},
		{name: "postgres", cfg: func(t *testing.T) Config {
			return Config{DatabaseURL: pgtest.SchemaURL(t, pgtest.URL(t))}
		}, want: "postgres", wantPG: true},
		{name: "s3 over postgres", cfg: func(t *testing.T) Config {
			return Config{DatabaseURL: pgtest.SchemaURL(t, pgtest.URL(t)), S3: s3test.Fake(t)}
		}, want: "s3+postgres", wantPG: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			cfg.Logger = slog.New(slog.DiscardHandler)
			s, err := New(cfg, newTestApp())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := storageKind(s.backend); got != tt.want {
				t.Errorf("storage = %s, want %s", got, tt.want)
			}
			if (s.pgFeed != nil) != tt.wantPG {
				t.Errorf("PostgreSQL feed = %v, want %v", s.pgFeed != nil, tt.wantPG)
			}
			if err := s.backend.Ping(context.Background()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if tt.wantFile != "" {
				if _, err := os.Stat(tt.wantFile); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
			// A write and a read through every layer.
			k := s.schema.Kinds[0]
			env, err := s.Service().Create(context.Background(), k, json.RawMessage(`{"text":"hi"}`), resource.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rev, err := s.Service().Revision(context.Background(), k, env.Meta.ResourceID, "1", resource.RevisionOptions{})
			if err != nil || string(rev.Data) != `{"text":"hi"}` {
				t.Errorf("Revision = %s, %v", rev.Data, err)
			}
		})
	}
}

func TestNewStorageErrors(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func(t *testing.T) Config
		wantErr string
	}{
		{name: "missing bucket", cfg: func(t *testing.T) Config {
			c := s3test.Fake(t)
			c.Bucket = "no-such-bucket"
			return Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "x.db"), S3: c}
		}, wantErr: "server: check storage: s3:"},
		{name: "unreachable s3", cfg: func(t *testing.T) Config {
			return Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "x.db"),
				S3: blob.S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "b", MaxAttempts: 1}}
		}, wantErr: "server: check storage: s3:"},
		{name: "unreachable postgres", cfg: func(*testing.T) Config {
			return Config{DatabaseURL: "postgres://specstar:secret@127.0.0.1:1/none?connect_timeout=2"}
		}, wantErr: "server: postgres: open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg(t)
			cfg.Logger = slog.New(slog.DiscardHandler)
			_, err := New(cfg, newTestApp())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("New error = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

// TestS3GC checks that the server runs the S3 GC on schedule, which
// deletes an unreferenced object and keeps referenced ones, and that it
// does not run when it is off.
func TestS3GC(t *testing.T) {
	tests := []struct {
		name        string
		interval    time.Duration
		wantDeleted bool
	}{
		{name: "scheduled", interval: 20 * time.Millisecond, wantDeleted: true},
		{name: "off", interval: S3GCOff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := s3test.Fake(t)
			logs := &syncBuffer{}
			s, err := New(Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "x.db"), S3: fake,
				S3GCInterval: tt.interval, S3GCMinAge: time.Nanosecond,
				Logger: slog.New(slog.NewJSONHandler(logs, nil))}, newTestApp())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			k := s.schema.Kinds[0]
			env, err := s.Service().Create(ctx, k, json.RawMessage(`{"text":"kept"}`), resource.WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			objects, err := blob.OpenS3(fake)
			if err != nil {
				t.Fatal(err)
			}
			orphan := "revisions/note/" + env.Meta.ResourceID + "/" + strings.Repeat("0", 64)
			if err := objects.Put(ctx, orphan, strings.NewReader("{}"), 2, "application/json"); err != nil {
				t.Fatal(err)
			}
			exists := func() bool {
				_, err := objects.Stat(ctx, orphan)
				return err == nil
			}
			deadline := time.Now().Add(5 * time.Second)
			if !tt.wantDeleted {
				deadline = time.Now().Add(200 * time.Millisecond)
			}
			for exists() && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if exists() == tt.wantDeleted {
				t.Fatalf("orphan object exists = %v, want %v; logs:\n%s", exists(), !tt.wantDeleted, logs)
			}
			if rev, err := s.Service().Revision(ctx, k, env.Meta.ResourceID, "1", resource.RevisionOptions{}); err != nil || string(rev.Data) != `{"text":"kept"}` {
				t.Errorf("referenced body after GC: %s, %v", rev.Data, err)
			}
			if got := strings.Contains(logs.String(), `"msg":"s3 gc"`); got != tt.wantDeleted {
				t.Errorf("gc logged = %v, want %v; logs:\n%s", got, tt.wantDeleted, logs)
			}
			done := make(chan error, 1)
			go func() { done <- s.Close() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Close: %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Close did not stop the GC")
			}
		})
	}
}

// TestFeedAcrossServers runs two servers on one PostgreSQL schema: a
// subscriber on one receives the changes made through the other, once,
// with their envelopes, also when an envelope is too large for a
// notification and the receiving server reads it back.
func TestFeedAcrossServers(t *testing.T) {
	dbURL := pgtest.SchemaURL(t, pgtest.URL(t))
	newServer := func() *Server {
		s, err := New(Config{DatabaseURL: dbURL, Logger: slog.New(slog.DiscardHandler)}, newTestApp())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	writer, reader := newServer(), newServer()
	ctx := t.Context()
	local, err := writer.changes.Subscribe(ctx, "Note", "")
	if err != nil {
		t.Fatal(err)
	}
	remote, err := reader.changes.Subscribe(ctx, "Note", "")
	if err != nil {
		t.Fatal(err)
	}
	next := func(ch <-chan feed.Event) feed.Event {
		t.Helper()
		select {
		case e := <-ch:
			return e
		case <-time.After(5 * time.Second):
			t.Fatal("no event within 5s")
		}
		return feed.Event{}
	}
	k := writer.schema.Kinds[0]
	for _, size := range []int{10, 20000} {
		data := json.RawMessage(`{"text":"` + strings.Repeat("x", size) + `"}`)
		env, err := writer.Service().Create(ctx, k, data, resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for name, ch := range map[string]<-chan feed.Event{"writer": local, "reader": remote} {
			e := next(ch)
			if e.Op != feed.Created || e.ID != env.Meta.ResourceID || e.Envelope == nil ||
				string(e.Envelope.Data) != string(data) || e.Envelope.Meta != env.Meta {
				t.Errorf("%s, %d bytes: got %+v, want the creation of %s", name, size, e, env.Meta.ResourceID)
			}
		}
	}
	select {
	case e := <-local:
		t.Errorf("writer got a second event %+v (its own, back from PostgreSQL?)", e)
	case e := <-remote:
		t.Errorf("reader got a second event %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}
