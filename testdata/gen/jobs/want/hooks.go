package shop

// This file is yours: specstar gen wrote it once, because it was missing, and
// never changes it. Write the business logic of the resources here, or in any
// other file of this package: typed hooks, which run for REST, GraphQL and the
// typed repositories alike, and custom routes. docs/hooks.md explains each hook.

// setup returns the options App applies before the ones passed to it, for
// example:
//
//	return []Option{
//		WithOrderHooks(OrderHooks{
//			BeforeWrite: func(ctx context.Context, w *OrderWrite) error { ... },
//		}),
//		WithRoutes(func(r *Routes) { r.GET("/hello", ...) }),
//	}
func setup() []Option {
	return nil
}
