package backup

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// ContentType is the media type of an archive.
const ContentType = "application/x-ndjson"

// importTypes are the media types an import accepts: the archive, gzipped
// or not.
var importTypes = []string{ContentType, "application/gzip", "application/octet-stream"}

// ServeExport answers GET /api/{res}/export: the archive of every
// resource of k (ScopeResource: file references, not bytes), streamed as
// it is read. A failure after the first bytes are sent can no longer
// change the status: the archive then lacks its end line, and Import
// refuses it as cut short.
func ServeExport(c echo.Context, svc *resource.Service, k *resource.Kind) error {
	w := &lazyWriter{c: c, name: k.Path}
	_, err := Export(c.Request().Context(), svc, w, ExportOptions{Kinds: []*resource.Kind{k}, Scope: ScopeResource})
	if err != nil && !w.started {
		return err
	}
	if err != nil {
		return fmt.Errorf("backup: export of %s stopped after it started: %w", k.Name, err)
	}
	return nil
}

// lazyWriter sends the response headers with the first bytes, so that
// an export refused before (access) is answered with a problem.
type lazyWriter struct {
	c       echo.Context
	name    string
	started bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		h := w.c.Response().Header()
		h.Set(echo.HeaderContentType, ContentType)
		h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": w.name + ".ndjson"}))
		w.c.Response().WriteHeader(http.StatusOK)
	}
	return w.c.Response().Write(p)
}

// ServeImport answers POST /api/{res}/import?on_duplicate=skip|overwrite|fail:
// it imports the archive in the body (plain or gzipped NDJSON) into k in
// one transaction and answers 200 with what it wrote, or a problem and
// nothing written. validate, when set, is the typed decoder of k, which
// every revision written under the current schema version must pass.
// File references are checked against the Service's Files (WithFiles).
func ServeImport(c echo.Context, svc *resource.Service, k *resource.Kind, validate func([]byte) (json.RawMessage, error)) error {
	onDup, err := resource.ParseOnDuplicate(c.QueryParam("on_duplicate"))
	if err != nil {
		return err
	}
	header := c.Request().Header.Get(echo.HeaderContentType)
	media, _, perr := mime.ParseMediaType(header)
	if perr != nil || !slices.Contains(importTypes, media) {
		return resource.Errorf(resource.CodeUnsupportedMedia, "Content-Type %q is not supported; send an archive as %s, application/gzip or application/octet-stream", header, ContentType)
	}
	o := ImportOptions{Kinds: []*resource.Kind{k}, OnDuplicate: onDup, Files: FilesOf(svc)}
	if validate != nil {
		o.Validate = func(_ *resource.Kind, data json.RawMessage) error {
			_, err := validate(data)
			return err
		}
	}
	stats, err := Import(c.Request().Context(), svc, c.Request().Body, o)
	if err != nil {
		return bodyError(err)
	}
	return c.JSON(http.StatusOK, stats)
}

// bodyError turns the errors of reading past the body limit into a 413.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return resource.Errorf(resource.CodePayloadTooLarge, "the archive is larger than the request body limit of %d bytes (SPECSTAR_BODY_LIMIT); raise it, or restore a whole backup with the server binary's restore command", mbe.Limit)
	}
	return err
}
