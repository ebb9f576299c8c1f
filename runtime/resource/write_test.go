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
