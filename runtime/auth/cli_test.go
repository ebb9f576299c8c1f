package auth

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestUsersCommand(t *testing.T) {
	forBackends(t, func(t *testing.T, backend string) {
		v := newEnv(t, backend)
		run := func(stdin string, args ...string) (int, string, string) {
			var out, errOut bytes.Buffer
			code := v.a.UsersCommand(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
			return code, out.String(), errOut.String()
		}

		code, out, errOut := run("first admin pw\n", "create", "Root@Example.com", "--role", "admin", "--role", "editor", "--name", "Root")
		if code != 0 || !strings.Contains(out, "created user") || errOut != "" {
			t.Fatalf("create: %d %q %q", code, out, errOut)
		}
		tok := v.login("root@example.com", "first admin pw")
		if tok.User.Name != "Root" || strings.Join(tok.User.Roles, ",") != "admin,editor" {
			t.Errorf("created user = %+v", tok.User)
		}
		// Flags may come first; a CRLF line ending is not part of the password.
		if code, _, errOut := run("second pw here\r\n", "create", "--role=viewer", "viewer@example.com"); code != 0 {
			t.Fatalf("create with flags first: %d %s", code, errOut)
		}
		v.login("viewer@example.com", "second pw here")

		failures := []struct {
			name  string
			stdin string
			args  []string
			code  int
			msg   string
		}{
			{name: "no subcommand", code: 2, msg: "needs a subcommand"},
			{name: "unknown subcommand", args: []string{"remove"}, code: 2, msg: `unknown users subcommand "remove"`},
			{name: "no role", stdin: "password1\n", args: []string{"create", "a@example.com"}, code: 2, msg: "at least one --role"},
			{name: "unknown role", stdin: "password1\n", args: []string{"create", "a@example.com", "--role", "wizard"}, code: 2, msg: `unknown role "wizard"`},
			{name: "no email", stdin: "password1\n", args: []string{"create", "--role", "admin"}, code: 2, msg: "one EMAIL"},
			{name: "not an email", stdin: "password1\n", args: []string{"create", "nobody", "--role", "admin"}, code: 2, msg: "not an email"},
			{name: "unknown flag", stdin: "password1\n", args: []string{"create", "a@example.com", "--roles", "admin"}, code: 2, msg: "-roles"},
			{name: "empty password", stdin: "\n", args: []string{"create", "a@example.com", "--role", "admin"}, code: 1, msg: "no password"},
			{name: "no stdin", args: []string{"create", "a@example.com", "--role", "admin"}, code: 1, msg: "no password"},
			{name: "short password", stdin: "short\n", args: []string{"create", "a@example.com", "--role", "admin"}, code: 1, msg: "at least 8 bytes"},
			{name: "taken email", stdin: "password1\n", args: []string{"create", "ROOT@example.com", "--role", "admin"}, code: 1, msg: "already used"},
			{name: "set-password of nobody", stdin: "password1\n", args: []string{"set-password", "nobody@example.com"}, code: 1, msg: "no user has the email"},
			{name: "list with arguments", args: []string{"list", "x"}, code: 2, msg: "no arguments"},
		}
		for _, tt := range failures {
			t.Run(tt.name, func(t *testing.T) {
				code, _, errOut := run(tt.stdin, tt.args...)
				if code != tt.code || !strings.Contains(errOut, tt.msg) {
					t.Errorf("code %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.msg)
				}
				if strings.Contains(errOut, "password1") || strings.Contains(errOut, "short\n") {
					t.Errorf("stderr shows the password: %q", errOut)
				}
			})
		}
		if code, _, errOut := run("", "--help"); code != 0 || !strings.Contains(errOut, "usage:") {
			t.Errorf("help: %d %q", code, errOut)
		}

		// set-password revokes the user's sessions and tokens.
		pat := v.createPAT(tok.AccessToken, map[string]any{"name": "script"})
		if code, out, errOut := run("a brand new pw\n", "set-password", "ROOT@example.com"); code != 0 || !strings.Contains(out, "revoked") {
			t.Fatalf("set-password: %d %q %q", code, out, errOut)
		}
		for _, bearer := range []string{tok.AccessToken, pat} {
			if code, _ := v.whoami(bearer); code != http.StatusUnauthorized {
				t.Errorf("token after set-password: %d", code)
			}
		}
		wantStatus(t, v.do(http.MethodPost, "/api/auth/refresh", "", map[string]string{"refresh_token": tok.RefreshToken}), http.StatusUnauthorized)
		v.login("root@example.com", "a brand new pw")

		code, out, _ = run("", "list")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(out, "Root@Example.com") ||
			!strings.Contains(out, "admin,editor") || !strings.Contains(out, "false") {
			t.Errorf("list: %d\n%s", code, out)
		}
		for _, pw := range []string{"first admin pw", "second pw here", "a brand new pw"} {
			if strings.Contains(out, pw) || strings.Contains(v.logs.String(), pw) {
				t.Errorf("a password is visible in the list or the logs")
			}
		}
	})
}
