package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Files is where the file bytes of a whole-backend archive come from
// (backup) and go to (restore): the content-addressed blob store of
// uploads, by SHA-256 (lowercase hex).
type Files interface {
	// Open opens the bytes of sum; an error matching blob.ErrNotFound
	// when there are none.
	Open(ctx context.Context, sum string) (io.ReadCloser, int64, error)
	// Exists reports whether the bytes of sum are stored.
	Exists(ctx context.Context, sum string) (bool, error)
	// Put stores the bytes of r, of the given size, under sum; r fails
	// (and Put stores nothing) when they are not size bytes hashing to
	// sum.
	Put(ctx context.Context, sum string, r io.Reader, size int64) error
	// Delete removes the bytes of sum.
	Delete(ctx context.Context, sum string) error
}

// BlobPrefix is the key prefix of file bytes in the blob store: the
// bytes of a file live once per content under BlobPrefix + sha256 (the
// contract with runtime/files).
const BlobPrefix = "files/sha256/"

// BlobFiles returns the Files of a blob store holding uploads under
// BlobPrefix.
func BlobFiles(s blob.Store) Files { return blobFiles{s} }

type blobFiles struct{ s blob.Store }

func (f blobFiles) Open(ctx context.Context, sum string) (io.ReadCloser, int64, error) {
	r, info, err := f.s.Get(ctx, BlobPrefix+sum)
	if err != nil {
		return nil, 0, err
	}
	return r, info.Size, nil
}

func (f blobFiles) Exists(ctx context.Context, sum string) (bool, error) {
	_, err := f.s.Stat(ctx, BlobPrefix+sum)
	if errors.Is(err, blob.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (f blobFiles) Put(ctx context.Context, sum string, r io.Reader, size int64) error {
	return f.s.Put(ctx, BlobPrefix+sum, r, size, "")
}

func (f blobFiles) Delete(ctx context.Context, sum string) error {
	return f.s.Delete(ctx, BlobPrefix+sum)
}

// filesKey is the key of the Files of a resource.Service (WithFiles).
type filesKey struct{}

// WithFiles attaches the file store to a Service: export and import
// through REST then check and carry file bytes. The server sets it to
// its uploads' blob store.
func WithFiles(f Files) resource.Option { return resource.WithValue(filesKey{}, f) }

// FilesOf returns the Files attached to svc, or nil.
func FilesOf(svc *resource.Service) Files {
	f, _ := svc.Value(filesKey{}).(Files)
	return f
}

// validSum reports whether s is a SHA-256 in lowercase hex.
func validSum(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// fileSums calls fn with the sha256 of every file value in data: an
// object with id, name, content_type, size and a valid sha256, at any
// depth (a file field, a list of files, a file inside a nested object).
func fileSums(data []byte, fn func(sum string)) error {
	if !bytes.Contains(data, []byte(`"sha256"`)) {
		return nil // the common case, without decoding
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return err
	}
	walkFiles(v, fn)
	return nil
}

func walkFiles(v any, fn func(sum string)) {
	switch v := v.(type) {
	case map[string]any:
		if isFile(v) {
			fn(v["sha256"].(string))
			return
		}
		for _, e := range v {
			walkFiles(e, fn)
		}
	case []any:
		for _, e := range v {
			walkFiles(e, fn)
		}
	}
}

// isFile reports whether obj has the shape of a file value
// (resource.File).
func isFile(obj map[string]any) bool {
	sum, ok := obj["sha256"].(string)
	if !ok || !validSum(sum) {
		return false
	}
	for _, key := range []string{"id", "name", "content_type", "size"} {
		if _, ok := obj[key]; !ok {
			return false
		}
	}
	return true
}

// verifier passes the bytes of r through and fails at the end, instead
// of returning io.EOF, when they are not size bytes hashing to sum, so
// that a store writing them stores nothing.
type verifier struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	size int64
	sum  string
}

func newVerifier(r io.Reader, sum string, size int64) *verifier {
	return &verifier{r: r, h: sha256.New(), size: size, sum: sum}
}

func (v *verifier) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.size {
		return n, fmt.Errorf("file %s: more than its %d bytes", v.sum, v.size)
	}
	if err == io.EOF {
		if v.n != v.size {
			return n, fmt.Errorf("file %s: %d bytes, want %d", v.sum, v.n, v.size)
		}
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.sum {
			return n, fmt.Errorf("file %s: its bytes hash to %s (damaged)", v.sum, got)
		}
	}
	return n, err
}
