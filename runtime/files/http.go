package files

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
)

// DataPart is the name of the part of a multipart write that holds the
// JSON body (a merge patch for PATCH).
const DataPart = "data"

// UploadPart is the name of the one part of POST /api/files.
const UploadPart = "file"

// Register mounts, on the /api group g, POST /files (the two-step upload)
// and the middleware that accepts multipart/form-data creates, replaces
// and patches of the kinds with file fields. (Their download routes are
// generated: rows of the operations table whose handlers call Download.) Call it before the generated routes are
// registered, so that the middleware is in place for them.
func (s *Store) Register(g *echo.Group, svc *resource.Service, schema *resource.Schema) {
	g.Use(s.multipart(svc, schema))
	g.POST("/files", s.upload(svc, schema))
}

// isMultipart reports whether the request's body is multipart/form-data
// and returns its boundary.
func isMultipart(r *http.Request) (string, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	if err != nil || mt != "multipart/form-data" {
		return "", false
	}
	return params["boundary"], true
}

// bodyBufferSize is the read buffer of a multipart body: the
// multipart reader reads 4 KiB at a time, which straight from a socket
// would be one system call per 4 KiB.
const bodyBufferSize = 256 << 10

// bodyBuffers recycles the read buffers of multipart bodies.
var bodyBuffers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bodyBufferSize) }}

// newMultipartReader returns a multipart reader of body through a large
// read buffer, and the function that releases the buffer once the body
// has been read.
func newMultipartReader(body io.Reader, boundary string) (*multipart.Reader, func()) {
	br := bodyBuffers.Get().(*bufio.Reader)
	br.Reset(body)
	return multipart.NewReader(br, boundary), func() {
		br.Reset(nil)
		bodyBuffers.Put(br)
	}
}

// multipart turns a multipart/form-data create (POST /{path}), replace
// (PUT /{path}/:id) or patch (PATCH /{path}/:id) of a kind with file
// fields into the JSON request the generated handler reads: the "data"
// part is the body, and each other part, named by the JSON path of a file
// field ("cover", "details.scan"), is streamed to the store and its file
// object set at that path (appended to the list a list field has in
// "data"). When the write fails, the uploads it made are removed.
func (s *Store) multipart(svc *resource.Service, schema *resource.Schema) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			boundary, ok := isMultipart(req)
			if !ok {
				return next(c)
			}
			k, action := writeTarget(req, schema)
			if k == nil {
				return next(c)
			}
			if boundary == "" {
				return resource.Errorf(resource.CodeBadRequest, "the multipart/form-data body has no boundary parameter")
			}
			ctx := req.Context()
			if err := svc.Allow(ctx, k, action); err != nil {
				return err
			}
			mr, release := newMultipartReader(req.Body, boundary)
			body, uploads, err := s.readWrite(c, k, mr)
			release()
			if err != nil {
				s.Discard(ctx, uploads)
				return err
			}
			ct := echo.MIMEApplicationJSON
			if req.Method == http.MethodPatch {
				ct = "application/merge-patch+json"
			}
			req = req.WithContext(withUploads(ctx, uploads))
			c.SetRequest(req)
			req.Body = io.NopCloser(bytes.NewReader(body))
			req.ContentLength = int64(len(body))
			req.Header.Set(echo.HeaderContentType, ct)
			err = next(c)
			if err != nil || c.Response().Status >= 400 {
				s.Discard(ctx, uploads)
			}
			return err
		}
	}
}

// writeTarget returns the kind with file fields a write request is for
// and the write's action, or nil.
func writeTarget(r *http.Request, schema *resource.Schema) (*resource.Kind, resource.Action) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok {
		return nil, ""
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	var action resource.Action
	switch {
	case len(segs) == 1 && r.Method == http.MethodPost:
		action = resource.ActionCreate
	case len(segs) == 2 && (r.Method == http.MethodPut || r.Method == http.MethodPatch):
		action = resource.ActionUpdate
	default:
		return nil, ""
	}
	for _, k := range schema.Kinds {
		if k.Path == segs[0] && len(k.Files) > 0 && !k.Internal {
			return k, action
		}
	}
	return nil, ""
}

// readWrite reads the parts of a multipart write and returns the JSON
// body with the uploaded files' objects set, and the uploads made (also
// on error, for the caller to discard).
func (s *Store) readWrite(c echo.Context, k *resource.Kind, mr *multipart.Reader) (json.RawMessage, []*Upload, error) {
	ctx := c.Request().Context()
	var data json.RawMessage
	type placed struct {
		ff *resource.FileField
		f  resource.File
	}
	var files []placed
	var uploads []*Upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploads, resource.Errorf(resource.CodeBadRequest, "the multipart/form-data body is malformed or cut short: %v", err)
		}
		name := part.FormName()
		switch ff := k.FileField(name); {
		case name == DataPart:
			if data != nil {
				return nil, uploads, resource.Errorf(resource.CodeBadRequest, `the multipart body has two "data" parts`)
			}
			if data, err = readData(part, s.opts.MaxData); err != nil {
				return nil, uploads, err
			}
		case ff != nil:
			u, err := s.save(ctx, part, part.FileName(), name, ff, false)
			if err != nil {
				return nil, uploads, err
			}
			uploads = append(uploads, u)
			files = append(files, placed{ff, u.File})
		default:
			return nil, uploads, unknownPart(name, k)
		}
		part.Close()
	}
	if data == nil {
		data = json.RawMessage("{}")
	}
	parts := func(p string) []string { return strings.Split(p, ".") }
	for _, p := range files {
		v, _ := json.Marshal(p.f)
		if p.ff.List {
			var list []json.RawMessage
			if cur := getPath(data, parts(p.ff.Path)); !isNull(cur) {
				if err := json.Unmarshal(cur, &list); err != nil {
					return nil, uploads, resource.Invalid(p.ff.Path, "must be a list of file objects")
				}
			}
			v, _ = json.Marshal(append(list, v))
		}
		var err error
		if data, err = setPath(data, parts(p.ff.Path), v); err != nil {
			return nil, uploads, resource.Errorf(resource.CodeBadRequest, "the data part must be a JSON object: %v", err)
		}
	}
	return data, uploads, nil
}

// readData reads the "data" part: a JSON object of at most limit bytes.
func readData(part io.Reader, limit int64) (json.RawMessage, error) {
	raw, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, resource.Errorf(resource.CodeBadRequest, "the multipart/form-data body is malformed or cut short: %v", err)
	}
	if int64(len(raw)) > limit {
		return nil, resource.NewError(http.StatusRequestEntityTooLarge, resource.CodePayloadTooLarge,
			fmt.Sprintf(`the "data" part is larger than the limit of %d bytes`, limit))
	}
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) || len(raw) == 0 || raw[0] != '{' {
		return nil, resource.Errorf(resource.CodeBadRequest, `the "data" part is not a JSON object`)
	}
	return raw, nil
}

// unknownPart is the 400 of a part that names no file field.
func unknownPart(name string, k *resource.Kind) error {
	var names []string
	for _, f := range k.Files {
		names = append(names, f.Path)
	}
	return resource.Errorf(resource.CodeBadRequest, "unknown multipart part %q: a %s write takes a %q part (the JSON body) and one part per file field (%s)",
		name, k.Name, DataPart, strings.Join(names, ", "))
}

// upload serves POST /api/files: one part "file", stored as an upload
// that a later write references by id. The caller must be allowed to
// create or update some kind with file fields.
func (s *Store) upload(svc *resource.Service, schema *resource.Schema) echo.HandlerFunc {
	return func(c echo.Context) error {
		// The query is checked first, as on every route: a mistyped
		// parameter is the client's first mistake to hear about.
		if err := rest.CheckQuery(c); err != nil {
			return err
		}
		req := c.Request()
		ctx := req.Context()
		boundary, ok := isMultipart(req)
		if !ok || boundary == "" {
			return resource.NewError(http.StatusUnsupportedMediaType, resource.CodeUnsupportedMedia,
				`POST /api/files takes a multipart/form-data body with one part "file"`)
		}
		var allowErr error
		allowed := false
		for _, k := range schema.Kinds {
			if len(k.Files) == 0 || k.Internal {
				continue
			}
			for _, a := range []resource.Action{resource.ActionCreate, resource.ActionUpdate} {
				if err := svc.Allow(ctx, k, a); err == nil {
					allowed = true
				} else if allowErr == nil {
					allowErr = err
				}
			}
		}
		if !allowed {
			if allowErr == nil {
				allowErr = resource.Errorf(resource.CodeNotFound, "no resource has file fields")
			}
			return allowErr
		}
		mr, release := newMultipartReader(req.Body, boundary)
		defer release()
		var up *Upload
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				s.Discard(ctx, uploadsOf(up))
				return resource.Errorf(resource.CodeBadRequest, "the multipart/form-data body is malformed or cut short: %v", err)
			}
			if part.FormName() != UploadPart || up != nil {
				s.Discard(ctx, uploadsOf(up))
				return resource.Errorf(resource.CodeBadRequest, "POST /api/files takes exactly one part, named %q; got %q", UploadPart, part.FormName())
			}
			if up, err = s.Save(ctx, part, part.FileName(), UploadPart, nil); err != nil {
				return err
			}
		}
		if up == nil {
			return resource.Errorf(resource.CodeBadRequest, "POST /api/files takes one part named %q; the body has none", UploadPart)
		}
		return rest.JSON(c, http.StatusCreated, up.File)
	}
}

// uploadsOf returns u as a list, empty when nil.
func uploadsOf(u *Upload) []*Upload {
	if u == nil {
		return nil
	}
	return []*Upload{u}
}

// Download serves GET /{path}/:id/files/:field[/:n] of kind k, the
// generated handler of the download operations: the bytes of a file field
// of the resource (at ?revision=, else the current one), read through the
// Service, so that the read rule and field rules apply.
func Download(c echo.Context, svc *resource.Service, k *resource.Kind) error {
	s, err := Of(svc)
	if err != nil {
		return err
	}
	return s.download(c, svc, k)
}

// download serves a download of kind k for Download.
func (s *Store) download(c echo.Context, svc *resource.Service, k *resource.Kind) error {
	if err := rest.CheckQuery(c, "revision"); err != nil {
		return err
	}
	id, err := rest.Param(c, "id")
	if err != nil {
		return err
	}
	field, err := rest.Param(c, "field")
	if err != nil {
		return err
	}
	ff := k.FileField(field)
	if ff == nil {
		return resource.Errorf(resource.CodeNotFound, "%s has no file field %q", k.Name, field)
	}
	index := -1
	if n := c.Param("n"); n != "" {
		if !ff.List {
			return resource.Errorf(resource.CodeNotFound, "%s.%s is a single file, not a list: drop the index", k.Name, field)
		}
		if index, err = strconv.Atoi(n); err != nil || index < 0 {
			return resource.Errorf(resource.CodeBadRequest, "the file index %q is not a number from 0", n)
		}
	} else if ff.List {
		return resource.Errorf(resource.CodeNotFound, "%s.%s is a list of files: add the index, /files/%s/0", k.Name, field, field)
	}
	ctx := c.Request().Context()
	env, err := svc.Get(ctx, k, id, resource.ReadOptions{Revision: c.QueryParam("revision")})
	if err != nil {
		return err
	}
	list := FilesAt(env.Data, field)
	if index < 0 {
		index = 0
	}
	if index >= len(list) {
		return resource.Errorf(resource.CodeNotFound, "%s %s has no file at %s (index %d)", k.Name, id, field, index)
	}
	return s.Serve(c, list[index])
}

// activeTypes are the media types a browser runs script in: they are
// always served as attachments, never inline, so that an upload cannot
// run script on the API's origin.
var activeTypes = []string{"text/html", "image/svg+xml", "text/xml", "application/xml", "application/xhtml+xml", "text/javascript", "application/javascript"}

// Serve writes the bytes of f: Content-Type, Content-Length, a strong
// ETag from the hash, If-None-Match (304), Range (206, one or several
// ranges) and If-Range by http.ServeContent; Content-Disposition with the
// stored name (attachment for active types, inline otherwise) and
// X-Content-Type-Options: nosniff.
func (s *Store) Serve(c echo.Context, f resource.File) error {
	rs, err := s.Open(c.Request().Context(), f)
	if err != nil {
		return err
	}
	defer rs.Close()
	h := c.Response().Header()
	ct := f.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set(echo.HeaderContentType, ct)
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	disposition := "inline"
	for _, a := range activeTypes {
		if ct == a || strings.HasSuffix(ct, "+xml") {
			disposition = "attachment"
		}
	}
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": f.Name}))
	if disposition == "attachment" {
		h.Set("Content-Security-Policy", "sandbox")
	}
	http.ServeContent(readerFrom{c.Response()}, c.Request(), "", time.Time{}, rs)
	return nil
}

// readerFrom gives an echo response the ReadFrom of the writer beneath
// it: http.ServeContent copies the file with io.CopyN, which through
// that ReadFrom is a sendfile from the folder store's file to the
// connection instead of a copy through a buffer in user space.
type readerFrom struct{ *echo.Response }

// ReadFrom commits the status and copies r to the writer beneath.
func (w readerFrom) ReadFrom(r io.Reader) (int64, error) {
	if !w.Committed {
		w.WriteHeader(http.StatusOK)
	}
	n, err := io.Copy(w.Writer, r)
	w.Size += n
	return n, err
}
