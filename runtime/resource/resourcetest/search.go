package resourcetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// RunSearch runs the search suite: the filter language, sorting, keyset
// and offset paging, counts, projection and expansion. Every case of the
// differential table runs on every backend, on the same seeded data, and
// must give exactly the answer of an independent brute-force evaluator;
// so backends also agree with each other. Pass several backends (memory
// and SQLite, later PostgreSQL) to compare them in one run.
func RunSearch(t *testing.T, backends ...NamedBackend) {
	f := NewSearchFixture(t, backends...)
	t.Run("differential", f.RunCases)
	t.Run("projection", func(t *testing.T) { testProjection(t, f) })
	t.Run("expansion", func(t *testing.T) { testExpansion(t, f) })
	t.Run("expansion costs one call per ref field", func(t *testing.T) { testExpansionCalls(t, f) })
	t.Run("bad queries", func(t *testing.T) { testBadQueries(t, f) })
	t.Run("cursor of another query", func(t *testing.T) { testForeignCursor(t, f) })
	t.Run("item cursors", func(t *testing.T) { testItemCursors(t, f) })
	for _, nb := range backends {
		t.Run("cursor under concurrent writes/"+nb.Name, func(t *testing.T) { testCursorConcurrentWrites(t, nb) })
	}
}

// RunCases runs the differential table on the fixture: each case is a
// subtest calling Check.
func (f *SearchFixture) RunCases(t *testing.T) {
	for _, tt := range searchCases(f) {
		t.Run(tt.name, func(t *testing.T) { f.Check(t, tt.q) })
	}
}

// searchCase is one query of the differential table.
type searchCase struct {
	name string
	q    resource.ListQuery
}

// searchCases is the differential table: every operator on every field
// type, nulls, lists, nested and meta fields, boolean combinations,
// multi-key sorts with nulls and ties, paging, offsets and deletion modes.
func searchCases(f *SearchFixture) []searchCase {
	owner := f.Owners[0]
	item := f.Items[30]
	q := func(filter, sort string, limit int) resource.ListQuery {
		return resource.ListQuery{Filter: filter, Sort: sort, Limit: limit}
	}
	return []searchCase{
		// Strings: every operator, bytewise order, ASCII-only case folding,
		// metacharacters of SQL and LIKE.
		{"all in id order", q(``, ``, 7)},
		{"string =", q(`name = "Alpha"`, ``, 5)},
		{"string !=", q(`name != "Alpha"`, `name`, 9)},
		{"string >", q(`name > "beta"`, `name,-views`, 6)},
		{"string >=", q(`name >= "Beta Ray"`, `-name`, 4)},
		{"string <", q(`name < "a"`, `name`, 5)},
		{"string <=", q(`name <= "alpha"`, ``, 0)},
		{"contains folds ASCII", q(`name ~ "ALP"`, `name`, 3)},
		{"contains keeps non-ASCII case", q(`name ~ "äl"`, ``, 0)},
		{"contains non-ASCII exact", q(`name ~ "ÄL"`, ``, 0)},
		{"not contains", q(`name !~ "a"`, `name`, 8)},
		{"prefix", q(`name ^= "Al"`, ``, 0)},
		{"prefix is case-sensitive", q(`name ^= "al"`, ``, 0)},
		{"empty prefix", q(`name ^= ""`, `-name`, 11)},
		{"empty string", q(`name = ""`, ``, 0)},
		{"contains percent", q(`name ~ "%"`, ``, 0)},
		{"contains underscore", q(`name ~ "_"`, ``, 0)},
		{"contains backslash", q(`name ~ "\\"`, ``, 0)},
		{"contains quote", q(`name ~ "'"`, ``, 0)},
		{"contains double quote", q(`name ~ "\""`, ``, 0)},
		{"injection literal", q(`name = "'; DROP TABLE item; --"`, ``, 0)},
		{"prefix of injection", q(`name ^= "'; DROP"`, ``, 0)},
		{"unicode equality", q(`name in ["日本語", "ünïcödé", "nope"]`, `name`, 2)},
		{"string in", q(`name in ["Alpha", "beta", "a%b"]`, `-name,views`, 3)},
		{"string is null", q(`name is null`, ``, 0)},
		{"string is not null", q(`name is not null`, `name,-resource_id`, 13)},
		// Ints.
		{"int =", q(`views = 3`, ``, 0)},
		{"int !=", q(`views != 3`, `views`, 12)},
		{"int >", q(`views > 10`, `-views`, 5)},
		{"int >=", q(`views >= 13`, `views,name`, 4)},
		{"int <", q(`views < 0`, ``, 0)},
		{"int <=", q(`views <= 2`, `-views,-name`, 6)},
		{"int in", q(`views in [1, 2, 3, 1099511627776]`, `views`, 4)},
		{"int is null", q(`views is null`, `name`, 0)},
		// Floats, including integral values stored as JSON integers.
		{"float = integral", q(`score = 1`, ``, 0)},
		{"float >", q(`score > 1`, `score`, 5)},
		{"float <=", q(`score <= -3.5`, ``, 0)},
		{"float in", q(`score in [0.5, 2.25, 3]`, `-score`, 4)},
		{"float !=", q(`score != 0.5`, `score,name`, 9)},
		{"float exponent", q(`score >= 1e9`, ``, 0)},
		// Bools.
		{"bool = true", q(`active = true`, ``, 0)},
		{"bool != true", q(`active != true`, `active,-views`, 7)},
		{"bool = false", q(`active = false`, ``, 0)},
		{"bool is null", q(`active is null`, ``, 0)},
		{"bool in", q(`active in [false]`, ``, 0)},
		// Datetimes: fractional digits must not break the order.
		{"datetime > whole second", q(`at > "2024-05-01T08:30:05Z"`, `at`, 4)},
		{"datetime >= fraction", q(`at >= "2024-05-01T08:30:05.5Z"`, `-at`, 3)},
		{"datetime < nanosecond", q(`at < "2024-05-01T08:30:05.000000001Z"`, `at,name`, 5)},
		{"datetime = other spelling", q(`at = "2024-05-01T08:30:05.500Z"`, ``, 0)},
		{"datetime = offset", q(`at = "2024-05-01T10:30:05.12+02:00"`, ``, 0)},
		{"datetime in", q(`at in ["2024-05-01T08:30:05Z", "1999-12-31T23:59:59.000Z"]`, ``, 0)},
		{"datetime is null", q(`at is null`, ``, 0)},
		{"datetime !=", q(`at != "2024-05-01T08:30:05.123456789Z"`, `-at,views`, 6)},
		// Dates.
		{"date =", q(`day = "2024-01-02"`, ``, 0)},
		{"date >", q(`day > "2024-02-01"`, `day`, 5)},
		{"date <=", q(`day <= "2024-02-29"`, `-day,name`, 7)},
		{"date in", q(`day in ["2023-12-31", "2024-03-15"]`, ``, 0)},
		{"date is not null", q(`day is not null`, `day,at`, 9)},
		// Lists: "=" and "~" test elements; null lists never match.
		{"list =", q(`tags = "go"`, ``, 0)},
		{"list = other case", q(`tags = "GO"`, ``, 0)},
		{"list contains", q(`tags ~ "O"`, `name`, 4)},
		{"list in", q(`tags in ["db", "x%y"]`, ``, 0)},
		{"list is null", q(`tags is null`, ``, 0)},
		{"list is not null", q(`tags is not null`, `-views`, 10)},
		{"not list =", q(`!(tags = "go")`, ``, 0)},
		{"not list contains", q(`!(tags ~ "o")`, `name`, 6)},
		{"list with quotes", q(`tags in ["o'neil", "q\"t"]`, ``, 0)},
		// Nested fields.
		{"nested =", q(`addr.city = "Oslo"`, ``, 0)},
		{"nested contains", q(`addr.city ~ "O"`, `addr.city,-name`, 5)},
		{"nested is null", q(`addr.city is null`, `addr.city`, 0)},
		{"nested prefix", q(`addr.city ^= "S"`, ``, 0)},
		{"nested sort", q(``, `-addr.city,name`, 8)},
		// Refs.
		{"ref =", q(fmt.Sprintf(`owner = %q`, owner), ``, 0)},
		{"ref in", q(fmt.Sprintf(`owner in [%q, %q]`, f.Owners[1], f.Owners[2]), `owner,-views`, 5)},
		{"ref is null", q(`owner is null`, ``, 0)},
		// Meta fields.
		{"resource_id >", q(fmt.Sprintf(`resource_id > %q`, item), ``, 9)},
		{"resource_id in", q(fmt.Sprintf(`resource_id in [%q, %q, "nope"]`, item, f.Items[3]), ``, 0)},
		{"resource_id prefix", q(`resource_id ^= "id-00005"`, `-resource_id`, 3)},
		{"created_time >=", q(`created_time >= "2025-06-01T12:01:00Z"`, `created_time`, 7)},
		{"created_time sub-microsecond", q(`created_time > "2025-06-01T12:00:30.0000005Z"`, `-created_time`, 6)},
		{"created_time = sub-microsecond", q(`created_time = "2025-06-01T12:00:30.0000005Z"`, ``, 0)},
		{"updated_time <", q(`updated_time < "2025-06-01T12:02:00Z"`, `-updated_time,name`, 8)},
		{"created_by =", q(`created_by = "bob"`, ``, 0)},
		{"updated_by contains", q(`updated_by ~ "AL"`, `updated_by,-updated_time`, 5)},
		// Combinations and three-valued logic.
		{"and", q(`status = "published" && views >= 5`, `-views`, 3)},
		{"or with null", q(`status in ["draft", "archived"] || status is null`, `status`, 9)},
		{"not excludes nulls", q(`!(status = "published")`, ``, 0)},
		{"not of or", q(`!(views > 5 || active = true)`, `name`, 5)},
		{"nested boolean", q(`(status = "draft" || views > 15) && !(name is null)`, `-score`, 4)},
		{"double negation", q(`!(!(active = true))`, ``, 0)},
		{"empty range", q(`views > 3 && views < 3`, ``, 0)},
		{"mixed fields", q(`name ~ "a" && (tags = "go" || addr.city = "Oslo") && at is not null`, ``, 0)},
		{"or of ands", q(`(views > 2 && score < 2) || (active = false && day is null)`, `-day,views`, 4)},
		{"negated unknown", q(`!(score > 1 && name ~ "a")`, ``, 0)},
		// Sorts with nulls and ties, paged one row at a time.
		{"sort int asc", q(``, `views`, 6)},
		{"sort int desc", q(``, `-views`, 6)},
		{"sort two keys", q(``, `name,-views`, 5)},
		{"sort datetime desc", q(``, `-at`, 4)},
		{"sort datetime asc", q(``, `at`, 4)},
		{"sort float then id desc", q(``, `score,-resource_id`, 7)},
		{"sort three keys", q(``, `active,-day,name`, 3)},
		{"sort created_time desc", q(``, `-created_time`, 8)},
		{"sort meta keys", q(``, `updated_by,-updated_time`, 6)},
		{"sort resource_id desc", q(``, `-resource_id`, 10)},
		{"sort four keys pages of one", q(``, `status,views,score,at`, 1)},
		{"sort status desc pages of two", q(`views is not null`, `-status,-views`, 2)},
		{"equality sorted on another field", q(`status = "published"`, `-views`, 2)},
		{"equality and range sorted", q(`status = "published" && views >= 2`, `views,name`, 1)},
		{"in sorted on another field", q(`active in [true]`, `-at`, 3)},
		// Offsets and deletion modes.
		{"offset", resource.ListQuery{Sort: `-views`, Limit: 4, Offset: 5}},
		{"offset with filter", resource.ListQuery{Filter: `name is not null`, Sort: `name`, Limit: 3, Offset: 10}},
		{"offset past the end", resource.ListQuery{Limit: 5, Offset: 1000}},
		{"deleted only", resource.ListQuery{OnlyDeleted: true, Limit: 3}},
		{"deleted only sorted", resource.ListQuery{OnlyDeleted: true, Sort: `-views`, Limit: 2}},
		{"include deleted with filter", resource.ListQuery{IncludeDeleted: true, Filter: `views >= 3`, Sort: `views`, Limit: 7}},
		{"deleted only with filter", resource.ListQuery{OnlyDeleted: true, Filter: `status is not null`}},
	}
}

// Check runs q on every backend: every page through the cursor (with
// count=true), Count, and the offset page when q.Offset is set. It fails
// tb unless each answer equals the oracle's. A query the oracle cannot
// parse must be a 400 on every backend.
func (f *SearchFixture) Check(tb testing.TB, q resource.ListQuery) {
	tb.Helper()
	want, err := f.Answer(q)
	ctx := context.Background()
	k := f.Kinds.Item
	if err != nil {
		for _, b := range f.Backends {
			if _, lerr := b.Service.List(ctx, k, q); resource.CodeOf(lerr) != resource.CodeBadRequest {
				tb.Fatalf("%s: List(%+v) = %v, want a 400 like the oracle's %v", b.Name, q, lerr, err)
			}
		}
		return
	}
	limit := q.Limit
	if limit == 0 {
		limit = resource.DefaultLimit
	}
	envs := make(map[string]*resource.Envelope, len(f.rows))
	for _, r := range f.rows {
		envs[r.env.Meta.ResourceID] = r.env
	}
	for _, b := range f.Backends {
		walk := q
		walk.Offset, walk.Cursor, walk.Count = 0, "", true
		var got []string
		for pages := 0; ; pages++ {
			if pages > len(want)+1 {
				tb.Fatalf("%s: %+v: paging does not end", b.Name, q)
			}
			page, err := b.Service.List(ctx, k, walk)
			if err != nil {
				tb.Fatalf("%s: List(%+v): %v", b.Name, walk, err)
			}
			if page.Total == nil || *page.Total != len(want) {
				tb.Fatalf("%s: %+v: total %v, want %d", b.Name, q, page.Total, len(want))
			}
			if len(page.Items) > limit || (page.NextCursor != nil && len(page.Items) != limit) {
				tb.Fatalf("%s: %+v: page of %d items (limit %d, next cursor %v)", b.Name, q, len(page.Items), limit, page.NextCursor != nil)
			}
			for _, env := range page.Items {
				id := env.Meta.ResourceID
				got = append(got, id)
				if diff := cmp.Diff(envs[id], env); diff != "" {
					tb.Fatalf("%s: %+v: item %s differs from what was written (-want +got):\n%s", b.Name, q, id, diff)
				}
			}
			if page.NextCursor == nil {
				break
			}
			walk.Cursor = *page.NextCursor
		}
		if !slices.Equal(got, want) {
			tb.Fatalf("%s: %+v:\n got %v\nwant %v", b.Name, q, got, want)
		}
		n, err := b.Service.Count(ctx, k, q)
		if err != nil || n != len(want) {
			tb.Fatalf("%s: Count(%+v) = %d, %v; want %d", b.Name, q, n, err, len(want))
		}
		if q.Offset > 0 {
			page, err := b.Service.List(ctx, k, q)
			if err != nil {
				tb.Fatalf("%s: List(%+v): %v", b.Name, q, err)
			}
			lo := min(q.Offset, len(want))
			wantPage := want[lo:min(lo+limit, len(want))]
			if ids := pageIDs(page); !slices.Equal(ids, wantPage) {
				tb.Fatalf("%s: %+v: offset page %v, want %v", b.Name, q, ids, wantPage)
			}
		}
	}
}

// Answer returns the oracle's answer to q on the fixture's items: the ids
// of every matching item in order (ignoring paging), or the error of a
// filter or sort that does not parse or check.
func (f *SearchFixture) Answer(q resource.ListQuery) ([]string, error) {
	fields := searchFields(f.Kinds.Item)
	e, err := filter.Parse(q.Filter)
	if err == nil {
		err = filter.Check(e, fields)
	}
	if err != nil {
		return nil, err
	}
	keys, err := filter.ParseSort(q.Sort, fields)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(keys, func(k filter.SortKey) bool { return k.Field.Name == "resource_id" })
	if i >= 0 {
		keys = keys[:i+1]
	} else {
		keys = append(keys, filter.SortKey{Field: filter.FieldInfo{Name: "resource_id", Type: filter.String, Meta: true}})
	}
	return answer(f.rows, oracleQuery{filter: e, sort: keys, includeDeleted: q.IncludeDeleted, onlyDeleted: q.OnlyDeleted}), nil
}

// pageIDs returns the resource ids of a page.
func pageIDs(p *resource.Page) []string {
	ids := make([]string, len(p.Items))
	for i, env := range p.Items {
		ids[i] = env.Meta.ResourceID
	}
	return ids
}

func testProjection(t *testing.T, f *SearchFixture) {
	ctx := context.Background()
	for _, b := range f.Backends {
		full, err := b.Service.List(ctx, f.Kinds.Item, resource.ListQuery{Limit: 30})
		if err != nil {
			t.Fatal(err)
		}
		page, err := b.Service.List(ctx, f.Kinds.Item, resource.ListQuery{Limit: 30, Fields: []string{"views", "name", "addr", "views"}})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		for i, env := range page.Items {
			var want strings.Builder
			want.WriteByte('{')
			// json.Marshal of a map sorts keys: addr, name, views.
			for _, key := range []string{"addr", "name", "views"} {
				raw, ok, err := resource.Lookup(full.Items[i].Data, key)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					if want.Len() > 1 {
						want.WriteByte(',')
					}
					fmt.Fprintf(&want, "%q:%s", key, raw)
				}
			}
			want.WriteByte('}')
			if string(env.Data) != want.String() {
				t.Fatalf("%s: projected data %s, want %s", b.Name, env.Data, want.String())
			}
			if !cmp.Equal(env.Meta, full.Items[i].Meta) || !cmp.Equal(env.RevisionInfo, full.Items[i].RevisionInfo) {
				t.Fatalf("%s: projection changed meta or revision info", b.Name)
			}
		}
	}
}

func testExpansion(t *testing.T, f *SearchFixture) {
	ctx := context.Background()
	for _, b := range f.Backends {
		svc := b.Service
		get := func(k *resource.Kind, id string) *resource.Envelope {
			env, err := svc.Get(ctx, k, id, resource.ReadOptions{IncludeDeleted: true})
			if err != nil {
				t.Fatal(err)
			}
			return env
		}
		page, err := svc.List(ctx, f.Kinds.Item, resource.ListQuery{Limit: 40, Expand: []string{"owner", "helpers"}, Fields: []string{"name"}})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		for _, env := range page.Items {
			full := get(f.Kinds.Item, env.Meta.ResourceID)
			ownerRaw, _, _ := resource.Lookup(full.Data, "owner")
			gotOwner, ok := env.Expand["owner"].(*resource.Envelope)
			if !ok {
				t.Fatalf("%s: expand.owner is %T, want *resource.Envelope", b.Name, env.Expand["owner"])
			}
			var ownerID string
			if len(ownerRaw) > 0 && string(ownerRaw) != "null" {
				ownerID = strings.Trim(string(ownerRaw), `"`)
			}
			switch {
			case ownerID == "" && gotOwner != nil:
				t.Fatalf("%s: item %s without owner expands to %v", b.Name, env.Meta.ResourceID, gotOwner)
			case ownerID != "" && (gotOwner == nil || gotOwner.Meta.ResourceID != ownerID):
				t.Fatalf("%s: item %s: expand.owner %v, want %s", b.Name, env.Meta.ResourceID, gotOwner, ownerID)
			case ownerID != "":
				if diff := cmp.Diff(get(f.Kinds.Owner, ownerID), gotOwner); diff != "" {
					t.Fatalf("%s: expanded owner differs from a read (-want +got):\n%s", b.Name, diff)
				}
			}
			helpers, ok := env.Expand["helpers"].([]*resource.Envelope)
			if !ok {
				t.Fatalf("%s: expand.helpers is %T, want []*resource.Envelope", b.Name, env.Expand["helpers"])
			}
			helpersRaw, _, _ := resource.Lookup(full.Data, "helpers")
			wantN := strings.Count(string(helpersRaw), `"`) / 2
			if len(helpers) != wantN {
				t.Fatalf("%s: item %s: %d helpers expanded, want %d (%s)", b.Name, env.Meta.ResourceID, len(helpers), wantN, helpersRaw)
			}
		}

		// Two levels, on deleted tasks too: the items of the even tasks
		// were deleted (and cascaded to them), so they expand to null.
		page, err = svc.List(ctx, f.Kinds.Task, resource.ListQuery{IncludeDeleted: true, Expand: []string{"item.owner"}})
		if err != nil {
			t.Fatalf("%s: %v", b.Name, err)
		}
		if len(page.Items) != SearchTasks {
			t.Fatalf("%s: %d tasks, want %d", b.Name, len(page.Items), SearchTasks)
		}
		for i, task := range page.Items {
			item, _ := task.Expand["item"].(*resource.Envelope)
			switch {
			case i == SearchTasks-1 || i%2 == 0:
				if item != nil {
					t.Fatalf("%s: task %d: expand.item = %s, want null (no ref, or a deleted item)", b.Name, i, item.Meta.ResourceID)
				}
				continue
			case item == nil:
				t.Fatalf("%s: task %d: expand.item is null, want the item", b.Name, i)
			}
			ownerRaw, _, _ := resource.Lookup(item.Data, "owner")
			owner, ok := item.Expand["owner"].(*resource.Envelope)
			if !ok {
				t.Fatalf("%s: task %d: item.expand.owner is %T", b.Name, i, item.Expand["owner"])
			}
			if (owner == nil) != (len(ownerRaw) == 0 || string(ownerRaw) == "null") {
				t.Fatalf("%s: task %d: item owner %s expanded to %v", b.Name, i, ownerRaw, owner)
			}
		}
	}
}

func testExpansionCalls(t *testing.T, f *SearchFixture) {
	ctx := context.Background()
	for _, b := range f.Backends {
		tests := []struct {
			name string
			k    *resource.Kind
			q    resource.ListQuery
			want map[string]int
		}{
			{name: "no expansion", k: f.Kinds.Item, q: resource.ListQuery{Limit: 50},
				want: map[string]int{"List Item": 1}},
			{name: "two ref fields", k: f.Kinds.Item, q: resource.ListQuery{Limit: 50, Expand: []string{"owner", "helpers", "owner"}},
				want: map[string]int{"List Item": 1, "GetMany Owner": 2}},
			{name: "two levels", k: f.Kinds.Task, q: resource.ListQuery{Expand: []string{"item.owner"}, Count: true},
				want: map[string]int{"List Task": 1, "Count Task": 1, "GetMany Item": 1, "GetMany Owner": 1}},
			{name: "first level named too", k: f.Kinds.Task, q: resource.ListQuery{Expand: []string{"item", "item.owner", "item.owner"}},
				want: map[string]int{"List Task": 1, "GetMany Item": 1, "GetMany Owner": 1}},
			{name: "nothing to expand", k: f.Kinds.Task, q: resource.ListQuery{Filter: `resource_id = "nope"`, Expand: []string{"item.owner"}},
				want: map[string]int{"List Task": 1}},
		}
		for _, tt := range tests {
			b.Counter.Reset()
			if _, err := b.Service.List(ctx, tt.k, tt.q); err != nil {
				t.Fatalf("%s: %s: %v", b.Name, tt.name, err)
			}
			if diff := cmp.Diff(tt.want, b.Counter.Calls()); diff != "" {
				t.Fatalf("%s: %s: backend calls (-want +got):\n%s", b.Name, tt.name, diff)
			}
		}
	}
}

func testBadQueries(t *testing.T, f *SearchFixture) {
	ctx := context.Background()
	tests := []struct {
		name  string
		q     resource.ListQuery
		field string   // errors[].field
		parts []string // in the detail
	}{
		{name: "unknown field", q: resource.ListQuery{Filter: `views > 1 && nmae = "x"`},
			field: "filter", parts: []string{"position 14", "nmae", `"name"`, "filterable fields: name, status"}},
		{name: "not indexed", q: resource.ListQuery{Filter: `note = "x"`},
			field: "filter", parts: []string{"position 1", "note", "resource_id"}},
		{name: "syntax", q: resource.ListQuery{Filter: `views >`},
			field: "filter", parts: []string{"position", "filterable fields: name"}},
		{name: "wrong type", q: resource.ListQuery{Filter: `views = "3"`},
			field: "filter", parts: []string{"position 9", "views"}},
		{name: "unknown sort field", q: resource.ListQuery{Sort: `-veiws`},
			field: "sort", parts: []string{"position 2", "veiws", "sortable fields"}},
		{name: "list sort", q: resource.ListQuery{Sort: `tags`},
			field: "sort", parts: []string{"tags", "sortable fields"}},
		{name: "unknown projection", q: resource.ListQuery{Fields: []string{"name", "nope"}},
			field: "fields", parts: []string{"nope", "data fields: name, status"}},
		{name: "expand non-ref", q: resource.ListQuery{Expand: []string{"name"}},
			field: "expand", parts: []string{"name", "reference fields: owner, helpers"}},
		{name: "expand three levels", q: resource.ListQuery{Expand: []string{"owner.a.b"}},
			field: "expand", parts: []string{"owner.a.b", "at most 2"}},
		{name: "expand unknown second level", q: resource.ListQuery{Expand: []string{"owner.boss"}},
			field: "expand", parts: []string{"boss", "owner has no reference fields"}},
		{name: "bad cursor", q: resource.ListQuery{Cursor: "not-a-cursor"}, field: "cursor"},
	}
	for _, b := range f.Backends {
		for _, tt := range tests {
			for _, op := range []string{"list", "count"} {
				var err error
				if op == "list" {
					_, err = b.Service.List(ctx, f.Kinds.Item, tt.q)
				} else {
					_, err = b.Service.Count(ctx, f.Kinds.Item, tt.q)
				}
				var e *resource.Error
				if !errors.As(err, &e) || e.Code != resource.CodeBadRequest {
					t.Fatalf("%s: %s: %s: error %v, want a 400", b.Name, tt.name, op, err)
				}
				if len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
					t.Fatalf("%s: %s: %s: fields %+v, want %q", b.Name, tt.name, op, e.Fields, tt.field)
				}
				for _, p := range tt.parts {
					if !strings.Contains(e.Detail, p) {
						t.Fatalf("%s: %s: %s: detail %q does not contain %q", b.Name, tt.name, op, e.Detail, p)
					}
				}
			}
		}
	}
}

func testForeignCursor(t *testing.T, f *SearchFixture) {
	ctx := context.Background()
	for _, b := range f.Backends {
		base := resource.ListQuery{Filter: `views >= 1`, Sort: `-views`, Limit: 3}
		page, err := b.Service.List(ctx, f.Kinds.Item, base)
		if err != nil || page.NextCursor == nil {
			t.Fatalf("%s: first page: %v, %v", b.Name, page, err)
		}
		others := []resource.ListQuery{
			{Filter: `views >= 2`, Sort: `-views`},
			{Filter: `views >= 1`, Sort: `views`},
			{Filter: `views >= 1`},
			{Filter: `views >= 1`, Sort: `-views`, OnlyDeleted: true},
		}
		for _, q := range others {
			q.Cursor = *page.NextCursor
			if _, err := b.Service.List(ctx, f.Kinds.Item, q); resource.CodeOf(err) != resource.CodeBadRequest {
				t.Fatalf("%s: cursor of %+v used with %+v: %v, want a 400", b.Name, base, q, err)
			}
		}
		// The same query written differently is the same query.
		same := resource.ListQuery{Filter: ` views>=1 `, Sort: ` -views , resource_id`, Limit: 3, Cursor: *page.NextCursor}
		if _, err := b.Service.List(ctx, f.Kinds.Item, same); err != nil {
			t.Fatalf("%s: cursor with the same query respelled: %v", b.Name, err)
		}
	}
}

func testItemCursors(t *testing.T, f *SearchFixture) {
	ctx := context.Background()
	for _, b := range f.Backends {
		q := resource.ListQuery{Filter: `views is not null`, Sort: `-score,name`, Limit: 6}
		page, err := b.Service.List(ctx, f.Kinds.Item, q)
		if err != nil || page.NextCursor == nil {
			t.Fatalf("%s: %v, %v", b.Name, page, err)
		}
		if got := page.Cursor(len(page.Items) - 1); got != *page.NextCursor {
			t.Fatalf("%s: cursor of the last item %q, want next_cursor %q", b.Name, got, *page.NextCursor)
		}
		for i := range page.Items[:len(page.Items)-1] {
			q.Cursor, q.Limit = page.Cursor(i), 1
			next, err := b.Service.List(ctx, f.Kinds.Item, q)
			if err != nil {
				t.Fatalf("%s: after item %d: %v", b.Name, i, err)
			}
			if len(next.Items) != 1 || next.Items[0].Meta.ResourceID != page.Items[i+1].Meta.ResourceID {
				t.Fatalf("%s: after item %d: %v, want %s", b.Name, i, pageIDs(next), page.Items[i+1].Meta.ResourceID)
			}
		}
		if got := page.Cursor(len(page.Items)); got != "" {
			t.Fatalf("%s: cursor out of range = %q, want \"\"", b.Name, got)
		}
	}
}
