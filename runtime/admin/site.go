package admin

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Widget is the form control of a field. The generator takes it from the
// field's type (the widget column of the model's type table); the user's
// admin file may choose another one for a field.
type Widget string

// Widgets.
const (
	WidgetText     Widget = "text"     // one line of text
	WidgetTextarea Widget = "textarea" // several lines of text
	WidgetNumber   Widget = "number"   // int (step 1) or float (step any), with min and max
	WidgetCheckbox Widget = "checkbox" // bool
	WidgetSelect   Widget = "select"   // one of the enum's values
	WidgetDatetime Widget = "datetime" // stored UTC (RFC 3339), entered in the browser's zone
	WidgetDate     Widget = "date"     // YYYY-MM-DD
	WidgetEmail    Widget = "email"
	WidgetURL      Widget = "url"
	WidgetUUID     Widget = "uuid"
	WidgetJSON     Widget = "json"     // any JSON value, checked before it is sent
	WidgetTags     Widget = "tags"     // a list, one value per line or comma
	WidgetFieldset Widget = "fieldset" // a nested object: its fields in a fieldset
	WidgetRef      Widget = "ref"      // the id of a resource, picked by its display field
	WidgetFile     Widget = "file"     // a file field
)

// Field describes one data field for the admin: how it is labelled,
// shown and edited. Generated code declares one per field of the spec,
// in spec order.
type Field struct {
	Name  string // the JSON key: "published_at"
	Label string // "Published at"
	// Help is the field's description, shown under its input.
	Help   string
	Widget Widget
	// Type is the spec type ("string", "int", ...), which decides how a
	// form value becomes JSON.
	Type     string
	Required bool
	// Min and Max bound numbers; MinLength and MaxLength the length of
	// text (runes) and lists (items); nil: no bound.
	Min, Max             *float64
	MinLength, MaxLength *int
	Pattern              string   // RE2, also the input's pattern
	Values               []string // enum values (select)
	Ref                  string   // the target kind of a ref: "Author"
	Indexed, Unique      bool
	// ReadOnly fields are shown, never edited: the state of a job.
	ReadOnly bool
	// WriteOnly fields are edited, never shown (a user's password).
	WriteOnly bool
	// Elem is the element of a list; Fields the fields of an object.
	Elem   *Field
	Fields []*Field
}

// Resource describes one resource for the admin. Generated code declares
// one per resource of the spec (admin.gen.go); the user's admin file
// changes them (columns, labels, widgets) before the server uses them.
type Resource struct {
	Kind   *resource.Kind
	Label  string // "Post"
	Plural string // "Posts"
	// Description is the resource's description, shown on its pages.
	Description string
	// Display is the field that names a resource (titles, ref pickers);
	// "" uses the resource id.
	Display string
	// Fields in spec order.
	Fields []*Field
	// Columns are the fields the list page shows, in order: by default the
	// display field and the indexed fields.
	Columns []string
	// Decode strictly decodes, validates and canonicalises data, as the
	// REST handlers do before they call the Service: the admin's forms go
	// through the same checks. nil for resources the admin does not edit
	// (jobs, whose queue writes them).
	Decode func(data []byte) (json.RawMessage, error)
	// Job marks the resource of a job type: no create or edit forms, and
	// rerun and cancel on its pages.
	Job bool
}

// Field returns the top-level field named name, or nil.
func (r *Resource) Field(name string) *Field {
	for _, f := range r.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// SetColumns sets the list columns. It panics on an unknown field, so that
// a mistake in the user's admin file shows at startup, not as a blank
// column.
func (r *Resource) SetColumns(names ...string) {
	for _, n := range names {
		if r.Field(n) == nil && !isMetaColumn(n) {
			panic(fmt.Sprintf("admin: %s has no field %q for a column", r.Kind.Name, n))
		}
	}
	r.Columns = slices.Clone(names)
}

// SetLabel sets the label of the field named name; see SetColumns for
// unknown names.
func (r *Resource) SetLabel(name, label string) {
	r.mustField(name).Label = label
}

// SetWidget sets the widget of the field named name (WidgetTextarea for a
// long string, for example).
func (r *Resource) SetWidget(name string, w Widget) {
	r.mustField(name).Widget = w
}

func (r *Resource) mustField(name string) *Field {
	f := r.Field(name)
	if f == nil {
		panic(fmt.Sprintf("admin: %s has no field %q", r.Kind.Name, name))
	}
	return f
}

// metaColumns are the resource meta fields a list may show as columns.
var metaColumns = []string{"resource_id", "created_time", "created_by", "updated_time", "updated_by"}

func isMetaColumn(name string) bool { return slices.Contains(metaColumns, name) }

// Site is the admin of one application: its resources, in spec order.
type Site struct {
	// Title names the admin in page titles: the spec's package.
	Title     string
	Resources []*Resource
}

// Resource returns the resource whose kind is named name, or nil. The
// user's admin file uses it with the spec's names:
//
//	s.Resource("Post").SetColumns("title", "status", "views")
func (s *Site) Resource(name string) *Resource {
	for _, r := range s.Resources {
		if r.Kind.Name == name {
			return r
		}
	}
	return nil
}

// byPath returns the resource served at /admin/{path}.
func (s *Site) byPath(path string) *Resource {
	for _, r := range s.Resources {
		if r.Kind.Path == path {
			return r
		}
	}
	return nil
}
