package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/specstar-go/specstar/runtime/resource"
)

// schemaApp serves one kind, Note, at a given shape.
type schemaApp struct{ kind *resource.Kind }

func (a schemaApp) Schema() *resource.Schema {
	return &resource.Schema{Kinds: []*resource.Kind{a.kind}}
}
func (a schemaApp) Register(*echo.Group, *resource.Service) {}

func noteAt(shape ...resource.ShapeField) schemaApp {
	return schemaApp{&resource.Kind{Name: "Note", Table: "note", Path: "notes", SchemaVersion: 1, Shape: shape}}
}

// TestMigrateSubcommand: `migrate` upgrades the data of a changed spec
// with progress and exits; the server logs every migration it applies.
func TestMigrateSubcommand(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite")
	v1 := noteAt(resource.ShapeField{Name: "text"})
	srv, err := New(Config{DatabaseURL: url, Logger: slog.New(slog.DiscardHandler)}, v1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ids []string
	for _, text := range []string{"a", "b", "c"} {
		env, err := srv.Service().Create(ctx, v1.kind, json.RawMessage(`{"text":"`+text+`"}`), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, env.Meta.ResourceID)
	}
	srv.Close()

	v2 := noteAt(resource.ShapeField{Name: "text"}, resource.ShapeField{Name: "tag", Default: json.RawMessage(`"x"`)})
	var stderr bytes.Buffer
	if code := Main(ctx, []string{"-database-url", url, "migrate"}, v2, &stderr); code != ExitOK {
		t.Fatalf("migrate = %d; stderr:\n%s", code, &stderr)
	}
	for _, want := range []string{"Note: 3 of 3 records (100%)", `"msg":"data migration applied","resource":"Note"`, `adds tag (default \"x\")`, `"changed":3`, "migrated in "} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not contain %q:\n%s", want, &stderr)
		}
	}

	// The next start has nothing to do, and says nothing of it.
	var log bytes.Buffer
	srv, err = New(Config{DatabaseURL: url, Logger: slog.New(slog.NewJSONHandler(&log, nil))}, v2)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if strings.Contains(log.String(), "migration applied") {
		t.Errorf("a second start applied migrations:\n%s", &log)
	}
	env, err := srv.Service().Get(ctx, v2.kind, ids[0], resource.ReadOptions{})
	if err != nil || string(env.Data) != `{"text":"a","tag":"x"}` {
		t.Fatalf("Get = %s, %v", env.Data, err)
	}
}

// TestStartupLogsMigrations: a start that upgrades data logs what it did.
func TestStartupLogsMigrations(t *testing.T) {
	url := "sqlite:" + filepath.Join(t.TempDir(), "db.sqlite")
	v1 := noteAt(resource.ShapeField{Name: "text"})
	srv, err := New(Config{DatabaseURL: url, Logger: slog.New(slog.DiscardHandler)}, v1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Service().Create(context.Background(), v1.kind, json.RawMessage(`{"text":"a"}`), resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	var log bytes.Buffer
	srv, err = New(Config{DatabaseURL: url, Logger: slog.New(slog.NewJSONHandler(&log, nil))}, noteAt(resource.ShapeField{Name: "body", RenamedFrom: []string{"text"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, want := range []string{`"msg":"data migration applied"`, `"what":"renames text to body"`, `"records":1`, `"took":`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log does not contain %q:\n%s", want, &log)
		}
	}
}
