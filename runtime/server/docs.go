package server

import (
	"fmt"
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/templates"
)

// DocumentedApp is an App that describes its routes with an OpenAPI
// document. Generated apps implement it; the server then serves the
// document at /openapi.json and renders it at /docs. Apps without one
// serve neither.
type DocumentedApp interface {
	App
	// OpenAPI returns the OpenAPI document as JSON.
	OpenAPI() []byte
}

// docsCSP is the Content-Security-Policy of the /docs page: everything
// it loads comes from this server. Swagger UI sets inline styles and
// shows data: images, and "Try it out" calls this server's API.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"

// registerDocs adds GET /openapi.json, GET /docs and GET /docs/assets/*
// (the vendored Swagger UI, embedded in the binary).
func registerDocs(e *echo.Echo, doc []byte) error {
	page, err := fs.ReadFile(templates.FS, "docs/index.html")
	if err != nil {
		return fmt.Errorf("docs page: %w", err)
	}
	assets, err := fs.Sub(templates.FS, "docs/assets")
	if err != nil {
		return fmt.Errorf("docs assets: %w", err)
	}
	e.GET("/openapi.json", func(c echo.Context) error {
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
	})
	e.GET("/docs", func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", docsCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		return c.HTMLBlob(http.StatusOK, page)
	})
	static := echo.StaticDirectoryHandler(assets, false) // a missing file is echo.ErrNotFound
	e.GET("/docs/assets/*", func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// The assets change only with the binary; browsers revalidate.
		h.Set("Cache-Control", "no-cache")
		return static(c)
	})
	return nil
}
