package resourcetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// RandomQuery builds a valid list query on the search fixture's items
// from arbitrary bytes: a filter of up to a few nested conditions with
// operators that apply to each field and values drawn from the seeded
// data (and near misses), a sort of up to three keys, a page size and
// sometimes an offset or a deletion mode. Fuzz targets feed it the
// fuzzer's input; every byte string gives some query.
func RandomQuery(seed []byte) resource.ListQuery {
	g := &queryGen{src: seed}
	q := resource.ListQuery{Limit: 1 + g.intn(7)}
	if g.intn(4) > 0 {
		q.Filter = g.expr(0)
	}
	sortable := []string{"name", "status", "views", "score", "active", "at", "day", "addr.city", "owner",
		"resource_id", "created_time", "updated_time", "created_by", "updated_by"}
	var keys []string
	for n := g.intn(4); n > 0; n-- {
		k := sortable[g.intn(len(sortable))]
		if strings.Contains(","+strings.Join(keys, ",")+",", ","+k+",") ||
			strings.Contains(","+strings.Join(keys, ",")+",", ",-"+k+",") {
			continue
		}
		if g.intn(2) == 0 {
			k = "-" + k
		}
		keys = append(keys, k)
	}
	q.Sort = strings.Join(keys, ",")
	switch g.intn(8) {
	case 0:
		q.OnlyDeleted = true
	case 1:
		q.IncludeDeleted = true
	case 2:
		q.Offset = g.intn(30)
	}
	return q
}

// queryGen draws choices from a byte string; past its end every choice
// is 0, so that generation always ends.
type queryGen struct {
	src []byte
	pos int
}

// intn returns a choice in [0, n).
func (g *queryGen) intn(n int) int {
	if g.pos >= len(g.src) || n <= 1 {
		g.pos++
		return 0
	}
	b := g.src[g.pos]
	g.pos++
	return int(b) % n
}

// genField is a field the generator filters on, with its operators and
// literal values.
type genField struct {
	name   string
	ops    []string
	values []string
}

var genFields = []genField{
	{"name", []string{"=", "!=", ">", ">=", "<", "<=", "~", "!~", "^="},
		[]string{`"Alpha"`, `"alpha"`, `"a"`, `"ÄL"`, `"beta"`, `""`, `"%"`, `"_"`, `"\\"`, `"'"`, `"Zed"`, `"gamma"`, `"日"`}},
	{"status", []string{"=", "!=", ">", "<=", "~", "^="}, []string{`"draft"`, `"published"`, `"archived"`, `"pub"`, `"D"`}},
	{"views", []string{"=", "!=", ">", ">=", "<", "<="}, []string{"0", "1", "3", "5", "13", "-7", "1099511627776", "100"}},
	{"score", []string{"=", "!=", ">", ">=", "<", "<="}, []string{"0.5", "1", "2.25", "-3.5", "1e10", "0", "3"}},
	{"active", []string{"=", "!="}, []string{"true", "false"}},
	{"at", []string{"=", "!=", ">", ">=", "<", "<="}, []string{`"2024-05-01T08:30:05Z"`, `"2024-05-01T08:30:05.5Z"`,
		`"2024-05-01T08:30:05.123456789Z"`, `"2024-05-01T10:30:05+02:00"`, `"2000-01-01T00:00:00Z"`}},
	{"day", []string{"=", "!=", ">", ">=", "<", "<="}, []string{`"2024-01-02"`, `"2024-02-29"`, `"2023-12-31"`, `"2024-03-01"`}},
	{"tags", []string{"=", "~"}, []string{`"go"`, `"GO"`, `"db"`, `"o"`, `"%"`, `""`, `"naïve"`}},
	{"addr.city", []string{"=", "!=", ">", "<", "~", "!~", "^="}, []string{`"Oslo"`, `"oslo"`, `"B"`, `""`, `"São Paulo"`, `"s"`}},
	{"owner", []string{"=", "!=", "<"}, []string{`"id-000001"`, `"id-000003"`, `"id-000006"`, `"x"`}},
	{"resource_id", []string{"=", "!=", ">", "<=", "^="}, []string{`"id-000050"`, `"id-00002"`, `"id-000007"`}},
	{"created_time", []string{"=", ">", ">=", "<", "<="}, []string{`"2025-06-01T12:00:30Z"`, `"2025-06-01T12:00:30.0000005Z"`,
		`"2025-06-01T12:01:00Z"`, `"2025-06-01T12:00:06Z"`}},
	{"updated_time", []string{">", "<=", "!="}, []string{`"2025-06-01T12:02:00Z"`, `"2025-06-01T12:00:10.5Z"`}},
	{"created_by", []string{"=", "!=", "~", "^="}, []string{`"alice"`, `"ALICE"`, `"bob"`, `"c"`}},
	{"updated_by", []string{"=", "~", ">"}, []string{`"alice"`, `"Carol"`, `"A"`}},
}

// expr generates a condition, nesting at most three levels.
func (g *queryGen) expr(depth int) string {
	choice := g.intn(10)
	if depth >= 3 {
		choice %= 6
	}
	switch choice {
	case 6, 7:
		return g.expr(depth+1) + " && " + g.expr(depth+1)
	case 8:
		return "(" + g.expr(depth+1) + " || " + g.expr(depth+1) + ")"
	case 9:
		return "!(" + g.expr(depth+1) + ")"
	}
	f := genFields[g.intn(len(genFields))]
	switch choice {
	case 4:
		if g.intn(2) == 0 {
			return f.name + " is null"
		}
		return f.name + " is not null"
	case 5:
		n := 1 + g.intn(3)
		vals := make([]string, n)
		for i := range vals {
			vals[i] = f.values[g.intn(len(f.values))]
		}
		return f.name + " in [" + strings.Join(vals, ", ") + "]"
	}
	return f.name + " " + f.ops[g.intn(len(f.ops))] + " " + f.values[g.intn(len(f.values))]
}

// SearchSeeds returns byte strings for a fuzz seed corpus of RandomQuery:
// a few hand-made ones and pseudo-random ones.
func SearchSeeds(n int) [][]byte {
	out := [][]byte{{}, {3, 1, 2}, {0, 9, 0, 6, 2, 1, 1, 3, 3, 7}}
	rng := rand.New(rand.NewPCG(7, 7))
	for range n {
		b := make([]byte, 8+rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		out = append(out, b)
	}
	return out
}

// testCursorConcurrentWrites pages through a sorted, filtered list while
// another goroutine inserts rows that sort before and after the cursor
// and deletes rows; no row may appear twice or out of order, and every
// row that existed when paging began and was not deleted must appear.
func testCursorConcurrentWrites(t *testing.T, nb NamedBackend) {
	b := nb.Open(t)
	kinds := NewSearchKinds()
	ctx := context.Background()
	if err := b.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(b, kinds.Schema)
	item := func(views int, name string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"views":%d,"name":%q}`, views, name))
	}
	var before []string
	for i := range 60 {
		env, err := svc.Create(ctx, kinds.Item, item(i%10, "n"+strconv.Itoa(i%7)), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		before = append(before, env.Meta.ResourceID)
	}
	var mu sync.Mutex
	deleted := make(map[string]bool)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := svc.Create(ctx, kinds.Item, item(i%12, "w"+strconv.Itoa(i)), resource.WriteOptions{}); err != nil {
				t.Error(err)
				return
			}
			if i%5 == 0 {
				id := before[(i*7)%len(before)]
				mu.Lock()
				already := deleted[id]
				deleted[id] = true
				mu.Unlock()
				if !already {
					if _, err := svc.Delete(ctx, kinds.Item, id, resource.WriteOptions{}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}
	}()
	seen := make(map[string]bool)
	type key struct {
		views int64
		name  string
		id    string
	}
	var prev *key
	q := resource.ListQuery{Filter: `views >= 2`, Sort: `-views,name`, Limit: 4}
	for pages := 0; pages < 500; pages++ {
		page, err := svc.List(ctx, kinds.Item, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, env := range page.Items {
			var d struct {
				Views int64  `json:"views"`
				Name  string `json:"name"`
			}
			if err := json.Unmarshal(env.Data, &d); err != nil {
				t.Fatal(err)
			}
			k := key{d.Views, d.Name, env.Meta.ResourceID}
			if seen[k.id] {
				t.Fatalf("page %d: %s listed twice", pages, k.id)
			}
			if prev != nil && (k.views > prev.views || (k.views == prev.views && (k.name < prev.name || (k.name == prev.name && k.id < prev.id)))) {
				t.Fatalf("page %d: %+v listed after %+v: out of order", pages, k, *prev)
			}
			seen[k.id], prev = true, &k
		}
		if page.NextCursor == nil {
			break
		}
		q.Cursor = *page.NextCursor
	}
	close(stop)
	wg.Wait()
	for i, id := range before {
		if i%10 >= 2 && !deleted[id] && !seen[id] {
			t.Fatalf("%s (views %d), there before paging began and never deleted, was skipped", id, i%10)
		}
	}
}
