package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/auth/authtest"
	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/rest"
)

// authApp is an AuthApp with the auth kinds and one kind with rules,
// Memo (read: owner | role:editor), behind a hand-written list route.
type authApp struct {
	schema *resource.Schema
	memo   *resource.Kind
}

func newAuthApp() *authApp {
	memo := &resource.Kind{Name: "Memo", Table: "memo", Path: "memos", SchemaVersion: 1,
		Access: &resource.Access{Rules: map[resource.Action]string{resource.ActionRead: "owner | role:editor"}}}
	kinds := append(authtest.Kinds([]string{"editor", "viewer"}), memo)
	return &authApp{schema: &resource.Schema{Kinds: kinds}, memo: memo}
}

func (a *authApp) Schema() *resource.Schema { return a.schema }

func (a *authApp) AuthSettings() AuthSettings {
	return AuthSettings{Roles: []string{"admin", "editor", "viewer"}, AccessTTL: time.Minute, RefreshTTL: time.Hour}
}

func (a *authApp) Register(g *echo.Group, svc *resource.Service) {
	g.POST("/memos", func(c echo.Context) error {
		env, err := svc.Create(c.Request().Context(), a.memo, json.RawMessage(`{}`), resource.WriteOptions{})
		if err != nil {
			return err
		}
		return rest.Created(c, env)
	})
	g.GET("/memos", func(c echo.Context) error {
		page, err := svc.List(c.Request().Context(), a.memo, resource.ListQuery{})
		if err != nil {
			return err
		}
		return rest.JSON(c, http.StatusOK, page)
	})
}

// TestAuthWiring checks what the server adds for an AuthApp: the users
// subcommand makes the first user, /api/auth/login issues a token, the
// middleware turns it into the principal the rules see, and bad tokens
// are 401s that name the Bearer scheme.
func TestAuthWiring(t *testing.T) {
	app := newAuthApp()
	cfg := Config{DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "auth.db"), Logger: slog.New(slog.DiscardHandler)}

	var out, errOut bytes.Buffer
	code := runUsers(context.Background(), cfg.withDefaults(), app, []string{"create", "ann@example.com", "--role", "editor"},
		strings.NewReader("correct horse battery\n"), &out, &errOut)
	if code != ExitOK {
		t.Fatalf("users create = %d: %s %s", code, &out, &errOut)
	}
	code = runUsers(context.Background(), cfg.withDefaults(), app, []string{"create", "bo@example.com", "--role", "viewer"},
		strings.NewReader("another long password\n"), &out, &errOut)
	if code != ExitOK {
		t.Fatalf("users create = %d: %s %s", code, &out, &errOut)
	}

	srv, err := New(cfg, app)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	call := func(method, path, token string, body any) (*http.Response, map[string]any) {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, ts.URL+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp, m
	}
	login := func(email, password string) string {
		t.Helper()
		resp, m := call("POST", "/api/auth/login", "", map[string]string{"email": email, "password": password})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login %s: %d %v", email, resp.StatusCode, m)
		}
		return m["access_token"].(string)
	}
	ann, bo := login("ann@example.com", "correct horse battery"), login("BO@example.com", "another long password")

	if resp, m := call("GET", "/api/auth/me", ann, nil); resp.StatusCode != 200 || m["email"] != "ann@example.com" {
		t.Fatalf("me: %d %v", resp.StatusCode, m)
	}
	resp, _ := call("POST", "/api/memos", "", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("anonymous create: %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, m := call("POST", "/api/memos", bo, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("bo creates: %d %v", resp.StatusCode, m)
	}
	// Bo sees his memo, Ann (editor) every memo; a bad token is a 401.
	for _, tc := range []struct {
		token string
		want  int
	}{{bo, 1}, {ann, 1}} {
		resp, m := call("GET", "/api/memos", tc.token, nil)
		if resp.StatusCode != 200 || len(m["items"].([]any)) != tc.want {
			t.Fatalf("list: %d %v", resp.StatusCode, m)
		}
	}
	resp, m := call("GET", "/api/memos", ann[:len(ann)-2]+"xx", nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("tampered token: %d %v %q", resp.StatusCode, m, resp.Header.Get("WWW-Authenticate"))
	}
	// The users subcommand refuses an app without auth.
	if code := runUsers(context.Background(), cfg.withDefaults(), newTestApp(), []string{"list"}, nil, &out, &errOut); code != ExitUsage {
		t.Fatalf("users on an app without auth = %d", code)
	}
}
