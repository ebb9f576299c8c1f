package openapigen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specstar-go/specstar/generator/model"
)

// Names of the component schemas every document has.
const (
	schemaMeta          = "Meta"
	schemaRevisionInfo  = "RevisionInfo"
	schemaRevisionPage  = "RevisionPage"
	schemaCount         = "Count"
	schemaReferrerGroup = "ReferrerGroup"
	schemaReferrerList  = "ReferrerList"
	schemaImportResult  = "ImportResult"
	schemaProblem       = "Problem"
	schemaFieldError    = "FieldError"
	schemaJSONPatch     = "JSONPatch"
	schemaJSONPatchOp   = "JSONPatchOperation"
	schemaHealth        = "Health"
	schemaFile          = "File"
	schemaFileRef       = "FileRef"
	schemaOpenAPIObject = "OpenAPIDocument"
	// The schemas of job resources, whose ids are queue ids ("42"), not
	// UUIDs: a document of a spec with jobs has them.
	schemaJobMeta         = "JobMeta"
	schemaJobRevisionInfo = "JobRevisionInfo"
	schemaJobRevisionPage = "JobRevisionPage"
	schemaJobLog          = "JobLog"
	schemaJobLogList      = "JobLogList"
)

// Patterns of the ids of job resources and of their revisions.
const (
	jobIDPattern         = `^[1-9][0-9]*$`
	jobRevisionIDPattern = `^[1-9][0-9]*:[1-9][0-9]*$`
)

// Suffixes of the per-resource component schemas: for Post, "Post" is the
// data as returned, "PostInput" the body of a create or replace, and so on.
const (
	suffixInput      = "Input"
	suffixMergePatch = "MergePatch"
	suffixEnvelope   = "Envelope"
	suffixExpand     = "Expand"
	suffixPage       = "Page"
	suffixRevision   = "Revision"
)

// errorCodes are the values of Problem.code, in the order of
// docs/rest.md. They mirror the resource.Code constants.
func errorCodes() []any {
	return []any{"VALIDATION_ERROR", "BAD_REQUEST", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "GONE",
		"CONFLICT", "PRECONDITION_FAILED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "RATE_LIMITED", "INTERNAL"}
}

// types returns a schema type list: one type, or a type and "null".
func types(t ...string) *openapi3.Types {
	ts := openapi3.Types(t)
	return &ts
}

// anyValue is the schema of any JSON value: anyOf the empty schema and
// null. The null branch is redundant in JSON Schema 2020-12 but not for
// kin-openapi (v0.152.0), which validates null against {} as "not
// nullable" even in an OpenAPI 3.1 document; oapi-codegen (v2.8.2) cannot
// type a list of several non-null types, so "type: [every type]" is not
// an option either. Both tools read this form as an untyped, nullable value.
func anyValue(description string) *openapi3.Schema {
	return &openapi3.Schema{
		AnyOf:       openapi3.SchemaRefs{prop(&openapi3.Schema{}), prop(&openapi3.Schema{Type: types(openapi3.TypeNull)})},
		Description: description,
	}
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// object returns a closed object schema (additionalProperties: false).
func object(description string, required []string, props openapi3.Schemas) *openapi3.Schema {
	return &openapi3.Schema{
		Type:                 types(openapi3.TypeObject),
		Description:          description,
		Required:             required,
		Properties:           props,
		AdditionalProperties: openapi3.AdditionalProperties{Has: ptr(false)},
	}
}

// prop returns an inline property schema.
func prop(s *openapi3.Schema) *openapi3.SchemaRef { return openapi3.NewSchemaRef("", s) }

// str returns a string property with a description and an optional format.
func str(description, format string) *openapi3.SchemaRef {
	return prop(&openapi3.Schema{Type: types(openapi3.TypeString), Format: format, Description: description})
}

// integer returns an integer property.
func integer(description string) *openapi3.SchemaRef {
	return prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Description: description})
}

// nullableString returns a string-or-null property.
func nullableString(description string) *openapi3.SchemaRef {
	return prop(&openapi3.Schema{Type: types(openapi3.TypeString, openapi3.TypeNull), Description: description})
}

// readOnly marks every inline property of s read-only and returns s.
func readOnly(s *openapi3.Schema) *openapi3.Schema {
	for _, p := range s.Properties {
		if p.Value != nil {
			p.Value.ReadOnly = true
		}
	}
	return s
}

// revisionIDPattern matches a revision id "{resource_id}:{n}".
const revisionIDPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:[1-9][0-9]*$`

// sharedSchemas declares the schemas that do not depend on the spec.
func (b *builder) sharedSchemas() error {
	who := "the shared schemas of every document"
	revisionID := func(description string) *openapi3.SchemaRef {
		return prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: revisionIDPattern, Description: description})
	}
	schemas := []struct {
		name string
		s    *openapi3.Schema
	}{
		{schemaMeta, readOnly(object("What the server records about a resource as a whole.", []string{
			"resource_id", "current_revision_id", "total_revision_count", "schema_version",
			"created_time", "created_by", "updated_time", "updated_by", "is_deleted",
		}, openapi3.Schemas{
			"resource_id":          str("The id of the resource (a UUIDv7, assigned by the server).", "uuid"),
			"current_revision_id":  revisionID("The revision reads return; moved by writes and by switch."),
			"total_revision_count": prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(1.0), Description: "Revisions ever created, including pruned ones."}),
			"schema_version":       prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(1.0), Description: "The schema version the resource was last written with."}),
			"created_time":         str("When the resource was created (RFC 3339, UTC).", "date-time"),
			"created_by":           str("Who created the resource (the authenticated subject, or anonymous).", ""),
			"updated_time":         str("The last write of any kind (update, switch, delete, restore).", "date-time"),
			"updated_by":           str("Who wrote last.", ""),
			"is_deleted":           prop(&openapi3.Schema{Type: types(openapi3.TypeBoolean), Description: "True after a soft delete."}),
		}))},
		{schemaRevisionInfo, readOnly(object("One revision of a resource.", []string{
			"revision_id", "parent_revision_id", "resource_id", "status", "data_hash", "schema_version",
			"created_time", "created_by", "updated_time", "updated_by",
		}, openapi3.Schemas{
			"revision_id":        revisionID("The revision id: {resource_id}:{n}, n counting from 1."),
			"parent_revision_id": prop(&openapi3.Schema{Type: types(openapi3.TypeString, openapi3.TypeNull), Pattern: revisionIDPattern, Description: "The revision this one was written on top of; null for revision 1."}),
			"resource_id":        str("The resource.", "uuid"),
			"status":             prop(&openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"stable", "draft"}, Description: "stable, or draft while the revision can still be edited in place (mode=modify)."}),
			"data_hash":          prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: `^sha256:[0-9a-f]{64}$`, Description: "sha256: and the hex SHA-256 of the canonical data bytes."}),
			"schema_version":     prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(1.0), Description: "The schema version the revision was written with."}),
			"created_time":       str("When the revision was written (RFC 3339, UTC).", "date-time"),
			"created_by":         str("Who wrote the revision.", ""),
			"updated_time":       str("The last in-place edit of a draft (equal to created_time otherwise).", "date-time"),
			"updated_by":         str("Who edited the draft last.", ""),
		}))},
		{schemaRevisionPage, object("A page of revisions, newest first.", []string{"items", "next_cursor"}, openapi3.Schemas{
			"items":       prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(schemaRevisionInfo)}),
			"next_cursor": nullableString("Pass as cursor to get the next page; null on the last page."),
		})},
		{schemaCount, object("The number of resources that match.", []string{"count"}, openapi3.Schemas{
			"count": prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(0.0)}),
		})},
		{schemaReferrerGroup, object("The live resources that refer to one resource through one ref field.", []string{"resource", "path", "field", "ids"}, openapi3.Schemas{
			"resource": str("The kind of the referrers (Comment).", ""),
			"path":     str("Their REST path segment, under /api (comments).", ""),
			"field":    str("The ref field that holds the id (post).", ""),
			"ids":      prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: str("", "uuid"), Description: "The ids of the live referrers, in id order."}),
		})},
		{schemaReferrerList, object("The live referrers of a resource, grouped by the ref field that points at it.", []string{"items"}, openapi3.Schemas{
			"items": prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(schemaReferrerGroup)}),
		})},
		{schemaImportResult, object("What an import wrote, in one transaction.", []string{"resources", "revisions", "skipped"}, openapi3.Schemas{
			"resources": integer("Resources written (new or overwritten)."),
			"revisions": integer("Revisions written."),
			"skipped":   integer("Resources already stored and kept as they were (on_duplicate=skip)."),
		})},
		{schemaFieldError, object("One problem with one field or query parameter.", []string{"field", "message"}, openapi3.Schemas{
			"field":   str("The dotted JSON path of the field (address.country), or the name of a query parameter.", ""),
			"message": str("What is wrong, for people.", ""),
		})},
		{schemaProblem, object("An RFC 9457 problem: the body of every error response.", []string{"type", "title", "status", "detail", "code", "errors"}, openapi3.Schemas{
			"type":   str("A URI that identifies the problem type (about:blank when the status says it all).", ""),
			"title":  str("The HTTP status text.", ""),
			"status": prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Min: ptr(400.0), Max: ptr(599.0), Description: "The HTTP status."}),
			"detail": str("What went wrong, for people; may change.", ""),
			"code":   prop(&openapi3.Schema{Type: types(openapi3.TypeString), Enum: errorCodes(), Description: "The stable, machine-readable error code."}),
			"errors": prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(schemaFieldError), Description: "The fields at fault; always present, possibly empty."}),
		})},
		{schemaJSONPatchOp, object("One RFC 6902 JSON Patch operation.", []string{"op", "path"}, openapi3.Schemas{
			"op":    prop(&openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"add", "remove", "replace", "move", "copy", "test"}}),
			"path":  str("A JSON Pointer (RFC 6901) into the data object.", ""),
			"from":  str("The source JSON Pointer of move and copy.", ""),
			"value": prop(anyValue("The value of add, replace and test: any JSON value.")),
		})},
		{schemaJSONPatch, &openapi3.Schema{
			Type:        types(openapi3.TypeArray),
			Items:       schemaRef(schemaJSONPatchOp),
			Description: "An RFC 6902 JSON Patch: operations applied in order, all or nothing.",
		}},
		{schemaHealth, object("The state of the server.", []string{"status"}, openapi3.Schemas{
			"status": prop(&openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"ok", "unavailable"}}),
		})},
		{schemaOpenAPIObject, &openapi3.Schema{Type: types(openapi3.TypeObject), Description: "An OpenAPI 3.1 document."}},
	}
	if len(b.m.Jobs()) > 0 {
		meta, info, page := cloneSchema(schemas[0].s), cloneSchema(schemas[1].s), cloneSchema(schemas[2].s)
		meta.Description = "What the server records about a job as a whole: as for any resource, with the job's queue id as its id."
		meta.Properties["resource_id"] = prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: jobIDPattern, ReadOnly: true, Description: "The id of the job (its queue id, assigned by the server)."})
		meta.Properties["current_revision_id"] = prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: jobRevisionIDPattern, ReadOnly: true, Description: "The revision reads return: the job's last status change."})
		info.Description = "One revision of a job: one status change."
		info.Properties["revision_id"] = prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: jobRevisionIDPattern, ReadOnly: true, Description: "The revision id: {resource_id}:{n}, n counting from 1."})
		info.Properties["parent_revision_id"] = prop(&openapi3.Schema{Type: types(openapi3.TypeString, openapi3.TypeNull), Pattern: jobRevisionIDPattern, ReadOnly: true, Description: "The revision this one follows; null for revision 1."})
		info.Properties["resource_id"] = prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: jobIDPattern, ReadOnly: true, Description: "The job."})
		page.Description = "A page of a job's revisions (its status changes), newest first."
		page.Properties["items"] = prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(schemaJobRevisionInfo)})
		add := func(name string, s *openapi3.Schema) {
			schemas = append(schemas, struct {
				name string
				s    *openapi3.Schema
			}{name, s})
		}
		add(schemaJobMeta, meta)
		add(schemaJobRevisionInfo, info)
		add(schemaJobRevisionPage, page)
		add(schemaJobLog, readOnly(object("What a job's handler logged during one attempt.", []string{"attempt", "text"}, openapi3.Schemas{
			"attempt": prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(1.0), Description: "The attempt, from 1."}),
			"text":    str("The lines it logged, in log/slog's text format (time=... level=... msg=...).", ""),
		})))
		add(schemaJobLogList, object("The logs of a job, one entry per attempt that logged anything, oldest first.", []string{"items"}, openapi3.Schemas{
			"items": prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(schemaJobLog)}),
		}))
	}
	if b.hasFileFields() {
		schemas = append(schemas, struct {
			name string
			s    *openapi3.Schema
		}{schemaFile, readOnly(object("The metadata of an uploaded file.", []string{"id", "name", "content_type", "size", "sha256"}, openapi3.Schemas{
			"id":           str("The id of the blob.", ""),
			"name":         str("The file name given at upload.", ""),
			"content_type": str("The media type.", ""),
			"size":         prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(0.0), Description: "The size in bytes."}),
			"sha256":       prop(&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: `^[0-9a-f]{64}$`, Description: "The hex SHA-256 of the bytes."}),
		}))}, struct {
			name string
			s    *openapi3.Schema
		}{schemaFileRef, object("A file of a write: the id of a file the field holds already, or of an upload (POST /api/files, "+
			"or a file part of the same multipart request). Other members of a File object may be sent back as they were read: "+
			"the server ignores them and records the stored file's.", []string{"id"}, openapi3.Schemas{
			"id": prop(&openapi3.Schema{Type: types(openapi3.TypeString), Format: "uuid", Description: "The id of the file."}),
		})})
	}
	for _, s := range schemas {
		if err := b.addSchema(s.name, who, s.s); err != nil {
			return err
		}
	}
	return nil
}

// cloneSchema returns a copy of an object schema whose properties may be
// replaced without touching s's.
func cloneSchema(s *openapi3.Schema) *openapi3.Schema {
	c := *s
	c.Properties = make(openapi3.Schemas, len(s.Properties))
	for k, v := range s.Properties {
		c.Properties[k] = v
	}
	return &c
}

// hasFileFields reports whether any resource has a file field.
func (b *builder) hasFileFields() bool {
	for _, r := range b.m.APIResources() {
		found := false
		walkFields(r.Fields, func(f *model.Field) { found = found || f.Type == model.File })
		if found {
			return true
		}
	}
	return false
}

// walkFields calls fn for every field, depth first, nested object fields
// after their object.
func walkFields(fields []*model.Field, fn func(*model.Field)) {
	for _, f := range fields {
		fn(f)
		if f.Type == model.Object {
			walkFields(f.Fields, fn)
		}
	}
}

// resourceSchemas declares the schemas of one resource: its data as
// returned and as written, its merge patch, its nested objects, its
// envelope (with the expand object when it has refs), its list page and
// its one-revision answer.
func (b *builder) resourceSchemas(r *model.Resource) error {
	owner := "resource " + r.Name
	var objErr error
	walkFields(r.Fields, func(f *model.Field) {
		if f.Type == model.Object && objErr == nil {
			objErr = b.addSchema(f.ObjectGoType, fmt.Sprintf("the %s field of resource %s", f.Path, r.Name), objectSchema(f))
		}
	})
	if objErr != nil {
		return objErr
	}
	present := "Every field is present (null when unset) unless the request selects fields with fields=."
	if hasReadRules(r) {
		present = "Every field is present (null when unset) unless the request selects fields with fields=, " +
			"or a field's read rule refuses the caller: such a field is absent."
	}
	data := object(fmt.Sprintf("The data of %s as returned. %s", a(r.Name), present), nil, fieldSchemas(r.Fields, full))
	if d := strings.Join(r.Description, "\n"); d != "" {
		data.Description = d + "\n\n" + data.Description
	}
	jobInput := object(fmt.Sprintf("The body of an enqueue of a %s job: its payload and, optionally, when it is due (default: now). "+
		"An optional payload field that is absent or null takes its default, or null when it has none.", jobName(r)),
		requiredInputs(r.Fields), fieldSchemas(r.Fields, input))
	input := object(fmt.Sprintf("The data of %s, as sent to create or replace it. An optional field that is absent or null "+
		"is stored as its default, or null when it has none.", a(r.Name)), requiredNames(r.Fields), fieldSchemas(r.Fields, input))
	meta, info := schemaMeta, schemaRevisionInfo
	if r.Job != nil {
		data.Description = fmt.Sprintf("A %s job: its payload and its state, which only the queue writes. %s", r.Job.Name, present)
		if d := strings.Join(r.Description, "\n"); d != "" {
			data.Description = d + "\n\n" + data.Description
		}
		input = jobInput
		meta, info = schemaJobMeta, schemaJobRevisionInfo
	}
	patch := object(fmt.Sprintf("An RFC 7386 merge patch of %s: the fields to change; null removes a value "+
		"(an optional field then takes its default or null).", a(r.Name)), nil, fieldSchemas(r.Fields, mergePatch))
	envProps := openapi3.Schemas{
		"data":          schemaRef(r.GoName),
		"meta":          schemaRef(meta),
		"revision_info": schemaRef(info),
	}
	refs := refFields(r)
	if len(refs) > 0 {
		envProps["expand"] = schemaRef(r.GoName + suffixExpand)
	}
	schemas := []struct {
		name string
		s    *openapi3.Schema
	}{
		{r.GoName, data},
		{r.GoName + suffixInput, input},
		{r.GoName + suffixMergePatch, patch},
		{r.GoName + suffixEnvelope, object(fmt.Sprintf("%s at one revision: its data, the resource's meta and the revision's info.", upperFirst(a(r.Name))),
			[]string{"data", "meta", "revision_info"}, envProps)},
		{r.GoName + suffixPage, object(fmt.Sprintf("A page of %s resources.", r.Name), []string{"items", "next_cursor"}, openapi3.Schemas{
			"items":       prop(&openapi3.Schema{Type: types(openapi3.TypeArray), Items: schemaRef(r.GoName + suffixEnvelope)}),
			"next_cursor": nullableString("Pass as cursor to get the next page; null on the last page."),
			"total":       prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Format: "int64", Min: ptr(0.0), Description: "How many resources match, ignoring paging; only with count=true."}),
		})},
		{r.GoName + suffixRevision, object(fmt.Sprintf("One revision of %s: its data and info.", a(r.Name)), []string{"data", "revision_info"}, openapi3.Schemas{
			"data":          schemaRef(r.GoName),
			"revision_info": schemaRef(info),
		})},
	}
	if r.Job != nil {
		// A job is never patched.
		schemas = slices.DeleteFunc(schemas, func(s struct {
			name string
			s    *openapi3.Schema
		}) bool {
			return s.name == r.GoName+suffixMergePatch
		})
	}
	if len(refs) > 0 {
		props := make(openapi3.Schemas, len(refs))
		for _, f := range refs {
			props[f.Name] = prop(&openapi3.Schema{
				AnyOf:       openapi3.SchemaRefs{schemaRef(f.Target.GoName + suffixEnvelope), prop(&openapi3.Schema{Type: types(openapi3.TypeNull)})},
				Description: fmt.Sprintf("With expand=%s: the %s that %s names, or null.", f.Name, f.Target.Name, f.Name),
			})
		}
		schemas = append(schemas, struct {
			name string
			s    *openapi3.Schema
		}{r.GoName + suffixExpand, object(fmt.Sprintf("The resources %s refers to, for the ref fields named by expand=.", a(r.Name)), nil, props)})
	}
	for _, s := range schemas {
		if err := b.addSchema(s.name, owner, s.s); err != nil {
			return err
		}
	}
	return nil
}

// refFields returns the top-level ref fields of r.
func refFields(r *model.Resource) []*model.Field {
	var refs []*model.Field
	for _, f := range r.Fields {
		if f.Type == model.Ref {
			refs = append(refs, f)
		}
	}
	return refs
}

// jobName returns the job name of a job resource, "" for another.
func jobName(r *model.Resource) string {
	if r.Job == nil {
		return ""
	}
	return r.Job.Name
}

// requiredInputs returns the names of the required fields that requests
// carry (not the read-only ones), in spec order.
func requiredInputs(fields []*model.Field) []string {
	var names []string
	for _, f := range fields {
		if f.Required && !f.ReadOnly {
			names = append(names, f.Name)
		}
	}
	return names
}

// requiredNames returns the names of the required fields, in spec order.
func requiredNames(fields []*model.Field) []string {
	var names []string
	for _, f := range fields {
		if f.Required {
			names = append(names, f.Name)
		}
	}
	return names
}

// variant says which flavour of field schemas to build.
type variant int

const (
	// full: the schema of a value as stored and returned. Write-only
	// fields are left out.
	full variant = iota
	// input: the schema of a value as sent to create or replace.
	input
	// mergePatch: nested objects are patches too (no required fields).
	mergePatch
)

// fieldSchemas returns the property schemas of fields.
func fieldSchemas(fields []*model.Field, v variant) openapi3.Schemas {
	props := make(openapi3.Schemas, len(fields))
	for _, f := range fields {
		if f.WriteOnly && v == full || f.ReadOnly && v != full {
			continue
		}
		props[f.Name] = fieldSchema(f, v)
		if f.WriteOnly && props[f.Name].Value != nil {
			props[f.Name].Value.WriteOnly = true
		}
		if f.ReadOnly && props[f.Name].Value != nil {
			props[f.Name].Value.ReadOnly = true
		}
	}
	return props
}

// hasReadRules reports whether a field of r has a read rule.
func hasReadRules(r *model.Resource) bool {
	return slices.ContainsFunc(r.Fields, func(f *model.Field) bool { return f.Read != "" })
}

// objectSchema is the component schema of a nested object field.
func objectSchema(f *model.Field) *openapi3.Schema {
	desc := strings.Join(f.Description, "\n")
	if desc == "" {
		desc = fmt.Sprintf("The %s field of %s.", f.Path, a(f.Owner.Name))
	}
	return object(desc, requiredNames(f.Fields), fieldSchemas(f.Fields, full))
}

// fieldSchema returns the schema of one field's value. A field that is not
// required also accepts null.
func fieldSchema(f *model.Field, v variant) *openapi3.SchemaRef {
	nullable := !f.Required || v == mergePatch
	switch f.Type {
	case model.Object:
		if v == mergePatch {
			s := object("", nil, fieldSchemas(f.Fields, mergePatch))
			s.Type = types(openapi3.TypeObject, openapi3.TypeNull)
			s.Description = describe(f)
			return prop(s)
		}
		if v == input && hasFiles(f.Fields) {
			// The component schema is the object as returned, with File
			// objects: a write's object names its files by FileRef.
			s := objectSchema(f)
			s.Properties = fieldSchemas(f.Fields, input)
			if nullable {
				s.Type = types(openapi3.TypeObject, openapi3.TypeNull)
			}
			return prop(s)
		}
		if !nullable {
			return schemaRef(f.ObjectGoType)
		}
		return prop(&openapi3.Schema{
			AnyOf:       openapi3.SchemaRefs{schemaRef(f.ObjectGoType), prop(&openapi3.Schema{Type: types(openapi3.TypeNull)})},
			Description: describe(f),
		})
	case model.File:
		// A write names a file by id (FileRef); the File object, with
		// what the server recorded, is read-only.
		name := fileSchemaName(v)
		if !nullable {
			return schemaRef(name)
		}
		return prop(&openapi3.Schema{
			AnyOf:       openapi3.SchemaRefs{schemaRef(name), prop(&openapi3.Schema{Type: types(openapi3.TypeNull)})},
			Description: describe(f),
		})
	case model.JSON:
		return prop(anyValue(describe(f)))
	}
	s := valueSchema(f)
	if f.Type == model.List && f.Elem.Type == model.File {
		s.Items = schemaRef(fileSchemaName(v))
	}
	s.Description = describe(f)
	s.Default = f.Default
	if nullable {
		s.Type = types(append(s.Type.Slice(), openapi3.TypeNull)...)
		if s.Enum != nil {
			s.Enum = append(s.Enum, nil)
		}
	}
	return prop(s)
}

// fileSchemaName is the schema of a file value in variant v: File as
// returned, FileRef as written.
func fileSchemaName(v variant) string {
	if v == full {
		return schemaFile
	}
	return schemaFileRef
}

// hasFiles reports whether fields, nested objects included, have a file
// field or a list of files.
func hasFiles(fields []*model.Field) bool {
	found := false
	walkFields(fields, func(f *model.Field) {
		found = found || f.Type == model.File || f.Type == model.List && f.Elem != nil && f.Elem.Type == model.File
	})
	return found
}

// valueSchema returns the schema of a non-null scalar or list value.
func valueSchema(f *model.Field) *openapi3.Schema {
	s := &openapi3.Schema{}
	switch f.Type {
	case model.String, model.Text:
		s.Type = types(openapi3.TypeString)
	case model.Email:
		s.Type, s.Format = types(openapi3.TypeString), "email"
	case model.URL:
		s.Type, s.Format = types(openapi3.TypeString), "uri"
	case model.UUID:
		s.Type, s.Format = types(openapi3.TypeString), "uuid"
	case model.Date:
		s.Type, s.Format = types(openapi3.TypeString), "date"
	case model.DateTime:
		s.Type, s.Format = types(openapi3.TypeString), "date-time"
	case model.Ref:
		s.Type, s.Format = types(openapi3.TypeString), "uuid"
	case model.Int:
		s.Type, s.Format = types(openapi3.TypeInteger), "int64"
	case model.Float:
		s.Type, s.Format = types(openapi3.TypeNumber), "double"
	case model.Bool:
		s.Type = types(openapi3.TypeBoolean)
	case model.Enum:
		s.Type = types(openapi3.TypeString)
		for _, v := range f.Values {
			s.Enum = append(s.Enum, v)
		}
	case model.List:
		s.Type = types(openapi3.TypeArray)
		s.Items = prop(valueSchema(f.Elem))
		if f.MinLength != nil {
			s.MinItems = uint64(*f.MinLength)
		}
		if f.MaxLength != nil {
			s.MaxItems = ptr(uint64(*f.MaxLength))
		}
		return s
	}
	if f.MinLength != nil {
		s.MinLength = uint64(*f.MinLength)
	}
	if f.MaxLength != nil {
		s.MaxLength = ptr(uint64(*f.MaxLength))
	}
	s.Pattern = f.Pattern
	s.Min, s.Max = f.Min, f.Max
	return s
}

// describe returns the description of a field: its spec description, and
// what its type implies that the schema keywords cannot say.
func describe(f *model.Field) string {
	var parts []string
	if d := strings.Join(f.Description, "\n"); d != "" {
		parts = append(parts, d)
	}
	switch f.Type {
	case model.Ref:
		if f.Owner != nil && f.Owner.Job != nil {
			parts = append(parts, fmt.Sprintf("The resource_id of a live %s when the job is enqueued (deleting it later leaves the job as it is).", f.Target.Name))
			break
		}
		parts = append(parts, fmt.Sprintf("The resource_id of a live %s (on delete: %s).", f.Target.Name, f.OnDelete))
	case model.JSON:
		parts = append(parts, "Any JSON value, stored and returned as is.")
	case model.Text:
		parts = append(parts, "Free text.")
	case model.UUID:
		parts = append(parts, "Returned in canonical lower-case form.")
	}
	if f.Unique {
		parts = append(parts, "Unique among live resources.")
	}
	if f.Read != "" {
		parts = append(parts, fmt.Sprintf("Hidden (absent) from callers that its read rule (%s) refuses; they may not filter or sort on it either.", f.Read))
	}
	if f.Write != "" {
		parts = append(parts, fmt.Sprintf("Only callers that pass its write rule (%s) may change it (403 otherwise).", f.Write))
	}
	return strings.Join(parts, " ")
}

// a returns name with its indefinite article: "a Post", "an Author". It
// goes by the first letter, which is right for the usual resource names.
func a(name string) string {
	if name != "" && strings.ContainsRune("AEIOUaeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// upperFirst upper-cases the first byte of an ASCII sentence start.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
