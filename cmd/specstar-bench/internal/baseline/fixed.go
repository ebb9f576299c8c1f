package baseline

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// NewFixed returns the fixed-body baseline: GET /api/items/:id answers
// body, with the given ETag, whatever the id. Nothing is looked up,
// decoded or encoded, so it bounds from above what a GET handler of the
// same response size can serve.
func NewFixed(body []byte, etag string) *Server {
	e := newEcho()
	e.GET("/api/items/:id", func(c echo.Context) error {
		c.Response().Header().Set("ETag", etag)
		return c.JSONBlob(http.StatusOK, body)
	})
	return &Server{echo: e}
}
