package baseline

import (
	"net/http/httptest"

	"github.com/labstack/echo/v4"
)

// echoContext returns an echo context writing to rec, for rendering a
// response with the runtime's helpers.
func echoContext(rec *httptest.ResponseRecorder) echo.Context {
	e := echo.New()
	return e.NewContext(httptest.NewRequest("GET", "/", nil), rec)
}
