package rest

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// WriteOptions reads the options of a write request: the If-Match header
// and the mode ("" or "modify") and status ("", "draft" or "stable")
// query parameters. Other values are 400 BAD_REQUEST naming the parameter.
func WriteOptions(c echo.Context) (resource.WriteOptions, error) {
	o := resource.WriteOptions{
		IfMatch: c.Request().Header.Get("If-Match"),
		Mode:    c.QueryParam("mode"),
		Status:  c.QueryParam("status"),
	}
	if o.Mode != resource.ModeNew && o.Mode != resource.ModeModify {
		return o, badParam("mode", `must be "modify" or empty`)
	}
	switch o.Status {
	case "", resource.StatusDraft, resource.StatusStable:
	default:
		return o, badParam("status", `must be "draft", "stable" or empty`)
	}
	// cascade applies to restore only; the routes of other writes refuse
	// it (CheckQuery).
	var err error
	if o.Cascade, err = boolParam(c, "cascade"); err != nil {
		return o, err
	}
	return o, nil
}

// ReadOptions reads the query parameters of a read request: revision,
// include_deleted, and fields and expand as ListQuery reads them
// (comma-separated, repeatable; the Service checks the names against the
// kind). Invalid values are 400 BAD_REQUEST naming the parameter.
func ReadOptions(c echo.Context) (resource.ReadOptions, error) {
	var o resource.ReadOptions
	var err error
	o.Revision = c.QueryParam("revision")
	if o.IncludeDeleted, err = boolParam(c, "include_deleted"); err != nil {
		return o, err
	}
	if o.Fields, err = namesParam(c, "fields", 0); err != nil {
		return o, err
	}
	if o.Expand, err = namesParam(c, "expand", maxExpandDepth); err != nil {
		return o, err
	}
	return o, nil
}

// Param returns the path parameter name, path-unescaped. echo routes a
// request on its escaped path when it has one (URL.RawPath, set when the
// client escaped a character Go would not, such as the colon of a
// revision id sent as "0190…%3A2" by encodeURIComponent), and c.Param
// then returns the escaped text; on a request without RawPath the value
// is already unescaped and is returned as is (unescaping it again would
// turn a literal "%41" into "A"). An invalid escape is 400 BAD_REQUEST
// naming the parameter.
func Param(c echo.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request().URL.RawPath == "" {
		return v, nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		const msg = "is not a valid URL-escaped path segment"
		return "", &resource.Error{
			Code:   resource.CodeBadRequest,
			Detail: "invalid path parameter " + strconv.Quote(name) + ": " + strconv.Quote(v) + " " + msg,
			Fields: []resource.FieldError{{Field: name, Message: msg}},
		}
	}
	return u, nil
}

// ListQuery reads the parameters of a list request: filter and sort (raw:
// the Service parses and checks them against the kind), limit (default
// resource.DefaultLimit, 1..resource.MaxLimit), cursor, offset (>= 0),
// include_deleted, deleted ("" or "only"), count, fields (comma-separated
// data field names) and expand (comma-separated ref field names, dotted
// for two levels: "post.author"). filter and sort may be given once;
// fields and expand may be repeated, and their lists add up. Invalid
// values are 400 BAD_REQUEST naming the parameter.
func ListQuery(c echo.Context) (resource.ListQuery, error) {
	var q resource.ListQuery
	var err error
	if q.Filter, err = onceParam(c, "filter", "join the conditions with &&"); err != nil {
		return q, err
	}
	if q.Sort, err = onceParam(c, "sort", "separate the sort keys with commas"); err != nil {
		return q, err
	}
	if q.Fields, err = namesParam(c, "fields", 0); err != nil {
		return q, err
	}
	if q.Expand, err = namesParam(c, "expand", maxExpandDepth); err != nil {
		return q, err
	}
	if q.Limit, err = limitParam(c); err != nil {
		return q, err
	}
	q.Cursor = c.QueryParam("cursor")
	if s := c.QueryParam("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, badParam("offset", "must be a non-negative integer")
		}
		q.Offset = n
	}
	if q.IncludeDeleted, err = boolParam(c, "include_deleted"); err != nil {
		return q, err
	}
	switch c.QueryParam("deleted") {
	case "":
	case "only":
		q.OnlyDeleted = true
	default:
		return q, badParam("deleted", `must be "only" or empty`)
	}
	if q.Count, err = boolParam(c, "count"); err != nil {
		return q, err
	}
	return q, nil
}

// RevisionQuery reads the parameters of a revision listing: chain,
// limit (as for ListQuery), cursor and include_deleted.
func RevisionQuery(c echo.Context) (resource.RevisionQuery, error) {
	var q resource.RevisionQuery
	var err error
	if q.Chain, err = boolParam(c, "chain"); err != nil {
		return q, err
	}
	if q.Limit, err = limitParam(c); err != nil {
		return q, err
	}
	q.Cursor = c.QueryParam("cursor")
	if q.IncludeDeleted, err = boolParam(c, "include_deleted"); err != nil {
		return q, err
	}
	return q, nil
}

// RevisionOptions reads the query parameters of a read of one revision
// or of a diff: include_deleted. An invalid value is 400 BAD_REQUEST
// naming it.
func RevisionOptions(c echo.Context) (resource.RevisionOptions, error) {
	var o resource.RevisionOptions
	var err error
	o.IncludeDeleted, err = boolParam(c, "include_deleted")
	return o, err
}

// maxExpandDepth is how many levels of references expand may follow:
// "post.author" embeds a comment's post and that post's author.
const maxExpandDepth = 2

// onceParam returns a query parameter that may be given at most once;
// hint says how to combine several values into one.
func onceParam(c echo.Context, name, hint string) (string, error) {
	values := c.QueryParams()[name]
	if len(values) > 1 {
		return "", badParam(name, "must be given at most once; "+hint)
	}
	if len(values) == 0 {
		return "", nil
	}
	return values[0], nil
}

// namesParam parses a query parameter holding comma-separated, dotted
// field names ("title, address.city"), possibly repeated. Spaces around
// names are dropped, and so are repeated names (the Service ignores them
// too); an empty name or dotted segment, or (when maxDepth > 0) a name of
// more than maxDepth segments is a 400. Absent, it is nil.
func namesParam(c echo.Context, name string, maxDepth int) ([]string, error) {
	var names []string
	for _, value := range c.QueryParams()[name] {
		for entry := range strings.SplitSeq(value, ",") {
			entry = strings.TrimSpace(entry)
			segments := strings.Split(entry, ".")
			switch {
			case entry == "":
				return nil, badParam(name, "has an empty entry; list field names separated by single commas, such as title,views")
			case slices.Contains(segments, ""):
				return nil, badParam(name, strconv.Quote(entry)+" is not a field name: a dot must stand between two names")
			case maxDepth > 0 && len(segments) > maxDepth:
				return nil, badParam(name, fmt.Sprintf("%q follows %d references; at most %d levels are allowed, such as post.author",
					entry, len(segments), maxDepth))
			case slices.Contains(names, entry):
				continue
			}
			names = append(names, entry)
		}
	}
	return names, nil
}

// limitParam parses the limit query parameter.
func limitParam(c echo.Context) (int, error) {
	s := c.QueryParam("limit")
	if s == "" {
		return resource.DefaultLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > resource.MaxLimit {
		return 0, badParam("limit", "must be an integer from 1 to "+strconv.Itoa(resource.MaxLimit))
	}
	return n, nil
}

// boolParam parses a boolean query parameter; absent is false.
func boolParam(c echo.Context, name string) (bool, error) {
	s := c.QueryParam(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badParam(name, `must be "true" or "false"`)
	}
	return b, nil
}

// badParam is the 400 for an invalid query parameter.
func badParam(name, message string) error {
	return &resource.Error{
		Code:   resource.CodeBadRequest,
		Detail: "invalid query parameter " + strconv.Quote(name) + ": " + message,
		Fields: []resource.FieldError{{Field: name, Message: message}},
	}
}

// CheckQuery checks that every query parameter of the request is one of
// accepted, the parameters its operation reads (the generated handlers
// pass the operation's row of the operations table). An unknown name is
// 400 BAD_REQUEST naming it, with a suggestion for a near miss and the
// accepted names, as an unknown JSON field is a 422: a misspelt
// ?fitler= would otherwise list everything. A pair that url.ParseQuery
// would drop, and the handler therefore never see (an invalid %-escape, a
// semicolon), is a 400 naming its parameter, for the same reason.
//
// It runs on every request of a generated route, so it scans the raw
// query in place: it allocates nothing unless a name is %-escaped or the
// query is refused.
func CheckQuery(c echo.Context, accepted ...string) error {
	return checkQuery(c.Request().URL.RawQuery, accepted)
}

// maxUnknown bounds the unknown names one error reports (and the work
// spent finding them).
const maxUnknown = 10

// checkQuery is CheckQuery on a raw query string.
func checkQuery(query string, accepted []string) error {
	var unknown []string
	for query != "" && len(unknown) < maxUnknown {
		var pair string
		pair, query, _ = strings.Cut(query, "&")
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, ok := queryUnescape(rawKey)
		if !ok {
			return badParam(rawKey, `has an invalid %-escape in its name; write "%" as %25`)
		}
		if strings.IndexByte(pair, ';') >= 0 {
			return badParam(key, "contains a semicolon, which is not a separator; write it as %3B and separate parameters with &")
		}
		if !validEscapes(rawValue) {
			return badParam(key, `has an invalid %-escape in its value; write "%" as %25`)
		}
		if !slices.Contains(accepted, key) && !slices.Contains(unknown, key) {
			unknown = append(unknown, key)
		}
	}
	if len(unknown) > 0 {
		return unknownParams(unknown, accepted)
	}
	return nil
}

// queryUnescape decodes a query component as url.QueryUnescape does, and
// returns s itself, without allocating, when it has nothing to decode.
func queryUnescape(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '+' {
			out, err := url.QueryUnescape(s)
			return out, err == nil
		}
	}
	return s, true
}

// validEscapes reports whether every "%" in s starts a two-digit hex
// escape, the only way url.QueryUnescape fails.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; i = strings.IndexByte(s, '%') {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		s = s[i+3:]
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unknownParams is the 400 for query parameters the operation does not
// accept: one field error per name, each with its own suggestion.
func unknownParams(unknown, accepted []string) error {
	tail := "; this operation takes no query parameters"
	if len(accepted) > 0 {
		tail = "; accepted: " + strings.Join(accepted, ", ")
	}
	e := &resource.Error{Code: resource.CodeBadRequest}
	quoted := make([]string, len(unknown))
	for i, name := range unknown {
		hint := didYouMean(suggest(name, accepted))
		quoted[i] = strconv.Quote(name) + hint
		if name == "" {
			continue // "?=x": the detail says it; a field error needs a name
		}
		e.Fields = append(e.Fields, resource.FieldError{Field: name, Message: "unknown query parameter" + hint + tail})
	}
	what := "unknown query parameter "
	if len(unknown) > 1 {
		what = "unknown query parameters "
	}
	e.Detail = what + strings.Join(quoted, ", ") + tail
	return e
}

// maxSuggest is the longest name suggest compares: longer ones are no
// typo of a parameter name, and the distance costs the product of the
// lengths.
const maxSuggest = 64

// suggest returns the candidate nearest to got, or "" when none is close
// enough to be a likely typo: at most a third of the longer word's runes
// (at least one) apart, in optimal string alignment distance over the
// lower-cased words, ties to the earliest candidate. It mirrors
// generator/load.Suggest, which runtime may not import.
//
//	fitler, [filter sort] => filter
//	Limit,  [limit]       => limit
//	colour, [filter sort] => ""
func suggest(got string, candidates []string) string {
	if len(got) > maxSuggest {
		return ""
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == got {
			continue
		}
		lg, lc := len([]rune(got)), len([]rune(c))
		limit := max(lg, lc, 3) / 3
		if lg-lc > limit || lc-lg > limit {
			continue // the distance is at least the length difference
		}
		d := filter.Distance(strings.ToLower(got), strings.ToLower(c))
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean returns ` (did you mean "X"?)`, or "" without a suggestion.
func didYouMean(suggestion string) string {
	if suggestion == "" {
		return ""
	}
	return " (did you mean " + strconv.Quote(suggestion) + "?)"
}
