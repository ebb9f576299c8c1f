// Package spec holds the marker types of a specstar spec written in Go.
//
// A Go spec is one Go file, guarded by the build constraint
// "//go:build specstar" so that it is never part of a normal build, that
// declares the spec's header and one exported struct type per resource:
//
//	//go:build specstar
//
//	package blog
//
//	import "github.com/specstar-go/specstar/runtime/spec"
//
//	var _ = spec.Spec{Version: 1, Package: "blog"}
//
//	// A person who writes posts.
//	type Author struct {
//		Name  string     `specstar:"required,max_length=100,display"`
//		Email spec.Email `specstar:"required,unique"`
//	}
//
// specstar reads the file statically, with go/parser, and never compiles
// or runs it. The types here exist so that the file type-checks when an
// editor or `go vet -tags specstar` opens it: they carry no behaviour, and
// generated code does not use them. See docs/spec-go.md for the format.
package spec

// Spec is the header of a Go spec, written once as
//
//	var _ = spec.Spec{Version: 1, Package: "blog", Output: "internal/blog"}
//
// Version is the version of the spec format (1). Package is the Go package
// name of the generated code. Output is the directory of the generated
// code, relative to the spec file's directory; it defaults to Package.
// Auth, when written, turns on users, login and permissions (the auth
// block of a YAML spec).
type Spec struct {
	Version int
	Package string
	Output  string
	Auth    Auth
}

// Auth is the auth block of a spec: its roles ("admin" is always one, and
// passes every rule) and the lifetimes of its tokens, as durations such
// as "15m", "720h" or "30d":
//
//	Auth: spec.Auth{Roles: []string{"editor", "viewer"}, AccessTokenTTL: "15m", RefreshTokenTTL: "720h"}
type Auth struct {
	Roles           []string
	AccessTokenTTL  string // default "15m"
	RefreshTokenTTL string // default "720h"
}

// Permissions declares the permission rules of the resource T, one string
// per action; an action left out takes its default (docs/spec.md). A
// raw string literal keeps the quotes of a where() filter readable:
//
//	var _ = spec.Permissions[Post]{
//		Read:   `public | where(status = "published")`,
//		Create: "authenticated",
//		Update: "owner | role:editor",
//		Delete: "role:admin",
//	}
//
// Field-level rules go in the specstar tag of the field:
// `specstar:"read=role:editor,write=role:editor"`.
type Permissions[T any] struct {
	Read, List, Create, Update, Switch, Delete, Restore, Purge string
}

// Resource is embedded in a resource struct to set resource options with
// its struct tag:
//
//	spec.Resource `specstar:"path=articles,default_sort=-published_at|title,keep_last=100,max_age=30d"`
type Resource struct{}

// Text is a long text field (the admin renders it as a text area).
type Text string

// Email is a bare email address field ("ada@example.com").
type Email string

// URL is an absolute http or https URL field.
type URL string

// UUID is a UUID field in canonical 8-4-4-4-12 hex form.
type UUID string

// Date is a date field in YYYY-MM-DD form. Use time.Time for a date-time.
type Date string

// JSON is a field holding any JSON value, stored as is. json.RawMessage
// is accepted too.
type JSON []byte

// Enum is a field holding one of the values listed in its tag:
//
//	Status spec.Enum `specstar:"values=draft|published,default=draft"`
type Enum string

// Ref is a reference to a resource of type T, declared in the same spec:
// its value is the resource_id of the target.
//
//	Author spec.Ref[Author] `specstar:"required,on_delete=cascade"`
type Ref[T any] string

// User stands for the built-in User resource of a spec with auth, which
// the spec does not declare, in references to it:
//
//	Assignee spec.Ref[spec.User] `specstar:"on_delete=set_null"`
type User struct{}

// File is an uploaded file field, limited by the max_size and accept tag
// keys. Its value in the API is the file's metadata; the bytes live in
// the blob store.
type File struct{}

// Job is embedded in an exported struct type to make it a background job
// type (docs/jobs.md) instead of a resource: its other fields are the
// job's payload, and its struct tag holds the job's options:
//
//	// Sends the newsletter of a post.
//	type SendNewsletter struct {
//		spec.Job `specstar:"max_attempts=5,timeout=2m,schedule='0 9 * * MON',concurrency=4,unique_for=1h"`
//
//		Post    spec.Ref[Post] `specstar:"required"`
//		Subject string         `specstar:"max_length=200"`
//	}
//
// Quote a schedule that holds commas: schedule='0 9 * * MON,THU'.
type Job struct{}
