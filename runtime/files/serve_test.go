package files_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
)

// TestServeFromFolder serves a file of a folder store over a real
// connection, where the bytes go by sendfile (Serve hands the
// connection's ReadFrom through echo's response): whole, by range, as
// HEAD and as 304, with the lengths and bytes of each.
func TestServeFromFolder(t *testing.T) {
	d, err := blob.NewDir(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st := files.New(d, files.Options{})
	data, err := io.ReadAll(&pattern{left: 3<<20 + 17})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Save(context.Background(), bytes.NewReader(data), "big.bin", "file", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Match([]string{http.MethodGet, http.MethodHead}, "/f", func(c echo.Context) error {
		if err := st.Serve(c, u.File); err != nil {
			return err
		}
		if c.Request().Method == http.MethodGet && c.Response().Status == http.StatusOK && c.Response().Size != u.File.Size {
			t.Errorf("echo counted %d bytes, want %d", c.Response().Size, u.File.Size)
		}
		return nil
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	get := func(method string, header ...string) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, srv.URL+"/f", nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}
	resp, body := get("GET")
	if resp.StatusCode != 200 || !bytes.Equal(body, data) || resp.ContentLength != int64(len(data)) ||
		resp.Header.Get("ETag") != `"`+u.File.SHA256+`"` {
		t.Fatalf("GET: %d, %d bytes (Content-Length %d), ETag %q", resp.StatusCode, len(body), resp.ContentLength, resp.Header.Get("ETag"))
	}
	resp, body = get("GET", "Range", "bytes=1000000-2000000")
	if resp.StatusCode != 206 || !bytes.Equal(body, data[1000000:2000001]) ||
		resp.Header.Get("Content-Range") != "bytes 1000000-2000000/"+strconv.Itoa(len(data)) {
		t.Fatalf("range: %d, %d bytes, %q", resp.StatusCode, len(body), resp.Header.Get("Content-Range"))
	}
	resp, body = get("HEAD")
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != strconv.Itoa(len(data)) {
		t.Fatalf("HEAD: %d, %d bytes, Content-Length %q", resp.StatusCode, len(body), resp.Header.Get("Content-Length"))
	}
	resp, body = get("GET", "If-None-Match", `"`+u.File.SHA256+`"`)
	if resp.StatusCode != 304 || len(body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", resp.StatusCode, len(body))
	}
}
