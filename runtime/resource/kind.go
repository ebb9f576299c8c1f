package resource

import (
	"encoding/json"
	"io/fs"
	"time"
)

// FieldType is the storage-level type of an indexed or referenced field,
// used by backends to build indexes and by the filter language to check
// values. Nested objects and lists are stored inside the JSON data.
type FieldType string

// Field types that backends index.
const (
	TypeString   FieldType = "string" // string, text, email, url, uuid, enum, ref
	TypeInt      FieldType = "int"
	TypeFloat    FieldType = "float"
	TypeBool     FieldType = "bool"
	TypeDateTime FieldType = "datetime" // RFC 3339 UTC string
	TypeDate     FieldType = "date"     // YYYY-MM-DD string
)

// OnDelete says what deleting a referenced resource does to its referrers.
type OnDelete string

// OnDelete policies (DESIGN.md §4).
const (
	Restrict OnDelete = "restrict" // refuse with 409 while live referrers exist
	Cascade  OnDelete = "cascade"  // soft-delete the referrers
	SetNull  OnDelete = "set_null" // write a new revision of each referrer with the field cleared
)

// Field describes one top-level data field that the engine must know about:
// indexed, unique or a reference. JSON is the key in the data object.
type Field struct {
	JSON string
	Type FieldType
	List bool // a list of Type; indexes apply to its elements
	// Indexed makes the field one that filters and sorts may name; the
	// backends keep an index of it, unless NoIndex is set.
	Indexed bool
	// NoIndex, with Indexed, keeps the field filterable and sortable
	// without an index: a filter on it reads the rows another condition
	// (or the whole table) selects. Job kinds set it on every state field
	// but status, which is written at each status change (docs/jobs.md).
	NoIndex bool
	Unique  bool
	// Fold makes a Unique string field compare with the ASCII letters
	// A-Z lower-cased: two live records may not hold values that differ
	// only in the case of those letters. The stored value stays as it was
	// written; only the unique index holds the folded form. Generated
	// code sets it on email fields. Filters and sorts still compare the
	// value exactly.
	Fold bool
	Ref  *Ref // non-nil for ref fields
}

// Ref describes a reference field: the kind it points to and its policy.
type Ref struct {
	Kind     string // Kind.Name of the target
	OnDelete OnDelete
}

// Kind describes one resource type. Generated code declares one per spec
// resource; backends create their tables and indexes from it.
type Kind struct {
	Name          string // spec name, e.g. "BlogPost"
	Table         string // storage name, e.g. "blog_post"
	Path          string // REST path segment, e.g. "blog-posts"
	SchemaVersion int
	Fields        []Field       // indexed, unique and ref fields only
	DataFields    []string      // every top-level data key in spec order, for fields= projection
	DefaultSort   string        // sort used when a list names none, e.g. "-created_time"; "" is resource_id order
	KeepLast      int           // 0: keep every revision
	MaxAge        time.Duration // 0: no age limit
	// Access holds the permission rules of the kind; nil means none:
	// every caller may do everything (a spec without auth).
	Access *Access
	// Internal marks a kind the engine uses for itself (the stored state
	// of authentication): it has no routes, and only trusted code reads
	// and writes it.
	Internal bool
	// Job marks the kind of a job type (runtime/jobres): its records are
	// never deleted or purged, and only the queue writes them, always
	// with their revisions, so on PostgreSQL its revisions table has no
	// foreign key to the records (sqlschema; docs/jobs.md).
	Job bool

	// FormerTables lists the earlier table names of a renamed kind (the
	// tables of the spec's renamed_from names), newest first: a backend
	// that finds one of them, and not Table, renames it (generated
	// migrations rename the SQL tables themselves), so that the data
	// and history stay.
	FormerTables []string
	// Shape describes every stored data field, top level in spec order:
	// reads and MigrateData reshape stored data with it (fields added
	// since it was written get their default or null, renamed ones
	// move, removed ones go; see Reshape). nil: data is used as stored
	// (kinds built by hand).
	Shape []ShapeField
	// Upgrade, when set, converts data written under an older schema
	// version (SchemaVersion: the spec's schema_version, stored with
	// every record and revision) to the current one; its result is then
	// reshaped. Generated code sets it for a kind whose schema_version
	// is above 1, calling the user's typed function.
	Upgrade func(old *OldData) (json.RawMessage, error)
	// Decode, when set, strictly decodes and validates a body of the
	// kind's data as a create does, and returns its canonical JSON (the
	// generated decoder). Restores check the data of every revision of
	// the current schema version with it, as the REST import does.
	Decode func(body []byte) (json.RawMessage, error)
	// Files lists the file fields of the kind (runtime/files): their
	// values are File objects whose bytes live in the files blob store.
	Files []FileField
}

// FileField describes one file field: a File, or a list of them.
type FileField struct {
	Path    string   // dotted JSON path in the data: "cover", "details.scan"
	List    bool     // a list of files
	MaxSize int64    // bytes; 0: no limit
	Accept  []string // media types ("image/png", "image/*"); empty: any
}

// FileField returns the file field at the dotted JSON path, or nil.
func (k *Kind) FileField(path string) *FileField {
	for i := range k.Files {
		if k.Files[i].Path == path {
			return &k.Files[i]
		}
	}
	return nil
}

// Access is the permission rules of a kind (DESIGN.md §7), as rule
// sources (see ParseRule). NewService compiles them.
type Access struct {
	// Rules holds the rule of each action a spec names: read, list,
	// create, update, switch, delete, restore and purge. A missing one
	// takes its default: list the rule of read, switch of update, restore
	// of delete, purge "role:admin", the others "authenticated".
	Rules map[Action]string
	// Fields are the field-level rules.
	Fields []FieldAccess
}

// FieldAccess is the field-level rules of one top-level data field. The
// rules may use public, authenticated and role:NAME (not owner or
// where(), which depend on the row).
type FieldAccess struct {
	Field string // the data key
	// Read, when set, hides the field from callers failing it: it is
	// absent from every response, and filters and sorts cannot name it.
	Read string
	// Write, when set, refuses with 403 a write by a caller failing it
	// that changes the field.
	Write string
	// Default is the JSON of the field's default value, which a caller
	// failing Write may still send on create; nil when it has none.
	Default []byte
}

// Field returns the descriptor of the named field, or nil.
func (k *Kind) Field(json string) *Field {
	for i := range k.Fields {
		if k.Fields[i].JSON == json {
			return &k.Fields[i]
		}
	}
	return nil
}

// HasIndex reports whether the backends keep an index of f: Indexed
// without NoIndex.
func (f *Field) HasIndex() bool { return f.Indexed && !f.NoIndex }

// Schema is the set of kinds of one generated backend.
type Schema struct {
	Kinds []*Kind
	// Migrations holds the versioned SQL migrations of the schema by
	// dialect ("sqlite", "postgres"): each file system holds that
	// dialect's goose migration files (00001_init.sql, …) at its root.
	// Generated code embeds them (docs/migrations.md). An SQL backend
	// applies the migrations of its dialect; when there are none (a
	// schema built by hand), it creates the storage from Kinds instead.
	Migrations map[string]fs.FS
}

// Kind returns the kind with the given name, or nil.
func (s *Schema) Kind(name string) *Kind {
	for _, k := range s.Kinds {
		if k.Name == name {
			return k
		}
	}
	return nil
}
