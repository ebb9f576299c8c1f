package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/server"
)

// The blog's business logic (blog/hooks.go) over REST, on every backend:
// the computed slug, the publication time and feed entry written in the
// transaction that publishes a post, the rule that an archived post stays
// archived, and the custom publish route.
func TestHooks(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("computed slug", func(t *testing.T) { testComputedSlug(t, newClient(t, b, nil)) })
			t.Run("publishing writes the feed", func(t *testing.T) { testPublishFeed(t, newClient(t, b, nil)) })
			t.Run("archived stays archived", func(t *testing.T) { testArchivedStays(t, newClient(t, b, nil)) })
			t.Run("publish route", func(t *testing.T) { testPublishRoute(t, newClient(t, b, nil)) })
			t.Run("failure after the hook's write leaves nothing", func(t *testing.T) { testHookAtomic(t, b) })
			t.Run("hook errors as problems", func(t *testing.T) { testHookProblems(t, b) })
		})
	}
}

func testComputedSlug(t *testing.T, c *client) {
	ada := c.createAuthor("Ada", "ada@example.com")
	r := c.must(http.StatusCreated, "POST", "/api/posts", map[string]any{"title": "Hello, World: Part 2!", "author": ada})
	if got := r.str(t, "data.slug"); got != "hello-world-part-2" {
		t.Errorf("computed slug %q", got)
	}
	// A slug sent is kept; a title without letters or digits cannot make one.
	r = c.must(http.StatusCreated, "POST", "/api/posts", postBody("Another post", "my-own", ada))
	if got := r.str(t, "data.slug"); got != "my-own" {
		t.Errorf("sent slug became %q", got)
	}
	wantFields(t, "slug of ???", c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/posts",
		map[string]any{"title": "???", "author": ada}), []string{"slug"})
	// The computed slug is unique like any other.
	wantFields(t, "taken slug", c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/posts",
		map[string]any{"title": "Hello world part 2", "author": ada}), []string{"slug"})
	// A patch that removes the slug gets it back from the title.
	id := r.str(t, "meta.resource_id")
	p := c.must(http.StatusOK, "PATCH", "/api/posts/"+id, `{"slug": null, "title": "Renamed post"}`, "Content-Type", mergePatch)
	if got := p.str(t, "data.slug"); got != "renamed-post" {
		t.Errorf("slug after removing it: %q", got)
	}
	if n := c.count("posts", ""); n != 2 {
		t.Errorf("%d posts, want 2", n)
	}
}

// feed returns the feed entries of a post: title and published_at.
func feed(t *testing.T, c *client, post string) [][2]string {
	t.Helper()
	r := c.must(http.StatusOK, "GET", "/api/feed-entries?filter="+urlQuery(`post = "`+post+`"`), nil)
	var out [][2]string
	for i := range r.list(t, "items") {
		out = append(out, [2]string{r.str(t, fmt.Sprintf("items.%d.data.title", i)), r.str(t, fmt.Sprintf("items.%d.data.published_at", i))})
	}
	return out
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", `"`, "%22", "=", "%3D", "&", "%26", "+", "%2B").Replace(s)
}

func testPublishFeed(t *testing.T, c *client) {
	ada := c.createAuthor("Ada", "ada@example.com")
	// Created published: the hooks stamp it and add it to the feed.
	r := c.must(http.StatusCreated, "POST", "/api/posts", map[string]any{"title": "Live now", "author": ada, "status": "published"})
	live := r.str(t, "meta.resource_id")
	at := r.str(t, "data.published_at")
	if at == "" {
		t.Fatal("a post created published has no published_at")
	}
	if got := feed(t, c, live); len(got) != 1 || got[0] != [2]string{"Live now", at} {
		t.Errorf("feed of the new post: %v, want one entry at %s", got, at)
	}
	// A draft is not in the feed until it is published; an explicit time is kept.
	draft := c.createPost("Soon", "soon", ada)
	if got := feed(t, c, draft); len(got) != 0 {
		t.Errorf("a draft is in the feed: %v", got)
	}
	c.must(http.StatusOK, "PUT", "/api/posts/"+draft, with(postBody("Soon", "soon", ada), "status", "published", "published_at", "2024-05-01T08:30:00Z"))
	want := [][2]string{{"Soon", "2024-05-01T08:30:00Z"}}
	if got := feed(t, c, draft); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("feed after publishing: %v, want %v", got, want)
	}
	// Writing a published post again adds nothing.
	c.must(http.StatusOK, "PATCH", "/api/posts/"+draft, `{"views": 3}`, "Content-Type", mergePatch)
	if got := feed(t, c, draft); len(got) != 1 {
		t.Errorf("feed after an edit of a published post: %v", got)
	}
	// Deleting the post cascades to its feed entry.
	c.must(http.StatusOK, "DELETE", "/api/posts/"+live, nil)
	if got := feed(t, c, live); len(got) != 0 {
		t.Errorf("feed of a deleted post: %v", got)
	}
}

func testArchivedStays(t *testing.T, c *client) {
	ada := c.createAuthor("Ada", "ada@example.com")
	r := c.must(http.StatusCreated, "POST", "/api/posts", with(postBody("Old news", "old-news", ada), "status", "archived"))
	id := r.str(t, "meta.resource_id")
	for _, status := range []string{"draft", "published"} {
		fields := c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "PATCH", "/api/posts/"+id,
			`{"status": "`+status+`"}`, "Content-Type", mergePatch)
		wantFields(t, "archived to "+status, fields, []string{"status"})
	}
	if got := c.revisionIDs("posts", id, ""); len(got) != 1 {
		t.Errorf("refused transitions wrote revisions: %v", got)
	}
	if got := feed(t, c, id); len(got) != 0 {
		t.Errorf("a refused publish reached the feed: %v", got)
	}
	// Other edits of an archived post are fine.
	c.must(http.StatusOK, "PATCH", "/api/posts/"+id, `{"views": 9}`, "Content-Type", mergePatch)
}

// raw sends a request outside the OpenAPI document's check (custom routes
// are not in the document) and decodes a JSON answer.
func (c *client) raw(method, path, body string, header ...string) (int, http.Header, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &out); err != nil {
			c.t.Fatalf("%s %s: %d answer is not JSON: %s", method, path, resp.StatusCode, data)
		}
	}
	return resp.StatusCode, resp.Header, out
}

func testPublishRoute(t *testing.T, c *client) {
	ada := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Ready", "ready", ada)
	status, h, body := c.raw("POST", "/api/posts/"+id+"/publish", "", "If-Match", `"wrong"`)
	if status != http.StatusPreconditionFailed || h.Get("Content-Type") != "application/problem+json" || body["code"] != "PRECONDITION_FAILED" {
		t.Errorf("publish with a stale If-Match: %d %s %v", status, h.Get("Content-Type"), body)
	}
	status, h, body = c.raw("POST", "/api/posts/"+id+"/publish", "", "If-Match", etag(rev(id, 1)))
	if status != http.StatusOK {
		t.Fatalf("publish: %d %v", status, body)
	}
	data, _ := body["data"].(map[string]any)
	meta, _ := body["meta"].(map[string]any)
	if data["status"] != "published" || data["published_at"] == nil || meta["current_revision_id"] != rev(id, 2) {
		t.Errorf("published post: %v", body)
	}
	if got := h.Get("ETag"); got != etag(rev(id, 2)) {
		t.Errorf("ETag %q, want %q", got, etag(rev(id, 2)))
	}
	if got := feed(t, c, id); len(got) != 1 {
		t.Errorf("feed after the publish route: %v", got)
	}
	// The same envelope as a read.
	read := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil)
	wantJSON(t, "publish answer", body, string(read.Body))

	status, h, body = c.raw("POST", "/api/posts/"+id+"/publish", "")
	if status != http.StatusConflict || body["code"] != "CONFLICT" || h.Get("Content-Type") != "application/problem+json" {
		t.Errorf("publish twice: %d %v", status, body)
	}
	status, _, body = c.raw("POST", "/api/posts/01900000-0000-7000-8000-000000000000/publish", "")
	if status != http.StatusNotFound || body["code"] != "NOT_FOUND" {
		t.Errorf("publish an unknown post: %d %v", status, body)
	}
}

// failingFeed makes every feed entry's write fail after it is stored, so
// that the post that published it fails after its hook wrote the entry.
func failingFeed() blog.Option {
	return blog.WithFeedEntryHooks(blog.FeedEntryHooks{
		AfterWrite: func(ctx context.Context, w *blog.FeedEntryWrite) error {
			if w.Data.Title == "Doomed" {
				return resource.Errorf(resource.CodeConflict, "the feed is closed")
			}
			return nil
		},
	})
}

func testHookAtomic(t *testing.T, b backend) {
	c := newClient(t, b, nil, failingFeed())
	ada := c.createAuthor("Ada", "ada@example.com")
	// Create: the post and its feed entry were both written when the
	// entry's hook failed; neither stays.
	c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/posts", with(postBody("Doomed", "doomed", ada), "status", "published"))
	if n := c.count("posts", ""); n != 0 {
		t.Errorf("%d posts after a failed publish, want 0", n)
	}
	if n := c.count("feed-entries", ""); n != 0 {
		t.Errorf("%d feed entries after a failed publish, want 0", n)
	}
	// Update: the same on a post that exists.
	id := c.createPost("Doomed", "doomed", ada)
	c.problem(http.StatusConflict, "CONFLICT", "PATCH", "/api/posts/"+id, `{"status": "published"}`, "Content-Type", mergePatch)
	r := c.must(http.StatusOK, "GET", "/api/posts/"+id, nil)
	if r.str(t, "data.status") != "draft" || r.get(t, "data.published_at") != nil {
		t.Errorf("post after a failed publish: %s", r.Body)
	}
	if got := c.revisionIDs("posts", id, ""); len(got) != 1 {
		t.Errorf("revisions after a failed publish: %v", got)
	}
	if n := c.count("feed-entries", ""); n != 0 {
		t.Errorf("%d feed entries after a failed publish, want 0", n)
	}
	// A post that can publish still does.
	c.must(http.StatusCreated, "POST", "/api/posts", with(postBody("Fine", "fine", ada), "status", "published"))
	if n := c.count("feed-entries", ""); n != 1 {
		t.Errorf("%d feed entries, want 1", n)
	}
}

// refusingAuthors answers each class of hook error by the author's name.
func refusingAuthors() blog.Option {
	return blog.WithAuthorHooks(blog.AuthorHooks{
		Validate: func(ctx context.Context, w *blog.AuthorWrite) error {
			switch w.Data.Name {
			case "invalid":
				var errs resource.ValidationErrors
				errs.Add("name", "is not a name")
				errs.Add("bio", "is required for this name")
				return errs.Err()
			case "forbidden":
				return resource.Forbidden("authors named %q are not allowed", w.Data.Name)
			case "missing":
				return resource.Errorf(resource.CodeNotFound, "no such editor")
			case "conflict":
				return resource.Errorf(resource.CodeConflict, "already taken")
			case "quota":
				return resource.NewError(http.StatusTooManyRequests, "QUOTA_EXCEEDED", "the plan allows 3 authors")
			case "secret":
				return errors.New("database password is hunter2")
			}
			return nil
		},
		BeforeDelete: func(ctx context.Context, e *blog.AuthorEvent) error {
			if e.Record.Data.Name == "Keeper" {
				return resource.Forbidden("Keeper cannot be deleted")
			}
			return nil
		},
	})
}

// hookErrorCases are the hook errors and how both APIs answer them.
var hookErrorCases = []struct {
	name   string
	status int
	code   string
	fields []string
}{
	{"invalid", http.StatusUnprocessableEntity, "VALIDATION_ERROR", []string{"name", "bio"}},
	{"forbidden", http.StatusForbidden, "FORBIDDEN", nil},
	{"missing", http.StatusNotFound, "NOT_FOUND", nil},
	{"conflict", http.StatusConflict, "CONFLICT", nil},
	{"quota", http.StatusTooManyRequests, "QUOTA_EXCEEDED", nil},
	{"secret", http.StatusInternalServerError, "INTERNAL", nil},
}

func testHookProblems(t *testing.T, b backend) {
	c := newClient(t, b, nil, refusingAuthors())
	for _, tt := range hookErrorCases {
		status, h, body := c.raw("POST", "/api/authors", `{"name": "`+tt.name+`", "email": "x@example.com"}`, "Content-Type", "application/json")
		if status != tt.status || body["code"] != tt.code || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %v, want %d %s", tt.name, status, body, tt.status, tt.code)
		}
		if strings.Contains(fmt.Sprint(body), "hunter2") {
			t.Errorf("%s: the answer leaks the cause: %v", tt.name, body)
		}
		var fields []string
		errs, _ := body["errors"].([]any)
		for _, e := range errs {
			fields = append(fields, e.(map[string]any)["field"].(string))
		}
		if fmt.Sprint(fields) != fmt.Sprint(tt.fields) {
			t.Errorf("%s: fields %v, want %v", tt.name, fields, tt.fields)
		}
	}
	if n := c.count("authors", ""); n != 0 {
		t.Errorf("%d authors after refused writes", n)
	}
	keeper := c.createAuthor("Keeper", "keeper@example.com")
	c.problem(http.StatusForbidden, "FORBIDDEN", "DELETE", "/api/authors/"+keeper, nil)
	c.must(http.StatusOK, "GET", "/api/authors/"+keeper, nil)
}

// The same logic over GraphQL.
func TestHooksGraphQL(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			s := newGQLServer(t, b, nil, failingFeed(), refusingAuthors())
			ada := s.createAuthor("Ada", "ada@example.com")
			d := s.query(`mutation($in: PostInput!) { createPost(input: $in) { id data { slug status publishedAt } } }`,
				"in", map[string]any{"title": "Hello GraphQL", "author": ada, "status": "PUBLISHED"})
			id := d.str("createPost.id")
			if d.str("createPost.data.slug") != "hello-graphql" || d.get("createPost.data.publishedAt") == nil {
				t.Errorf("createPost: %v", d.get("createPost"))
			}
			f := s.query(`query($f: FeedEntryFilter) { feedEntries(filter: $f) { totalCount nodes { data { title } } } }`,
				"f", map[string]any{"post": map[string]any{"eq": id}})
			if f.num("feedEntries.totalCount") != 1 || f.str("feedEntries.nodes.0.data.title") != "Hello GraphQL" {
				t.Errorf("feed: %v", f.get("feedEntries"))
			}
			// Archived stays archived.
			a := s.query(`mutation($in: PostInput!) { createPost(input: $in) { id } }`,
				"in", map[string]any{"title": "Old", "author": ada, "status": "ARCHIVED"}).str("createPost.id")
			e := s.fail("VALIDATION_ERROR", `mutation($id: ID!, $p: JSON!) { patchPost(id: $id, patch: $p) { id } }`,
				"id", a, "p", map[string]any{"status": "PUBLISHED"})
			if len(e.Extensions.Errors) != 1 || e.Extensions.Errors[0].Field != "status" {
				t.Errorf("archived to published: %+v", e)
			}
			// A failure after the hook's write leaves nothing.
			s.fail("CONFLICT", `mutation($in: PostInput!) { createPost(input: $in) { id } }`,
				"in", map[string]any{"title": "Doomed", "author": ada, "status": "PUBLISHED"})
			n := s.query(`{ posts { totalCount } feedEntries { totalCount } }`)
			if n.num("posts.totalCount") != 2 || n.num("feedEntries.totalCount") != 1 {
				t.Errorf("after a failed publish: %v", n)
			}
			// Hook errors keep their class; internals do not leak.
			for _, tt := range hookErrorCases {
				_, errs := s.exec(`mutation($in: AuthorInput!) { createAuthor(input: $in) { id } }`,
					"in", map[string]any{"name": tt.name, "email": "x@example.com"})
				if len(errs) != 1 || errs[0].Extensions.Code != tt.code || strings.Contains(errs[0].Message, "hunter2") {
					t.Errorf("%s: errors %+v, want one %s", tt.name, errs, tt.code)
				}
			}
		})
	}
}

// The typed repositories run the same hooks, and a hook's writes through
// its Tx commit with the write.
func TestHooksTypedRepository(t *testing.T) {
	ctx := resource.WithPrincipal(context.Background(), testAdmin)
	// The service of a server: the Post hooks enqueue a job, so they need
	// the server's job queue.
	srv, err := blog.NewServer(server.Config{DatabaseURL: "memory:", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := blog.NewClient(srv.Service())
	ada, err := c.Author.Create(ctx, &blog.Author{Name: "Ada", Email: "ada@example.com"}, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Post.Create(ctx, &blog.Post{Title: "Typed and published", Author: ada.Meta.ResourceID, Status: new(blog.PostStatusPublished)}, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Data.Slug == nil || *p.Data.Slug != "typed-and-published" || p.Data.PublishedAt == nil {
		t.Fatalf("typed create: %+v", p.Data)
	}
	n, err := c.FeedEntry.Count(ctx, resource.ListQuery{Filter: `post = "` + p.Meta.ResourceID + `"`})
	if err != nil || n != 1 {
		t.Fatalf("feed entries: %d, %v", n, err)
	}
	_, err = c.Post.Patch(ctx, p.Meta.ResourceID, func(d *blog.Post) error {
		d.Status = new(blog.PostStatusArchived)
		return nil
	}, resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Post.Patch(ctx, p.Meta.ResourceID, func(d *blog.Post) error {
		d.Status = new(blog.PostStatusDraft)
		return nil
	}, resource.WriteOptions{})
	var re *resource.Error
	if !errors.As(err, &re) || re.Code != resource.CodeValidation || re.Fields[0].Field != "status" {
		t.Fatalf("typed patch of an archived post to draft: %v", err)
	}
	// Every operation has its typed method.
	data, info, err := c.Post.Revision(ctx, p.Meta.ResourceID, "1", resource.RevisionOptions{})
	if err != nil || data.Title != "Typed and published" || info.Number != 1 {
		t.Fatalf("Revision: %+v %+v %v", data, info, err)
	}
	ops, err := c.Post.Diff(ctx, p.Meta.ResourceID, "2", "", resource.RevisionOptions{})
	if err != nil || len(ops) != 1 {
		t.Fatalf("Diff: %+v %v", ops, err)
	}
	refs, err := c.Post.Referrers(ctx, p.Meta.ResourceID)
	if err != nil || len(refs) != 1 || refs[0].Resource != "FeedEntry" {
		t.Fatalf("Referrers: %+v %v", refs, err)
	}
}

// A request's context ends at the server's write timeout: a hook waiting
// on it stops, the write rolls back, over REST and GraphQL alike.
func TestRequestDeadlineStopsWork(t *testing.T) {
	ended := make(chan error, 2)
	slow := blog.WithAuthorHooks(blog.AuthorHooks{
		Validate: func(ctx context.Context, w *blog.AuthorWrite) error {
			select {
			case <-ctx.Done():
				ended <- ctx.Err()
				return ctx.Err()
			case <-time.After(10 * time.Second):
				ended <- nil
				return nil
			}
		},
	})
	short := func(cfg *server.Config) { cfg.WriteTimeout = 300 * time.Millisecond }
	for _, b := range backends[:2] { // memory and SQLite
		t.Run(b.name, func(t *testing.T) {
			s := newGQLServer(t, b, short, slow)
			start := time.Now()
			// The connection is cut at the write timeout: a client error or a 503.
			status := 0
			if resp, err := s.rest.hc.Post(s.rest.base+"/api/authors", "application/json",
				strings.NewReader(`{"name": "Slow", "email": "slow@example.com"}`)); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			s.exec(`mutation { createAuthor(input: {name: "Slower", email: "slower@example.com"}) { id } }`)
			for range 2 {
				if err := <-ended; !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("the hook ended with %v, want the request's deadline", err)
				}
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("two requests took %v with a 300ms write timeout", d)
			}
			if status != 0 && status < 500 {
				t.Errorf("REST answered %d for a request past its deadline", status)
			}
			if n := s.rest.count("authors", ""); n != 0 {
				t.Errorf("%d authors written by requests stopped at their deadline", n)
			}
		})
	}
}
