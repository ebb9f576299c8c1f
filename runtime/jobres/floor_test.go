package jobres_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// The floor: what any implementation of jobs that are resources must
// write beyond River's row, at the least, measured beside raw River and
// the product:
//
//	go test ./runtime/jobres -run '^$' -bench Floor -benchtime 16000x
//
// Raw River as riverRound runs it (same workers, fetch timings, pool and
// enqueuers), plus, per job, in the tables runtime/store/postgres makes
// for the job kind (its DDL: the status index, no foreign key):
//
//   - at enqueue, in the transaction of River's InsertTx: the record and
//     revision 1 (pending), two plain INSERTs sent with COMMIT, BEGIN
//     sent with River's insert (two round trips, as the product's);
//   - when River reports the job completed: revisions 2 (running) and 3
//     (completed) and the record rewritten, for every job completed
//     meanwhile together, one statement per table over unnest (an
//     INSERT of the revisions, an UPDATE of the records), in one
//     implicit transaction (one round trip), from one writer.
//
// It reads nothing before writing (the product reads the records it
// changes, locking them, to build on what they hold: another instance
// may have changed them), hashes each revision's data as the product
// does, and is done, as the product's round, when a count of the
// records pending or running finds none.

// floorRound starts raw River with the floor's writes.
func floorRound(b *testing.B, u string) round {
	ctx := context.Background()
	w := &floorWriter{wake: make(chan struct{}, 1)}
	schema, pool, c := startRiver(b, u, func(ev *river.Event) { w.add(ev.Job) })
	for _, q := range postgres.DDL(schema, benchKind) {
		if _, err := pool.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	table := sqlschema.Qualify(schema, benchKind.Table)
	revs := sqlschema.Qualify(schema, benchKind.Table+"_revisions")
	insertRecord := `INSERT INTO ` + table + ` (resource_id, current_revision_id, total_revision_count, schema_version,
	created_time, created_by, updated_time, updated_by, rev_id, rev_number, rev_status, rev_data_hash,
	rev_schema_version, rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data)
	VALUES ($1, $2, 1, 1, $3, 'system', $3, 'system', $2, 1, 'stable', $4, 1, $3, 'system', $3, 'system', $5)`
	insertRevision := `INSERT INTO ` + revs + ` (resource_id, n, revision_id, status, data_hash, schema_version,
	created_time, created_by, updated_time, updated_by, data)
	VALUES ($1, 1, $2, 'stable', $3, 1, $4, 'system', $4, 'system', $5)`
	w.pool = pool
	w.revisions = `INSERT INTO ` + revs + ` (resource_id, n, revision_id, parent, status, data_hash, schema_version,
	created_time, created_by, updated_time, updated_by, data)
	SELECT u.id, u.n, u.rev, u.parent, 'stable', u.hash, 1, $6, 'system', $6, 'system', u.data::json
	FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $7::text[]) AS u(id, n, rev, parent, hash, data)`
	w.records = `UPDATE ` + table + ` AS r SET current_revision_id = u.rev, total_revision_count = 3,
	updated_time = $5, rev_id = u.rev, rev_number = 3, rev_parent = u.parent, rev_data_hash = u.hash,
	rev_created_time = $5, rev_updated_time = $5, data = u.data::json
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::text[]) AS u(id, rev, parent, hash, data)
	WHERE r.resource_id = u.id`
	count := `SELECT count(*) FROM ` + table + ` WHERE (data ->> 'status') COLLATE "C" IN ('pending', 'running')`
	wctx, stop := context.WithCancel(ctx)
	written := make(chan struct{})
	go func() {
		defer close(written)
		w.run(wctx, b)
	}()
	b.Cleanup(func() {
		stop()
		<-written
	})
	b.Cleanup(func() {
		// The floor writes what it must: every record completed, at its
		// revision 3, and three revisions of each.
		var records, completed, revisions int
		err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM `+table+`),
		(SELECT count(*) FROM `+table+` WHERE data ->> 'status' = 'completed' AND rev_number = 3),
		(SELECT count(*) FROM `+revs+`)`).Scan(&records, &completed, &revisions)
		if err != nil {
			b.Fatal(err)
		}
		if records == 0 || completed != records || revisions != 3*records {
			b.Errorf("floor: %d records, %d completed, %d revisions", records, completed, revisions)
		}
	})
	return func(b *testing.B, n int) {
		start := time.Now()
		enqueueAll(b, n, func() error {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				return err
			}
			defer conn.Release()
			tx := &beginTx{conn: conn.Conn(), begin: true}
			res, err := c.InsertTx(ctx, tx, noopArgs{}, nil)
			if err != nil {
				conn.Exec(ctx, "ROLLBACK")
				return err
			}
			j := res.Job
			id := jobres.ID(j.ID)
			data, err := json.Marshal(jobres.Data{Payload: json.RawMessage(`{}`), Status: jobs.StatusPending,
				MaxAttempts: j.MaxAttempts, RunAt: j.ScheduledAt.UTC().Truncate(time.Microsecond)})
			if err != nil {
				return err
			}
			hash, rev, now := resource.DataHash(data), resource.RevisionID(id, 1), time.Now().UTC()
			batch := &pgx.Batch{}
			batch.Queue(insertRecord, id, rev, now, hash, string(data))
			batch.Queue(insertRevision, id, rev, hash, now, string(data))
			batch.Queue("COMMIT")
			return conn.SendBatch(ctx, batch).Close()
		})
		if testing.Verbose() {
			b.Logf("floor: %d enqueued in %v", n, time.Since(start))
		}
		deadline := time.Now().Add(time.Minute + time.Duration(n)*time.Millisecond)
		for {
			var left int
			if err := pool.QueryRow(ctx, count).Scan(&left); err != nil {
				b.Fatal(err)
			}
			if left == 0 {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d jobs not completed", left, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// floorWriter writes the end of the jobs River completed, in batches.
type floorWriter struct {
	pool               *pgxpool.Pool
	revisions, records string

	mu   sync.Mutex
	done []*rivertype.JobRow
	wake chan struct{}
}

func (w *floorWriter) add(j *rivertype.JobRow) {
	w.mu.Lock()
	w.done = append(w.done, j)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// floorBatch bounds the jobs of one write.
const floorBatch = 512

func (w *floorWriter) run(ctx context.Context, b *testing.B) {
	for {
		w.mu.Lock()
		batch := w.done[:min(len(w.done), floorBatch)]
		w.done = w.done[len(batch):]
		w.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			continue
		}
		if err := w.write(ctx, batch); err != nil && ctx.Err() == nil {
			b.Error(err)
		}
	}
}

// write records the start and the end of the jobs of batch.
func (w *floorWriter) write(ctx context.Context, batch []*rivertype.JobRow) error {
	n := len(batch)
	var (
		rid, rrev, rparent, rhash, rdata = make([]string, 0, 2*n), make([]string, 0, 2*n), make([]string, 0, 2*n), make([]string, 0, 2*n), make([]string, 0, 2*n)
		rnum                             = make([]int64, 0, 2*n)
		cid, crev, cparent, chash, cdata = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	)
	for i, j := range batch {
		id := jobres.ID(j.ID)
		d := jobres.Data{Payload: json.RawMessage(`{}`), Status: jobs.StatusRunning, Attempts: j.Attempt,
			MaxAttempts: j.MaxAttempts, RunAt: j.ScheduledAt.UTC().Truncate(time.Microsecond)}
		started := j.AttemptedAt.UTC().Truncate(time.Microsecond)
		d.StartedAt = &started
		running, err := json.Marshal(d)
		if err != nil {
			return err
		}
		finished := j.FinalizedAt.UTC().Truncate(time.Microsecond)
		d.Status, d.FinishedAt = jobs.StatusCompleted, &finished
		completed, err := json.Marshal(d)
		if err != nil {
			return err
		}
		r1, r2, r3 := resource.RevisionID(id, 1), resource.RevisionID(id, 2), resource.RevisionID(id, 3)
		h3 := resource.DataHash(completed)
		rid, rnum, rrev, rparent = append(rid, id, id), append(rnum, 2, 3), append(rrev, r2, r3), append(rparent, r1, r2)
		rhash, rdata = append(rhash, resource.DataHash(running), h3), append(rdata, string(running), string(completed))
		cid[i], crev[i], cparent[i], chash[i], cdata[i] = id, r3, r2, h3, string(completed)
	}
	now := time.Now().UTC()
	b := &pgx.Batch{}
	b.Queue(w.revisions, rid, rnum, rrev, rparent, rhash, now, rdata)
	b.Queue(w.records, cid, crev, cparent, chash, now, cdata)
	return w.pool.SendBatch(ctx, b).Close()
}

// beginTx is the pgx.Tx of a transaction whose BEGIN is sent with its
// first statement (River's insert), in one round trip, as
// runtime/store/postgres sends the product's; its owner commits it.
type beginTx struct {
	pgx.Tx // not implemented: River's insert needs only what follows
	conn   *pgx.Conn
	begin  bool
}

func (t *beginTx) batch(sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	if t.begin {
		b.Queue("BEGIN")
	}
	b.Queue(sql, args...)
	br := t.conn.SendBatch(context.Background(), b)
	if t.begin {
		t.begin = false
		br.Exec()
	}
	return br
}

func (t *beginTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if !t.begin {
		return t.conn.Exec(ctx, sql, args...)
	}
	br := t.batch(sql, args)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

func (t *beginTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if !t.begin {
		return t.conn.Query(ctx, sql, args...)
	}
	br := t.batch(sql, args)
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &closingRows{Rows: rows, br: br}, nil
}

func (t *beginTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if !t.begin {
		return t.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := t.Query(ctx, sql, args...)
	return rowScan{rows, err}
}

func (t *beginTx) Conn() *pgx.Conn { return t.conn }

// closingRows closes their batch with them.
type closingRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *closingRows) Close() {
	r.Rows.Close()
	if r.br != nil {
		r.br.Close()
		r.br = nil
	}
}

// rowScan is the first row of rows.
type rowScan struct {
	rows pgx.Rows
	err  error
}

func (r rowScan) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	return r.rows.Scan(dest...)
}

// BenchmarkFloor runs the floor, raw River and the product in
// alternating rounds: s0 is the floor, s1 raw River, s2 the product.
func BenchmarkFloor(b *testing.B) {
	u := pgtest.URL(b)
	floor := floorRound(b, u)
	raw := riverRound(b, u)
	product := productRound(b, withPoolSize(pgtest.SchemaURL(b, u), benchPoolConns))
	rates := measure(b, u, floor, raw, product)
	b.ReportMetric(rates[0], "floor-jobs/s")
	b.ReportMetric(rates[1], "river-jobs/s")
	b.ReportMetric(rates[2], "jobs/s")
	b.ReportMetric(rates[0]/rates[1], "floor/river")
	b.ReportMetric(rates[2]/rates[1], "product/river")
}
