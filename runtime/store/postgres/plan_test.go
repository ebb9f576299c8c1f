package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// planItems is how many items TestPlans loads: enough for the planner
// to prefer an index to a scan whenever one serves the query.
const planItems = 20000

// seedPlanItems fills the item table of the search schema with planItems
// rows (one in a hundred deleted) straight through SQL, and analyzes it.
func seedPlanItems(t *testing.T, s *Store, ks *kindSQL) {
	t.Helper()
	ctx := context.Background()
	_, err := s.pool.Exec(ctx, `INSERT INTO `+ks.table+` (`+recordColumns+`)
	SELECT 'id-' || lpad(i::text, 8, '0'), 'id-' || lpad(i::text, 8, '0') || ':1', 1, 1,
		timestamptz '2025-01-01 00:00:00Z' + i * interval '1 second', 'alice',
		timestamptz '2025-01-01 00:00:00Z' + i * interval '1 second', 'alice', i % 100 = 0,
		'id-' || lpad(i::text, 8, '0') || ':1', 1, NULL, 'stable', 'sha256:x', 1,
		timestamptz '2025-01-01 00:00:00Z', 'alice', timestamptz '2025-01-01 00:00:00Z', 'alice',
		json_build_object(
			'name', 'name ' || (i % 5000),
			'status', (ARRAY['draft', 'published', 'archived'])[i % 3 + 1],
			'views', CASE WHEN i % 50 = 0 THEN NULL ELSE i % 1000 END,
			'score', (i % 777) / 7.0,
			'active', i % 2 = 0,
			'at', to_char(timestamp '2024-01-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS') ||
				CASE WHEN i % 3 = 0 THEN '.5Z' ELSE 'Z' END,
			'day', to_char(date '2020-01-01' + i % 2000, 'YYYY-MM-DD'),
			'tags', json_build_array('t' || (i % 500), 'u' || (i % 37)),
			'addr', json_build_object('city', 'city ' || (i % 400)),
			'owner', 'owner-' || (i % 400),
			'helpers', json_build_array('owner-' || (i % 300)))
	FROM generate_series(1, $1::int) AS i`, planItems)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE `+ks.table); err != nil {
		t.Fatal(err)
	}
}

// planFields are the filterable fields of the search suite's items, as
// the Service builds them: indexed data fields and meta fields.
func planFields(k *resource.Kind) []filter.FieldInfo {
	var out []filter.FieldInfo
	for _, f := range k.Fields {
		if f.Indexed {
			out = append(out, filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List})
		}
	}
	return append(out,
		filter.FieldInfo{Name: resource.FieldResourceID, Type: filter.String, Meta: true},
		filter.FieldInfo{Name: resource.FieldCreatedTime, Type: filter.DateTime, Meta: true},
		filter.FieldInfo{Name: resource.FieldUpdatedTime, Type: filter.DateTime, Meta: true},
		filter.FieldInfo{Name: resource.FieldCreatedBy, Type: filter.String, Meta: true},
		filter.FieldInfo{Name: resource.FieldUpdatedBy, Type: filter.String, Meta: true},
	)
}

// TestPlans checks with EXPLAIN that filtered and sorted lists, keyset
// pages, counts and Referrers use the indexes Migrate creates: the
// expressions of the queries must be those of the indexes, character for
// character, and the NULLS order of the sorts that of the indexes.
func TestPlans(t *testing.T) {
	u := pgtest.URL(t)
	s, err := Open(context.Background(), u, WithSchema(pgtest.Schema(t, u)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kinds := resourcetest.NewSearchKinds()
	if err := s.Migrate(context.Background(), kinds.Schema); err != nil {
		t.Fatal(err)
	}
	ks, err := s.kind(kinds.Item)
	if err != nil {
		t.Fatal(err)
	}
	seedPlanItems(t, s, ks)
	fields := planFields(kinds.Item)

	tests := []struct {
		name    string
		filter  string
		sort    string
		after   []any
		deleted bool // deleted=only
		count   bool
		index   string // in the plan
	}{
		{name: "int range sorted", filter: `views >= 990`, sort: `views`, index: "ix_item_views"},
		{name: "int sort descending from a cursor", sort: `-views`, after: []any{int64(500), "id-00010000"}, index: "ix_item_views"},
		{name: "int sort ascending from a cursor", sort: `views`, after: []any{int64(500), "id-00010000"}, index: "ix_item_views"},
		{name: "string equality sorted", filter: `name = "name 42"`, sort: `name`, index: "ix_item_name"},
		{name: "string prefix", filter: `name ^= "name 421"`, index: "ix_item_name"},
		{name: "string in", filter: `name in ["name 1", "name 2"]`, index: "ix_item_name"},
		{name: "datetime range sorted", filter: `at > "2024-01-10T00:00:00Z"`, sort: `at`, index: "ix_item_at"},
		{name: "datetime sort only", sort: `-at`, index: "ix_item_at"},
		{name: "float range", filter: `score > 110.5`, sort: `score`, index: "ix_item_score"},
		{name: "date equality", filter: `day = "2020-03-01"`, index: "ix_item_day"},
		{name: "nested equality", filter: `addr.city = "city 7"`, index: "ix_item_addr_city"},
		{name: "ref in", filter: `owner in ["owner-1", "owner-2"]`, sort: `-owner`, index: "ix_item_owner"},
		{name: "list element", filter: `tags = "t7"`, index: "ix_item_tags"},
		{name: "list in", filter: `tags in ["t7", "t8"]`, index: "ix_item_tags"},
		{name: "count of an equality", filter: `views = 5`, count: true, index: "ix_item_views"},
		{name: "deleted only", deleted: true, index: "dx_item"},
		{name: "resource_id cursor", after: []any{"id-00015000"}, index: "item_pkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := filter.Parse(tt.filter)
			if err == nil {
				err = filter.Check(e, fields)
			}
			if err != nil {
				t.Fatal(err)
			}
			keys, err := filter.ParseSort(tt.sort, fields)
			if err != nil {
				t.Fatal(err)
			}
			q := &resource.Query{Filter: e, Sort: append(keys, resource.ResourceIDKey), After: tt.after, Limit: 21,
				OnlyDeleted: tt.deleted, IncludeDeleted: tt.deleted}
			query, args, err := listSQL(ks.table, q)
			if tt.count {
				query, args, err = countSQL(ks.table, q)
			}
			if err != nil {
				t.Fatal(err)
			}
			plan := explain(t, s, query, args)
			if !strings.Contains(plan, tt.index) {
				t.Fatalf("plan does not use %s:\n%s\n%s", tt.index, query, plan)
			}
		})
	}
	for _, field := range []string{"owner", "helpers"} {
		t.Run("referrers "+field, func(t *testing.T) {
			plan := explain(t, s, ks.referrers[field], []any{"owner-7"})
			if want := "rx_item_" + field; !strings.Contains(plan, want) {
				t.Fatalf("plan does not use %s:\n%s", want, plan)
			}
		})
	}
}

// explain returns the plan of query.
func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}

// TestPlansEqualityInOrder checks with EXPLAIN that a list with an
// equality on an indexed field, in the kind's default order (resource_id
// without one), can be a range scan of that field's index, which holds
// the order after the field: with sorts disabled, the planner still finds
// a plan without a Sort node, on that index. (With sorts enabled it may
// prefer another plan where the data make it cheaper: walking the
// primary key when a third of the rows match, or sorting four rows.)
func TestPlansEqualityInOrder(t *testing.T) {
	tests := []struct {
		name        string
		defaultSort string
		filter      string
		index       string
	}{
		{name: "resource_id order on a date", filter: `day = "2020-03-01"`, index: "ix_item_day"},
		{name: "resource_id order", filter: `views = 5`, index: "ix_item_views"},
		{name: "default order on a datetime", defaultSort: "-at", filter: `status = "draft"`, index: "ix_item_status"},
		{name: "default order on a meta field", defaultSort: "-created_time", filter: `name = "name 42"`, index: "ix_item_name"},
	}
	u := pgtest.URL(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(context.Background(), u, WithSchema(pgtest.Schema(t, u)))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			kinds := resourcetest.NewSearchKinds()
			kinds.Item.DefaultSort = tt.defaultSort
			if err := s.Migrate(context.Background(), kinds.Schema); err != nil {
				t.Fatal(err)
			}
			ks, err := s.kind(kinds.Item)
			if err != nil {
				t.Fatal(err)
			}
			seedPlanItems(t, s, ks)
			fields := planFields(kinds.Item)
			e, err := filter.Parse(tt.filter)
			if err == nil {
				err = filter.Check(e, fields)
			}
			if err != nil {
				t.Fatal(err)
			}
			keys, err := filter.ParseSort(tt.defaultSort, fields)
			if err != nil {
				t.Fatal(err)
			}
			q := &resource.Query{Filter: e, Sort: append(keys, resource.ResourceIDKey), Limit: 21}
			query, args, err := listSQL(ks.table, q)
			if err != nil {
				t.Fatal(err)
			}
			plan := explainWithout(t, s, []string{"enable_sort", "enable_incremental_sort"}, query, args)
			if !strings.Contains(plan, tt.index) || strings.Contains(plan, "Sort") {
				t.Fatalf("plan does not read %s in order:\n%s\n%s", tt.index, query, plan)
			}
		})
	}
}

// explainWithout returns the plan of query with the planner settings
// settings turned off.
func explainWithout(t *testing.T, s *Store, settings []string, query string, args []any) string {
	t.Helper()
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, name := range settings {
		if _, err := tx.Exec(ctx, "SET LOCAL "+name+" = off"); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.Query(ctx, "EXPLAIN "+query, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
