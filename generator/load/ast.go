package load

import (
	"fmt"
	"time"
)

// Pos is a position in a spec file. File is the name the spec was loaded
// under; Line and Col are 1-based. The zero Pos means "not present".
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Loc locates a key and its value in the spec. KeyPos is zero for values
// that have no key (list items).
type Loc struct {
	KeyPos Pos // position of the key
	Pos    Pos // position of the value
}

// Location returns l itself. Every AST value embeds a Loc, so generic code
// can locate any of them through this method.
func (l Loc) Location() Loc { return l }

// Spec is a loaded spec file: its syntax, with positions, checked for
// unknown keys and value types but not yet resolved (see model.Build).
type Spec struct {
	// File is the name the spec was loaded under, as given.
	File string
	// Pos is the position of the top-level mapping.
	Pos      Pos
	Specstar *Int
	Package  *String
	Output   *String // nil when absent
	// Auth is the `auth` block: users, login and roles. nil when absent,
	// which leaves the API open and makes permissions an error.
	Auth      *Auth
	Resources []*Resource
	// Jobs are the background job types (`jobs`), in spec order.
	Jobs []*Job
}

// Job is one entry of `jobs`: a background job type (docs/jobs.md).
type Job struct {
	Name        string
	Pos         Pos // position of the name
	Description *String
	// Payload is the payload's fields; nil when the job has none.
	Payload     *Fields
	MaxAttempts *Int
	Timeout     *Duration
	// Schedule is a cron expression (five fields) or "@every 1h".
	Schedule    *String
	Concurrency *Int
	UniqueFor   *Duration
	// Permissions are the rules of the actions the spec names (read, list,
	// create for enqueue, update for cancel and rerun).
	Permissions *Permissions
}

// Auth is the `auth` block of a spec.
type Auth struct {
	Loc
	Roles           *StringList // nil when absent: only the implicit admin
	AccessTokenTTL  *Duration
	RefreshTokenTTL *Duration
}

// Resource is one entry of `resources`.
type Resource struct {
	Name        string
	Pos         Pos // position of the name
	Description *String
	Path        *String // REST path segment override
	Fields      *Fields
	Revisions   *Revisions
	DefaultSort *String // "-views,title"
	// Permissions are the rules of the actions the spec names; nil when
	// the resource has no `permissions`.
	Permissions *Permissions
	// RenamedFrom lists the resource's earlier names (`renamed_from`),
	// newest first; nil when absent.
	RenamedFrom *StringList
	// SchemaVersion is the version of the form of its data
	// (`schema_version`); nil when absent (1).
	SchemaVersion *Int
}

// Permissions is a resource's `permissions`: the rule of each action it
// names, in spec order. Loading checks the action names (see
// PermissionActions); the model parses the rules.
type Permissions struct {
	Loc
	Rules []*ActionRule
}

// ActionRule is one entry of `permissions`: Rule.KeyPos is the position
// of the action's name.
type ActionRule struct {
	Action string
	Rule   *Rule
}

// Rule is a permission rule as written ("owner | role:editor"), not yet
// parsed. Positions holds the position of each byte of Value and one more
// for the end of the rule, so that a mistake found inside the rule is
// reported at its exact line and column whatever the quoting: a YAML
// scalar in quotes, a Go string literal with escapes, a struct tag.
type Rule struct {
	Loc
	Value     string
	Positions []Pos
}

// PosAt returns the position of the byte at offset i (0-based) of Value;
// len(Value) is the end of the rule. Offsets out of range are clamped,
// and a Rule without positions answers its own position.
func (r *Rule) PosAt(i int) Pos {
	if len(r.Positions) == 0 {
		return r.Pos
	}
	return r.Positions[max(0, min(i, len(r.Positions)-1))]
}

// PermissionActions are the actions a `permissions` mapping may name, in
// documentation order.
func PermissionActions() []string {
	return []string{"read", "list", "create", "update", "switch", "delete", "restore", "purge"}
}

// Revisions is a resource's `revisions` mapping.
type Revisions struct {
	Loc
	KeepLast *Int
	MaxAge   *Duration
}

// Fields is a `fields` mapping of a resource or an object field, in spec
// order.
type Fields struct {
	Loc
	List []*Field
}

// Field is one field. A field written in shorthand (`name: string`) has
// Shorthand set and only Type.
type Field struct {
	Name      string
	Pos       Pos // position of the name
	Shorthand bool

	Type        *String
	Description *String
	Required    *Bool
	Default     *Value
	Min, Max    *Number
	MinLength   *Int
	MaxLength   *Int
	Pattern     *String
	Unique      *Bool
	Index       *Bool
	Display     *Bool
	Values      *StringList
	Of          *String
	Fields      *Fields
	To          *String
	OnDelete    *String
	MaxSize     *Size
	Accept      *StringList
	// Read and Write are the field-level permission rules.
	Read, Write *Rule
	// RenamedFrom lists the field's earlier names (`renamed_from`),
	// newest first; nil when absent.
	RenamedFrom *StringList
}

// String is a string value.
type String struct {
	Loc
	Value string
}

// Int is an integer value.
type Int struct {
	Loc
	Value int64
}

// Number is a numeric value (an integer or a float, never NaN or Inf).
type Number struct {
	Loc
	Value float64
	// IsInt is set when the value was written as an integer.
	IsInt bool
}

// Bool is a boolean value.
type Bool struct {
	Loc
	Value bool
}

// Size is a byte size, written as a number of bytes or as "5MB".
type Size struct {
	Loc
	Bytes int64
	Text  string // as written
}

// Duration is a duration, written as a Go duration ("720h") or in days
// ("30d", "1d12h").
type Duration struct {
	Loc
	Value time.Duration
	Text  string // as written
}

// StringList is a list of strings.
type StringList struct {
	Loc
	Items []*String
}

// ValueKind is the shape of a raw Value.
type ValueKind int

// Value kinds.
const (
	Scalar ValueKind = iota + 1
	Sequence
	Mapping
)

// Value is a raw YAML value whose type depends on context (a field
// default): the model checks it against the field type.
type Value struct {
	Loc
	Kind ValueKind
	// Tag is the resolved YAML tag of a scalar: "!!str", "!!int",
	// "!!float", "!!bool", "!!null" or "!!timestamp".
	Tag string
	// Text is a scalar as written (without quotes).
	Text string
	// Int, Float and Bool hold the decoded scalar: Int and Float for
	// "!!int", Float for "!!float", Bool for "!!bool".
	Int   int64
	Float float64
	Bool  bool
	// Items are the elements of a sequence.
	Items []*Value
}
