// Package blob stores opaque objects (file field uploads, revision bodies)
// under slash-separated keys, behind one small interface with two
// implementations: S3 (any S3-compatible service, path-style addressing)
// and Dir (a local folder).
//
// Keys are the same on every store, so that data can move between them:
// see ValidKey.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
	"unicode/utf8"
)

// Store is a blob store. Objects are immutable once written: Put replaces
// an object as a whole, atomically (a reader sees the old or the new
// bytes, never a mix). Every method is safe for concurrent use.
type Store interface {
	// Put stores the bytes of r under key. size is the exact length of r,
	// or -1 when unknown; when r yields a different number of bytes, Put
	// fails and stores nothing. An empty contentType is stored as
	// DefaultContentType.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object under key; the caller closes the reader. A
	// missing object is an error matching ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, Info, error)
	// Stat returns the object's info, or an error matching ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object under key. Deleting a missing object is
	// not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn with the info of every object whose key starts with
	// prefix (any string, not only a folder), in no particular order, and
	// stops at the first error fn returns. Info.ContentType may be empty
	// in listings.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Info describes a stored object.
type Info struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time // when the object was last written
}

// DefaultContentType is the content type of an object stored without one.
const DefaultContentType = "application/octet-stream"

// ErrNotFound is matched (errors.Is) by the error of a read of a missing
// object.
var ErrNotFound = errors.New("blob: object not found")

// MaxKeyLen is the longest key in bytes (S3's limit).
const MaxKeyLen = 1024

// ValidKey reports whether key can name an object on every store: a
// non-empty, slash-separated relative path of valid UTF-8 (fs.ValidPath:
// no leading or trailing slash, no empty, "." or ".." element), at most
// MaxKeyLen bytes, without backslashes or control characters, and with no
// element starting with "." (Dir keeps its temporary and metadata files
// under such names).
func ValidKey(key string) error {
	switch {
	case key == "":
		return errors.New("blob: empty key")
	case len(key) > MaxKeyLen:
		return fmt.Errorf("blob: key of %d bytes, the limit is %d", len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("blob: key %q is not valid UTF-8", key)
	case !fs.ValidPath(key):
		return fmt.Errorf("blob: key %q is not a clean relative slash-separated path", key)
	}
	for _, r := range key {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("blob: key %q contains %q", key, r)
		}
	}
	for elem := range strings.SplitSeq(key, "/") {
		if strings.HasPrefix(elem, ".") {
			return fmt.Errorf("blob: key %q has an element starting with '.'", key)
		}
	}
	return nil
}

// contentType returns ct, or DefaultContentType when it is empty.
func contentType(ct string) string {
	if ct == "" {
		return DefaultContentType
	}
	return ct
}

// errSize reports a reader whose length is not the announced size.
func errSize(key string, want, got int64) error {
	return fmt.Errorf("blob: put %s: announced %d bytes, read %d", key, want, got)
}

// ctxReader fails reads once its context is done, so that a long copy
// stops when the caller gives up.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads from the underlying reader unless the context is done.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
