package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// formView is a create or edit form.
type formView struct {
	Resource *Resource
	Action   string // where the form posts
	Cancel   string // back to the list or the resource
	Edit     bool
	ID       string
	ETag     string // the revision the form edits (If-Match)
	Draft    bool   // the current revision is a draft
	// Multipart forms upload files (the resource has file fields).
	Multipart bool
	Fields    []*formField
	// Conflict is set when someone else saved first (412).
	Conflict *conflictView
	// Problems link to the inputs a refused write marked, under the
	// banner that says why it was refused.
	Problems []link
}

// formField is one input of a form (or a fieldset of them).
type formField struct {
	*Field
	Path      string // the input's name: "address.city"
	ID        string // the input's id: "f-address-city"
	InputType string // for Widget text-like inputs: text, email, url, number, date, datetime-local
	Step      string
	Value     string
	Checked   bool
	Error     string
	Disabled  bool   // shown, not editable by this user
	RefHref   string // the choices of a ref picker
	RefLabel  string // the current target's display value
	Children  []*formField
	// Files are a file field's stored files and uploads not saved yet;
	// FileList marks a list of files, Accept the media types it takes
	// and FileHelp says them for people.
	Files    []fileView
	FileList bool
	Accept   string
	FileHelp string
	// Chosen are the values checked in a list of enum values (checkboxes).
	Chosen []string
}

// conflictView explains a 412: who saved what since the form was opened.
type conflictView struct {
	Who     string
	When    cell
	Number  int
	ETag    string // the current revision's, to save over it on purpose
	Changes []diffRow
	Reload  string
}

// formFields builds the inputs of fields from data (the stored or the
// submitted values) and the field errors of a refused write.
func (a *Admin) formFields(ctx context.Context, base string, r *Resource, fields []*Field, prefix string, data map[string]any, errs map[string]string, top bool, labels refLabels) []*formField {
	var out []*formField
	for _, f := range fields {
		if f.ReadOnly {
			continue
		}
		if top && !fieldReadable(ctx, r, f.Name) && !f.WriteOnly {
			continue
		}
		path := prefix + f.Name
		ff := &formField{Field: f, Path: path, ID: "f-" + strings.ReplaceAll(path, ".", "-"), Error: errs[path]}
		ff.Disabled = top && !fieldWritable(ctx, r, f.Name)
		v := data[f.Name]
		switch {
		case isFile(f):
			ff.Field = &Field{}
			*ff.Field = *f
			ff.Widget = WidgetFile // a list of files too: fillFiles sets the rest
		case f.Widget == WidgetFieldset:
			obj, _ := v.(map[string]any)
			ff.Children = a.formFields(ctx, base, r, f.Fields, path+".", obj, errs, false, labels)
			for _, ch := range ff.Children {
				ch.Disabled = ch.Disabled || ff.Disabled
			}
		case f.Widget == WidgetCheckbox:
			b, _ := v.(bool)
			ff.Checked = b
		case f.Type == "list" && f.Elem != nil && len(f.Elem.Values) > 0:
			switch x := v.(type) {
			case []any:
				for _, it := range x {
					if s, ok := it.(string); ok {
						ff.Chosen = append(ff.Chosen, s)
					}
				}
			case string: // submitted: one per line
				ff.Chosen = strings.Fields(x)
			}
		default:
			if s, ok := v.(string); ok && f.Type != "datetime" {
				ff.Value = s
			} else {
				ff.Value = inputValue(f, v)
			}
		}
		ff.InputType = inputType(f)
		if f.Type == "float" {
			ff.Step = "any"
		} else if f.Type == "int" {
			ff.Step = "1"
		}
		if f.Widget == WidgetRef {
			if t := a.site.Resource(f.Ref); t != nil {
				ff.RefHref = base + "/" + t.Kind.Path + "/choices"
				ff.RefLabel = labels[f.Ref+"/"+ff.Value]
			}
		}
		if f.WriteOnly {
			ff.Value = ""
		}
		out = append(out, ff)
	}
	return out
}

// inputType is the HTML input type of a one-line widget.
func inputType(f *Field) string {
	switch f.Widget {
	case WidgetNumber:
		return "number"
	case WidgetDate:
		return "date"
	case WidgetDatetime:
		return "datetime-local"
	case WidgetEmail:
		return "email"
	case WidgetURL:
		return "url"
	}
	if f.WriteOnly {
		return "password"
	}
	return "text"
}

func (a *Admin) newForm(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if err := a.svc.Allow(ctx, r.Kind, resource.ActionCreate); err != nil {
			return a.fail(c, err)
		}
		base := cookiePath(c)
		fv := &formView{
			Resource:  r,
			Action:    base + "/" + r.Kind.Path + "/new",
			Cancel:    base + "/" + r.Kind.Path,
			Multipart: len(r.Kind.Files) > 0,
			Fields:    a.formFields(ctx, base, r, r.Fields, "", defaults(r), nil, true, nil),
		}
		fillFiles(fv.Fields, r, nil, nil, "")
		return a.render(c, http.StatusOK, "form", &view{Title: "New " + strings.ToLower(r.Label), Current: r.Kind.Name, Form: fv})
	}
}

// defaults is empty data: the generated code fills in the defaults when
// the form is saved; the form shows empty inputs for them.
func defaults(*Resource) map[string]any { return map[string]any{} }

func (a *Admin) create(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		sub, err := a.readSubmission(c, r, resource.ActionCreate)
		if err != nil {
			return a.fail(c, err)
		}
		form := sub.form
		fv := &formView{Resource: r, Action: base + "/" + r.Kind.Path + "/new", Cancel: base + "/" + r.Kind.Path, Multipart: len(r.Kind.Files) > 0}
		fr := newFormReader(form)
		fr.errs = append(fr.errs, sub.errs...)
		fr.errs = append(fr.errs, a.resolveRefs(ctx, r.Fields, "", form)...)
		data := fr.object(r.Fields, "", func(f *Field) bool { return !fieldWritable(ctx, r, f.Name) })
		a.setFiles(ctx, r, sub, data, nil)
		opts := resource.WriteOptions{}
		if form.Get("submit") == "draft" {
			opts.Status = resource.StatusDraft
		}
		env, err := a.write(ctx, r, fr, data, func(body json.RawMessage) (*resource.Envelope, error) {
			return a.svc.Create(ctx, r.Kind, body, opts)
		})
		if err != nil {
			return a.refused(c, r, fv, sub, nil, err, "New "+strings.ToLower(r.Label))
		}
		return c.Redirect(http.StatusSeeOther, base+"/"+r.Kind.Path+"/"+url.PathEscape(env.Meta.ResourceID)+"?done=created")
	}
}

// write checks the form's values and the data (the generated Decode:
// strict decoding, defaults, validation) and runs do with the canonical
// data.
func (a *Admin) write(ctx context.Context, r *Resource, fr *formReader, data map[string]any, do func(json.RawMessage) (*resource.Envelope, error)) (*resource.Envelope, error) {
	body, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	canonical, err := r.Decode(body)
	if len(fr.errs) > 0 {
		// The inputs that could not be read are left out of the data;
		// the data's other problems are reported with them.
		fields := slices.Clone(fr.errs)
		var re *resource.Error
		if errors.As(err, &re) {
			for _, fe := range re.Fields {
				if !slices.ContainsFunc(fr.errs, func(x resource.FieldError) bool { return x.Field == fe.Field }) {
					fields = append(fields, fe)
				}
			}
		}
		return nil, &resource.Error{Code: resource.CodeValidation, Detail: "some fields are not valid", Fields: fields}
	}
	if err != nil {
		return nil, err
	}
	return do(canonical)
}

// refused shows the form again after a refused write: field errors
// inline, the user's input kept (files uploaded with it too, when the
// refusal is about the data: they are sent again with the form), other
// problems above the form. stored is the resource's data on an edit form.
func (a *Admin) refused(c echo.Context, r *Resource, fv *formView, sub *submission, stored map[string]any, err error, title string) error {
	ctx := c.Request().Context()
	var re *resource.Error
	if !errors.As(err, &re) || re.HTTPStatus() != http.StatusUnprocessableEntity && re.HTTPStatus() != http.StatusConflict {
		sub.discard(ctx)
	}
	if !errors.As(err, &re) {
		return a.fail(c, err)
	}
	errs := map[string]string{}
	var unplaced []string
	for _, fe := range re.Fields {
		path := fieldPath(r.Fields, fe.Field)
		if path == "" {
			unplaced = append(unplaced, fe.Field+": "+fe.Message)
			continue
		}
		if errs[path] != "" {
			errs[path] += "; "
		}
		errs[path] += fe.Message
	}
	submitted := submittedData(r.Fields, "", sub.form)
	fv.Fields = a.formFields(ctx, cookiePath(c), r, r.Fields, "", submitted, errs, true, a.labelRefs(ctx, r, []map[string]any{submitted}))
	fillFiles(fv.Fields, r, sub, stored, editHref(fv))
	fv.Problems = problems(fv.Fields)
	msg := refusalMessage(re, len(errs), r)
	if len(unplaced) > 0 {
		msg += " (" + strings.Join(unplaced, "; ") + ")"
	}
	return a.render(c, re.HTTPStatus(), "form", &view{Title: title, Current: r.Kind.Name, Error: msg, Form: fv})
}

// problems lists the inputs of fields that carry an error, with links to
// them, in form order.
func problems(fields []*formField) []link {
	var out []link
	for _, f := range fields {
		if f.Error != "" {
			target := f.ID
			if f.Widget == WidgetTags && f.Elem != nil && len(f.Elem.Values) > 0 {
				target += "-0" // the first checkbox of the group
			}
			out = append(out, link{Text: f.Label + ": " + f.Error, Href: "#" + target})
		}
		out = append(out, problems(f.Children)...)
	}
	return out
}

// editHref is the page of the resource an edit form edits, "" on a
// create form.
func editHref(fv *formView) string {
	if !fv.Edit {
		return ""
	}
	return fv.Cancel
}

// refusalMessage says why a write was refused, for the banner above the
// form: the number of fields to fix, which are marked below, rather than
// the API's wording about the request body.
func refusalMessage(re *resource.Error, placed int, r *Resource) string {
	switch {
	case re.Code == resource.CodeValidation && placed == 1:
		return "The " + strings.ToLower(r.Label) + " was not saved: one field needs a change. It is marked below with what is wrong."
	case re.Code == resource.CodeValidation && placed > 1:
		return "The " + strings.ToLower(r.Label) + " was not saved: " + strconv.Itoa(placed) + " fields need a change. They are marked below with what is wrong."
	case re.Code == resource.CodeValidation:
		return "The " + strings.ToLower(r.Label) + " was not saved: " + re.Detail
	case re.HTTPStatus() == http.StatusConflict && placed > 0:
		return "The " + strings.ToLower(r.Label) + " was not saved: a value must be unique and is taken. The field is marked below."
	}
	return "The " + strings.ToLower(r.Label) + " was not saved: " + re.Detail
}

// fieldPath maps an error's field ("address.country", "tags[2]",
// "tags.2") to the path of the input that shows it, "" when no input
// does.
func fieldPath(fields []*Field, name string) string {
	name = strings.ReplaceAll(name, "[", ".")
	name = strings.ReplaceAll(name, "]", "")
	var walk func(fields []*Field, prefix string) string
	walk = func(fields []*Field, prefix string) string {
		for _, f := range fields {
			p := prefix + f.Name
			if name == p {
				return p
			}
			if strings.HasPrefix(name, p+".") {
				if f.Type == "object" {
					if sub := walk(f.Fields, p+"."); sub != "" {
						return sub
					}
				}
				return p
			}
		}
		return ""
	}
	return walk(fields, "")
}

// submittedData turns the form's raw values back into data for the
// inputs: the text as the user typed it.
// Datetimes, typed in the browser's zone (the form's tz), go back in UTC,
// as the page serves every datetime.
func submittedData(fields []*Field, prefix string, form url.Values) map[string]any {
	loc := newFormReader(form).loc
	out := map[string]any{}
	for _, f := range fields {
		path := prefix + f.Name
		switch f.Type {
		case "object":
			out[f.Name] = submittedData(f.Fields, path+".", form)
		case "datetime":
			if vs, ok := form[path]; ok && len(vs) > 0 {
				out[f.Name] = vs[0]
				if t, err := parseLocal(strings.TrimSpace(vs[0]), loc); err == nil {
					out[f.Name] = t.UTC().Format(time.RFC3339)
				}
			}
		case "bool":
			out[f.Name] = form.Get(path) != ""
		case "list": // one per line, or checkboxes sending several values
			if vs, ok := form[path]; ok && len(vs) > 0 {
				out[f.Name] = strings.ReplaceAll(strings.Join(vs, "\n"), "\r\n", "\n")
			}
		default:
			if vs, ok := form[path]; ok && len(vs) > 0 {
				out[f.Name] = strings.ReplaceAll(vs[0], "\r\n", "\n")
			}
		}
	}
	return out
}

func (a *Admin) editForm(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		id := c.Param("id")
		env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{})
		if err != nil {
			return a.fail(c, err)
		}
		if !a.allowedOn(ctx, r, resource.ActionUpdate, env) {
			return a.fail(c, resource.Errorf(resource.CodeForbidden, "you may not update %s", strings.ToLower(r.Plural)))
		}
		data := decodeData(env.Data)
		labels := a.labelRefs(ctx, r, []map[string]any{data})
		fv := a.editView(c, r, env)
		fv.Fields = a.formFields(ctx, base, r, r.Fields, "", data, nil, true, labels)
		fillFiles(fv.Fields, r, nil, data, fv.Cancel)
		return a.render(c, http.StatusOK, "form", &view{Title: "Edit " + r.title(env), Current: r.Kind.Name, Form: fv})
	}
}

func (a *Admin) editView(c echo.Context, r *Resource, env *resource.Envelope) *formView {
	href := cookiePath(c) + "/" + r.Kind.Path + "/" + url.PathEscape(env.Meta.ResourceID)
	return &formView{
		Resource: r,
		Action:   href + "/edit",
		Cancel:   href,
		Edit:     true,
		ID:       env.Meta.ResourceID,
		ETag:     resource.ETag(&env.RevisionInfo),
		Draft:    env.RevisionInfo.Status == resource.StatusDraft,
		// Multipart forms upload files.
		Multipart: len(r.Kind.Files) > 0,
	}
}

func (a *Admin) update(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		base := cookiePath(c)
		id := c.Param("id")
		sub, err := a.readSubmission(c, r, resource.ActionUpdate)
		if err != nil {
			return a.fail(c, err)
		}
		form := sub.form
		cur, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{})
		if err != nil {
			sub.discard(ctx)
			return a.fail(c, err)
		}
		fv := a.editView(c, r, cur)
		fv.ETag = form.Get("etag")
		fr := newFormReader(form)
		fr.errs = append(fr.errs, sub.errs...)
		fr.errs = append(fr.errs, a.resolveRefs(ctx, r.Fields, "", form)...)
		data := fr.object(r.Fields, "", func(f *Field) bool {
			return !fieldWritable(ctx, r, f.Name) || !fieldReadable(ctx, r, f.Name) && !f.WriteOnly
		})
		// File fields: the stored files stay unless removed; uploads are
		// added, or replace a single file.
		stored := decodeData(cur.Data)
		a.setFiles(ctx, r, sub, data, stored)
		opts := resource.WriteOptions{IfMatch: form.Get("etag")}
		if opts.IfMatch == "" {
			opts.IfMatch = "*"
		}
		switch form.Get("submit") {
		case "draft": // a new draft revision, or the current draft edited in place
			opts.Status = resource.StatusDraft
			if cur.RevisionInfo.Status == resource.StatusDraft {
				opts.Mode = "modify"
			}
		case "publish": // the current draft, edited and sealed
			opts.Mode, opts.Status = "modify", resource.StatusStable
		}
		_, err = a.write(ctx, r, fr, data, func(body json.RawMessage) (*resource.Envelope, error) {
			return a.svc.Update(ctx, r.Kind, id, body, opts)
		})
		if resource.CodeOf(err) == resource.CodePreconditionFailed {
			return a.conflict(c, r, fv, sub, cur)
		}
		if err != nil {
			return a.refused(c, r, fv, sub, stored, err, "Edit "+r.title(cur))
		}
		return c.Redirect(http.StatusSeeOther, base+"/"+r.Kind.Path+"/"+url.PathEscape(id)+"?done=saved")
	}
}

// conflict shows the form again, with the user's input, after someone
// else saved first: who, when, what they changed since the revision the
// form was opened on, and the choice to reload or to save over it.
func (a *Admin) conflict(c echo.Context, r *Resource, fv *formView, sub *submission, cur *resource.Envelope) error {
	ctx := c.Request().Context()
	form := sub.form
	who := a.userNames(ctx, []*changed{{r: r, env: cur}})
	name := cur.Meta.UpdatedBy
	if n, ok := who[name]; ok {
		name = n
	}
	cv := &conflictView{
		Who:    name,
		When:   formatTime(cur.Meta.UpdatedTime),
		Number: cur.RevisionInfo.Number,
		ETag:   resource.ETag(&cur.RevisionInfo),
		Reload: fv.Action,
	}
	if base := etagRevision(form.Get("etag")); base != "" {
		old, err := a.svc.Revision(ctx, r.Kind, cur.Meta.ResourceID, base, resource.RevisionOptions{})
		if err == nil {
			ops, err := a.svc.Diff(ctx, r.Kind, cur.Meta.ResourceID, strconv.Itoa(cur.RevisionInfo.Number), base, resource.RevisionOptions{})
			if err == nil {
				cv.Changes = diffRows(ops, decodeData(old.Data))
			}
		}
	}
	fv.Conflict = cv
	submitted := submittedData(r.Fields, "", form)
	fv.Fields = a.formFields(ctx, cookiePath(c), r, r.Fields, "", submitted, nil, true, a.labelRefs(ctx, r, []map[string]any{submitted}))
	fillFiles(fv.Fields, r, sub, decodeData(cur.Data), editHref(fv))
	return a.render(c, http.StatusPreconditionFailed, "form", &view{Title: "Edit " + r.title(cur), Current: r.Kind.Name,
		Error: "Someone else saved this " + strings.ToLower(r.Label) + " after you opened the form; your changes are not saved yet.", Form: fv})
}

// etagRevision returns the revision id of an ETag: `"<id>:<n>"` or
// `"<id>:<n>+<hash>"` (a draft's).
func etagRevision(etag string) string {
	etag = strings.Trim(etag, `"`)
	if i := strings.IndexByte(etag, '+'); i >= 0 {
		etag = etag[:i]
	}
	return etag
}

// resolveRefs turns the text of each ref picker of the form into the
// target's id: the picker shows the target's display value and keeps the
// id in path+".id" (set by the page, and by the page's script when an
// option is picked). The text is taken as the kept id when it is still
// that target's display value; else as "display · id" (a picked option),
// an id, or a display value that names exactly one target. Text that
// names none or several is a field error.
func (a *Admin) resolveRefs(ctx context.Context, fields []*Field, prefix string, form url.Values) []resource.FieldError {
	var errs []resource.FieldError
	for _, f := range fields {
		path := prefix + f.Name
		if f.Type == "object" {
			errs = append(errs, a.resolveRefs(ctx, f.Fields, path+".", form)...)
			continue
		}
		t := a.site.Resource(f.Ref)
		text := strings.TrimSpace(form.Get(path))
		if f.Type != "ref" || t == nil || text == "" {
			continue
		}
		exists := func(id string) bool {
			_, err := a.svc.Get(ctx, t.Kind, id, resource.ReadOptions{})
			return err == nil
		}
		if id := strings.TrimSpace(form.Get(path + ".id")); id != "" && id != text {
			if env, err := a.svc.Get(ctx, t.Kind, id, resource.ReadOptions{}); err == nil && strings.EqualFold(t.title(env), text) {
				form.Set(path, id)
				continue
			}
		}
		if i := strings.LastIndex(text, idSeparator); i >= 0 && exists(text[i+len(idSeparator):]) {
			form.Set(path, text[i+len(idSeparator):])
			continue
		}
		if t.Display == "" || exists(text) {
			continue // an id; the Service checks that it names a target
		}
		found, err := a.search(ctx, t, text, true, 2)
		switch {
		case err != nil:
			errs = append(errs, resource.FieldError{Field: path, Message: "the " + strings.ToLower(t.Plural) + " could not be searched: " + err.Error()})
		case len(found) == 1:
			form.Set(path, found[0].ID)
		case len(found) == 0:
			errs = append(errs, resource.FieldError{Field: path, Message: "no " + strings.ToLower(t.Label) + " is named “" + text + "”: pick one from the list, or paste an id"})
		default:
			errs = append(errs, resource.FieldError{Field: path, Message: "several " + strings.ToLower(t.Plural) + " are named “" + text + "”: pick one from the list, which shows their ids"})
		}
	}
	return errs
}

// isFile reports whether f holds files (a file, or a list of them), which
// forms upload rather than type.
func isFile(f *Field) bool {
	return f.Type == "file" || f.Elem != nil && f.Elem.Type == "file"
}
