package blog

// The background jobs of the blog (docs/jobs.md). specstar gen wrote this file
// once and never changes it.

import (
	"context"
	"fmt"
	"time"

	"github.com/specstar-go/specstar/runtime/jobs"
	"github.com/specstar-go/specstar/runtime/resource"
)

// jobHandlers returns the options that set the handler of each job type; App
// applies them after setup's. A job type without a handler stops the server at
// startup, naming it: add its option here when the spec gains a job.
func jobHandlers() []Option {
	return []Option{
		WithNotifySubscribersHandler(notifySubscribers),
		WithDailyDigestHandler(dailyDigest),
	}
}

// Notified is the result of a NotifySubscribers job.
type Notified struct {
	Post       string `json:"post"`
	Recipients int    `json:"recipients"`
}

// notifySubscribers tells the blog's readers (its users) about a newly
// published post. The Post hooks enqueue it in the transaction that publishes
// the post, so a post is never published without it. A post deleted since
// has nothing to announce: the job fails without retry.
func notifySubscribers(ctx context.Context, run *NotifySubscribersRun) (*Notified, error) {
	post, err := run.Client.Post.Get(ctx, run.Payload.Post, resource.ReadOptions{})
	if err != nil {
		if c := resource.CodeOf(err); c == resource.CodeNotFound || c == resource.CodeGone {
			return nil, jobs.Fail(fmt.Errorf("post %s is gone: %w", run.Payload.Post, err))
		}
		return nil, err // retried
	}
	if d := run.Payload.DelayMs; d != nil && *d > 0 {
		// Delivery takes a while; stop when the job is cancelled or times out.
		select {
		case <-time.After(time.Duration(*d) * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	readers, err := run.Client.User.Count(ctx, resource.ListQuery{})
	if err != nil {
		return nil, err
	}
	run.Logger.Info("notified the readers", "post", post.Meta.ResourceID, "title", post.Data.Title, "recipients", readers)
	return &Notified{Post: post.Meta.ResourceID, Recipients: readers}, nil
}

// Digest is the result of a DailyDigest job.
type Digest struct {
	Since     time.Time `json:"since"`
	Published int       `json:"published"`
}

// dailyDigest counts the posts published in the window before the job's tick
// (or before now, for a job enqueued by hand).
func dailyDigest(ctx context.Context, run *DailyDigestRun) (*Digest, error) {
	end := run.Tick
	if end.IsZero() {
		end = now()
	}
	hours := int64(24)
	if h := run.Payload.WindowHours; h != nil {
		hours = *h
	}
	since := end.Add(-time.Duration(hours) * time.Hour).UTC()
	n, err := run.Client.Post.Count(ctx, resource.ListQuery{
		Filter: fmt.Sprintf(`status = "published" && published_at >= %q && published_at < %q`, since.Format(time.RFC3339Nano), end.UTC().Format(time.RFC3339Nano)),
	})
	if err != nil {
		return nil, err
	}
	run.Logger.Info("daily digest", "since", since, "published", n)
	return &Digest{Since: since, Published: n}, nil
}
