package gql

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// ObserveFunc is the type of Options.Observe.
type ObserveFunc = func(ctx context.Context, operation string, kind string, d time.Duration, failed bool)

// observeOperations returns the operation middleware that calls observe
// once per executed operation: after the first response of a query or
// mutation; for a subscription, at the end of its stream or when its
// context ends, whichever comes first (a transport that fails to write
// an event stops reading the stream without reaching its end).
func observeOperations(observe ObserveFunc) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		var name string
		var kind ast.Operation
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			name, kind = op.Name, op.Operation
		}
		start := time.Now()
		var once sync.Once
		var failed atomic.Bool
		report := func() {
			once.Do(func() { observe(ctx, name, string(kind), time.Since(start), failed.Load()) })
		}
		responses := next(ctx)
		if kind == ast.Subscription {
			stop := context.AfterFunc(ctx, report)
			return func(ctx context.Context) *graphql.Response {
				resp := responses(ctx)
				if resp == nil {
					stop()
					report()
					return nil
				}
				if len(resp.Errors) > 0 {
					failed.Store(true)
				}
				return resp
			}
		}
		return func(ctx context.Context) *graphql.Response {
			resp := responses(ctx)
			if resp == nil || len(resp.Errors) > 0 {
				failed.Store(true)
			}
			report()
			return resp
		}
	}
}
