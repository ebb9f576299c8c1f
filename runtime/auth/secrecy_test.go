package auth

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestPasswordNeverStored writes passwords to users in every way the
// Service allows and looks for them, and for the "password" key, in
// every record and revision of every kind, every change event, every
// response and every log line.
func TestPasswordNeverStored(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend)
		user := v.a.kinds.user
		secrets := []string{"first secret pw", "second secret pw", "third secret pw", "fourth secret pw"}

		id := v.createUser("alice@example.com", secrets[0], "editor")
		// Update with the whole data and a new password.
		raw := `{"email":"alice@example.com","name":"Alice","roles":["editor"],"disabled":false,"password":"` + secrets[1] + `"}`
		if _, err := v.svc.Update(sysCtx(), user, id, json.RawMessage(raw), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		// A patch that sets only the password changes no data and writes
		// no revision, but still sets the password.
		v.patchUser(id, map[string]any{"password": secrets[2]})
		tok := v.login("alice@example.com", secrets[2])
		// A key spelled with an escape is the same key.
		raw = `{"email":"alice@example.com","name":"Alice","roles":["editor"],"disabled":false,"\u0070assword":"` + secrets[3] + `"}`
		if _, err := v.svc.Update(sysCtx(), user, id, json.RawMessage(raw), resource.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		v.login("alice@example.com", secrets[3])
		if code, _ := v.whoami(tok.AccessToken); code != http.StatusUnauthorized {
			t.Errorf("access token after the password was set: %d, want 401", code)
		}
		// Refused passwords are named, never shown.
		for _, bad := range []string{`"short"`, `12345678`, `true`} {
			raw := `{"email":"x@example.com","name":"X","roles":[],"disabled":false,"password":` + bad + `}`
			_, err := v.svc.Create(sysCtx(), user, json.RawMessage(raw), resource.WriteOptions{})
			if resource.CodeOf(err) != resource.CodeValidation {
				t.Fatalf("password %s: error %v, want a 422", bad, err)
			}
			if strings.Contains(err.Error(), strings.Trim(bad, `"`)) {
				t.Errorf("the error shows the password: %v", err)
			}
		}
		// "password": null sets nothing and is not stored.
		raw = `{"email":"n@example.com","name":"N","roles":[],"disabled":false,"password":null}`
		nid := mustCreate(t, v, user, raw)
		if n := v.count("AuthCredential", eq("user", nid)); n != 0 {
			t.Errorf("a null password made a credential")
		}

		var outputs []string
		for _, k := range v.schema.Kinds {
			envs, err := v.a.listAll(sysCtx(), k, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range envs {
				outputs = append(outputs, k.Name+" record: "+string(e.Data))
				revs, err := v.svc.Revisions(sysCtx(), k, e.Meta.ResourceID, resource.RevisionQuery{Limit: resource.MaxLimit})
				if err != nil {
					t.Fatal(err)
				}
				for _, ri := range revs.Items {
					rev, err := v.svc.Revision(sysCtx(), k, e.Meta.ResourceID, ri.RevisionID, resource.RevisionOptions{})
					if err != nil {
						t.Fatal(err)
					}
					outputs = append(outputs, k.Name+" revision "+ri.RevisionID+": "+string(rev.Data))
				}
			}
		}
		v.changesMu.Lock()
		for _, c := range v.changes {
			if c.Envelope != nil {
				outputs = append(outputs, "change "+c.Kind.Name+": "+string(c.Envelope.Data))
			}
		}
		v.changesMu.Unlock()
		me := v.do(http.MethodGet, "/api/auth/me", v.login("alice@example.com", secrets[3]).AccessToken, nil)
		outputs = append(outputs, "me: "+string(me.Body), "logs: "+v.logs.String())

		userRevisions := 0
		for _, out := range outputs {
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("a password is visible in %s", out)
				}
			}
			if strings.HasPrefix(out, "User ") {
				userRevisions++
				if strings.Contains(out, `"password"`) {
					t.Errorf("a User holds a password key: %s", out)
				}
			}
		}
		if userRevisions < 4 {
			t.Errorf("looked at %d User records and revisions, want at least 4", userRevisions)
		}
	})
}

// mustCreate creates a resource of k from raw.
func mustCreate(t *testing.T, v *env, k *resource.Kind, raw string) string {
	t.Helper()
	env, err := v.svc.Create(sysCtx(), k, json.RawMessage(raw), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return env.Meta.ResourceID
}

func TestStripKey(t *testing.T) {
	tests := []struct {
		name, in, out, value string
		found                bool
	}{
		{name: "absent", in: `{"a":1,"b":"x"}`, out: `{"a":1,"b":"x"}`},
		{name: "first", in: `{"password":"p","a":1,"b":[1,2]}`, out: `{"a":1,"b":[1,2]}`, value: `"p"`, found: true},
		{name: "middle", in: `{"a":1,"password":"p","b":{"c":"}"}}`, out: `{"a":1,"b":{"c":"}"}}`, value: `"p"`, found: true},
		{name: "last", in: `{"a":1,"password":"p"}`, out: `{"a":1}`, value: `"p"`, found: true},
		{name: "only", in: `{"password":"p"}`, out: `{}`, value: `"p"`, found: true},
		{name: "null", in: `{"a":1,"password":null}`, out: `{"a":1}`, found: true},
		{name: "escaped key", in: `{"a":1,"pass\u0077ord":"p"}`, out: `{"a":1}`, value: `"p"`, found: true},
		{name: "nested is kept", in: `{"a":{"password":"p"}}`, out: `{"a":{"password":"p"}}`},
		{name: "spaces", in: ` { "a" : 1 , "password" : "p" } `, out: `{"a":1}`, value: `"p"`, found: true},
		{name: "not an object", in: `[1]`, out: `[1]`},
		{name: "invalid", in: `{"a":`, out: `{"a":`},
		{name: "trailing data", in: `{"password":"p"} {}`, out: `{"password":"p"} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, value, found, err := stripKey(json.RawMessage(tt.in), "password")
			if err != nil || string(out) != tt.out || string(value) != tt.value || found != tt.found {
				t.Errorf("stripKey(%s) = %s, %s, %v, %v; want %s, %s, %v", tt.in, out, value, found, err, tt.out, tt.value, tt.found)
			}
		})
	}
}

func TestWithMember(t *testing.T) {
	tests := []struct{ name, in, out string }{
		{name: "empty", in: `{}`, out: `{"password":"x"}`},
		{name: "spaces", in: ` { } `, out: `{"password":"x"}`},
		{name: "appended", in: `{"a":{"b":1}}`, out: `{"a":{"b":1},"password":"x"}`},
		{name: "replaced", in: `{"password":"old","a":1}`, out: `{"a":1,"password":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withMember(json.RawMessage(tt.in), "password", json.RawMessage(`"x"`))
			if err != nil || string(got) != tt.out {
				t.Errorf("withMember(%s) = %s, %v; want %s", tt.in, got, err, tt.out)
			}
		})
	}
}
