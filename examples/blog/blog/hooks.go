package blog

// The business logic of the blog. specstar gen wrote this file once and never
// changes it; the hooks below run for REST, GraphQL and the typed
// repositories alike. docs/hooks.md explains each hook.

import (
	"context"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
)

// setup returns the options App applies before the ones passed to it.
func setup() []Option {
	return []Option{
		WithPostHooks(PostHooks{
			BeforeWrite: postBeforeWrite,
			Validate:    postValidate,
			AfterWrite:  postAfterWrite,
		}),
		WithRoutes(func(r *Routes) {
			r.POST("/posts/:id/publish", publishPost(r.Client))
		}),
	}
}

// now is the clock of the hooks; tests may replace it.
var now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// postBeforeWrite computes what a post's writer leaves out: the slug, from
// the title, and, when the post becomes published, its publication time.
func postBeforeWrite(ctx context.Context, w *PostWrite) error {
	p := w.Data
	if p.Slug == nil || *p.Slug == "" {
		slug := slugify(p.Title)
		if slug == "" {
			return resource.Invalid("slug", "cannot be made from the title, which has no letters or digits; send one")
		}
		p.Slug = &slug
	}
	if publishing(w) && p.PublishedAt == nil {
		p.PublishedAt = new(now())
	}
	return nil
}

// postAfterWrite adds a post that becomes published to the feed, and
// enqueues the job that tells its readers, in the transaction that publishes
// it: a post is never published without its feed entry and its notification,
// nor the other way round.
func postAfterWrite(ctx context.Context, w *PostWrite) error {
	if !publishing(w) {
		return nil
	}
	p := w.Stored.Data
	if _, err := w.Tx.FeedEntry.Create(ctx, &FeedEntry{Post: w.ID, Title: p.Title, PublishedAt: *p.PublishedAt}, resource.WriteOptions{}); err != nil {
		return err
	}
	_, err := w.Tx.NotifySubscribersJob.Enqueue(ctx, &NotifySubscribersPayload{Post: w.ID, Title: p.Title}, jobres.EnqueueOptions{})
	return err
}

// publishing reports whether w makes a post published that was not.
func publishing(w *PostWrite) bool {
	if w.Data.Status == nil || *w.Data.Status != PostStatusPublished {
		return false
	}
	return w.Current == nil || w.Current.Data.Status == nil || *w.Current.Data.Status != PostStatusPublished
}

// postValidate refuses the status changes the blog does not allow: an
// archived post stays archived (its URL may be cited; write a new post).
func postValidate(ctx context.Context, w *PostWrite) error {
	if w.Current == nil || w.Current.Data.Status == nil || *w.Current.Data.Status != PostStatusArchived {
		return nil
	}
	if w.Data.Status != nil && *w.Data.Status != PostStatusArchived {
		return resource.Invalid("status", "an archived post stays archived; write a new post instead")
	}
	return nil
}

// slugify turns a title into a slug: lower-case letters and digits in runs
// joined by single hyphens ("Hello, World!" => "hello-world"). Letters
// outside ASCII are dropped, as the slug's pattern allows only ASCII.
func slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		default:
			dash = true
		}
	}
	return b.String()
}

// publishPost serves POST /api/posts/:id/publish: it publishes a post (the
// hooks above set its publication time and feed entry) and answers with
// the post, like a write of the generated API. If-Match is honoured.
func publishPost(c *Client) echo.HandlerFunc {
	return func(ec echo.Context) error {
		opts, err := rest.WriteOptions(ec)
		if err != nil {
			return err
		}
		ctx := ec.Request().Context()
		rec, err := c.Post.Patch(ctx, ec.Param("id"), func(p *Post) error {
			if p.Status != nil && *p.Status == PostStatusPublished {
				return resource.Errorf(resource.CodeConflict, "the post is already published")
			}
			p.Status = new(PostStatusPublished)
			return nil
		}, opts)
		if err != nil {
			return err
		}
		ec.Response().Header().Set("ETag", resource.ETag(&rec.RevisionInfo))
		return ec.JSON(http.StatusOK, rec)
	}
}
