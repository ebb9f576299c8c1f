// Package resource is the revision-aware resource engine shared by every
// generated backend: the data types of the resource model (Meta,
// RevisionInfo, Envelope), the Kind descriptor generated code fills in, the
// Backend interface storage implementations satisfy, and Service, which
// implements the revision semantics once on top of any Backend.
package resource

import (
	"encoding/json"
	"time"
)

// Meta is the per-resource metadata row (DESIGN.md §4 ResourceMeta).
type Meta struct {
	ResourceID         string    `json:"resource_id"`
	CurrentRevisionID  string    `json:"current_revision_id"`
	TotalRevisionCount int       `json:"total_revision_count"`
	SchemaVersion      int       `json:"schema_version"`
	CreatedTime        time.Time `json:"created_time"`
	CreatedBy          string    `json:"created_by"`
	UpdatedTime        time.Time `json:"updated_time"`
	UpdatedBy          string    `json:"updated_by"`
	IsDeleted          bool      `json:"is_deleted"`
}

// Revision statuses.
const (
	StatusStable = "stable"
	StatusDraft  = "draft"
)

// RevisionInfo describes one immutable (or, while a draft, editable)
// revision of a resource (DESIGN.md §4 RevisionInfo).
type RevisionInfo struct {
	RevisionID       string    `json:"revision_id"`
	ParentRevisionID *string   `json:"parent_revision_id"`
	ResourceID       string    `json:"resource_id"`
	Number           int       `json:"-"` // n in "{resource_id}:{n}"
	Status           string    `json:"status"`
	DataHash         string    `json:"data_hash"`
	SchemaVersion    int       `json:"schema_version"`
	CreatedTime      time.Time `json:"created_time"`
	CreatedBy        string    `json:"created_by"`
	UpdatedTime      time.Time `json:"updated_time"`
	UpdatedBy        string    `json:"updated_by"`
}

// Envelope is the REST representation of one resource at one revision:
// {"data": ..., "meta": ..., "revision_info": ...}. Data is the canonical
// JSON of the typed model, passed through untouched on reads.
type Envelope struct {
	Data         json.RawMessage `json:"data"`
	Meta         Meta            `json:"meta"`
	RevisionInfo RevisionInfo    `json:"revision_info"`
	// Expand holds the resources named by expand=: for each expanded ref
	// field, the envelope of its target (or a list of envelopes for a list
	// of refs), keyed by the field name.
	Expand map[string]any `json:"expand,omitempty"`
}

// Revision is one stored revision: its info and its data.
type Revision struct {
	Data json.RawMessage `json:"data"`
	Info RevisionInfo    `json:"revision_info"`
}

// Record is what a backend stores per resource: the meta row and a copy of
// the current revision's data and info, so that a read is one lookup.
type Record struct {
	Meta    Meta
	Current RevisionInfo
	Data    json.RawMessage
}

// Envelope returns the record as a REST envelope.
func (r *Record) Envelope() *Envelope {
	return &Envelope{Data: r.Data, Meta: r.Meta, RevisionInfo: r.Current}
}
