package gql

import (
	"context"
	"encoding/json"

	"github.com/specstar-go/specstar/runtime/feed"
	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/jsonpatch"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Values of the RevisionStatus and WriteMode enums, as the service takes
// them. They are untyped so that the enums bind to plain strings.
const (
	StatusStable = resource.StatusStable
	StatusDraft  = resource.StatusDraft
	ModeNew      = resource.ModeNew
	ModeModify   = resource.ModeModify
)

// Deref returns *p, or the zero value for nil: optional arguments.
func Deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// WriteOptions returns the write options of a mutation's optional
// ifMatch, mode and status arguments.
func WriteOptions(ifMatch, mode, status *string) resource.WriteOptions {
	return resource.WriteOptions{IfMatch: Deref(ifMatch), Mode: Deref(mode), Status: Deref(status)}
}

// MergePatch applies a JSON merge patch (RFC 7386) to current. A patch
// that is not a JSON object is a BAD_REQUEST naming the argument.
func MergePatch(current, patch json.RawMessage) (json.RawMessage, error) {
	if len(patch) == 0 || patch[0] != '{' {
		return nil, &resource.Error{
			Code:   resource.CodeBadRequest,
			Detail: "patch must be a JSON object (a JSON merge patch, RFC 7386)",
			Fields: []resource.FieldError{{Field: "patch", Message: "must be a JSON object"}},
		}
	}
	out, err := jsonpatch.MergePatch(current, patch)
	if err != nil {
		return nil, resource.Errorf(resource.CodeBadRequest, "patch: %v", err)
	}
	return out, nil
}

// Eq is the condition "field = value" on a string field: the condition
// of a back-reference (the referrers whose ref field holds an id).
func Eq(field, value string) filter.Expr {
	return &filter.Cmp{Field: filter.Ref{Name: field}, Op: filter.Eq, Value: str(value)}
}

// RevisionConnection is a page of revisions (GraphQL RevisionConnection).
type RevisionConnection struct {
	Edges    []*RevisionEdge
	Nodes    []*resource.RevisionInfo
	PageInfo PageInfo
}

// RevisionEdge is one revision of a page and the cursor that follows it.
type RevisionEdge struct {
	Cursor string
	Node   *resource.RevisionInfo
}

// Revisions resolves the revisions field of a resource. deleted is the
// resource's meta.is_deleted: a query reaches a soft-deleted object only
// by asking for it (includeDeleted: true), and then its history is
// readable as REST's include_deleted=true makes it.
func Revisions(ctx context.Context, svc *resource.Service, k *resource.Kind, id string, deleted bool, first *int, after *string, chain *bool) (*RevisionConnection, error) {
	q, err := RevisionQuery(first, after, chain)
	if err != nil {
		return nil, err
	}
	q.IncludeDeleted = deleted
	page, err := svc.Revisions(ctx, k, id, q)
	if err != nil {
		return nil, Wrap(err)
	}
	conn := &RevisionConnection{
		Edges: make([]*RevisionEdge, 0, len(page.Items)),
		Nodes: make([]*resource.RevisionInfo, 0, len(page.Items)),
	}
	for i := range page.Items {
		info := &page.Items[i]
		conn.Nodes = append(conn.Nodes, info)
		conn.Edges = append(conn.Edges, &RevisionEdge{Cursor: revisionCursor(page, i), Node: info})
	}
	conn.PageInfo = PageInfo{HasNextPage: page.NextCursor != nil}
	if n := len(conn.Edges); n > 0 {
		conn.PageInfo.EndCursor = &conn.Edges[n-1].Cursor
	}
	return conn, nil
}

// Diff resolves the diff field of a resource: the RFC 6902 patch from
// revision against ("" for rev's parent) to revision rev. deleted is the
// resource's meta.is_deleted, as for Revisions.
func Diff(ctx context.Context, svc *resource.Service, k *resource.Kind, id string, deleted bool, rev, against string) (json.RawMessage, error) {
	ops, err := svc.Diff(ctx, k, id, rev, against, resource.RevisionOptions{IncludeDeleted: deleted})
	if err != nil {
		return nil, Wrap(err)
	}
	data, err := json.Marshal(ops)
	if err != nil {
		return nil, Wrap(err)
	}
	return data, nil
}

// NewPageInfo returns the pageInfo of a list page.
func NewPageInfo(page *resource.Page) PageInfo {
	pi := PageInfo{HasNextPage: page.NextCursor != nil}
	if n := len(page.Items); n > 0 {
		c := Cursor(page, n-1)
		pi.EndCursor = &c
	}
	return pi
}

// Changes runs a subscription, once svc allows the principal of ctx to
// subscribe to k: it subscribes to the changes of k (of
// resource id, when not nil) and sends each the caller may see
// (Service.Visible), converted by convert, until
// ctx ends or the feed closes the subscription (which ends the GraphQL
// subscription: the client may subscribe again). A nil feed is an error:
// the server was built without one.
func Changes[T any](ctx context.Context, svc *resource.Service, f feed.Feed, k *resource.Kind, id *string, convert func(feed.Event) (T, error)) (<-chan T, error) {
	if f == nil {
		return nil, resource.Errorf(resource.CodeBadRequest, "subscriptions are not available on this server")
	}
	if err := svc.Allow(ctx, k, resource.ActionSubscribe); err != nil {
		return nil, Wrap(err)
	}
	events, err := f.Subscribe(ctx, k.Name, Deref(id))
	if err != nil {
		return nil, Wrap(err)
	}
	out := make(chan T)
	go func() {
		defer close(out)
		for e := range events {
			// The caller sees the changes of the rows it may read,
			// without the fields hidden from it.
			env, ok := svc.Visible(ctx, k, e.Envelope)
			if !ok {
				continue
			}
			e.Envelope = env
			// On an error (stored data that does not decode) convert still
			// returns the kind and id of the change: send those.
			v, _ := convert(e)
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Cursor returns the cursor of item i of page: listing with it as after
// continues after that item.
func Cursor(page *resource.Page, i int) string { return page.Cursor(i) }

// revisionCursor returns the cursor of revision i of page.
func revisionCursor(page *resource.RevisionPage, i int) string { return page.Cursor(i) }
