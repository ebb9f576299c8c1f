package openapigen

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specstar-go/specstar/generator/model"
)

// Names of the shared component parameters.
const (
	paramID             = "IDParam"
	paramJobID          = "JobIDParam"
	paramJobRev         = "JobRevParam"
	paramRev            = "RevParam"
	paramRevision       = "RevisionParam"
	paramIncludeDeleted = "IncludeDeletedParam"
	paramDeleted        = "DeletedParam"
	paramLimit          = "LimitParam"
	paramCursor         = "CursorParam"
	paramOffset         = "OffsetParam"
	paramCount          = "CountParam"
	paramMode           = "ModeParam"
	paramStatus         = "StatusParam"
	paramChain          = "ChainParam"
	paramAgainst        = "AgainstParam"
	paramCascade        = "CascadeParam"
	paramIfMatch        = "IfMatchParam"
	paramIfNoneMatch    = "IfNoneMatchParam"
)

// Paging limits; they mirror resource.DefaultLimit and resource.MaxLimit.
const (
	defaultLimit = 20
	maxLimit     = 1000
)

// revPattern matches a revision given by number or by full id.
const revPattern = `^([1-9][0-9]*|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}:[1-9][0-9]*)$`

// paramRef returns a reference to a component parameter.
func paramRef(name string) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Ref: "#/components/parameters/" + name}
}

// param builds a parameter with an inline schema.
func param(in, name, description string, required bool, s *openapi3.Schema) *openapi3.Parameter {
	return &openapi3.Parameter{In: in, Name: name, Description: description, Required: required, Schema: prop(s)}
}

// sharedParameters are the parameters that mean the same on every
// resource.
func sharedParameters(auth, jobs bool) openapi3.ParametersMap {
	boolean := func() *openapi3.Schema { return &openapi3.Schema{Type: types(openapi3.TypeBoolean), Default: false} }
	revision := func() *openapi3.Schema {
		return &openapi3.Schema{Type: types(openapi3.TypeString), Pattern: revPattern}
	}
	ps := map[string]*openapi3.Parameter{
		paramID:  param(openapi3.ParameterInPath, "id", "The resource_id.", true, &openapi3.Schema{Type: types(openapi3.TypeString), Format: "uuid"}),
		paramRev: param(openapi3.ParameterInPath, "rev", "A revision of the resource: its number (3) or its full id ({resource_id}:3).", true, revision()),
		paramRevision: param(openapi3.ParameterInQuery, "revision",
			"Read this revision (number or full id) instead of the current one; meta still describes the resource.", false, revision()),
		paramIncludeDeleted: param(openapi3.ParameterInQuery, "include_deleted",
			"Include soft-deleted resources: without it, a read of one or of its history answers 410.", false, boolean()),
		paramDeleted: param(openapi3.ParameterInQuery, "deleted", "only: soft-deleted resources only.", false,
			&openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"only"}}),
		paramLimit: param(openapi3.ParameterInQuery, "limit", fmt.Sprintf("Page size, 1 to %d.", maxLimit), false,
			&openapi3.Schema{Type: types(openapi3.TypeInteger), Min: ptr(1.0), Max: ptr(float64(maxLimit)), Default: defaultLimit}),
		paramCursor: param(openapi3.ParameterInQuery, "cursor", "The next_cursor of the previous page (opaque).", false,
			&openapi3.Schema{Type: types(openapi3.TypeString)}),
		paramOffset: param(openapi3.ParameterInQuery, "offset", "Resources to skip, after the cursor (for admin-style tables).", false,
			&openapi3.Schema{Type: types(openapi3.TypeInteger), Min: ptr(0.0), Default: 0}),
		paramCount: param(openapi3.ParameterInQuery, "count", "Add total: how many resources match, ignoring paging.", false, boolean()),
		paramMode: param(openapi3.ParameterInQuery, "mode",
			"modify: edit the current draft in place instead of writing a new revision (409 when it is stable, unless status=draft).",
			false, &openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"modify"}}),
		paramStatus: param(openapi3.ParameterInQuery, "status",
			"The status of the written revision: draft (editable in place) or stable (the default for new revisions).",
			false, &openapi3.Schema{Type: types(openapi3.TypeString), Enum: []any{"draft", "stable"}}),
		paramChain: param(openapi3.ParameterInQuery, "chain", "Only the current revision and its ancestors.", false, boolean()),
		paramCascade: param(openapi3.ParameterInQuery, "cascade",
			"Also restore what the delete cascaded to: the referrers (through on_delete: cascade refs, recursively) that the same delete soft-deleted; all or nothing.",
			false, boolean()),
		paramAgainst: param(openapi3.ParameterInQuery, "against",
			"The revision to diff from (number or full id); default: the parent of rev, or {} for revision 1.", false, revision()),
		paramIfMatch: param(openapi3.ParameterInHeader, "If-Match",
			"Write only if the current revision's ETag is one of these (a list, or *); else 412. Strong comparison.", false,
			&openapi3.Schema{Type: types(openapi3.TypeString)}),
		paramIfNoneMatch: param(openapi3.ParameterInHeader, "If-None-Match",
			"Answer 304 with no body when the current ETag is one of these (or *).", false,
			&openapi3.Schema{Type: types(openapi3.TypeString)}),
	}
	if jobs {
		ps[paramJobID] = param(openapi3.ParameterInPath, "id", "The id of the job (its queue id).", true,
			&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: jobIDPattern})
		ps[paramJobRev] = param(openapi3.ParameterInPath, "rev", "A revision of the job: its number (3) or its full id ({id}:3).", true,
			&openapi3.Schema{Type: types(openapi3.TypeString), Pattern: `^([1-9][0-9]*|[1-9][0-9]*:[1-9][0-9]*)$`})
	}
	if auth {
		ps[paramTokenID] = param(openapi3.ParameterInPath, "id", "The id of a personal access token of the caller.", true,
			&openapi3.Schema{Type: types(openapi3.TypeString), Format: "uuid"})
	}
	out := make(openapi3.ParametersMap, len(ps))
	for name, p := range ps {
		out[name] = &openapi3.ParameterRef{Value: p}
	}
	return out
}

// filterGrammar is the filter language of DESIGN.md §5, as shown in the
// description of every filter parameter.
const filterGrammar = `    expr   := or
    or     := and ("||" and)*
    and    := unary ("&&" unary)*
    unary  := "!" unary | "(" or ")" | cmp
    cmp    := field op value | field "in" "[" value ("," value)* "]" | field "is" ["not"] "null"
    op     := = | != | > | >= | < | <= | ~ (contains, case-insensitive) | !~ | ^= (prefix)
    value  := "string" | number | true | false | null`

// metaFields are the meta fields filters and sort keys may name besides
// the indexed data fields.
func metaFields() []string {
	return []string{"resource_id", "created_time", "updated_time", "created_by", "updated_by"}
}

// queryField is a data field that filters and sort keys may name.
type queryField struct {
	path string // dotted
	typ  string // spec type, "list of string" for lists
	list bool
}

// queryFields returns the indexed data fields of r (ref fields are always
// indexed), nested ones by dotted path, in spec order.
func queryFields(r *model.Resource) []queryField {
	var out []queryField
	walkFields(r.Fields, func(f *model.Field) {
		if !f.Index && f.Type != model.Ref {
			return
		}
		q := queryField{path: f.Path, typ: string(f.Type)}
		if f.Type == model.List {
			q.typ, q.list = "list of "+string(f.Elem.Type), true
		}
		out = append(out, q)
	})
	return out
}

// filterParam is the filter parameter of r, with the grammar and the
// fields it may name in its description.
func filterParam(r *model.Resource) *openapi3.ParameterRef {
	var fields []string
	for _, q := range queryFields(r) {
		fields = append(fields, fmt.Sprintf("`%s` (%s)", q.path, q.typ))
	}
	for _, m := range metaFields() {
		fields = append(fields, "`"+m+"`")
	}
	example := `resource_id = "0190f5a3-02b1-7c55-8e1a-3f6d2c9b7a10"`
	if qs := queryFields(r); len(qs) > 0 {
		example = qs[0].path + " is not null"
	}
	desc := fmt.Sprintf("A filter expression (URL-encoded), for example `%s`:\n\n%s\n\n"+
		"Fields %s may name: %s. Values are checked against the field type; on a list field, = and ~ test its elements. "+
		"Anything else is a 400 naming the position.", example, filterGrammar, r.Name, strings.Join(fields, ", "))
	return &openapi3.ParameterRef{Value: param(openapi3.ParameterInQuery, "filter", desc, false, &openapi3.Schema{Type: types(openapi3.TypeString)})}
}

// sortParam is the sort parameter of r.
func sortParam(r *model.Resource) *openapi3.ParameterRef {
	var fields []string
	for _, q := range queryFields(r) {
		if !q.list {
			fields = append(fields, "`"+q.path+"`")
		}
	}
	for _, m := range metaFields() {
		fields = append(fields, "`"+m+"`")
	}
	def := "`resource_id` (creation order)"
	if r.DefaultSort != "" {
		def = "`" + r.DefaultSort + "`"
	}
	desc := fmt.Sprintf("Comma-separated sort keys, each optionally prefixed with - for descending, such as `-created_time,resource_id`. "+
		"Sortable fields of %s: %s. Default: %s. Ties are broken by resource_id.", r.Name, strings.Join(fields, ", "), def)
	return &openapi3.ParameterRef{Value: param(openapi3.ParameterInQuery, "sort", desc, false, &openapi3.Schema{Type: types(openapi3.TypeString)})}
}

// csvParam is a comma-separated list parameter whose items are one of
// values (style form, explode false: fields=title,slug). The server
// trims spaces around each item, so the items are matched by a pattern
// that allows them rather than by an enum, which would make the document
// stricter than the server.
func csvParam(name, description string, values []string) *openapi3.ParameterRef {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	items := &openapi3.Schema{Type: types(openapi3.TypeString), Pattern: `^\s*(` + strings.Join(quoted, "|") + `)\s*$`}
	p := param(openapi3.ParameterInQuery, name, description+" One of: "+strings.Join(values, ", ")+".", false,
		&openapi3.Schema{Type: types(openapi3.TypeArray), Items: prop(items)})
	p.Style, p.Explode = openapi3.SerializationForm, ptr(false)
	return &openapi3.ParameterRef{Value: p}
}

// fieldsParam is the fields parameter of r: which data fields to return.
func fieldsParam(r *model.Resource) *openapi3.ParameterRef {
	var names []string
	for _, f := range r.Fields {
		names = append(names, f.Name)
	}
	return csvParam("fields", fmt.Sprintf("Comma-separated data fields of %s to return; the others are left out of data (default: all).", r.Name), names)
}

// expandPaths returns the values expand= accepts for r: its ref fields,
// and ref fields of their targets one level down ("post.author").
func expandPaths(r *model.Resource) []string {
	var out []string
	for _, f := range refFields(r) {
		out = append(out, f.Name)
		for _, g := range refFields(f.Target) {
			out = append(out, f.Name+"."+g.Name)
		}
	}
	return out
}

// expandParam is the expand parameter of r, or nil when r has no refs.
func expandParam(r *model.Resource) *openapi3.ParameterRef {
	paths := expandPaths(r)
	if len(paths) == 0 {
		return nil
	}
	return csvParam("expand", "Comma-separated ref fields whose targets to embed under expand in each envelope "+
		"(dotted for two levels: the target's own refs).", paths)
}

// sharedHeaders are the response headers of the document.
func sharedHeaders(auth bool) openapi3.Headers {
	h := openapi3.Headers{
		"ETag": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: `The version of the current revision: "{revision_id}" for a stable revision, "{revision_id}+{12 hex digits of the data hash}" for a draft. Send it back in If-Match.`,
			Required:    true,
			Schema:      prop(&openapi3.Schema{Type: types(openapi3.TypeString)}),
		}}},
		"Location": &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: "The path of the created resource.",
			Required:    true,
			Schema:      prop(&openapi3.Schema{Type: types(openapi3.TypeString), Format: "uri-reference"}),
		}}},
	}
	if auth {
		h[headerWWWAuthenticate] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: `The authentication scheme: Bearer (with error="invalid_token" when a token was sent and refused).`,
			Required:    true,
			Schema:      prop(&openapi3.Schema{Type: types(openapi3.TypeString)}),
		}}}
		h[headerRetryAfter] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
			Description: "The seconds to wait before the next attempt.",
			Required:    true,
			Schema:      prop(&openapi3.Schema{Type: types(openapi3.TypeInteger), Min: ptr(0.0)}),
		}}}
	}
	return h
}

// headerRef returns a reference to a component header.
func headerRef(name string) *openapi3.HeaderRef {
	return &openapi3.HeaderRef{Ref: "#/components/headers/" + name}
}
