// Package s3 is a resource.Backend that keeps revision bodies in S3 (or
// any S3-compatible service) and everything else in an index backend
// (SQLite or PostgreSQL: any resource.Backend).
//
// The index keeps each resource's record (meta and a copy of the current
// data, which filters, sorts and unique indexes need) and one row per
// revision whose data is replaced by a pointer: the JSON string
// "s3:sha256:<hex>". The body itself is the object
//
//	<prefix>/revisions/<table>/<escaped resource id>/<sha256 hex of the body>
//
// Keys are content-addressed within a resource: identical bodies of one
// resource (a revert, a switch back, a draft saved twice) are one object.
// Keeping the resource id in the key makes cleanup exact and cheap: a
// purge deletes the resource's folder, which no other resource shares.
//
// Writes: the revisions a transaction writes are uploaded at the end of
// the transaction function, in parallel, before the index commits; a
// failed upload returns an error, so the index rolls back and no row ever
// points at a missing object. A transaction that fails before its end
// uploads nothing. An upload whose transaction then fails to commit
// leaves an orphan object, which GC removes.
//
// Reads: Revision fetches the body (from a small in-memory LRU cache of
// immutable bodies, or from S3) and checks it against its hash. Get, List
// and every other read are answered by the index alone.
//
// Deletion: Purge deletes the resource's objects after the index commits
// (best effort: a failure is logged and left to GC). Revisions dropped by
// retention and draft bodies replaced in place may share an object with
// another revision of the resource, so they are left to GC too.
//
// Index rows whose data is not a pointer (written by the index backend
// alone, before S3 was configured) are read as they are, so S3 can be
// turned on over an existing database.
package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Store is a resource.Backend with revision bodies in S3 and the rest in
// an index backend. It owns the index: Close closes it.
type Store struct {
	index   resource.Backend
	objects *blob.S3
	cache   *cache
	logger  *slog.Logger

	createBucket bool
	uploads      int // parallel uploads per transaction

	mu     sync.RWMutex
	tables map[string]*resource.Kind // by Kind.Table, set by Migrate
}

var _ resource.Backend = (*Store)(nil)

// config holds the options of New.
type config struct {
	cacheBytes   int64
	logger       *slog.Logger
	createBucket bool
	uploads      int
}

// Option configures New.
type Option func(*config)

// WithCacheSize sets the size in bytes of the in-memory cache of revision
// bodies (default 32 MiB); 0 disables it. Bodies are immutable (their key
// is their hash), so the cache needs no invalidation.
func WithCacheSize(bytes int64) Option {
	return func(c *config) { c.cacheBytes = bytes }
}

// WithLogger sets the logger that reports cleanup failures after a purge
// (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithCreateBucket makes Migrate create the bucket when it does not exist
// (for tests and development servers).
func WithCreateBucket() Option {
	return func(c *config) { c.createBucket = true }
}

// WithParallelUploads sets how many bodies one transaction uploads at once
// (default 8).
func WithParallelUploads(n int) Option {
	return func(c *config) { c.uploads = n }
}

// DefaultCacheSize is the default size of the body cache.
const DefaultCacheSize = 32 << 20

// New returns a store keeping revision bodies in bucket under prefix
// (optional, a folder) through client, and everything else in index,
// which it takes over. Call Migrate before use.
func New(index resource.Backend, client *awss3.Client, bucket, prefix string, opts ...Option) (*Store, error) {
	cfg := config{cacheBytes: DefaultCacheSize, logger: slog.New(slog.DiscardHandler), uploads: 8}
	for _, o := range opts {
		o(&cfg)
	}
	if index == nil || client == nil {
		return nil, errors.New("s3: New needs an index backend and a client")
	}
	objects, err := blob.NewS3(client, bucket, strings.Trim(prefix, "/")+"/revisions")
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return &Store{
		index:        index,
		objects:      objects,
		cache:        newCache(cfg.cacheBytes),
		logger:       cfg.logger,
		createBucket: cfg.createBucket,
		uploads:      max(1, cfg.uploads),
		tables:       make(map[string]*resource.Kind),
	}, nil
}

// Open builds an S3 client from c and returns New(index, client, c.Bucket,
// c.Prefix, opts...). It is what a server configured with SPECSTAR_S3_*
// settings calls.
func Open(index resource.Backend, c blob.S3Config, opts ...Option) (*Store, error) {
	client, err := blob.NewS3Client(c)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return New(index, client, c.Bucket, c.Prefix, opts...)
}

// Index returns the index backend.
func (s *Store) Index() resource.Backend { return s.index }

// Migrate creates the bucket (WithCreateBucket) and migrates the index.
func (s *Store) Migrate(ctx context.Context, sc *resource.Schema) error {
	if s.createBucket {
		if err := s.objects.CreateBucket(ctx); err != nil {
			return fmt.Errorf("s3: %w", err)
		}
	}
	if err := s.index.Migrate(ctx, sc); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range sc.Kinds {
		s.tables[k.Table] = k
	}
	return nil
}

// Ping checks the index and the bucket.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.index.Ping(ctx); err != nil {
		return err
	}
	if err := s.objects.Ping(ctx); err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	return nil
}

// Close closes the index.
func (s *Store) Close() error { return s.index.Close() }

// View runs fn in a read transaction of the index; revision bodies are
// fetched from S3 as fn reads them.
func (s *Store) View(ctx context.Context, fn func(resource.Reader) error) error {
	return s.index.View(ctx, func(r resource.Reader) error {
		return fn(&reader{s: s, ctx: ctx, r: r})
	})
}

// Update runs fn in a write transaction of the index. The bodies of the
// revisions fn wrote are uploaded when fn returns, before the index
// commits; the objects of purged resources are deleted after it commits.
func (s *Store) Update(ctx context.Context, fn func(resource.Writer) error) error {
	var purged []purged
	err := s.index.Update(ctx, func(w resource.Writer) error {
		// The index may run this function more than once (a retried
		// serialization failure): start from scratch each time.
		t := &writer{reader: reader{s: s, ctx: ctx, r: w}, w: w, pending: make(map[string][]byte)}
		purged = nil
		if err := fn(t); err != nil {
			return err
		}
		if err := s.upload(ctx, t.pending); err != nil {
			return err
		}
		purged = t.purged
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range purged {
		s.deleteResource(ctx, p.kind, p.id)
	}
	return nil
}

// upload stores the pending bodies, at most s.uploads at a time, and
// returns the first failure.
func (s *Store) upload(ctx context.Context, pending map[string][]byte) error {
	if len(pending) == 1 {
		for key, body := range pending {
			return s.put(ctx, key, body)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		slots = make(chan struct{}, s.uploads)
	)
	for key, body := range pending {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := s.put(ctx, key, body); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return first
}

// put uploads one body.
func (s *Store) put(ctx context.Context, key string, body []byte) error {
	if err := s.objects.Put(ctx, key, bytes.NewReader(body), int64(len(body)), "application/json"); err != nil {
		return fmt.Errorf("s3: store revision body: %w", err)
	}
	return nil
}

// body returns the body stored under key, whose hash is sum: from the
// cache, or downloaded and checked.
func (s *Store) body(ctx context.Context, key, sum string) ([]byte, error) {
	if b, ok := s.cache.get(key); ok {
		return b, nil
	}
	rc, _, err := s.objects.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.objects.URL(key), err)
	}
	if got := hashHex(b); got != sum {
		return nil, fmt.Errorf("%s is corrupt: its sha256 is %s", s.objects.URL(key), got)
	}
	s.cache.add(key, b) // keeps a copy
	return b, nil
}

// pointerPrefix and pointerSuffix enclose the hex hash in the pointer an
// index revision row holds instead of the body. A pointer is a JSON
// string, and resource data is always a JSON object, so the two cannot be
// confused.
const (
	pointerPrefix = `"s3:sha256:`
	pointerSuffix = `"`
)

// pointer returns the index data of a body with hash sum.
func pointer(sum string) []byte {
	return []byte(pointerPrefix + sum + pointerSuffix)
}

// parsePointer returns the hash in a pointer, or false when data is not
// one.
func parsePointer(data []byte) (string, bool) {
	sum, ok := strings.CutPrefix(string(data), pointerPrefix)
	if !ok {
		return "", false
	}
	sum, ok = strings.CutSuffix(sum, pointerSuffix)
	if !ok || len(sum) != 2*sha256.Size || strings.Trim(sum, "0123456789abcdef") != "" {
		return "", false
	}
	return sum, true
}

// hashHex returns the lower-case hex sha256 of b.
func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// resourceDir returns the folder of a resource's bodies (relative to the
// store's prefix), ending with "/".
func resourceDir(k *resource.Kind, id string) string {
	return k.Table + "/" + escapeID(id) + "/"
}

// bodyKey returns the key of a resource's body with hash sum.
func bodyKey(k *resource.Kind, id, sum string) string {
	return resourceDir(k, id) + sum
}

// escapeID makes a resource id one valid key element (blob.ValidKey):
// path escaping, plus a leading "." escaped. Service ids are UUIDs, which
// pass unchanged.
func escapeID(id string) string {
	e := url.PathEscape(id)
	if strings.HasPrefix(e, ".") {
		e = "%2E" + e[1:]
	}
	if e == "" {
		e = "%" // PathEscape never yields a lone "%"
	}
	return e
}

// unescapeID inverts escapeID; it reports false for an element escapeID
// does not produce.
func unescapeID(e string) (string, bool) {
	if e == "%" {
		return "", true
	}
	id, err := url.PathUnescape(e)
	if err != nil || escapeID(id) != e {
		return "", false
	}
	return id, true
}
