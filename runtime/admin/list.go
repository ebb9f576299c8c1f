package admin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// listView is a resource's list page.
type listView struct {
	Resource *Resource
	Href     string // the list's path
	Columns  []column
	Rows     []row
	Total    int
	Shown    int

	Filters     []*filterInput // the builder: one per indexed field
	Filter      string         // the raw filter box
	FilterError *filterError
	Sort        string
	Limit       int
	Limits      []int
	Deleted     string // "", "include" or "only"
	NextHref    string // the next page; "" on the last
	FirstHref   string // the first page, when not on it
	Example     string // an expression over the resource's fields, the filter box's placeholder
	CanCreate   bool
	CanDelete   bool
	CanRestore  bool
}

// column is one column of a list.
type column struct {
	Name, Label string
	SortHref    string // "" when the column cannot be sorted
	Sorted      string // "ascending", "descending" or ""
}

// row is one resource of a list.
type row struct {
	ID, Href, Title string
	Cells           []cell
	Deleted         bool
}

// filterError is a problem of the raw filter, at a position of it.
type filterError struct {
	Message string
	Pos     int    // 1-based, 0 when unknown
	Before  string // the filter up to the position
	After   string // from the position on
}

// filterInput is one field of the filter builder.
type filterInput struct {
	Name, Label string
	Kind        string // "text" (contains), "exact" (equals), "select", "bool", "range"
	InputType   string // the input's type: text, number, date, datetime-local, email, url
	Value       string
	Min, Max    string
	Options     []string
	Step        string
}

// pageSizes are the page sizes the list offers; the first is the default.
var pageSizes = []int{20, 50, 100, 200}

// metaLabels are the column labels of the meta fields.
var metaLabels = map[string]string{
	"resource_id":  "ID",
	"created_time": "Created",
	"created_by":   "Created by",
	"updated_time": "Updated",
	"updated_by":   "Updated by",
}

func (a *Admin) list(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		q := c.QueryParams()
		lv := &listView{
			Resource: r,
			Href:     base + "/" + r.Kind.Path,
			Filter:   q.Get("filter"),
			Sort:     q.Get("sort"),
			Limits:   pageSizes,
			Limit:    pageSizes[0],
			Deleted:  q.Get("deleted"),
		}
		if n, err := strconv.Atoi(q.Get("limit")); err == nil && n >= 1 && n <= 1000 {
			lv.Limit = n
		}
		built, filters := a.builtFilter(r, q)
		lv.Filters = filters
		lv.Example = filterExample(r)
		expr := lv.Filter
		offset := 0
		if built != "" {
			if expr != "" {
				expr = "(" + expr + ") && " + built
				offset = 1
			} else {
				expr = built
			}
		}
		lq := resource.ListQuery{
			Filter: expr,
			Sort:   lv.Sort,
			Limit:  lv.Limit,
			Cursor: q.Get("cursor"),
			Count:  true,
		}
		switch lv.Deleted {
		case "include":
			lq.IncludeDeleted = true
		case "only":
			lq.OnlyDeleted = true
		default:
			lv.Deleted = ""
		}
		page, err := a.svc.List(ctx, r.Kind, lq)
		if err != nil {
			fe := asFilterError(err, lv.Filter, offset)
			if fe == nil {
				return a.fail(c, err)
			}
			lv.FilterError = fe
			page = &resource.Page{}
		}
		if page.Total != nil {
			lv.Total = *page.Total
		}
		a.fillColumns(c, r, lv, q)
		rows := make([]map[string]any, len(page.Items))
		for i, env := range page.Items {
			rows[i] = decodeData(env.Data)
		}
		labels := a.labelRefs(ctx, r, rows)
		for i, env := range page.Items {
			rw := row{
				ID:      env.Meta.ResourceID,
				Href:    lv.Href + "/" + url.PathEscape(env.Meta.ResourceID),
				Title:   r.titleOf(env, rows[i]),
				Deleted: env.Meta.IsDeleted,
			}
			for _, col := range lv.Columns {
				rw.Cells = append(rw.Cells, a.columnCell(base, r, col.Name, env, rows[i], labels))
			}
			lv.Rows = append(lv.Rows, rw)
		}
		lv.Shown = len(lv.Rows)
		if page.NextCursor != nil {
			next := cloneValues(q)
			next.Set("cursor", *page.NextCursor)
			lv.NextHref = lv.Href + "?" + next.Encode()
		}
		if q.Get("cursor") != "" {
			first := cloneValues(q)
			first.Del("cursor")
			lv.FirstHref = lv.Href + "?" + first.Encode()
		}
		lv.CanCreate = r.Decode != nil && a.allowed(ctx, r, resource.ActionCreate)
		lv.CanDelete = r.Decode != nil && a.allowed(ctx, r, resource.ActionDelete)
		lv.CanRestore = lv.CanDelete && lv.Deleted != "" && a.allowed(ctx, r, resource.ActionRestore)
		v := &view{Title: r.Plural, Current: r.Kind.Name, List: lv}
		v.Notice = doneNotice(r, q)
		return a.render(c, http.StatusOK, "list", v)
	}
}

// fillColumns sets the list's columns and their sort links.
func (a *Admin) fillColumns(c echo.Context, r *Resource, lv *listView, q url.Values) {
	ctx := c.Request().Context()
	for _, name := range r.Columns {
		col := column{Name: name, Label: metaLabels[name]}
		sortable := isMetaColumn(name)
		if f := r.Field(name); f != nil {
			if !fieldReadable(ctx, r, name) {
				continue
			}
			col.Label = f.Label
			sortable = f.Indexed && f.Type != "list"
		}
		if sortable {
			dir := ""
			switch lv.Sort {
			case name:
				col.Sorted, dir = "ascending", "-"
			case "-" + name:
				col.Sorted = "descending"
			}
			s := cloneValues(q)
			s.Set("sort", dir+name)
			s.Del("cursor")
			col.SortHref = lv.Href + "?" + s.Encode()
		}
		lv.Columns = append(lv.Columns, col)
	}
}

// columnCell returns the value of column name of env.
func (a *Admin) columnCell(base string, r *Resource, name string, env *resource.Envelope, data map[string]any, labels refLabels) cell {
	switch name {
	case "resource_id":
		return cell{Text: env.Meta.ResourceID, Mono: true}
	case "created_time":
		return formatTime(env.Meta.CreatedTime)
	case "updated_time":
		return formatTime(env.Meta.UpdatedTime)
	case "created_by":
		return cell{Text: env.Meta.CreatedBy, Mono: true}
	case "updated_by":
		return cell{Text: env.Meta.UpdatedBy, Mono: true}
	}
	f := r.Field(name)
	c := a.display(f, data[name], labels)
	if c.Href != "" && f.Type != "url" {
		c.Href = base + c.Href
	}
	return c
}

// builtFilter returns the filter expression of the builder's inputs in q
// and the builder's inputs with their values.
// filterExample writes an expression over up to two indexed fields of r,
// as the raw filter box's example: `status = "draft" && views >= 10`.
func filterExample(r *Resource) string {
	var terms []string
	for _, f := range r.Fields {
		if !f.Indexed || len(terms) == 2 {
			continue
		}
		switch f.Type {
		case "enum":
			if len(f.Values) > 0 {
				terms = append(terms, f.Name+" = "+quote(f.Values[0]))
			}
		case "string", "email", "text":
			terms = append(terms, f.Name+` ~ "a"`)
		case "int", "float":
			terms = append(terms, f.Name+" >= 10")
		case "bool":
			terms = append(terms, f.Name+" = true")
		case "datetime":
			terms = append(terms, f.Name+` >= "2025-01-01T00:00:00Z"`)
		case "date":
			terms = append(terms, f.Name+` >= "2025-01-01"`)
		}
	}
	if len(terms) == 0 {
		return `updated_time >= "2025-01-01T00:00:00Z"`
	}
	return strings.Join(terms, " && ")
}

func (a *Admin) builtFilter(r *Resource, q url.Values) (string, []*filterInput) {
	var terms []string
	var inputs []*filterInput
	loc := newFormReader(q).loc
	var walk func(fields []*Field, prefix, labelPrefix string)
	walk = func(fields []*Field, prefix, labelPrefix string) {
		for _, f := range fields {
			path := prefix + f.Name
			if f.Type == "object" {
				walk(f.Fields, path+".", labelPrefix+f.Label+" › ")
				continue
			}
			if !f.Indexed {
				continue
			}
			in := &filterInput{Name: "f." + path, Label: labelPrefix + f.Label, InputType: "text"}
			t := f.Type
			values := f.Values
			if t == "list" && f.Elem != nil {
				t, values = f.Elem.Type, f.Elem.Values
			}
			switch t {
			case "enum":
				in.Kind, in.Options = "select", values
			case "bool":
				in.Kind, in.Options = "bool", []string{"true", "false"}
			case "int", "float", "date", "datetime":
				in.Kind, in.InputType = "range", map[string]string{"int": "number", "float": "number", "date": "date", "datetime": "datetime-local"}[t]
				if t == "float" {
					in.Step = "any"
				}
			case "string", "text":
				in.Kind = "text"
			default: // email, url, uuid, ref
				in.Kind = "exact"
			}
			if f.Type == "list" && in.Kind == "range" {
				continue // ordering does not apply to lists
			}
			in.Value = strings.TrimSpace(q.Get(in.Name))
			in.Min = strings.TrimSpace(q.Get(in.Name + ".min"))
			in.Max = strings.TrimSpace(q.Get(in.Name + ".max"))
			inputs = append(inputs, in)
			switch in.Kind {
			case "range":
				for _, b := range []struct{ v, op string }{{in.Min, ">="}, {in.Max, "<="}} {
					if b.v == "" {
						continue
					}
					lit := b.v
					switch t {
					case "date":
						lit = quote(b.v)
					case "datetime":
						tm, err := parseLocal(b.v, loc)
						if err != nil {
							continue
						}
						lit = quote(tm.UTC().Format(time.RFC3339))
					default:
						if _, err := strconv.ParseFloat(b.v, 64); err != nil {
							continue
						}
					}
					terms = append(terms, path+" "+b.op+" "+lit)
				}
			case "bool":
				if in.Value == "true" || in.Value == "false" {
					terms = append(terms, path+" = "+in.Value)
				}
			case "text":
				if in.Value != "" {
					terms = append(terms, path+" ~ "+quote(in.Value))
				}
			default:
				if in.Value != "" {
					terms = append(terms, path+" = "+quote(in.Value))
				}
			}
		}
	}
	walk(r.Fields, "", "")
	return strings.Join(terms, " && "), inputs
}

// quote writes s as a string literal of the filter language (JSON's).
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// positionRE finds the position in the Service's filter messages.
var positionRE = regexp.MustCompile(`^position (\d+): (.*)$`)

// asFilterError turns the Service's 400 about the filter into the
// problem shown under the raw filter box, its position shifted back by
// offset (the parenthesis added around the raw filter); nil for other
// errors.
func asFilterError(err error, raw string, offset int) *filterError {
	var re *resource.Error
	if !errors.As(err, &re) || re.Code != resource.CodeBadRequest {
		return nil
	}
	fe := &filterError{Message: re.Detail}
	for _, f := range re.Fields {
		if f.Field != "filter" && f.Field != "sort" {
			continue
		}
		m := positionRE.FindStringSubmatch(f.Message)
		if m == nil {
			break
		}
		pos, _ := strconv.Atoi(m[1])
		pos -= offset
		fe.Message = m[2]
		if f.Field == "filter" && pos >= 1 && pos <= len(raw)+1 {
			fe.Pos = pos
			fe.Before, fe.After = raw[:pos-1], raw[pos-1:]
			fe.Message = "at position " + strconv.Itoa(pos) + ": " + m[2]
		} else if f.Field == "sort" {
			fe.Message = "sort: " + m[2]
		}
		break
	}
	return fe
}

// cloneValues copies v.
func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// doneNotice is the confirmation of the action a redirect names (done=
// and n=).
func doneNotice(r *Resource, q url.Values) string {
	n, _ := strconv.Atoi(q.Get("n"))
	what := r.Label
	if n != 1 {
		what = strconv.Itoa(n) + " " + strings.ToLower(r.Plural)
	}
	switch q.Get("done") {
	case "created":
		return r.Label + " created."
	case "saved":
		return r.Label + " saved."
	case "deleted":
		return what + " deleted."
	case "restored":
		return what + " restored."
	case "purged":
		return r.Label + " deleted permanently, with its history."
	case "switched":
		return "Switched to revision " + q.Get("rev") + "."
	case "rerun":
		return "The job will run again."
	case "cancelled":
		return "The job was cancelled."
	case "password":
		return "The password was changed. The user's sessions and access tokens were ended."
	case "disabled":
		return "The account was disabled: the user is logged out everywhere and cannot log in."
	case "enabled":
		return "The account was enabled: the user can log in again."
	}
	return ""
}
