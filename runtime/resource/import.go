package resource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// OnDuplicate says what Service.Import does with a resource whose id the
// store (or an earlier line of the same archive) already holds.
type OnDuplicate string

// The OnDuplicate policies.
const (
	DuplicateFail      OnDuplicate = "fail"      // refuse the whole import with a 409 (the default)
	DuplicateSkip      OnDuplicate = "skip"      // keep the stored resource, ignore the imported one
	DuplicateOverwrite OnDuplicate = "overwrite" // replace the stored resource and its whole history
)

// ParseOnDuplicate returns the policy named s ("" is DuplicateFail).
func ParseOnDuplicate(s string) (OnDuplicate, error) {
	switch OnDuplicate(s) {
	case "", DuplicateFail:
		return DuplicateFail, nil
	case DuplicateSkip, DuplicateOverwrite:
		return OnDuplicate(s), nil
	}
	return "", Errorf(CodeBadRequest, "on_duplicate must be skip, overwrite or fail, not %q", s)
}

// ImportOptions configures Service.Import.
type ImportOptions struct {
	OnDuplicate OnDuplicate
	// Validate, when set, checks the data of each imported revision
	// written under its kind's current schema version (older data is
	// what the Upgrade of the kind reads, and is checked as a JSON object
	// only); generated code passes the typed decoder of the kind. An
	// error fails the import as a 422.
	Validate func(k *Kind, data json.RawMessage) error
	// Empty refuses, with a 409, an import into a store that holds any
	// resource of the kinds given to Import (a restore).
	Empty bool
}

// ImportStats counts what an import wrote.
type ImportStats struct {
	Resources int `json:"resources"` // resources written
	Revisions int `json:"revisions"` // revisions written
	Skipped   int `json:"skipped"`   // resources left as stored (on_duplicate=skip)
}

// Importer writes the resources of an import inside Service.Import's
// transaction, checking each as it comes: a resource (Resource) is
// followed by its revisions (Revision), oldest first, the same order
// Export produces. It keeps one resource in hand at a time, so memory
// does not grow with the size of the import.
type Importer struct {
	s     *Service
	w     Writer
	kinds map[*Kind]bool
	o     ImportOptions
	stats ImportStats
	cur   *importing // the resource being imported; nil before the first
}

// importing is the state of the resource being imported.
type importing struct {
	k       *Kind
	meta    Meta
	skip    bool
	last    int           // number of the last revision seen
	current *RevisionInfo // the info of the current revision, once seen
	data    json.RawMessage
}

// Import runs fn with an Importer in one write transaction: either
// everything fn imports is committed, or (fn or a check failed, the
// context was cancelled) nothing is. Imported resources keep their ids,
// revision ids, parents, hashes, times, creators, schema versions and
// statuses: the store holds them exactly as exported. Only admins (and
// System) may import; hooks do not run and no change events are sent.
func (s *Service) Import(ctx context.Context, kinds []*Kind, o ImportOptions, fn func(*Importer) error) (ImportStats, error) {
	set := make(map[*Kind]bool, len(kinds))
	for _, k := range kinds {
		if err := s.adminOnly(ctx, k, ActionImport); err != nil {
			return ImportStats{}, err
		}
		set[k] = true
	}
	if o.OnDuplicate == "" {
		o.OnDuplicate = DuplicateFail
	}
	var stats ImportStats
	runs := 0
	err := s.backend.Update(ctx, func(w Writer) error {
		if runs++; runs > 1 {
			// The backend retries a transaction that conflicted; fn has
			// consumed its input by now.
			return Errorf(CodeConflict, "the import conflicted with a concurrent write and was rolled back; run it again")
		}
		if o.Empty {
			if err := checkEmpty(w, kinds); err != nil {
				return err
			}
		}
		im := &Importer{s: s, w: w, kinds: set, o: o}
		if err := fn(im); err != nil {
			return err
		}
		if err := im.finish(); err != nil {
			return err
		}
		stats = im.stats
		return nil
	})
	if err != nil {
		return ImportStats{}, importConflict(err, "")
	}
	return stats, nil
}

// importConflict turns a unique violation (of PutRecord, or of the
// commit on a backend that checks there) into a 409 naming the field and
// the resource; other errors are returned as they are.
func importConflict(err error, id string) error {
	var uv *UniqueViolation
	if !errors.As(err, &uv) {
		return err
	}
	if uv.ID != "" {
		id = uv.ID
	}
	return &Error{Code: CodeConflict, Detail: fmt.Sprintf("%s %s: its %s is held by another live %s", uv.Kind, id, uv.Field, uv.Kind),
		Fields: []FieldError{{Field: uv.Field, Message: "already taken"}}}
}

// checkEmpty refuses a store holding any resource of kinds.
func checkEmpty(r Reader, kinds []*Kind) error {
	for _, k := range kinds {
		n, err := r.Count(k, &Query{IncludeDeleted: true})
		if err != nil {
			return err
		}
		if n > 0 {
			return Errorf(CodeConflict, "the store is not empty: it holds %d %s; restore needs an empty store (start from a new database)", n, plural(k))
		}
	}
	return nil
}

// Resource starts the import of one resource from its meta; its
// revisions follow.
func (im *Importer) Resource(k *Kind, meta Meta) error {
	if err := im.finish(); err != nil {
		return err
	}
	if !im.kinds[k] {
		return Errorf(CodeValidation, "resource %s is a %s, which this import does not take", meta.ResourceID, k.Name)
	}
	if err := checkMeta(k, &meta); err != nil {
		return err
	}
	cur := &importing{k: k, meta: meta}
	id := meta.ResourceID
	_, err := im.w.Get(k, id)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	case im.o.OnDuplicate == DuplicateSkip:
		cur.skip = true
		im.stats.Skipped++
	case im.o.OnDuplicate == DuplicateOverwrite:
		// Drop the stored history; the record is replaced at the end.
		// (Not Purge: on S3 a purge deletes the resource's bodies after
		// commit, which the imported revisions may share.)
		infos, err := im.w.Revisions(k, id)
		if err != nil {
			return err
		}
		numbers := make([]int, len(infos))
		for i, info := range infos {
			numbers[i] = info.Number
		}
		if err := im.w.DeleteRevisions(k, id, numbers); err != nil {
			return err
		}
	default:
		return Errorf(CodeConflict, "%s %s already exists (on_duplicate=fail; use skip or overwrite)", noun(k), id)
	}
	im.cur = cur
	return nil
}

// Revision imports one revision of the resource Resource started.
func (im *Importer) Revision(k *Kind, rev *Revision) error {
	cur := im.cur
	info := &rev.Info
	if cur == nil || cur.k != k || info.ResourceID != cur.meta.ResourceID {
		return Errorf(CodeValidation, "revision %s of %s comes before or after the resource it belongs to: an archive lists each resource, then its revisions", info.RevisionID, k.Name)
	}
	n, err := checkRevision(k, &cur.meta, rev)
	if err != nil {
		return err
	}
	if n <= cur.last {
		return Errorf(CodeValidation, "revision %s comes after revision %s:%d: revisions of a resource are listed once each, oldest first", info.RevisionID, cur.meta.ResourceID, cur.last)
	}
	cur.last = n
	info.Number = n
	if im.o.Validate != nil && info.SchemaVersion == k.SchemaVersion {
		if err := im.o.Validate(k, rev.Data); err != nil {
			return invalidData(info.RevisionID, err)
		}
	}
	if info.RevisionID == cur.meta.CurrentRevisionID {
		ci := *info
		cur.current = &ci
		cur.data = bytes.Clone(rev.Data)
	}
	if cur.skip {
		return nil
	}
	if err := im.w.PutRevision(k, rev); err != nil {
		return err
	}
	im.stats.Revisions++
	return nil
}

// finish writes the record of the resource in hand, once its revisions
// are in.
func (im *Importer) finish() error {
	cur := im.cur
	if cur == nil {
		return nil
	}
	im.cur = nil
	if cur.current == nil {
		return Errorf(CodeValidation, "%s %s: its current revision %s is not among its revisions", noun(cur.k), cur.meta.ResourceID, cur.meta.CurrentRevisionID)
	}
	if cur.skip {
		return nil
	}
	if err := im.w.PutRecord(cur.k, &Record{Meta: cur.meta, Current: *cur.current, Data: cur.data}); err != nil {
		return importConflict(err, cur.meta.ResourceID)
	}
	im.stats.Resources++
	return nil
}

// checkMeta checks the meta of an imported resource.
func checkMeta(k *Kind, m *Meta) error {
	id := m.ResourceID
	if err := checkID(id); err != nil {
		return Errorf(CodeValidation, "a %s has a bad resource_id: %v", noun(k), err)
	}
	bad := func(format string, args ...any) error {
		return Errorf(CodeValidation, "%s %s: %s", noun(k), id, fmt.Sprintf(format, args...))
	}
	n, ok := revisionNumber(id, m.CurrentRevisionID)
	switch {
	case !ok:
		return bad("current_revision_id %q is not %s:N", m.CurrentRevisionID, id)
	case m.TotalRevisionCount < n:
		return bad("total_revision_count %d is below the number of its current revision %d", m.TotalRevisionCount, n)
	case !schemaVersionOK(k, m.SchemaVersion):
		return bad("schema_version %d is not between 1 and this build's %d (an archive of a newer build?)", m.SchemaVersion, k.SchemaVersion)
	case m.CreatedTime.IsZero() || m.UpdatedTime.IsZero():
		return bad("created_time and updated_time are required")
	case m.CreatedBy == "" || m.UpdatedBy == "":
		return bad("created_by and updated_by are required")
	}
	return nil
}

// checkRevision checks one imported revision against its resource's meta
// and returns its number.
func checkRevision(k *Kind, m *Meta, rev *Revision) (int, error) {
	info := &rev.Info
	bad := func(format string, args ...any) (int, error) {
		return 0, Errorf(CodeValidation, "revision %s of %s: %s", info.RevisionID, noun(k), fmt.Sprintf(format, args...))
	}
	n, ok := revisionNumber(m.ResourceID, info.RevisionID)
	if !ok {
		return bad("its id is not %s:N", m.ResourceID)
	}
	if n > m.TotalRevisionCount {
		return bad("its number is above the resource's total_revision_count %d", m.TotalRevisionCount)
	}
	if p := info.ParentRevisionID; p != nil {
		if pn, ok := revisionNumber(m.ResourceID, *p); !ok || pn >= n {
			return bad("parent_revision_id %q is not an earlier revision of the resource", *p)
		}
	}
	switch {
	case info.Status != StatusStable && info.Status != StatusDraft:
		return bad("status %q is not stable or draft", info.Status)
	case !schemaVersionOK(k, info.SchemaVersion):
		return bad("schema_version %d is not between 1 and this build's %d", info.SchemaVersion, k.SchemaVersion)
	case info.CreatedTime.IsZero() || info.UpdatedTime.IsZero():
		return bad("created_time and updated_time are required")
	case info.CreatedBy == "" || info.UpdatedBy == "":
		return bad("created_by and updated_by are required")
	case len(rev.Data) == 0 || rev.Data[0] != '{' || !json.Valid(rev.Data):
		return bad("data is not a JSON object")
	case DataHash(rev.Data) != info.DataHash:
		return bad("data_hash %q does not match its data (the archive was altered or damaged)", info.DataHash)
	}
	return n, nil
}

// checkID checks an imported resource id: what every backend can store
// and every route can name.
func checkID(id string) error {
	switch {
	case id == "":
		return errors.New("it is empty")
	case len(id) > 200:
		return errors.New("it is longer than 200 bytes")
	case !utf8.ValidString(id):
		return errors.New("it is not valid UTF-8")
	case strings.ContainsAny(id, ":/?#%\x00") || strings.ContainsFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Errorf("%q holds a character ids may not (: / ? # %% or a control character)", id)
	}
	return nil
}

// revisionNumber returns n of a revision id "{id}:{n}" of resource id.
func revisionNumber(id, rev string) (int, bool) {
	rest, ok := strings.CutPrefix(rev, id+":")
	if !ok || rest == "" || rest[0] == '0' || rest[0] == '+' {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil && n > 0
}

// invalidData turns the error of ImportOptions.Validate into a 422.
func invalidData(rev string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		out := *e
		out.Code = CodeValidation
		out.Detail = "revision " + rev + ": " + e.Detail
		return &out
	}
	return Errorf(CodeValidation, "revision %s: %v", rev, err)
}

// schemaVersionOK reports whether data of schema version v can be read by
// this build: 1 to the kind's version (0 for a kind built by hand
// without one).
func schemaVersionOK(k *Kind, v int) bool {
	return v >= min(1, k.SchemaVersion) && v <= k.SchemaVersion
}
