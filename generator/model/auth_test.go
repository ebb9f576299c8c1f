package model_test

import (
	"slices"
	"testing"
	"time"

	"github.com/specstar-go/specstar/generator/model"
	rt "github.com/specstar-go/specstar/runtime/resource"
)

// authSpec is a spec with auth: Post names some actions, Note none.
const authSpec = `specstar: 1
package: blog
auth:
  roles: [editor, admin, viewer]
resources:
  Post:
    fields:
      title:  {type: string, required: true, read: role:editor}
      status: {type: enum, values: [draft, published], default: draft, index: true, write: role:editor}
      body:   {type: text}
    permissions:
      read: role:editor | where(status = "published")
      update: owner | role:editor
      delete: where(created_by = @me)
  Note:
    fields:
      text: {type: string}
      author: {type: ref, to: User}
`

// ruleWant is the expected rule of an action: its source, whether it is a
// default, and whether anonymous callers pass it.
type ruleWant struct {
	source          string
	dflt, anonymous bool
}

func TestRuleDefaults(t *testing.T) {
	m := build(t, authSpec)
	tests := []struct {
		name     string
		resource string
		want     map[string]ruleWant
	}{
		{"named actions and their defaults", "Post", map[string]ruleWant{
			"read":    {`role:editor | where(status = "published")`, false, true},
			"list":    {`role:editor | where(status = "published")`, true, true},
			"create":  {"authenticated", true, false},
			"update":  {"owner | role:editor", false, false},
			"switch":  {"owner | role:editor", true, false},
			"delete":  {"where(created_by = @me)", false, false},
			"restore": {"where(created_by = @me)", true, false},
			"purge":   {"role:admin", true, false},
		}},
		{"no permissions", "Note", map[string]ruleWant{
			"read": {"authenticated", true, false}, "list": {"authenticated", true, false},
			"create": {"authenticated", true, false}, "update": {"authenticated", true, false},
			"switch": {"authenticated", true, false}, "delete": {"authenticated", true, false},
			"restore": {"authenticated", true, false}, "purge": {"role:admin", true, false},
		}},
		{"the built-in User is for admins", "User", map[string]ruleWant{
			"read": {"role:admin", true, false}, "list": {"role:admin", true, false},
			"create": {"role:admin", true, false}, "update": {"role:admin", true, false},
			"switch": {"role:admin", true, false}, "delete": {"role:admin", true, false},
			"restore": {"role:admin", true, false}, "purge": {"role:admin", true, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := resource(t, m, tt.resource)
			var actions []string
			for _, rl := range r.Rules {
				actions = append(actions, rl.Action)
				w := tt.want[rl.Action]
				if rl.Source != w.source || rl.Default != w.dflt || rl.Anonymous != w.anonymous {
					t.Errorf("%s: %+v, want %+v", rl.Action, *rl, w)
				}
			}
			if !slices.Equal(actions, model.RuleActions()) {
				t.Errorf("actions %v, want %v", actions, model.RuleActions())
			}
		})
	}
}

func TestAuthModel(t *testing.T) {
	m := build(t, authSpec)
	a := m.Auth
	if a == nil {
		t.Fatal("no auth")
	}
	if want := []string{"editor", "admin", "viewer"}; !slices.Equal(a.Roles, want) {
		t.Errorf("roles %v, want %v (admin listed: spec order)", a.Roles, want)
	}
	if a.AccessTTL != 15*time.Minute || a.RefreshTTL != 720*time.Hour {
		t.Errorf("TTLs %v %v, want the defaults", a.AccessTTL, a.RefreshTTL)
	}
	var names []string
	for _, r := range m.Resources {
		names = append(names, r.Name)
	}
	want := append([]string{"Post", "Note"}, model.BuiltinNames()...)
	if !slices.Equal(names, want) {
		t.Errorf("resources %v, want %v: the spec's, then the built-in ones", names, want)
	}
	var api []string
	for _, r := range m.APIResources() {
		api = append(api, r.Name)
	}
	if !slices.Equal(api, []string{"Post", "Note", "User"}) {
		t.Errorf("API resources %v, want Post, Note, User", api)
	}
	user := resource(t, m, "User")
	if a.User != user || !user.Builtin || user.Internal || user.Path != "users" {
		t.Errorf("User: %+v", user)
	}
	for _, f := range user.Fields {
		if f.WriteOnly != (f.Name == "password") {
			t.Errorf("User.%s: write-only %v", f.Name, f.WriteOnly)
		}
		if f.Name == "roles" && !slices.Equal(f.Values, a.Roles) {
			t.Errorf("User.roles values %v, want the roles %v", f.Values, a.Roles)
		}
	}
	if note := resource(t, m, "Note"); note.Fields[1].Target != user {
		t.Errorf("Note.author refers to %v, want the built-in User", note.Fields[1].Target)
	}
	for _, name := range model.BuiltinNames()[1:] {
		r := resource(t, m, name)
		k := r.Kind()
		if !r.Internal || !r.Builtin || len(r.Operations) > 0 || r.Rules != nil || !k.Internal || k.KeepLast != 1 || k.Access != nil {
			t.Errorf("%s: internal %v, %d operations, rules %v, kind %+v", name, r.Internal, len(r.Operations), r.Rules, k)
		}
	}
}

func TestKindAccess(t *testing.T) {
	m := build(t, authSpec)
	post := resource(t, m, "Post")
	k := post.Kind()
	if k.Access == nil || len(k.Access.Rules) != len(model.RuleActions()) {
		t.Fatalf("access %+v, want a rule for every action", k.Access)
	}
	if got := k.Access.Rules[rt.ActionList]; got != post.Rule("read").Source {
		t.Errorf("list rule %q, want read's", got)
	}
	wantFields := []rt.FieldAccess{
		{Field: "title", Read: "role:editor"},
		{Field: "status", Write: "role:editor", Default: []byte(`"draft"`)},
	}
	if len(k.Access.Fields) != len(wantFields) {
		t.Fatalf("field access %+v, want %+v", k.Access.Fields, wantFields)
	}
	for i, w := range wantFields {
		got := k.Access.Fields[i]
		if got.Field != w.Field || got.Read != w.Read || got.Write != w.Write || string(got.Default) != string(w.Default) {
			t.Errorf("field access %d: %+v, want %+v", i, got, w)
		}
	}
	// A required field with a read rule is nil-able: callers failing the
	// rule get it absent.
	if title := post.Fields[0]; !title.Nullable() {
		t.Error("title (required, read rule) is not nullable")
	}
	// Rules are valid for the runtime too.
	for _, rl := range post.Rules {
		r, err := rt.ParseRule(rl.Source)
		if err == nil {
			err = r.Check(rt.FilterFields(k), []string{"editor", "viewer"})
		}
		if err != nil {
			t.Errorf("%s: the runtime refuses %q: %v", rl.Action, rl.Source, err)
		}
	}
}

func TestNoAuth(t *testing.T) {
	m := build(t, "specstar: 1\npackage: blog\nresources:\n  User:\n    fields:\n      name: {type: string}\n")
	if m.Auth != nil || len(m.Resources) != 1 {
		t.Fatalf("auth %v, %d resources: a spec without auth has no built-in resources", m.Auth, len(m.Resources))
	}
	if r := m.Resources[0]; r.Rules != nil || r.Builtin || r.Kind().Access != nil {
		t.Errorf("User without auth: rules %v, builtin %v", r.Rules, r.Builtin)
	}
}
