package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// benchPosts is how many posts the search benchmark seeds.
const benchPosts = 100_000

// The seeded SQLite file is shared by every benchmark of one run and
// removed by TestMain.
var (
	benchOnce sync.Once
	benchDir  string
	benchPath string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchDB returns the path of an SQLite file holding the blog schema, 100
// authors and benchPosts posts, seeding it on first use.
func benchDB(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		start := time.Now()
		benchPath, benchErr = seedBenchDB()
		if benchErr == nil {
			b.Logf("seeded %d posts in %v", benchPosts, time.Since(start).Round(time.Millisecond))
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
}

// seedBenchDB writes the benchmark data straight through the backend, in
// transactions of 10 000 resources: a record and its first revision each,
// as Service.Create writes them.
func seedBenchDB() (string, error) {
	dir, err := os.MkdirTemp("", "specstar-blog-bench-")
	if err != nil {
		return "", err
	}
	benchDir = dir
	path := filepath.Join(dir, "blog.db")
	store, err := sqlite.Open(path)
	if err != nil {
		return "", err
	}
	defer store.Close()
	ctx := context.Background()
	schema := blog.App().Schema()
	if err := store.Migrate(ctx, schema); err != nil {
		return "", err
	}
	authorKind, postKind := schema.Kind("Author"), schema.Kind("Post")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	put := func(w resource.Writer, k *resource.Kind, id string, data []byte, at time.Time) error {
		info := resource.RevisionInfo{
			RevisionID: resource.RevisionID(id, 1), ResourceID: id, Number: 1, Status: resource.StatusStable,
			DataHash: resource.DataHash(data), SchemaVersion: k.SchemaVersion,
			CreatedTime: at, CreatedBy: "seed", UpdatedTime: at, UpdatedBy: "seed",
		}
		if err := w.PutRevision(k, &resource.Revision{Info: info, Data: data}); err != nil {
			return err
		}
		return w.PutRecord(k, &resource.Record{
			Meta: resource.Meta{
				ResourceID: id, CurrentRevisionID: info.RevisionID, TotalRevisionCount: 1,
				SchemaVersion: k.SchemaVersion, CreatedTime: at, CreatedBy: "seed", UpdatedTime: at, UpdatedBy: "seed",
			},
			Current: info,
			Data:    data,
		})
	}
	authors := make([]string, 100)
	err = store.Update(ctx, func(w resource.Writer) error {
		for i := range authors {
			authors[i] = uuid.Must(uuid.NewV7()).String()
			data, err := json.Marshal(blog.Author{Name: fmt.Sprintf("Author %d", i), Email: fmt.Sprintf("a%d@example.com", i)})
			if err != nil {
				return err
			}
			if err := put(w, authorKind, authors[i], data, base); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	statuses := []blog.PostStatus{blog.PostStatusDraft, blog.PostStatusPublished, blog.PostStatusArchived}
	body := strings.Repeat("A paragraph of a blog post about Go, SQLite and REST APIs. ", 6)
	const batch = 10_000
	for start := 0; start < benchPosts; start += batch {
		err := store.Update(ctx, func(w resource.Writer) error {
			for i := start; i < start+batch; i++ {
				at := base.Add(time.Duration(i) * time.Second)
				published := at.Add(time.Duration(i%977) * time.Hour)
				views := int64(i * 7919 % 1000)
				p := blog.Post{
					Title: fmt.Sprintf("Post number %d", i), Slug: new(fmt.Sprintf("post-%d", i)), Body: &body,
					Status: &statuses[i%3], Tags: []string{"go", "tag" + strconv.Itoa(i%20)}, Views: &views,
					Featured: new(i%10 == 0), PublishedAt: &published, Author: authors[i%len(authors)],
				}
				data, err := json.Marshal(p)
				if err != nil {
					return err
				}
				if err := put(w, postKind, uuid.Must(uuid.NewV7()).String(), data, at); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	return path, nil
}

// The benchmark query: published posts with at least 100 views, most
// viewed first, one page of 20.
const (
	benchStatus   = "published"
	benchMinViews = 100
	benchLimit    = 20
)

// BenchmarkSearchList measures one list request with an indexed filter, a
// sort and a limit of 20 over 100 000 posts, in one run: through the
// generated endpoint (the full echo stack of server.New) and through a
// hand-written echo + database/sql handler running the same query on the
// same SQLite file and answering the same JSON shape. Requests alternate
// between the two; the benchmark reports each one's requests per second
// and their ratio (generated / hand-written; the target is >= 0.8).
func BenchmarkSearchList(b *testing.B) {
	path := benchDB(b)
	srv, err := server.New(server.Config{
		DatabaseURL: "sqlite:" + path,
		DataDir:     b.TempDir(),
		Logger:      slog.New(slog.DiscardHandler),
	}, blog.App())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	generated := srv.Handler()
	baseline, closeBaseline := newBaselineHandler(b, path)
	defer closeBaseline()

	genURL := "/api/posts?" + url.Values{
		"filter": {fmt.Sprintf(`status = %q && views >= %d`, benchStatus, benchMinViews)},
		"sort":   {"-views"},
		"limit":  {strconv.Itoa(benchLimit)},
	}.Encode()
	baseURL := fmt.Sprintf("/posts?status=%s&min_views=%d&limit=%d", benchStatus, benchMinViews, benchLimit)

	// Both answer the same page.
	genIDs, baseIDs := pageIDsOf(b, serve(b, generated, genURL)), pageIDsOf(b, serve(b, baseline, baseURL))
	if len(genIDs) != benchLimit || !slices.Equal(genIDs, baseIDs) {
		b.Fatalf("the handlers disagree:\ngenerated %v\nbaseline  %v", genIDs, baseIDs)
	}

	var genTime, baseTime time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		serve(b, generated, genURL)
		t1 := time.Now()
		serve(b, baseline, baseURL)
		baseTime += time.Since(t1)
		genTime += t1.Sub(t0)
		n++
	}
	genRate, baseRate := float64(n)/genTime.Seconds(), float64(n)/baseTime.Seconds()
	b.ReportMetric(genRate, "generated-req/s")
	b.ReportMetric(baseRate, "baseline-req/s")
	b.ReportMetric(genRate/baseRate, "ratio")
}

// serve runs one GET through h and returns the 200 body.
func serve(b *testing.B, h http.Handler, target string) []byte {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body.Bytes())
	}
	return rec.Body.Bytes()
}

// pageIDsOf returns the resource ids of a list page.
func pageIDsOf(b *testing.B, body []byte) []string {
	var page struct {
		Items []struct {
			Meta struct {
				ResourceID string `json:"resource_id"`
			} `json:"meta"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		b.Fatal(err)
	}
	if page.NextCursor == nil {
		b.Fatal("no next cursor on a page of many")
	}
	ids := make([]string, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.Meta.ResourceID
	}
	return ids
}

// The hand-written baseline: what a developer would write for this one
// endpoint with echo and database/sql, on the table layout specstar's
// SQLite store uses.

type baseMeta struct {
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

type baseRevisionInfo struct {
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
}

type baseEnvelope struct {
	Data         json.RawMessage  `json:"data"`
	Meta         baseMeta         `json:"meta"`
	RevisionInfo baseRevisionInfo `json:"revision_info"`
}

type basePage struct {
	Items      []baseEnvelope `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// baselineSQL is the benchmark query, written by hand. Left alone,
// SQLite reads every published post through the status index and sorts
// them (a third of the table); the hand-written query names the index a
// developer would pick after EXPLAIN QUERY PLAN: walk views downwards.
const baselineSQL = `SELECT resource_id, current_revision_id, total_revision_count, schema_version,
	created_time, created_by, updated_time, updated_by, is_deleted,
	rev_id, rev_parent, rev_status, rev_data_hash, rev_schema_version,
	rev_created_time, rev_created_by, rev_updated_time, rev_updated_by, data
FROM post INDEXED BY ix_post_views
WHERE +is_deleted = 0 AND json_extract(data, '$.status') = ? AND json_extract(data, '$.views') >= ?
ORDER BY json_extract(data, '$.views') DESC, resource_id
LIMIT ?`

// newBaselineHandler opens its own read-only pool on the file and
// returns an echo handler serving GET /posts?status=&min_views=&limit=.
func newBaselineHandler(b *testing.B, path string) (http.Handler, func()) {
	b.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := db.Prepare(baselineSQL)
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	e.GET("/posts", func(c echo.Context) error {
		minViews, err := strconv.Atoi(c.QueryParam("min_views"))
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "min_views")
		}
		limit, err := strconv.Atoi(c.QueryParam("limit"))
		if err != nil || limit < 1 || limit > 1000 {
			return echo.NewHTTPError(http.StatusBadRequest, "limit")
		}
		rows, err := stmt.QueryContext(c.Request().Context(), c.QueryParam("status"), minViews, limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		page := basePage{Items: make([]baseEnvelope, 0, limit)}
		for rows.Next() {
			var env baseEnvelope
			m, r := &env.Meta, &env.RevisionInfo
			var created, updated, revCreated, revUpdated int64
			var parent sql.NullString
			var data []byte
			if err := rows.Scan(&m.ResourceID, &m.CurrentRevisionID, &m.TotalRevisionCount, &m.SchemaVersion,
				&created, &m.CreatedBy, &updated, &m.UpdatedBy, &m.IsDeleted,
				&r.RevisionID, &parent, &r.Status, &r.DataHash, &r.SchemaVersion,
				&revCreated, &r.CreatedBy, &revUpdated, &r.UpdatedBy, &data); err != nil {
				return err
			}
			m.CreatedTime, m.UpdatedTime = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
			r.CreatedTime, r.UpdatedTime = time.UnixMicro(revCreated).UTC(), time.UnixMicro(revUpdated).UTC()
			r.ResourceID = m.ResourceID
			if parent.Valid {
				r.ParentRevisionID = &parent.String
			}
			env.Data = data
			page.Items = append(page.Items, env)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page.Items) > limit {
			page.Items = page.Items[:limit]
			last := page.Items[limit-1]
			var v struct {
				Views int64 `json:"views"`
			}
			if err := json.Unmarshal(last.Data, &v); err != nil {
				return err
			}
			next := base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d,%s", v.Views, last.Meta.ResourceID))
			page.NextCursor = &next
		}
		return c.JSON(http.StatusOK, page)
	})
	return e, func() { stmt.Close(); db.Close() }
}
