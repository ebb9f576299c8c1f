package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Memory is a Store in the process's memory, for tests and the memory
// database: its objects vanish with the process. It keeps whole objects in
// memory, so it is no place for large files.
type Memory struct {
	mu      sync.RWMutex
	objects map[string]memObject
	now     func() time.Time
}

// memObject is one stored object.
type memObject struct {
	data []byte
	info Info
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty memory store.
func NewMemory() *Memory {
	return &Memory{objects: make(map[string]memObject), now: time.Now}
}

// Put reads r whole and stores a copy.
func (m *Memory) Put(ctx context.Context, key string, r io.Reader, size int64, ct string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	var buf bytes.Buffer
	if size > 0 {
		buf.Grow(int(size))
	}
	n, err := io.Copy(&buf, ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return errSize(key, size, n)
	}
	info := Info{Key: key, Size: n, ContentType: contentType(ct), ModTime: m.now().UTC()}
	m.mu.Lock()
	m.objects[key] = memObject{data: buf.Bytes(), info: info}
	m.mu.Unlock()
	return nil
}

// Get returns a reader of the object's bytes (an io.ReadSeeker).
func (m *Memory) Get(ctx context.Context, key string) (io.ReadCloser, Info, error) {
	o, err := m.object(ctx, "get", key)
	if err != nil {
		return nil, Info{}, err
	}
	return memReader{bytes.NewReader(o.data)}, o.info, nil
}

// memReader is a bytes.Reader with a Close method.
type memReader struct{ *bytes.Reader }

// Close does nothing.
func (memReader) Close() error { return nil }

// Stat returns the object's info.
func (m *Memory) Stat(ctx context.Context, key string) (Info, error) {
	o, err := m.object(ctx, "stat", key)
	return o.info, err
}

// object returns the object under key.
func (m *Memory) object(ctx context.Context, op, key string) (memObject, error) {
	if err := ValidKey(key); err != nil {
		return memObject{}, err
	}
	if err := ctx.Err(); err != nil {
		return memObject{}, fmt.Errorf("blob: %s %s: %w", op, key, err)
	}
	m.mu.RLock()
	o, ok := m.objects[key]
	m.mu.RUnlock()
	if !ok {
		return memObject{}, fmt.Errorf("blob: %s %s: %w", op, key, ErrNotFound)
	}
	return o, nil
}

// Delete removes the object.
func (m *Memory) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	m.mu.Lock()
	delete(m.objects, key)
	m.mu.Unlock()
	return nil
}

// List reports the objects under prefix from a snapshot of the keys, so
// that fn may write to the store.
func (m *Memory) List(ctx context.Context, prefix string, fn func(Info) error) error {
	m.mu.RLock()
	var infos []Info
	for k, o := range m.objects {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, o.info)
		}
	}
	m.mu.RUnlock()
	for _, i := range infos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("blob: list %q: %w", prefix, err)
		}
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}
