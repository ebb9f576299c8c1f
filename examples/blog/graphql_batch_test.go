package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	gqlclient "github.com/99designs/gqlgen/client"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/gql"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
	"github.com/specstar-go/specstar/runtime/store/memory"
	"github.com/specstar-go/specstar/runtime/store/sqlite"
)

// countingBackend counts the queries a backend answers: every call of a
// Reader method inside View.
type countingBackend struct {
	resource.Backend
	queries atomic.Int64
	log     atomic.Pointer[[]string]
}

func (b *countingBackend) View(ctx context.Context, fn func(resource.Reader) error) error {
	return b.Backend.View(ctx, func(r resource.Reader) error { return fn(&countingReader{Reader: r, b: b}) })
}

func (b *countingBackend) count(what string) {
	b.queries.Add(1)
	for {
		old := b.log.Load()
		next := append(append([]string(nil), *old...), what)
		if b.log.CompareAndSwap(old, &next) {
			return
		}
	}
}

func (b *countingBackend) reset() {
	b.queries.Store(0)
	b.log.Store(&[]string{})
}

type countingReader struct {
	resource.Reader
	b *countingBackend
}

func (r *countingReader) Get(k *resource.Kind, id string) (*resource.Record, error) {
	r.b.count("Get " + k.Name)
	return r.Reader.Get(k, id)
}

func (r *countingReader) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	r.b.count(fmt.Sprintf("GetMany %s (%d ids)", k.Name, len(ids)))
	return r.Reader.GetMany(k, ids)
}

func (r *countingReader) Revision(k *resource.Kind, id string, n int) (*resource.Revision, error) {
	r.b.count("Revision " + k.Name)
	return r.Reader.Revision(k, id, n)
}

func (r *countingReader) Revisions(k *resource.Kind, id string) ([]resource.RevisionInfo, error) {
	r.b.count("Revisions " + k.Name)
	return r.Reader.Revisions(k, id)
}

func (r *countingReader) List(k *resource.Kind, q *resource.Query) ([]*resource.Record, error) {
	r.b.count("List " + k.Name)
	return r.Reader.List(k, q)
}

func (r *countingReader) Count(k *resource.Kind, q *resource.Query) (int, error) {
	r.b.count("Count " + k.Name)
	return r.Reader.Count(k, q)
}

func (r *countingReader) Referrers(k *resource.Kind, field, target string) ([]string, error) {
	r.b.count("Referrers " + k.Name)
	return r.Reader.Referrers(k, field, target)
}

// openBackend opens a fresh store of backend b, migrated for the blog.
func openBackend(tb testing.TB, name string) resource.Backend {
	tb.Helper()
	var be resource.Backend
	switch name {
	case "memory":
		be = memory.New()
	case "sqlite":
		st, err := sqlite.Open(filepath.Join(tb.TempDir(), "blog.db"))
		if err != nil {
			tb.Fatal(err)
		}
		be = st
	default:
		tb.Fatalf("unknown backend %s", name)
	}
	tb.Cleanup(func() { be.Close() })
	if err := be.Migrate(context.Background(), blog.App().Schema()); err != nil {
		tb.Fatal(err)
	}
	return be
}

// seedBlog creates authors and n posts, each post by one of the authors.
func seedBlog(tb testing.TB, svc *resource.Service, authors, n int) {
	tb.Helper()
	ctx := resource.WithPrincipal(context.Background(), testAdmin)
	c := blog.NewClient(svc)
	var ids []string
	for i := range authors {
		rec, err := c.Author.Create(ctx, &blog.Author{Name: fmt.Sprintf("Author %d", i), Email: fmt.Sprintf("a%d@example.com", i)}, resource.WriteOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, rec.Meta.ResourceID)
	}
	for i := range n {
		p := &blog.Post{Title: fmt.Sprintf("Post %03d", i), Slug: new(fmt.Sprintf("post-%03d", i)), Author: ids[i%len(ids)],
			Tags: []string{"go"}, Body: new("Some text.")}
		if _, err := c.Post.Create(ctx, p, resource.WriteOptions{}); err != nil {
			tb.Fatal(err)
		}
	}
}

// graphQLHandler returns the blog's GraphQL handler over svc.
func graphQLHandler(svc *resource.Service) http.Handler {
	return blog.App().(server.GraphQLApp).GraphQL(svc, gql.Options{})
}

// TestGraphQLRelationsAreBatched lists 50 posts with their authors and
// counts the store queries through a counting Backend: the list and one
// GetMany of the authors, whatever the number of posts.
func TestGraphQLRelationsAreBatched(t *testing.T) {
	tests := []struct {
		name  string
		query string
		max   int
	}{
		{name: "50 posts with their authors", query: `{ posts(first: 50) { nodes { data { title } author { data { name } } } } }`, max: 2},
		{name: "through edges, with the editor too", query: `{ posts(first: 50) { edges { node { author { id } editor { id } } } } }`, max: 2},
		{name: "the same author twice", query: `{ posts(first: 50) { nodes { author { id } again: author { data { email } } } } }`, max: 2},
	}
	for _, name := range []string{"memory", "sqlite"} {
		t.Run(name, func(t *testing.T) {
			be := &countingBackend{Backend: openBackend(t, name)}
			svc := resource.NewService(be, blog.App().Schema())
			seedBlog(t, svc, 7, 50)
			c := gqlclient.New(actAsAdmin(graphQLHandler(svc)))
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					be.reset()
					var resp struct {
						Posts map[string][]any
					}
					if err := c.Post(tt.query, &resp); err != nil {
						t.Fatal(err)
					}
					items := resp.Posts["nodes"]
					if items == nil {
						items = resp.Posts["edges"]
					}
					if len(items) != 50 {
						t.Fatalf("%d posts, want 50", len(items))
					}
					if n := be.queries.Load(); n > int64(tt.max) {
						t.Errorf("%d store queries, want at most %d: %s", n, tt.max, strings.Join(*be.log.Load(), "; "))
					}
				})
			}
		})
	}
}

// listQuery lists 20 posts with their author: every field REST returns
// with expand=author.
const listQuery = `{ posts(first: 20) { nodes {
	data { title slug body status tags views rating featured publishedAt author editor metadata }
	meta { resourceId currentRevisionId totalRevisionCount schemaVersion createdTime createdBy updatedTime updatedBy isDeleted }
	revisionInfo { revisionId parentRevisionId resourceId status dataHash schemaVersion createdTime createdBy updatedTime updatedBy }
	author {
		data { name email bio website address { city country } }
		meta { resourceId currentRevisionId totalRevisionCount schemaVersion createdTime createdBy updatedTime updatedBy isDeleted }
		revisionInfo { revisionId parentRevisionId resourceId status dataHash schemaVersion createdTime createdBy updatedTime updatedBy }
	} } pageInfo { hasNextPage endCursor } } }`

// BenchmarkListWithRelation compares a GraphQL list of 20 posts with
// their authors with the REST list that returns the same (expand=author),
// both through the full server handler (middleware included) on the
// same store.
func BenchmarkListWithRelation(b *testing.B) {
	for _, name := range []string{"memory", "sqlite"} {
		cfg := server.Config{DataDir: b.TempDir(), Logger: discardLogger()}
		cfg.DatabaseURL = "memory:"
		if name == "sqlite" {
			cfg.DatabaseURL = "sqlite:" + filepath.Join(b.TempDir(), "blog.db")
		}
		srv, err := server.New(cfg, blog.App())
		if err != nil {
			b.Fatal(err)
		}
		seedBlog(b, srv.Service(), 10, 100)
		h := srv.Handler()
		requests := []struct {
			name string
			req  func() *http.Request
		}{
			{"rest", func() *http.Request {
				return httptest.NewRequest(http.MethodGet, "/api/posts?limit=20&expand=author", nil)
			}},
			{"graphql", func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":`+mustQuote(listQuery)+`}`))
				r.Header.Set("Content-Type", "application/json")
				return r
			}},
		}
		for _, rq := range requests {
			b.Run(name+"/"+rq.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, rq.req())
					if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
						b.Fatalf("%d %s", w.Code, w.Body.String())
					}
				}
			})
		}
		srv.Close()
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// mustQuote returns s as a JSON string.
func mustQuote(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}
