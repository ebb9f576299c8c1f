package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/backup"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
)

// site is one store of a backend: its configuration, as the server binary
// takes it in flags.
type site struct {
	cfg server.Config
}

func newSite(t *testing.T, b backend) site {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	b.configure(t, &cfg)
	return site{cfg: cfg}
}

// args are the flags of the site's storage.
func (s site) args() []string {
	a := []string{"-data-dir", s.cfg.DataDir, "-database-url", s.cfg.DatabaseURL}
	if c := s.cfg.S3; c.Bucket != "" {
		a = append(a, "-s3-bucket", c.Bucket, "-s3-endpoint", c.Endpoint, "-s3-region", c.Region,
			"-s3-access-key-id", c.AccessKeyID, "-s3-secret-access-key", c.SecretAccessKey, "-s3-prefix", c.Prefix)
	}
	return a
}

// open starts a server on the site; close it before the binary runs.
func (s site) open(t *testing.T) *server.Server {
	t.Helper()
	srv, err := server.New(s.cfg, blog.App())
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// main runs the server binary's subcommand on the site.
func (s site) main(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	code := server.Main(context.Background(), append(s.args(), args...), blog.App(), &stderr)
	return code, stderr.String()
}

// wholeArchive exports every resource of srv with its files, at a fixed
// time, for comparison.
func wholeArchive(t *testing.T, srv *server.Server) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := backup.Export(resource.AsSystem(context.Background()), srv.Service(), &buf, backup.ExportOptions{
		Kinds: blog.App().Schema().Kinds, Scope: backup.ScopeBackend, Files: backup.FilesOf(srv.Service()),
		Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// restoreArchive restores archive into the empty site: with the server
// binary, or, on the memory database (which the binary cannot reach),
// with what the binary runs: backup.Import of every kind with the typed
// validation of the REST import. It returns the error text, "" on success.
func restoreArchive(t *testing.T, b backend, dst site, archive []byte) (string, *server.Server) {
	t.Helper()
	if b.name != "memory" {
		path := filepath.Join(t.TempDir(), "archive.ndjson.gz")
		if err := os.WriteFile(path, archive, 0o644); err != nil {
			t.Fatal(err)
		}
		code, stderr := dst.main(t, "restore", "--in", path)
		srv := dst.open(t)
		if code != server.ExitOK {
			return stderr, srv
		}
		return "", srv
	}
	// The server made its signing key on start (the binary's restore does
	// not): purge it, so that the store is as empty as the binary finds it.
	srv := dst.open(t)
	ctx := resource.AsSystem(context.Background())
	keys := blog.App().Schema().Kind("AuthKey")
	page, err := srv.Service().List(ctx, keys, resource.ListQuery{IncludeDeleted: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range page.Items {
		if err := srv.Service().Purge(ctx, keys, env.Meta.ResourceID, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var r io.Reader = bytes.NewReader(archive)
	_, err = backup.Import(ctx, srv.Service(), r, backup.ImportOptions{
		Kinds: blog.App().Schema().Kinds, Empty: true, Files: backup.FilesOf(srv.Service()), OnDuplicate: resource.DuplicateFail,
		Validate: func(k *resource.Kind, data json.RawMessage) error {
			if k.Decode == nil {
				return nil
			}
			_, err := k.Decode(data)
			return err
		}})
	if err != nil {
		return err.Error(), srv
	}
	return "", srv
}

// withoutKeys drops the lines of the auth signing keys, which a server
// makes when it starts on a new store.
func withoutKeys(archive []byte) []byte {
	var out []byte
	for _, l := range bytes.SplitAfter(archive, []byte("\n")) {
		if !bytes.Contains(l, []byte(`"kind":"AuthKey"`)) {
			out = append(out, l...)
		}
	}
	return out
}

// TestBackupRestoreFiles: a whole-backend backup carries the bytes of
// every file (a cover and a list of attachments, over two revisions), a
// restore into an empty store of the same backend gives the same archive
// and serves the same bytes; a restore of an archive from a future format
// version, of one cut in the middle, or of one whose data breaks the
// spec, is refused and leaves the store empty, without file bytes.
func TestBackupRestoreFiles(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			src := newSite(t, b)
			srv := src.open(t)
			ts := httptest.NewServer(actAsAdmin(srv.Handler()))
			c := &filesClient{t: t, ts: ts}
			resp, body := c.do("POST", "/api/authors", []byte(`{"name":"Ann","email":"ann@example.com"}`))
			c.want(201, resp, body)
			var author struct {
				Meta struct {
					ID string `json:"resource_id"`
				} `json:"meta"`
			}
			json.Unmarshal(body, &author)
			doc := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("attachment "), 2000)...)
			text := []byte("plain text attachment")
			data := fmt.Sprintf(`{"title":"Backed up","slug":"backed-up","author":%q}`, author.Meta.ID)
			mb, ct := multipartBody(t, filePart{name: "data", body: []byte(data)},
				filePart{name: "cover", filename: "cover.png", body: pngBytes},
				filePart{name: "attachments", filename: "a.pdf", body: doc},
				filePart{name: "attachments", filename: "b.txt", body: text})
			resp, body = c.do("POST", "/api/posts", mb, "Content-Type", ct)
			c.want(201, resp, body)
			var post struct {
				Data map[string]any `json:"data"`
				Meta struct {
					ID string `json:"resource_id"`
				} `json:"meta"`
			}
			json.Unmarshal(body, &post)
			id := post.Meta.ID
			post.Data["title"] = "Backed up, edited"
			edited, _ := json.Marshal(post.Data)
			resp, body = c.do("PUT", "/api/posts/"+id, edited)
			c.want(200, resp, body)
			want := wholeArchive(t, srv)
			ts.Close()
			srv.Close()
			if n := bytes.Count(want, []byte(`{"type":"file",`)); n != 3 {
				t.Fatalf("the archive holds %d files, want 3 (the cover and two attachments)", n)
			}

			// The archive, as the binary writes it (gzip) or, on memory, as
			// Export does.
			archive := want
			if b.name != "memory" {
				out := filepath.Join(t.TempDir(), "backup.ndjson.gz")
				if code, stderr := src.main(t, "backup", "--out", out); code != server.ExitOK || !strings.Contains(stderr, "3 files") {
					t.Fatalf("backup = %d:\n%s", code, stderr)
				}
				var err error
				if archive, err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
			}
			dst := newSite(t, b)
			msg, restored := restoreArchive(t, b, dst, archive)
			if msg != "" {
				t.Fatalf("restore: %s", msg)
			}
			if got := wholeArchive(t, restored); !bytes.Equal(got, want) {
				t.Fatalf("the restored store differs:\n%.3000s\nwant:\n%.3000s", got, want)
			}
			rts := httptest.NewServer(actAsAdmin(restored.Handler()))
			rc := &filesClient{t: t, ts: rts}
			for path, wantBytes := range map[string][]byte{"cover": pngBytes, "attachments/0": doc, "attachments/1": text} {
				resp, got := rc.do("GET", "/api/posts/"+id+"/files/"+path, nil)
				rc.want(200, resp, got)
				if !bytes.Equal(got, wantBytes) {
					t.Fatalf("restored %s: %d bytes, want %d", path, len(got), len(wantBytes))
				}
			}
			rts.Close()
			restored.Close()

			// Bad archives: refused, and the store stays empty.
			plain := want
			lines := strings.SplitAfter(string(plain), "\n")
			broken := make([]string, len(lines))
			copy(broken, lines)
			for i, l := range broken {
				if !strings.Contains(l, `"type":"revision"`) || !strings.Contains(l, `"kind":"Post"`) {
					continue
				}
				var v map[string]json.RawMessage
				json.Unmarshal([]byte(l), &v)
				var d map[string]any
				json.Unmarshal(v["data"], &d)
				d["title"] = "ab" // under min_length
				v["data"], _ = json.Marshal(d)
				var info resource.RevisionInfo
				json.Unmarshal(v["revision_info"], &info)
				info.DataHash = resource.DataHash(v["data"])
				v["revision_info"], _ = json.Marshal(info)
				line, _ := json.Marshal(v)
				broken[i] = string(line) + "\n"
				break
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(plain)
			zw.Close()
			for _, bad := range []struct {
				name, archive, says string
			}{
				{"future format version", strings.Replace(string(plain), `"version":1`, `"version":7`, 1), "format version 7"},
				{"cut in the middle", string(plain[:len(plain)*2/3]), "cut short"},
				{"gzip cut in the middle", gz.String()[:gz.Len()/2], "cut short"},
				{"data that breaks the spec", strings.Join(broken, ""), "title"},
			} {
				empty := newSite(t, b)
				msg, srv := restoreArchive(t, b, empty, []byte(bad.archive))
				if msg == "" || !strings.Contains(msg, bad.says) {
					t.Fatalf("%s: restore says %q, want an error saying %q", bad.name, msg, bad.says)
				}
				if got := withoutKeys(wholeArchive(t, srv)); bytes.Count(got, []byte("\n")) != 2 {
					t.Fatalf("%s: a refused restore wrote data:\n%.2000s", bad.name, got)
				}
				if n := objectCount(t, srv); n != 0 {
					t.Fatalf("%s: a refused restore left %d file objects", bad.name, n)
				}
				srv.Close()
			}
		})
	}
}
