package server

import (
	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/admin"
)

// adminPath is where the admin UI is served.
const adminPath = "/admin"

// AdminApp is an App with the admin UI (docs/admin.md): its descriptors,
// which generated code declares from the spec and the user's admin file
// customises. Generated apps implement it.
type AdminApp interface {
	App
	Admin() *admin.Site
}

// registerAdmin mounts the admin of an AdminApp at /admin; it reports
// whether it did.
func (s *Server) registerAdmin(e *echo.Echo, app App) (bool, error) {
	aa, ok := app.(AdminApp)
	if !ok {
		return false, nil
	}
	a, err := admin.New(aa.Admin(), s.svc, admin.Options{Auth: s.auth, Logger: s.logger})
	if err != nil {
		return false, err
	}
	a.Register(e.Group(adminPath))
	return true, nil
}
