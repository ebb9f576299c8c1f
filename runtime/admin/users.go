package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// The users page is the User resource's pages (auth's users, whose rules
// let admins only list, read and write them: the navigation offers them
// to admins only, and the Service refuses everyone else) with what an
// operator does to an account besides editing it: disable and enable it,
// and reset its password. Every change is a write through the Service, so
// auth's hooks hash the password and revoke the user's sessions and
// tokens in the same transaction, as they do for the API and the CLI.

// userKindName is the name of auth's User kind.
const userKindName = "User"

// isUsers reports whether r is auth's User resource.
func (a *Admin) isUsers(r *Resource) bool {
	return a.auth != nil && r.Kind.Name == userKindName
}

// userView is the account part of a user's page.
type userView struct {
	Disabled bool
	Self     bool // the logged-in user's own account
	CanWrite bool
}

// passwordView is the reset-password form.
type passwordView struct {
	Action, Cancel, Who string
	PasswordError       string
	RepeatError         string
}

// minPassword is auth's bound, said on the form.
const minPassword = 8

// registerUsers mounts the account actions of the users resource.
func (a *Admin) registerUsers(g *echo.Group, r *Resource) {
	p := "/" + r.Kind.Path
	g.GET(p+"/:id/password", a.passwordForm(r))
	g.POST(p+"/:id/password", a.resetPassword(r))
	g.POST(p+"/:id/disable", a.setDisabled(r, true))
	g.POST(p+"/:id/enable", a.setDisabled(r, false))
}

// userDetail reads the account state of a user's page.
func (a *Admin) userDetail(c echo.Context, r *Resource, env *resource.Envelope, canEdit bool) *userView {
	data := decodeData(env.Data)
	disabled, _ := data["disabled"].(bool)
	return &userView{
		Disabled: disabled,
		Self:     resource.PrincipalFrom(c.Request().Context()).ID == env.Meta.ResourceID,
		CanWrite: canEdit,
	}
}

func (a *Admin) passwordForm(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		pv, err := a.passwordView(c, r)
		if err != nil {
			return a.fail(c, err)
		}
		return a.render(c, http.StatusOK, "password", &view{Title: "Reset the password of " + pv.Who, Current: r.Kind.Name, Password: pv})
	}
}

// passwordView reads the user of a password form, refusing a caller who
// may not update users.
func (a *Admin) passwordView(c echo.Context, r *Resource) (*passwordView, error) {
	ctx := c.Request().Context()
	id := c.Param("id")
	if err := a.svc.Allow(ctx, r.Kind, resource.ActionUpdate); err != nil {
		return nil, err
	}
	env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{})
	if err != nil {
		return nil, err
	}
	href := cookiePath(c) + "/" + r.Kind.Path + "/" + url.PathEscape(id)
	return &passwordView{Action: href + "/password", Cancel: href, Who: r.title(env)}, nil
}

// resetPassword sets a new password: auth's hook checks and hashes it and
// revokes the user's sessions and tokens. A password auth refuses (too
// short) or a repeat that differs comes back as a 422 at its input.
func (a *Admin) resetPassword(r *Resource) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		pv, err := a.passwordView(c, r)
		if err != nil {
			return a.fail(c, err)
		}
		pw, repeat := c.FormValue("password"), c.FormValue("repeat")
		title := "Reset the password of " + pv.Who
		switch {
		case pw == "":
			pv.PasswordError = "enter the new password"
		case pw != repeat:
			pv.RepeatError = "the two passwords differ; type the same one twice"
		}
		if pv.PasswordError == "" && pv.RepeatError == "" {
			raw, _ := json.Marshal(pw)
			_, err = a.svc.Patch(ctx, r.Kind, c.Param("id"), func(cur json.RawMessage) (json.RawMessage, error) {
				return withMember(cur, "password", raw)
			}, resource.WriteOptions{})
			if err == nil {
				return c.Redirect(http.StatusSeeOther, pv.Cancel+"?done=password")
			}
			var re *resource.Error
			if !errors.As(err, &re) || re.Code != resource.CodeValidation {
				return a.fail(c, err)
			}
			for _, fe := range re.Fields {
				pv.PasswordError = strings.TrimSpace(pv.PasswordError + " " + fe.Message)
			}
			if pv.PasswordError == "" {
				pv.PasswordError = re.Detail
			}
		}
		return a.render(c, http.StatusUnprocessableEntity, "password", &view{Title: title, Current: r.Kind.Name, Password: pv,
			Error: "The password was not changed: the field marked below needs a change."})
	}
}

// setDisabled disables or enables a user after a confirmation. Disabling
// ends the user's sessions and tokens (auth's hook); an admin cannot
// disable their own account here, which would lock them out mid-click.
func (a *Admin) setDisabled(r *Resource, disable bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		id := c.Param("id")
		if err := a.svc.Allow(ctx, r.Kind, resource.ActionUpdate); err != nil {
			return a.fail(c, err)
		}
		env, err := a.svc.Get(ctx, r.Kind, id, resource.ReadOptions{})
		if err != nil {
			return a.fail(c, err)
		}
		href := cookiePath(c) + "/" + r.Kind.Path + "/" + url.PathEscape(id)
		who := r.title(env)
		if disable && resource.PrincipalFrom(ctx).ID == id {
			return a.fail(c, resource.Errorf(resource.CodeValidation, "you cannot disable your own account: another admin can"))
		}
		verb := "enable"
		if disable {
			verb = "disable"
		}
		if c.FormValue("confirm") != "yes" {
			cv := &confirmView{Action: href + "/" + verb, Back: href, Fields: map[string][]string{"etag": {resource.ETag(&env.RevisionInfo)}}}
			if disable {
				cv.Question, cv.Button, cv.Danger = "Disable the account of "+who+"? They are logged out everywhere and cannot log in, and their access tokens stop working, until an admin enables the account again.", "Disable "+who, true
			} else {
				cv.Question, cv.Button = "Enable the account of "+who+"? They can log in again with their password.", "Enable "+who
			}
			return a.render(c, http.StatusOK, "confirm", &view{Title: "Confirm", Current: r.Kind.Name, Confirm: cv})
		}
		val := []byte("false")
		if disable {
			val = []byte("true")
		}
		_, err = a.svc.Patch(ctx, r.Kind, id, func(cur json.RawMessage) (json.RawMessage, error) {
			return withMember(cur, "disabled", val)
		}, resource.WriteOptions{IfMatch: c.FormValue("etag")})
		if err != nil {
			return a.fail(c, err)
		}
		return c.Redirect(http.StatusSeeOther, href+"?done="+verb+"d")
	}
}

// withMember returns the JSON object data with member key set to value.
func withMember(data json.RawMessage, key string, value json.RawMessage) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&obj); err != nil {
		return nil, err
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	obj[key] = value
	return json.Marshal(obj)
}
