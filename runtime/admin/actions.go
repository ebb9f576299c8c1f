package admin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// registerResource mounts the pages of r under /{path}.
func (a *Admin) registerResource(g *echo.Group, r *Resource) {
	p := "/" + r.Kind.Path
	g.GET(p, a.list(r))
	g.GET(p+"/choices", a.choices(r))
	if r.Decode != nil {
		g.GET(p+"/new", a.newForm(r))
		g.POST(p+"/new", a.create(r))
		g.GET(p+"/:id/edit", a.editForm(r))
		g.POST(p+"/:id/edit", a.update(r))
		g.POST(p+"/bulk", a.bulk(r))
		g.POST(p+"/:id/delete", a.action(r, resource.ActionDelete))
		g.POST(p+"/:id/switch", a.action(r, resource.ActionSwitch))
	}
	g.POST(p+"/:id/restore", a.action(r, resource.ActionRestore))
	g.POST(p+"/:id/purge", a.action(r, resource.ActionPurge))
	g.GET(p+"/:id", a.detail(r))
	g.GET(p+"/:id/diff", a.diff(r))
	if len(r.Kind.Files) > 0 {
		g.GET(p+"/:id/files/:field", a.download(r))
		g.GET(p+"/:id/files/:field/:n", a.download(r))
	}
	if a.isUsers(r) {
		a.registerUsers(g, r)
	}
	if r.Job {
		g.POST(p+"/:id/rerun", a.jobControl(r, true))
		g.POST(p+"/:id/cancel", a.jobControl(r, false))
	}
}

// confirmView asks before an action that deletes or rewinds.
type confirmView struct {
	Question string
	Items    []string
	Action   string
	Fields   map[string][]string // hidden inputs to send again
	Button   string
	Danger   bool
	Back     string
}

// action runs delete, restore, purge or switch on one resource after a
// confirmation page (the first POST asks, the one with confirm=yes acts).
func (a *Admin) action(r *Resource, act resource.Action) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		id := c.Param("id")
		href := base + "/" + r.Kind.Path + "/" + url.PathEscape(id)
		env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{IncludeDeleted: true})
		if err != nil {
			return a.fail(c, err)
		}
		rev := c.FormValue("rev")
		if c.FormValue("confirm") != "yes" {
			cv := &confirmView{Action: href + "/" + string(act), Back: href, Fields: map[string][]string{"etag": {resource.ETag(&env.RevisionInfo)}}}
			title := r.title(env)
			switch act {
			case resource.ActionDelete:
				cv.Question, cv.Button, cv.Danger = "Delete "+strings.ToLower(r.Label)+" “"+title+"”? It can be restored later.", "Delete", true
			case resource.ActionRestore:
				cv.Question, cv.Button = "Restore "+strings.ToLower(r.Label)+" “"+title+"”?", "Restore"
			case resource.ActionPurge:
				cv.Question, cv.Button, cv.Danger = "Delete "+strings.ToLower(r.Label)+" “"+title+"” permanently, with all its revisions? This cannot be undone.", "Delete permanently", true
			case resource.ActionSwitch:
				cv.Question, cv.Button = "Make revision #"+rev+" of “"+title+"” the current one? Its data becomes the current data; no revision is removed.", "Switch to #"+rev
				cv.Fields["rev"] = []string{rev}
			}
			return a.render(c, http.StatusOK, "confirm", &view{Title: "Confirm", Current: r.Kind.Name, Confirm: cv})
		}
		opts := resource.WriteOptions{IfMatch: c.FormValue("etag")}
		done := href
		switch act {
		case resource.ActionDelete:
			_, err = a.svc.Delete(ctx, r.Kind, id, opts)
			done = base + "/" + r.Kind.Path + "?done=deleted&n=1"
		case resource.ActionRestore:
			_, err = a.svc.Restore(ctx, r.Kind, id, opts)
			done = href + "?done=restored&n=1"
		case resource.ActionPurge:
			err = a.svc.Purge(ctx, r.Kind, id, opts)
			done = base + "/" + r.Kind.Path + "?done=purged"
		case resource.ActionSwitch:
			_, err = a.svc.Switch(ctx, r.Kind, id, rev, opts)
			done = href + "?done=switched&rev=" + url.QueryEscape(rev)
		}
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect(http.StatusSeeOther, done)
	}
}

// maxBulk bounds the resources one bulk action takes.
const maxBulk = 200

// bulk deletes or restores the checked resources of a list, after a
// confirmation page naming them.
func (a *Admin) bulk(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		form, err := c.FormParams()
		if err != nil {
			return a.fail(c, err)
		}
		ids := form["id"]
		act := resource.Action(form.Get("action"))
		if act != resource.ActionDelete && act != resource.ActionRestore {
			return a.fail(c, resource.Errorf(resource.CodeBadRequest, "choose delete or restore"))
		}
		listHref := base + "/" + r.Kind.Path
		if len(ids) == 0 {
			return a.fail(c, resource.Errorf(resource.CodeBadRequest, "check the %s to %s first", strings.ToLower(r.Plural), act))
		}
		if len(ids) > maxBulk {
			return a.fail(c, resource.Errorf(resource.CodeBadRequest, "at most %d %s at once", maxBulk, strings.ToLower(r.Plural)))
		}
		if form.Get("confirm") != "yes" {
			cv := &confirmView{Action: listHref + "/bulk", Back: listHref, Fields: map[string][]string{"id": ids, "action": {string(act)}}}
			for _, id := range ids {
				title := id
				if env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{IncludeDeleted: true}); err == nil {
					title = r.title(env)
				}
				cv.Items = append(cv.Items, title)
			}
			n := strconv.Itoa(len(ids)) + " " + strings.ToLower(r.Plural)
			if len(ids) == 1 {
				n = "1 " + strings.ToLower(r.Label)
			}
			if act == resource.ActionDelete {
				cv.Question, cv.Button, cv.Danger = "Delete "+n+"? They can be restored later.", "Delete "+n, true
			} else {
				cv.Question, cv.Button = "Restore "+n+"?", "Restore "+n
			}
			return a.render(c, http.StatusOK, "confirm", &view{Title: "Confirm", Current: r.Kind.Name, Confirm: cv})
		}
		done := 0
		for _, id := range ids {
			if act == resource.ActionDelete {
				_, err = a.svc.Delete(ctx, r.Kind, id, resource.WriteOptions{})
			} else {
				_, err = a.svc.Restore(ctx, r.Kind, id, resource.WriteOptions{})
			}
			if err != nil {
				_, msg := a.describe(c, err)
				return a.render(c, http.StatusConflict, "error", &view{Title: "Not all done", Status: http.StatusConflict,
					Error: strconv.Itoa(done) + " of " + strconv.Itoa(len(ids)) + " done; then " + id + ": " + msg})
			}
			done++
		}
		verb := "deleted"
		if act == resource.ActionRestore {
			verb = "restored"
		}
		return c.Redirect(http.StatusSeeOther, listHref+"?done="+verb+"&n="+strconv.Itoa(done))
	}
}

// choice is one option of a ref picker.
type choice struct{ ID, Label string }

// maxChoices bounds the options of a ref picker; choiceScan the
// resources read to find them when the display field is not indexed.
const (
	maxChoices = 20
	choiceScan = 500
)

// choices answers the type-ahead of ref pickers: the resources of r
// whose display field contains q, as <option>s of a datalist. An option's
// value is the display value the input shows (with the id after " · "
// when two options would read the same); data-id is the id the page's
// script puts in the picker's hidden input, and the server finds the id
// from the value without the script (resolveRefs).
func (a *Admin) choices(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		// The picker's htmx request sends its input under the field's
		// name and names the field in "field"; a plain request sends q.
		q := strings.TrimSpace(c.QueryParam("q"))
		if f := c.QueryParam("field"); q == "" && f != "" {
			q = strings.TrimSpace(c.QueryParam(f))
		}
		out, err := a.search(ctx, r, q, false, maxChoices)
		if err != nil {
			return a.fail(c, err)
		}
		seen := map[string]int{}
		for _, ch := range out {
			seen[ch.Label]++
		}
		var b strings.Builder
		for _, ch := range out {
			value := ch.Label
			if seen[ch.Label] > 1 || ch.Label == ch.ID {
				value = ch.Label + idSeparator + ch.ID
			}
			if ch.Label == ch.ID {
				value = ch.ID
			}
			b.WriteString(`<option value="`)
			b.WriteString(htmlEscape(value))
			b.WriteString(`" data-id="`)
			b.WriteString(htmlEscape(ch.ID))
			b.WriteString(`">`)
			b.WriteString(htmlEscape(ch.ID))
			b.WriteString("</option>\n")
		}
		return c.HTML(http.StatusOK, b.String())
	}
}

// idSeparator separates a display value from the id in a picker's
// option that needs both.
const idSeparator = " · "

// search returns up to limit resources of r whose display field contains
// q (equals it, case aside, when exact), read as the caller. An indexed
// display field is filtered by the Service; another one is matched over
// the first choiceScan resources.
func (a *Admin) search(ctx context.Context, r *Resource, q string, exact bool, limit int) ([]choice, error) {
	lq := resource.ListQuery{Limit: limit}
	display := r.Field(r.Display)
	scan := false
	if q != "" && display != nil {
		if display.Indexed && !exact {
			lq.Filter = r.Display + " ~ " + quote(q)
		} else {
			lq.Limit, scan = choiceScan, true
		}
	}
	page, err := a.svc.List(ctx, r.Kind, lq)
	if err != nil {
		return nil, err
	}
	var out []choice
	lower := strings.ToLower(q)
	for _, env := range page.Items {
		label := r.title(env)
		l := strings.ToLower(label)
		if scan && (exact && l != lower || !exact && !strings.Contains(l, lower)) {
			continue
		}
		out = append(out, choice{ID: env.Meta.ResourceID, Label: label})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
