package server

import (
	"html"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/rest"
)

// link is one entry of the index at /.
type link struct {
	Path  string `json:"path"`
	Title string `json:"title"`
}

// registerIndex answers / with where to go: the API docs, GraphiQL, the
// OpenAPI document, the API and the health checks (those the server
// serves). Browsers get a page of links, other clients JSON. It also
// sends /docs/ and /graphql/ (a trailing slash) to their pages.
func (s *Server) registerIndex(e *echo.Echo, docs, graphql, admin bool) {
	var links []link
	if admin {
		links = append(links, link{adminPath, "Admin UI"})
	}
	if docs {
		links = append(links, link{"/docs", "API documentation (Swagger UI)"}, link{"/openapi.json", "OpenAPI document"})
		e.GET("/docs/", redirect("/docs"))
	}
	if graphql {
		links = append(links, link{graphQLPath, "GraphQL API (GraphiQL in a browser)"})
		e.Any(graphQLPath+"/", redirect(graphQLPath))
	}
	for _, k := range s.schema.Kinds {
		if !k.Internal {
			links = append(links, link{"/api/" + k.Path, k.Name + " (REST)"})
		}
	}
	links = append(links, link{"/healthz", "health"}, link{"/readyz", "readiness"})
	if s.metrics != nil {
		links = append(links, link{metricsPath, "Prometheus metrics"})
	}
	page := indexPage(links)
	e.GET("/", func(c echo.Context) error {
		if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html") {
			c.Response().Header().Set("X-Content-Type-Options", "nosniff")
			return c.HTMLBlob(http.StatusOK, page)
		}
		return rest.JSON(c, http.StatusOK, map[string]any{"links": links})
	})
}

// redirect answers with a permanent redirect to path, keeping the query
// and the method (308).
func redirect(path string) echo.HandlerFunc {
	return func(c echo.Context) error {
		to := path
		if q := c.Request().URL.RawQuery; q != "" {
			to += "?" + q
		}
		return c.Redirect(http.StatusPermanentRedirect, to)
	}
}

// indexPage renders the HTML index.
func indexPage(links []link) []byte {
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>specstar API</title></head>\n<body>\n<h1>specstar API</h1>\n<ul>\n")
	for _, l := range links {
		b.WriteString(`<li><a href="` + html.EscapeString(l.Path) + `">` + html.EscapeString(l.Path) + "</a> " + html.EscapeString(l.Title) + "</li>\n")
	}
	b.WriteString("</ul>\n</body></html>\n")
	return []byte(b.String())
}

// graphQLHint answers a GET of /graphql that carries no query and does
// not come from a browser (curl /graphql): a 400 that says how to send
// one, instead of gqlgen's bare error.
func graphQLHint(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodGet || r.URL.Query().Has("query") || r.Header.Get("Upgrade") != "" ||
			strings.Contains(r.Header.Get(echo.HeaderAccept), "text/html") || strings.Contains(r.Header.Get(echo.HeaderAccept), "text/event-stream") {
			return next(c)
		}
		return rest.JSON(c, http.StatusBadRequest, map[string]any{"errors": []any{map[string]any{
			"message": `this is the GraphQL API: send a query, with POST /graphql and a JSON body {"query": "{ ... }"} ` +
				`(Content-Type: application/json) or GET /graphql?query=...; open /graphql in a browser for GraphiQL`,
			"extensions": map[string]any{"code": "GRAPHQL_QUERY_MISSING"}}}})
	}
}
