package backup

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Progress is what an export or import has done so far.
type Progress struct {
	Resources int
	Revisions int
	Files     int
	Bytes     int64 // archive bytes written or read
}

// progressEvery is how many revisions pass between two Progress calls.
const progressEvery = 1000

// ExportOptions configures Export.
type ExportOptions struct {
	// Kinds are the kinds to export, in order.
	Kinds []*resource.Kind
	// Scope is ScopeBackend (Files, when set, supplies the bytes of every
	// file a revision references) or ScopeResource (references only).
	Scope string
	// Files supplies the file bytes of a ScopeBackend archive; nil
	// writes none.
	Files Files
	// Progress, when set, is called now and then, and at the end.
	Progress func(Progress)
	// Now is the clock of the header's created_time (default time.Now).
	Now func() time.Time
}

// Export writes the archive of the given kinds to w: every resource,
// live or soft-deleted, with every stored revision, drafts included, from
// one read transaction (Service.Export). With Files, the bytes of every
// file any exported revision references follow, read in the same
// transaction. Memory holds one batch of records and the set of file
// hashes seen, whatever the number of revisions.
func Export(ctx context.Context, svc *resource.Service, w io.Writer, o ExportOptions) (End, error) {
	if o.Scope == "" {
		o.Scope = ScopeResource
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	enc := newEncoder(w)
	h := Header{Format: Format, Version: Version, CreatedTime: now().UTC(), Scope: o.Scope, Kinds: []KindInfo{}}
	for _, k := range o.Kinds {
		h.Kinds = append(h.Kinds, KindInfo{Name: k.Name, Path: k.Path, SchemaVersion: k.SchemaVersion})
	}
	x := &exporter{enc: enc, progress: o.Progress}
	if o.Files != nil {
		x.sums = make(map[string]struct{})
	}
	headerDone := false
	done := func() error {
		if o.Files == nil {
			return nil
		}
		return x.files(ctx, o.Files)
	}
	x.start = func() error {
		if headerDone {
			return nil
		}
		headerDone = true
		return enc.value(struct {
			Type string `json:"type"`
			Header
		}{lineHeader, h})
	}
	if err := svc.Export(ctx, o.Kinds, x, done); err != nil {
		return End{}, err
	}
	if err := x.start(); err != nil { // no kinds
		return End{}, err
	}
	if err := enc.value(struct {
		Type string `json:"type"`
		End
	}{lineEnd, x.end}); err != nil {
		return End{}, err
	}
	if err := enc.flush(); err != nil {
		return End{}, err
	}
	x.report(true)
	return x.end, nil
}

// exporter is the resource.Exporter of Export.
type exporter struct {
	enc      *encoder
	start    func() error // writes the header, once: not before access is checked
	end      End
	sums     map[string]struct{} // file hashes seen; nil without Files
	progress func(Progress)
}

func (x *exporter) Kind(k *resource.Kind) error { return x.start() }

func (x *exporter) Resource(k *resource.Kind, rec *resource.Record) error {
	x.end.Resources++
	return x.enc.resource(k, &rec.Meta)
}

func (x *exporter) Revision(k *resource.Kind, rev *resource.Revision) error {
	if x.sums != nil {
		if err := fileSums(rev.Data, func(sum string) { x.sums[sum] = struct{}{} }); err != nil {
			return fmt.Errorf("backup: revision %s: %w", rev.Info.RevisionID, err)
		}
	}
	x.end.Revisions++
	if x.end.Revisions%progressEvery == 0 {
		x.report(false)
	}
	return x.enc.revision(k, rev)
}

// report calls the progress function.
func (x *exporter) report(final bool) {
	if x.progress != nil {
		x.progress(Progress{Resources: x.end.Resources, Revisions: x.end.Revisions, Files: x.end.Files, Bytes: x.enc.n})
	}
}

// files writes the bytes of every file seen, in hash order.
func (x *exporter) files(ctx context.Context, files Files) error {
	sums := make([]string, 0, len(x.sums))
	for sum := range x.sums {
		sums = append(sums, sum)
	}
	slices.Sort(sums)
	buf := make([]byte, fileChunk)
	enc64 := make([]byte, base64.StdEncoding.EncodedLen(fileChunk))
	for _, sum := range sums {
		if err := x.file(ctx, files, sum, buf, enc64); err != nil {
			return err
		}
		x.end.Files++
		x.report(false)
	}
	return nil
}

// file writes the lines of one file, checking its bytes against sum.
func (x *exporter) file(ctx context.Context, files Files, sum string, buf, enc64 []byte) error {
	r, size, err := files.Open(ctx, sum)
	if err != nil {
		return fmt.Errorf("backup: file %s, referenced by a revision: %w", sum, err)
	}
	defer r.Close()
	if err := x.enc.value(struct {
		Type   string `json:"type"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}{lineFile, sum, size}); err != nil {
		return err
	}
	v := newVerifier(r, sum, size)
	for {
		n, err := io.ReadFull(v, buf)
		if n > 0 {
			base64.StdEncoding.Encode(enc64, buf[:n])
			line := append(append(append(x.enc.buf[:0], `{"type":"file_data","data":"`...), enc64[:base64.StdEncoding.EncodedLen(n)]...), "\"}\n"...)
			x.enc.buf = line
			x.enc.n += int64(len(line))
			if _, err := x.enc.w.Write(line); err != nil {
				return err
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("backup: file %s: %w", sum, err)
		}
	}
}
