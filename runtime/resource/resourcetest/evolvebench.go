package resourcetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// BenchEvolve measures resource.MigrateData on n records of a kind that
// gains a field with a default (an indexed one), as a server start after
// that spec change does: it reports records upgraded per second and the
// time n records took. The records are written through the Writer in
// batches first (not timed).
func BenchEvolve(b *testing.B, backend resource.Backend, n int) {
	ctx := context.Background()
	v1 := &resource.Kind{Name: "Ticket", Table: "ticket", Path: "tickets", SchemaVersion: 1,
		Fields: []resource.Field{{JSON: "title", Type: resource.TypeString, Indexed: true}},
		Shape:  []resource.ShapeField{{Name: "title"}, {Name: "body"}, {Name: "views"}}}
	if err := backend.Migrate(ctx, &resource.Schema{Kinds: []*resource.Kind{v1}}); err != nil {
		b.Fatal(err)
	}
	const batch = 5000
	for i := 0; i < n; i += batch {
		err := backend.Update(ctx, func(w resource.Writer) error {
			for j := i; j < min(n, i+batch); j++ {
				data := fmt.Sprintf(`{"title":"ticket %d","body":"a body of some length, as tickets have","views":%d}`, j, j)
				rec, rev := NewRecord(fmt.Sprintf("id-%09d", j), data)
				if err := w.PutRevision(v1, rev); err != nil {
					return err
				}
				if err := w.CreateRecord(v1, rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	v2 := *v1
	v2.Fields = append(v2.Fields, resource.Field{JSON: "channel", Type: resource.TypeString, Indexed: true})
	v2.Shape = append(v2.Shape, resource.ShapeField{Name: "channel", Default: json.RawMessage(`"web"`)})
	s2 := &resource.Schema{Kinds: []*resource.Kind{&v2}}
	b.ResetTimer()
	start := time.Now()
	if err := backend.Migrate(ctx, s2); err != nil {
		b.Fatal(err)
	}
	done, err := resource.MigrateData(ctx, backend, s2, resource.DataMigrationOptions{})
	if err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	b.StopTimer()
	if len(done) != 1 || done[0].Changed != n {
		b.Fatalf("MigrateData = %+v, want %d records changed", done, n)
	}
	b.ReportMetric(float64(n)/took.Seconds(), "records/s")
	b.ReportMetric(took.Seconds(), "s")
}
