package sqlite

import (
	"context"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// TestQueryPlans checks that SQLite answers filters and sorts on indexed
// fields with their expression indexes (EXPLAIN QUERY PLAN), so the
// compiled SQL must use exactly the indexed expressions.
func TestQueryPlans(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "plans.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kinds := resourcetest.NewSearchKinds()
	ctx := context.Background()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	fields := []filter.FieldInfo{}
	for _, f := range kinds.Item.Fields {
		if f.Indexed {
			fields = append(fields, filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List})
		}
	}
	fields = append(fields, filter.FieldInfo{Name: "created_time", Type: filter.DateTime, Meta: true})
	tests := []struct {
		name, filter, sort string
		index              string // in the plan
	}{
		{name: "int range and sort", filter: `views >= 100`, sort: `-views`, index: "ix_item_views"},
		{name: "string equality", filter: `status = "published"`, index: "ix_item_status"},
		{name: "string prefix", filter: `name ^= "Al"`, index: "ix_item_name"},
		{name: "datetime range", filter: `at > "2024-05-01T08:30:05Z"`, sort: `at`, index: "ix_item_at"},
		{name: "datetime sort", sort: `-at`, index: "ix_item_at"},
		{name: "nested in", filter: `addr.city in ["Oslo", "Bergen"]`, index: "ix_item_addr_city"},
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
			q := &resource.Query{Filter: e, Sort: append(keys, resource.ResourceIDKey), Limit: 21}
			query, args, err := listSQL(quote(kinds.Item.Table), q, "")
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if got := strings.Join(plan, "; "); !strings.Contains(got, tt.index) {
				t.Fatalf("plan %q does not use %s\nSQL: %s", got, tt.index, query)
			}
		})
	}
}

// TestEqualityInDefaultOrder checks that a list with an equality on an
// indexed field, in the kind's default order, reads that field's index
// (which holds the default order after the field) in order: sortIndex
// names it, and the plan has no sort (no temporary b-tree).
func TestEqualityInDefaultOrder(t *testing.T) {
	tests := []struct {
		name, defaultSort, filter string
		want                      string
	}{
		{name: "resource_id order", filter: `status = "draft"`, want: "ix_item_status"},
		{name: "datetime descending", defaultSort: "-at", filter: `status = "draft"`, want: "ix_item_status"},
		{name: "meta field", defaultSort: "-created_time", filter: `views = 5 && name ^= "A"`, want: "ix_item_views"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "order.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			kinds := resourcetest.NewSearchKinds()
			kinds.Item.DefaultSort = tt.defaultSort
			ctx := context.Background()
			if err := s.Migrate(ctx, kinds.Schema); err != nil {
				t.Fatal(err)
			}
			var fields []filter.FieldInfo
			for _, f := range kinds.Item.Fields {
				if f.Indexed {
					fields = append(fields, filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List})
				}
			}
			fields = append(fields, filter.FieldInfo{Name: "created_time", Type: filter.DateTime, Meta: true})
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
			ks, err := s.kind(kinds.Item)
			if err != nil {
				t.Fatal(err)
			}
			var index string
			if err := s.View(ctx, func(r resource.Reader) error {
				index = r.(*txn).sortIndex(ks, q)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if index != tt.want {
				t.Fatalf("sortIndex = %q, want %q", index, tt.want)
			}
			query, args, err := listSQL(quote(kinds.Item.Table), q, index)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			if got := strings.Join(plan, "; "); !strings.Contains(got, tt.want) || strings.Contains(got, "TEMP B-TREE") {
				t.Fatalf("plan %q does not read %s in order\nSQL: %s", got, tt.want, query)
			}
		})
	}
}

// TestMigrateReplacesChangedIndex checks that Migrate recreates an index
// whose definition changed: here the datetime index of an older schema,
// on the raw JSON text.
func TestMigrateReplacesChangedIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	kinds := resourcetest.NewSearchKinds()
	ctx := context.Background()
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	old := `CREATE INDEX "ix_item_at" ON "item" (json_extract(data, '$.at'))`
	for _, q := range []string{`DROP INDEX "ix_item_at"`, old} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	var def string
	if err := s.read.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE name = 'ix_item_at'`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "substr") {
		t.Fatalf("ix_item_at is still %s", def)
	}
}

// TestDateTimeExpr checks the normalization of stored datetimes against
// Go's formatting of the same instants.
func TestDateTimeExpr(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "dt.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, in := range []string{"2024-05-01T08:30:05Z", "2024-05-01T08:30:05.5Z", "2024-05-01T08:30:05.123456789Z",
		"0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-05-01T08:30:05.000001Z"} {
		tm, err := time.Parse(time.RFC3339Nano, in)
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := s.read.QueryRow(`SELECT `+sqlschema.SQLiteDateTime("?1"), in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if want := tm.Format(dateTimeLayout); got != want {
			t.Fatalf("normalized %s = %s, want %s", in, got, want)
		}
	}
}

// TestSortIndexWithStatistics runs the differential table on an analyzed
// database, where sortIndex makes SQLite walk the index of the first
// sort key (INDEXED BY) for limited lists with unselective equalities.
func TestSortIndexWithStatistics(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "stats.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fx := resourcetest.NewSearchFixture(t,
		resourcetest.NamedBackend{Name: "memory", Open: func(testing.TB) resource.Backend { return memory.New() }},
		resourcetest.NamedBackend{Name: "sqlite", Open: func(testing.TB) resource.Backend { return s }},
	)
	ctx := context.Background()
	if _, err := s.write.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	fields := []filter.FieldInfo{
		{Name: "status", Type: filter.String},
		{Name: "views", Type: filter.Int},
	}
	tests := []struct {
		name, filter, sort string
		limit              int
		want               string
	}{
		{name: "unselective equality", filter: `status = "published"`, sort: `-views`, limit: 2, want: "ix_item_views"},
		{name: "large page", filter: `status = "published"`, sort: `-views`, limit: 50, want: ""},
		{name: "no equality", filter: `views > 2`, sort: `-views`, limit: 2, want: ""},
		{name: "sort on the equality field", filter: `status = "published"`, sort: `status`, limit: 2, want: ""},
		{name: "equality in resource_id order: its index holds the order", filter: `status = "published"`, limit: 2, want: "ix_item_status"},
		{name: "equality and more in resource_id order", filter: `status = "published" && views > 2`, limit: 50, want: "ix_item_status"},
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
			q := &resource.Query{Filter: e, Sort: append(keys, resource.ResourceIDKey), Limit: tt.limit}
			ks, err := s.kind(fx.Kinds.Item)
			if err != nil {
				t.Fatal(err)
			}
			var got string
			err = s.View(ctx, func(r resource.Reader) error {
				got = r.(*txn).sortIndex(ks, q)
				return nil
			})
			if err != nil || got != tt.want {
				t.Fatalf("sortIndex = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	fx.RunCases(t)
}

// TestStaleStatisticsAreScaled checks that statistics gathered when the
// table was smaller are scaled to its size now: PRAGMA optimize analyzes
// a table again only after it grew about 25-fold.
func TestStaleStatisticsAreScaled(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "stale.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fx := resourcetest.NewSearchFixture(t,
		resourcetest.NamedBackend{Name: "sqlite", Open: func(testing.TB) resource.Backend { return s }},
	)
	ctx := context.Background()
	ks, err := s.kind(fx.Kinds.Item)
	if err != nil {
		t.Fatal(err)
	}
	var rows float64
	if err := s.read.QueryRowContext(ctx, `SELECT max(rowid) FROM `+ks.table).Scan(&rows); err != nil || rows < 10 {
		t.Fatalf("max(rowid) = %v, %v", rows, err)
	}
	// Statistics as an ANALYZE at a tenth of the rows would have left
	// them: 4 rows per status then.
	idx := indexName(indexPrefix, ks.kind.Table, "status")
	for _, q := range []string{
		`ANALYZE`,
		`DELETE FROM sqlite_stat1 WHERE tbl = '` + ks.kind.Table + `'`,
		`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('` + ks.kind.Table + `', '` + idx + `', '` +
			strconv.FormatFloat(rows/10, 'f', -1, 64) + ` 4')`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	var st *indexStats
	err = s.View(ctx, func(r resource.Reader) error {
		st = r.(*txn).stats(ks)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.rows != rows || math.Abs(st.perKey[idx]-40) > 1e-9 {
		t.Errorf("stats = %v rows, %v per status; want %v and 40", st.rows, st.perKey[idx], rows)
	}
}
