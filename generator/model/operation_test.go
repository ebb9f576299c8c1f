package model_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/model"
	rt "github.com/specstar-go/specstar/runtime/resource"
)

// operationSpecs are the models whose operations tables are checked: the
// blog example (three resources with refs between them), and names that
// exercise articles, initialisms and irregular plurals.
func operationSpecs(t *testing.T) map[string]*model.Model {
	t.Helper()
	blog, err := os.ReadFile("../../examples/blog/specstar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*model.Model{
		"blog": build(t, string(blog)),
		"names": build(t, `specstar: 1
package: shop
resources:
  Item:
    fields:
      name: {type: string}
  Category:
    fields:
      name: {type: string}
  URLAlias:
    fields:
      item: {type: ref, to: Item}
`),
		"auth": build(t, `specstar: 1
package: shop
auth: {roles: [clerk]}
resources:
  Item:
    fields:
      name: {type: string, index: true}
    permissions: {read: public, update: "owner | where(name = @me)"}
`),
	}
}

// graphQLless are the actions without a GraphQL field, and why: counts
// come with connections (totalCount), one revision with the read's
// revision argument, referrers with the back-reference fields, a job's
// logs with its data (data.logs).
var graphQLless = []string{model.ActionCount, model.ActionRevision, model.ActionReferrers, model.ActionLogs, model.ActionDownload, model.ActionDownloadItem}

// queryParams are the query parameters runtime/rest reads.
var queryParams = []string{
	model.QueryFilter, model.QuerySort, model.QueryLimit, model.QueryCursor, model.QueryOffset,
	model.QueryIncludeDeleted, model.QueryDeleted, model.QueryCount, model.QueryFields, model.QueryExpand,
	model.QueryRevision, model.QueryMode, model.QueryStatus, model.QueryChain, model.QueryAgainst, model.QueryCascade,
}

func TestOperationsTable(t *testing.T) {
	var actions, jobActions []string
	for _, a := range rt.Actions() {
		actions = append(actions, string(a))
	}
	for _, a := range rt.JobActions() {
		jobActions = append(jobActions, string(a))
	}
	var fileActions []string
	for _, a := range rt.FileActions() {
		fileActions = append(fileActions, string(a))
	}
	for name, m := range operationSpecs(t) {
		t.Run(name, func(t *testing.T) {
			routes := map[string]string{}       // method route => resource.action
			operationIDs := map[string]string{} // across the model
			graphQL := map[string]string{}      // root.name across the model (Resource fields per type)
			for _, r := range m.Resources {
				if r.Internal {
					if len(r.Operations) > 0 || r.Rules != nil {
						t.Errorf("%s: an internal resource has operations or rules", r.Name)
					}
					continue
				}
				var got []string
				handlers := map[string]bool{}
				for _, op := range r.Operations {
					what := r.Name + "." + op.Action
					got = append(got, op.Action)
					if r.Operation(op.Action) != op {
						t.Errorf("%s: Resource.Operation does not return the row", what)
					}
					// The rule that governs it: the runtime's mapping, and
					// the resource's rule of that action with auth.
					if want := string(rt.Action(op.Action).Rule()); op.Permission != want {
						t.Errorf("%s: permission %q, want %q (resource.Action.Rule)", what, op.Permission, want)
					}
					switch {
					case m.Auth == nil && op.Rule != nil:
						t.Errorf("%s: a rule without auth", what)
					case m.Auth != nil && (op.Rule == nil || op.Rule != r.Rule(op.Permission)):
						t.Errorf("%s: rule %+v, want the resource's rule of %s", what, op.Rule, op.Permission)
					}
					// REST: a route, a handler and an operationId, or none of them.
					rest := op.Method != ""
					if rest != (op.Route != "") || rest != (op.OpenAPIPath != "") || rest != (op.OperationID != "") ||
						rest != (op.Handler != "") || rest != (op.Summary != "") || rest != (op.Doc != "") {
						t.Errorf("%s: REST columns partly set: %+v", what, op)
					}
					if rest {
						if !strings.HasPrefix(op.Route, "/"+r.Path) {
							t.Errorf("%s: route %q is not under /%s", what, op.Route, r.Path)
						}
						if want := strings.NewReplacer(":id", "{id}", ":rev", "{rev}", ":field", "{field}", ":n", "{n}").Replace(op.Route); op.OpenAPIPath != want {
							t.Errorf("%s: OpenAPI path %q, want %q", what, op.OpenAPIPath, want)
						}
						key := op.Method + " " + op.Route
						if prev, ok := routes[key]; ok {
							t.Errorf("%s: route %s is also %s", what, key, prev)
						}
						routes[key] = what
						if prev, ok := operationIDs[op.OperationID]; ok {
							t.Errorf("%s: operationId %s is also %s", what, op.OperationID, prev)
						}
						operationIDs[op.OperationID] = what
						if handlers[op.Handler] {
							t.Errorf("%s: handler %s is used twice", what, op.Handler)
						}
						handlers[op.Handler] = true
					} else if op.Action != model.ActionSubscribe {
						t.Errorf("%s: only the subscription has no REST route", what)
					}
					// Query parameters: known names, each once, and only on REST routes.
					if !rest && op.Query != nil {
						t.Errorf("%s: query parameters %v without a REST route", what, op.Query)
					}
					for i, q := range op.Query {
						if !slices.Contains(queryParams, q) {
							t.Errorf("%s: unknown query parameter %q", what, q)
						}
						if slices.Index(op.Query, q) != i {
							t.Errorf("%s: query parameter %q listed twice", what, q)
						}
					}
					// GraphQL: a root and a name, except the documented actions.
					switch {
					case slices.Contains(graphQLless, op.Action):
						if op.GraphQL != (model.GraphQLField{}) {
							t.Errorf("%s: GraphQL field %+v, want none", what, op.GraphQL)
						}
					case op.GraphQL.Name == "":
						t.Errorf("%s: no GraphQL field", what)
					default:
						key := op.GraphQL.Root + "." + op.GraphQL.Name
						if op.GraphQL.Root == model.GraphQLResource {
							key = r.GoName + "." + op.GraphQL.Name
						}
						if prev, ok := graphQL[key]; ok {
							t.Errorf("%s: GraphQL field %s is also %s", what, key, prev)
						}
						graphQL[key] = what
					}
				}
				switch {
				case r.Job != nil && !slices.Equal(got, jobActions):
					t.Errorf("%s: actions %v, want resource.JobActions() %v (each once, in its order)", r.Name, got, jobActions)
				case r.Job == nil && r.HasFiles() && !slices.Equal(got, append(slices.Clone(actions), fileActions...)):
					t.Errorf("%s: actions %v, want resource.Actions() and FileActions() (each once, in their order)", r.Name, got)
				case r.Job == nil && !r.HasFiles() && !slices.Equal(got, actions):
					t.Errorf("%s: actions %v, want resource.Actions() %v (each once, in its order)", r.Name, got, actions)
				}
				// Static segments before parameters: count is registered before /:id.
				if i, j := slices.Index(got, model.ActionCount), slices.Index(got, model.ActionRead); i > j {
					t.Errorf("%s: count is registered after read", r.Name)
				}
				var query []string
				for _, op := range r.GraphQLOperations(model.GraphQLQuery) {
					query = append(query, op.Action)
				}
				if !slices.Equal(query, []string{model.ActionRead, model.ActionList}) {
					t.Errorf("%s: Query fields %v, want read, list", r.Name, query)
				}
			}
		})
	}
}

// TestOperationNames pins the public names of one resource: operationIds
// and GraphQL fields are API, and the emitters' output before the table
// used exactly these.
func TestOperationNames(t *testing.T) {
	m := operationSpecs(t)["names"]
	type row struct{ method, route, id, handler, summary, gqlRoot, gqlName string }
	want := map[string]row{
		model.ActionCreate:    {"POST", "/items", "createItem", "create", "Create an Item", "Mutation", "createItem"},
		model.ActionList:      {"GET", "/items", "listItems", "list", "List Items", "Query", "items"},
		model.ActionCount:     {"GET", "/items/count", "countItems", "count", "Count Items", "", ""},
		model.ActionRead:      {"GET", "/items/:id", "getItem", "read", "Read an Item", "Query", "item"},
		model.ActionUpdate:    {"PUT", "/items/:id", "replaceItem", "replace", "Replace the data of an Item", "Mutation", "updateItem"},
		model.ActionPatch:     {"PATCH", "/items/:id", "patchItem", "patch", "Patch an Item", "Mutation", "patchItem"},
		model.ActionDelete:    {"DELETE", "/items/:id", "deleteItem", "delete", "Soft-delete an Item", "Mutation", "deleteItem"},
		model.ActionRestore:   {"POST", "/items/:id/restore", "restoreItem", "restore", "Restore a soft-deleted Item", "Mutation", "restoreItem"},
		model.ActionPurge:     {"DELETE", "/items/:id/permanently", "purgeItem", "purge", "Remove an Item and its whole history", "Mutation", "purgeItem"},
		model.ActionRevisions: {"GET", "/items/:id/revisions", "listItemRevisions", "revisions", "List the revisions of an Item", "Resource", "revisions"},
		model.ActionRevision:  {"GET", "/items/:id/revisions/:rev", "getItemRevision", "revision", "Read one revision of an Item", "", ""},
		model.ActionDiff:      {"GET", "/items/:id/revisions/:rev/diff", "diffItemRevision", "diff", "Diff two revisions of an Item", "Resource", "diff"},
		model.ActionSwitch:    {"POST", "/items/:id/switch/:rev", "switchItemRevision", "switchRevision", "Make a revision of an Item current", "Mutation", "switchItemRevision"},
		model.ActionReferrers: {"GET", "/items/:id/referrers", "listItemReferrers", "referrers", "List the resources that refer to an Item", "", ""},
		model.ActionSubscribe: {"", "", "", "", "", "Subscription", "itemChanged"},
	}
	r := resource(t, m, "Item")
	for action, w := range want {
		op := r.Operation(action)
		if op == nil {
			t.Errorf("no %s operation", action)
			continue
		}
		got := row{op.Method, op.Route, op.OperationID, op.Handler, op.Summary, op.GraphQL.Root, op.GraphQL.Name}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", action, got, w)
		}
	}
	// Query parameters are API too: a client sending one that is not
	// listed gets a 400.
	list := []string{"filter", "sort", "limit", "cursor", "offset", "include_deleted", "deleted", "count", "fields"}
	wantQuery := map[string][]string{
		model.ActionCreate:    {"status"},
		model.ActionList:      list,
		model.ActionCount:     {"filter", "include_deleted", "deleted"},
		model.ActionRead:      {"revision", "include_deleted", "fields"},
		model.ActionUpdate:    {"mode", "status"},
		model.ActionPatch:     {"mode", "status"},
		model.ActionDelete:    nil,
		model.ActionRestore:   {"cascade"},
		model.ActionPurge:     nil,
		model.ActionRevisions: {"chain", "limit", "cursor", "include_deleted"},
		model.ActionRevision:  {"include_deleted"},
		model.ActionDiff:      {"against", "include_deleted"},
		model.ActionSwitch:    nil,
		model.ActionReferrers: nil,
		model.ActionSubscribe: nil,
	}
	for action, want := range wantQuery {
		if got := r.Operation(action).Query; !slices.Equal(got, want) {
			t.Errorf("Item.%s: query parameters %q, want %q", action, got, want)
		}
	}
	// expand only where a ref field can be expanded.
	alias := resource(t, m, "URLAlias")
	for action, want := range map[string][]string{
		model.ActionList: append(slices.Clone(list), "expand"),
		model.ActionRead: {"revision", "include_deleted", "fields", "expand"},
	} {
		if got := alias.Operation(action).Query; !slices.Equal(got, want) {
			t.Errorf("URLAlias.%s: query parameters %q, want %q", action, got, want)
		}
	}

	// Plurals and initialisms come from the resource's precomputed names.
	for _, tt := range []struct{ resource, action, id, gql string }{
		{"Category", model.ActionList, "listCategories", "categories"},
		{"Category", model.ActionRead, "getCategory", "category"},
		{"URLAlias", model.ActionList, "listURLAliases", "urlAliases"},
		{"URLAlias", model.ActionSubscribe, "", "urlAliasChanged"},
	} {
		op := resource(t, m, tt.resource).Operation(tt.action)
		if op.OperationID != tt.id || op.GraphQL.Name != tt.gql {
			t.Errorf("%s.%s: operationId %q, GraphQL %q; want %q, %q", tt.resource, tt.action, op.OperationID, op.GraphQL.Name, tt.id, tt.gql)
		}
	}
}

// TestUncountableNames: Staff is served at /api/staff (not /api/staffs),
// and its GraphQL list query differs from its read query.
func TestUncountableNames(t *testing.T) {
	m := build(t, `specstar: 1
package: hr
resources:
  Staff:
    fields:
      name: {type: string}
`)
	r := resource(t, m, "Staff")
	if r.Path != "staff" {
		t.Errorf("path /api/%s, want /api/staff", r.Path)
	}
	if got := r.Operation(model.ActionList).GraphQL.Name; got != "staffList" {
		t.Errorf("GraphQL list query %q, want staffList", got)
	}
	if got := r.Operation(model.ActionRead).GraphQL.Name; got != "staff" {
		t.Errorf("GraphQL read query %q, want staff", got)
	}
}
