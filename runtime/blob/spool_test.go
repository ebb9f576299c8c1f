package blob_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/blob"
)

func TestSpool(t *testing.T) {
	forEachStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		t.Run("commit", func(t *testing.T) {
			sp, err := blob.NewSpool(s, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for _, chunk := range []string{"spooled ", "in ", "chunks"} {
				if _, err := io.WriteString(sp, chunk); err != nil {
					t.Fatal(err)
				}
			}
			if sp.Size() != int64(len("spooled in chunks")) {
				t.Fatalf("Size = %d", sp.Size())
			}
			if err := sp.Commit(ctx, "spooled/obj", "text/plain"); err != nil {
				t.Fatal(err)
			}
			got, info, err := read(s, "spooled/obj")
			if err != nil || got != "spooled in chunks" || info.ContentType != "text/plain" {
				t.Fatalf("after Commit: %q %+v %v", got, info, err)
			}
			if got := keys(t, s, ""); len(got) != 1 {
				t.Fatalf("store holds %v, want only the committed object", got)
			}
		})
		t.Run("discard", func(t *testing.T) {
			sp, err := blob.NewSpool(s, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(sp, "never stored")
			sp.Discard()
			if got := keys(t, s, "discarded"); len(got) != 0 {
				t.Fatalf("Discard left %v", got)
			}
		})
		t.Run("invalid key", func(t *testing.T) {
			sp, err := blob.NewSpool(s, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(sp, "x")
			if err := sp.Commit(ctx, "../escape", ""); err == nil {
				t.Fatal("Commit to an invalid key succeeded")
			}
			sp.Discard()
		})
	})
}

func TestReadSeeker(t *testing.T) {
	forEachStore(t, func(t *testing.T, s blob.Store) {
		ctx := context.Background()
		data := strings.Repeat("0123456789", 1000)
		put(t, s, "seek/me", data, "text/plain")
		rs, info, err := blob.ReadSeeker(ctx, s, "seek/me")
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		if info.Size != int64(len(data)) {
			t.Fatalf("size %d", info.Size)
		}
		for _, off := range []int64{5000, 17, 9990, 0} {
			if _, err := rs.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 10)
			if _, err := io.ReadFull(rs, buf); err != nil {
				t.Fatalf("read at %d: %v", off, err)
			}
			if string(buf) != data[off:off+10] {
				t.Fatalf("at %d read %q, want %q", off, buf, data[off:off+10])
			}
		}
		if end, err := rs.Seek(0, io.SeekEnd); err != nil || end != int64(len(data)) {
			t.Fatalf("Seek end = %d, %v", end, err)
		}
		if _, _, err := blob.ReadSeeker(ctx, s, "seek/absent"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("missing object: %v", err)
		}
	})
}
