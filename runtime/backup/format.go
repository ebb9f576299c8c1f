// Package backup reads and writes the archive format of export, import,
// backup and restore (docs/backup.md): newline-delimited JSON, one
// object per line, streamed in both directions so that memory does not
// grow with the size of the data.
//
//	{"type":"header","format":"specstar-backup","version":1,"created_time":"…","scope":"backend","kinds":[…]}
//	{"type":"resource","kind":"Post","meta":{…}}
//	{"type":"revision","kind":"Post","revision_info":{…},"data":{…}}
//	…
//	{"type":"file","sha256":"…","size":1234}
//	{"type":"file_data","data":"<base64>"}
//	…
//	{"type":"end","resources":2,"revisions":5,"files":1}
//
// Each resource line is followed by the lines of its revisions, oldest
// first; the file lines (a whole-backend archive only) come after every
// resource; the end line says the archive is complete, so that one cut
// short is refused.
package backup

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Format is the value of the header's "format".
const Format = "specstar-backup"

// Version is the format version this build writes and the newest it
// reads. A change that older readers would misread increments it.
const Version = 1

// The scopes of an archive (the header's "scope").
const (
	ScopeBackend  = "backend"  // every resource of the backend and the file bytes (backup)
	ScopeResource = "resource" // the resources of one kind, file references only (export)
)

// The line types.
const (
	lineHeader   = "header"
	lineResource = "resource"
	lineRevision = "revision"
	lineFile     = "file"
	lineFileData = "file_data"
	lineEnd      = "end"
)

// fileChunk is the number of file bytes per file_data line (256 KiB of
// base64).
const fileChunk = 192 << 10

// maxLine is the longest line a reader accepts: a revision's data is
// bounded by the server's body limit, far below this.
const maxLine = 64 << 20

// Header is the first line of an archive.
type Header struct {
	Format      string     `json:"format"`
	Version     int        `json:"version"`
	CreatedTime time.Time  `json:"created_time"`
	Scope       string     `json:"scope"`
	Kinds       []KindInfo `json:"kinds"`
}

// KindInfo describes one kind of an archive.
type KindInfo struct {
	Name          string `json:"name"`
	Path          string `json:"path,omitempty"`
	SchemaVersion int    `json:"schema_version"`
}

// End is the last line of an archive: what it holds.
type End struct {
	Resources int `json:"resources"`
	Revisions int `json:"revisions"`
	Files     int `json:"files"`
}

// line is any line, as read.
type line struct {
	Type string `json:"type"`
	// header
	Format      string     `json:"format"`
	Version     int        `json:"version"`
	CreatedTime time.Time  `json:"created_time"`
	Scope       string     `json:"scope"`
	Kinds       []KindInfo `json:"kinds"`
	// resource, revision
	Kind         string                 `json:"kind"`
	Meta         *resource.Meta         `json:"meta"`
	RevisionInfo *resource.RevisionInfo `json:"revision_info"`
	Data         json.RawMessage        `json:"data"`
	// file
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// end
	Resources *int `json:"resources"`
	Revisions *int `json:"revisions"`
	Files     *int `json:"files"`
}

// encoder writes the lines of an archive.
type encoder struct {
	w   *bufio.Writer
	buf []byte
	n   int64 // bytes written
}

func newEncoder(w io.Writer) *encoder {
	return &encoder{w: bufio.NewWriterSize(w, 256<<10)}
}

// value writes v as one line.
func (e *encoder) value(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	e.n += int64(len(b))
	_, err = e.w.Write(b)
	return err
}

// resource writes a resource line.
func (e *encoder) resource(k *resource.Kind, m *resource.Meta) error {
	b := append(e.buf[:0], `{"type":"resource","kind":`...)
	b = appendString(b, k.Name)
	b = append(b, `,"meta":`...)
	b, err := appendMeta(b, m)
	if err != nil {
		return fmt.Errorf("backup: resource %s: %w", m.ResourceID, err)
	}
	b = append(b, "}\n"...)
	e.buf = b
	e.n += int64(len(b))
	_, err = e.w.Write(b)
	return err
}

// revision writes a revision line. Stored data is compact JSON and is
// written as it is; data that is not (a store written by hand) is
// compacted, so that the line stays one line.
func (e *encoder) revision(k *resource.Kind, rev *resource.Revision) error {
	b := append(e.buf[:0], `{"type":"revision","kind":`...)
	b = appendString(b, k.Name)
	b = append(b, `,"revision_info":`...)
	b, err := appendInfo(b, &rev.Info)
	if err != nil {
		return fmt.Errorf("backup: revision %s: %w", rev.Info.RevisionID, err)
	}
	b = append(b, `,"data":`...)
	if bytes.IndexByte(rev.Data, '\n') < 0 && len(rev.Data) > 0 {
		b = append(b, rev.Data...)
	} else {
		var c bytes.Buffer
		if err := json.Compact(&c, rev.Data); err != nil {
			return fmt.Errorf("backup: revision %s: stored data is not JSON: %w", rev.Info.RevisionID, err)
		}
		b = append(b, c.Bytes()...)
	}
	b = append(b, "}\n"...)
	e.buf = b
	e.n += int64(len(b))
	_, err = e.w.Write(b)
	return err
}

func (e *encoder) flush() error { return e.w.Flush() }

// decoder reads the lines of an archive.
type decoder struct {
	r    *bufio.Reader
	line int // number of the last line read
	buf  []byte
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{r: bufio.NewReaderSize(r, 256<<10)}
}

// ErrTruncated is matched by the error of an archive that ends before
// its end line.
var ErrTruncated = errors.New("the archive ends before its end line: it was cut short (an interrupted download or copy?)")

// next reads the next line into l; io.EOF at the end of the input.
func (d *decoder) next(l *line) error {
	d.buf = d.buf[:0]
	for {
		chunk, err := d.r.ReadSlice('\n')
		d.buf = append(d.buf, chunk...)
		if len(d.buf) > maxLine {
			return d.errorf(resource.CodeBadRequest, "line %d is longer than %d MiB", d.line+1, maxLine>>20)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(bytes.TrimSpace(d.buf)) == 0 {
				return io.EOF
			}
			// A last line without its newline: the writer always ends
			// lines, so the input was cut in the middle of one.
			d.line++
			return d.cut()
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return d.cut()
			}
			return err
		}
		break
	}
	d.line++
	*l = line{}
	if err := json.Unmarshal(d.buf, l); err != nil {
		return d.errorf(resource.CodeBadRequest, "line %d is not valid JSON: %v", d.line, err)
	}
	return nil
}

// cut is the error of an archive cut short.
func (d *decoder) cut() error {
	return &resource.Error{Code: resource.CodeBadRequest, Detail: fmt.Sprintf("line %d: %v", d.line, ErrTruncated)}
}

// errorf returns a client error about the archive.
func (d *decoder) errorf(code resource.Code, format string, args ...any) error {
	return resource.Errorf(code, format, args...)
}

// atLine prefixes the detail of a *resource.Error with the line it is
// about; other errors are returned as they are.
func (d *decoder) atLine(err error) error {
	var e *resource.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Detail = fmt.Sprintf("line %d: %s", d.line, e.Detail)
	return &out
}
