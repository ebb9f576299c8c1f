package gql

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// pagedSchema is an executable schema whose items field costs its first
// argument times its selection.
type pagedSchema struct {
	schema *ast.Schema
	calls  int
}

func (s *pagedSchema) Schema() *ast.Schema { return s.schema }

func (s *pagedSchema) Complexity(_ context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	s.calls++
	if typeName+"."+field != "Query.items" {
		return 0, false
	}
	first, _ := args["first"].(json.Number).Int64()
	return int(first) * child, true
}

func (s *pagedSchema) Exec(context.Context) graphql.ResponseHandler { return nil }

// TestComplexityLimitRemembers checks that the complexity of an
// operation is computed once per operation and variable values, gives
// gqlgen's figures and error, and is computed again for other values.
func TestComplexityLimitRemembers(t *testing.T) {
	es := &pagedSchema{schema: gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Item { a: Int b: Int }
		input F { x: Int }
		type Query { items(first: Int, f: F): [Item] }`})}
	doc, errs := gqlparser.LoadQuery(es.schema, `query($n: Int, $f: F) { items(first: $n, f: $f) { a b } }`)
	if errs != nil {
		t.Fatal(errs)
	}
	c := &complexityLimit{limit: 100}
	if err := c.Validate(es); err != nil {
		t.Fatal(err)
	}
	run := func(vars map[string]any) (int, string) {
		t.Helper()
		opCtx := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: vars}
		err := c.MutateOperationContext(context.Background(), opCtx)
		stats, _ := opCtx.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats)
		if stats == nil || stats.ComplexityLimit != 100 {
			t.Fatalf("stats = %+v", stats)
		}
		if err != nil {
			return stats.Complexity, err.Message + " " + err.Extensions["code"].(string)
		}
		return stats.Complexity, ""
	}
	n := func(s string) map[string]any { return map[string]any{"n": json.Number(s)} }

	if cost, err := run(n("10")); cost != 20 || err != "" {
		t.Fatalf("first: 10: %d %q", cost, err)
	}
	calls := es.calls
	if cost, err := run(n("10")); cost != 20 || err != "" || es.calls != calls {
		t.Fatalf("first: 10 again: %d %q, %d complexity calls", cost, err, es.calls-calls)
	}
	want := "operation has complexity 200, which exceeds the limit of 100 COMPLEXITY_LIMIT_EXCEEDED"
	for range 2 {
		if cost, err := run(n("100")); cost != 200 || err != want {
			t.Fatalf("first: 100: %d %q", cost, err)
		}
	}
	// Input objects are not remembered: computed every time.
	calls = es.calls
	vars := n("10")
	vars["f"] = map[string]any{"x": json.Number("1")}
	run(vars)
	once := es.calls - calls
	run(vars)
	if es.calls-calls != 2*once || once == 0 {
		t.Errorf("with an input object: %d complexity calls, then %d", once, es.calls-calls-once)
	}
}

// TestComplexityKeyOf checks that distinct variable values have distinct
// keys.
func TestComplexityKeyOf(t *testing.T) {
	op := &ast.OperationDefinition{VariableDefinitions: ast.VariableDefinitionList{{Variable: "a"}, {Variable: "b"}}}
	values := []map[string]any{
		{},
		{"a": nil},
		{"a": "1"},
		{"a": json.Number("1")},
		{"a": true},
		{"a": "1", "b": "2"},
		{"a": "12"},
		{"b": "12"},
		{"a": "1:s"},
		{"a": 1.5},
		{"a": int64(1)},
	}
	seen := map[complexityKey]int{}
	for i, vars := range values {
		key, ok := complexityKeyOf(op, vars)
		if !ok {
			t.Fatalf("%v: no key", vars)
		}
		if j, dup := seen[key]; dup {
			t.Errorf("%v and %v have the same key %q", values[j], vars, key.vars)
		}
		seen[key] = i
	}
	if _, ok := complexityKeyOf(op, map[string]any{"a": []any{"x"}}); ok {
		t.Error("a list has a key")
	}
}

// TestDocumentLimitKnown checks that a document of the query cache is not
// scanned again, and that any other is.
func TestDocumentLimitKnown(t *testing.T) {
	known := graphql.MapCache[*ast.QueryDocument]{}
	l := DocumentLimit{Bytes: 1 << 20, Tokens: 5, Fragments: 10, Selections: 100, Merges: 100, Known: known}
	query := `{ a b c d e f }`
	if err := l.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: query}); err == nil {
		t.Fatal("a document of 8 tokens passed a limit of 5")
	}
	// The cache holds only documents that passed the limits; this one is
	// put there to show that it is not scanned.
	known.Add(context.Background(), query, &ast.QueryDocument{})
	if err := l.MutateOperationParameters(context.Background(), &graphql.RawParams{Query: query}); err != nil {
		t.Fatalf("a cached document was scanned: %v", err)
	}
	long := graphql.RawParams{Query: query + strings.Repeat(" ", 1<<20)}
	known.Add(context.Background(), long.Query, &ast.QueryDocument{})
	if err := l.MutateOperationParameters(context.Background(), &long); err == nil {
		t.Fatal("the byte limit was not checked")
	}
}
