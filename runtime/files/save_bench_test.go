package files_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/files"
)

// BenchmarkUploadInProcess is the upload without HTTP: a 10 MiB
// multipart body read from memory, its part saved by files.Store.Save
// (streamed, hashed, sniffed, synced into a folder store, the upload
// record written), against io.Copy of the same body to a new file on the
// same disk, without and with a sync. It shows the cost of the upload's
// own work (SHA-256 above all) without the transport that both sides of
// BenchmarkUpload share; the target is BenchmarkUpload's.
func BenchmarkUploadInProcess(b *testing.B) {
	body, ct, mid := benchBody(b)
	dir := b.TempDir()
	d, err := blob.NewDir(filepath.Join(dir, "store"))
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	st := files.New(d, files.Options{})
	n := 0
	copyTo := func(sync bool) func(int) {
		return func(i int) {
			vary(body, mid, i)
			n++
			f, err := os.Create(filepath.Join(dir, "copy"+strconv.Itoa(n)))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			if _, err := io.Copy(f, bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
			if sync {
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	save := func(i int) {
		vary(body, mid, i)
		saveMultipart(b, st, bytes.NewReader(body), ct)
	}
	b.Run("vs-io.Copy", func(b *testing.B) {
		ratio(b, "upload 10 MiB in process", "io.Copy of the body to a file", int64(len(body)), 0, copyTo(false), save)
	})
	b.Run("vs-io.Copy+fsync", func(b *testing.B) {
		ratio(b, "upload 10 MiB in process", "io.Copy of the body to a file and fsync", int64(len(body)), 0, copyTo(true), save)
	})
}
