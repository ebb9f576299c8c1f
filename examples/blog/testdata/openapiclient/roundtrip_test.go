// Package blogclient_test is compiled only by TestOpenAPIClientRoundTrip
// (examples/blog/openapi_client_test.go), in a temporary module next to a
// client that oapi-codegen generated from examples/blog/blog/openapi.json.
// It talks to the live server at $BLOG_URL through that client alone: no
// specstar package, no hand-written HTTP.
package blogclient_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"testing"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"example.com/blogclient"
)

// status fails the test unless the response has the wanted status.
func status(t *testing.T, what string, got interface{ StatusCode() int }, body []byte, want int) {
	t.Helper()
	if got.StatusCode() != want {
		t.Fatalf("%s: status %d, want %d; body: %s", what, got.StatusCode(), want, body)
	}
}

func TestRoundTrip(t *testing.T) {
	base := os.Getenv("BLOG_URL")
	if base == "" {
		t.Fatal("BLOG_URL is not set")
	}
	c, err := blogclient.NewClientWithResponses(base)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Two authors: the filter below must tell their posts apart.
	var authors []openapi_types.UUID
	for _, a := range []blogclient.AuthorInput{{Name: "Ada", Email: "ada@example.com"}, {Name: "Grace", Email: "grace@example.com"}} {
		res, err := c.CreateAuthorWithResponse(ctx, nil, a)
		if err != nil {
			t.Fatal(err)
		}
		status(t, "create author", res, res.Body, http.StatusCreated)
		if res.HTTPResponse.Header.Get("Location") == "" {
			t.Error("create author: no Location")
		}
		authors = append(authors, *res.JSON201.Meta.ResourceId)
	}
	ada, grace := authors[0], authors[1]

	created, err := c.CreatePostWithResponse(ctx, nil, blogclient.PostInput{Title: "Hello world", Slug: new("hello-world"), Author: ada, Tags: &[]string{"go"}})
	if err != nil {
		t.Fatal(err)
	}
	status(t, "create post", created, created.Body, http.StatusCreated)
	post := *created.JSON201.Meta.ResourceId
	firstETag := created.HTTPResponse.Header.Get("ETag")

	read, err := c.GetPostWithResponse(ctx, post, nil)
	if err != nil {
		t.Fatal(err)
	}
	status(t, "read post", read, read.Body, http.StatusOK)
	if read.JSON200.Data.Title == nil || *read.JSON200.Data.Title != "Hello world" || read.HTTPResponse.Header.Get("ETag") != firstETag {
		t.Errorf("read post: title %v, ETag %q; want Hello world, %q", read.JSON200.Data.Title, read.HTTPResponse.Header.Get("ETag"), firstETag)
	}
	if *read.JSON200.Data.Status != blogclient.PostStatusDraft || *read.JSON200.Data.Views != 0 {
		t.Errorf("read post: defaults not applied: status %v, views %v", *read.JSON200.Data.Status, *read.JSON200.Data.Views)
	}

	// PUT with the ETag just read, then again with the same, now stale, one.
	replaced, err := c.ReplacePostWithResponse(ctx, post, &blogclient.ReplacePostParams{IfMatch: &firstETag},
		blogclient.PostInput{Title: "Hello again", Slug: new("hello-world"), Author: ada})
	if err != nil {
		t.Fatal(err)
	}
	status(t, "replace post", replaced, replaced.Body, http.StatusOK)
	if *replaced.JSON200.RevisionInfo.ParentRevisionId != *created.JSON201.RevisionInfo.RevisionId {
		t.Errorf("replace: parent %v, want revision 1", *replaced.JSON200.RevisionInfo.ParentRevisionId)
	}
	stale, err := c.ReplacePostWithResponse(ctx, post, &blogclient.ReplacePostParams{IfMatch: &firstETag},
		blogclient.PostInput{Title: "Lost update", Slug: new("hello-world"), Author: ada})
	if err != nil {
		t.Fatal(err)
	}
	status(t, "replace with a stale If-Match", stale, stale.Body, http.StatusPreconditionFailed)
	if stale.ApplicationproblemJSON412 == nil || stale.ApplicationproblemJSON412.Code != blogclient.PRECONDITIONFAILED {
		t.Errorf("stale If-Match: problem %+v, want code PRECONDITION_FAILED", stale.ApplicationproblemJSON412)
	}

	views := int64(7)
	patched, err := c.PatchPostWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, post, nil, blogclient.PostMergePatch{Views: &views})
	if err != nil {
		t.Fatal(err)
	}
	status(t, "merge patch", patched, patched.Body, http.StatusOK)
	if *patched.JSON200.Data.Views != 7 || *patched.JSON200.Data.Title != "Hello again" {
		t.Errorf("merge patch: views %d, title %q; want 7, Hello again", *patched.JSON200.Data.Views, *patched.JSON200.Data.Title)
	}

	// Three more posts by Ada, one by Grace; page through Ada's two at a time.
	want := []openapi_types.UUID{post}
	for _, p := range []blogclient.PostInput{
		{Title: "Second post", Slug: new("second"), Author: ada},
		{Title: "Third post", Slug: new("third"), Author: ada},
		{Title: "Grace's post", Slug: new("grace"), Author: grace},
		{Title: "Fourth post", Slug: new("fourth"), Author: ada},
	} {
		res, err := c.CreatePostWithResponse(ctx, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		status(t, "create "+p.Title, res, res.Body, http.StatusCreated)
		if p.Author == ada {
			want = append(want, *res.JSON201.Meta.ResourceId)
		}
	}
	filter := `author = "` + ada.String() + `"`
	limit := 2
	var got []openapi_types.UUID
	params := &blogclient.ListPostsParams{Filter: &filter, Limit: &limit}
	for pages := 0; ; pages++ {
		if pages > len(want) {
			t.Fatalf("list: more pages than posts; got %v", got)
		}
		page, err := c.ListPostsWithResponse(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		status(t, "list posts", page, page.Body, http.StatusOK)
		for _, item := range page.JSON200.Items {
			got = append(got, *item.Meta.ResourceId)
		}
		if page.JSON200.NextCursor == nil {
			break
		}
		params.Cursor = page.JSON200.NextCursor
	}
	sortIDs := func(ids []openapi_types.UUID) []string {
		var s []string
		for _, id := range ids {
			s = append(s, id.String())
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(sortIDs(got), sortIDs(want)) {
		t.Errorf("list with filter %s: got %v, want Ada's posts %v", filter, got, want)
	}

	revs, err := c.ListPostRevisionsWithResponse(ctx, post, nil)
	if err != nil {
		t.Fatal(err)
	}
	status(t, "list revisions", revs, revs.Body, http.StatusOK)
	if n := len(revs.JSON200.Items); n != 3 {
		t.Fatalf("revisions: %d, want 3 (create, replace, patch)", n)
	}
	if *revs.JSON200.Items[0].RevisionId != *patched.JSON200.RevisionInfo.RevisionId {
		t.Errorf("revisions: newest is %v, want %v", *revs.JSON200.Items[0].RevisionId, *patched.JSON200.RevisionInfo.RevisionId)
	}

	switched, err := c.SwitchPostRevisionWithResponse(ctx, post, "1", nil)
	if err != nil {
		t.Fatal(err)
	}
	status(t, "switch to revision 1", switched, switched.Body, http.StatusOK)
	if *switched.JSON200.Data.Title != "Hello world" || *switched.JSON200.Meta.CurrentRevisionId != *created.JSON201.RevisionInfo.RevisionId {
		t.Errorf("switch: title %q, current %v; want revision 1", *switched.JSON200.Data.Title, *switched.JSON200.Meta.CurrentRevisionId)
	}

	deleted, err := c.DeletePostWithResponse(ctx, post, nil)
	if err != nil {
		t.Fatal(err)
	}
	status(t, "delete", deleted, deleted.Body, http.StatusOK)
	if !*deleted.JSON200.Meta.IsDeleted {
		t.Error("delete: meta.is_deleted is false")
	}
	gone, err := c.GetPostWithResponse(ctx, post, nil)
	if err != nil {
		t.Fatal(err)
	}
	status(t, "read deleted", gone, gone.Body, http.StatusGone)
	if gone.ApplicationproblemJSON410.Code != blogclient.GONE {
		t.Errorf("read deleted: code %s, want GONE", gone.ApplicationproblemJSON410.Code)
	}

	restored, err := c.RestorePostWithResponse(ctx, post, nil)
	if err != nil {
		t.Fatal(err)
	}
	status(t, "restore", restored, restored.Body, http.StatusOK)
	if *restored.JSON200.Meta.IsDeleted || *restored.JSON200.Data.Title != "Hello world" {
		t.Errorf("restore: is_deleted %v, title %q", *restored.JSON200.Meta.IsDeleted, *restored.JSON200.Data.Title)
	}
}
