// Package model turns a spec AST into the resolved, validated model that
// emitters read. Every name an emitter needs (Go, JSON, table, route) is
// computed here, once, so emitters never derive names themselves.
package model

import (
	"fmt"
	"time"
)

// Pos is a position in a spec file. File is relative to the working
// directory, slash-separated; Line and Col are 1-based.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Model is a resolved spec.
type Model struct {
	// Source is the spec path relative to the module root, slash-separated,
	// written into the "// Source:" header line of generated files.
	Source string
	// Package is the Go package name of generated code.
	Package string
	// Output is the output directory relative to the spec file's directory,
	// slash-separated ("blog" unless the spec sets `output`).
	Output string
	// Auth is the resolved auth block; nil for a spec without one (no
	// users, no permissions: every caller may do everything).
	Auth *Auth
	// Resources in spec order, followed by the built-in resources of auth
	// (User, then the internal kinds) when the spec has an auth block,
	// then the resources of the spec's jobs (Resource.Job), in spec order.
	Resources []*Resource
}

// Jobs returns the resources of the spec's job types, in spec order.
func (m *Model) Jobs() []*Resource {
	var out []*Resource
	for _, r := range m.Resources {
		if r.Job != nil {
			out = append(out, r)
		}
	}
	return out
}

// Auth is the resolved auth block of a spec.
type Auth struct {
	Pos Pos
	// Roles are every role: the spec's, in spec order, with RoleAdmin
	// first when the spec does not list it.
	Roles      []string
	AccessTTL  time.Duration // lifetime of access tokens (JWT)
	RefreshTTL time.Duration // lifetime of the refresh tokens of a login
	// User is the built-in User resource.
	User *Resource
}

// APIResources returns the resources that clients and user code see: every
// resource but the internal ones, in model order. Emitters of routes,
// repositories, hooks, GraphQL and OpenAPI iterate it; only the storage
// (schema descriptors, migrations) covers Resources.
func (m *Model) APIResources() []*Resource {
	out := make([]*Resource, 0, len(m.Resources))
	for _, r := range m.Resources {
		if !r.Internal {
			out = append(out, r)
		}
	}
	return out
}

// Resource is one spec resource.
type Resource struct {
	Pos         Pos
	Name        string   // spec name: "BlogPost"
	GoName      string   // exported Go type: "BlogPost"
	VarName     string   // unexported Go identifier: "blogPost"
	Receiver    string   // method receiver: "bp"
	Plural      string   // exported plural: "BlogPosts"
	Table       string   // storage name: "blog_post"
	Path        string   // REST path segment: "blog-posts"
	Description []string // doc lines, may be empty
	Fields      []*Field // spec order
	// Display is the field shown as the resource's label (admin, refs), or nil.
	Display *Field
	// DefaultSort is the sort of list requests that name none, as written
	// in the spec ("-views,title"); "" is resource_id order.
	DefaultSort string
	KeepLast    int
	MaxAge      time.Duration
	// Referrers are the ref fields of any resource (this one included) whose
	// Target is this resource, in model order.
	Referrers []*Field
	// Operations lists everything clients and user code can do to the
	// resource, in REST registration order; see Operation. Internal
	// resources have none.
	Operations []*Operation
	// Builtin marks a resource that auth declares (User and the internal
	// kinds), not the spec.
	Builtin bool
	// Internal marks a kind the runtime keeps for itself (the stored state
	// of auth): only its schema descriptor and its tables are generated.
	Internal bool
	// Rules holds the permission rule of every action, in the order of
	// RuleActions, defaults applied; nil without auth and for internal
	// resources.
	Rules []*Rule
	// Job is set on the resource of a job type (docs/jobs.md): its
	// queue settings. Its fields are the job's state, which only the
	// queue writes (ReadOnly), and its payload.
	Job *Job
	// RenamedFrom lists the resource's earlier names (renamed_from),
	// newest first, and FormerTables their tables: a migration renames
	// them, so that the data and history stay.
	RenamedFrom  []string
	FormerTables []string
	// SchemaVersion is the version of the form of the data
	// (schema_version, 1 by default). Above 1, the user's upgrade
	// function converts data of older versions (UpgradeFunc).
	SchemaVersion int
}

// Job is a background job type of the spec. Its resource (the Resource
// whose Job it is) is named after it: job SendNewsletter is the resource
// SendNewsletterJob at /api/jobs/send-newsletter.
type Job struct {
	Pos Pos
	// Name is the spec's name of the job, its type name in the queue:
	// "SendNewsletter".
	Name        string
	MaxAttempts int           // attempts before the job fails (default 3)
	Timeout     time.Duration // per attempt (default 10m)
	// Schedule is the cron expression or "@every d" of a scheduled job,
	// "" for none.
	Schedule    string
	Concurrency int           // jobs of the type one instance works at once; 0: no own bound
	UniqueFor   time.Duration // 0: every enqueue is a new job
	// Payload is the resource's payload field: an object with the spec's
	// payload fields, or nil when the job takes none (its payload is {}).
	Payload *Field
	// PayloadGoType is the Go type of the payload ("SendNewsletterPayload"),
	// RunGoType the type its handler gets ("SendNewsletterRun"),
	// HandlerOption the App option that sets the handler
	// ("WithSendNewsletterHandler").
	PayloadGoType, RunGoType, HandlerOption string
}

// UpgradeFunc is the name of the user's function that upgrades data of
// an older schema version: "upgradePost". It exists when SchemaVersion
// is above 1; the generator scaffolds it once, in UpgradeFile.
func (r *Resource) UpgradeFunc() string { return "upgrade" + r.GoName }

// UpgradeFile is the user's file that holds UpgradeFunc:
// "post_upgrade.go".
func (r *Resource) UpgradeFile() string { return r.Table + "_upgrade.go" }

// Rule is the resolved permission rule of one action of a resource.
type Rule struct {
	// Action is one of RuleActions: read, list, create, ...
	Action string
	// Source is the rule as the runtime parses it: "owner | role:editor".
	Source string
	// Pos is where the spec writes it; for a default, the position of the
	// rule it defaults to, or zero.
	Pos Pos
	// Default is set when the spec does not name the action.
	Default bool
	// Anonymous reports whether a caller without credentials may pass the
	// rule: it has public, or a where() without @me (which grants its rows
	// to every caller).
	Anonymous bool
}

// Rule returns the rule of action (one of RuleActions), or nil without
// rules.
func (r *Resource) Rule(action string) *Rule {
	for _, rl := range r.Rules {
		if rl.Action == action {
			return rl
		}
	}
	return nil
}

// Type is a spec field type.
type Type string

// Field types (DESIGN.md §3).
const (
	String   Type = "string"
	Text     Type = "text"
	Int      Type = "int"
	Float    Type = "float"
	Bool     Type = "bool"
	DateTime Type = "datetime"
	Date     Type = "date"
	Enum     Type = "enum"
	Email    Type = "email"
	URL      Type = "url"
	UUID     Type = "uuid"
	JSON     Type = "json"
	List     Type = "list"
	Object   Type = "object"
	Ref      Type = "ref"
	File     Type = "file"
)

// Field is one field of a resource or of a nested object, or the element of
// a list.
type Field struct {
	Pos         Pos
	Name        string   // spec key, also the JSON key: "author_id"
	GoName      string   // exported Go field name: "AuthorID"
	Path        string   // dotted JSON path from the resource root: "address.city"
	Description []string // doc lines
	Type        Type

	Required bool
	// Default is the typed default: string, int64, float64, bool, or []any
	// of those for lists; nil when the spec sets none.
	Default any

	Min, Max             *float64 // int and float bounds (inclusive)
	MinLength, MaxLength *int     // runes for strings, items for lists
	Pattern              string   // RE2 regexp, validated at build time
	Unique, Index        bool
	// NoIndex, with Index, keeps the field filterable and sortable
	// without a database index (resource.Field.NoIndex): the state
	// fields of a job but its status.
	NoIndex bool
	Display bool

	// Enum (and list of enum): the allowed values and their Go constant names.
	Values       []string
	ValueGoNames []string // "PostStatusDraft"
	EnumGoType   string   // "PostStatus"; also set on a list whose Elem is an enum

	// List: the element (a scalar field without a name).
	Elem *Field
	// Object: nested fields and the generated struct type name.
	Fields       []*Field
	ObjectGoType string // "PostAddress"

	// Ref: the target and delete policy.
	Target   *Resource
	OnDelete string // "restrict" (default), "cascade", "set_null"

	// File: limits.
	MaxSize int64    // bytes, 0: no limit
	Accept  []string // media types, empty: any

	// Owner is the resource the field belongs to (also for nested fields).
	Owner *Resource

	// Read and Write are the field-level rules of a top-level field ("" for
	// none): they use only public, authenticated and role:NAME. A caller
	// failing Read never sees the field; one failing Write may not change
	// it.
	Read, Write string
	// WriteOnly marks a field that requests carry but responses never do
	// (the password of the built-in User): it is in the create and update
	// inputs only, and the runtime removes it before storing the data.
	WriteOnly bool
	// ReadOnly marks a field that responses carry but requests never do:
	// the state of a job (status, attempts, ...), which only the queue
	// writes. It is in no input.
	ReadOnly bool
	// RenamedFrom lists the field's earlier names (renamed_from), newest
	// first: stored data under one of them moves to Name.
	RenamedFrom []string
}

// Nullable reports whether the Go field is a pointer (or nil-able) because
// the value may be absent: every field that is not required, and every
// field with a read rule, which the runtime removes from what a caller
// failing the rule gets. Fields with a default are filled in before
// validation, but stay pointers so that absence can be told from the zero
// value.
func (f *Field) Nullable() bool { return !f.Required || f.Read != "" }
