package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
)

// File fields in forms.
//
// A form of a resource with file fields is multipart/form-data. Its first
// part is the CSRF token (the hidden input comes first in every form), so
// that crossOrigin checks it before anything else of the body is read; the
// create and update handlers then stream the other parts: text inputs into
// the form's values, and each file input, named by the field's path
// ("cover", "attachments"), through files.Store.Save, which bounds its
// size and checks its type as it streams (the same checks the REST
// multipart writes make). The write then references the uploads by id and
// goes through the Service like every other write: the files hook
// resolves the ids to the stored file objects.
//
// Next to each file input the form sends, per field:
//   - path+".remove": the ids of stored files to remove (checkboxes);
//   - path+".upload": uploads of an earlier submission that was refused
//     (422), as their file objects in JSON, so that the user does not
//     choose the files again. The hook checks that such an id names an
//     upload record; the JSON's other members are only shown.

// multipartKey holds the multipart reader of a form whose CSRF part
// crossOrigin has read.
const multipartKey = "admin.multipart"

// maxFormText bounds the text parts of a multipart form, together: the
// server's body limit does not apply to multipart bodies, whose files are
// bounded one by one.
const maxFormText = 10 << 20

// isMultipartForm reports whether the request's body is
// multipart/form-data.
func isMultipartForm(req *http.Request) bool {
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	return err == nil && mt == "multipart/form-data"
}

// checkMultipartCSRF reads the first part of a multipart form, which must
// be the CSRF token, and keeps the reader for the handler. Nothing else of
// the body is read before the token is checked.
func checkMultipartCSRF(c echo.Context) error {
	ck, err := c.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 32 {
		return errCSRF
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return errCSRF
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != csrfField {
		return errCSRF
	}
	sent, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(string(sent))), []byte(ck.Value)) != 1 {
		return errCSRF
	}
	c.Set(multipartKey, mr)
	return nil
}

// submission is a submitted create or edit form: its text values and the
// files it uploaded, by field path.
type submission struct {
	form    url.Values
	uploads map[string][]*files.Upload
	all     []*files.Upload
	// errs are the refused files (too large, of a type not accepted).
	errs  []resource.FieldError
	store *files.Store
}

// readSubmission reads the form of a create or update of r. A multipart
// form's files are stored as they stream, once the caller may take act on
// r; a file the caller may not write, or that its field refuses, is
// skipped and reported as a field error.
func (a *Admin) readSubmission(c echo.Context, r *Resource, act resource.Action) (*submission, error) {
	mr, ok := c.Get(multipartKey).(*multipart.Reader)
	if !ok {
		form, err := c.FormParams()
		if err != nil {
			return nil, resource.Errorf(resource.CodeBadRequest, "the form could not be read: %v", err)
		}
		return &submission{form: form}, nil
	}
	ctx := c.Request().Context()
	if err := a.svc.Allow(ctx, r.Kind, act); err != nil {
		return nil, err
	}
	s := &submission{form: url.Values{}, uploads: map[string][]*files.Upload{}}
	s.store, _ = files.Of(a.svc)
	left := int64(maxFormText)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.discard(ctx)
			return nil, resource.Errorf(resource.CodeBadRequest, "the form's body is malformed or cut short: %v", err)
		}
		name := part.FormName()
		ff := r.Kind.FileField(name)
		if ff == nil {
			b, err := io.ReadAll(io.LimitReader(part, left+1))
			if err != nil {
				s.discard(ctx)
				return nil, resource.Errorf(resource.CodeBadRequest, "the form's body is malformed or cut short: %v", err)
			}
			if left -= int64(len(b)); left < 0 {
				s.discard(ctx)
				return nil, resource.Errorf(resource.CodePayloadTooLarge, "the form's text is larger than the limit of %d bytes", maxFormText)
			}
			s.form.Add(name, string(b))
			continue
		}
		if part.FileName() == "" {
			continue // the input had no file chosen
		}
		top, _, _ := strings.Cut(name, ".")
		if s.store == nil || !fieldWritable(ctx, r, top) {
			s.errs = append(s.errs, resource.FieldError{Field: name, Message: "you may not upload files here"})
			continue
		}
		u, err := s.store.Save(ctx, part, part.FileName(), name, ff)
		if err != nil {
			var re *resource.Error
			if errors.As(err, &re) && len(re.Fields) > 0 {
				for _, fe := range re.Fields {
					s.errs = append(s.errs, resource.FieldError{Field: fe.Field, Message: part.FileName() + ": " + fe.Message})
				}
				continue
			}
			s.discard(ctx)
			return nil, err
		}
		s.uploads[name] = append(s.uploads[name], u)
		s.all = append(s.all, u)
	}
	return s, nil
}

// discard removes the uploads of a submission that will not be saved nor
// shown again.
func (s *submission) discard(ctx context.Context) {
	if s.store != nil && len(s.all) > 0 {
		s.store.Discard(ctx, s.all)
	}
}

// fileState is what a file field holds on a form: the stored files, the
// ones checked for removal, and uploads not saved yet.
type fileState struct {
	stored  []resource.File
	removed []string
	pending []resource.File
}

// state returns the files of field path: stored holds the resource's
// current data (nil on a create form).
func (s *submission) state(path string, stored map[string]any) fileState {
	st := fileState{stored: filesOf(stored, path)}
	if s == nil {
		return st
	}
	st.removed = s.form[path+".remove"]
	for _, raw := range s.form[path+".upload"] {
		var f resource.File
		if json.Unmarshal([]byte(raw), &f) == nil && f.ID != "" {
			st.pending = append(st.pending, f)
		}
	}
	for _, u := range s.uploads[path] {
		st.pending = append(st.pending, u.File)
	}
	return st
}

// value returns the field's new value: nil when it holds no file.
func (st fileState) value(ff *resource.FileField) any {
	var out []resource.File
	for _, f := range st.stored {
		if !slices.Contains(st.removed, f.ID) {
			out = append(out, f)
		}
	}
	if !ff.List {
		switch {
		case len(st.pending) > 0:
			return st.pending[len(st.pending)-1] // the last choice replaces the file
		case len(out) > 0:
			return out[0]
		}
		return nil
	}
	out = append(out, st.pending...)
	if len(out) == 0 {
		return nil
	}
	return out
}

// filesOf returns the file objects at path of data.
func filesOf(data map[string]any, path string) []resource.File {
	v, ok := lookup(data, path)
	if !ok || v == nil {
		return nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return files.FilesIn(raw)
}

// setFiles sets the file fields of data from the submission: stored
// files kept unless removed, uploads added (or replacing a single file).
// A field the caller may not write keeps its stored value.
func (a *Admin) setFiles(ctx context.Context, r *Resource, s *submission, data, stored map[string]any) {
	for i := range r.Kind.Files {
		ff := &r.Kind.Files[i]
		top, _, _ := strings.Cut(ff.Path, ".")
		st := fileState{stored: filesOf(stored, ff.Path)}
		if fieldWritable(ctx, r, top) {
			st = s.state(ff.Path, stored)
		}
		setPath(data, ff.Path, st.value(ff))
	}
}

// setPath sets the value at a dotted path of m, making the objects on the
// way; a nil value removes the member.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			if v == nil {
				return
			}
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	last := parts[len(parts)-1]
	if v == nil {
		delete(m, last)
		return
	}
	m[last] = v
}

// fileView is a file as forms and pages show it.
type fileView struct {
	ID, Name, Type string
	Size           string // "1.2 MB"
	Href           string // the download; "" for an upload not saved yet
	Image          bool   // shown as a preview
	Pending        string // an upload not saved yet: its file object, sent again
	Removed        bool   // checked for removal
	InputID        string // the id of its remove checkbox
}

// fileViews describes files for a page; href is the download address of
// the field ("…/files/cover"), "" when they cannot be downloaded.
func fileViews(list []resource.File, href string, isList bool, revision string) []fileView {
	out := make([]fileView, 0, len(list))
	for i, f := range list {
		v := fileView{ID: f.ID, Name: f.Name, Type: f.ContentType, Size: humanSize(f.Size), Image: isImage(f.ContentType)}
		if href != "" {
			v.Href = href
			if isList {
				v.Href += "/" + strconv.Itoa(i)
			}
			if revision != "" {
				v.Href += "?revision=" + url.QueryEscape(revision)
			}
		}
		out = append(out, v)
	}
	return out
}

// isImage reports whether a browser shows ct as an image preview: the
// raster types (SVG is served as an attachment, never inline).
func isImage(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp":
		return true
	}
	return false
}

// humanSize writes n bytes for people, in binary units as the spec's
// sizes are: "812 bytes", "1.2 KB", "5 MB".
func humanSize(n int64) string {
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return strconv.FormatInt(n, 10) + " bytes"
	}
	x := float64(n)
	for _, unit := range []string{"KB", "MB", "GB", "TB"} {
		x /= 1024
		if x < 1024 || unit == "TB" {
			s := strconv.FormatFloat(x, 'f', 1, 64)
			return strings.TrimSuffix(s, ".0") + " " + unit
		}
	}
	return ""
}

// fillFiles sets the files of the file inputs of a form: the stored ones
// (with their downloads when the resource exists), the checked removals
// and the uploads not saved yet. href is the resource's page, "" on a
// create form.
func fillFiles(fields []*formField, r *Resource, s *submission, stored map[string]any, href string) {
	for _, ff := range fields {
		if len(ff.Children) > 0 {
			fillFiles(ff.Children, r, s, stored, href)
		}
		rule := r.Kind.FileField(ff.Path)
		if rule == nil {
			continue
		}
		ff.FileList = rule.List
		ff.Accept = strings.Join(rule.Accept, ",")
		ff.FileHelp = fileHelp(rule)
		st := s.state(ff.Path, stored)
		dl := ""
		if href != "" {
			dl = href + "/files/" + ff.Path
		}
		ff.Files = fileViews(st.stored, dl, rule.List, "")
		for i := range ff.Files {
			ff.Files[i].Removed = slices.Contains(st.removed, ff.Files[i].ID)
			ff.Files[i].InputID = ff.ID + "-rm-" + strconv.Itoa(i)
		}
		for _, f := range st.pending {
			raw, _ := json.Marshal(f)
			v := fileViews([]resource.File{f}, "", false, "")[0]
			v.Pending = string(raw)
			ff.Files = append(ff.Files, v)
		}
	}
}

// fileHelp says what a file field takes: "PNG or JPEG, at most 5.0 MB".
func fileHelp(rule *resource.FileField) string {
	var parts []string
	if len(rule.Accept) > 0 {
		names := make([]string, len(rule.Accept))
		for i, t := range rule.Accept {
			main, sub, _ := strings.Cut(t, "/")
			names[i] = strings.ToUpper(sub)
			if sub == "*" {
				names[i] = "any " + main // "image/*": any image
			}
		}
		parts = append(parts, strings.Join(names, " or "))
	}
	if rule.MaxSize > 0 {
		parts = append(parts, "at most "+humanSize(rule.MaxSize))
	}
	if rule.List {
		parts = append(parts, "several at once")
	}
	s := strings.Join(parts, ", ")
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// download serves GET …/:id/files/:field[/:n]: a file of the resource
// (at ?revision=, else the current one), read through the Service as the
// logged-in user, so that the read rule and the field rules apply as they
// do to the API's download route, which the admin's cookie cannot use.
func (a *Admin) download(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		store, err := files.Of(a.svc)
		if err != nil {
			return a.fail(c, resource.Errorf(resource.CodeNotFound, "this server stores no files"))
		}
		field := c.Param("field")
		rule := r.Kind.FileField(field)
		top, _, _ := strings.Cut(field, ".")
		if rule == nil || !fieldReadable(ctx, r, top) {
			return a.fail(c, resource.Errorf(resource.CodeNotFound, "%s has no file field %q", r.Label, field))
		}
		index := 0
		if n := c.Param("n"); n != "" {
			if index, err = strconv.Atoi(n); err != nil || index < 0 || !rule.List {
				return a.fail(c, resource.Errorf(resource.CodeNotFound, "no file %q of %s", n, field))
			}
		}
		env, err := a.svc.Get(ctx, r.Kind, c.Param("id"), resource.ReadOptions{Revision: c.QueryParam("revision"), IncludeDeleted: true})
		if err != nil {
			return a.fail(c, err)
		}
		list := files.FilesAt(env.Data, field)
		if index >= len(list) {
			return a.fail(c, resource.Errorf(resource.CodeNotFound, "this %s has no file at %s", strings.ToLower(r.Label), field))
		}
		return store.Serve(c, list[index])
	}
}
