package resource_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

// failCommit is a backend whose write transactions fail at COMMIT with
// err, after fn succeeded, as a backend that queues its writes reports
// their failures (PostgreSQL).
type failCommit struct {
	resource.Backend
	err error
}

func (b failCommit) Update(ctx context.Context, fn func(resource.Writer) error) error {
	return b.Backend.Update(ctx, func(w resource.Writer) error {
		if err := fn(w); err != nil {
			return err
		}
		return b.err
	})
}

// TestWriteErrorsAtCommit checks that a unique violation or a taken id
// that a backend reports at COMMIT becomes the same 409 as one reported
// by the write itself.
func TestWriteErrorsAtCommit(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "unique violation", err: &resource.UniqueViolation{Kind: "Author", Field: "email"},
			want: `email "a@example.com" is already used by another author`},
		{name: "taken id", err: resource.ErrExists, want: "already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kinds := resourcetest.NewKinds()
			b := memory.New()
			if err := b.Migrate(context.Background(), kinds.Schema); err != nil {
				t.Fatal(err)
			}
			svc := resource.NewService(failCommit{Backend: b, err: tt.err}, kinds.Schema)
			_, err := svc.Create(context.Background(), kinds.Author, json.RawMessage(`{"email":"a@example.com"}`), resource.WriteOptions{})
			var e *resource.Error
			if !errors.As(err, &e) || e.Code != resource.CodeConflict || !strings.Contains(e.Detail, tt.want) {
				t.Fatalf("Create = %v, want a 409 saying %q", err, tt.want)
			}
		})
	}
}

// TestWriteRefusesText checks the one door: whatever path data takes
// (create, update, patch, a hook's rewrite), a string or key holding
// U+0000, which PostgreSQL cannot store, is a 422 naming it, and text
// that is not Unicode a 400, on every backend alike; nothing is written.
func TestWriteRefusesText(t *testing.T) {
	ctx := context.Background()
	kinds := resourcetest.NewKinds()
	b := memory.New()
	if err := b.Migrate(ctx, kinds.Schema); err != nil {
		t.Fatal(err)
	}
	hookData := json.RawMessage(nil)
	svc := resource.NewService(b, kinds.Schema, resource.WithHooks(kinds.Event, resource.Hooks{
		BeforeWrite: func(_ context.Context, w *resource.Write) (json.RawMessage, error) { return hookData, nil },
	}))
	good, err := svc.Create(ctx, kinds.Note, json.RawMessage(`{"a":"ok"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	id := good.Meta.ResourceID
	tests := []struct {
		name   string
		write  func(data json.RawMessage) error
		data   string
		code   resource.Code
		fields []string
	}{
		{name: "create nul", data: `{"a":"x\u0000y"}`, code: resource.CodeValidation, fields: []string{"a"}},
		{name: "create nul in a nested key", data: `{"b":[{"\u0000k":1}]}`, code: resource.CodeValidation, fields: []string{"b[0].\x00k"}},
		{name: "create invalid utf-8", data: "{\"a\":\"\xff\",\"b\":\"\\u0000\"}", code: resource.CodeBadRequest, fields: []string{"a"}},
		{name: "create lone surrogate", data: `{"c":{"d":"\udc00"}}`, code: resource.CodeBadRequest, fields: []string{"c.d"}},
		{name: "update nul", data: `{"a":"\u0000"}`, code: resource.CodeValidation, fields: []string{"a"},
			write: func(data json.RawMessage) error {
				_, err := svc.Update(ctx, kinds.Note, id, data, resource.WriteOptions{})
				return err
			}},
		{name: "patch nul", data: `{"a":"ok","z":"\u0000"}`, code: resource.CodeValidation, fields: []string{"z"},
			write: func(data json.RawMessage) error {
				_, err := svc.Patch(ctx, kinds.Note, id, func(json.RawMessage) (json.RawMessage, error) { return data, nil }, resource.WriteOptions{})
				return err
			}},
		{name: "hook rewrite nul", data: `{"h":"\u0000"}`, code: resource.CodeValidation, fields: []string{"h"},
			write: func(data json.RawMessage) error {
				hookData = data
				_, err := svc.Create(ctx, kinds.Event, json.RawMessage(`{"h":"fine"}`), resource.WriteOptions{})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write := tt.write
			if write == nil {
				write = func(data json.RawMessage) error {
					_, err := svc.Create(ctx, kinds.Note, data, resource.WriteOptions{})
					return err
				}
			}
			err := write(json.RawMessage(tt.data))
			var e *resource.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("write = %v, want %s", err, tt.code)
			}
			var fields []string
			for _, f := range e.Fields {
				fields = append(fields, f.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("fields %q, want %q (%+v)", fields, tt.fields, e.Fields)
			}
		})
	}
	for _, k := range []*resource.Kind{kinds.Note, kinds.Event} {
		page, err := svc.List(ctx, k, resource.ListQuery{})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if k == kinds.Note {
			want = 1
		}
		if len(page.Items) != want {
			t.Errorf("%s: %d resources after the refused writes, want %d", k.Name, len(page.Items), want)
		}
	}
	env, err := svc.Get(ctx, kinds.Note, id, resource.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(env.Data) != `{"a":"ok"}` || env.Meta.TotalRevisionCount != 1 {
		t.Errorf("the resource changed: %s, %d revisions", env.Data, env.Meta.TotalRevisionCount)
	}
}
