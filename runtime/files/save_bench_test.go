package files

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"testing"

	"github.com/specstar-go/specstar/runtime/blob"
)

// BenchmarkUploadWrite measures the upload of a multipart write (the
// part streamed, hashed, sniffed and spooled into a folder store, no
// upload record) against io.Copy of the same 10 MiB body to a file on
// the same disk, in the same run.
func BenchmarkUploadWrite(b *testing.B) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, _ := mw.CreateFormFile("cover", "bench.bin")
	data := make([]byte, 10<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	part.Write(data)
	mw.Close()
	body, boundary := buf.Bytes(), mw.Boundary()
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
	b.Run("files", func(b *testing.B) {
		d, err := blob.NewDir(filepath.Join(dir, "store"))
		if err != nil {
			b.Fatal(err)
		}
		defer d.Close()
		s := New(d, Options{})
		b.SetBytes(int64(len(body)))
		for i := 0; i < b.N; i++ {
			// New content each time, as uploads mostly are: the
			// bytes are written, not found.
			copy(body[len(body)/2:], []byte{byte(i), byte(i >> 8), 0xfe})
			mr := multipart.NewReader(bytes.NewReader(body), boundary)
			p, err := mr.NextPart()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.save(context.Background(), p, p.FileName(), "cover", nil, false); err != nil {
				b.Fatal(err)
			}
		}
	})
}
