package backup

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/specstar-go/specstar/runtime/resource"
)

// ImportOptions configures Import.
type ImportOptions struct {
	// Kinds are the kinds the archive may hold; a line of another kind
	// fails the import.
	Kinds []*resource.Kind
	// OnDuplicate, Validate and Empty are those of
	// resource.ImportOptions (Empty: a restore).
	OnDuplicate resource.OnDuplicate
	Validate    func(k *resource.Kind, data json.RawMessage) error
	Empty       bool
	// Files receives the file bytes of the archive, and is asked for
	// the files revisions reference that the archive does not hold; nil:
	// an archive with file bytes is refused, and references are not
	// checked.
	Files Files
	// Progress, when set, is called now and then, and at the end.
	Progress func(Progress)
}

// Import reads an archive from r (plain or gzip-compressed NDJSON) and
// writes it in one transaction (Service.Import): every line is checked
// as it is read, and any mistake (invalid JSON, a format version newer
// than Version, an archive cut short, a duplicate under
// on_duplicate=fail, data failing validation, a file whose bytes do not
// match its hash, a referenced file nowhere to be found) rolls back
// everything, file bytes written included. Errors about the archive are
// *resource.Error values naming the line.
func Import(ctx context.Context, svc *resource.Service, r io.Reader, o ImportOptions) (resource.ImportStats, error) {
	r, err := decompress(r)
	if err != nil {
		return resource.ImportStats{}, err
	}
	d := newDecoder(r)
	in := &importer{d: d, o: o, kinds: make(map[string]*resource.Kind, len(o.Kinds)), provided: map[string]bool{}, referenced: map[string]string{}}
	for _, k := range o.Kinds {
		in.kinds[k.Name] = k
	}
	stats, err := svc.Import(ctx, o.Kinds, resource.ImportOptions{OnDuplicate: o.OnDuplicate, Validate: o.Validate, Empty: o.Empty},
		func(im *resource.Importer) error { return in.run(ctx, im) })
	if err != nil {
		// Nothing of the import stays: neither records nor file bytes.
		for _, sum := range in.written {
			_ = o.Files.Delete(context.WithoutCancel(ctx), sum)
		}
		return resource.ImportStats{}, err
	}
	in.report()
	return stats, nil
}

// decompress returns r, gunzipped when it starts with the gzip magic.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err == io.EOF || (err == nil && len(magic) < 2) {
		return nil, resource.Errorf(resource.CodeBadRequest, "the archive is empty: it needs at least its header line")
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, resource.Errorf(resource.CodeBadRequest, "the archive is not valid gzip: %v", err)
		}
		return &gunzip{zr}, nil
	}
	return br, nil
}

// gunzip reports a gzip stream cut short, or damaged, as a client error.
type gunzip struct{ r *gzip.Reader }

func (g *gunzip) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, io.ErrUnexpectedEOF
		}
		return n, resource.Errorf(resource.CodeBadRequest, "the archive's gzip stream is damaged: %v", err)
	}
	return n, err
}

// importer is the state of one Import.
type importer struct {
	d          *decoder
	o          ImportOptions
	kinds      map[string]*resource.Kind
	count      End
	provided   map[string]bool   // file hashes whose bytes the archive holds
	referenced map[string]string // file hash -> the first revision referencing it
	written    []string          // file hashes this import stored
	fileLines  bool              // a file line was read: no more resources
}

// run reads the archive into im.
func (in *importer) run(ctx context.Context, im *resource.Importer) error {
	var l line
	if err := in.d.next(&l); err != nil {
		if err == io.EOF {
			return resource.Errorf(resource.CodeBadRequest, "the archive is empty: it needs at least its header line")
		}
		return err
	}
	if err := in.header(&l); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := in.d.next(&l)
		if err == io.EOF {
			return in.d.cut()
		}
		if err != nil {
			return err
		}
		if err := in.line(ctx, im, &l); err != nil {
			if err == errEnd {
				return in.finish(ctx)
			}
			return in.d.atLine(err)
		}
	}
}

// errEnd stops run at the end line.
var errEnd = errors.New("end")

// header checks the first line.
func (in *importer) header(l *line) error {
	switch {
	case l.Type != lineHeader || l.Format != Format:
		return resource.Errorf(resource.CodeBadRequest, "line 1 is not the header of a %s archive (format %q, type %q)", Format, l.Format, l.Type)
	case l.Version > Version:
		return resource.Errorf(resource.CodeValidation, "the archive has format version %d, newer than this build reads (%d): restore it with a newer build", l.Version, Version)
	case l.Version < 1:
		return resource.Errorf(resource.CodeBadRequest, "the archive's header has no valid format version")
	}
	for _, ki := range l.Kinds {
		k := in.kinds[ki.Name]
		if k == nil {
			continue // its lines, if any, are refused one by one
		}
		if ki.SchemaVersion > k.SchemaVersion {
			return resource.Errorf(resource.CodeValidation, "the archive holds %s at schema version %d, newer than this build's %d: restore it with a newer build", ki.Name, ki.SchemaVersion, k.SchemaVersion)
		}
	}
	return nil
}

// line imports one line after the header.
func (in *importer) line(ctx context.Context, im *resource.Importer, l *line) error {
	switch l.Type {
	case lineResource, lineRevision:
		if in.fileLines {
			return resource.Errorf(resource.CodeBadRequest, "a %s line after file lines: resources come first", l.Type)
		}
		k := in.kinds[l.Kind]
		if k == nil {
			return resource.Errorf(resource.CodeValidation, "kind %q is not one this import takes", l.Kind)
		}
		if l.Type == lineResource {
			if l.Meta == nil {
				return resource.Errorf(resource.CodeBadRequest, "a resource line needs its meta")
			}
			in.count.Resources++
			return im.Resource(k, *l.Meta)
		}
		if l.RevisionInfo == nil || l.Data == nil {
			return resource.Errorf(resource.CodeBadRequest, "a revision line needs its revision_info and data")
		}
		if in.o.Files != nil {
			err := fileSums(l.Data, func(sum string) {
				if _, ok := in.referenced[sum]; !ok {
					in.referenced[sum] = l.RevisionInfo.RevisionID
				}
			})
			if err != nil {
				return resource.Errorf(resource.CodeBadRequest, "revision %s: data is not valid JSON: %v", l.RevisionInfo.RevisionID, err)
			}
		}
		in.count.Revisions++
		if in.count.Revisions%progressEvery == 0 {
			in.report()
		}
		return im.Revision(k, &resource.Revision{Info: *l.RevisionInfo, Data: l.Data})
	case lineFile:
		in.fileLines = true
		return in.file(ctx, l)
	case lineFileData:
		return resource.Errorf(resource.CodeBadRequest, "file_data without a file line before it")
	case lineEnd:
		if l.Resources == nil || *l.Resources != in.count.Resources || l.Revisions == nil || *l.Revisions != in.count.Revisions ||
			l.Files == nil || *l.Files != in.count.Files {
			return resource.Errorf(resource.CodeBadRequest, "the end line counts %s, but the archive holds %d resources, %d revisions and %d files: lines are missing or extra",
				countsOf(l), in.count.Resources, in.count.Revisions, in.count.Files)
		}
		var next line
		switch err := in.d.next(&next); err {
		case io.EOF:
			return errEnd
		case nil:
			return resource.Errorf(resource.CodeBadRequest, "line %d comes after the end line", in.d.line)
		default:
			return err
		}
	}
	return resource.Errorf(resource.CodeBadRequest, "unknown line type %q", l.Type)
}

// countsOf renders the counts of an end line.
func countsOf(l *line) string {
	n := func(p *int) string {
		if p == nil {
			return "none"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("%s resources, %s revisions and %s files", n(l.Resources), n(l.Revisions), n(l.Files))
}

// file stores the bytes of one file from its file_data lines.
func (in *importer) file(ctx context.Context, l *line) error {
	sum := l.SHA256
	switch {
	case !validSum(sum):
		return resource.Errorf(resource.CodeBadRequest, "file line: sha256 %q is not 64 lowercase hex digits", sum)
	case l.Size < 0:
		return resource.Errorf(resource.CodeBadRequest, "file %s: negative size", sum)
	case in.o.Files == nil:
		return resource.Errorf(resource.CodeValidation, "the archive holds file bytes, but this server has no file store to put them in")
	case in.provided[sum]:
		return resource.Errorf(resource.CodeBadRequest, "file %s is in the archive twice", sum)
	}
	in.provided[sum] = true
	in.count.Files++
	// The bytes are staged in a local temporary file and checked before
	// the store sees them: a store is only ever given whole, verified
	// files, so an archive cut in the middle of one leaves no partial
	// object (or multipart upload) behind.
	tmp, err := os.CreateTemp("", "specstar-import-*")
	if err != nil {
		return err
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	if err := in.feed(io.MultiWriter(tmp, h), l.Size); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return resource.Errorf(resource.CodeValidation, "file %s: its bytes hash to %s: the archive is damaged", sum, got)
	}
	exists, err := in.o.Files.Exists(ctx, sum)
	if err != nil || exists {
		return err // the same bytes are stored already
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := in.o.Files.Put(ctx, sum, newVerifier(tmp, sum, l.Size), l.Size); err != nil {
		return err
	}
	in.written = append(in.written, sum)
	in.report()
	return nil
}

// feed writes the bytes of the file_data lines of a file of size bytes
// to w.
func (in *importer) feed(w io.Writer, size int64) error {
	var l line
	var raw []byte
	got := int64(0)
	for got < size {
		err := in.d.next(&l)
		if err == io.EOF {
			return in.d.cut()
		}
		if err != nil {
			return err
		}
		if l.Type != lineFileData {
			return in.d.atLine(resource.Errorf(resource.CodeBadRequest, "a %s line where file bytes were expected (%d of %d bytes read)", l.Type, got, size))
		}
		var s string
		if err := json.Unmarshal(l.Data, &s); err != nil {
			return in.d.atLine(resource.Errorf(resource.CodeBadRequest, "file_data needs a base64 string"))
		}
		raw = raw[:0]
		raw, err = base64.StdEncoding.AppendDecode(raw, []byte(s))
		if err != nil {
			return in.d.atLine(resource.Errorf(resource.CodeBadRequest, "file_data is not valid base64: %v", err))
		}
		got += int64(len(raw))
		if got > size {
			return in.d.atLine(resource.Errorf(resource.CodeValidation, "file bytes beyond the file's size of %d bytes", size))
		}
		if _, err := w.Write(raw); err != nil {
			return err
		}
	}
	return nil
}

// finish checks, at the end line, that every referenced file is
// somewhere.
func (in *importer) finish(ctx context.Context) error {
	if in.o.Files == nil {
		return nil
	}
	for sum, rev := range in.referenced {
		if in.provided[sum] {
			continue
		}
		ok, err := in.o.Files.Exists(ctx, sum)
		if err != nil {
			return err
		}
		if !ok {
			return resource.Errorf(resource.CodeValidation, "revision %s references file %s, which is neither in the archive nor in the file store", rev, sum)
		}
	}
	return nil
}

// report calls the progress function.
func (in *importer) report() {
	if in.o.Progress != nil {
		in.o.Progress(Progress{Resources: in.count.Resources, Revisions: in.count.Revisions, Files: in.count.Files})
	}
}
