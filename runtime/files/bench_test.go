package files_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
)

// pattern is a reader of n bytes that are not all alike (so that nothing
// can compress or skip them), made without holding n bytes.
type pattern struct{ left, i int64 }

func (p *pattern) Read(b []byte) (int, error) {
	if p.left == 0 {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > p.left {
		n = p.left
	}
	for j := range b[:n] {
		b[j] = byte(p.i*7 + p.i>>9)
		p.i++
	}
	p.left -= n
	return int(n), nil
}

// multipartStream returns a reader of a multipart body with one part
// "file" of size bytes, written as it is read, and its content type.
func multipartStream(size int64) (io.Reader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", "big.bin")
		if err == nil {
			_, err = io.Copy(part, &pattern{left: size})
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, mw.FormDataContentType()
}

// saveMultipart reads the one part of a multipart body and saves it.
func saveMultipart(t testing.TB, st *files.Store, body io.Reader, ct string) resource.File {
	_, params, _ := strings.Cut(ct, "boundary=")
	mr := multipart.NewReader(body, params)
	part, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.Save(context.Background(), part, part.FileName(), "file", nil)
	if err != nil {
		t.Fatal(err)
	}
	return u.File
}

// rss returns the resident set size of the process and its peak since
// the last resetPeak, in bytes, from /proc/self/status.
func rss(t *testing.T) (cur, peak int64) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status: RSS is measured on Linux only")
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return cur, peak
}

// TestUploadMemoryIsBounded streams a 1 GiB upload through a multipart
// body into a folder store and checks that the process's peak RSS grew by
// less than 32 MiB (the peak is reset first through
// /proc/self/clear_refs).
func TestUploadMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1 GiB")
	}
	const size = 1 << 30
	d, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	st := files.New(d, files.Options{})
	runtime.GC()
	before, _ := rss(t)
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
	body, ct := multipartStream(size)
	f := saveMultipart(t, st, body, ct)
	_, peak := rss(t)
	grew := peak - before
	t.Logf("1 GiB upload: RSS before %d MiB, peak during %d MiB, growth %.1f MiB", before>>20, peak>>20, float64(grew)/(1<<20))
	if f.Size != size {
		t.Fatalf("stored %d bytes, want %d", f.Size, size)
	}
	if grew >= 32<<20 {
		t.Fatalf("peak RSS grew by %d MiB during a 1 GiB upload, want < 32 MiB", grew>>20)
	}
}

const benchSize = 10 << 20

// benchBody is a 10 MiB multipart body with one part "file".
func benchBody(b *testing.B) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, _ := mw.CreateFormFile("file", "bench.bin")
	io.Copy(part, &pattern{left: benchSize})
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// BenchmarkUpload compares an upload (multipart parsing, hashing,
// sniffing, spooling into a folder store and the upload record) with the
// baseline of copying the same body to a file on the same disk.
func BenchmarkUpload(b *testing.B) {
	body, ct := benchBody(b)
	dir := b.TempDir()
	b.Run("baseline-io.Copy", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			f, err := os.Create(filepath.Join(dir, "copy"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(f, bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("baseline-io.Copy+fsync", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			f, err := os.Create(filepath.Join(dir, "copy"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(f, bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
			f.Sync()
			f.Close()
		}
	})
	b.Run("files", func(b *testing.B) {
		d, err := blob.NewDir(filepath.Join(dir, "store"))
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		st := files.New(d, files.Options{})
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			saveMultipart(b, st, bytes.NewReader(body), ct)
		}
	})
}

// BenchmarkDownload compares a download through files.Store.Serve (an
// echo handler, headers included) with http.ServeContent of the same
// file.
func BenchmarkDownload(b *testing.B) {
	body, ct := benchBody(b)
	dir := b.TempDir()
	d, err := blob.NewDir(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	st := files.New(d, files.Options{})
	f := saveMultipart(b, st, bytes.NewReader(body), ct)
	path := filepath.Join(dir, "store", files.BlobKey(f.SHA256))
	b.Run("baseline-http.ServeContent", func(b *testing.B) {
		b.SetBytes(f.Size)
		for i := 0; i < b.N; i++ {
			fh, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			w := &discardWriter{h: http.Header{}}
			http.ServeContent(w, httptest.NewRequest("GET", "/x", nil), "", fileModTime, fh)
			fh.Close()
			if w.n != f.Size {
				b.Fatalf("served %d bytes", w.n)
			}
		}
	})
	b.Run("files", func(b *testing.B) {
		e := echo.New()
		b.SetBytes(f.Size)
		for i := 0; i < b.N; i++ {
			w := &discardWriter{h: http.Header{}}
			c := e.NewContext(httptest.NewRequest("GET", "/x", nil), w)
			if err := st.Serve(c, f); err != nil {
				b.Fatal(err)
			}
			if w.n != f.Size {
				b.Fatalf("served %d bytes", w.n)
			}
		}
	})
}

// fileModTime is the zero time: neither side sends Last-Modified.
var fileModTime time.Time

// discardWriter is a ResponseWriter that counts the body and drops it.
type discardWriter struct {
	h http.Header
	n int64
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(int)     {}
func (w *discardWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// ReadFrom counts what r yields, as a network connection's ReadFrom
// (sendfile) would take it.
func (w *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(struct{ io.Writer }{w}, r)
	return n, err
}
