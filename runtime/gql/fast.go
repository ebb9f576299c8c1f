package gql

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/specstar-go/specstar/runtime/resource"
)

// FastQuerier is implemented by the generated executable schema: it
// answers a query whose selected fields are all plain data (the record,
// its data, meta and revision info, connections, edges, page info) by
// calling the typed resolver of each root field and writing the selected
// fields straight into one JSON buffer.
//
// gqlgen's executor resolves every field through its own closure, field
// context and marshaler, and marshals each element of a list in its own
// goroutine; for a page of 20 records that is several thousand
// allocations, about three times the cost of the REST list of the same
// page. The typed schema, the parsing, validation, limits and extensions
// stay gqlgen's: only the execution of a query's data fields is replaced.
type FastQuerier interface {
	// FastQuery writes the data object of the query of ctx's operation
	// into e and reports true, or reports false (having written nothing
	// visible and reported no error) when a selected field needs gqlgen's
	// executor: a resolver field (relations, revisions, diff), @defer, a
	// resolver error, a value the schema does not allow. The query then
	// runs again through gqlgen, which reports the errors as usual;
	// queries read only, so running one twice changes nothing.
	FastQuery(ctx context.Context, e *Encoder) bool
}

// fastSchema runs the queries of a FastQuerier itself and everything else
// (mutations, subscriptions, queries the fast path declines) through the
// schema's gqlgen executor.
type fastSchema struct {
	graphql.ExecutableSchema
	fast FastQuerier
}

// Exec implements graphql.ExecutableSchema.
func (s fastSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	if opCtx.Operation == nil || opCtx.Operation.Operation != ast.Query {
		return s.ExecutableSchema.Exec(ctx)
	}
	execCtx := ctx
	var slow graphql.ResponseHandler
	done := false
	return func(ctx context.Context) *graphql.Response {
		switch {
		case slow != nil:
			return slow(ctx)
		case done:
			return nil
		}
		done = true
		e := newEncoder(opCtx)
		if s.tryFast(ctx, e) {
			markFast(ctx, e.buf)
			return &graphql.Response{Data: e.buf}
		}
		slow = s.ExecutableSchema.Exec(execCtx)
		return slow(ctx)
	}
}

// buffers holds the buffers of the fast path's responses, which the
// POST transport returns once it has written them: a page of records is
// tens of kilobytes, grown from nothing for every response otherwise.
// The pool is emptied by the garbage collector (every few dozen requests
// under load, with a small heap), so a new buffer starts at the size of
// the last response returned: grown step by step from a few bytes, a page
// of 20 records costs a dozen allocations and twice its size.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, 0, max(minBuffer, lastResponse.Load()))
	return &b
}}

// lastResponse is the length of the last buffer returned to the pool.
var lastResponse atomic.Int64

// minBuffer is the least capacity of a new buffer.
const minBuffer = 4096

// maxPooled bounds the buffers kept for reuse.
const maxPooled = 1 << 20

// getBuffer returns an empty buffer from the pool.
func getBuffer() []byte { return (*buffers.Get().(*[]byte))[:0] }

// putBuffer returns buf to the pool.
func putBuffer(buf []byte) {
	if cap(buf) > 0 && cap(buf) <= maxPooled {
		lastResponse.Store(int64(len(buf)))
		buffers.Put(&buf)
	}
}

// tryFast runs the fast path; a panic in it declines, and gqlgen's
// executor then reports it as an internal error.
func (s fastSchema) tryFast(ctx context.Context, e *Encoder) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return s.fast.FastQuery(ctx, e)
}

// ResolverContext returns ctx with the field context gqlgen's executor
// gives the resolver of field, a field of the object type object with
// the arguments args: the generated fast path calls each root field's
// resolver under it, so that the resolver (and what it calls: the
// complexity and observation hooks, graphql.GetFieldContext) sees what
// it sees under gqlgen's executor. The context also says that the
// result is written by the fast path (WritesStored).
func ResolverContext(ctx context.Context, object string, field graphql.CollectedField, args map[string]any) context.Context {
	ctx = context.WithValue(ctx, storedKey{}, true)
	return graphql.WithFieldContext(ctx, &graphql.FieldContext{
		Object:     object,
		Field:      field,
		Args:       args,
		IsMethod:   true,
		IsResolver: true,
	})
}

// Encoder writes the JSON of a GraphQL response's data. The generated
// FastQuery and the encodeGQL methods of the generated types call it;
// its output is byte for byte what gqlgen's executor and transport write
// for the same fields.
type Encoder struct {
	opCtx     *graphql.OperationContext
	buf       []byte
	collected []collected
	// shared is set when the document has no directives: the fields its
	// selection sets collect depend on the document alone, and are looked
	// up in (and added to) sharedCollected.
	shared bool
	// times holds the last times written, with their text: a record's
	// meta and revision info repeat its created and updated times.
	times    [2]formattedTime
	nextTime int
	// vars is the key of the operation's variables (complexityKeyOf),
	// computed by the first Args.
	vars      complexityKey
	varsState int8 // 0 not computed, 1 computed, -1 not all scalars
}

// formattedTime is a time and its text in RFC 3339 with nanoseconds.
type formattedTime struct {
	t    time.Time
	n    int
	text [40]byte
}

// newEncoder returns an Encoder of the response to opCtx's operation,
// with a buffer from the pool.
func newEncoder(opCtx *graphql.OperationContext) *Encoder {
	return &Encoder{opCtx: opCtx, buf: getBuffer(), shared: opCtx.RawQuery != "" && !strings.Contains(opCtx.RawQuery, "@")}
}

// Operation returns the operation being answered.
func (e *Encoder) Operation() *graphql.OperationContext { return e.opCtx }

// Fields returns the fields of sel selected on an object of type
// typeName (fragments applied, @skip and @include evaluated), or false
// when one of them is deferred.
//
// The fields of one selection set are collected once per response: a
// list writes the same selection for each of its elements.
func (e *Encoder) Fields(sel ast.SelectionSet, typeName string) ([]graphql.CollectedField, bool) {
	if len(sel) == 0 {
		return nil, true
	}
	for _, c := range e.collected {
		if c.first == &sel[0] && c.n == len(sel) && c.typeName == typeName {
			return c.fields, true
		}
	}
	key := collectedKey{first: &sel[0], n: len(sel), typeName: typeName}
	fields, found := []graphql.CollectedField(nil), false
	if e.shared {
		fields, found = sharedCollected.get(key)
	}
	if !found {
		fields = graphql.CollectFields(e.opCtx, sel, []string{typeName})
		for _, f := range fields {
			if f.IsDeferred() {
				return nil, false
			}
		}
		if e.shared {
			sharedCollected.add(key, fields)
		}
	}
	e.collected = append(e.collected, collected{collectedKey: key, fields: fields})
	return fields, true
}

// collectedKey identifies a selection set of a document (its first
// selection and length) on one type.
type collectedKey struct {
	first    *ast.Selection
	n        int
	typeName string
}

// collected is the collected fields of one selection set on one type.
type collected struct {
	collectedKey
	fields []graphql.CollectedField
}

// sharedCollected holds the collected fields of the selection sets of
// documents without directives, for every response: the server's query
// cache hands out the same parsed document for the same query text, so a
// client repeating a query has its fields collected once. Without
// @skip, @include or @defer, the fields a selection set collects depend
// on the document only (its fragments included), not on the variables;
// the collected fields are only read.
var sharedCollected docCache[collectedKey, []graphql.CollectedField]

// sep writes the comma before a key or a list element, unless it is the
// first of its object or list.
func (e *Encoder) sep() {
	if n := len(e.buf); n > 0 {
		switch e.buf[n-1] {
		case '{', '[', ':':
		default:
			e.buf = append(e.buf, ',')
		}
	}
}

// Open starts an object.
func (e *Encoder) Open() { e.buf = append(e.buf, '{') }

// Close ends an object.
func (e *Encoder) Close() { e.buf = append(e.buf, '}') }

// OpenList starts a list.
func (e *Encoder) OpenList() { e.buf = append(e.buf, '[') }

// CloseList ends a list.
func (e *Encoder) CloseList() { e.buf = append(e.buf, ']') }

// Elem starts an element of a list.
func (e *Encoder) Elem() { e.sep() }

// Key starts the member of field f: its response name (the alias, or
// the field name).
//
// A response name is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*, which the
// parser checked): nothing in it needs escaping.
func (e *Encoder) Key(f graphql.CollectedField) {
	e.sep()
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, f.Alias...)
	e.buf = append(e.buf, '"', ':')
}

// Null writes null.
func (e *Encoder) Null() { e.buf = append(e.buf, "null"...) }

// String writes s as a JSON string, escaped as encoding/json escapes it
// (HTML characters included, as gqlgen's transport re-encodes them).
func (e *Encoder) String(s string) { e.buf = appendString(e.buf, s) }

// StringPtr writes *p, or null when p is nil.
func (e *Encoder) StringPtr(p *string) {
	if p == nil {
		e.Null()
		return
	}
	e.String(*p)
}

// Int writes n.
func (e *Encoder) Int(n int) { e.buf = strconv.AppendInt(e.buf, int64(n), 10) }

// Int64 writes n (the Int64 scalar is a JSON number).
func (e *Encoder) Int64(n int64) { e.buf = strconv.AppendInt(e.buf, n, 10) }

// Int64Ptr writes *p, or null when p is nil.
func (e *Encoder) Int64Ptr(p *int64) {
	if p == nil {
		e.Null()
		return
	}
	e.Int64(*p)
}

// Float writes f as gqlgen does (%g), reporting false for infinities and
// NaN, which JSON cannot hold.
func (e *Encoder) Float(f float64) bool {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return false
	}
	e.buf = strconv.AppendFloat(e.buf, f, 'g', -1, 64)
	return true
}

// FloatPtr writes *p, or null when p is nil.
func (e *Encoder) FloatPtr(p *float64) bool {
	if p == nil {
		e.Null()
		return true
	}
	return e.Float(*p)
}

// Bool writes b.
func (e *Encoder) Bool(b bool) { e.buf = strconv.AppendBool(e.buf, b) }

// BoolPtr writes *p, or null when p is nil.
func (e *Encoder) BoolPtr(p *bool) {
	if p == nil {
		e.Null()
		return
	}
	e.Bool(*p)
}

// Time writes t in RFC 3339 with nanoseconds, reporting false for the
// zero time, which gqlgen marshals as null (an error on a non-null
// field).
//
// The same time value (instant and location) is formatted once per
// response, as long as it is one of the last two written.
func (e *Encoder) Time(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	e.buf = append(e.buf, '"')
	for i := range e.times {
		if c := &e.times[i]; c.n > 0 && c.t == t {
			e.buf = append(e.buf, c.text[:c.n]...)
			e.buf = append(e.buf, '"')
			return true
		}
	}
	start := len(e.buf)
	e.buf = t.AppendFormat(e.buf, time.RFC3339Nano)
	if text := e.buf[start:]; len(text) <= len(e.times[0].text) {
		c := &e.times[e.nextTime]
		c.t, c.n = t, copy(c.text[:], text)
		e.nextTime = (e.nextTime + 1) % len(e.times)
	}
	e.buf = append(e.buf, '"')
	return true
}

// TimePtr writes *p, or null when p is nil or the zero time.
func (e *Encoder) TimePtr(p *time.Time) {
	if p == nil || p.IsZero() {
		e.Null()
		return
	}
	e.Time(*p)
}

// Enum writes the GraphQL name of an enum value, reporting false for a
// value without one ("").
func (e *Encoder) Enum(name string) bool {
	if name == "" {
		return false
	}
	e.String(name)
	return true
}

// Meta writes the selected fields of m (GraphQL Meta).
func (e *Encoder) Meta(m *resource.Meta, sel ast.SelectionSet) bool {
	fields, ok := e.Fields(sel, "Meta")
	if !ok {
		return false
	}
	e.Open()
	for _, f := range fields {
		e.Key(f)
		switch f.Name {
		case "__typename":
			e.String("Meta")
		case "resourceId":
			e.String(m.ResourceID)
		case "currentRevisionId":
			e.String(m.CurrentRevisionID)
		case "totalRevisionCount":
			e.Int(m.TotalRevisionCount)
		case "schemaVersion":
			e.Int(m.SchemaVersion)
		case "createdTime":
			ok = e.Time(m.CreatedTime)
		case "createdBy":
			e.String(m.CreatedBy)
		case "updatedTime":
			ok = e.Time(m.UpdatedTime)
		case "updatedBy":
			e.String(m.UpdatedBy)
		case "isDeleted":
			e.Bool(m.IsDeleted)
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	e.Close()
	return true
}

// RevisionInfo writes the selected fields of r (GraphQL RevisionInfo).
func (e *Encoder) RevisionInfo(r *resource.RevisionInfo, sel ast.SelectionSet) bool {
	fields, ok := e.Fields(sel, "RevisionInfo")
	if !ok {
		return false
	}
	e.Open()
	for _, f := range fields {
		e.Key(f)
		switch f.Name {
		case "__typename":
			e.String("RevisionInfo")
		case "revisionId":
			e.String(r.RevisionID)
		case "parentRevisionId":
			e.StringPtr(r.ParentRevisionID)
		case "resourceId":
			e.String(r.ResourceID)
		case "number":
			e.Int(r.Number)
		case "status":
			ok = e.Enum(statusName(r.Status))
		case "dataHash":
			e.String(r.DataHash)
		case "schemaVersion":
			e.Int(r.SchemaVersion)
		case "createdTime":
			ok = e.Time(r.CreatedTime)
		case "createdBy":
			e.String(r.CreatedBy)
		case "updatedTime":
			ok = e.Time(r.UpdatedTime)
		case "updatedBy":
			e.String(r.UpdatedBy)
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	e.Close()
	return true
}

// statusName is the GraphQL name of a revision status (RevisionStatus).
func statusName(s string) string {
	switch s {
	case StatusStable:
		return "STABLE"
	case StatusDraft:
		return "DRAFT"
	}
	return ""
}

// PageInfo writes the selected fields of p (GraphQL PageInfo).
func (e *Encoder) PageInfo(p *PageInfo, sel ast.SelectionSet) bool {
	fields, ok := e.Fields(sel, "PageInfo")
	if !ok {
		return false
	}
	e.Open()
	for _, f := range fields {
		e.Key(f)
		switch f.Name {
		case "__typename":
			e.String("PageInfo")
		case "hasNextPage":
			e.Bool(p.HasNextPage)
		case "endCursor":
			e.StringPtr(p.EndCursor)
		default:
			return false
		}
	}
	e.Close()
	return true
}

const hexDigits = "0123456789abcdef"

// plainByte reports the bytes appendString copies as they are: ASCII
// other than control characters, '"', '\\', '<', '>' and '&'.
var plainByte = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// appendString appends s as a JSON string the way gqlgen's executor and
// POST transport together write it: gqlgen escapes quotes, backslashes
// and control characters (\t, \r, \n, else \u00XX), and the transport's
// encoding/json then escapes <, >, &, U+2028 and U+2029.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if plainByte[b] {
			i++
			continue
		}
		if b < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// JSON writes a value of the JSON scalar as gqlgen's transport writes
// it: compacted, HTML characters escaped; an empty value is null. It
// reports false for bytes that are not JSON.
func (e *Encoder) JSON(v json.RawMessage) bool {
	if len(v) == 0 {
		e.Null()
		return true
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, v); err != nil {
		return false
	}
	out := bytes.NewBuffer(e.buf)
	json.HTMLEscape(out, compact.Bytes())
	e.buf = out.Bytes()
	return true
}

// FastTypes lists, by GraphQL object type, the fields the fast path
// writes: each field's name and the object type of its value ("" for a
// scalar or enum). Meta, RevisionInfo and PageInfo are known without
// being listed.
type FastTypes map[string]map[string]string

// sharedFastFields lists the fields of the shared types the Encoder
// writes itself.
var sharedFastFields = FastTypes{
	"Meta": {"resourceId": "", "currentRevisionId": "", "totalRevisionCount": "", "schemaVersion": "",
		"createdTime": "", "createdBy": "", "updatedTime": "", "updatedBy": "", "isDeleted": ""},
	"RevisionInfo": {"revisionId": "", "parentRevisionId": "", "resourceId": "", "number": "", "status": "",
		"dataHash": "", "schemaVersion": "", "createdTime": "", "createdBy": "", "updatedTime": "", "updatedBy": ""},
	"PageInfo": {"hasNextPage": "", "endCursor": ""},
}

// Supports reports whether the fast path writes every field that sel
// selects on typeName, at every depth: checked before any resolver runs,
// so that a query the fast path declines (a relation, revisions) is
// executed once, by gqlgen.
func (e *Encoder) Supports(sel ast.SelectionSet, typeName string, types FastTypes) bool {
	known := types[typeName]
	if known == nil {
		known = sharedFastFields[typeName]
	}
	if known == nil {
		return false
	}
	fields, ok := e.Fields(sel, typeName)
	if !ok {
		return false
	}
	for _, f := range fields {
		if f.Name == "__typename" {
			continue
		}
		child, ok := known[f.Name]
		if !ok || child != "" && !e.Supports(f.Selections, child, types) {
			return false
		}
	}
	return true
}

// Args returns the arguments of field, which parse parses (gqlgen's
// generated argument parser), reporting false when they do not parse.
//
// The arguments of a field depend on the document and the operation's
// variables only: for a document the query cache hands out again, with
// scalar variables of the same values, they are parsed once and shared
// by every response (up to maxDocCache sets). Resolvers only read
// their arguments. Variables that are not all scalars (an input object,
// a list) have the arguments parsed every time.
func (e *Encoder) Args(field graphql.CollectedField, parse func() (map[string]any, error)) (map[string]any, bool) {
	if e.varsState == 0 {
		e.varsState = -1
		if key, ok := complexityKeyOf(e.opCtx.Operation, e.opCtx.Variables); ok {
			e.vars, e.varsState = key, 1
		}
	}
	if e.varsState < 0 || field.Field == nil {
		args, err := parse()
		return args, err == nil
	}
	key := argsKey{field: field.Field, vars: e.vars}
	if args, found := sharedArgs.get(key); found {
		return args, true
	}
	args, err := parse()
	if err != nil {
		return nil, false
	}
	sharedArgs.add(key, args)
	return args, true
}

// argsKey identifies the arguments of a field of a document under an
// operation's variables.
type argsKey struct {
	field *ast.Field
	vars  complexityKey
}

// sharedArgs holds the parsed arguments of the root fields the fast path
// answers.
var sharedArgs docCache[argsKey, map[string]any]
