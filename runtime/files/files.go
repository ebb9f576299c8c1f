// Package files stores the bytes of file fields (type: file, and lists of
// them) in a blob store and keeps revisions pointing at them.
//
// A file value in a record's data is the object
//
//	{"id": "…", "name": "cover.png", "content_type": "image/png", "size": 1234, "sha256": "…"}
//
// (resource.File). The bytes live once per distinct content under
// BlobKey(sha256) = "files/sha256/<64 lowercase hex>"; identical uploads
// share one object. Every upload also leaves an upload record under
// "files/uploads/<id>" (the file object and when it was last used): a write
// may reference a file by id only when the id is one of an upload record
// or is already in the resource's current data, so that a client cannot
// invent file objects pointing at nothing (or at someone else's bytes by
// guessing a hash).
//
// Nothing here deletes bytes when a revision goes: Collect (the garbage
// collector) removes the blobs and upload records no revision of any
// resource references, once they are older than the grace period, so that
// uploads in flight, retention pruning and purges are all handled by one
// mark-and-sweep.
package files

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"

	"github.com/specstar-go/specstar/runtime/blob"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Key prefixes in the files blob store.
const (
	// BlobPrefix holds the bytes of every file, by the hex SHA-256 of
	// its content.
	BlobPrefix = "files/sha256/"
	// UploadPrefix holds one upload record per upload, by file id.
	UploadPrefix = "files/uploads/"
)

// Defaults of Options.
const (
	DefaultGrace     = time.Hour
	DefaultMaxUpload = 5 << 30 // 5 GiB: the bound of a file field without max_size
	DefaultMaxData   = 10 << 20
)

// BlobKey returns the key of the bytes of the file with the given
// lowercase hex SHA-256.
func BlobKey(sha string) string { return BlobPrefix + sha }

// Options configure a Store. Zero fields take their defaults.
type Options struct {
	// SpoolDir holds the temporary files of uploads on their way to a
	// store other than a folder (S3, memory); "" is os.TempDir().
	SpoolDir string
	// Grace is how long an unreferenced upload (and its bytes) is kept
	// before Collect removes it: the time a client has between POST
	// /api/files and the write that references the file.
	Grace time.Duration
	// MaxUpload bounds a file of a field without max_size, and of the
	// two-step upload.
	MaxUpload int64
	// MaxData bounds the "data" part of a multipart write.
	MaxData int64
	// Now is the clock; time.Now by default.
	Now    func() time.Time
	Logger *slog.Logger
	// Lock, when set, is held by Collect while it runs, so that several
	// server processes on one store collect one at a time (the server
	// passes a PostgreSQL advisory lock). A process always holds its
	// own lock as well.
	Lock func(ctx context.Context) (unlock func(), err error)
}

// Store is the file storage of a server: the blob store of the bytes and
// upload records, and the rules that govern them.
type Store struct {
	blobs blob.Store
	opts  Options
	gcMu  sync.Mutex // one Collect at a time in this process

	// The uploads whose bytes are still being committed, by file id
	// (save): each is removed once committed or failed.
	mu       sync.Mutex
	inflight map[string]*Upload

	// testHookFinish, set by tests, runs before an upload is committed;
	// its error fails the commit.
	testHookFinish func(id string) error
}

// New returns the file storage over blobs.
func New(blobs blob.Store, o Options) *Store {
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = DefaultMaxUpload
	}
	if o.MaxData <= 0 {
		o.MaxData = DefaultMaxData
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{blobs: blobs, opts: o, inflight: make(map[string]*Upload)}
}

// Blobs returns the blob store of the bytes.
func (s *Store) Blobs() blob.Store { return s.blobs }

// valueKey is the key of the Store in a Service's values.
type valueKey struct{}

// ServiceOption attaches s to a Service, where the generated download
// handlers and the GraphQL resolvers find it (Of), and adds the hooks
// that check the file references of every write of a kind with file
// fields (see Resolve).
func (s *Store) ServiceOptions(schema *resource.Schema) []resource.Option {
	opts := []resource.Option{resource.WithValue(valueKey{}, s)}
	for _, k := range schema.Kinds {
		if len(k.Files) > 0 {
			opts = append(opts, resource.WithBaseHooks(k, resource.Hooks{BeforeWrite: s.beforeWrite(k)}))
		}
	}
	return opts
}

// Of returns the Store attached to svc, or an error when it has none.
func Of(svc *resource.Service) (*Store, error) {
	if s, ok := svc.Value(valueKey{}).(*Store); ok {
		return s, nil
	}
	return nil, errors.New("files: this service has no file store: server.New attaches one (files.Store.ServiceOptions)")
}

// record is the content of an upload record.
type record struct {
	File resource.File `json:"file"`
	// Used is when the upload was made or last referenced by a write:
	// Collect keeps an unreferenced upload for Grace after it.
	Used time.Time `json:"used"`
}

// Upload is a stored upload: its file object, and whether its bytes were
// new to the store (Discard removes them then).
type Upload struct {
	File    resource.File
	NewBlob bool

	// done is closed once the bytes are committed, with err the reason
	// they were not; nil when they were before Save returned.
	done chan struct{}
	err  error
}

// tooLarge is the 413 of a file over its limit.
func tooLarge(field string, limit int64) error {
	msg := fmt.Sprintf("is larger than the limit of %d bytes", limit)
	if field == "" {
		return resource.NewError(413, resource.CodePayloadTooLarge, "the file "+msg)
	}
	return &resource.Error{Code: resource.CodePayloadTooLarge, Detail: field + ": the file " + msg,
		Fields: []resource.FieldError{{Field: field, Message: "the file " + msg}}}
}

// badType is the 415 of a file whose detected type accept does not allow.
func badType(field, detected string, accept []string) error {
	msg := fmt.Sprintf("the file's content is %s, which is not one of the accepted types %s", detected, strings.Join(accept, ", "))
	return &resource.Error{Code: resource.CodeUnsupportedMedia, Detail: field + ": " + msg,
		Fields: []resource.FieldError{{Field: field, Message: msg}}}
}

// sniffLen is how many leading bytes the content type is detected from.
const sniffLen = 3072

// Save streams r to the blob store as the bytes of a new file named name
// (sanitised) and records the upload. field (its JSON path, for messages)
// and rule (nil for the two-step upload) limit the size and the detected
// content type: a file over the limit is a 413 and one of a type accept
// does not allow a 415, and either stores nothing. The bytes are read
// once, through a bounded buffer: memory does not grow with the size.
//
// On the folder store Save returns once the bytes are in the file system
// and commits them (sync, rename, upload record) in the background: a
// write that references the upload waits for that before it commits, so
// no revision ever points at bytes a crash could lose. Other stores
// commit before Save returns.
func (s *Store) Save(ctx context.Context, r io.Reader, name, field string, rule *resource.FileField) (*Upload, error) {
	return s.save(ctx, r, name, field, rule, true)
}

// save is Save; without record it writes no upload record (the multipart
// writes, whose files the hook trusts through the request's context).
func (s *Store) save(ctx context.Context, r io.Reader, name, field string, rule *resource.FileField, withRecord bool) (*Upload, error) {
	limit := s.opts.MaxUpload
	if rule != nil && rule.MaxSize > 0 {
		limit = rule.MaxSize
	}
	sp, err := blob.NewSpool(s.blobs, s.opts.SpoolDir)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			sp.Discard()
		}
	}()
	got, err := stream(ctx, r, sp, limit)
	if err != nil {
		return nil, readErr(err)
	}
	if got.n > limit {
		return nil, tooLarge(field, limit)
	}
	ct := detect(got.head)
	if rule != nil && len(rule.Accept) > 0 && !Accepts(rule.Accept, ct) {
		return nil, badType(field, ct, rule.Accept)
	}
	f := resource.File{
		ID:          uuid.Must(uuid.NewV7()).String(),
		Name:        SanitizeName(name),
		ContentType: ct,
		Size:        got.n,
		SHA256:      hex.EncodeToString(got.sum[:]),
	}
	key := BlobKey(f.SHA256)
	_, statErr := s.blobs.Stat(ctx, key)
	u := &Upload{File: f, NewBlob: errors.Is(statErr, blob.ErrNotFound)}
	committed = true
	if _, local := s.blobs.(*blob.Dir); !local {
		// A remote store's Put is its own commit, and another instance
		// may be the one that reads the upload record next: finish now.
		if err := s.finish(context.WithoutCancel(ctx), u, sp, withRecord); err != nil {
			return nil, err
		}
		return u, nil
	}
	// On the folder store the disk syncs are left to a goroutine: the
	// upload answers once its bytes are in the file system, and the
	// write that references it waits for them (Upload.wait, see
	// "How an upload is written" in docs/files.md).
	u.done = make(chan struct{})
	s.mu.Lock()
	s.inflight[f.ID] = u
	s.mu.Unlock()
	go func() {
		u.err = s.finish(context.WithoutCancel(ctx), u, sp, withRecord)
		if u.err != nil {
			s.opts.Logger.Error("files: store an upload", "id", f.ID, "sha256", f.SHA256, "error", u.err)
		}
		close(u.done)
		s.mu.Lock()
		delete(s.inflight, f.ID)
		s.mu.Unlock()
	}()
	return u, nil
}

// finish commits the spool of u under its key (or refreshes the stored
// bytes it duplicates) and, with record, writes its upload record. On
// failure it leaves nothing: neither bytes that were new nor the record.
func (s *Store) finish(ctx context.Context, u *Upload, sp blob.Spool, withRecord bool) error {
	f := u.File
	if s.testHookFinish != nil {
		if err := s.testHookFinish(f.ID); err != nil {
			sp.Discard()
			return err
		}
	}
	key := BlobKey(f.SHA256)
	// The upload record is written while the bytes are committed: the
	// two syncs overlap (one journal commit, often) instead of following
	// each other. Neither is visible to a write before finish returns.
	var recErr error
	recDone := make(chan struct{})
	if withRecord {
		go func() {
			defer close(recDone)
			recErr = s.putRecord(ctx, record{File: f, Used: s.opts.Now().UTC()})
		}()
	} else {
		close(recDone)
	}
	// Bytes stored already get a fresh time (a touch on a folder, else
	// the write again): the time is what keeps them from a concurrent
	// Collect until the write or the upload record that references them
	// exists. The object keeps no content type of its own: the file
	// object has it (and one content may be uploaded under several names).
	var commitErr error
	if t, ok := s.blobs.(interface {
		Touch(ctx context.Context, key string) error
	}); ok && !u.NewBlob && t.Touch(ctx, key) == nil {
		sp.Discard()
	} else {
		commitErr = sp.Commit(ctx, key, "")
	}
	<-recDone
	switch {
	case commitErr != nil:
		if withRecord && recErr == nil {
			s.blobs.Delete(ctx, UploadPrefix+f.ID)
		}
		return commitErr
	case recErr != nil:
		if u.NewBlob {
			s.blobs.Delete(ctx, key)
		}
		return recErr
	}
	return nil
}

// wait waits until the bytes of u (and its upload record, if it has one)
// are stored, and returns the error that stopped them. Uploads to the
// folder store answer before that (Save); every write that references
// one waits here before it commits.
func (u *Upload) wait(ctx context.Context) error {
	if u.done == nil {
		return nil
	}
	select {
	case <-u.done:
		return u.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// settle waits for the upload id of this process, if it is still being
// stored, and returns its error.
func (s *Store) settle(ctx context.Context, id string) error {
	s.mu.Lock()
	u := s.inflight[id]
	s.mu.Unlock()
	if u == nil {
		return nil
	}
	return u.wait(ctx)
}

// Flush waits until every upload of this process that has answered is
// committed (or has failed): the server calls it when it stops, so that
// a clean shutdown loses no upload.
func (s *Store) Flush() { s.settleAll(context.Background()) }

// settleAll waits for the uploads being committed when it is called.
// Their errors are the writes' that reference them (and are logged): it
// returns only ctx's.
func (s *Store) settleAll(ctx context.Context) error {
	s.mu.Lock()
	us := make([]*Upload, 0, len(s.inflight))
	for _, u := range s.inflight {
		us = append(us, u)
	}
	s.mu.Unlock()
	for _, u := range us {
		if err := u.wait(ctx); err != nil && ctx.Err() != nil {
			return err
		}
	}
	return nil
}

// Discard removes uploads of a request that failed: their records, and
// the bytes that were new to the store.
func (s *Store) Discard(ctx context.Context, uploads []*Upload) {
	ctx = context.WithoutCancel(ctx)
	for _, u := range uploads {
		if u.wait(ctx) != nil {
			continue // finish left nothing behind
		}
		if err := s.blobs.Delete(ctx, UploadPrefix+u.File.ID); err != nil {
			s.opts.Logger.Warn("files: discard upload record", "id", u.File.ID, "error", err)
		}
		if u.NewBlob {
			if err := s.blobs.Delete(ctx, BlobKey(u.File.SHA256)); err != nil {
				s.opts.Logger.Warn("files: discard upload bytes", "sha256", u.File.SHA256, "error", err)
			}
		}
	}
}

// putRecord writes an upload record. It is stored without a content
// type (JSON, read only here): on a folder store, one file and one sync
// instead of two.
func (s *Store) putRecord(ctx context.Context, rec record) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.blobs.Put(ctx, UploadPrefix+rec.File.ID, bytes.NewReader(raw), int64(len(raw)), "")
}

// getRecord reads the upload record of id; ok is false when there is
// none.
func (s *Store) getRecord(ctx context.Context, id string) (rec record, ok bool, err error) {
	if !validID(id) {
		return record{}, false, nil
	}
	rc, _, err := s.blobs.Get(ctx, UploadPrefix+id)
	if errors.Is(err, blob.ErrNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, err
	}
	defer rc.Close()
	if err := json.NewDecoder(io.LimitReader(rc, 1<<20)).Decode(&rec); err != nil {
		return record{}, false, fmt.Errorf("files: upload record %s: %w", id, err)
	}
	return rec, true, nil
}

// validID reports whether id can be an upload id (a UUID): anything else
// never names an upload, and must not reach the store as a key.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// Open opens the bytes of f for reading with seeks (ranges), once they
// are stored if f is an upload of this process still being committed.
func (s *Store) Open(ctx context.Context, f resource.File) (io.ReadSeekCloser, error) {
	if !validSHA(f.SHA256) {
		return nil, fmt.Errorf("files: file %s has no valid sha256", f.ID)
	}
	if err := s.settle(ctx, f.ID); err != nil {
		return nil, err
	}
	rs, _, err := blob.ReadSeeker(ctx, s.blobs, BlobKey(f.SHA256))
	return rs, err
}

// validSHA reports whether s is 64 lowercase hex digits.
func validSHA(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// detect returns the media type of content from its first bytes, without
// parameters ("text/plain", not "text/plain; charset=utf-8").
func detect(head []byte) string {
	mt := mimetype.Detect(head).String()
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = strings.TrimSpace(mt[:i])
	}
	return mt
}

// Accepts reports whether the detected media type ct is one of accept:
// equal to an entry, an alias or subtype of it in mimetype's tree
// (image/svg+xml is text/xml's child), or matched by a "type/*" entry.
func Accepts(accept []string, ct string) bool {
	for _, a := range accept {
		if base, ok := strings.CutSuffix(a, "/*"); ok {
			if strings.HasPrefix(ct, base+"/") {
				return true
			}
			continue
		}
		if a == ct {
			return true
		}
		if m := mimetype.Lookup(ct); m != nil && m.Is(a) {
			return true
		}
	}
	return false
}

// SanitizeName returns a safe file name for a client's name: the last
// element of any path (either slash), without control characters,
// quotes, leading dots or surrounding spaces, at most 255 bytes of valid
// UTF-8, and "file" when nothing is left.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '\'' || r == '`' || r == ';' || r == ':' || r == '*' || r == '?' || r == '<' || r == '>' || r == '|' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	name = strings.TrimSpace(name)
	if len(name) > 255 {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		cut := 255 - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + ext
	}
	if name == "" {
		return "file"
	}
	return name
}

// readErr turns a failure to read an upload into the client's error: a
// body cut short (a truncated multipart request) is a 400; others are
// returned as they are.
func readErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected EOF") {
		return resource.Errorf(resource.CodeBadRequest, "the upload was cut short: %v", err)
	}
	return err
}

// uploadsKey is the context key of the files a multipart write uploaded.
type uploadsKey struct{}

// withUploads returns ctx carrying the files a multipart write uploaded,
// which its write may reference without an upload record.
func withUploads(ctx context.Context, uploads []*Upload) context.Context {
	m := make(map[string]*Upload, len(uploads))
	for _, u := range uploads {
		m[u.File.ID] = u
	}
	return context.WithValue(ctx, uploadsKey{}, m)
}

// uploaded returns the upload of id made by the multipart write of ctx.
func uploaded(ctx context.Context, id string) (*Upload, bool) {
	m, _ := ctx.Value(uploadsKey{}).(map[string]*Upload)
	u, ok := m[id]
	return u, ok
}
