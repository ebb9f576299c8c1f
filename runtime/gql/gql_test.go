package gql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/memory"
)

func TestErrorPresenter(t *testing.T) {
	validation := &resource.Error{Code: resource.CodeValidation, Detail: "the request body is not valid",
		Fields: []resource.FieldError{{Field: "title", Message: "is required"}}}
	parseErr := gqlerror.Errorf("Unexpected <EOF>")
	errcode.Set(parseErr, errcode.ParseFailed)
	tests := []struct {
		name       string
		err        error
		wantMsg    string
		wantCode   string
		wantReason string
		wantFields bool
	}{
		{name: "engine error", err: resource.Errorf(resource.CodeNotFound, "post %q not found", "x"), wantMsg: `post "x" not found`, wantCode: "NOT_FOUND"},
		{name: "wrapped by gqlgen", err: gqlerror.WrapPath(ast.Path{ast.PathName("post")}, resource.Errorf(resource.CodeGone, "gone")), wantMsg: "gone", wantCode: "GONE"},
		{name: "field errors", err: validation, wantMsg: "the request body is not valid", wantCode: "VALIDATION_ERROR", wantFields: true},
		{name: "internal", err: Wrap(errors.New("disk on fire at /var/lib/x")), wantMsg: "internal server error", wantCode: "INTERNAL"},
		{name: "engine 5xx", err: resource.Errorf(resource.CodeInternal, "secret"), wantMsg: "internal server error", wantCode: "INTERNAL"},
		{name: "parse error", err: parseErr, wantMsg: "Unexpected <EOF>", wantCode: "BAD_REQUEST", wantReason: "GRAPHQL_PARSE_FAILED"},
		{name: "coercion error", err: errors.New("time: cannot parse"), wantMsg: "time: cannot parse", wantCode: "BAD_REQUEST"},
	}
	present := ErrorPresenter(slog.New(slog.DiscardHandler))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := present(context.Background(), tt.err)
			if got.Message != tt.wantMsg {
				t.Errorf("message %q, want %q", got.Message, tt.wantMsg)
			}
			if got.Extensions["code"] != tt.wantCode {
				t.Errorf("code %v, want %s", got.Extensions["code"], tt.wantCode)
			}
			if tt.wantReason != "" && got.Extensions["reason"] != tt.wantReason {
				t.Errorf("reason %v, want %s", got.Extensions["reason"], tt.wantReason)
			}
			if _, ok := got.Extensions["errors"]; ok != tt.wantFields {
				t.Errorf("extensions.errors present: %v, want %v", ok, tt.wantFields)
			}
		})
	}
}

func TestRecoverFuncHidesThePanic(t *testing.T) {
	err := RecoverFunc(slog.New(slog.DiscardHandler))(context.Background(), "boom")
	got := ErrorPresenter(slog.New(slog.DiscardHandler))(context.Background(), err)
	if got.Message != "internal server error" || got.Extensions["code"] != "INTERNAL" {
		t.Fatalf("presented panic: %+v", got)
	}
}

func TestSelectionDepth(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  int
	}{
		{name: "flat", query: `{ a b }`, want: 1},
		{name: "nested", query: `{ a { b { c } } d }`, want: 3},
		{name: "fragment spread", query: `{ a { ...F } } fragment F on T { b { c } }`, want: 3},
		{name: "inline fragment", query: `{ a { ... on T { b } } }`, want: 2},
		{name: "introspection does not count", query: `{ __schema { types { fields { type { ofType { name } } } } } a }`, want: 1},
		{name: "typename counts", query: `{ a { __typename } }`, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tt.query})
			if err != nil {
				t.Fatal(err)
			}
			got := selectionDepth(doc.Operations[0].SelectionSet, doc.Fragments, map[string]bool{})
			if got != tt.want {
				t.Errorf("depth %d, want %d", got, tt.want)
			}
		})
	}
}

// countingBackend counts the reads of a backend.
type countingBackend struct {
	resource.Backend
	getMany atomic.Int64
}

func (b *countingBackend) View(ctx context.Context, fn func(resource.Reader) error) error {
	return b.Backend.View(ctx, func(r resource.Reader) error { return fn(countingReader{r, b}) })
}

type countingReader struct {
	resource.Reader
	b *countingBackend
}

func (r countingReader) GetMany(k *resource.Kind, ids []string) (map[string]*resource.Record, error) {
	r.b.getMany.Add(1)
	return r.Reader.GetMany(k, ids)
}

var authors = &resource.Kind{Name: "Author", Table: "author", Path: "authors", SchemaVersion: 1, DataFields: []string{"name"}}

// loaderEnv is a service over a counting memory backend with n authors.
func loaderEnv(t *testing.T, n int) (*resource.Service, *countingBackend, []string) {
	t.Helper()
	ctx := context.Background()
	b := &countingBackend{Backend: memory.New()}
	schema := &resource.Schema{Kinds: []*resource.Kind{authors}}
	if err := b.Migrate(ctx, schema); err != nil {
		t.Fatal(err)
	}
	svc := resource.NewService(b, schema)
	var ids []string
	for i := range n {
		env, err := svc.Create(ctx, authors, json.RawMessage(fmt.Sprintf(`{"name":"a%d"}`, i)), resource.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, env.Meta.ResourceID)
	}
	return svc, b, ids
}

func TestLoaderBatchesConcurrentLoads(t *testing.T) {
	tests := []struct {
		name  string
		prime bool
	}{
		{name: "batched by the wait", prime: false},
		{name: "primed", prime: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The 30 loads are started one by one; on a busy machine
			// that can outlast the 2 ms wait, so the test widens it.
			defer func(w time.Duration) { batchWait = w }(batchWait)
			batchWait = 200 * time.Millisecond
			svc, b, ids := loaderEnv(t, 30)
			ctx := WithLoaders(context.Background(), svc)
			l := LoaderFor(ctx, svc, authors)
			if tt.prime {
				l.Prime(ids...)
			}
			var wg sync.WaitGroup
			errs := make(chan error, len(ids))
			for i, id := range ids {
				wg.Go(func() {
					env, err := l.Load(ctx, id)
					if err == nil && (env == nil || string(env.Data) != fmt.Sprintf(`{"name":"a%d"}`, i)) {
						err = fmt.Errorf("load %s: got %v", id, env)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			if n := b.getMany.Load(); n != 1 {
				t.Errorf("%d GetMany calls, want 1", n)
			}
			if _, err := LoaderFor(ctx, svc, authors).Load(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
			if n := b.getMany.Load(); n != 1 {
				t.Errorf("a cached load read the store: %d GetMany calls", n)
			}
		})
	}
}

func TestLoaderMissingAndDeleted(t *testing.T) {
	svc, _, ids := loaderEnv(t, 1)
	ctx := context.Background()
	if _, err := svc.Delete(ctx, authors, ids[0], resource.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx = WithLoaders(ctx, svc)
	for _, id := range []string{ids[0], "no-such-id", ""} {
		env, err := LoaderFor(ctx, svc, authors).Load(ctx, id)
		if err != nil || env != nil {
			t.Errorf("Load(%q) = %v, %v; want nil, nil", id, env, err)
		}
	}
}

// TestResolverContext checks the field context the fast path gives a
// root field's resolver: gqlgen's executor's for the same field.
func TestResolverContext(t *testing.T) {
	field := graphql.CollectedField{Field: &ast.Field{Name: "items", Alias: "items"}}
	args := map[string]any{"first": 20}
	fc := graphql.GetFieldContext(ResolverContext(context.Background(), "Query", field, args))
	if fc == nil || fc.Object != "Query" || fc.Field.Name != "items" || fc.Args["first"] != 20 || !fc.IsMethod || !fc.IsResolver {
		t.Fatalf("field context = %+v", fc)
	}
}
