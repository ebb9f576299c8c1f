package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// TestFieldWithoutIndex checks that filters and sorts on a field that is
// Indexed with NoIndex (a job's attempts and times) work without its
// index: the planner names no index that does not exist, in the cases
// where it names one for an indexed field (a limited list sorted by the
// field with another condition, an equality in the default order).
func TestFieldWithoutIndex(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "noindex.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	k := &resource.Kind{Name: "WorkJob", Table: "work_job", Path: "jobs/work", SchemaVersion: 1, Job: true,
		DefaultSort: "-created_time",
		Fields: []resource.Field{
			{JSON: "status", Type: resource.TypeString, Indexed: true},
			{JSON: "attempts", Type: resource.TypeInt, Indexed: true, NoIndex: true},
		},
		DataFields: []string{"status", "attempts"},
	}
	schema := &resource.Schema{Kinds: []*resource.Kind{k}}
	if err := s.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(s, schema)
	sys := resource.AsSystem(ctx)
	for i := range 30 {
		status := []string{"pending", "failed", "completed"}[i%3]
		data := json.RawMessage(fmt.Sprintf(`{"status": %q, "attempts": %d}`, status, i%5))
		if _, err := svc.Create(sys, k, data, resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		filter, sort string
		want         int
	}{
		{filter: `status = "failed" && attempts >= 3`, sort: "-attempts", want: 4},
		{filter: `attempts = 2`, want: 6},
		{filter: `attempts in [0, 1] && status = "pending"`, want: 4},
		{sort: "attempts", want: 30},
	}
	for _, tt := range tests {
		t.Run(tt.filter+" sort "+tt.sort, func(t *testing.T) {
			page, err := svc.List(sys, k, resource.ListQuery{Filter: tt.filter, Sort: tt.sort, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != tt.want {
				t.Errorf("%d jobs, want %d", len(page.Items), tt.want)
			}
			last := -1
			for _, env := range page.Items {
				var d struct{ Attempts int }
				if err := json.Unmarshal(env.Data, &d); err != nil {
					t.Fatal(err)
				}
				switch tt.sort {
				case "attempts":
					if d.Attempts < last {
						t.Errorf("attempts %d after %d, want ascending", d.Attempts, last)
					}
				case "-attempts":
					if last >= 0 && d.Attempts > last {
						t.Errorf("attempts %d after %d, want descending", d.Attempts, last)
					}
				}
				last = d.Attempts
			}
		})
	}
}
