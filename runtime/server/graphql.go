package server

import (
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
	e.Any(graphQLPath, h, s.authenticate()...)
	e.GET(graphQLPath+"/"+gql.AssetsDir+"/*", h)
	return nil
}
