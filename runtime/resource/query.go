package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/runtime/filter"
)

// kindQuery is what list queries of one kind need, computed once per
// kind: the filterable fields and the default order.
type kindQuery struct {
	// fields are the indexed data fields (dotted paths) and the meta
	// fields, as the filter checker and the sort parser take them.
	fields []filter.FieldInfo
	// defaultSort is Kind.DefaultSort with the resource_id tie-break.
	defaultSort []filter.SortKey
	// defaultSortErr is set when Kind.DefaultSort does not parse: a
	// generator bug, reported as an internal error on lists without sort.
	defaultSortErr error
	// dataFields is the set of Kind.DataFields, for fields= projection.
	dataFields map[string]bool
}

// kindQueryKey identifies the list query descriptors of a kind as one
// caller sees it: without the fields its view hides.
type kindQueryKey struct {
	kind   *Kind
	hidden uint64
}

// queryInfo returns the list query descriptors of k as v sees it,
// building them on first use.
func (s *Service) queryInfo(k *Kind, v *view) *kindQuery {
	key := kindQueryKey{kind: k, hidden: v.hidden}
	if kq, ok := s.kinds.Load(key); ok {
		return kq.(*kindQuery)
	}
	kq := newKindQuery(k, v.hiddenNames())
	actual, _ := s.kinds.LoadOrStore(key, kq)
	return actual.(*kindQuery)
}

// newKindQuery builds the list query descriptors of k without the data
// fields named in hidden (and the fields nested in them).
func newKindQuery(k *Kind, hidden []string) *kindQuery {
	kq := &kindQuery{dataFields: make(map[string]bool, len(k.DataFields))}
	isHidden := func(name string) bool {
		for _, h := range hidden {
			if name == h || strings.HasPrefix(name, h+".") {
				return true
			}
		}
		return false
	}
	for _, f := range k.Fields {
		if f.Indexed && !isHidden(f.JSON) {
			kq.fields = append(kq.fields, filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List})
		}
	}
	kq.fields = append(kq.fields, metaFields...)
	for _, name := range k.DataFields {
		if !isHidden(name) {
			kq.dataFields[name] = true
		}
	}
	keys, err := filter.ParseSort(k.DefaultSort, kq.fields)
	if err != nil {
		kq.defaultSortErr = fmt.Errorf("resource: default sort %q of %s: %w", k.DefaultSort, k.Name, err)
		return kq
	}
	kq.defaultSort = withTieBreak(keys)
	return kq
}

// withTieBreak returns keys followed by resource_id ascending, unless
// they already name resource_id (which makes the order total by itself).
func withTieBreak(keys []filter.SortKey) []filter.SortKey {
	for i, key := range keys {
		if key.Field.Name == FieldResourceID {
			return keys[:i+1]
		}
	}
	return append(slices.Clip(keys), ResourceIDKey)
}

// listPlan is a validated ListQuery.
type listPlan struct {
	query  Query // without Limit
	limit  int
	hash   string       // of the sort order, the filter and the deletion mode
	fields []string     // data fields to keep, nil for all
	expand []*expansion // ref fields to embed
}

// planList validates q as v sees k and converts it to a backend query;
// the query does not hold v's row condition yet.
func (s *Service) planList(k *Kind, q ListQuery, v *view) (*listPlan, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return nil, err
	}
	if q.Offset < 0 {
		return nil, &Error{
			Code:   CodeBadRequest,
			Detail: "offset must not be negative",
			Fields: []FieldError{{Field: "offset", Message: "must not be negative"}},
		}
	}
	p := &listPlan{limit: limit, query: Query{
		IncludeDeleted: q.IncludeDeleted || q.OnlyDeleted,
		OnlyDeleted:    q.OnlyDeleted,
		Offset:         q.Offset,
	}}
	parsed, err := s.parseQuery(k, v, q.Filter, q.Sort)
	if err != nil {
		return nil, err
	}
	p.query.Filter, p.query.Sort = parsed.filter, parsed.sort
	p.hash = parsed.hash(&p.query)
	if p.query.After, err = decodeListCursor(q.Cursor, p.query.Sort, p.hash); err != nil {
		return nil, err
	}
	if p.fields, err = projection(k, s.queryInfo(k, v), q.Fields); err != nil {
		return nil, err
	}
	if p.expand, err = s.parseExpand(k, q.Expand, v); err != nil {
		return nil, err
	}
	return p, nil
}

// parsedQuery is a checked filter and sort order, shared by every list
// that names them: it is never modified.
type parsedQuery struct {
	filter filter.Expr
	sort   []filter.SortKey // with the resource_id tie-break
	// hashes are the cursor hashes of the live, all and deleted modes.
	hashes [3]string
}

// hash returns the cursor hash of q (whose filter and sort are p's).
func (p *parsedQuery) hash(q *Query) string {
	switch {
	case q.OnlyDeleted:
		return p.hashes[2]
	case q.IncludeDeleted:
		return p.hashes[1]
	}
	return p.hashes[0]
}

// maxParsedQueries bounds the cache of parsed queries; when it is full it
// starts over.
const maxParsedQueries = 1024

// parsedKey identifies a parsed query.
type parsedKey struct {
	kind         *Kind
	hidden       uint64
	filter, sort string
}

// parseQuery parses and checks a filter and a sort order of k, or
// returns the result of an earlier call: lists repeat the same few
// queries, and parsing them again would cost each request.
func (s *Service) parseQuery(k *Kind, v *view, filterSrc, sortSrc string) (*parsedQuery, error) {
	key := parsedKey{kind: k, hidden: v.hidden, filter: filterSrc, sort: sortSrc}
	s.parsedMu.Lock()
	p, ok := s.parsed[key]
	s.parsedMu.Unlock()
	if ok {
		return p, nil
	}
	kq := s.queryInfo(k, v)
	e, err := filter.Parse(filterSrc)
	if err == nil {
		err = filter.Check(e, kq.fields)
	}
	if err != nil {
		return nil, listParamError(err, "filter", "filterable", kq.fields, false)
	}
	p = &parsedQuery{filter: e}
	if strings.TrimSpace(sortSrc) == "" {
		if kq.defaultSortErr != nil {
			return nil, kq.defaultSortErr
		}
		p.sort = kq.defaultSort
	} else {
		keys, err := filter.ParseSort(sortSrc, kq.fields)
		if err != nil {
			return nil, listParamError(err, "sort", "sortable", kq.fields, true)
		}
		p.sort = withTieBreak(keys)
	}
	for i, mode := range []Query{{}, {IncludeDeleted: true}, {IncludeDeleted: true, OnlyDeleted: true}} {
		mode.Filter, mode.Sort = p.filter, p.sort
		p.hashes[i] = queryHash(&mode)
	}
	s.parsedMu.Lock()
	defer s.parsedMu.Unlock()
	if s.parsed == nil || len(s.parsed) >= maxParsedQueries {
		s.parsed = make(map[parsedKey]*parsedQuery)
	}
	s.parsed[key] = p
	return p, nil
}

// listParamError turns an error of the filter package into a 400 naming
// the parameter, the position, the problem and the fields that may be
// used (unless the problem already lists them).
func listParamError(err error, param, what string, fields []filter.FieldInfo, scalarOnly bool) error {
	var list filter.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		var one *filter.Error
		if !errors.As(err, &one) {
			return fmt.Errorf("resource: %s: %w", param, err)
		}
		list = filter.ErrorList{one}
	}
	var names []string
	for _, f := range fields {
		if !scalarOnly || !f.List {
			names = append(names, f.Name)
		}
	}
	first := list[0]
	detail := fmt.Sprintf("%s is not valid: at position %d: %s", param, first.Pos, first.Msg)
	if !strings.Contains(first.Msg, what+" fields") {
		detail += fmt.Sprintf(" (%s fields: %s)", what, strings.Join(names, ", "))
	}
	if len(list) > 1 {
		detail += fmt.Sprintf("; %d problems in all, see errors", len(list))
	}
	e := &Error{Code: CodeBadRequest, Detail: detail}
	for _, fe := range list {
		e.Fields = append(e.Fields, FieldError{Field: param, Message: fmt.Sprintf("position %d: %s", fe.Pos, fe.Msg)})
	}
	return e
}

// queryHash identifies what a cursor was issued for: the sort order, the
// filter and the deletion mode. A cursor is only valid with the same ones.
func queryHash(q *Query) string {
	mode := "live"
	switch {
	case q.OnlyDeleted:
		mode = "deleted"
	case q.IncludeDeleted:
		mode = "all"
	}
	var b strings.Builder
	for _, key := range q.Sort {
		b.WriteString(key.String())
		b.WriteByte(',')
	}
	b.WriteByte('\n')
	b.WriteString(filter.Format(q.Filter))
	b.WriteByte('\n')
	b.WriteString(mode)
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:8])
}

// fieldName matches a data field name when the kind does not list its
// data fields.
var fieldName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// projection validates the fields= names against the kind's data fields
// and returns them without duplicates (nil for no projection).
func projection(k *Kind, kq *kindQuery, names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(names))
	for _, name := range names {
		known := kq.dataFields[name]
		if len(kq.dataFields) == 0 {
			known = fieldName.MatchString(name)
		}
		if !known {
			detail := fmt.Sprintf("fields names %q, which is not a data field of %s", name, noun(k))
			if len(k.DataFields) > 0 {
				detail += "; data fields: " + strings.Join(k.DataFields, ", ")
			}
			return nil, &Error{
				Code:   CodeBadRequest,
				Detail: detail,
				Fields: []FieldError{{Field: "fields", Message: fmt.Sprintf("unknown data field %q", name)}},
			}
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}
