package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/postgres/pgtest"
)

// benchRows is how many authors BenchmarkPostgres seeds.
const benchRows = 100_000

// BenchmarkPostgres compares, in one run on one PostgreSQL schema seeded
// with 100k authors, the generated server with a hand-written echo + pgx
// server doing the equivalent SQL on the same tables: GET by id, create
// (revision insert + record upsert in one transaction) and update (the
// same, after reading and locking the record). Each sub-benchmark reports
// req/s; the systems alternate over benchRounds rounds, and the parent
// logs (-v) the medians and the ratio generated/hand-written per scenario.
//
//	SPECSTAR_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./examples/blog -run '^$' -bench BenchmarkPostgres -benchtime 5s -v
func BenchmarkPostgres(b *testing.B) {
	dbURL := pgtest.SchemaURL(b, pgtest.URL(b))
	srv, err := server.New(server.Config{DatabaseURL: dbURL, Logger: slog.New(slog.DiscardHandler)}, blog.App())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL) // the same pool settings as the server's
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	seeded := seedAuthors(b, srv, pool, benchRows)

	e := echo.New()
	(&pgbServer{pool: pool}).register(e)
	systems := []struct {
		name    string
		handler http.Handler
	}{
		{"specstar", srv.Handler()},
		{"baseline", e},
	}
	urls := make(map[string]string)
	for _, s := range systems {
		ts := httptest.NewServer(s.handler)
		b.Cleanup(ts.Close)
		urls[s.name] = ts.URL
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}
	b.Cleanup(hc.CloseIdleConnections)

	var created atomic.Int64
	scenarios := []struct {
		name string
		req  func(base string) (*http.Request, int)
	}{
		{"get", func(base string) (*http.Request, int) {
			req, _ := http.NewRequest(http.MethodGet, base+"/api/authors/"+seeded[rand.IntN(len(seeded))].id, nil)
			return req, http.StatusOK
		}},
		{"create", func(base string) (*http.Request, int) {
			n := created.Add(1)
			body := fmt.Sprintf(`{"name":"Bench %d","email":"bench-%d@example.com"}`, n, n)
			req, _ := http.NewRequest(http.MethodPost, base+"/api/authors", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req, http.StatusCreated
		}},
		{"update", func(base string) (*http.Request, int) {
			a := seeded[rand.IntN(len(seeded))]
			body := fmt.Sprintf(`{"name":"Renamed %d","email":%q}`, rand.Int64(), a.email)
			req, _ := http.NewRequest(http.MethodPut, base+"/api/authors/"+a.id, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req, http.StatusOK
		}},
	}
	// Rounds alternate the systems, so that a change in the machine's
	// load during the run (other processes, autovacuum, checkpoints)
	// falls on both.
	results := make(map[string][]float64) // "scenario/system" -> req/s of each round
	for round := range benchRounds {
		for _, sc := range scenarios {
			for _, s := range systems {
				b.Run(sc.name+"/"+s.name, func(b *testing.B) {
					base := urls[s.name]
					b.SetParallelism(8)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							req, want := sc.req(base)
							if err := roundTrip(hc, req, want); err != nil {
								b.Error(err)
								return
							}
						}
					})
					rps := float64(b.N) / b.Elapsed().Seconds()
					b.ReportMetric(rps, "req/s")
					// b.Run calls this function with growing b.N; the
					// last call is the measurement.
					key := sc.name + "/" + s.name
					if len(results[key]) <= round {
						results[key] = append(results[key], 0)
					}
					results[key][round] = rps
				})
			}
		}
	}
	var report strings.Builder
	fmt.Fprintf(&report, "\nmedians of %d rounds\n%-8s %12s %12s %8s   %s\n", benchRounds, "scenario", "specstar", "baseline", "ratio", "ratio per round")
	for _, sc := range scenarios {
		gen, base := results[sc.name+"/specstar"], results[sc.name+"/baseline"]
		if len(gen) == 0 || len(gen) != len(base) {
			continue
		}
		var rounds []string
		for i := range gen {
			rounds = append(rounds, fmt.Sprintf("%.2f", gen[i]/base[i]))
		}
		fmt.Fprintf(&report, "%-8s %10.0f/s %10.0f/s %7.2fx   %s\n", sc.name, median(gen), median(base),
			median(gen)/median(base), strings.Join(rounds, " "))
	}
	b.Log(report.String())
}

// benchRounds is how many times BenchmarkPostgres measures each system
// and scenario.
const benchRounds = 3

// median returns the median of xs.
func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// roundTrip sends req and checks the status, draining the body.
func roundTrip(hc *http.Client, req *http.Request, want int) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", req.Method, req.URL.Path, resp.StatusCode, want, short(body))
	}
	return nil
}

// seededAuthor is one seeded row.
type seededAuthor struct{ id, email string }

// seedAuthors writes n authors straight into the backend's tables with
// COPY, in the form the generated server writes them (checked against
// one author created through the service), and returns them.
func seedAuthors(b *testing.B, srv *server.Server, pool *pgxpool.Pool, n int) []seededAuthor {
	b.Helper()
	ctx := context.Background()
	kind := blog.App().Schema().Kind("Author")
	sample, err := srv.Service().Create(ctx, kind, mustEncodeAuthor(b, "Seed", "seed@example.com"), resource.WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if got, want := string(sample.Data), string(mustEncodeAuthor(b, "Seed", "seed@example.com")); got != want {
		b.Fatalf("the service stores %s, the seed would store %s", got, want)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	out := make([]seededAuthor, n)
	records := make([][]any, n)
	revisions := make([][]any, n)
	for i := range out {
		id := uuid.Must(uuid.NewV7()).String()
		email := fmt.Sprintf("author-%06d@example.com", i)
		data := mustEncodeAuthor(b, fmt.Sprintf("Author %06d", i), email)
		hash := sumData(data)
		revID := id + ":1"
		out[i] = seededAuthor{id: id, email: email}
		records[i] = []any{id, revID, 1, sample.Meta.SchemaVersion, now, "seed", now, "seed", false,
			revID, 1, nil, "stable", hash, sample.Meta.SchemaVersion, now, "seed", now, "seed", data}
		revisions[i] = []any{id, revID, 1, nil, "stable", hash, sample.Meta.SchemaVersion, now, "seed", now, "seed", data}
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"author"}, strings.Split(pgbRecordColumns, ", "), pgx.CopyFromRows(records)); err != nil {
			return fmt.Errorf("copy records: %w", err)
		}
		cols := append(strings.Split(pgbInfoColumns, ", "), "data")
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"author_revisions"}, cols, pgx.CopyFromRows(revisions)); err != nil {
			return fmt.Errorf("copy revisions: %w", err)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Set hint bits and statistics now, so that neither system pays for
	// them (or for autovacuum) during its rounds.
	for _, table := range []string{"author", "author_revisions"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			b.Fatal(err)
		}
	}
	// Every seeded row must read back through the generated server.
	got, err := srv.Service().Get(ctx, kind, out[n/2].id, resource.ReadOptions{})
	if err != nil || !strings.Contains(string(got.Data), out[n/2].email) {
		b.Fatalf("seeded author does not read back: %v", err)
	}
	return out
}

// mustEncodeAuthor returns the canonical data of an author: what the
// generated code stores for this name and email.
func mustEncodeAuthor(b *testing.B, name, email string) []byte {
	data, err := json.Marshal(blog.Author{Name: name, Email: email})
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// sumData returns the data_hash of data.
func sumData(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// The hand-written baseline: echo handlers and pgx on the tables of the
// PostgreSQL backend, as a developer would write them for this one
// resource (minimal validation, no framework).

// Columns of the backend's tables (runtime/store/postgres DDL).
const (
	pgbRecordColumns = `resource_id, current_revision_id, total_revision_count, schema_version, ` +
		`created_time, created_by, updated_time, updated_by, is_deleted, ` +
		`rev_id, rev_number, rev_parent, rev_status, rev_data_hash, rev_schema_version, ` +
		`rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data`
	pgbInfoColumns = `resource_id, revision_id, n, parent, status, data_hash, schema_version, ` +
		`created_time, created_by, updated_time, updated_by`

	pgbSelect = `SELECT ` + pgbRecordColumns + ` FROM author WHERE resource_id = $1`

	pgbInsertRevision = `INSERT INTO author_revisions (` + pgbInfoColumns + `, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`

	pgbUpsertRecord = `INSERT INTO author (` + pgbRecordColumns + `)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
		ON CONFLICT (resource_id) DO UPDATE SET
		current_revision_id = excluded.current_revision_id, total_revision_count = excluded.total_revision_count,
		schema_version = excluded.schema_version, updated_time = excluded.updated_time, updated_by = excluded.updated_by,
		is_deleted = excluded.is_deleted, rev_id = excluded.rev_id, rev_number = excluded.rev_number,
		rev_parent = excluded.rev_parent, rev_status = excluded.rev_status, rev_data_hash = excluded.rev_data_hash,
		rev_schema_version = excluded.rev_schema_version, rev_created_time = excluded.rev_created_time,
		rev_created_by = excluded.rev_created_by, rev_updated_time = excluded.rev_updated_time,
		rev_updated_by = excluded.rev_updated_by, data = excluded.data`
)

// pgbServer serves GET, POST and PUT of authors.
type pgbServer struct {
	pool *pgxpool.Pool
}

func (h *pgbServer) register(e *echo.Echo) {
	e.GET("/api/authors/:id", h.get)
	e.POST("/api/authors", h.create)
	e.PUT("/api/authors/:id", h.update)
}

// pgbAuthor is the body and the stored data.
type pgbAuthor struct {
	Name    string          `json:"name"`
	Email   string          `json:"email"`
	Bio     *string         `json:"bio"`
	Website *string         `json:"website"`
	Address json.RawMessage `json:"address"`
}

type pgbMeta struct {
	ResourceID         string    `json:"resource_id"`
	CurrentRevisionID  string    `json:"current_revision_id"`
	TotalRevisionCount int       `json:"total_revision_count"`
	SchemaVersion      int       `json:"schema_version"`
	CreatedTime        time.Time `json:"created_time"`
	CreatedBy          string    `json:"created_by"`
	UpdatedTime        time.Time `json:"updated_time"`
	UpdatedBy          string    `json:"updated_by"`
	IsDeleted          bool      `json:"is_deleted"`
}

type pgbRevisionInfo struct {
	RevisionID       string    `json:"revision_id"`
	ParentRevisionID *string   `json:"parent_revision_id"`
	ResourceID       string    `json:"resource_id"`
	Status           string    `json:"status"`
	DataHash         string    `json:"data_hash"`
	SchemaVersion    int       `json:"schema_version"`
	CreatedTime      time.Time `json:"created_time"`
	CreatedBy        string    `json:"created_by"`
	UpdatedTime      time.Time `json:"updated_time"`
	UpdatedBy        string    `json:"updated_by"`
	n                int
}

type pgbEnvelope struct {
	Data         json.RawMessage `json:"data"`
	Meta         pgbMeta         `json:"meta"`
	RevisionInfo pgbRevisionInfo `json:"revision_info"`
}

func (h *pgbServer) get(c echo.Context) error {
	var env pgbEnvelope
	err := pgbScan(h.pool.QueryRow(c.Request().Context(), pgbSelect, c.Param("id")), &env)
	if errors.Is(err, pgx.ErrNoRows) {
		return c.JSON(http.StatusNotFound, map[string]string{"code": "NOT_FOUND"})
	}
	if err != nil {
		return err
	}
	if env.Meta.IsDeleted {
		return c.JSON(http.StatusGone, map[string]string{"code": "GONE"})
	}
	return pgbWrite(c, http.StatusOK, &env)
}

func (h *pgbServer) create(c echo.Context) error {
	data, err := pgbReadAuthor(c)
	if err != nil {
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"code": "VALIDATION_ERROR", "detail": err.Error()})
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	id := uuid.Must(uuid.NewV7()).String()
	rev := pgbRevisionInfo{RevisionID: id + ":1", ResourceID: id, Status: "stable", DataHash: sumData(data),
		SchemaVersion: 1, CreatedTime: now, CreatedBy: "anonymous", UpdatedTime: now, UpdatedBy: "anonymous", n: 1}
	env := pgbEnvelope{Data: data, RevisionInfo: rev, Meta: pgbMeta{ResourceID: id, CurrentRevisionID: rev.RevisionID,
		TotalRevisionCount: 1, SchemaVersion: 1, CreatedTime: now, CreatedBy: "anonymous", UpdatedTime: now, UpdatedBy: "anonymous"}}
	err = pgx.BeginFunc(c.Request().Context(), h.pool, func(tx pgx.Tx) error { return pgbWriteRows(c.Request().Context(), tx, &env) })
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return c.JSON(http.StatusConflict, map[string]string{"code": "CONFLICT"})
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set("Location", "/api/authors/"+id)
	return pgbWrite(c, http.StatusCreated, &env)
}

func (h *pgbServer) update(c echo.Context) error {
	data, err := pgbReadAuthor(c)
	if err != nil {
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"code": "VALIDATION_ERROR", "detail": err.Error()})
	}
	ctx := c.Request().Context()
	var env pgbEnvelope
	err = pgx.BeginFunc(ctx, h.pool, func(tx pgx.Tx) error {
		if err := pgbScan(tx.QueryRow(ctx, pgbSelect+" FOR UPDATE", c.Param("id")), &env); err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		parent := env.Meta.CurrentRevisionID
		n := env.Meta.TotalRevisionCount + 1
		env.Data = data
		env.RevisionInfo = pgbRevisionInfo{RevisionID: fmt.Sprintf("%s:%d", env.Meta.ResourceID, n), ParentRevisionID: &parent,
			ResourceID: env.Meta.ResourceID, Status: "stable", DataHash: sumData(data), SchemaVersion: 1,
			CreatedTime: now, CreatedBy: "anonymous", UpdatedTime: now, UpdatedBy: "anonymous", n: n}
		env.Meta.CurrentRevisionID, env.Meta.TotalRevisionCount = env.RevisionInfo.RevisionID, n
		env.Meta.UpdatedTime, env.Meta.UpdatedBy = now, "anonymous"
		return pgbWriteRows(ctx, tx, &env)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return c.JSON(http.StatusNotFound, map[string]string{"code": "NOT_FOUND"})
	}
	if err != nil {
		return err
	}
	return pgbWrite(c, http.StatusOK, &env)
}

// pgbReadAuthor decodes and checks an author body and returns its
// stored form.
func pgbReadAuthor(c echo.Context) ([]byte, error) {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	var a pgbAuthor
	if err := dec.Decode(&a); err != nil {
		return nil, err
	}
	if a.Name == "" || !strings.Contains(a.Email, "@") {
		return nil, errors.New("name and email are required")
	}
	return json.Marshal(a)
}

// pgbWriteRows inserts the revision and upserts the record of env.
func pgbWriteRows(ctx context.Context, tx pgx.Tx, env *pgbEnvelope) error {
	r, m := &env.RevisionInfo, &env.Meta
	if _, err := tx.Exec(ctx, pgbInsertRevision, r.ResourceID, r.RevisionID, r.n, r.ParentRevisionID, r.Status, r.DataHash,
		r.SchemaVersion, r.CreatedTime, r.CreatedBy, r.UpdatedTime, r.UpdatedBy, []byte(env.Data)); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, pgbUpsertRecord, m.ResourceID, m.CurrentRevisionID, m.TotalRevisionCount, m.SchemaVersion,
		m.CreatedTime, m.CreatedBy, m.UpdatedTime, m.UpdatedBy, m.IsDeleted,
		r.RevisionID, r.n, r.ParentRevisionID, r.Status, r.DataHash, r.SchemaVersion,
		r.CreatedTime, r.CreatedBy, r.UpdatedTime, r.UpdatedBy, []byte(env.Data))
	return err
}

// pgbScan reads a record row into env.
func pgbScan(row pgx.Row, env *pgbEnvelope) error {
	m, r := &env.Meta, &env.RevisionInfo
	var data []byte
	if err := row.Scan(&m.ResourceID, &m.CurrentRevisionID, &m.TotalRevisionCount, &m.SchemaVersion,
		&m.CreatedTime, &m.CreatedBy, &m.UpdatedTime, &m.UpdatedBy, &m.IsDeleted,
		&r.RevisionID, &r.n, &r.ParentRevisionID, &r.Status, &r.DataHash, &r.SchemaVersion,
		&r.CreatedTime, &r.CreatedBy, &r.UpdatedTime, &r.UpdatedBy, &data); err != nil {
		return err
	}
	r.ResourceID = m.ResourceID
	for _, t := range []*time.Time{&m.CreatedTime, &m.UpdatedTime, &r.CreatedTime, &r.UpdatedTime} {
		*t = t.UTC()
	}
	env.Data = data
	return nil
}

// pgbWrite answers with env as JSON and its ETag.
func pgbWrite(c echo.Context, status int, env *pgbEnvelope) error {
	body, err := json.Marshal(env)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", `"`+env.RevisionInfo.RevisionID+`"`)
	return c.JSONBlob(status, body)
}
