package admin

import (
	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// view is what a page template gets: the layout's data and one page's.
type view struct {
	Title  string
	Status int
	Error  string // the page's error message (a failed action)
	Notice string // a confirmation ("Post saved")

	// Filled by fillView for the layout.
	Base     string // the mount point, prefix of every link
	CSRF     string
	Site     string
	User     string // the logged-in user's email (or id)
	LoggedIn bool
	Auth     bool // the admin has logins
	Nav      []navItem
	Current  string // the kind of the page, for the navigation

	Login     *loginView
	Dashboard *dashboardView
	List      *listView
	Detail    *detailView
	Form      *formView
	Diff      *diffView
	Confirm   *confirmView
	Password  *passwordView
}

// navItem is one resource in the navigation.
type navItem struct {
	Label, Href, Kind string
}

// fillView sets the layout's data of v.
func (a *Admin) fillView(c echo.Context, v *view) {
	v.Base = cookiePath(c)
	v.CSRF = csrfToken(c)
	v.Site = a.site.Title
	v.Auth = a.auth != nil
	ctx := c.Request().Context()
	p := resource.PrincipalFrom(ctx)
	if !p.IsAnonymous() {
		v.LoggedIn = true
		v.User = p.ID
		if e, ok := p.Claims["email"].(string); ok && e != "" {
			v.User = e
		}
	}
	if v.LoggedIn || a.auth == nil {
		for _, r := range a.site.Resources {
			if a.allowed(ctx, r, resource.ActionList) {
				v.Nav = append(v.Nav, navItem{Label: r.Plural, Href: v.Base + "/" + r.Kind.Path, Kind: r.Kind.Name})
			}
		}
	}
}
