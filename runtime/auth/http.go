package auth

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/rest"
)

// Register adds the auth routes to g, the /api group (which must run
// Middleware):
//
//	POST   /auth/login       {"email","password"}            200 Tokens
//	POST   /auth/refresh     {"refresh_token"}               200 Tokens (rotated)
//	POST   /auth/logout      {"refresh_token"}               204
//	GET    /auth/me                                          200 User
//	POST   /auth/password    {"old_password","new_password"} 200 Tokens (new session)
//	POST   /auth/tokens      TokenRequest                    201 NewToken
//	GET    /auth/tokens                                      200 {"items":[TokenInfo]}
//	DELETE /auth/tokens/:id                                  204
//
// Errors are problem+json; a 429 carries Retry-After. Responses that
// carry tokens are marked Cache-Control: no-store.
func (a *Auth) Register(g *echo.Group) {
	g.POST("/auth/login", a.handleLogin)
	g.POST("/auth/refresh", a.handleRefresh)
	g.POST("/auth/logout", a.handleLogout)
	g.GET("/auth/me", a.handleMe)
	g.POST("/auth/password", a.handlePassword)
	g.POST("/auth/tokens", a.handleCreateToken)
	g.GET("/auth/tokens", a.handleListTokens)
	g.DELETE("/auth/tokens/:id", a.handleRevokeToken)
}

// fail returns err for the error handler, with Retry-After on a 429.
func fail(c echo.Context, err error) error {
	if d, ok := RetryAfter(err); ok {
		c.Response().Header().Set("Retry-After", strconv.Itoa(retrySeconds(d)))
	}
	return err
}

// sendTokens writes tokens with the headers of RFC 6749 §5.1.
func sendTokens(c echo.Context, status int, v any) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return rest.JSON(c, status, v)
}

func (a *Auth) handleLogin(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := rest.DecodeJSON(c, &body, "email", "password"); err != nil {
		return err
	}
	t, err := a.Login(c.Request().Context(), body.Email, body.Password, c.RealIP())
	if err != nil {
		return fail(c, err)
	}
	return sendTokens(c, http.StatusOK, t)
}

func (a *Auth) handleRefresh(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := rest.DecodeJSON(c, &body, "refresh_token"); err != nil {
		return err
	}
	t, err := a.Refresh(c.Request().Context(), body.RefreshToken)
	if err != nil {
		return fail(c, err)
	}
	return sendTokens(c, http.StatusOK, t)
}

func (a *Auth) handleLogout(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	var body struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := rest.DecodeJSON(c, &body, "refresh_token"); err != nil {
		return err
	}
	if err := a.Logout(c.Request().Context(), body.RefreshToken); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (a *Auth) handleMe(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	if _, err := requireUser(c); err != nil {
		return err
	}
	u, err := a.Me(c.Request().Context())
	if err != nil {
		return err
	}
	return rest.JSON(c, http.StatusOK, u)
}

func (a *Auth) handlePassword(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	if _, err := requireUser(c); err != nil {
		return err
	}
	var body struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if err := rest.DecodeJSON(c, &body, "old_password", "new_password"); err != nil {
		return err
	}
	t, err := a.ChangePassword(c.Request().Context(), body.OldPassword, body.NewPassword, c.RealIP())
	if err != nil {
		return fail(c, err)
	}
	return sendTokens(c, http.StatusOK, t)
}

func (a *Auth) handleCreateToken(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	if _, err := requireUser(c); err != nil {
		return err
	}
	var req TokenRequest
	if err := rest.DecodeJSON(c, &req, "name"); err != nil {
		return err
	}
	t, err := a.CreateToken(c.Request().Context(), req)
	if err != nil {
		return err
	}
	return sendTokens(c, http.StatusCreated, t)
}

func (a *Auth) handleListTokens(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	if _, err := requireUser(c); err != nil {
		return err
	}
	items, err := a.ListTokens(c.Request().Context())
	if err != nil {
		return err
	}
	return rest.Items(c, items)
}

func (a *Auth) handleRevokeToken(c echo.Context) error {
	if err := rest.CheckQuery(c); err != nil {
		return err
	}
	if _, err := requireUser(c); err != nil {
		return err
	}
	id, err := rest.Param(c, "id")
	if err != nil {
		return err
	}
	if err := a.RevokeToken(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
