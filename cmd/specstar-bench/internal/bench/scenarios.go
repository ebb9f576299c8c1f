package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
)

// Scenario is one kind of request, run against every system whose dialect
// can express it. Adding a scenario is one entry here and one builder in
// each dialect that serves it; systems without a builder skip it.
type Scenario struct {
	Name  string `json:"name"`
	Write bool   `json:"write"` // writes to storage
	Doc   string `json:"doc"`   // what one request does
	// CompareWith, when set, names the scenario whose results the ratios
	// take from the baselines, because no baseline serves this one: the
	// GraphQL list is compared with the REST list of every baseline and
	// of the same system.
	CompareWith string `json:"compare_with,omitempty"`
}

// baseScenario returns the scenario a baseline's result is taken from
// for ratios of sc.
func (sc Scenario) baseScenario() string {
	if sc.CompareWith != "" {
		return sc.CompareWith
	}
	return sc.Name
}

// Scenarios run in this order: reads first, so writes do not change the
// data the reads see.
var Scenarios = []Scenario{
	{Name: "get", Doc: "read one item by id, a random id of the seeded set"},
	{Name: "list", Doc: "a page of 20 live items of a random category (indexed filter), newest happened_at first (indexed sort)"},
	{Name: "graphql-list", CompareWith: "list", Doc: "the list through GraphQL: items(filter: {category: {eq: C}}, " +
		"orderBy: [{field: HAPPENED_AT, direction: DESC}], first: 20) with every field of the REST envelope; " +
		"only the generated server speaks GraphQL, so its ratios compare it with the REST list"},
	{Name: "create", Write: true, Doc: "create a new item: revision 1 and its record in one transaction"},
	{Name: "update", Write: true, Doc: "replace a random seeded item with changed content: revision n+1 and the record in one transaction"},
}

// scenarioByName returns the scenario called name, or nil.
func scenarioByName(name string) *Scenario {
	for i := range Scenarios {
		if Scenarios[i].Name == name {
			return &Scenarios[i]
		}
	}
	return nil
}

// scenarioNames returns the names of every scenario.
func scenarioNames() []string {
	var out []string
	for _, s := range Scenarios {
		out = append(out, s.Name)
	}
	return out
}

// target is what a request builder needs of a running system.
type target struct {
	base string   // "http://127.0.0.1:port"
	ids  []string // seeded resource ids; ids[i] holds MakeRow(i)
	rows int      // the seeded row count: creates number new rows from here
}

// builder builds request seq of a scenario against t.
type builder func(t *target, rng *rand.Rand, seq uint64) (*http.Request, error)

// dialect is how one family of systems spells the scenarios: its
// routes, query parameters and response shape.
type dialect struct {
	health string             // path answering 200 once ready
	build  map[string]builder // by scenario name
	// check, by scenario name, judges the body of a 2xx response: an
	// error makes the request a failure (a GraphQL error comes with 200).
	check  map[string]func(body []byte) error
	create func(t *target, body []byte) (*http.Request, error)
	idOf   func(body []byte) (string, error) // id from a create response
}

// jsonRequest returns a request with a JSON body.
func jsonRequest(method, u string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// randomID returns a random seeded id and its row number.
func randomID(t *target, rng *rand.Rand) (string, int) {
	i := rng.IntN(len(t.ids))
	return t.ids[i], i
}

// specstarDialect builds the requests of the generated server: its REST
// API, with the list in the filter language, and its GraphQL API.
func specstarDialect() *dialect {
	d := restAPI(false)
	bodies := make([][]byte, len(Categories))
	for i, c := range Categories {
		bodies[i] = graphQLListBody(c)
	}
	d.build["graphql-list"] = func(t *target, rng *rand.Rand, _ uint64) (*http.Request, error) {
		return jsonRequest(http.MethodPost, t.base+"/graphql", bodies[rng.IntN(len(bodies))])
	}
	d.check = map[string]func([]byte) error{"graphql-list": checkGraphQLList}
	return d
}

// restDialect builds the requests of the raw baselines: the generated
// REST API's routes, with the list as plain parameters
// (?category=C&limit=20), which the raw handlers take instead of the
// filter language.
func restDialect() *dialect { return restAPI(true) }

// graphQLListQuery is the GraphQL spelling of the REST list: the items of
// one category, newest happened_at first, a page of 20, with every field
// of the REST envelope (data, meta, revision_info) and of the page (the
// next cursor). The query text is constant and the category a variable,
// as a client sends it, so the server parses it once and caches it.
const graphQLListQuery = `query ListItems($category: ItemCategory!) {
  items(filter: {category: {eq: $category}}, orderBy: [{field: HAPPENED_AT, direction: DESC}], first: 20) {
    nodes {
      id
      data { title category happenedAt body score }
      meta { resourceId currentRevisionId totalRevisionCount schemaVersion createdTime createdBy updatedTime updatedBy isDeleted }
      revisionInfo { revisionId parentRevisionId resourceId number status dataHash schemaVersion createdTime createdBy updatedTime updatedBy }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// graphQLListBody returns the request body of the GraphQL list of
// category c: its enum value is the upper-case name.
func graphQLListBody(c string) []byte {
	body, err := json.Marshal(map[string]any{
		"query":     graphQLListQuery,
		"variables": map[string]string{"category": strings.ToUpper(c)},
	})
	if err != nil {
		panic(err) // strings always marshal
	}
	return body
}

// checkGraphQLList refuses a GraphQL list response with errors (GraphQL
// reports them with status 200) or without the page: a request that
// returned no items was not a list.
//
// The load generator runs on the same CPUs as the servers, and the REST
// list's answers are not decoded: a page that starts as a successful one
// does ({"data":{"items":{"nodes":[{ with no errors before it, as gqlgen
// writes errors first) is taken on its first bytes, so that decoding 20
// records per request on the client does not count against GraphQL.
func checkGraphQLList(body []byte) error {
	if bytes.HasPrefix(body, []byte(`{"data":{"items":{"nodes":[{`)) {
		return nil
	}
	var resp struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Data *struct {
			Items *struct {
				Nodes []json.RawMessage `json:"nodes"`
			} `json:"items"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("not a GraphQL response: %w", err)
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("GraphQL errors: %s", resp.Errors[0].Message)
	}
	if resp.Data == nil || resp.Data.Items == nil || len(resp.Data.Items.Nodes) == 0 {
		return errors.New("no items in the GraphQL response")
	}
	return nil
}

// restAPI builds the requests of the generated REST API; raw says
// whether list takes the raw baselines' plain parameters instead of the
// filter language.
func restAPI(raw bool) *dialect {
	lists := make([]string, len(Categories))
	for i, c := range Categories {
		if raw {
			lists[i] = "/api/items?category=" + c + "&limit=20"
		} else {
			lists[i] = "/api/items?filter=" + url.QueryEscape(`category = "`+c+`"`) + "&sort=-happened_at&limit=20"
		}
	}
	return itemRoutes(lists, envelopeID)
}

// envelopeID returns meta.resource_id of an envelope: the id of the
// generated server and the raw baselines.
func envelopeID(body []byte) (string, error) {
	var env struct {
		Meta struct {
			ResourceID string `json:"resource_id"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return "", err
	}
	if env.Meta.ResourceID == "" {
		return "", errors.New("no meta.resource_id in the response")
	}
	return env.Meta.ResourceID, nil
}

// itemRoutes builds the requests of an API with the generated server's
// routes (/api/items, /api/items/{id}; POST creates, PUT replaces), with
// the list paths of each category and the id of a create's response.
func itemRoutes(lists []string, idOf func([]byte) (string, error)) *dialect {
	create := func(t *target, body []byte) (*http.Request, error) {
		return jsonRequest(http.MethodPost, t.base+"/api/items", body)
	}
	return &dialect{
		health: "/healthz",
		create: create,
		idOf:   idOf,
		build: map[string]builder{
			"get": func(t *target, rng *rand.Rand, _ uint64) (*http.Request, error) {
				id, _ := randomID(t, rng)
				return http.NewRequest(http.MethodGet, t.base+"/api/items/"+id, nil)
			},
			"list": func(t *target, rng *rand.Rand, _ uint64) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, t.base+lists[rng.IntN(len(lists))], nil)
			},
			"create": func(t *target, _ *rand.Rand, seq uint64) (*http.Request, error) {
				return create(t, MakeRow(t.rows+int(seq)).JSON())
			},
			"update": func(t *target, rng *rand.Rand, seq uint64) (*http.Request, error) {
				id, i := randomID(t, rng)
				return jsonRequest(http.MethodPut, t.base+"/api/items/"+id, MakeRow(i).Updated(seq).JSON())
			},
		},
	}
}

// pocketBaseDialect builds the requests of PocketBase's records API for
// the benchmark collection. A list skips the total count (skipTotal=1),
// which the other systems do not compute either.
func pocketBaseDialect() *dialect {
	const records = "/api/collections/items/records"
	lists := make([]string, len(Categories))
	for i, c := range Categories {
		lists[i] = records + "?filter=" + url.QueryEscape(`category = "`+c+`"`) + "&sort=-happened_at&perPage=20&skipTotal=1"
	}
	create := func(t *target, body []byte) (*http.Request, error) {
		return jsonRequest(http.MethodPost, t.base+records, body)
	}
	return &dialect{
		health: "/api/health",
		create: create,
		idOf: func(body []byte) (string, error) {
			var rec struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(body, &rec); err != nil {
				return "", err
			}
			if rec.ID == "" {
				return "", errors.New("no id in the response")
			}
			return rec.ID, nil
		},
		build: map[string]builder{
			"get": func(t *target, rng *rand.Rand, _ uint64) (*http.Request, error) {
				id, _ := randomID(t, rng)
				return http.NewRequest(http.MethodGet, t.base+records+"/"+id, nil)
			},
			"list": func(t *target, rng *rand.Rand, _ uint64) (*http.Request, error) {
				return http.NewRequest(http.MethodGet, t.base+lists[rng.IntN(len(lists))], nil)
			},
			"create": func(t *target, _ *rand.Rand, seq uint64) (*http.Request, error) {
				return create(t, MakeRow(t.rows+int(seq)).JSON())
			},
			"update": func(t *target, rng *rand.Rand, seq uint64) (*http.Request, error) {
				id, i := randomID(t, rng)
				return jsonRequest(http.MethodPatch, t.base+records+"/"+id, MakeRow(i).Updated(seq).JSON())
			},
		},
	}
}

// pythonDialect builds the requests of a Python peer (app "django" or
// "fastapi"): the generated REST API's routes, each app's own list
// parameters (Django REST Framework's cursor pagination keeps the page
// size and order on the server; FastAPI takes ?limit=), and the item
// itself as a create's response, with a numeric id.
func pythonDialect(app string) *dialect {
	lists := make([]string, len(Categories))
	for i, c := range Categories {
		lists[i] = "/api/items?category=" + c
		if app == "fastapi" {
			lists[i] += "&limit=20"
		}
	}
	return itemRoutes(lists, func(body []byte) (string, error) {
		var item struct {
			ID json.Number `json:"id"`
		}
		if err := json.Unmarshal(body, &item); err != nil {
			return "", err
		}
		if item.ID == "" {
			return "", errors.New("no id in the response")
		}
		return item.ID.String(), nil
	})
}

// listOnly returns d restricted to the list scenario.
func listOnly(d *dialect) *dialect {
	return &dialect{health: d.health, build: map[string]builder{"list": d.build["list"]}}
}

// fixedDialect serves only the get scenario.
func fixedDialect() *dialect {
	rest := restDialect()
	return &dialect{
		health: "/healthz",
		build:  map[string]builder{"get": rest.build["get"]},
	}
}

// errNoCreate is returned when a system that must seed has no create.
var errNoCreate = errors.New("the system's dialect cannot create items")
