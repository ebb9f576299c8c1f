package admin

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth"
	"github.com/specstar-go/specstar/runtime/resource"
)

// loginView is the login form.
type loginView struct {
	Email string
	Next  string
}

// safeNext keeps a post-login destination inside the admin.
func safeNext(c echo.Context, next string) string {
	base := cookiePath(c)
	if next == "" || !strings.HasPrefix(next, base) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return base + "/"
	}
	return next
}

func (a *Admin) loginPage(c echo.Context) error {
	if a.sessions == nil {
		return c.Redirect(http.StatusSeeOther, cookiePath(c)+"/")
	}
	if p := a.sessions.principal(c); p != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c, c.QueryParam("next")))
	}
	return a.render(c, http.StatusOK, "login", &view{Title: "Log in", Login: &loginView{Next: c.QueryParam("next")}})
}

func (a *Admin) login(c echo.Context) error {
	if a.sessions == nil {
		return c.Redirect(http.StatusSeeOther, cookiePath(c)+"/")
	}
	email, password := strings.TrimSpace(c.FormValue("email")), c.FormValue("password")
	lv := &loginView{Email: email, Next: c.FormValue("next")}
	if email == "" || password == "" {
		return a.render(c, http.StatusUnprocessableEntity, "login", &view{Title: "Log in", Error: "Enter your email and your password.", Login: lv})
	}
	t, err := a.auth.Login(c.Request().Context(), email, password, c.RealIP())
	if err != nil {
		status, msg := a.describe(c, err)
		if d, ok := auth.RetryAfter(err); ok {
			c.Response().Header().Set("Retry-After", d.String())
		}
		return a.render(c, status, "login", &view{Title: "Log in", Error: msg, Login: lv})
	}
	setTokens(c, t)
	return c.Redirect(http.StatusSeeOther, safeNext(c, lv.Next))
}

// logout ends the login (auth revokes its refresh token) and clears the
// cookies.
func (a *Admin) logout(c echo.Context) error {
	if a.sessions != nil {
		if ck, err := c.Cookie(refreshCookie); err == nil && ck.Value != "" {
			if err := a.auth.Logout(c.Request().Context(), ck.Value); err != nil && resource.CodeOf(err) == resource.CodeInternal {
				return a.fail(c, err)
			}
		}
	}
	clearCookie(c, accessCookie)
	clearCookie(c, refreshCookie)
	return c.Redirect(http.StatusSeeOther, cookiePath(c)+"/login")
}
