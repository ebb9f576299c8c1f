package memory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// table holds the records and revisions of one kind, with its indexes.
type table struct {
	kind *resource.Kind
	// uniqueFields and refFields are the JSON paths of the kind's unique
	// and ref fields; entry keys are parallel to them. uniqueFold[i] is
	// the Fold flag of uniqueFields[i].
	uniqueFields []string
	uniqueFold   []bool
	refFields    []*resource.Field
	records      map[string]*entry
	ids          []string                        // every record id, sorted: List walks it in order
	live         int                             // records not deleted
	revisions    map[string][]*resource.Revision // ascending by number
	// unique maps field index -> value key -> id of the live record
	// holding it.
	unique []map[string]string
	// refs maps field index -> target id -> ids of live referrers.
	refs map[string]map[string]map[string]struct{}
	// filterable are the indexed data fields, which filters and sort
	// keys may name; entry values and ordered indexes are parallel to it.
	filterable []filter.FieldInfo
	// fieldIndex maps a filterable field name to its position.
	fieldIndex map[string]int
	// ordered holds the ordered index of each filterable field.
	ordered []*orderedIndex
	// bulk is set while reindex loads records in id order: set appends
	// to ids.
	bulk bool
}

// entry is a stored record and its index keys, computed once per write.
type entry struct {
	rec *resource.Record
	// uniqueKeys[i] is the key of uniqueFields[i]; "" when the value is
	// null or absent, or the record is deleted.
	uniqueKeys []string
	// refTargets[i] are the targets of refFields[i] (nil when deleted).
	refTargets [][]string
	// values[i] is the value of filterable field i (resource.FieldValue),
	// deleted or not.
	values []any
}

// newTable returns empty storage for kind k.
func newTable(k *resource.Kind) *table {
	t := &table{
		kind:       k,
		records:    make(map[string]*entry),
		revisions:  make(map[string][]*resource.Revision),
		refs:       make(map[string]map[string]map[string]struct{}),
		fieldIndex: make(map[string]int),
	}
	for i := range k.Fields {
		f := &k.Fields[i]
		if f.Indexed {
			t.fieldIndex[f.JSON] = len(t.filterable)
			t.filterable = append(t.filterable, filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List})
			t.ordered = append(t.ordered, newOrderedIndex())
		}
		if f.Unique && !f.List {
			t.uniqueFields = append(t.uniqueFields, f.JSON)
			t.uniqueFold = append(t.uniqueFold, f.Fold)
			t.unique = append(t.unique, make(map[string]string))
		}
		if f.Ref != nil {
			t.refFields = append(t.refFields, f)
			t.refs[f.JSON] = make(map[string]map[string]struct{})
		}
	}
	return t
}

// reindex returns a table for the (possibly changed) kind k holding the
// data of t, with its indexes rebuilt.
func (t *table) reindex(k *resource.Kind) (*table, error) {
	n := newTable(k)
	n.revisions = t.revisions
	// Ids are added in order, instead of one binary insertion per record.
	n.bulk = true
	for _, id := range t.ids {
		e, err := n.newEntry(t.records[id].rec)
		if err != nil {
			return nil, err
		}
		if err := n.checkUnique(id, e); err != nil {
			var uv *resource.UniqueViolation
			if errors.As(err, &uv) {
				return nil, n.duplicate(uv, id, e)
			}
			return nil, err
		}
		n.set(id, e)
	}
	n.bulk = false
	return n, nil
}

// newEntry computes the index keys of rec. Deleted records have none.
func (t *table) newEntry(rec *resource.Record) (*entry, error) {
	e := &entry{rec: rec}
	if len(t.filterable) > 0 {
		e.values = make([]any, len(t.filterable))
		for i, f := range t.filterable {
			e.values[i] = resource.FieldValue(rec, f)
		}
	}
	if rec.Meta.IsDeleted {
		return e, nil
	}
	if len(t.uniqueFields) > 0 {
		e.uniqueKeys = make([]string, len(t.uniqueFields))
		for i, path := range t.uniqueFields {
			raw, _, err := resource.Lookup(rec.Data, path)
			if err != nil {
				return nil, fmt.Errorf("memory: %s %s: %w", t.kind.Name, rec.Meta.ResourceID, err)
			}
			e.uniqueKeys[i] = valueKey(raw, t.uniqueFold[i])
		}
	}
	if len(t.refFields) > 0 {
		e.refTargets = make([][]string, len(t.refFields))
		for i, f := range t.refFields {
			raw, _, err := resource.Lookup(rec.Data, f.JSON)
			if err != nil {
				return nil, fmt.Errorf("memory: %s %s: %w", t.kind.Name, rec.Meta.ResourceID, err)
			}
			e.refTargets[i] = refTargets(raw)
		}
	}
	return e, nil
}

// checkUnique returns a *resource.UniqueViolation when a unique key of e is
// held by another live record.
func (t *table) checkUnique(id string, e *entry) error {
	for i, key := range e.uniqueKeys {
		if key == "" {
			continue
		}
		if holder, ok := t.unique[i][key]; ok && holder != id {
			return &resource.UniqueViolation{Kind: t.kind.Name, Field: t.uniqueFields[i], ID: id}
		}
	}
	return nil
}

// duplicate explains the unique violation uv of entry e of id found while
// reindexing: the value and the two records holding it.
func (t *table) duplicate(uv *resource.UniqueViolation, id string, e *entry) error {
	value := "a value"
	if raw, ok, _ := resource.Lookup(e.rec.Data, uv.Field); ok {
		value = string(raw)
	}
	for i, f := range t.uniqueFields {
		if f == uv.Field {
			other := t.unique[i][e.uniqueKeys[i]]
			ids := []string{other, id}
			slices.Sort(ids)
			return fmt.Errorf("cannot make %s.%s unique: live records share values: %s (2 records: %s, %s)", t.kind.Name, uv.Field, value, ids[0], ids[1])
		}
	}
	return uv
}

// set replaces the entry of id (nil removes it), keeping the id list, the
// live count and the indexes in step. It does not check uniqueness.
func (t *table) set(id string, e *entry) {
	if old := t.records[id]; old != nil {
		t.unindex(id, old)
		if !old.rec.Meta.IsDeleted {
			t.live--
		}
		if e == nil {
			delete(t.records, id)
			if i, ok := slices.BinarySearch(t.ids, id); ok {
				t.ids = slices.Delete(t.ids, i, i+1)
			}
		}
	} else if e != nil {
		// UUIDv7 ids grow, so this is almost always an append.
		if t.bulk {
			t.ids = append(t.ids, id)
		} else {
			i, _ := slices.BinarySearch(t.ids, id)
			t.ids = slices.Insert(t.ids, i, id)
		}
	}
	if e == nil {
		return
	}
	t.records[id] = e
	for i, x := range t.ordered {
		for _, v := range entryValues(e.values[i], t.filterable[i].List) {
			x.insert(v, id)
		}
	}
	if !e.rec.Meta.IsDeleted {
		t.live++
	}
	for i, key := range e.uniqueKeys {
		if key != "" {
			t.unique[i][key] = id
		}
	}
	for i, targets := range e.refTargets {
		idx := t.refs[t.refFields[i].JSON]
		for _, target := range targets {
			set := idx[target]
			if set == nil {
				set = make(map[string]struct{})
				idx[target] = set
			}
			set[id] = struct{}{}
		}
	}
}

// unindex removes the index entries of e, the entry of id.
func (t *table) unindex(id string, e *entry) {
	for i, x := range t.ordered {
		for _, v := range entryValues(e.values[i], t.filterable[i].List) {
			x.remove(v, id)
		}
	}
	for i, key := range e.uniqueKeys {
		if key != "" && t.unique[i][key] == id {
			delete(t.unique[i], key)
		}
	}
	for i, targets := range e.refTargets {
		idx := t.refs[t.refFields[i].JSON]
		for _, target := range targets {
			delete(idx[target], id)
			if len(idx[target]) == 0 {
				delete(idx, target)
			}
		}
	}
}

// restoreRevisions sets the revision list of id (nil removes it).
func (t *table) restoreRevisions(id string, revs []*resource.Revision) {
	if len(revs) == 0 {
		delete(t.revisions, id)
		return
	}
	t.revisions[id] = revs
}

// valueKey returns the index key of a scalar JSON value, typed so that the
// string "1" and the number 1 differ, as they do in SQL indexes. With fold,
// a string's key has its ASCII letters A-Z lower-cased (and nothing else,
// as SQLite's lower() and PostgreSQL's translate do in the SQL backends'
// unique indexes). It returns "" for null or a missing value, which unique
// indexes ignore.
func valueKey(raw json.RawMessage, fold bool) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case 'n':
		return ""
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			if fold {
				s = resource.FoldASCII(s)
			}
			return "s" + s
		}
	case 't', 'f':
		return "b" + string(raw)
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err == nil {
			return "j" + buf.String()
		}
	default:
		if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return "n" + strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return "j" + string(raw)
}

// refTargets returns the ids a ref value holds: a string, or the strings
// of a list. Other values hold none.
func refTargets(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return []string{s}
		}
	case '[':
		var ids []string
		if json.Unmarshal(raw, &ids) == nil {
			return ids
		}
	}
	return nil
}
