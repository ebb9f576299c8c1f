package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// TestStream checks the one-pass copy of an upload at sizes around its
// chunk and sniffing boundaries: the bytes written, the hash, the head
// and the limit.
func TestStream(t *testing.T) {
	for _, size := range []int{0, 1, sniffLen - 1, sniffLen, streamChunk - 1, streamChunk, streamChunk + 1, 5*streamChunk + 123} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + i>>9)
		}
		var w bytes.Buffer
		// HalfReader: the reads are short, as a multipart part's are.
		got, err := stream(context.Background(), iotest.HalfReader(bytes.NewReader(data)), &w, 1<<30)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got.n != int64(size) || !bytes.Equal(w.Bytes(), data) {
			t.Fatalf("size %d: wrote %d bytes (n %d), want them all", size, w.Len(), got.n)
		}
		if got.sum != sha256.Sum256(data) {
			t.Fatalf("size %d: wrong hash", size)
		}
		if want := data[:min(size, sniffLen)]; !bytes.Equal(got.head, want) {
			t.Fatalf("size %d: head of %d bytes, want %d", size, len(got.head), len(want))
		}
	}
}

// TestStreamLimit: a body over the limit stops after limit+1 bytes.
func TestStreamLimit(t *testing.T) {
	data := make([]byte, 3*streamChunk)
	for _, limit := range []int64{0, 10, streamChunk, int64(len(data)) - 1} {
		got, err := stream(context.Background(), bytes.NewReader(data), io.Discard, limit)
		if err != nil {
			t.Fatal(err)
		}
		if got.n != limit+1 {
			t.Fatalf("limit %d: read %d bytes, want %d", limit, got.n, limit+1)
		}
	}
	got, err := stream(context.Background(), bytes.NewReader(data), io.Discard, int64(len(data)))
	if err != nil || got.n != int64(len(data)) {
		t.Fatalf("at the limit: n %d, err %v", got.n, err)
	}
}

// failingWriter fails after n bytes.
type failingWriter struct{ n int }

var errDisk = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errDisk
	}
	f.n -= len(p)
	return len(p), nil
}

// TestStreamErrors: a read error is returned as it is (a truncated
// multipart part's io.ErrUnexpectedEOF stays that), a write error stops
// the copy, and a cancelled context stops it.
func TestStreamErrors(t *testing.T) {
	data := make([]byte, 4*streamChunk)
	r := io.MultiReader(bytes.NewReader(data[:streamChunk+10]), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := stream(context.Background(), r, io.Discard, 1<<30); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error: got %v, want io.ErrUnexpectedEOF", err)
	}
	// An endless reader: the writer's failure must stop it.
	if _, err := stream(context.Background(), zeros{}, &failingWriter{n: streamChunk}, 1<<40); !errors.Is(err, errDisk) {
		t.Fatalf("write error: got %v, want %v", err, errDisk)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := stream(ctx, zeros{}, io.Discard, 1<<40); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: got %v", err)
	}
}

// zeros is an endless reader of zeros.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
