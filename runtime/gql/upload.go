package gql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"

	"github.com/specstar-go/specstar/runtime/files"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Part names of the GraphQL multipart request spec
// (github.com/jaydenseric/graphql-multipart-request-spec).
const (
	partOperations = "operations"
	partMap        = "map"
)

// DefaultMaxUpload bounds the files of one multipart request (Options.MaxUpload).
const DefaultMaxUpload = files.DefaultMaxUpload

// uploadTransport serves the GraphQL multipart request spec: a part
// "operations" (the JSON of a POST), a part "map" ({"0":
// ["variables.input.cover.upload"], ...}) and one part per file. Each file
// is spooled to a temporary file (never held in memory), bounded by
// maxUpload for the whole request, and put in the variables as a
// graphql.Upload; the resolvers then stream it to the file store under
// the rules of its field (SaveUploads). The temporary files are removed
// when the response is written.
//
// It does what gqlgen's transport.MultipartForm does, with two changes:
// files never go to memory (MultipartForm reads a request without a
// Content-Length whole into memory), and its errors are GraphQL errors
// with extensions.code like every other error of the API.
type uploadTransport struct {
	svc       *resource.Service
	bodyLimit int64  // the operations and map parts
	maxUpload int64  // all files of a request
	spoolDir  string // "" is os.TempDir()
}

// maxFile is the largest file any file field takes: its max_size, or
// files.DefaultMaxUpload for a field without one (and with no file
// fields). A larger part is refused as it is spooled, before the rules of
// its field are known.
func (t uploadTransport) maxFile() int64 {
	if t.svc == nil {
		return files.DefaultMaxUpload
	}
	var largest int64
	for _, k := range t.svc.Schema().Kinds {
		for _, ff := range k.Files {
			if ff.MaxSize <= 0 {
				return files.DefaultMaxUpload
			}
			largest = max(largest, ff.MaxSize)
		}
	}
	if largest == 0 {
		return files.DefaultMaxUpload
	}
	return largest
}

// allowed returns nil when the caller of ctx may create or update some
// kind with file fields, else the error that says why not: a caller who
// can write no file is refused before any byte is spooled, as POST
// /api/files refuses it.
func (t uploadTransport) allowed(ctx context.Context) *resource.Error {
	if t.svc == nil {
		return nil
	}
	var first error
	for _, k := range t.svc.Schema().Kinds {
		if len(k.Files) == 0 || k.Internal {
			continue
		}
		for _, a := range []resource.Action{resource.ActionCreate, resource.ActionUpdate} {
			err := t.svc.Allow(ctx, k, a)
			if err == nil {
				return nil
			}
			if first == nil {
				first = err
			}
		}
	}
	if first == nil {
		return resource.Errorf(resource.CodeBadRequest, "no resource has file fields: a GraphQL request of this API takes no files")
	}
	var re *resource.Error
	if errors.As(first, &re) {
		return re
	}
	return resource.Errorf(resource.CodeForbidden, "the caller may not upload files")
}

// Supports implements graphql.Transport.
func (uploadTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get("Upgrade") == "" && isMultipart(r)
}

// isMultipart reports whether r's body is multipart/form-data.
func isMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// pendingUpload is the reader of one file of a multipart request: the
// graphql.Upload the resolvers receive holds it, so that they can find
// the file by its token.
type pendingUpload struct {
	*os.File
	token string
	name  string
}

// uploadSet is the files of one multipart request, by token.
type uploadSet struct {
	byToken map[string]*pendingUpload
}

// uploadSetKey keys the uploadSet of a request's context.
type uploadSetKey struct{}

// remove closes and removes the temporary files.
func (s *uploadSet) remove() {
	for _, u := range s.byToken {
		name := u.File.Name()
		_ = u.File.Close()
		_ = os.Remove(name)
	}
}

// uploadToken is the token of the file of the multipart part named key:
// never a file id (those are UUIDs), and unique in the request.
func uploadToken(key string) string { return "upload:" + key }

// Do implements graphql.Transport.
func (t uploadTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	start := graphql.Now()
	set := &uploadSet{byToken: map[string]*pendingUpload{}}
	defer set.remove()
	if e := t.allowed(ctx); e != nil {
		writeError(w, e.Code.Status(), e)
		return
	}
	params, status, e := t.read(r, set)
	if e != nil {
		writeError(w, status, e)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	ctx = context.WithValue(ctx, uploadSetKey{}, set)
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == mediaGraphQLResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr), nil)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx), nil)
}

// read reads the parts of a multipart request into params and set, or
// returns the error to answer with its status.
func (t uploadTransport) read(r *http.Request, set *uploadSet) (*graphql.RawParams, int, *resource.Error) {
	bad := func(format string, args ...any) (*graphql.RawParams, int, *resource.Error) {
		return nil, http.StatusBadRequest, resource.Errorf(resource.CodeBadRequest, format, args...)
	}
	// The parts' headers and boundaries take a little room besides the
	// limits of the parts themselves.
	const overhead = 1 << 20
	if r.ContentLength > t.maxUpload+2*t.bodyLimit+overhead {
		return nil, http.StatusRequestEntityTooLarge, resource.Errorf(resource.CodePayloadTooLarge,
			"the request body is larger than the limit of %d bytes of files (and %d of operations and map)", t.maxUpload, 2*t.bodyLimit)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return bad("the multipart/form-data body cannot be read: %v", err)
	}
	readJSON := func(name string, v any) (int, *resource.Error) {
		part, err := mr.NextPart()
		if err != nil || part.FormName() != name {
			return http.StatusBadRequest, resource.Errorf(resource.CodeBadRequest,
				"a GraphQL multipart request starts with the parts %q and %q, then the files (GraphQL multipart request spec)", partOperations, partMap)
		}
		raw, err := io.ReadAll(io.LimitReader(part, t.bodyLimit+1))
		if err != nil {
			return http.StatusBadRequest, resource.Errorf(resource.CodeBadRequest, "the multipart/form-data body is malformed or cut short: %v", err)
		}
		if int64(len(raw)) > t.bodyLimit {
			return http.StatusRequestEntityTooLarge, tooLarge(t.bodyLimit)
		}
		if e := bodyTextError(raw); e != nil {
			return http.StatusBadRequest, e
		}
		if p, ok := v.(*graphql.RawParams); ok {
			err = decodeParams(raw, p)
		} else {
			err = json.Unmarshal(raw, v)
		}
		if err != nil {
			return http.StatusBadRequest, resource.Errorf(resource.CodeBadRequest, "the %q part is not valid JSON of its shape: %v", name, err)
		}
		return 0, nil
	}
	params := &graphql.RawParams{}
	if status, e := readJSON(partOperations, params); e != nil {
		return nil, status, e
	}
	var places map[string][]string
	if status, e := readJSON(partMap, &places); e != nil {
		return nil, status, e
	}
	left := t.maxUpload
	maxFile := t.maxFile()
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return bad("the multipart/form-data body is malformed or cut short: %v", err)
		}
		key := part.FormName()
		paths, ok := places[key]
		if !ok || len(paths) == 0 {
			return bad("the file part %q is not in the map part, or maps to no variable", key)
		}
		delete(places, key)
		f, err := os.CreateTemp(t.spoolDir, "specstar-graphql-upload-*")
		if err != nil {
			return nil, http.StatusInternalServerError, resource.Errorf(resource.CodeInternal, "internal server error")
		}
		u := &pendingUpload{File: f, token: uploadToken(key), name: part.FileName()}
		set.byToken[u.token] = u
		limit := min(left, maxFile)
		n, err := io.Copy(f, io.LimitReader(part, limit+1))
		if err != nil {
			return bad("the upload was cut short: %v", err)
		}
		if n > limit {
			if limit == maxFile {
				return nil, http.StatusRequestEntityTooLarge, resource.Errorf(resource.CodePayloadTooLarge,
					"the file part %q is larger than %d bytes, the largest file any file field takes", key, maxFile)
			}
			return nil, http.StatusRequestEntityTooLarge, resource.Errorf(resource.CodePayloadTooLarge,
				"the files of the request are larger than the limit of %d bytes", t.maxUpload)
		}
		left -= n
		for _, p := range paths {
			up := graphql.Upload{File: u, Filename: part.FileName(), Size: n, ContentType: part.Header.Get("Content-Type")}
			if err := setVariable(params, p, up); err != nil {
				return bad("the map part places %q at %q: %v", key, p, err)
			}
		}
	}
	for key := range places {
		return bad("the map part names the file part %q, which the request does not have", key)
	}
	return params, 0, nil
}

// setVariable puts v at the path of the map part ("variables.input.cover",
// "variables.files.1"), which must lead to a null in the operations'
// variables.
func setVariable(params *graphql.RawParams, path string, v any) error {
	rest, ok := strings.CutPrefix(path, "variables.")
	if !ok {
		return errors.New(`the path must start with "variables."`)
	}
	segs := strings.Split(rest, ".")
	var parent any = params.Variables
	for i, seg := range segs {
		last := i == len(segs)-1
		switch p := parent.(type) {
		case map[string]any:
			cur, ok := p[seg]
			if !ok || (last && cur != nil) {
				return fmt.Errorf("no null variable at %q", seg)
			}
			if last {
				p[seg] = v
				return nil
			}
			parent = cur
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(p) || (last && p[n] != nil) {
				return fmt.Errorf("no null list element at %q", seg)
			}
			if last {
				p[n] = v
				return nil
			}
			parent = p[n]
		default:
			return fmt.Errorf("%q is not inside an object or a list", seg)
		}
	}
	return errors.New("the path is empty")
}

// PendUpload is the resolver of FileInput.upload: the file value obj
// becomes {"id": token} for SaveUploads to store under its field's rules.
// A FileInput with both an id and an upload is refused.
func PendUpload(obj *resource.File, up *graphql.Upload) error {
	if up == nil {
		return nil
	}
	u, ok := up.File.(*pendingUpload)
	if !ok {
		return resource.Errorf(resource.CodeBadRequest, "upload must be a file of a multipart request (GraphQL multipart request spec)")
	}
	if obj.ID != "" {
		return resource.Invalid("upload", "a FileInput gives either an id (an uploaded file) or an upload, not both")
	}
	obj.ID = u.token
	return nil
}

// uploadValues turns the graphql.Upload values of a JSON scalar's value
// (a patch with {"cover": {"upload": <file>}}) into their tokens, which
// SaveUploads then finds.
func uploadValues(v any) any {
	switch x := v.(type) {
	case graphql.Upload:
		if u, ok := x.File.(*pendingUpload); ok {
			return u.token
		}
		return nil
	case map[string]any:
		for k, e := range x {
			x[k] = uploadValues(e)
		}
	case []any:
		for i, e := range x {
			x[i] = uploadValues(e)
		}
	}
	return v
}

// SaveUploads stores the files of a multipart request that data (the
// data of a create or replace of kind k, or the translated merge patch of
// a patch) names in its file fields, after checking that the caller may
// do action on k at all: each file streams to the file store under its
// field's max_size and accept (413, 415), and data comes back with the
// stored file objects. The returned context lets the write reference
// them; call done with the write's error, which removes the stored files
// when the write failed. Without a file store, or a request without
// files, data is returned as it is.
func SaveUploads(ctx context.Context, svc *resource.Service, k *resource.Kind, action resource.Action, data json.RawMessage) (context.Context, json.RawMessage, func(error), error) {
	none := func(error) {}
	if len(k.Files) == 0 {
		return ctx, data, none, nil
	}
	store, err := files.Of(svc)
	if err != nil {
		return ctx, data, none, nil // no file store: the reference check is absent too
	}
	set, _ := ctx.Value(uploadSetKey{}).(*uploadSet)
	lookup := func(token string) (files.Pending, bool) {
		if set == nil {
			return files.Pending{}, false
		}
		u, ok := set.byToken[token]
		if !ok {
			return files.Pending{}, false
		}
		return files.Pending{Body: u, Name: u.name}, true
	}
	if set != nil && len(set.byToken) > 0 {
		// Bytes are stored only for callers that may write at all.
		if err := svc.Allow(ctx, k, action); err != nil {
			return ctx, nil, none, err
		}
	}
	out, uploads, err := store.SavePending(ctx, k, data, lookup)
	if err != nil {
		store.Discard(ctx, uploads)
		return ctx, nil, none, err
	}
	if len(uploads) == 0 {
		return ctx, out, none, nil
	}
	done := func(err error) {
		if err != nil {
			store.Discard(ctx, uploads)
		}
	}
	return files.WithUploads(ctx, uploads), out, done, nil
}

// FileOwner is a record whose data may hold files: the generated record
// types of resources with file fields implement it, for File.url.
type FileOwner interface {
	// FileData returns the record's kind, meta and revision info, and
	// its data as JSON.
	FileData() (*resource.Kind, *resource.Meta, *resource.RevisionInfo, json.RawMessage, error)
}

// FileURL is the resolver of File.url: the REST download route of the
// file (GET /api/{path}/{id}/files/{field}[/{n}]), with ?revision= when the
// record is not the resource's current revision. It finds the record the
// file belongs to among the results of the fields above it, and the file
// in the record's data by its id (and, when one file is in several
// fields, by whether it is an element of a list, and which).
func FileURL(ctx context.Context, obj *resource.File) (string, error) {
	index := -1 // the file's index in a list of files, if it is in one
	for fc := graphql.GetFieldContext(ctx); fc != nil; fc = fc.Parent {
		if o := fileOwner(fc.Result); o != nil {
			k, meta, rev, data, err := o.FileData()
			if err != nil {
				return "", &InternalError{Err: err}
			}
			if u, ok := recordFileURL(k, meta, rev, data, obj, index); ok {
				return u, nil
			}
			break
		}
		if fc.Index != nil && index < 0 {
			index = *fc.Index
		}
	}
	return "", &InternalError{Err: fmt.Errorf("gql: no record above file %s holds it", obj.ID)}
}

// fileOwner returns r as a FileOwner, also when it is a pointer to one
// (a list element's result is the address of the element).
func fileOwner(r any) FileOwner {
	if o, ok := r.(FileOwner); ok {
		return o
	}
	if v := reflect.ValueOf(r); v.IsValid() && v.Kind() == reflect.Pointer && !v.IsNil() {
		if o, ok := v.Elem().Interface().(FileOwner); ok {
			return o
		}
	}
	return nil
}

// recordFileURL returns the download URL of file f in data (the record's
// data as JSON) of the resource of kind k described by meta and rev, or
// false when no file field of data holds f. index is f's index when it
// is an element of a list of files, else -1: a file found where it says
// is preferred to the same file elsewhere.
func recordFileURL(k *resource.Kind, meta *resource.Meta, rev *resource.RevisionInfo, data json.RawMessage, f *resource.File, index int) (string, bool) {
	// where reports whether the file at element i of ff is where index
	// says it is.
	where := func(ff *resource.FileField, i int) bool {
		if index >= 0 {
			return ff.List && i == index
		}
		return !ff.List
	}
	var first, exact string
	for j := range k.Files {
		ff := &k.Files[j]
		for i, g := range files.FilesAt(data, ff.Path) {
			if g.ID != f.ID {
				continue
			}
			u := "/api/" + k.Path + "/" + url.PathEscape(meta.ResourceID) + "/files/" + ff.Path
			if ff.List {
				u += "/" + strconv.Itoa(i)
			}
			if first == "" {
				first = u
			}
			if exact == "" && where(ff, i) {
				exact = u
			}
		}
	}
	found := exact
	if found == "" {
		found = first
	}
	if found == "" {
		return "", false
	}
	if rev.RevisionID != "" && rev.RevisionID != meta.CurrentRevisionID {
		found += "?revision=" + url.QueryEscape(rev.RevisionID)
	}
	return found, true
}

var _ graphql.Transport = uploadTransport{}
