package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// userData reads a user's data through the Service.
func (e *adminEnv) userData(t *testing.T, id string) (map[string]any, *resource.Envelope) {
	t.Helper()
	env, err := e.svc.Get(resource.AsSystem(context.Background()), e.kind("User"), id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(env.Data, &m)
	return m, env
}

func TestAdminUsers(t *testing.T) {
	e := newAdminEnv(t)

	// Not offered to an editor, and refused when forced.
	ed := e.browser()
	ed.login("ed@example.com")
	ed.get("/admin/").lacks(t, `href="/admin/users"`)
	ed.get("/admin/users").must(t, http.StatusForbidden)
	ed.get("/admin/users/new").must(t, http.StatusForbidden)
	ed.post("/admin/users/new", url.Values{"email": {"x@example.com"}, "roles": {"", "admin"}, "password": {adminPassword}}).must(t, http.StatusForbidden)

	boss := e.browser()
	boss.login("boss@example.com")
	boss.get("/admin/").must(t, http.StatusOK, `href="/admin/users"`)
	boss.get("/admin/users").must(t, http.StatusOK, "ed@example.com", "vi@example.com")
	// Roles are checkboxes.
	boss.get("/admin/users/new").must(t, http.StatusOK, `type="checkbox" id="f-roles-1" name="roles" value="editor"`, `type="password"`)

	// Create: a password too short is refused at its input, the rest kept.
	p := boss.post("/admin/users/new", url.Values{"email": {"new@example.com"}, "name": {"New"}, "roles": {"", "editor"}, "password": {"short"}, "submit": {"save"}})
	p.must(t, http.StatusUnprocessableEntity, `id="f-password-error"`, "between 8 and 1024", `value="new@example.com"`, "one field needs a change")
	if !strings.Contains(p.Body, `value="editor" checked`) {
		t.Errorf("the refused form forgets the checked role")
	}
	p = boss.post("/admin/users/new", url.Values{"email": {"new@example.com"}, "name": {"New"}, "roles": {"", "editor"}, "password": {adminPassword}, "submit": {"save"}})
	id := createdID(t, p, "/admin/users")
	data, _ := e.userData(t, id)
	if roles, _ := json.Marshal(data["roles"]); string(roles) != `["editor"]` {
		t.Fatalf("the new user's roles: %s", roles)
	}
	nu := e.browser()
	nu.login("new@example.com")

	// Edit the roles.
	_, env := e.userData(t, id)
	boss.get("/admin/users/"+id+"/edit").must(t, http.StatusOK, `value="editor" checked`)
	p = boss.post("/admin/users/"+id+"/edit", url.Values{"etag": {resource.ETag(&env.RevisionInfo)}, "email": {"new@example.com"}, "name": {"New"}, "roles": {"", "editor", "viewer"}, "submit": {"save"}})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("edit roles: %d\n%s", p.Status, p.Body)
	}
	data, _ = e.userData(t, id)
	if roles, _ := json.Marshal(data["roles"]); string(roles) != `["editor","viewer"]` {
		t.Fatalf("the edited roles: %s", roles)
	}

	// Disable, after a confirmation: the user's login ends.
	boss.get("/admin/users/"+id).must(t, http.StatusOK, "Reset password", "Disable account")
	boss.post("/admin/users/"+id+"/disable", url.Values{}).must(t, http.StatusOK, "Disable the account of new@example.com?")
	boss.post("/admin/users/"+id+"/disable", url.Values{"confirm": {"yes"}}).must(t, http.StatusSeeOther)
	if data, _ = e.userData(t, id); data["disabled"] != true {
		t.Fatalf("not disabled: %v", data)
	}
	if p := nu.get("/admin/"); p.Status != http.StatusSeeOther {
		t.Errorf("a disabled user's session still works: %d", p.Status)
	}
	boss.get("/admin/users/"+id+"?done=disabled").must(t, http.StatusOK, "The account was disabled", "Enable account", "disabled")
	boss.post("/admin/users/"+id+"/enable", url.Values{"confirm": {"yes"}}).must(t, http.StatusSeeOther)
	if data, _ = e.userData(t, id); data["disabled"] != false {
		t.Fatalf("not enabled: %v", data)
	}
	// An admin does not disable their own account.
	envs, err := e.svc.List(resource.AsSystem(context.Background()), e.kind("User"), resource.ListQuery{Filter: `email = "boss@example.com"`, Limit: 1})
	if err != nil || len(envs.Items) != 1 {
		t.Fatal(err)
	}
	bossID := envs.Items[0].Meta.ResourceID
	boss.get("/admin/users/"+bossID).lacks(t, "Disable account")
	boss.post("/admin/users/"+bossID+"/disable", url.Values{"confirm": {"yes"}}).must(t, http.StatusUnprocessableEntity, "cannot disable your own account")

	// Reset the password: a repeat that differs, one too short, then one
	// that works; the old one stops working.
	boss.get("/admin/users/"+id+"/password").must(t, http.StatusOK, `autocomplete="new-password"`)
	boss.post("/admin/users/"+id+"/password", url.Values{"password": {"a new password"}, "repeat": {"another"}}).
		must(t, http.StatusUnprocessableEntity, `id="f-repeat-error"`, "the two passwords differ")
	boss.post("/admin/users/"+id+"/password", url.Values{"password": {"short"}, "repeat": {"short"}}).
		must(t, http.StatusUnprocessableEntity, `id="f-password-error"`, "at least 8")
	boss.post("/admin/users/"+id+"/password", url.Values{"password": {"a new password"}, "repeat": {"a new password"}}).must(t, http.StatusSeeOther)
	nb := e.browser()
	nb.get("/admin/login")
	if p := nb.post("/admin/login", url.Values{"email": {"new@example.com"}, "password": {adminPassword}}); p.Status != http.StatusUnauthorized {
		t.Errorf("the old password still logs in: %d", p.Status)
	}
	if p := nb.post("/admin/login", url.Values{"email": {"new@example.com"}, "password": {"a new password"}, "next": {"/admin/"}}); p.Status != http.StatusSeeOther {
		t.Errorf("the new password does not log in: %d\n%s", p.Status, p.Body)
	}

	// The account actions are refused to an editor who forces them, with
	// the CSRF token of their own page.
	ed.get("/admin/")
	ed.post("/admin/users/"+id+"/disable", url.Values{"confirm": {"yes"}}).must(t, http.StatusForbidden)
	ed.post("/admin/users/"+id+"/password", url.Values{"password": {"x"}, "repeat": {"x"}}).must(t, http.StatusForbidden)
	// And a forged post without the token changes nothing.
	boss.post("/admin/users/"+id+"/disable", url.Values{"confirm": {"yes"}, "csrf": {"forged-forged-forged-forged-forged-forged"}}).must(t, http.StatusForbidden, "CSRF")
	if data, _ = e.userData(t, id); data["disabled"] != false {
		t.Fatalf("a forged post disabled the user")
	}
}
