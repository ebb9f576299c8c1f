package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/jsonpatch"
	"github.com/specstar-go/specstar/runtime/resource"
)

// detailView is one resource's page.
type detailView struct {
	Resource  *Resource
	ID, Title string
	Href      string // the resource's page
	ListHref  string
	ETag      string
	Meta      resource.Meta
	Info      resource.RevisionInfo
	Created   cell
	Updated   cell
	// CreatedBy and UpdatedBy name the authors: emails where the caller
	// may read them, else ids.
	CreatedBy, UpdatedBy string
	Viewing              string // the revision shown when it is not the current one
	Data                 []dataRow
	Referrers            []referrerGroup
	Timeline             []*revNode // roots of the revision tree
	Revisions            []revOption
	Draft                bool

	CanEdit, CanDelete, CanRestore, CanPurge, CanSwitch bool
	Job                                                 *jobView
	User                                                *userView
}

// dataRow is one field of the data, nested fields indented.
type dataRow struct {
	Path  string // the field's dotted path
	Label string
	Depth int
	Value cell
	Group bool // an object's heading
}

// referrerGroup is who points at the resource through one field.
type referrerGroup struct {
	Label string // "Comments (post)"
	Items []link
	More  int
}

type link struct{ Text, Href string }

// revNode is a revision in the timeline tree; Children branch from it.
type revNode struct {
	Number   int
	ID       string
	Status   string
	Who      string
	When     cell
	Current  bool
	ViewHref string
	DiffHref string // against its parent
	children []*revNode
	// Branches are the lines that start at this revision besides the
	// one that continues after it (a switch back here, then a write).
	Branches        [][]*revNode
	ParentNumber    int
	SwitchAvailable bool
}

// revOption is a revision in the diff form's selects.
type revOption struct {
	Number int
	Label  string // "#3 · 2026-01-02 10:00:00 UTC", which the script shows in the browser's zone
	Time   string // RFC 3339
}

// maxReferrersShown bounds the referrers listed per field.
const maxReferrersShown = 20

func (a *Admin) detail(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		id := c.Param("id")
		rev := c.QueryParam("revision")
		env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{IncludeDeleted: true})
		if err != nil {
			return a.fail(c, err)
		}
		shown := env
		if rev != "" && rev != strconv.Itoa(env.RevisionInfo.Number) && rev != env.RevisionInfo.RevisionID {
			rv, err := a.svc.Revision(ctx, r.Kind, id, rev, resource.RevisionOptions{IncludeDeleted: true})
			if err != nil {
				return a.fail(c, err)
			}
			shown = &resource.Envelope{Data: rv.Data, Meta: env.Meta, RevisionInfo: rv.Info}
		}
		href := base + "/" + r.Kind.Path + "/" + url.PathEscape(id)
		d := &detailView{
			Resource: r,
			ID:       id,
			Title:    r.title(env),
			Href:     href,
			ListHref: base + "/" + r.Kind.Path,
			ETag:     resource.ETag(&env.RevisionInfo),
			Meta:     env.Meta,
			Info:     shown.RevisionInfo,
			Created:  formatTime(env.Meta.CreatedTime),
			Updated:  formatTime(env.Meta.UpdatedTime),
			Draft:    env.RevisionInfo.Status == resource.StatusDraft,
		}
		who := a.userNames(ctx, []*changed{{r: r, env: env}, {r: r, env: &resource.Envelope{Meta: resource.Meta{UpdatedBy: env.Meta.CreatedBy}}}})
		d.CreatedBy, d.UpdatedBy = nameOf(who, env.Meta.CreatedBy), nameOf(who, env.Meta.UpdatedBy)
		if shown != env {
			d.Viewing = strconv.Itoa(shown.RevisionInfo.Number)
		}
		data := decodeData(shown.Data)
		labels := a.labelRefs(ctx, r, []map[string]any{data})
		d.Data = a.dataRows(ctx, base, r, r.Fields, data, labels, 0, "")
		fileCells(d.Data, r, data, href, d.Viewing)
		live := !env.Meta.IsDeleted
		editable := r.Decode != nil
		d.CanEdit = live && editable && a.allowedOn(ctx, r, resource.ActionUpdate, env)
		d.CanDelete = live && editable && a.allowedOn(ctx, r, resource.ActionDelete, env)
		d.CanRestore = !live && a.allowedOn(ctx, r, resource.ActionRestore, env)
		d.CanPurge = a.allowedOn(ctx, r, resource.ActionPurge, env)
		d.CanSwitch = live && editable && a.allowedOn(ctx, r, resource.ActionSwitch, env)
		if live {
			if d.Referrers, err = a.referrers(ctx, base, r, id); err != nil {
				return a.fail(c, err)
			}
		}
		if err := a.timeline(ctx, c, r, d, env); err != nil {
			return a.fail(c, err)
		}
		if a.isUsers(r) && live {
			d.User = a.userDetail(c, r, env, d.CanEdit)
		}
		if r.Job {
			if d.Job, err = a.jobDetail(c, r, env); err != nil {
				return a.fail(c, err)
			}
			if d.Job.Running {
				// A job that may still run is not removed under its
				// worker: cancel it first. Its data shows the run under
				// way, not the results of an earlier one (after a rerun).
				d.CanDelete, d.CanPurge = false, false
				if d.Viewing == "" {
					d.Data = slices.DeleteFunc(d.Data, func(row dataRow) bool { return slices.Contains(previousRunFields, row.Path) })
				}
			}
		}
		v := &view{Title: r.Label + ": " + d.Title, Current: r.Kind.Name, Detail: d}
		v.Notice = doneNotice(r, c.QueryParams())
		return a.render(c, http.StatusOK, "detail", v)
	}
}

// dataRows lists the fields of data the caller may see, objects as
// headed groups.
func (a *Admin) dataRows(ctx context.Context, base string, r *Resource, fields []*Field, data map[string]any, labels refLabels, depth int, prefix string) []dataRow {
	top := prefix == ""
	var out []dataRow
	for _, f := range fields {
		if f.WriteOnly || top && !fieldReadable(ctx, r, f.Name) {
			continue
		}
		v := data[f.Name]
		if f.Type == "object" {
			obj, ok := v.(map[string]any)
			if !ok {
				out = append(out, dataRow{Path: prefix + f.Name, Label: f.Label, Depth: depth, Value: cell{Empty: true, Text: "—"}})
				continue
			}
			out = append(out, dataRow{Path: prefix + f.Name, Label: f.Label, Depth: depth, Group: true})
			out = append(out, a.dataRows(ctx, base, r, f.Fields, obj, labels, depth+1, prefix+f.Name+".")...)
			continue
		}
		c := a.display(f, v, labels)
		if c.Href != "" && f.Type != "url" {
			c.Href = base + c.Href
		}
		out = append(out, dataRow{Path: prefix + f.Name, Label: f.Label, Depth: depth, Value: c})
	}
	return out
}

// fileCells shows the file fields of rows as their files, each with its
// download (of the revision shown) and a preview of images.
func fileCells(rows []dataRow, r *Resource, data map[string]any, href, revision string) {
	for i := range rows {
		rule := r.Kind.FileField(rows[i].Path)
		if rule == nil {
			continue
		}
		list := filesOf(data, rows[i].Path)
		if len(list) == 0 {
			continue
		}
		rows[i].Value = cell{Files: fileViews(list, href+"/files/"+rows[i].Path, rule.List, revision)}
	}
}

// referrers lists who points at the resource, with their titles.
func (a *Admin) referrers(ctx context.Context, base string, r *Resource, id string) ([]referrerGroup, error) {
	groups, err := a.svc.Referrers(ctx, r.Kind, id)
	if err != nil {
		return nil, err
	}
	var out []referrerGroup
	for _, g := range groups {
		from := a.site.Resource(g.Resource)
		if from == nil {
			continue
		}
		label := from.Plural + " (" + g.Field + ")"
		if f := from.Field(g.Field); f != nil {
			label = from.Plural + " (" + strings.ToLower(f.Label) + ")"
		}
		rg := referrerGroup{Label: label}
		ids := g.IDs
		if len(ids) > maxReferrersShown {
			rg.More = len(ids) - maxReferrersShown
			ids = ids[:maxReferrersShown]
		}
		envs, err := a.svc.GetMany(ctx, from.Kind, ids)
		if err != nil {
			return nil, err
		}
		for _, rid := range ids {
			text := rid
			if env, ok := envs[rid]; ok {
				text = from.title(env)
			}
			rg.Items = append(rg.Items, link{Text: text, Href: base + "/" + from.Kind.Path + "/" + url.PathEscape(rid)})
		}
		out = append(out, rg)
	}
	return out, nil
}

// maxTimeline bounds the revisions the timeline shows (the newest).
const maxTimeline = 200

// timeline builds the revision tree of the resource: every revision
// under its parent, branches after a switch side by side.
func (a *Admin) timeline(ctx context.Context, c echo.Context, r *Resource, d *detailView, env *resource.Envelope) error {
	page, err := a.svc.Revisions(ctx, r.Kind, d.ID, resource.RevisionQuery{Limit: maxTimeline, IncludeDeleted: true})
	if err != nil {
		return err
	}
	infos := slices.Clone(page.Items)
	slices.SortFunc(infos, func(x, y resource.RevisionInfo) int { return x.Number - y.Number })
	nodes := make(map[string]*revNode, len(infos))
	var roots []*revNode
	var changes []*changed
	for i := range infos {
		changes = append(changes, &changed{env: &resource.Envelope{Meta: resource.Meta{UpdatedBy: infos[i].UpdatedBy}}})
	}
	who := a.userNames(ctx, changes)
	for _, in := range infos {
		name := in.UpdatedBy
		if n, ok := who[name]; ok {
			name = n
		}
		n := &revNode{
			Number:   in.Number,
			ID:       in.RevisionID,
			Status:   in.Status,
			Who:      name,
			When:     formatTime(in.UpdatedTime),
			Current:  in.RevisionID == env.Meta.CurrentRevisionID,
			ViewHref: d.Href + "?revision=" + strconv.Itoa(in.Number),
		}
		n.SwitchAvailable = d.CanSwitch && !n.Current
		nodes[in.RevisionID] = n
		d.Revisions = append(d.Revisions, revOption{Number: in.Number, Label: "#" + strconv.Itoa(in.Number) + " · " + n.When.Text, Time: n.When.Time})
	}
	for _, in := range infos {
		n := nodes[in.RevisionID]
		if in.ParentRevisionID != nil {
			if p, ok := nodes[*in.ParentRevisionID]; ok {
				n.ParentNumber = p.Number
				n.DiffHref = d.Href + "/diff?a=" + strconv.Itoa(p.Number) + "&b=" + strconv.Itoa(n.Number)
				p.children = append(p.children, n)
				continue
			}
		}
		roots = append(roots, n)
	}
	for _, root := range roots {
		d.Timeline = append(d.Timeline, line(root)...)
	}
	slices.Reverse(d.Revisions)
	return nil
}

// line returns the revisions from n on, following each revision's first
// (oldest) child; the other children start the branches of their parent.
func line(n *revNode) []*revNode {
	var out []*revNode
	for n != nil {
		out = append(out, n)
		var next *revNode
		for i, ch := range n.children {
			if i == 0 {
				next = ch
				continue
			}
			n.Branches = append(n.Branches, line(ch))
		}
		n = next
	}
	return out
}

// diffView compares two revisions.
type diffView struct {
	Resource  *Resource
	Title     string
	Href      string
	A, B      int
	Revisions []revOption
	Changes   []diffRow
}

// diffRow is one change between the revisions.
type diffRow struct {
	Op   string // "added", "removed", "changed"
	Path string
	Old  string
	New  string
}

func (a *Admin) diff(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := c.Param("id")
		env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{IncludeDeleted: true})
		if err != nil {
			return a.fail(c, err)
		}
		href := cookiePath(c) + "/" + r.Kind.Path + "/" + url.PathEscape(id)
		dv := &diffView{Resource: r, Title: r.title(env), Href: href}
		dv.A, _ = strconv.Atoi(c.QueryParam("a"))
		dv.B, _ = strconv.Atoi(c.QueryParam("b"))
		if dv.B == 0 {
			dv.B = env.RevisionInfo.Number
		}
		page, err := a.svc.Revisions(ctx, r.Kind, id, resource.RevisionQuery{Limit: maxTimeline, IncludeDeleted: true})
		if err != nil {
			return a.fail(c, err)
		}
		for _, in := range page.Items {
			when := formatTime(in.UpdatedTime)
			dv.Revisions = append(dv.Revisions, revOption{Number: in.Number, Label: "#" + strconv.Itoa(in.Number) + " · " + when.Text, Time: when.Time})
		}
		if dv.A == 0 {
			dv.A = dv.B - 1
		}
		opts := resource.RevisionOptions{IncludeDeleted: true}
		against := ""
		var old map[string]any
		if dv.A > 0 {
			against = strconv.Itoa(dv.A)
			rv, err := a.svc.Revision(ctx, r.Kind, id, against, opts)
			if err != nil {
				return a.fail(c, err)
			}
			old = decodeData(rv.Data)
		}
		ops, err := a.svc.Diff(ctx, r.Kind, id, strconv.Itoa(dv.B), against, opts)
		if err != nil {
			return a.fail(c, err)
		}
		dv.Changes = diffRows(ops, old)
		return a.render(c, http.StatusOK, "diff", &view{Title: "Changes of " + dv.Title, Current: r.Kind.Name, Diff: dv})
	}
}

// diffRows describes a JSON Patch from old for people.
func diffRows(ops []jsonpatch.Operation, old map[string]any) []diffRow {
	var out []diffRow
	for _, op := range ops {
		path := pointerPath(op.Path)
		row := diffRow{Path: path, New: compact(op.Value)}
		if old != nil {
			if v, ok := lookupPointer(old, op.Path); ok {
				b, _ := json.Marshal(v)
				row.Old = string(b)
			}
		}
		switch op.Op {
		case "add":
			row.Op = "added"
			if row.Old != "" {
				row.Op = "changed"
			}
		case "remove":
			row.Op, row.New = "removed", ""
		case "replace":
			row.Op = "changed"
		default:
			row.Op = op.Op
		}
		out = append(out, row)
	}
	return out
}

// pointerPath turns "/address/city" into "address.city" (and "/tags/0"
// into "tags.0").
func pointerPath(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return strings.Join(parts, ".")
}

// lookupPointer returns the value at a JSON Pointer of m.
func lookupPointer(m map[string]any, p string) (any, bool) {
	var cur any = m
	if p == "" {
		return m, true
	}
	for _, s := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[s]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func compact(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// nameOf returns the email of user id in who, else the id.
func nameOf(who map[string]string, id string) string {
	if n, ok := who[id]; ok {
		return n
	}
	return id
}
