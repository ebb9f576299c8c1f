package graphqlgen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/gen"
	"github.com/specstar-go/specstar/generator/model"
)

// sdl writes GraphQL schema text.
type sdl struct{ bytes.Buffer }

// desc writes a description block, indented by indent.
func (w *sdl) desc(indent string, lines ...string) {
	if len(lines) == 0 {
		return
	}
	text := strings.ReplaceAll(strings.Join(lines, "\n"+indent), `"""`, `\"""`)
	fmt.Fprintf(w, "%s\"\"\"\n%s%s\n%s\"\"\"\n", indent, indent, text, indent)
}

// field writes one field with its description.
func (w *sdl) field(decl string, desc ...string) {
	w.desc("  ", desc...)
	fmt.Fprintf(w, "  %s\n", decl)
}

func (w *sdl) open(kind, name string, desc ...string) {
	w.desc("", desc...)
	fmt.Fprintf(w, "%s %s {\n", kind, name)
}

func (w *sdl) close() { w.WriteString("}\n\n") }

// listArgs are the arguments of a connection field of resource a.
func listArgs(a *resourceAPI) string {
	return fmt.Sprintf("filter: %s, orderBy: [%s!], first: Int, after: String, includeDeleted: Boolean", a.filter, a.order)
}

// writeSchema renders the schema of s.
func writeSchema(s *schema) []byte {
	var w sdl
	for _, line := range gen.Header(s.model.Source) {
		w.WriteString("#" + strings.TrimPrefix(line, "//") + "\n")
	}
	w.WriteString("\n")
	writeScalars(&w, s)
	writeRoot(&w, s)
	for _, a := range s.resources {
		writeResource(&w, a)
	}
	writeShared(&w, s)
	return bytes.TrimRight(w.Bytes(), "\n")
}

func writeScalars(w *sdl, s *schema) {
	w.desc("", "An RFC 3339 date and time, in UTC: 2024-05-01T12:00:00Z.")
	w.WriteString("scalar Time\n\n")
	w.desc("", "A 64-bit signed integer (the int fields of the spec).")
	w.WriteString("scalar Int64\n\n")
	w.desc("", "Any JSON value: json fields, merge patches and JSON Patch (RFC 6902) diffs.")
	w.WriteString("scalar JSON\n\n")
	if usesFiles(s) {
		w.desc("", "A file of a multipart request (GraphQL multipart request spec): its value in the variables is null,",
			"and the request's map part places a file part there.")
		w.WriteString("scalar Upload\n\n")
	}
}

// writeRoot writes Query, Mutation and Subscription: the root fields of
// every resource's operations.
func writeRoot(w *sdl, s *schema) {
	for _, rt := range rootTypes() {
		w.open("type", rt)
		if rt == model.GraphQLQuery && s.model.Auth != nil {
			w.field(meField+": "+s.byModel[s.model.Auth.User].name,
				"The caller's user: the User the access token was issued to.",
				"Errors: UNAUTHENTICATED without valid credentials.")
		}
		for _, a := range s.resources {
			for _, op := range a.model.GraphQLOperations(rt) {
				decl, desc := fieldDecl(a, op)
				w.field(decl, desc...)
			}
		}
		w.close()
	}
}

// fieldDecl returns the declaration and description of the GraphQL field
// of op, an operation of a.
func fieldDecl(a *resourceAPI, op *model.Operation) (string, []string) {
	n, name := a.model.Name, op.GraphQL.Name
	switch op.Action {
	case model.ActionRead:
		return fmt.Sprintf("%s(id: ID!, revision: String, includeDeleted: Boolean): %s", name, a.name), []string{
			fmt.Sprintf("Reads one %s at its current revision, or at revision (a revision id or its number).", n),
			"Errors: NOT_FOUND (unknown id or revision), GONE (deleted, unless includeDeleted)."}
	case model.ActionList:
		return fmt.Sprintf("%s(%s): %s!", name, listArgs(a), a.conn), []string{
			fmt.Sprintf("Lists %s resources, one page at a time (first: 1 to 1000, default 20).", n),
			"filter and orderBy compile to the REST filter and sort parameters."}
	case model.ActionCreate:
		return fmt.Sprintf("%s(input: %s!, status: RevisionStatus): %s!", name, a.input, a.name), []string{
			fmt.Sprintf("Creates one %s as revision 1 (a draft with status: DRAFT).", n)}
	case model.ActionUpdate:
		return fmt.Sprintf("%s(id: ID!, input: %s!, ifMatch: String, mode: WriteMode, status: RevisionStatus): %s!", name, a.input, a.name), []string{
			fmt.Sprintf("Replaces the data of one %s: a new revision, or the current draft edited in place (mode: MODIFY).", n),
			"ifMatch is an etag: PRECONDITION_FAILED when it is not the current one."}
	case model.ActionPatch:
		return fmt.Sprintf("%s(id: ID!, patch: JSON!, ifMatch: String, mode: WriteMode, status: RevisionStatus): %s!", name, a.name), []string{
			fmt.Sprintf("Applies a JSON merge patch (RFC 7386) to the data of one %s.", n)}
	case model.ActionDelete:
		return fmt.Sprintf("%s(id: ID!, ifMatch: String): %s!", name, a.name), []string{
			fmt.Sprintf("Soft-deletes one %s, applying the on_delete rules of its referrers.", n)}
	case model.ActionRestore:
		return fmt.Sprintf("%s(id: ID!, ifMatch: String, cascade: Boolean): %s!", name, a.name), []string{
			fmt.Sprintf("Undoes the soft delete of one %s; with cascade: true, also restores what that", n),
			"delete cascaded to (on_delete: cascade referrers it soft-deleted), all or nothing."}
	case model.ActionPurge:
		return fmt.Sprintf("%s(id: ID!, ifMatch: String): ID!", name), []string{
			fmt.Sprintf("Removes one %s and its whole history; returns its id.", n)}
	case model.ActionSwitch:
		return fmt.Sprintf("%s(id: ID!, revision: String!, ifMatch: String): %s!", name, a.name), []string{
			fmt.Sprintf("Makes a revision of one %s current (rollback); writes no revision.", n)}
	case model.ActionEnqueue:
		return fmt.Sprintf("%s(input: %s!): %s!", name, a.input, a.name), []string{
			fmt.Sprintf("Enqueues a %s job: its payload, and runAt to delay it. Returns the job, pending; with", a.model.Job.Name),
			"the job's unique_for, the job enqueued earlier with the same payload in the same window."}
	case model.ActionCancel:
		return fmt.Sprintf("%s(id: ID!): %s!", name, a.name), []string{
			"Cancels a pending job, or cancels the context of a running one's handler (it then shows",
			"running until the handler returns, then cancelled). CONFLICT for a finished job."}
	case model.ActionRerun:
		return fmt.Sprintf("%s(id: ID!): %s!", name, a.name), []string{
			"Makes a finished job run again, or a pending one run now. CONFLICT for a running job."}
	case model.ActionSubscribe:
		return fmt.Sprintf("%s(id: ID): %s!", name, a.change), []string{
			fmt.Sprintf("Every change of %s resources (of the one with id, when given), as it commits.", n)}
	case model.ActionRevisions:
		return name + "(first: Int, after: String, chain: Boolean): RevisionConnection!", []string{
			"The stored revisions, newest first; with chain, only the current one and its ancestors."}
	case model.ActionDiff:
		return name + "(against: String): JSON!", []string{
			"The JSON Patch (RFC 6902) from revision against (default: this revision's parent) to this revision."}
	}
	panic("graphqlgen: no GraphQL field for action " + op.Action) // a row without a case here, caught by the golden tests
}

func writeResource(w *sdl, a *resourceAPI) {
	r := a.model
	desc := r.Description
	if len(desc) == 0 {
		desc = []string{fmt.Sprintf("One %s resource at one revision.", r.Name)}
	}
	w.open("type", a.name, desc...)
	w.field("id: ID!", "The resource id.")
	w.field("etag: String!", "The entity tag of this revision, for ifMatch.")
	w.field(fmt.Sprintf("data: %s!", a.data))
	w.field("meta: Meta!")
	w.field("revisionInfo: RevisionInfo!")
	for _, rel := range a.relations {
		w.field(fmt.Sprintf("%s: %s", rel.name, rel.target.name),
			fmt.Sprintf("The %s that data.%s refers to; null when unset or deleted.", rel.target.model.Name, rel.name))
	}
	for _, b := range a.backrefs {
		w.field(fmt.Sprintf("%s(%s): %s!", b.name, listArgs(b.source), b.source.conn),
			fmt.Sprintf("The %s resources whose %s is this %s.", b.source.model.Name, fieldName(b.field.Name), r.Name))
	}
	for _, op := range r.GraphQLOperations(model.GraphQLResource) {
		decl, desc := fieldDecl(a, op)
		w.field(decl, desc...)
	}
	w.close()

	w.open("type", a.data, fmt.Sprintf("The data of one %s.", r.Name))
	dataFields(w, r.Fields, false)
	w.close()
	w.open("input", a.input, fmt.Sprintf("The data of one %s, to create or replace it.", r.Name))
	dataFields(w, r.Fields, true)
	w.close()
	for _, o := range a.objects {
		w.open("type", o.name, fmt.Sprintf("The %s field of %s.", o.field.Path, r.Name))
		dataFields(w, o.field.Fields, false)
		w.close()
		w.open("input", o.input, fmt.Sprintf("The %s field of %s.", o.field.Path, r.Name))
		dataFields(w, o.field.Fields, true)
		w.close()
	}
	for _, e := range a.enums {
		w.open("enum", e.goType, fmt.Sprintf("A value of %s (stored as %s).", e.goType, strings.Join(quoted(e.values), ", ")))
		for _, n := range e.names {
			fmt.Fprintf(w, "  %s\n", n)
		}
		w.close()
		if e.filter {
			w.open("input", e.goType+"Filter")
			w.field("eq: " + e.goType)
			w.field("ne: " + e.goType)
			w.field(fmt.Sprintf("in: [%s!]", e.goType))
			w.field("isNull: Boolean")
			w.close()
		}
		if e.listFilter {
			w.open("input", e.goType+"ListFilter", "Matches when an element is eq or in the list.")
			w.field("eq: " + e.goType)
			w.field(fmt.Sprintf("in: [%s!]", e.goType))
			w.field("isNull: Boolean")
			w.close()
		}
	}

	w.open("type", a.conn, fmt.Sprintf("A page of %s resources.", r.Name))
	w.field(fmt.Sprintf("edges: [%s!]!", a.edge))
	w.field(fmt.Sprintf("nodes: [%s!]!", a.name))
	w.field("pageInfo: PageInfo!")
	w.field("totalCount: Int!", "How many resources match, on every page (counted only when selected).")
	w.close()
	w.open("type", a.edge)
	w.field("cursor: String!", "Pass as after to list what follows this edge.")
	w.field(fmt.Sprintf("node: %s!", a.name))
	w.close()

	writeFilter(w, a.where, true, fmt.Sprintf("Selects %s resources. Every condition given must hold.", r.Name))
	for _, ff := range a.where.fields {
		writeNestedFilters(w, ff)
	}
	w.open("enum", a.orderField)
	for _, o := range a.orders {
		fmt.Fprintf(w, "  %s\n", o.name)
	}
	w.close()
	w.open("input", a.order)
	w.field(fmt.Sprintf("field: %s!", a.orderField))
	w.field("direction: OrderDirection! = ASC")
	w.close()
	w.open("type", a.change, fmt.Sprintf("A committed change of one %s.", r.Name))
	w.field("kind: ChangeKind!")
	w.field("id: ID!")
	w.field(fmt.Sprintf("%s: %s", a.one, a.name), "The resource after the change; null when purged.")
	w.close()
}

// writeFilter writes a filter input; top adds and, or and not.
func writeFilter(w *sdl, in *filterInput, top bool, desc ...string) {
	w.open("input", in.name, desc...)
	if top {
		w.field(fmt.Sprintf("and: [%s!]", in.name), "Every filter in the list holds.")
		w.field(fmt.Sprintf("or: [%s!]", in.name), "At least one filter in the list holds.")
		w.field(fmt.Sprintf("not: %s", in.name), "The filter does not hold (a comparison with null is never true).")
	}
	for _, ff := range in.fields {
		w.field(fmt.Sprintf("%s: %s", ff.name, ff.typ))
	}
	w.close()
}

func writeNestedFilters(w *sdl, ff *filterField) {
	if ff.object == nil {
		return
	}
	writeFilter(w, ff.object, false)
	for _, sub := range ff.object.fields {
		writeNestedFilters(w, sub)
	}
}

// dataFields writes the fields of a data type or input. Write-only fields
// are in inputs only.
func dataFields(w *sdl, fields []*model.Field, input bool) {
	for _, fd := range fields {
		if fd.WriteOnly && !input || fd.ReadOnly && input {
			continue
		}
		desc := fd.Description
		if fd.Read != "" && !input {
			desc = append(slices.Clone(desc), fmt.Sprintf("Null for callers that the field's read rule (%s) refuses.", fd.Read))
		}
		w.field(fmt.Sprintf("%s: %s", fieldName(fd.Name), fieldType(fd, input)), desc...)
	}
}

// fieldType is the GraphQL type of a data field. Inputs require what the
// spec requires. Outputs are non-null when the Go value cannot be nil:
// required fields other than lists and json, without a read rule (which
// hides the field from some callers).
func fieldType(fd *model.Field, input bool) string {
	t := baseType(fd, input)
	if fd.Type == model.List {
		t = "[" + baseType(fd.Elem, input) + "!]"
		if fd.Type == model.List && fd.Elem.Type == model.Enum {
			t = "[" + fd.EnumGoType + "!]"
		}
	}
	nonNull := fd.Required && (input || (!fd.Nullable() && fd.Type != model.List && fd.Type != model.JSON))
	if nonNull {
		t += "!"
	}
	return t
}

// baseType is the named GraphQL type of a field's values.
func baseType(fd *model.Field, input bool) string {
	switch fd.Type {
	case model.Int:
		return "Int64"
	case model.Float:
		return "Float"
	case model.Bool:
		return "Boolean"
	case model.DateTime:
		return "Time"
	case model.Enum:
		return fd.EnumGoType
	case model.JSON:
		return "JSON"
	case model.Ref:
		return "ID"
	case model.Object:
		if input {
			return fd.ObjectGoType + "Input"
		}
		return fd.ObjectGoType
	case model.File:
		if input {
			return "FileInput"
		}
		return "File"
	}
	return "String"
}

func quoted(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

// writeShared writes the types every resource uses.
func writeShared(w *sdl, s *schema) {
	w.open("type", "Meta", "The metadata of a resource.")
	for _, f := range []string{"resourceId: ID!", "currentRevisionId: String!", "totalRevisionCount: Int!", "schemaVersion: Int!",
		"createdTime: Time!", "createdBy: String!", "updatedTime: Time!", "updatedBy: String!", "isDeleted: Boolean!"} {
		w.field(f)
	}
	w.close()
	w.open("type", "RevisionInfo", "One revision of a resource.")
	for _, f := range []string{"revisionId: String!", "parentRevisionId: String", "resourceId: ID!", "number: Int!",
		"status: RevisionStatus!", "dataHash: String!", "schemaVersion: Int!", "createdTime: Time!", "createdBy: String!",
		"updatedTime: Time!", "updatedBy: String!"} {
		w.field(f)
	}
	w.close()
	w.open("type", "RevisionConnection", "A page of revisions, newest first.")
	w.field("edges: [RevisionEdge!]!")
	w.field("nodes: [RevisionInfo!]!")
	w.field("pageInfo: PageInfo!")
	w.close()
	w.open("type", "RevisionEdge")
	w.field("cursor: String!")
	w.field("node: RevisionInfo!")
	w.close()
	w.open("type", "PageInfo")
	w.field("hasNextPage: Boolean!")
	w.field("endCursor: String", "The cursor of the last edge; null on an empty page.")
	w.close()
	if usesFiles(s) {
		w.open("type", "File", "An uploaded file: its bytes are served by the REST download route, url.")
		for _, f := range []string{"id: ID!", "name: String!", "contentType: String!", "size: Int64!", "sha256: String!"} {
			w.field(f)
		}
		w.field("url: String!", "The path of the file's download route (GET /api/{resource}/{id}/files/{field}),",
			"with ?revision= when the record is not the resource's current revision.")
		w.close()
		w.open("input", "FileInput", "A file of a file field: exactly one of id and upload.")
		w.field("id: ID", "The id of a file the field holds already, or of one uploaded by POST /api/files.")
		w.field("upload: Upload", "A new file: a file part of a multipart request (GraphQL multipart request spec),",
			"streamed to the file store under the field's max_size and accept.")
		w.close()
	}
	enum := func(name string, desc string, values ...string) {
		w.open("enum", name, desc)
		for _, v := range values {
			fmt.Fprintf(w, "  %s\n", v)
		}
		w.close()
	}
	enum("OrderDirection", "The direction of a sort key.", "ASC", "DESC")
	enum("RevisionStatus", "The status of a revision: a draft may be edited in place.", "STABLE", "DRAFT")
	enum("WriteMode", "NEW writes a new revision; MODIFY edits the current draft in place.", "NEW", "MODIFY")
	enum("ChangeKind", "What a write did.", "CREATED", "UPDATED", "DELETED", "RESTORED", "SWITCHED", "PURGED")
	for _, sf := range sharedFilters() {
		if !s.shared[sf.name] {
			continue
		}
		w.open("input", sf.name, sf.desc)
		for _, f := range sf.fields {
			w.field(f)
		}
		w.close()
	}
}

// sharedFilter is a filter input of a scalar type (runtime/gql).
type sharedFilter struct {
	name   string
	desc   string
	fields []string
}

// sharedFilters lists the scalar filter inputs, with their operators.
func sharedFilters() []sharedFilter {
	ordered := func(t string) []string {
		return []string{"eq: " + t, "ne: " + t, "gt: " + t, "gte: " + t, "lt: " + t, "lte: " + t, "in: [" + t + "!]", "isNull: Boolean"}
	}
	str := append(ordered("String")[:6:6], "contains: String", "notContains: String", "prefix: String", "in: [String!]", "isNull: Boolean")
	list := func(t string, in bool) []string {
		out := []string{"eq: " + t}
		if in {
			out = append(out, "in: ["+t+"!]")
		}
		return append(out, "isNull: Boolean")
	}
	const listDesc = "Matches when an element is eq (or in the list)."
	return []sharedFilter{
		{"StringFilter", "Conditions on a string: contains and notContains ignore case, prefix does not.", str},
		{"IDFilter", "Conditions on an id.", []string{"eq: ID", "ne: ID", "in: [ID!]", "isNull: Boolean"}},
		{"IntFilter", "Conditions on an integer.", ordered("Int64")},
		{"FloatFilter", "Conditions on a number.", ordered("Float")},
		{"BooleanFilter", "Conditions on a boolean.", []string{"eq: Boolean", "ne: Boolean", "isNull: Boolean"}},
		{"TimeFilter", "Conditions on a date and time.", ordered("Time")},
		{"DateFilter", "Conditions on a date (YYYY-MM-DD).", ordered("String")},
		{"StringListFilter", "Matches when an element is eq, contains the value (ignoring case), or is in the list.",
			[]string{"eq: String", "contains: String", "in: [String!]", "isNull: Boolean"}},
		{"IntListFilter", listDesc, list("Int64", true)},
		{"FloatListFilter", listDesc, list("Float", true)},
		{"BooleanListFilter", listDesc, list("Boolean", false)},
		{"TimeListFilter", listDesc, list("Time", true)},
		{"DateListFilter", listDesc, list("String", true)},
	}
}

// usesFiles reports whether any resource has a file field.
func usesFiles(s *schema) bool {
	found := false
	for _, a := range s.resources {
		walk(a.model.Fields, func(fd *model.Field) {
			if fd.Type == model.File || fd.Type == model.List && fd.Elem.Type == model.File {
				found = true
			}
		})
	}
	return found
}
