//go:build specstar

// The blog example: authors, posts and comments, with users and permission
// rules. This is the Go form of examples/blog/specstar.yaml, and generates
// the same code.
package blog

import (
	"time"

	"github.com/specstar-go/specstar/runtime/spec"
)

var _ = spec.Spec{Version: 1, Package: "blog", Auth: spec.Auth{Roles: []string{"admin", "editor", "viewer"}}}

// A person who writes posts.
type Author struct {
	Name    string     `specstar:"required,max_length=100,display"`
	Email   spec.Email `specstar:"required,unique"`
	Bio     spec.Text  `specstar:"max_length=2000"`
	Website spec.URL
	Address struct {
		City    string `specstar:"max_length=80,index"`
		Country string `specstar:"min_length=2,max_length=2,pattern=^[A-Z]{2}$"`
	}
}

var _ = spec.Permissions[Author]{
	Read:   "public",
	Create: "role:editor",
	Update: "owner | role:editor",
	Delete: "role:admin",
}

// A blog post.
type Post struct {
	spec.Resource `specstar:"default_sort=-published_at|title,keep_last=100"`

	Title       string `specstar:"required,min_length=3,max_length=200,index,display"`
	Slug        string `specstar:"pattern=^[a-z0-9]+(-[a-z0-9]+)*$,unique"`
	Body        spec.Text
	Status      spec.Enum        `specstar:"values=draft|published|archived,default=draft,index"`
	Tags        []string         `specstar:"max_length=10,index"`
	Views       int              `specstar:"min=0,default=0,index"`
	Rating      float64          `specstar:"min=0,max=5"`
	Featured    bool             `specstar:"default=false,write=role:editor"`
	PublishedAt time.Time        `specstar:"index"`
	Author      spec.Ref[Author] `specstar:"required,on_delete=cascade,index"`
	Editor      spec.Ref[Author] `specstar:"on_delete=set_null"`
	Metadata    spec.JSON
	ReviewNotes spec.Text `specstar:"max_length=2000,read=role:editor,write=role:editor"`
	// Uploaded with the post (multipart) or by id after POST /api/files (docs/files.md).
	Cover       spec.File   `specstar:"max_size=5MB,accept=image/png|image/jpeg"`
	Attachments []spec.File `specstar:"max_length=10,max_size=20MB"`
}

// Published posts are public; drafts and archived posts are seen by their writer, editors and viewers.
var _ = spec.Permissions[Post]{
	Read:   `role:editor | role:viewer | owner | where(status = "published")`,
	Create: "authenticated",
	Update: "owner | role:editor",
	Delete: "owner | role:editor",
	Purge:  "role:admin",
}

// A reader's comment on a post.
type Comment struct {
	Post       spec.Ref[Post] `specstar:"required,on_delete=restrict"`
	AuthorName string         `specstar:"required,max_length=80,display"`
	Body       spec.Text      `specstar:"required,min_length=1,max_length=5000"`
	Day        spec.Date
	ExternalID spec.UUID `specstar:"unique"`
}

var _ = spec.Permissions[Comment]{
	Read:   "public",
	Create: "authenticated",
	Update: "owner",
	Delete: "owner | role:editor",
}

// One entry of the blog's public feed, written by the Post hooks in the transaction that publishes a post.
type FeedEntry struct {
	spec.Resource `specstar:"default_sort=-published_at"`

	Post        spec.Ref[Post] `specstar:"required,on_delete=cascade,index"`
	Title       string         `specstar:"required,max_length=200,display"`
	PublishedAt time.Time      `specstar:"required,index"`
}

// Hooks are trusted code: the Post hooks write entries whatever these rules say.
var _ = spec.Permissions[FeedEntry]{
	Read:   "public",
	Create: "role:admin",
	Update: "role:admin",
	Delete: "role:admin",
}

// Tells the blog's readers about a newly published post; the Post hooks enqueue it in the transaction that publishes the post.
type NotifySubscribers struct {
	spec.Job `specstar:"max_attempts=5,timeout=2m,concurrency=4,unique_for=1h"`

	Post  spec.Ref[Post] `specstar:"required"`
	Title string         `specstar:"required,max_length=200"`
	// How long delivery takes, in milliseconds: the tests use it to catch a job while it runs.
	DelayMs int `specstar:"min=0,max=600000,default=0"`
}

// Counts the posts published in the last day; runs every day at 09:00 UTC.
type DailyDigest struct {
	spec.Job `specstar:"schedule='0 9 * * *',timeout=5m"`

	WindowHours int `specstar:"min=1,max=168,default=24"`
}
