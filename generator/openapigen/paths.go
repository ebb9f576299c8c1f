package openapigen

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specstar-go/specstar/generator/model"
)

// systemTag groups the operations that belong to the server, not to a
// resource.
const systemTag = "Server"

// Media types of request and response bodies.
const (
	mediaJSON       = "application/json"
	mediaMergePatch = "application/merge-patch+json"
	mediaJSONPatch  = "application/json-patch+json"
	mediaProblem    = "application/problem+json"
	mediaHTML       = "text/html"
)

// problemStatuses are the error statuses operations answer, each with the
// name of its component response and what it means. auth adds the
// statuses and meanings of a spec with auth.
func problemStatuses(auth bool) map[int][2]string {
	if auth {
		out := problemStatuses(false)
		out[http.StatusUnauthorized] = [2]string{"Unauthenticated", "UNAUTHENTICATED: the request has no valid credentials (a missing, expired or revoked bearer token) and the operation needs them. WWW-Authenticate says how to authenticate."}
		out[http.StatusForbidden] = [2]string{"Forbidden", "FORBIDDEN: the permission rules refuse the write (for a field with a write rule, errors names the field), or the application's business rules (a hook) or its authorizer refuse the operation."}
		out[http.StatusNotFound] = [2]string{"NotFound", "NOT_FOUND: unknown resource id or revision, or a resource the caller may not read (its existence is not disclosed)."}
		out[http.StatusTooManyRequests] = [2]string{"RateLimited", "RATE_LIMITED: too many attempts; retry after the seconds of Retry-After."}
		return out
	}
	return map[int][2]string{
		http.StatusBadRequest:            {"BadRequest", "BAD_REQUEST: malformed JSON, or an invalid or unknown query parameter (the errors name it)."},
		http.StatusForbidden:             {"Forbidden", "FORBIDDEN: the application's business rules (a hook) or its authorizer refuse the operation."},
		http.StatusNotFound:              {"NotFound", "NOT_FOUND: unknown resource id or revision."},
		http.StatusConflict:              {"Conflict", "CONFLICT: a unique value is taken, a restrict reference exists, mode=modify on a stable revision, restore of a live resource, or a failed JSON Patch test."},
		http.StatusGone:                  {"Gone", "GONE: the resource is soft-deleted."},
		http.StatusPreconditionFailed:    {"PreconditionFailed", "PRECONDITION_FAILED: If-Match does not match the current ETag."},
		http.StatusRequestEntityTooLarge: {"PayloadTooLarge", "PAYLOAD_TOO_LARGE: the body is over the configured limit."},
		http.StatusUnsupportedMediaType:  {"UnsupportedMediaType", "UNSUPPORTED_MEDIA_TYPE: the body's Content-Type is not one the route accepts."},
		http.StatusUnprocessableEntity:   {"ValidationError", "VALIDATION_ERROR: the data breaks the spec; errors lists every field at fault."},
		http.StatusInternalServerError:   {"Internal", "INTERNAL: a server failure; the cause is only logged."},
	}
}

// notModified is the component response of a 304.
const notModified = "NotModified"

// problemResponses are the component responses: one problem response per
// error status, and the 304 of conditional reads.
func problemResponses(auth bool) openapi3.ResponseBodies {
	out := make(openapi3.ResponseBodies)
	for status, p := range problemStatuses(auth) {
		r := &openapi3.Response{
			Description: ptr(p[1]),
			Content:     openapi3.Content{mediaProblem: &openapi3.MediaType{Schema: schemaRef(schemaProblem)}},
		}
		switch status {
		case http.StatusUnauthorized:
			r.Headers = openapi3.Headers{headerWWWAuthenticate: headerRef(headerWWWAuthenticate)}
		case http.StatusTooManyRequests:
			r.Headers = openapi3.Headers{headerRetryAfter: headerRef(headerRetryAfter)}
		}
		out[p[0]] = &openapi3.ResponseRef{Value: r}
	}
	out[notModified] = &openapi3.ResponseRef{Value: &openapi3.Response{
		Description: ptr("Not Modified: If-None-Match matches the current ETag. No body."),
		Headers:     openapi3.Headers{"ETag": headerRef("ETag")},
	}}
	return out
}

// operation is what openapigen adds to a row of the operations table
// (method, path and its parameters, query parameters, operationId and
// summary come from the row): the header parameters, body, responses and
// description of the route.
type operation struct {
	headers []string // component parameters in the header
	body    *openapi3.RequestBodyRef
	status  int                // success status
	success *openapi3.Response // success response
	// also are other success responses (an enqueue that found its job:
	// 200, a cancel of a running job: 202).
	also        map[int]*openapi3.Response
	errors      []int // error statuses besides 500
	description string
}

// jsonResponse is a response with a JSON body of the named schema.
func jsonResponse(description, schema string, headers ...string) *openapi3.Response {
	r := &openapi3.Response{
		Description: ptr(description),
		Content:     openapi3.Content{mediaJSON: &openapi3.MediaType{Schema: schemaRef(schema)}},
	}
	for _, h := range headers {
		if r.Headers == nil {
			r.Headers = openapi3.Headers{}
		}
		r.Headers[h] = headerRef(h)
	}
	return r
}

// jsonBody is a required request body of one or more media types.
func jsonBody(description string, media map[string]string) *openapi3.RequestBodyRef {
	content := openapi3.Content{}
	for mt, schema := range media {
		content[mt] = &openapi3.MediaType{Schema: schemaRef(schema)}
	}
	return &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Description: description, Required: true, Content: content}}
}

// refs returns references to the named component parameters.
func refs(names ...string) []*openapi3.ParameterRef {
	out := make([]*openapi3.ParameterRef, len(names))
	for i, n := range names {
		out[i] = paramRef(n)
	}
	return out
}

// operationOf describes the route of op, a REST operation of r.
func operationOf(r *model.Resource, op *model.Operation) operation {
	env := r.GoName + suffixEnvelope
	ifMatch := []string{paramIfMatch}
	if r.Job != nil {
		if o, ok := jobOperationOf(r, op); ok {
			return o
		}
	}
	switch op.Action {
	case model.ActionDownload, model.ActionDownloadItem:
		return downloadOperation(r, op)
	case model.ActionCreate:
		return operation{
			body:   withMultipart(r, jsonBody("The data of the new "+r.Name+".", map[string]string{mediaJSON: r.GoName + suffixInput}), r.GoName+suffixInput),
			status: http.StatusCreated, success: jsonResponse("Created: revision 1 of the new "+r.Name+".", env, "ETag", "Location"),
			errors:      []int{409, 412, 413, 415, 422},
			description: "Writes revision 1 (a draft with status=draft). Answers 201 with the envelope, its ETag and Location.",
		}
	case model.ActionList:
		return operation{
			status: http.StatusOK, success: jsonResponse("A page of "+r.Plural+".", r.GoName+suffixPage),
			description: "Returns a page of live resources (filter, sort, include_deleted, deleted=only), with next_cursor for the next page.",
		}
	case model.ActionCount:
		return operation{
			status: http.StatusOK, success: jsonResponse("How many "+r.Plural+" match.", schemaCount),
		}
	case model.ActionRead:
		return operation{
			headers: []string{paramIfNoneMatch},
			status:  http.StatusOK, success: jsonResponse("The "+r.Name+" at its current (or the requested) revision.", env, "ETag"),
			errors:      []int{304, 404, 410},
			description: "Returns the envelope of the current revision with its ETag; 304 when If-None-Match matches.",
		}
	case model.ActionUpdate:
		return operation{
			headers: ifMatch,
			body:    withMultipart(r, jsonBody("The new data of the "+r.Name+".", map[string]string{mediaJSON: r.GoName + suffixInput}), r.GoName+suffixInput),
			status:  http.StatusOK, success: jsonResponse("The "+r.Name+" at its new (or edited draft) revision.", env, "ETag"),
			errors: []int{404, 409, 410, 412, 413, 415, 422},
			description: "Writes a new revision whose parent is the current one (nothing when the data and status are unchanged). " +
				"With mode=modify, edits the current draft in place.",
		}
	case model.ActionPatch:
		return operation{
			headers: ifMatch,
			body: withMultipart(r, jsonBody("An RFC 7386 merge patch or an RFC 6902 JSON Patch of the data.", map[string]string{
				mediaMergePatch: r.GoName + suffixMergePatch,
				mediaJSONPatch:  schemaJSONPatch,
			}), r.GoName+suffixMergePatch),
			status: http.StatusOK, success: jsonResponse("The "+r.Name+" at its new (or edited draft) revision.", env, "ETag"),
			errors: []int{404, 409, 410, 412, 413, 415, 422},
			description: "Applies a merge patch (application/merge-patch+json) or a JSON Patch (application/json-patch+json) " +
				"to the current data, then writes it as replace does.",
		}
	case model.ActionDelete:
		return operation{
			headers: ifMatch,
			status:  http.StatusOK, success: jsonResponse("The deleted "+r.Name+" (meta.is_deleted is true).", env, "ETag"),
			errors:      []int{404, 409, 410, 412},
			description: "Sets meta.is_deleted; writes no revision. The on_delete policy of every ref to it applies.",
		}
	case model.ActionRestore:
		return operation{
			headers: ifMatch,
			status:  http.StatusOK, success: jsonResponse("The restored "+r.Name+".", env, "ETag"),
			errors: []int{404, 409, 412, 422},
		}
	case model.ActionPurge:
		return operation{
			headers: ifMatch,
			status:  http.StatusNoContent, success: &openapi3.Response{Description: ptr("Purged.")},
			errors:      []int{404, 409, 412},
			description: "Removes the resource and all its revisions. The on_delete policy of every ref to it applies.",
		}
	case model.ActionRevisions:
		return operation{
			status: http.StatusOK, success: jsonResponse("A page of revisions, newest first.", schemaRevisionPage),
			errors: []int{404, 410},
		}
	case model.ActionRevision:
		return operation{
			status: http.StatusOK, success: jsonResponse("The revision's data and info.", r.GoName+suffixRevision),
			errors: []int{404, 410},
		}
	case model.ActionDiff:
		return operation{
			status: http.StatusOK, success: jsonResponse("The JSON Patch that turns the data of against into the data of rev.", schemaJSONPatch),
			errors: []int{404, 410},
		}
	case model.ActionSwitch:
		return operation{
			headers: ifMatch,
			status:  http.StatusOK, success: jsonResponse("The "+r.Name+" at the switched-to revision.", env, "ETag"),
			errors:      []int{404, 409, 410, 412, 422},
			description: "Makes rev the current revision (rollback); writes no revision. Unique and ref checks apply.",
		}
	case model.ActionReferrers:
		return operation{
			status: http.StatusOK, success: jsonResponse("The live referrers of the "+r.Name+", grouped by the ref field that points at it.", schemaReferrerList),
			errors: []int{404, 410},
			description: "Lists, for every ref field of the spec that targets " + r.Name + ", the ids of the live resources " +
				"whose field holds this id (soft-deleted referrers are left out). Deleting the " + r.Name +
				" applies the on_delete policy of each group's field to these resources.",
		}
	}
	panic("openapigen: no route description for action " + op.Action) // a row without a case here, caught by the golden tests
}

// jobOperationOf describes the routes particular to jobs, and those whose
// answers differ for jobs (a job is never deleted: no 410).
func jobOperationOf(r *model.Resource, op *model.Operation) (operation, bool) {
	env := r.GoName + suffixEnvelope
	n := r.Job.Name
	switch op.Action {
	case model.ActionEnqueue:
		return operation{
			body:   jsonBody("The payload of the new "+n+" job, and when it is due.", map[string]string{mediaJSON: r.GoName + suffixInput}),
			status: http.StatusCreated, success: jsonResponse("Created: the job, pending (revision 1 of its resource).", env, "ETag", "Location"),
			also:   map[int]*openapi3.Response{http.StatusOK: jsonResponse("The job enqueued earlier with the same payload in the same unique_for window: nothing was enqueued.", env, "ETag")},
			errors: []int{413, 415, 422},
			description: "Validates the payload (refs must name live resources), enqueues the job and creates its resource, " +
				"in one transaction. run_at delays it. Answers 201 with the envelope, its ETag and Location.",
		}, true
	case model.ActionRead:
		return operation{
			headers: []string{paramIfNoneMatch},
			status:  http.StatusOK, success: jsonResponse("The job at its current (or the requested) revision.", env, "ETag"),
			errors:      []int{304, 404},
			description: "Returns the envelope of the job's current state with its ETag; 304 when If-None-Match matches.",
		}, true
	case model.ActionRevisions:
		return operation{
			status: http.StatusOK, success: jsonResponse("A page of the job's revisions, newest first: one per status change.", schemaJobRevisionPage),
			errors: []int{404},
		}, true
	case model.ActionRevision, model.ActionDiff:
		o := operationOf(&model.Resource{GoName: r.GoName, Name: r.Name}, op)
		o.errors = []int{404}
		return o, true
	case model.ActionCancel:
		return operation{
			status: http.StatusOK, success: jsonResponse("The job, cancelled.", env, "ETag"),
			also:   map[int]*openapi3.Response{http.StatusAccepted: jsonResponse("The job still running: its handler's context is cancelled, and the job ends cancelled when the handler returns (watch its status).", env, "ETag")},
			errors: []int{404, 409},
			description: "Cancels a pending job at once (200), or cancels the context of a running job's handler (202). " +
				"A finished job is a 409.",
		}, true
	case model.ActionRerun:
		return operation{
			status: http.StatusOK, success: jsonResponse("The job, pending again.", env, "ETag"),
			errors: []int{404, 409},
			description: "Makes a finished job (completed, failed or cancelled) run again, with one more attempt if its attempts " +
				"were used up, or a pending job run now. A running job is a 409.",
		}, true
	case model.ActionLogs:
		return operation{
			status: http.StatusOK, success: jsonResponse("What the job's handler logged, by attempt.", schemaJobLogList),
			errors: []int{404},
		}, true
	}
	return operation{}, false
}

// parameters returns the parameters of the route of op, a REST operation
// of r: its path parameters (from the route), its query parameters (the
// row's Query, which the generated handler enforces) and the header
// parameters headers.
//
//	/posts/{id}/revisions/{rev}/diff, Query [against include_deleted] => id, rev, against, include_deleted
func parameters(r *model.Resource, op *model.Operation, headers []string) openapi3.Parameters {
	var out openapi3.Parameters
	for seg := range strings.SplitSeq(op.OpenAPIPath, "/") {
		switch seg {
		case "{id}":
			if r.Job != nil {
				out = append(out, paramRef(paramJobID))
				break
			}
			out = append(out, paramRef(paramID))
		case "{rev}":
			if r.Job != nil {
				out = append(out, paramRef(paramJobRev))
				break
			}
			out = append(out, paramRef(paramRev))
		case "{field}":
			out = append(out, fieldParam(r, op.Action == model.ActionDownloadItem))
		case "{n}":
			out = append(out, indexParam())
		default:
			if strings.HasPrefix(seg, "{") {
				panic("openapigen: no parameter for path segment " + seg) // a new route parameter, caught by the golden tests
			}
		}
	}
	for _, name := range op.Query {
		if p := queryParam(r, name); p != nil {
			out = append(out, p)
		}
	}
	out = append(out, refs(headers...)...)
	if op.Action == model.ActionDownload || op.Action == model.ActionDownloadItem {
		out = append(out, rangeParam())
	}
	return out
}

// queryParam returns the parameter of the query parameter name (one of
// model.Operation.Query) for the operations of r, or nil when r has none.
func queryParam(r *model.Resource, name string) *openapi3.ParameterRef {
	switch name {
	case model.QueryFilter:
		return filterParam(r)
	case model.QuerySort:
		return sortParam(r)
	case model.QueryFields:
		return fieldsParam(r)
	case model.QueryExpand:
		return expandParam(r)
	}
	shared := map[string]string{
		model.QueryLimit: paramLimit, model.QueryCursor: paramCursor, model.QueryOffset: paramOffset,
		model.QueryIncludeDeleted: paramIncludeDeleted, model.QueryDeleted: paramDeleted, model.QueryCount: paramCount,
		model.QueryRevision: paramRevision, model.QueryMode: paramMode, model.QueryStatus: paramStatus,
		model.QueryChain: paramChain, model.QueryAgainst: paramAgainst, model.QueryCascade: paramCascade,
	}
	if component, ok := shared[name]; ok {
		return paramRef(component)
	}
	panic("openapigen: no parameter for query parameter " + name) // a new Query name, caught by the golden tests
}

// resourcePaths adds the routes of r to paths.
func (b *builder) resourcePaths(paths *openapi3.Paths, r *model.Resource) {
	for _, row := range r.Operations {
		if row.Method == "" {
			continue // GraphQL only
		}
		op := operationOf(r, row)
		p := "/api" + row.OpenAPIPath
		item := paths.Value(p)
		if item == nil {
			item = &openapi3.PathItem{}
			paths.Set(p, item)
		}
		o := &openapi3.Operation{
			Tags:        []string{r.Name},
			Summary:     row.Summary,
			Description: withRule(op.description, row),
			OperationID: row.OperationID,
			Parameters:  parameters(r, row, op.headers),
			RequestBody: op.body,
			Responses:   openapi3.NewResponses(),
			Security:    operationSecurity(row),
		}
		o.Responses.Delete("default")
		o.Responses.Set(strconv.Itoa(op.status), &openapi3.ResponseRef{Value: op.success})
		for status, resp := range op.also {
			o.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: resp})
		}
		// Any operation refuses query parameters it does not take (400),
		// and hooks and authorizers may refuse any operation (403). With
		// auth, any request with bad credentials is a 401.
		errs := append(op.errors, http.StatusBadRequest, http.StatusForbidden, http.StatusInternalServerError)
		if b.m.Auth != nil {
			errs = append(errs, http.StatusUnauthorized)
		}
		b.setErrors(o, errs)
		item.SetOperation(row.Method, o)
	}
}

// setErrors adds the component responses of the error statuses to o.
func (b *builder) setErrors(o *openapi3.Operation, statuses []int) {
	for _, status := range statuses {
		name := notModified
		if status != http.StatusNotModified {
			name = problemStatuses(b.m.Auth != nil)[status][0]
		}
		o.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Ref: "#/components/responses/" + name})
	}
}

// noSecurity is the security of an operation that needs no credentials
// and does not read them: none, said explicitly (security: []). Without
// auth, that is every operation.
func noSecurity() *openapi3.SecurityRequirements {
	return &openapi3.SecurityRequirements{}
}

// operationSecurity is the security of the route of op: none without
// auth; with auth, a bearer token, which is optional ({} or a token) when
// the operation's rule lets anonymous callers pass.
func operationSecurity(op *model.Operation) *openapi3.SecurityRequirements {
	if op.Rule == nil {
		return noSecurity()
	}
	if op.Rule.Anonymous {
		return optionalBearer()
	}
	return bearer()
}

// bearer requires a bearer token.
func bearer() *openapi3.SecurityRequirements {
	return &openapi3.SecurityRequirements{{securityBearer: []string{}}}
}

// optionalBearer takes a bearer token when there is one.
func optionalBearer() *openapi3.SecurityRequirements {
	return &openapi3.SecurityRequirements{{}, {securityBearer: []string{}}}
}

// withRule adds the permission rule of op to the description of its
// route.
func withRule(description string, op *model.Operation) string {
	if op.Rule == nil {
		return description
	}
	rule := fmt.Sprintf("Permission (%s): %s.", op.Permission, op.Rule.Source)
	if description == "" {
		return rule
	}
	return description + "\n\n" + rule
}

// systemPaths adds /healthz, /readyz, /openapi.json and /docs.
func (b *builder) systemPaths(paths *openapi3.Paths) {
	add := func(path, id, summary string, responses map[int]*openapi3.Response) {
		o := &openapi3.Operation{Tags: []string{systemTag}, Summary: summary, OperationID: id, Responses: openapi3.NewResponses(), Security: noSecurity()}
		o.Responses.Delete("default")
		for status, r := range responses {
			o.Responses.Set(strconv.Itoa(status), &openapi3.ResponseRef{Value: r})
		}
		paths.Set(path, &openapi3.PathItem{Get: o})
	}
	add("/healthz", "getHealth", "Liveness: 200 while the process is up", map[int]*openapi3.Response{
		http.StatusOK: jsonResponse("The process is up.", schemaHealth),
	})
	add("/readyz", "getReadiness", "Readiness: 200 when the storage answers", map[int]*openapi3.Response{
		http.StatusOK:                 jsonResponse("The storage answers.", schemaHealth),
		http.StatusServiceUnavailable: jsonResponse("The storage does not answer.", schemaHealth),
	})
	add("/openapi.json", "getOpenAPI", "This OpenAPI document", map[int]*openapi3.Response{
		http.StatusOK: jsonResponse("The OpenAPI 3.1 document of this API.", schemaOpenAPIObject),
	})
	add("/docs", "getDocs", "Interactive API documentation (Swagger UI, served from the binary)", map[int]*openapi3.Response{
		http.StatusOK: {
			Description: ptr("An HTML page that renders this document."),
			Content:     openapi3.Content{mediaHTML: &openapi3.MediaType{Schema: prop(&openapi3.Schema{Type: types(openapi3.TypeString)})}},
		},
	})
}
