package model

import (
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/names"
)

// Operation is one thing clients and user code can do to a resource. Build
// lists every operation of a resource once, in Resource.Operations, and
// every emitter iterates that list: the echo routes and handlers, the
// typed repository, the OpenAPI paths and the GraphQL fields and
// resolvers. Adding an operation is a row here plus its behaviour in the
// runtime and one case in each emitter's switch on Action.
type Operation struct {
	// Action is the runtime action (runtime/resource.Action): "create",
	// "read", "list", ...
	Action string
	// Method is the HTTP method of the REST route, "" for an operation
	// that only GraphQL offers (the change subscription).
	Method string
	// Route is the echo route below /api: "/posts/:id/revisions/:rev".
	Route string
	// OpenAPIPath is the same route in OpenAPI form: "/posts/{id}/revisions/{rev}".
	OpenAPIPath string
	// OperationID is the OpenAPI operationId: "getPostRevision".
	OperationID string
	// Handler is the unexported Go method of the echo handler: "revision".
	Handler string
	// Summary is the one-line OpenAPI summary: "Read one revision of a Post".
	Summary string
	// Doc completes the handler's doc comment: "reads one revision's data and info".
	Doc string
	// GraphQL is the GraphQL field of the operation; its Root is "" when
	// GraphQL has none (counts come with connections, one revision with
	// the read's revision argument).
	GraphQL GraphQLField
	// Repo is the method of the typed repository: "Revision"; "" for none.
	Repo string
	// Permission is the action whose permission rule governs the
	// operation, one of RuleActions: history, referrers and change
	// events are read, a count is list, a patch is update
	// (runtime/resource.Action.Rule).
	Permission string
	// Rule is the resource's rule of Permission; nil without auth.
	Rule *Rule
	// Query lists the query parameters the REST route accepts (the Query*
	// constants), in the order the OpenAPI document and error messages
	// list them. The generated handler refuses any other with a 400
	// (rest.CheckQuery), and the document describes exactly these.
	Query []string
}

// The query parameters of Operation.Query, as runtime/rest reads them.
const (
	QueryFilter         = "filter"
	QuerySort           = "sort"
	QueryLimit          = "limit"
	QueryCursor         = "cursor"
	QueryOffset         = "offset"
	QueryIncludeDeleted = "include_deleted"
	QueryDeleted        = "deleted"
	QueryCount          = "count"
	QueryFields         = "fields"
	QueryExpand         = "expand"
	QueryRevision       = "revision"
	QueryMode           = "mode"
	QueryStatus         = "status"
	QueryChain          = "chain"
	QueryAgainst        = "against"
	QueryCascade        = "cascade"
)

// GraphQLField is where an operation appears in the GraphQL schema.
type GraphQLField struct {
	// Root is "Query", "Mutation", "Subscription", or "Resource" for a
	// field of the resource's own object type (revisions, diff).
	Root string
	// Name is the field name: "createPost", "post", "revisions". The Go
	// resolver method is the same name with its first letter upper-cased.
	Name string
	// Order sorts the fields of the resource under the same Root as the
	// schema lists them; fields with equal Order keep the table's order.
	// Only Query needs it: the read (post) comes before the list (posts),
	// while REST registers the list route first.
	Order int
}

// The actions of Operation.Action; runtime/resource.Action has the same
// strings (the model test checks that the two lists agree).
const (
	ActionCreate    = "create"
	ActionList      = "list"
	ActionCount     = "count"
	ActionRead      = "read"
	ActionUpdate    = "update"
	ActionPatch     = "patch"
	ActionDelete    = "delete"
	ActionRestore   = "restore"
	ActionPurge     = "purge"
	ActionRevisions = "revisions"
	ActionRevision  = "revision"
	ActionDiff      = "diff"
	ActionSwitch    = "switch"
	ActionReferrers = "referrers"
	ActionSubscribe = "subscribe"
	// The downloads of a resource with file fields: a file field, and
	// one file of a list of files.
	ActionDownload     = "download"
	ActionDownloadItem = "download_item"
	// The actions of job resources besides the reads.
	ActionEnqueue = "enqueue"
	ActionCancel  = "cancel"
	ActionRerun   = "rerun"
	ActionLogs    = "logs"
)

// The roots of GraphQLField.Root.
const (
	GraphQLQuery        = "Query"
	GraphQLMutation     = "Mutation"
	GraphQLSubscription = "Subscription"
	GraphQLResource     = "Resource"
)

// Operation returns the operation of r with the given action, or nil.
func (r *Resource) Operation(action string) *Operation {
	for _, op := range r.Operations {
		if op.Action == action {
			return op
		}
	}
	return nil
}

// GraphQLOperations returns the operations of r that are fields of the
// GraphQL root type root, in the order the schema lists them.
func (r *Resource) GraphQLOperations(root string) []*Operation {
	var out []*Operation
	for _, op := range r.Operations {
		if op.GraphQL.Root == root {
			out = append(out, op)
		}
	}
	slices.SortStableFunc(out, func(a, b *Operation) int { return a.GraphQL.Order - b.GraphQL.Order })
	return out
}

// operations computes the operations table of r, in the order the echo
// routes are registered: static segments ("count") before parameters, so
// that the router never reads them as ids.
func operations(r *Resource) []*Operation {
	g, n := r.GoName, r.Name
	an := article(n) + " " + n
	one, many := names.Camel(g), names.Camel(r.Plural)
	if many == one {
		// An uncountable noun (Staff, News): the list needs its own name.
		many = one + "List"
	}
	// expand names ref fields, so only a resource with some accepts it.
	var expand []string
	if slices.ContainsFunc(r.Fields, func(f *Field) bool { return f.Type == Ref }) {
		expand = []string{QueryExpand}
	}
	ops := []*Operation{
		{Action: ActionCreate, Method: "POST", Route: "", OperationID: "create" + g, Handler: "create",
			Summary: "Create " + an, Doc: "creates a resource from a JSON body",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "create" + g}, Repo: "Create",
			Query: []string{QueryStatus}},
		{Action: ActionList, Method: "GET", Route: "", OperationID: "list" + r.Plural, Handler: "list",
			Summary: "List " + r.Plural, Doc: "lists resources, one page at a time",
			GraphQL: GraphQLField{Root: GraphQLQuery, Name: many, Order: 1}, Repo: "List",
			Query: append([]string{QueryFilter, QuerySort, QueryLimit, QueryCursor, QueryOffset,
				QueryIncludeDeleted, QueryDeleted, QueryCount, QueryFields}, expand...)},
		{Action: ActionCount, Method: "GET", Route: "/count", OperationID: "count" + r.Plural, Handler: "count",
			Summary: "Count " + r.Plural, Doc: "counts resources",
			Repo:  "Count",
			Query: []string{QueryFilter, QueryIncludeDeleted, QueryDeleted}},
		{Action: ActionRead, Method: "GET", Route: "/:id", OperationID: "get" + g, Handler: "read",
			Summary: "Read " + an, Doc: "reads a resource, at its current or a given revision",
			GraphQL: GraphQLField{Root: GraphQLQuery, Name: one}, Repo: "Get",
			Query: append([]string{QueryRevision, QueryIncludeDeleted, QueryFields}, expand...)},
		{Action: ActionUpdate, Method: "PUT", Route: "/:id", OperationID: "replace" + g, Handler: "replace",
			Summary: "Replace the data of " + an, Doc: "replaces the data of a resource, writing a new revision or editing a draft",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "update" + g}, Repo: "Update",
			Query: []string{QueryMode, QueryStatus}},
		{Action: ActionPatch, Method: "PATCH", Route: "/:id", OperationID: "patch" + g, Handler: "patch",
			Summary: "Patch " + an, Doc: "applies a JSON merge patch or JSON Patch to a resource",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "patch" + g}, Repo: "Patch",
			Query: []string{QueryMode, QueryStatus}},
		{Action: ActionDelete, Method: "DELETE", Route: "/:id", OperationID: "delete" + g, Handler: "delete",
			Summary: "Soft-delete " + an, Doc: "soft-deletes a resource",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "delete" + g}, Repo: "Delete"},
		{Action: ActionRestore, Method: "POST", Route: "/:id/restore", OperationID: "restore" + g, Handler: "restore",
			Summary: "Restore a soft-deleted " + n, Doc: "undoes a soft delete",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "restore" + g}, Repo: "Restore",
			Query: []string{QueryCascade}},
		{Action: ActionPurge, Method: "DELETE", Route: "/:id/permanently", OperationID: "purge" + g, Handler: "purge",
			Summary: "Remove " + an + " and its whole history", Doc: "removes a resource and its whole history",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "purge" + g}, Repo: "Purge"},
		{Action: ActionRevisions, Method: "GET", Route: "/:id/revisions", OperationID: "list" + g + "Revisions", Handler: "revisions",
			Summary: "List the revisions of " + an, Doc: "lists the revisions of a resource, newest first",
			GraphQL: GraphQLField{Root: GraphQLResource, Name: "revisions"}, Repo: "Revisions",
			Query: []string{QueryChain, QueryLimit, QueryCursor, QueryIncludeDeleted}},
		{Action: ActionRevision, Method: "GET", Route: "/:id/revisions/:rev", OperationID: "get" + g + "Revision", Handler: "revision",
			Summary: "Read one revision of " + an, Doc: "reads one revision's data and info",
			Repo:  "Revision",
			Query: []string{QueryIncludeDeleted}},
		{Action: ActionDiff, Method: "GET", Route: "/:id/revisions/:rev/diff", OperationID: "diff" + g + "Revision", Handler: "diff",
			Summary: "Diff two revisions of " + an, Doc: "returns the JSON Patch between two revisions",
			GraphQL: GraphQLField{Root: GraphQLResource, Name: "diff"}, Repo: "Diff",
			Query: []string{QueryAgainst, QueryIncludeDeleted}},
		{Action: ActionSwitch, Method: "POST", Route: "/:id/switch/:rev", OperationID: "switch" + g + "Revision", Handler: "switchRevision",
			Summary: "Make a revision of " + an + " current", Doc: "makes a revision current (rollback)",
			GraphQL: GraphQLField{Root: GraphQLMutation, Name: "switch" + g + "Revision"}, Repo: "Switch"},
		{Action: ActionReferrers, Method: "GET", Route: "/:id/referrers", OperationID: "list" + g + "Referrers", Handler: "referrers",
			Summary: "List the resources that refer to " + an, Doc: "lists the live resources whose ref fields point at a resource",
			Repo: "Referrers"},
		{Action: ActionSubscribe, OperationID: "",
			GraphQL: GraphQLField{Root: GraphQLSubscription, Name: one + "Changed"}},
	}
	if r.HasFiles() {
		ops = append(ops,
			&Operation{Action: ActionDownload, Method: "GET", Route: "/:id/files/:field", OperationID: "download" + g + "File", Handler: "download",
				Summary: "Download a file of " + an, Doc: "serves the bytes of a file field (ETag, Range)",
				Query: []string{QueryRevision}},
			&Operation{Action: ActionDownloadItem, Method: "GET", Route: "/:id/files/:field/:n", OperationID: "download" + g + "ListFile", Handler: "downloadItem",
				Summary: "Download one file of a list of files of " + an, Doc: "serves the bytes of file n of a list of files (ETag, Range)",
				Query: []string{QueryRevision}},
		)
	}
	for _, op := range ops {
		op.Permission = permissionOf(op.Action)
		op.Rule = r.Rule(op.Permission)
		if op.Method == "" {
			continue
		}
		op.Route = "/" + r.Path + op.Route
		op.OpenAPIPath = openAPIPath(op.Route)
	}
	return ops
}

// permissionOf returns the action whose rule governs action, as
// runtime/resource.Action.Rule does (the model test checks that they
// agree).
func permissionOf(action string) string {
	switch action {
	case ActionRevisions, ActionRevision, ActionDiff, ActionReferrers, ActionSubscribe, ActionLogs, ActionDownload, ActionDownloadItem:
		return ActionRead
	case ActionCount:
		return ActionList
	case ActionPatch, ActionCancel, ActionRerun:
		return ActionUpdate
	case ActionEnqueue:
		return ActionCreate
	}
	return action
}

// openAPIPath turns an echo route into an OpenAPI path:
// "/posts/:id/switch/:rev" => "/posts/{id}/switch/{rev}".
func openAPIPath(route string) string {
	segs := strings.Split(route, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

// article is "an" before a vowel, else "a": "an Author", "a Post".
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// HasFiles reports whether r has a file field, or a list of files, at any
// level of nested objects: its writes take multipart bodies and it has
// download routes.
func (r *Resource) HasFiles() bool {
	found := false
	walkFields(r.Fields, func(fd *Field) {
		found = found || fd.Type == File || (fd.Type == List && fd.Elem != nil && fd.Elem.Type == File)
	})
	return found && r.Job == nil
}

// FilePaths returns the dotted JSON paths of r's file fields and lists of
// files, in spec order.
func (r *Resource) FilePaths() []string {
	var out []string
	walkFields(r.Fields, func(fd *Field) {
		if fd.Type == File || (fd.Type == List && fd.Elem != nil && fd.Elem.Type == File) {
			out = append(out, fd.Path)
		}
	})
	return out
}
