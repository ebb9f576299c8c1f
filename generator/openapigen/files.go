package openapigen

import (
	"net/http"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specstar-go/specstar/generator/model"
)

// mediaMultipart is the media type of writes with file parts.
const mediaMultipart = "multipart/form-data"

// binary is the schema of a file's bytes.
func binary() *openapi3.Schema {
	return &openapi3.Schema{Type: types(openapi3.TypeString), Format: "binary"}
}

// withMultipart adds to body, the JSON body of a create, replace or patch
// of r, its multipart/form-data form when r has file fields: a part
// "data" with the JSON (of the schema dataSchema) and one part per file
// field, named by its JSON path (several parts for a list of files, each
// appended to the list "data" gives).
func withMultipart(r *model.Resource, body *openapi3.RequestBodyRef, dataSchema string) *openapi3.RequestBodyRef {
	if !r.HasFiles() {
		return body
	}
	s := &openapi3.Schema{
		Type:       types(openapi3.TypeObject),
		Properties: openapi3.Schemas{"data": schemaRef(dataSchema)},
	}
	for _, p := range r.FilePaths() {
		if isFileList(r, p) {
			s.Properties[p] = prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: prop(binary()),
				Description: "Files appended to the list " + p + " of data, one part each."})
			continue
		}
		f := binary()
		f.Description = "The file of " + p + "; its content type is detected from the bytes."
		s.Properties[p] = prop(f)
	}
	body.Value.Content[mediaMultipart] = &openapi3.MediaType{
		Schema:   prop(s),
		Encoding: map[string]*openapi3.Encoding{"data": {ContentType: mediaJSON}},
	}
	body.Value.Description += " With file fields, also multipart/form-data: a part data with the JSON and one part per file field, named by its JSON path (docs/files.md)."
	return body
}

// isFileList reports whether the file field at path of r is a list.
func isFileList(r *model.Resource, path string) bool {
	list := false
	var walk func([]*model.Field)
	walk = func(fields []*model.Field) {
		for _, f := range fields {
			if f.Path == path && f.Type == model.List {
				list = true
			}
			if f.Type == model.Object {
				walk(f.Fields)
			}
		}
	}
	walk(r.Fields)
	return list
}

// fieldParam is the {field} path parameter of the downloads of r: the
// JSON paths of its file fields (list is false) or lists of files.
func fieldParam(r *model.Resource, list bool) *openapi3.ParameterRef {
	var paths []any
	for _, p := range r.FilePaths() {
		if isFileList(r, p) == list {
			paths = append(paths, p)
		}
	}
	s := &openapi3.Schema{Type: types(openapi3.TypeString), Enum: paths}
	return &openapi3.ParameterRef{Value: param(openapi3.ParameterInPath, "field", "The JSON path of the file field.", true, s)}
}

// indexParam is the {n} path parameter of a download of one file of a
// list.
func indexParam() *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: param(openapi3.ParameterInPath, "n", "The position of the file in the list, from 0.", true,
		&openapi3.Schema{Type: types(openapi3.TypeInteger), Min: ptr(0.0)})}
}

// rangeParam is the Range request header of downloads.
func rangeParam() *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: param(openapi3.ParameterInHeader, "Range",
		"Byte ranges (RFC 9110), e.g. bytes=0-1023; one range answers 206 with the bytes, several with multipart/byteranges.", false,
		&openapi3.Schema{Type: types(openapi3.TypeString)})}
}

// downloadOperation describes the download routes.
func downloadOperation(r *model.Resource, op *model.Operation) operation {
	headers := openapi3.Headers{
		"ETag": headerRef("ETag"),
		"Content-Disposition": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: "inline (attachment for HTML, SVG, XML and JavaScript) with the stored file name.",
			Schema:      prop(&openapi3.Schema{Type: types(openapi3.TypeString)}),
		}}},
	}
	bytes := openapi3.Content{"*/*": &openapi3.MediaType{Schema: prop(binary())}}
	what := "the file field"
	if op.Action == model.ActionDownloadItem {
		what = "file n of the list of files"
	}
	return operation{
		headers: []string{paramIfNoneMatch},
		status:  http.StatusOK,
		success: &openapi3.Response{Description: ptr("The bytes of " + what + ", with the detected Content-Type."), Headers: headers, Content: bytes},
		also: map[int]*openapi3.Response{http.StatusPartialContent: {
			Description: ptr("Partial Content: the requested range(s)."), Headers: headers, Content: bytes}},
		errors: []int{304, 404, 410},
		description: "Serves the bytes of " + what + " of the current revision (or of revision=), with a strong ETag " +
			"(the SHA-256 of the bytes), If-None-Match, Range and X-Content-Type-Options: nosniff.",
	}
}

// filesTag groups POST /api/files.
const filesTag = "Files"

// filesPath adds POST /api/files, the two-step upload.
func (b *builder) filesPath(paths *openapi3.Paths) {
	body := &openapi3.Schema{
		Type:       types(openapi3.TypeObject),
		Required:   []string{"file"},
		Properties: openapi3.Schemas{"file": prop(binary())},
	}
	o := &openapi3.Operation{
		Tags:    []string{filesTag},
		Summary: "Upload a file to reference by id in a later write",
		Description: "Stores one file (the part file) and answers its file object. A create, replace or patch then " +
			"references it as {\"id\": ...} in a file field; uploads no write references are removed after a grace period. " +
			"The caller must be allowed to create or update some resource with file fields.",
		OperationID: "uploadFile",
		RequestBody: &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Required: true, Description: "One part named file.",
			Content: openapi3.Content{mediaMultipart: &openapi3.MediaType{Schema: prop(body)}}}},
		Responses: openapi3.NewResponses(),
		Security:  noSecurity(),
	}
	if b.m.Auth != nil {
		o.Security = bearer()
	}
	o.Responses.Delete("default")
	o.Responses.Set("201", &openapi3.ResponseRef{Value: jsonResponse("Created: the file object of the upload.", schemaFile)})
	errs := []int{http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusInternalServerError}
	if b.m.Auth != nil {
		errs = append(errs, http.StatusUnauthorized)
	}
	b.setErrors(o, errs)
	paths.Set("/api/files", &openapi3.PathItem{Post: o})
}
