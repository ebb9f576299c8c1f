package gql

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/specstar-go/specstar/runtime/resource"
)

// PageInfo is the pageInfo of a connection (Relay cursor connections).
type PageInfo struct {
	HasNextPage bool
	// EndCursor is the cursor of the last edge, nil for an empty page.
	EndCursor *string
}

// OrderDirection is the direction of one orderBy key.
type OrderDirection string

// Directions of OrderDirection.
const (
	Asc  OrderDirection = "ASC"
	Desc OrderDirection = "DESC"
)

// SortKey returns one key of the REST sort parameter: field, prefixed
// with "-" when dir is Desc.
func SortKey(field string, dir OrderDirection) string {
	if dir == Desc {
		return "-" + field
	}
	return field
}

// Sort joins sort keys into the REST sort parameter: "-views,title".
func Sort(keys []string) string { return strings.Join(keys, ",") }

// ListQuery returns the list query of a connection field: first is the
// page size (nil: the default), after the cursor of the last edge seen.
// A page size outside 1..resource.MaxLimit is a BAD_REQUEST naming
// "first"; the service checks the cursor, with the errors of the REST
// cursor parameter.
func ListQuery(first *int, after *string, includeDeleted *bool) (resource.ListQuery, error) {
	var q resource.ListQuery
	limit, cursor, err := page(first, after)
	if err != nil {
		return q, err
	}
	q.Limit, q.Cursor = limit, cursor
	if includeDeleted != nil {
		q.IncludeDeleted = *includeDeleted
	}
	return q, nil
}

// RevisionQuery returns the revision query of a revisions field.
func RevisionQuery(first *int, after *string, chain *bool) (resource.RevisionQuery, error) {
	var q resource.RevisionQuery
	limit, cursor, err := page(first, after)
	if err != nil {
		return q, err
	}
	q.Limit, q.Cursor = limit, cursor
	if chain != nil {
		q.Chain = *chain
	}
	return q, nil
}

// page checks the first and after arguments of a connection.
func page(first *int, after *string) (int, string, error) {
	limit := 0 // the service's default
	if first != nil {
		if *first < 1 || *first > resource.MaxLimit {
			return 0, "", &resource.Error{
				Code:   resource.CodeBadRequest,
				Detail: fmt.Sprintf("first must be between 1 and %d, got %d", resource.MaxLimit, *first),
				Fields: []resource.FieldError{{Field: "first", Message: fmt.Sprintf("must be between 1 and %d", resource.MaxLimit)}},
			}
		}
		limit = *first
	}
	cursor := ""
	if after != nil {
		cursor = *after
	}
	return limit, cursor, nil
}

// Requested reports whether the field the resolver of ctx resolves
// selects path ("totalCount", "edges.cursor"). Resolvers use it to skip
// work nobody asked for.
func Requested(ctx context.Context, path string) bool {
	return graphql.GetFieldContext(ctx) != nil && graphql.FieldRequested(ctx, path)
}

// Complexity returns the cost of a connection field whose selection
// costs child per item: child times the page size (DefaultLimit when
// first is unset), plus one for the field itself.
func Complexity(child int, first *int) int {
	n := resource.DefaultLimit
	if first != nil && *first > 0 {
		n = min(*first, resource.MaxLimit)
	}
	return 1 + child*n
}
