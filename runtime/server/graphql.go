package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/gql"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/templates"
)

// GraphQLApp is an App with a GraphQL API. Generated apps implement it;
// the server then serves the API at /graphql (POST and GET, Server-Sent
// Events and WebSocket subscriptions, GraphiQL for browsers).
type GraphQLApp interface {
	App
	// GraphQL returns the handler of the API over svc.
	GraphQL(svc *resource.Service, opts gql.Options) http.Handler
}

// graphQLPath is where the GraphQL API is mounted.
const graphQLPath = "/graphql"

// registerGraphQL mounts the GraphQL handler of app at /graphql and its
// GraphiQL assets at /graphql/assets/.
func (s *Server) registerGraphQL(e *echo.Echo, app GraphQLApp) error {
	assets, err := fs.Sub(templates.FS, "graphiql")
	if err != nil {
		return fmt.Errorf("graphiql assets: %w", err)
	}
	opts := gql.Options{
		Logger:    s.logger,
		Feed:      s.changes,
		BodyLimit: min(s.cfg.GraphQLBodyLimit, s.cfg.BodyLimit),
		GraphiQL:  assets,
	}
	if s.metrics != nil {
		opts.Observe = s.metrics.ObserveGraphQL
	}
	if s.auth != nil {
		opts.Authenticate = s.auth.Authenticate
	}
	h := echo.WrapHandler(app.GraphQL(s.svc, opts))
	e.Any(graphQLPath, h, append([]echo.MiddlewareFunc{graphQLHint}, graphQLErrors(s.authenticate())...)...)
	e.GET(graphQLPath+"/"+gql.AssetsDir+"/*", h)
	return nil
}

// graphQLErrors wraps the authentication middleware of /graphql so that a
// token that does not authenticate is answered as GraphQL clients expect:
// a 401 whose body is a GraphQL response with extensions.code
// UNAUTHENTICATED (the WWW-Authenticate header stays).
func graphQLErrors(mws []echo.MiddlewareFunc) []echo.MiddlewareFunc {
	out := make([]echo.MiddlewareFunc, len(mws))
	for i, mw := range mws {
		out[i] = func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				reached := false // the error is the middleware's, not the API's
				err := mw(func(c echo.Context) error { reached = true; return next(c) })(c)
				var re *resource.Error
				if err == nil || reached || !errors.As(err, &re) || c.Response().Committed {
					return err
				}
				return c.JSON(re.Code.Status(), map[string]any{"errors": []any{map[string]any{
					"message": re.Detail, "extensions": map[string]any{"code": string(re.Code)}}}})
			}
		}
	}
	return out
}
