package files

import (
	"context"
	"crypto/sha256"
	"io"
	"sync"
)

// The buffers of an upload's pipeline: streamChunks chunks of
// streamChunk bytes, so that an upload in flight holds 1 MiB whatever its
// size.
const (
	streamChunk  = 256 << 10
	streamChunks = 4
)

// chunkPool recycles the chunks of finished uploads: a busy server does
// not allocate (and collect) 1 MiB per upload.
var chunkPool = sync.Pool{New: func() any { b := make([]byte, streamChunk); return &b }}

// streamed is what stream read.
type streamed struct {
	n    int64    // bytes read (limit+1 at most)
	sum  [32]byte // SHA-256 of the bytes, when n <= limit
	head []byte   // the first sniffLen bytes, for content type detection
}

// stream copies r to w in one pass, hashing the bytes with SHA-256 and
// keeping the first sniffLen of them, and stops after limit+1 bytes (the
// caller checks n > limit). Reading, hashing and writing run in a
// pipeline of three goroutines over a ring of chunks, so that an upload
// goes as fast as its slowest stage, not the sum of the three: on a
// multipart body read from a socket, SHA-256 of a chunk overlaps the
// write of the previous one and the read of the next. Every chunk is
// handed to w whole (a large write), and no byte is copied more than the
// read into the chunk. A read error is returned as it is; a write error
// stops the read.
func stream(ctx context.Context, r io.Reader, w io.Writer, limit int64) (streamed, error) {
	var out streamed
	free := make(chan *[]byte, streamChunks)
	for range streamChunks {
		free <- chunkPool.Get().(*[]byte)
	}
	defer func() {
		for range streamChunks {
			chunkPool.Put(<-free)
		}
	}()
	type chunk struct {
		buf *[]byte
		n   int
	}
	toHash := make(chan chunk, streamChunks)
	toWrite := make(chan chunk, streamChunks)
	stop := make(chan struct{}) // closed when the writer fails
	var writeErr error
	h := sha256.New()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the hasher
		defer wg.Done()
		defer close(toWrite)
		for c := range toHash {
			h.Write((*c.buf)[:c.n])
			toWrite <- c
		}
	}()
	go func() { // the writer
		defer wg.Done()
		for c := range toWrite {
			if writeErr == nil {
				if _, err := w.Write((*c.buf)[:c.n]); err != nil {
					writeErr = err
					close(stop)
				}
			}
			free <- c.buf
		}
	}()
	readErr := func() error {
		for out.n <= limit {
			var buf *[]byte
			select {
			case buf = <-free:
			case <-stop:
				return nil
			}
			if err := ctx.Err(); err != nil {
				free <- buf
				return err
			}
			want := int64(len(*buf))
			if left := limit + 1 - out.n; left < want {
				want = left
			}
			n, err := fill(r, (*buf)[:want])
			if out.head == nil && n > 0 {
				out.head = append([]byte(nil), (*buf)[:min(n, sniffLen)]...)
			}
			out.n += int64(n)
			if n > 0 {
				toHash <- chunk{buf, n}
			} else {
				free <- buf
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
		return nil
	}()
	close(toHash)
	wg.Wait()
	if readErr != nil {
		return out, readErr
	}
	if writeErr != nil {
		return out, writeErr
	}
	h.Sum(out.sum[:0])
	return out, nil
}

// fill reads from r until b is full or r fails: io.EOF when r ended
// (whether or not b is full), and the reader's own error otherwise,
// unchanged (io.ReadFull would turn a short read at the end into
// io.ErrUnexpectedEOF, which is what a truncated multipart part reports).
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			// A reader that yields nothing without an error: try
			// again, as io.ReadFull does, but not forever.
			k, err = r.Read(b[n:])
			n += k
			if err != nil {
				return n, err
			}
			if k == 0 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}
