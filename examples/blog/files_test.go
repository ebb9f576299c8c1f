package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/server"
)

// pngBytes is a minimal PNG image: what mimetype detects as image/png.
var pngBytes = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"), bytes.Repeat([]byte{0}, 64)...)

// filePart is one part of a multipart body.
type filePart struct {
	name, filename, contentType string
	body                        []byte
}

// multipartBody encodes parts; it returns the body and its content type.
func multipartBody(t *testing.T, parts ...filePart) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		if p.filename != "" {
			disp += fmt.Sprintf(`; filename=%q`, p.filename)
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		pw.Write(p.body)
	}
	w.Close()
	return buf.Bytes(), w.FormDataContentType()
}

// filesClient sends raw requests to a blog server.
type filesClient struct {
	t  *testing.T
	ts *httptest.Server
}

func (c *filesClient) do(method, path string, body []byte, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.ts.Client().Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, b
}

// want fails the test unless resp has status.
func (c *filesClient) want(status int, resp *http.Response, body []byte) {
	c.t.Helper()
	if resp.StatusCode != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, status, body)
	}
}

// problem checks a problem+json answer and returns its decoded body.
func (c *filesClient) problem(status int, code string, resp *http.Response, body []byte) map[string]any {
	c.t.Helper()
	c.want(status, resp, body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		c.t.Fatalf("content type %q, want problem+json: %s", ct, body)
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		c.t.Fatal(err)
	}
	if p["code"] != code {
		c.t.Fatalf("code %v, want %s: %s", p["code"], code, body)
	}
	return p
}

// newFilesServer starts the blog on a fresh store of b and returns the
// server (for its file store) and a client of it acting as an admin.
func newFilesServer(t *testing.T, b backend) (*server.Server, *filesClient) {
	t.Helper()
	cfg := server.Config{DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)}
	b.configure(t, &cfg)
	srv, err := server.New(cfg, blog.App())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(actAsAdmin(srv.Handler()))
	t.Cleanup(ts.Close)
	return srv, &filesClient{t: t, ts: ts}
}

// objectCount counts the objects of the server's files blob store.
func objectCount(t *testing.T, srv *server.Server) int {
	t.Helper()
	n := 0
	err := srv.Files().Blobs().List(context.Background(), "files/", func(blob.Info) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFiles(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			srv, c := newFilesServer(t, b)
			ts := c.ts
			resp, body := c.do("POST", "/api/authors", []byte(`{"name":"Ann","email":"ann@example.com"}`))
			c.want(201, resp, body)
			var author struct {
				Meta struct {
					ID string `json:"resource_id"`
				} `json:"meta"`
			}
			json.Unmarshal(body, &author)

			// Multipart create: the data part and the cover part.
			data := fmt.Sprintf(`{"title":"With a cover","author":%q}`, author.Meta.ID)
			mb, ct := multipartBody(t, filePart{name: "data", body: []byte(data)},
				filePart{name: "cover", filename: "../../etc/cover.png", contentType: "image/png", body: pngBytes})
			resp, body = c.do("POST", "/api/posts", mb, "Content-Type", ct)
			c.want(201, resp, body)
			var post struct {
				Data struct {
					Cover map[string]any `json:"cover"`
				} `json:"data"`
				Meta struct {
					ID string `json:"resource_id"`
				} `json:"meta"`
			}
			if err := json.Unmarshal(body, &post); err != nil {
				t.Fatal(err)
			}
			cover := post.Data.Cover
			if cover["name"] != "cover.png" || cover["content_type"] != "image/png" || cover["size"] != float64(len(pngBytes)) || cover["sha256"] != sha(pngBytes) {
				t.Fatalf("cover = %v", cover)
			}
			id := post.Meta.ID

			// Download with the headers a browser and a cache need.
			resp, got := c.do("GET", "/api/posts/"+id+"/files/cover", nil)
			c.want(200, resp, got)
			if !bytes.Equal(got, pngBytes) {
				t.Fatalf("download: %d bytes, want %d", len(got), len(pngBytes))
			}
			for k, v := range map[string]string{
				"Content-Type": "image/png", "Content-Length": fmt.Sprint(len(pngBytes)),
				"Etag": `"` + sha(pngBytes) + `"`, "X-Content-Type-Options": "nosniff",
				"Content-Disposition": `inline; filename=cover.png`,
			} {
				if resp.Header.Get(k) != v {
					t.Errorf("%s = %q, want %q", k, resp.Header.Get(k), v)
				}
			}
			resp, got = c.do("GET", "/api/posts/"+id+"/files/cover", nil, "If-None-Match", `"`+sha(pngBytes)+`"`)
			c.want(304, resp, got)
			resp, got = c.do("GET", "/api/posts/"+id+"/files/cover", nil, "Range", "bytes=1-3")
			c.want(206, resp, got)
			if string(got) != string(pngBytes[1:4]) || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 1-3/%d", len(pngBytes)) {
				t.Fatalf("range: %q %q", got, resp.Header.Get("Content-Range"))
			}
			resp, got = c.do("GET", "/api/posts/"+id+"/files/cover", nil, "Range", "bytes=0-0,2-2")
			c.want(206, resp, got)
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges") {
				t.Fatalf("multiple ranges: content type %q", resp.Header.Get("Content-Type"))
			}

			// A list of files: one part per file, appended to the list in data.
			mb, ct = multipartBody(t, filePart{name: "data", body: []byte(fmt.Sprintf(`{"title":"With attachments","author":%q}`, author.Meta.ID))},
				filePart{name: "attachments", filename: "notes.txt", body: []byte("first attachment")},
				filePart{name: "attachments", filename: "page.html", body: []byte("<html><body>hi</body></html>")})
			resp, body = c.do("POST", "/api/posts", mb, "Content-Type", ct)
			c.want(201, resp, body)
			var withList struct {
				Data struct {
					Attachments []map[string]any `json:"attachments"`
				} `json:"data"`
				Meta struct {
					ID string `json:"resource_id"`
				} `json:"meta"`
			}
			json.Unmarshal(body, &withList)
			if len(withList.Data.Attachments) != 2 || withList.Data.Attachments[1]["name"] != "page.html" {
				t.Fatalf("attachments = %v", withList.Data.Attachments)
			}
			lid := withList.Meta.ID
			resp, got = c.do("GET", "/api/posts/"+lid+"/files/attachments/0", nil)
			c.want(200, resp, got)
			if string(got) != "first attachment" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("attachment 0: %q %s", got, resp.Header.Get("Content-Type"))
			}
			// HTML is served as an attachment, never inline.
			resp, got = c.do("GET", "/api/posts/"+lid+"/files/attachments/1", nil)
			c.want(200, resp, got)
			if resp.Header.Get("Content-Type") != "text/html" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Fatalf("active type served as %s, %s", resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
			}
			resp, got = c.do("GET", "/api/posts/"+lid+"/files/attachments/2", nil)
			c.problem(404, "NOT_FOUND", resp, got)
			resp, got = c.do("GET", "/api/posts/"+lid+"/files/attachments", nil)
			c.problem(404, "NOT_FOUND", resp, got)
			// A PUT that sends the list back keeps it; a part appends to it.
			var current map[string]any
			resp, body = c.do("GET", "/api/posts/"+lid, nil)
			json.Unmarshal(body, &current)
			dataJSON, _ := json.Marshal(current["data"])
			mb, ct = multipartBody(t, filePart{name: "data", body: dataJSON},
				filePart{name: "attachments", filename: "third.txt", body: []byte("third")})
			resp, body = c.do("PUT", "/api/posts/"+lid, mb, "Content-Type", ct)
			c.want(200, resp, body)
			json.Unmarshal(body, &withList)
			if len(withList.Data.Attachments) != 3 || withList.Data.Attachments[2]["name"] != "third.txt" {
				t.Fatalf("attachments after PUT = %v", withList.Data.Attachments)
			}

			// Two-step: upload, then reference by id in a JSON update.
			other := append(bytes.Clone(pngBytes), 'x')
			mb, ct = multipartBody(t, filePart{name: "file", filename: "second.png", body: other})
			resp, body = c.do("POST", "/api/files", mb, "Content-Type", ct)
			c.want(201, resp, body)
			var up map[string]any
			json.Unmarshal(body, &up)
			if up["sha256"] != sha(other) || up["content_type"] != "image/png" {
				t.Fatalf("upload = %v", up)
			}
			// The client's claims are replaced by the recorded ones.
			patch := fmt.Sprintf(`{"cover":{"id":%q,"name":"x","content_type":"image/png","size":1,"sha256":"%s"}}`, up["id"], strings.Repeat("0", 64))
			resp, body = c.do("PATCH", "/api/posts/"+id, []byte(patch), "Content-Type", "application/merge-patch+json")
			c.want(200, resp, body)
			json.Unmarshal(body, &post)
			if post.Data.Cover["sha256"] != sha(other) || post.Data.Cover["size"] != float64(len(other)) || post.Data.Cover["name"] != "second.png" {
				t.Fatalf("cover after the two-step upload = %v", post.Data.Cover)
			}
			// Every revision keeps its file.
			resp, got = c.do("GET", "/api/posts/"+id+"/files/cover?revision=1", nil)
			c.want(200, resp, got)
			if !bytes.Equal(got, pngBytes) {
				t.Fatalf("revision 1's cover changed")
			}
			resp, got = c.do("GET", "/api/posts/"+id+"/files/cover", nil)
			c.want(200, resp, got)
			if !bytes.Equal(got, other) {
				t.Fatalf("current cover is not the second upload")
			}
			// Writing the current object back is accepted (it is the resource's own).
			resp, body = c.do("PATCH", "/api/posts/"+id, []byte(`{"title":"Renamed"}`), "Content-Type", "application/merge-patch+json")
			c.want(200, resp, body)

			// Bad input: each a problem, nothing written.
			bad := []struct {
				name   string
				body   func() ([]byte, string)
				status int
				code   string
			}{
				{"unknown file id", func() ([]byte, string) {
					return []byte(`{"cover":{"id":"0190d4d0-0000-7000-8000-000000000000","name":"a.png","content_type":"image/png","size":1,"sha256":"` + strings.Repeat("a", 64) + `"}}`), "application/merge-patch+json"
				}, 422, "VALIDATION_ERROR"},
				{"invented id", func() ([]byte, string) {
					return []byte(`{"cover":{"id":"../../x","name":"a.png","content_type":"image/png","size":1,"sha256":"` + strings.Repeat("a", 64) + `"}}`), "application/merge-patch+json"
				}, 422, "VALIDATION_ERROR"},
				{"lying content type", func() ([]byte, string) {
					return multipartBody(t, filePart{name: "data", body: []byte(`{}`)},
						filePart{name: "cover", filename: "evil.png", contentType: "image/png", body: []byte("<html><script>alert(1)</script></html>")})
				}, 415, "UNSUPPORTED_MEDIA_TYPE"},
				{"oversized part", func() ([]byte, string) {
					big := append(bytes.Clone(pngBytes), make([]byte, 5<<20)...)
					return multipartBody(t, filePart{name: "data", body: []byte(`{}`)}, filePart{name: "cover", filename: "big.png", body: big})
				}, 413, "PAYLOAD_TOO_LARGE"},
				{"invalid JSON in data", func() ([]byte, string) {
					return multipartBody(t, filePart{name: "data", body: []byte(`{"title":`)})
				}, 400, "BAD_REQUEST"},
				{"truncated multipart", func() ([]byte, string) {
					b, ct := multipartBody(t, filePart{name: "data", body: []byte(`{}`)}, filePart{name: "cover", filename: "c.png", body: pngBytes})
					return b[:len(b)-40], ct
				}, 400, "BAD_REQUEST"},
				{"unknown part", func() ([]byte, string) {
					return multipartBody(t, filePart{name: "avatar", filename: "c.png", body: pngBytes})
				}, 400, "BAD_REQUEST"},
			}
			before := objectCount(t, srv)
			for _, tt := range bad {
				t.Run(tt.name, func(t *testing.T) {
					c := &filesClient{t: t, ts: ts}
					body, ct := tt.body()
					resp, rb := c.do("PATCH", "/api/posts/"+id, body, "Content-Type", ct)
					c.problem(tt.status, tt.code, resp, rb)
					resp, rb = c.do("GET", "/api/posts/"+id+"/files/cover", nil)
					c.want(200, resp, rb)
					if !bytes.Equal(rb, other) {
						t.Fatalf("the cover changed")
					}
					if n := objectCount(t, srv); n != before {
						t.Fatalf("the files store holds %d objects, %d before: something was left behind", n, before)
					}
				})
			}
			resp, body = c.do("GET", "/api/posts/"+id+"/revisions", nil)
			c.want(200, resp, body)
			if n := strings.Count(string(body), `"revision_id"`); n != 3 {
				t.Fatalf("%d revisions after the bad requests, want 3: %s", n, body)
			}
			// Unknown field, index on a single file: 404.
			resp, body = c.do("GET", "/api/posts/"+id+"/files/title", nil)
			c.problem(404, "NOT_FOUND", resp, body)
			resp, body = c.do("GET", "/api/posts/"+id+"/files/cover/0", nil)
			c.problem(404, "NOT_FOUND", resp, body)
		})
	}
}

// TestFilesGC checks on every backend that the collector removes the
// bytes of purged resources and of uploads never referenced, and keeps
// those of every stored revision.
func TestFilesGC(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			srv, c := newFilesServer(t, b)
			resp, body := c.do("POST", "/api/authors", []byte(`{"name":"Gc","email":"gc@example.com"}`))
			c.want(201, resp, body)
			var author struct {
				Meta struct {
					ID string `json:"resource_id"`
				} `json:"meta"`
			}
			json.Unmarshal(body, &author)
			create := func(title string, cover []byte) string {
				t.Helper()
				mb, ct := multipartBody(t, filePart{name: "data", body: []byte(fmt.Sprintf(`{"title":%q,"author":%q}`, title, author.Meta.ID))},
					filePart{name: "cover", filename: "c.png", body: cover})
				resp, body := c.do("POST", "/api/posts", mb, "Content-Type", ct)
				c.want(201, resp, body)
				var env struct {
					Meta struct {
						ID string `json:"resource_id"`
					} `json:"meta"`
				}
				json.Unmarshal(body, &env)
				return env.Meta.ID
			}
			cover := func(n byte) []byte { return append(bytes.Clone(pngBytes), n) }
			kept := create("Kept", cover(1))
			// A second revision with another cover: both stay.
			mb, ct := multipartBody(t, filePart{name: "data", body: []byte(`{}`)}, filePart{name: "cover", filename: "d.png", body: cover(2)})
			resp, body = c.do("PATCH", "/api/posts/"+kept, mb, "Content-Type", ct)
			c.want(200, resp, body)
			purged := create("Purged", cover(3))
			resp, body = c.do("DELETE", "/api/posts/"+purged+"/permanently", nil)
			c.want(204, resp, body)
			mb, ct = multipartBody(t, filePart{name: "file", filename: "orphan.png", body: cover(4)})
			resp, body = c.do("POST", "/api/files", mb, "Content-Type", ct)
			c.want(201, resp, body)

			// The default grace period keeps everything young.
			st, err := srv.CollectFiles(context.Background(), time.Hour)
			if err != nil || st.DeletedBlobs != 0 || st.DeletedUploads != 0 {
				t.Fatalf("collect within the grace period: %+v %v", st, err)
			}
			st, err = srv.CollectFiles(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if st.DeletedBlobs != 2 || st.DeletedUploads != 1 {
				t.Errorf("collect: %+v, want the purged post's cover and the orphan upload removed", st)
			}
			for _, rev := range []string{"1", "2"} {
				resp, got := c.do("GET", "/api/posts/"+kept+"/files/cover?revision="+rev, nil)
				c.want(200, resp, got)
			}
			if n := objectCount(t, srv); n != 2 {
				t.Errorf("%d objects left, want the 2 covers of the kept post", n)
			}
		})
	}
}

// TestFilesGraphQL uploads a file over REST (POST /api/files) and
// references it in a GraphQL mutation: the stored object is the server's
// record, the GraphQL answer shows it, and the REST download serves it.
