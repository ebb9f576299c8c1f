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
	// Resources in spec order.
	Resources []*Resource
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
	// resource, in REST registration order; see Operation.
	Operations []*Operation
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
	Display              bool

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
}

// Nullable reports whether the Go field is a pointer (or nil-able) because
// the value may be absent: every field that is not required. Fields with a
// default are filled in before validation, but stay pointers so that
// absence can be told from the zero value.
func (f *Field) Nullable() bool { return !f.Required }
