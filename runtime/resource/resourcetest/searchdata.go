package resourcetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
)

// NamedBackend is a backend the search suite runs against: Open returns a
// fresh, empty backend owned by tb (closing it is Open's business).
type NamedBackend struct {
	Name string
	Open func(tb testing.TB) resource.Backend
}

// SearchKinds is the schema of the search suite.
type SearchKinds struct {
	// Owner: indexed name; Item refs point at owners.
	Owner *resource.Kind
	// Item: an indexed field of every type (string, int, float, bool,
	// datetime, date, a list of strings, a nested string, a ref), a list
	// of refs and a field that is not indexed.
	Item *resource.Kind
	// Task: a ref to an item, for two-level expansion (item.owner).
	Task *resource.Kind
	// Schema holds the kinds above.
	Schema *resource.Schema
}

// NewSearchKinds returns a fresh copy of the search suite's schema.
func NewSearchKinds() *SearchKinds {
	k := &SearchKinds{
		Owner: &resource.Kind{Name: "Owner", Table: "owner", Path: "owners", SchemaVersion: 1,
			DataFields: []string{"name"},
			Fields:     []resource.Field{{JSON: "name", Type: resource.TypeString, Indexed: true}},
		},
		Item: &resource.Kind{Name: "Item", Table: "item", Path: "items", SchemaVersion: 1,
			DataFields: []string{"name", "status", "views", "score", "active", "at", "day", "tags", "addr", "owner", "helpers", "note"},
			Fields: []resource.Field{
				{JSON: "name", Type: resource.TypeString, Indexed: true},
				{JSON: "status", Type: resource.TypeString, Indexed: true},
				{JSON: "views", Type: resource.TypeInt, Indexed: true},
				{JSON: "score", Type: resource.TypeFloat, Indexed: true},
				{JSON: "active", Type: resource.TypeBool, Indexed: true},
				{JSON: "at", Type: resource.TypeDateTime, Indexed: true},
				{JSON: "day", Type: resource.TypeDate, Indexed: true},
				{JSON: "tags", Type: resource.TypeString, List: true, Indexed: true},
				{JSON: "addr.city", Type: resource.TypeString, Indexed: true},
				{JSON: "owner", Type: resource.TypeString, Indexed: true, Ref: &resource.Ref{Kind: "Owner", OnDelete: resource.SetNull}},
				{JSON: "helpers", Type: resource.TypeString, List: true, Ref: &resource.Ref{Kind: "Owner", OnDelete: resource.SetNull}},
			},
		},
		Task: &resource.Kind{Name: "Task", Table: "task", Path: "tasks", SchemaVersion: 1,
			DataFields: []string{"item", "title"},
			Fields:     []resource.Field{{JSON: "item", Type: resource.TypeString, Ref: &resource.Ref{Kind: "Item", OnDelete: resource.Cascade}}},
		},
	}
	k.Schema = &resource.Schema{Kinds: []*resource.Kind{k.Owner, k.Item, k.Task}}
	return k
}

// Value pools of the seeded items. They hold ties, nulls, ASCII and
// non-ASCII case variants, SQL and LIKE metacharacters, and datetimes
// whose RFC 3339 text does not sort in time order.
var (
	seedNames = []any{"Alpha", "alpha", "ÄLPHA", "älpha", "beta", "Beta Ray", "gamma_1", "gamma%1",
		"50% off", "it's", `back\slash`, `"quoted"`, "'; DROP TABLE item; --", "", "ünïcödé", "日本語",
		"a_b", "a%b", "Zed", nil, absentValue}
	seedStatus = []any{"draft", "published", "archived", nil, absentValue}
	seedViews  = []any{int64(0), int64(1), int64(2), int64(3), int64(5), int64(8), int64(13), int64(21),
		int64(-7), int64(1 << 40), nil, absentValue}
	seedScores = []any{0.5, 1.0, 2.25, -3.5, 1e10, 0.1, 3.0, nil, absentValue}
	seedActive = []any{true, false, nil, absentValue}
	seedTimes  = []any{"2024-05-01T08:30:05Z", "2024-05-01T08:30:05.5Z", "2024-05-01T08:30:05.123456789Z",
		"2024-05-01T08:30:05.12Z", "2024-05-01T08:30:04.999999999Z", "2024-05-01T08:30:05.000001Z",
		"1999-12-31T23:59:59Z", "2030-01-01T00:00:00.1Z", nil, absentValue}
	seedDays = []any{"2024-01-02", "2024-02-29", "2024-03-15", "2023-12-31", nil, absentValue}
	seedTags = []any{[]string{"go"}, []string{"Go", "db"}, []string{"db", "web", "GO"}, []string{},
		[]string{"naïve", "x%y"}, []string{"o'neil", `q"t`}, nil, absentValue}
	seedCities = []any{"Oslo", "oslo", "Bergen", "São Paulo", "", nil, absentValue, "noaddr"}
)

// absentValue, in a pool, leaves the key out of the data.
var absentValue = struct{}{}

// SearchOwners is how many owners the search fixture seeds; SearchItems
// how many items. Ids are sequential: owners first, then items, then
// tasks, so "id-000001" is the first owner.
const (
	SearchOwners = 6
	SearchItems  = 90
	SearchTasks  = 8
)

// SearchFixture is the same seeded data on several backends, with an
// independent model of it (the oracle) to check query results against.
type SearchFixture struct {
	Kinds    *SearchKinds
	Backends []*SearchBackend
	// Owners, Items and Tasks are the seeded ids in creation order.
	Owners, Items, Tasks []string
	// DeletedItems are the soft-deleted items.
	DeletedItems []string
	// rows models the items for the oracle.
	rows []*oracleRow
}

// SearchBackend is one backend of a fixture and its service.
type SearchBackend struct {
	Name    string
	Service *resource.Service
	Counter *CountingBackend
}

// NewSearchFixture opens every backend, migrates it and seeds the same
// data into each through a Service with the same clock, ids and subjects,
// so that every backend holds identical records. It fails tb when the
// backends disagree on any written envelope.
func NewSearchFixture(tb testing.TB, backends ...NamedBackend) *SearchFixture {
	tb.Helper()
	if len(backends) == 0 {
		tb.Fatal("NewSearchFixture: no backends")
	}
	f := &SearchFixture{Kinds: NewSearchKinds()}
	ctx := context.Background()
	var clocks []*Clock
	for _, nb := range backends {
		b := nb.Open(tb)
		if err := b.Migrate(ctx, f.Kinds.Schema); err != nil {
			tb.Fatalf("%s: Migrate: %v", nb.Name, err)
		}
		counter := NewCountingBackend(b)
		clock := NewClock(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
		clocks = append(clocks, clock)
		f.Backends = append(f.Backends, &SearchBackend{
			Name:    nb.Name,
			Counter: counter,
			Service: resource.NewService(counter, f.Kinds.Schema, resource.WithClock(clock.Now), resource.WithIDs(SeqIDs())),
		})
	}
	// write runs one write on every backend and checks they agree.
	write := func(what string, op func(svc *resource.Service) (*resource.Envelope, error)) *resource.Envelope {
		tb.Helper()
		var first *resource.Envelope
		for i, sb := range f.Backends {
			env, err := op(sb.Service)
			if err != nil {
				tb.Fatalf("%s: seed %s: %v", sb.Name, what, err)
			}
			if i == 0 {
				first = env
			} else if diff := cmp.Diff(first, env); diff != "" {
				tb.Fatalf("seed %s: %s and %s differ (-%s +%s):\n%s", what, f.Backends[0].Name, sb.Name, f.Backends[0].Name, sb.Name, diff)
			}
		}
		return first
	}
	tick := func(d time.Duration) {
		for _, c := range clocks {
			c.Add(d)
		}
	}
	subjects := []string{"alice", "bob", "Carol", "ALICE"}
	owners := []string{"Ann", "bo", "Cy", "Ann", "Dee", "Eve"}
	for i, name := range owners {
		data := mustJSON(tb, map[string]any{"name": name})
		env := write("owner", func(svc *resource.Service) (*resource.Envelope, error) {
			return svc.Create(resource.WithSubject(ctx, subjects[i%len(subjects)]), f.Kinds.Owner, data, resource.WriteOptions{})
		})
		f.Owners = append(f.Owners, env.Meta.ResourceID)
		tick(time.Second)
	}
	rng := rand.New(rand.NewPCG(3, 14))
	pick := func(pool []any) any { return pool[rng.IntN(len(pool))] }
	byID := make(map[string]*oracleRow)
	for i := range SearchItems {
		data := map[string]any{}
		set := func(key string, v any) {
			if v != absentValue {
				data[key] = v
			}
		}
		set("name", pick(seedNames))
		set("status", pick(seedStatus))
		set("views", pick(seedViews))
		set("score", pick(seedScores))
		set("active", pick(seedActive))
		set("at", pick(seedTimes))
		set("day", pick(seedDays))
		set("tags", pick(seedTags))
		switch city := pick(seedCities); city {
		case absentValue:
		case "noaddr":
			data["addr"] = nil
		default:
			data["addr"] = map[string]any{"city": city}
		}
		owners := append(slices.Clone(f.Owners), "", "")
		if o := owners[rng.IntN(len(owners))]; o != "" {
			data["owner"] = o
		} else if rng.IntN(2) == 0 {
			data["owner"] = nil
		}
		if rng.IntN(3) == 0 {
			data["helpers"] = []string{f.Owners[rng.IntN(len(f.Owners))], f.Owners[rng.IntN(len(f.Owners))]}
		}
		data["note"] = fmt.Sprintf("note %d", i)
		raw := mustJSON(tb, data)
		subject := subjects[rng.IntN(len(subjects))]
		env := write("item", func(svc *resource.Service) (*resource.Envelope, error) {
			return svc.Create(resource.WithSubject(ctx, subject), f.Kinds.Item, raw, resource.WriteOptions{})
		})
		f.Items = append(f.Items, env.Meta.ResourceID)
		row := &oracleRow{env: env, data: decodeData(tb, env.Data)}
		f.rows = append(f.rows, row)
		byID[env.Meta.ResourceID] = row
		// Equal created times for some items, so that sorts on them tie.
		if rng.IntN(4) != 0 {
			tick(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
	}
	// Tasks: even ones point at items deleted below (the delete cascades
	// to them), odd ones at live items, the last one at nothing.
	for i := range SearchTasks {
		data := map[string]any{"item": f.Items[i*9+4-4*(i%2)], "title": fmt.Sprintf("task %d", i)}
		if i == SearchTasks-1 {
			data["item"] = nil
		}
		raw := mustJSON(tb, data)
		env := write("task", func(svc *resource.Service) (*resource.Envelope, error) {
			return svc.Create(ctx, f.Kinds.Task, raw, resource.WriteOptions{})
		})
		f.Tasks = append(f.Tasks, env.Meta.ResourceID)
	}
	// Updates give later updated times and other updaters; deletes fill
	// deleted=only.
	for i, id := range f.Items {
		switch {
		case i%7 == 3:
			tick(time.Minute)
			row := byID[id]
			row.data["views"] = float64(i * 11 % 17)
			raw := mustJSON(tb, row.data)
			subject := subjects[(i+1)%len(subjects)]
			env := write("update", func(svc *resource.Service) (*resource.Envelope, error) {
				return svc.Update(resource.WithSubject(ctx, subject), f.Kinds.Item, id, raw, resource.WriteOptions{})
			})
			row.env, row.data = env, decodeData(tb, env.Data)
		case i%9 == 4:
			tick(time.Second)
			env := write("delete", func(svc *resource.Service) (*resource.Envelope, error) {
				return svc.Delete(ctx, f.Kinds.Item, id, resource.WriteOptions{})
			})
			byID[id].env = env
			f.DeletedItems = append(f.DeletedItems, id)
		}
	}
	return f
}

// mustJSON marshals v or fails tb.
func mustJSON(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// decodeData decodes a data object for the oracle (numbers as float64).
func decodeData(tb testing.TB, data json.RawMessage) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		tb.Fatal(err)
	}
	return m
}

// CountingBackend wraps a Backend and counts the reads of each kind made
// through it, so that tests can check how many storage calls a request
// costs.
type CountingBackend struct {
	resource.Backend
	mu    sync.Mutex
	calls map[string]int // "GetMany Owner" -> n
}

// NewCountingBackend wraps b.
func NewCountingBackend(b resource.Backend) *CountingBackend {
	return &CountingBackend{Backend: b, calls: make(map[string]int)}
}

// View counts the reads fn makes.
func (c *CountingBackend) View(ctx context.Context, fn func(resource.Reader) error) error {
	return c.Backend.View(ctx, func(r resource.Reader) error { return fn(countingReader{Reader: r, c: c}) })
}

// Calls returns the counts since the last Reset: "Get Owner", "GetMany
// Owner", "List Item", "Count Item" -> number of calls.
func (c *CountingBackend) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Reset sets every count to zero.
func (c *CountingBackend) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.calls)
}

// count records one call.
func (c *CountingBackend) count(op string, k *resource.Kind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[op+" "+k.Name]++
}

// countingReader counts the calls of a Reader.
type countingReader struct {
	resource.Reader
	c *CountingBackend
}

func (r countingReader) Get(k *resource.Kind, id string) (*resource.Record, error) {
	r.c.count("Get", k)
	return r.Reader.Get(k, id)
}

func (r countingReader) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	r.c.count("GetMany", k)
	return r.Reader.GetMany(k, ids)
}

func (r countingReader) List(k *resource.Kind, q *resource.Query) ([]*resource.Record, error) {
	r.c.count("List", k)
	return r.Reader.List(k, q)
}

func (r countingReader) Count(k *resource.Kind, q *resource.Query) (int, error) {
	r.c.count("Count", k)
	return r.Reader.Count(k, q)
}
