package blob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
)

// Spool is a temporary object being written before its key is known: a
// content-addressed upload learns its key (the hash of its bytes) only
// after its last byte. The bytes go to a temporary file, so that memory
// stays bounded whatever the size; Commit stores them under a key and
// Discard drops them. Exactly one of the two must be called.
type Spool interface {
	io.Writer
	// Size is the number of bytes written so far.
	Size() int64
	// Commit stores the bytes written under key, as Put does, and
	// releases the spool.
	Commit(ctx context.Context, key, contentType string) error
	// Discard drops the bytes written and releases the spool.
	Discard()
}

// NewSpool starts a spool for store s. On a Dir the temporary file is in
// the store's own folder and Commit renames it into place (the bytes are
// written once); on other stores it is in tmpDir (os.TempDir() when
// empty) and Commit copies it with Put.
func NewSpool(s Store, tmpDir string) (Spool, error) {
	if d, ok := s.(*Dir); ok {
		name := ".spool-" + rand.Text()
		f, err := d.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fmt.Errorf("blob: spool: %w", err)
		}
		return &dirSpool{d: d, f: f, name: name}, nil
	}
	f, err := os.CreateTemp(tmpDir, "specstar-spool-*")
	if err != nil {
		return nil, fmt.Errorf("blob: spool: %w", err)
	}
	return &fileSpool{s: s, f: f}, nil
}

// dirSpool is the spool of a Dir: a temporary file at the folder's root.
type dirSpool struct {
	d       *Dir
	f       *os.File
	name    string
	n       int64
	flushed int64 // bytes whose writeback has been started
}

// writebackEvery is how many written bytes a spool lets pile up before
// it starts their writeback.
const writebackEvery = 2 << 20

// Write appends to the temporary file, and starts the writeback of every
// writebackEvery bytes written.
func (p *dirSpool) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	p.n += int64(n)
	if p.n-p.flushed >= writebackEvery {
		startWriteback(p.f, p.flushed, p.n-p.flushed)
		p.flushed = p.n
	}
	return n, err
}

// Size is the number of bytes written.
func (p *dirSpool) Size() int64 { return p.n }

// Commit syncs the file, writes the metadata and renames the file to key.
func (p *dirSpool) Commit(ctx context.Context, key, ct string) (err error) {
	defer func() {
		if err != nil {
			p.Discard()
		}
	}()
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := p.f.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	p.f = nil
	if dir := path.Dir(key); dir != "." {
		if err := p.d.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("blob: put %s: %w", key, err)
		}
	}
	if err := p.d.putMeta(key, ct); err != nil {
		return err
	}
	if err := p.d.root.Rename(p.name, key); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	p.name = ""
	return p.d.syncDir(key)
}

// Discard closes and removes the temporary file.
func (p *dirSpool) Discard() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
	if p.name != "" {
		p.d.root.Remove(p.name)
		p.name = ""
	}
}

// fileSpool is the spool of any other store: a temporary file copied by
// Put.
type fileSpool struct {
	s Store
	f *os.File
	n int64
}

// Write appends to the temporary file.
func (p *fileSpool) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	p.n += int64(n)
	return n, err
}

// Size is the number of bytes written.
func (p *fileSpool) Size() int64 { return p.n }

// Commit puts the file's bytes under key.
func (p *fileSpool) Commit(ctx context.Context, key, ct string) error {
	defer p.Discard()
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return p.s.Put(ctx, key, p.f, p.n, ct)
}

// Discard closes and removes the temporary file.
func (p *fileSpool) Discard() {
	if p.f == nil {
		return
	}
	name := p.f.Name()
	p.f.Close()
	p.f = nil
	os.Remove(name)
}

// ReadSeeker opens the object under key, of the given size, as an
// io.ReadSeekCloser for http.ServeContent: the reader of Get when it can
// seek (Dir, Memory); otherwise (S3) a reader that opens the object again
// from the position of each seek, with an HTTP range when the store is an
// S3.
func ReadSeeker(ctx context.Context, s Store, key string) (io.ReadSeekCloser, Info, error) {
	rc, info, err := s.Get(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	if rs, ok := rc.(io.ReadSeekCloser); ok {
		return rs, info, nil
	}
	return &lazySeeker{ctx: ctx, s: s, key: key, size: info.Size, rc: rc}, info, nil
}

// lazySeeker reads an object from an offset, reopening it after a seek.
type lazySeeker struct {
	ctx  context.Context
	s    Store
	key  string
	size int64
	off  int64         // the position of the next Read
	rc   io.ReadCloser // open at off, or nil
}

// Read reads at the current offset, opening the object there if needed.
func (l *lazySeeker) Read(p []byte) (int, error) {
	if l.off >= l.size {
		return 0, io.EOF
	}
	if l.rc == nil {
		rc, err := l.open(l.off)
		if err != nil {
			return 0, err
		}
		l.rc = rc
	}
	n, err := l.rc.Read(p)
	l.off += int64(n)
	return n, err
}

// open opens the object at off.
func (l *lazySeeker) open(off int64) (io.ReadCloser, error) {
	if r, ok := l.s.(interface {
		GetRange(ctx context.Context, key string, off int64) (io.ReadCloser, error)
	}); ok {
		return r.GetRange(l.ctx, l.key, off)
	}
	rc, _, err := l.s.Get(l.ctx, l.key)
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, rc, off); err != nil {
		rc.Close()
		return nil, err
	}
	return rc, nil
}

// Seek moves the offset; the next Read reopens the object there.
func (l *lazySeeker) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += l.off
	case io.SeekEnd:
		offset += l.size
	}
	if offset < 0 {
		return 0, errors.New("blob: seek before the start")
	}
	if offset != l.off && l.rc != nil {
		l.rc.Close()
		l.rc = nil
	}
	l.off = offset
	return offset, nil
}

// Close closes the open reader, if any.
func (l *lazySeeker) Close() error {
	if l.rc == nil {
		return nil
	}
	err := l.rc.Close()
	l.rc = nil
	return err
}
