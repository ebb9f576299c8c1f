package admin

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth"
	"github.com/specstar-go/specstar/runtime/jobres"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/templates"
)

// Options configure an Admin.
type Options struct {
	// Auth logs operators in; nil for an application without auth, whose
	// admin (like its API) is open to every caller.
	Auth *auth.Auth
	// Logger records failures that pages show only as "something went
	// wrong"; nil discards them.
	Logger *slog.Logger
}

// Admin serves the admin pages of a Site. Every read and write goes
// through the resource.Service as the logged-in user's principal, so the
// permission rules, field rules and hooks apply exactly as they do to the
// REST and GraphQL APIs.
type Admin struct {
	site     *Site
	svc      *resource.Service
	auth     *auth.Auth
	sessions *sessions
	logger   *slog.Logger
	pages    map[string]*template.Template
	assets   fs.FS
	origins  *http.CrossOriginProtection
}

// Context keys of the admin's per-request values.
const (
	baseKey = "admin.base" // the mount point: "/admin"
	csrfKey = "admin.csrf"
)

// New returns the admin of site over svc. It fails when a template does
// not parse or a descriptor is inconsistent (a column or a ref naming
// nothing), so that mistakes show at startup.
func New(site *Site, svc *resource.Service, o Options) (*Admin, error) {
	if err := site.check(); err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	assets, err := fs.Sub(templates.FS, "admin/assets")
	if err != nil {
		return nil, err
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Admin{
		site:    site,
		svc:     svc,
		auth:    o.Auth,
		logger:  logger,
		pages:   pages,
		assets:  assets,
		origins: http.NewCrossOriginProtection(),
	}
	if o.Auth != nil {
		a.sessions = &sessions{auth: o.Auth}
	}
	return a, nil
}

// check reports descriptors that name what does not exist.
func (s *Site) check() error {
	var errs []error
	for _, r := range s.Resources {
		if r.Kind == nil {
			errs = append(errs, fmt.Errorf("admin: resource %q has no kind", r.Label))
			continue
		}
		for _, c := range r.Columns {
			if r.Field(c) == nil && !isMetaColumn(c) {
				errs = append(errs, fmt.Errorf("admin: %s: column %q is not a field", r.Kind.Name, c))
			}
		}
		if r.Display != "" && r.Field(r.Display) == nil {
			errs = append(errs, fmt.Errorf("admin: %s: display field %q is not a field", r.Kind.Name, r.Display))
		}
		for _, f := range r.Fields {
			if f.Ref != "" && s.Resource(f.Ref) == nil {
				errs = append(errs, fmt.Errorf("admin: %s.%s refers to %s, which the admin does not have", r.Kind.Name, f.Name, f.Ref))
			}
		}
	}
	return errors.Join(errs...)
}

// Register mounts the admin on g (the server mounts it at /admin).
func (a *Admin) Register(g *echo.Group) {
	g.Use(a.base(g), a.crossOrigin, a.authenticate)
	g.GET("/assets/*", a.asset)
	g.GET("/login", a.loginPage)
	g.POST("/login", a.login)
	g.POST("/logout", a.logout)
	g.GET("", a.dashboard)
	g.GET("/", a.dashboard)
	for _, r := range a.site.Resources {
		a.registerResource(g, r)
	}
}

// base records the mount point, for links and the cookies' path.
func (a *Admin) base(g *echo.Group) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Path()
			if i := strings.Index(p, "/admin"); i >= 0 {
				c.Set(baseKey, p[:i+len("/admin")])
			} else {
				c.Set(baseKey, "/admin")
			}
			return next(c)
		}
	}
}

// crossOrigin refuses state-changing requests from other sites by their
// Sec-Fetch-Site or Origin header (net/http's CrossOriginProtection),
// then requires the CSRF token of the form.
func (a *Admin) crossOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			return next(c)
		}
		if err := a.origins.Check(req); err != nil {
			return a.fail(c, errCSRF)
		}
		check := checkCSRF
		if isMultipartForm(req) {
			check = checkMultipartCSRF
		}
		if err := check(c); err != nil {
			return a.fail(c, err)
		}
		return next(c)
	}
}

// authenticate puts the logged-in user's principal in the request's
// context and sends everyone else to the login page. Without auth every
// request goes on as the anonymous caller, as the API's do.
func (a *Admin) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.sessions == nil {
			return next(c)
		}
		path := strings.TrimPrefix(c.Path(), cookiePath(c))
		if path == "/login" || strings.HasPrefix(path, "/assets/") {
			return next(c)
		}
		p := a.sessions.principal(c)
		if p == nil {
			if c.Request().Method != http.MethodGet {
				return a.fail(c, resource.Errorf(resource.CodeUnauthenticated, "your login has ended; log in again"))
			}
			return c.Redirect(http.StatusSeeOther, cookiePath(c)+"/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		req := c.Request()
		c.SetRequest(req.WithContext(resource.WithPrincipal(req.Context(), p)))
		return next(c)
	}
}

// asset serves the embedded CSS, JavaScript and their licences.
func (a *Admin) asset(c echo.Context) error {
	name := c.Param("*")
	b, err := fs.ReadFile(a.assets, name)
	if err != nil {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "public, max-age=3600")
	return c.Blob(http.StatusOK, contentType(name), b)
}

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".css"):
		return "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		return "text/javascript; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// queue returns the job queue of the service, nil without jobs.
func (a *Admin) queue() *jobres.Queue { return jobres.From(a.svc) }

// render writes page name with data inside the layout.
func (a *Admin) render(c echo.Context, status int, name string, v *view) error {
	t, ok := a.pages[name]
	if !ok {
		return fmt.Errorf("admin: no page %q", name)
	}
	a.fillView(c, v)
	var buf bytes.Buffer
	tmpl := "layout"
	if c.Request().Header.Get("HX-Request") == "true" && c.Request().Header.Get("HX-Boosted") != "true" && t.Lookup("fragment") != nil {
		tmpl = "fragment"
	}
	if err := t.ExecuteTemplate(&buf, tmpl, v); err != nil {
		return fmt.Errorf("admin: render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	return c.HTMLBlob(status, buf.Bytes())
}

// fail renders an error page for err: its status, and its detail for
// client mistakes; other errors are logged and shown as a 500.
func (a *Admin) fail(c echo.Context, err error) error {
	status, msg := a.describe(c, err)
	return a.render(c, status, "error", &view{Title: http.StatusText(status), Error: msg, Status: status})
}

// describe returns the status and the message of err for a page.
func (a *Admin) describe(c echo.Context, err error) (int, string) {
	var re *resource.Error
	if errors.As(err, &re) {
		return re.HTTPStatus(), re.Error()
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he.Code, fmt.Sprint(he.Message)
	}
	a.logger.ErrorContext(c.Request().Context(), "admin: request failed", "path", c.Request().URL.Path, "error", err)
	return http.StatusInternalServerError, "something went wrong on the server; the error is in its log"
}
