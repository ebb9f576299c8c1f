// Package blogclient is a round trip through the blog's GraphQL API
// using only a client that genqlient generated from the published
// schema. TestGraphQLClientRoundTrip (examples/blog) copies this file
// into a temporary module next to the generated client and runs it
// against a live server at $BLOG_URL.
package blogclient

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

func ptr[T any](v T) *T { return &v }

// code returns the extensions.code of the first GraphQL error in err.
func code(err error) string {
	var list gqlerror.List
	if errors.As(err, &list) && len(list) > 0 {
		c, _ := list[0].Extensions["code"].(string)
		return c
	}
	return ""
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := graphql.NewClient(os.Getenv("BLOG_URL")+"/graphql", http.DefaultClient)

	a, err := CreateAuthor(ctx, c, AuthorInput{Name: "Ada", Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	author := a.CreateAuthor.Id
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	p, err := CreatePost(ctx, c, PostInput{
		Title: "Hello", Slug: ptr("hello"), Author: author, Status: ptr(PostStatusPublished),
		Tags: []string{"go"}, Views: ptr(int64(1) << 40), PublishedAt: &when,
		Metadata: ptr(json.RawMessage(`{"source":"genqlient"}`)),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := p.CreatePost.Id
	d := p.CreatePost.Data
	if d.Title != "Hello" || *d.Status != PostStatusPublished || *d.Views != 1<<40 || !d.PublishedAt.Equal(when) ||
		string(*d.Metadata) != `{"source":"genqlient"}` || p.CreatePost.RevisionInfo.Status != RevisionStatusStable {
		t.Fatalf("created %+v", p.CreatePost)
	}

	got, err := GetPost(ctx, c, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Post.Author.Data.Name != "Ada" || got.Post.Etag != p.CreatePost.Etag {
		t.Fatalf("read %+v", got.Post)
	}

	in := PostInput{Title: "Hello again", Slug: ptr("hello"), Author: author}
	u, err := UpdatePost(ctx, c, id, in, &got.Post.Etag)
	if err != nil {
		t.Fatal(err)
	}
	if u.UpdatePost.RevisionInfo.Number != 2 {
		t.Fatalf("update wrote revision %d", u.UpdatePost.RevisionInfo.Number)
	}
	if _, err := UpdatePost(ctx, c, id, in, &got.Post.Etag); code(err) != "PRECONDITION_FAILED" {
		t.Fatalf("stale ifMatch: %v", err)
	}

	pt, err := PatchPost(ctx, c, id, json.RawMessage(`{"views": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	if *pt.PatchPost.Data.Views != 7 || pt.PatchPost.RevisionInfo.Number != 3 {
		t.Fatalf("patched %+v", pt.PatchPost)
	}

	for i := range 3 {
		if _, err := CreatePost(ctx, c, PostInput{Title: "More " + string(rune('a'+i)), Slug: ptr("more-" + string(rune('a'+i))),
			Author: author, Views: ptr(int64(i))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	filter := &PostFilter{Views: &IntFilter{Lt: ptr(int64(5))}}
	order := []PostOrder{{Field: PostOrderFieldViews, Direction: OrderDirectionDesc}}
	var titles []string
	var after *string
	for {
		l, err := ListPosts(ctx, c, filter, order, ptr(2), after)
		if err != nil {
			t.Fatal(err)
		}
		if l.Posts.TotalCount != 3 {
			t.Fatalf("totalCount %d, want 3", l.Posts.TotalCount)
		}
		for _, n := range l.Posts.Nodes {
			titles = append(titles, n.Data.Title)
		}
		if !l.Posts.PageInfo.HasNextPage {
			break
		}
		after = l.Posts.PageInfo.EndCursor
	}
	if len(titles) != 3 || titles[0] != "More c" || titles[2] != "More a" {
		t.Fatalf("listed %v", titles)
	}

	r, err := Revisions(ctx, c, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Post.Revisions.Nodes) != 3 || r.Post.Revisions.Nodes[0].Number != 3 || r.Post.Diff == nil {
		t.Fatalf("revisions %+v", r.Post)
	}
	sw, err := SwitchRevision(ctx, c, id, "1")
	if err != nil {
		t.Fatal(err)
	}
	if sw.SwitchPostRevision.Data.Title != "Hello" {
		t.Fatalf("switched to %+v", sw.SwitchPostRevision)
	}

	del, err := DeletePost(ctx, c, id)
	if err != nil || !del.DeletePost.Meta.IsDeleted {
		t.Fatalf("delete: %+v, %v", del, err)
	}
	if _, err := GetPost(ctx, c, id, nil); code(err) != "GONE" {
		t.Fatalf("read of a deleted post: %v", err)
	}
	res, err := RestorePost(ctx, c, id)
	if err != nil || res.RestorePost.Meta.IsDeleted {
		t.Fatalf("restore: %+v, %v", res, err)
	}
	if _, err := GetPost(ctx, c, "no-such-id", nil); code(err) != "NOT_FOUND" {
		t.Fatalf("read of an unknown post: %v", err)
	}
}
