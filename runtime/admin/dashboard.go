package admin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// dashboardView is the front page: counts, recent changes, jobs that
// need attention.
type dashboardView struct {
	Counts  []countItem
	Changes []changeItem
	Jobs    []changeItem // failed and running jobs
}

type countItem struct {
	Label, Href string
	Count       int
	Description string
}

// changeItem is one recently changed resource.
type changeItem struct {
	Kind, Title, Href string
	What              string // created, updated (revision n), deleted; a job's status
	Who               string
	When              cell
}

// recentPerKind bounds the changes read per kind; the dashboard shows
// the newest recentShown of all kinds.
const (
	recentPerKind = 10
	recentShown   = 15
)

func (a *Admin) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	base := cookiePath(c)
	d := &dashboardView{}
	var changes []*changed
	for _, r := range a.site.Resources {
		if !a.allowed(ctx, r, resource.ActionList) {
			continue
		}
		n, err := a.svc.Count(ctx, r.Kind, resource.ListQuery{})
		if err != nil {
			return a.fail(c, err)
		}
		d.Counts = append(d.Counts, countItem{Label: r.Plural, Href: base + "/" + r.Kind.Path, Count: n, Description: r.Description})
		page, err := a.svc.List(ctx, r.Kind, resource.ListQuery{Sort: "-updated_time", Limit: recentPerKind, IncludeDeleted: true})
		if err != nil {
			return a.fail(c, err)
		}
		for _, env := range page.Items {
			changes = append(changes, &changed{r: r, env: env})
		}
		if r.Job {
			for _, status := range []string{"failed", "processing"} {
				page, err := a.svc.List(ctx, r.Kind, resource.ListQuery{Filter: `status = "` + status + `"`, Sort: "-updated_time", Limit: recentPerKind})
				if err != nil {
					return a.fail(c, err)
				}
				for _, env := range page.Items {
					item := a.change(ctx, base, &changed{r: r, env: env}, nil)
					item.What = status
					d.Jobs = append(d.Jobs, item)
				}
			}
		}
	}
	slices.SortFunc(changes, func(x, y *changed) int {
		return y.env.Meta.UpdatedTime.Compare(x.env.Meta.UpdatedTime)
	})
	if len(changes) > recentShown {
		changes = changes[:recentShown]
	}
	who := a.userNames(ctx, changes)
	for _, ch := range changes {
		d.Changes = append(d.Changes, a.change(ctx, base, ch, who))
	}
	return a.render(c, http.StatusOK, "dashboard", &view{Title: "Dashboard", Dashboard: d})
}

type changed struct {
	r   *Resource
	env *resource.Envelope
}

// change describes one changed resource.
func (a *Admin) change(ctx context.Context, base string, ch *changed, who map[string]string) changeItem {
	m := ch.env.Meta
	what := "updated (revision " + itoa(ch.env.RevisionInfo.Number) + ")"
	switch {
	case m.IsDeleted:
		what = "deleted"
	case m.TotalRevisionCount == 1 && m.CreatedTime.Equal(m.UpdatedTime):
		what = "created"
	}
	name := m.UpdatedBy
	if n, ok := who[name]; ok {
		name = n
	}
	return changeItem{
		Kind:  ch.r.Label,
		Title: ch.r.title(ch.env),
		Href:  base + "/" + ch.r.Kind.Path + "/" + url.PathEscape(m.ResourceID),
		What:  what,
		Who:   name,
		When:  formatTime(m.UpdatedTime),
	}
}

// userNames maps the user ids among changes' authors to their emails,
// when the site has the User resource and the caller may read it.
func (a *Admin) userNames(ctx context.Context, changes []*changed) map[string]string {
	out := map[string]string{}
	// The caller knows their own email, whatever they may read.
	if p := resource.PrincipalFrom(ctx); !p.IsAnonymous() {
		if e, ok := p.Claims["email"].(string); ok && e != "" {
			out[p.ID] = e
		}
	}
	users := a.site.Resource("User")
	if users == nil || !a.allowed(ctx, users, resource.ActionRead) {
		return out
	}
	var ids []string
	for _, ch := range changes {
		if !slices.Contains(ids, ch.env.Meta.UpdatedBy) {
			ids = append(ids, ch.env.Meta.UpdatedBy)
		}
	}
	envs, err := a.svc.GetMany(ctx, users.Kind, ids)
	if err != nil {
		return out
	}
	for id, env := range envs {
		if e, ok := decodeData(env.Data)["email"].(string); ok {
			out[id] = e
		}
	}
	return out
}

func itoa(n int) string { return strconv.Itoa(n) }
