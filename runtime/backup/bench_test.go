package backup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/backup"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// seed writes n resources of k with revs revisions each straight into
// svc (one raw import): a store with history, fast to build.
func seed(tb testing.TB, svc *resource.Service, k *resource.Kind, n, revs int) {
	tb.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	_, err := svc.Import(ctx, []*resource.Kind{k}, resource.ImportOptions{}, func(im *resource.Importer) error {
		for i := range n {
			id := fmt.Sprintf("r%08d", i)
			at := t0.Add(time.Duration(i) * time.Millisecond)
			meta := resource.Meta{ResourceID: id, CurrentRevisionID: id + ":" + strconv.Itoa(revs), TotalRevisionCount: revs,
				SchemaVersion: 1, CreatedTime: at, CreatedBy: "seed", UpdatedTime: at, UpdatedBy: "seed"}
			if err := im.Resource(k, meta); err != nil {
				return err
			}
			var parent *string
			for r := 1; r <= revs; r++ {
				data := json.RawMessage(fmt.Sprintf(`{"text":"resource %d, revision %d","views":%d,"tags":["a","b"]}`, i, r, r*7))
				rid := id + ":" + strconv.Itoa(r)
				info := resource.RevisionInfo{RevisionID: rid, ParentRevisionID: parent, ResourceID: id, Status: resource.StatusStable,
					DataHash: resource.DataHash(data), SchemaVersion: 1, CreatedTime: at, CreatedBy: "seed", UpdatedTime: at, UpdatedBy: "seed"}
				if err := im.Revision(k, &resource.Revision{Info: info, Data: data}); err != nil {
					return err
				}
				parent = &rid
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// openSeeded returns a service over a SQLite store holding n resources
// with revs revisions each.
func openSeeded(tb testing.TB, n, revs int) (*resource.Service, *resource.Kind) {
	tb.Helper()
	st, err := sqlite.Open(filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return seeded(tb, st, n, revs)
}

// seeded migrates st for one kind and seeds it with n resources of revs
// revisions each.
func seeded(tb testing.TB, st resource.Backend, n, revs int) (*resource.Service, *resource.Kind) {
	tb.Helper()
	k := &resource.Kind{Name: "Note", Table: "note", Path: "notes", SchemaVersion: 1}
	if err := st.Migrate(context.Background(), &resource.Schema{Kinds: []*resource.Kind{k}}); err != nil {
		tb.Fatal(err)
	}
	svc := resource.NewService(st, &resource.Schema{Kinds: []*resource.Kind{k}})
	seed(tb, svc, k, n, revs)
	return svc, k
}

// cpuTime returns the CPU time (user and system) the process has used:
// on a machine shared with other work, revisions per CPU second is the
// figure that does not depend on how much of the CPU the run was given.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// liveHeap returns the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// exportMeasured exports every resource of k to io.Discard and returns
// the revisions per second and the largest growth of the live heap over
// its value before the export, sampled every `every` revisions.
func exportMeasured(tb testing.TB, svc *resource.Service, k *resource.Kind, every int) (revsPerSec, revsPerCPUSec float64, growth uint64, end backup.End) {
	tb.Helper()
	base := liveHeap()
	var peak uint64
	var sampling time.Duration // CPU time of the heap samples, not counted
	next := every
	start, cpu := time.Now(), cpuTime()
	end, err := backup.Export(ctx, svc, io.Discard, backup.ExportOptions{Kinds: []*resource.Kind{k}, Progress: func(p backup.Progress) {
		if every > 0 && p.Revisions >= next {
			next += every
			c := cpuTime()
			if h := liveHeap(); h > base && h-base > peak {
				peak = h - base
			}
			sampling += cpuTime() - c
		}
	}})
	took, used := time.Since(start), cpuTime()-cpu-sampling
	if err != nil {
		tb.Fatal(err)
	}
	return float64(end.Revisions) / took.Seconds(), float64(end.Revisions) / used.Seconds(), peak, end
}

// TestExportMemoryBounded: the live heap during an export does not grow
// with the number of revisions: the growth over 200k revisions is what it
// is over 20k, and far below the size of the archive.
func TestExportMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 220k revisions")
	}
	small, k1 := openSeeded(t, 4000, 5)
	_, _, g1, _ := exportMeasured(t, small, k1, 2000)
	large, k2 := openSeeded(t, 40000, 5)
	_, _, g2, end := exportMeasured(t, large, k2, 20000)
	t.Logf("live heap growth: %d KiB over %d revisions, %d KiB over 20000", g2>>10, end.Revisions, g1>>10)
	if g2 > 8<<20 || g2 > 2*g1+(2<<20) {
		t.Fatalf("live heap grew by %d KiB over %d revisions (%d KiB over 20000): export is not streaming", g2>>10, end.Revisions, g1>>10)
	}
}

// BenchmarkExport exports 100k resources with 5 revisions each (500k
// revisions) from SQLite: revisions per second and the live heap
// growth. A baseline in the same run: a bare scan of the same rows
// (Service.Export with an Exporter that writes nothing), so the cost of
// the format shows.
func BenchmarkExport(b *testing.B) {
	svc, k := openSeeded(b, 100_000, 5)
	benchExport(b, svc, k, "SQLite")
}

// BenchmarkExportPostgres is BenchmarkExport on PostgreSQL
// (SPECSTAR_TEST_POSTGRES_URL; skipped without it).
func BenchmarkExportPostgres(b *testing.B) {
	u := pgtest.URL(b)
	st, err := postgres.Open(context.Background(), u, postgres.WithSchema(pgtest.Schema(b, u)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc, k := seeded(b, st, 100_000, 5)
	benchExport(b, svc, k, "PostgreSQL")
}

// benchExport runs the two halves of BenchmarkExport on svc.
func benchExport(b *testing.B, svc *resource.Service, k *resource.Kind, store string) {
	b.Run("scan-baseline", func(b *testing.B) {
		for b.Loop() {
			start, cpu := time.Now(), cpuTime()
			var c counter
			if err := svc.Export(ctx, []*resource.Kind{k}, &c, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(c.revs)/time.Since(start).Seconds(), "revisions/s")
			b.ReportMetric(float64(c.revs)/(cpuTime()-cpu).Seconds(), "revisions/cpu-s")
		}
	})
	b.Run("archive", func(b *testing.B) {
		for b.Loop() {
			rate, cpuRate, growth, end := exportMeasured(b, svc, k, 100_000)
			b.ReportMetric(rate, "revisions/s")
			b.ReportMetric(cpuRate, "revisions/cpu-s")
			b.ReportMetric(float64(growth)/(1<<20), "heap-growth-MiB")
			reportTarget(b, "export of 100k resources with history ("+store+")", end, rate, cpuRate, growth)
		}
	})
}

// exportTarget is the target of issue 13: revisions per second of an
// export of 100k resources with history.
const exportTarget = 50_000

// reportTarget logs the PASS or MISS line of an export against
// exportTarget: the rate in wall time is the target's figure; the rate
// per CPU second says what the export costs whatever the machine's load.
func reportTarget(b *testing.B, name string, end backup.End, rate, cpuRate float64, growth uint64) {
	status := "MISS"
	if rate >= exportTarget {
		status = "PASS"
	}
	b.Logf("%s %s: %d revisions of %d resources at %.0f revisions/s (target >= %d/s); %.0f revisions per CPU second; live heap growth %.2f MiB",
		status, name, end.Revisions, end.Resources, rate, exportTarget, cpuRate, float64(growth)/(1<<20))
}

// BenchmarkExportMillion exports 1 million revisions (200k resources with
// 5 each) from SQLite and reports the live heap growth, sampled every
// 100k revisions.
func BenchmarkExportMillion(b *testing.B) {
	svc, k := openSeeded(b, 200_000, 5)
	for b.Loop() {
		rate, cpuRate, growth, end := exportMeasured(b, svc, k, 100_000)
		if end.Revisions != 1_000_000 {
			b.Fatalf("exported %d revisions", end.Revisions)
		}
		b.ReportMetric(rate, "revisions/s")
		b.ReportMetric(cpuRate, "revisions/cpu-s")
		b.ReportMetric(float64(growth)/(1<<20), "heap-growth-MiB")
		reportTarget(b, "export of 1M revisions (SQLite)", end, rate, cpuRate, growth)
	}
}

// counter is an Exporter that only counts.
type counter struct{ revs int }

func (c *counter) Kind(*resource.Kind) error                         { return nil }
func (c *counter) Resource(*resource.Kind, *resource.Record) error   { return nil }
func (c *counter) Revision(*resource.Kind, *resource.Revision) error { c.revs++; return nil }
