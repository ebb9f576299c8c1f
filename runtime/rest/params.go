package rest

import (
	"strconv"

	"github.com/labstack/echo/v4"

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
	return o, nil
}

// ReadOptions reads the revision and include_deleted query parameters of
// a read request.
func ReadOptions(c echo.Context) (resource.ReadOptions, error) {
	var o resource.ReadOptions
	var err error
	o.Revision = c.QueryParam("revision")
	if o.IncludeDeleted, err = boolParam(c, "include_deleted"); err != nil {
		return o, err
	}
	return o, nil
}

// ListQuery reads the paging parameters of a list request: limit
// (default resource.DefaultLimit, 1..resource.MaxLimit), cursor, offset
// (>= 0), include_deleted, deleted ("" or "only") and count.
func ListQuery(c echo.Context) (resource.ListQuery, error) {
	var q resource.ListQuery
	var err error
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
// limit (as for ListQuery) and cursor.
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
	return q, nil
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
