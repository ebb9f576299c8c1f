package gql

import (
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// fieldNames returns the response names of fields.
func fieldNames(fields []graphql.CollectedField) []string {
	var names []string
	for _, f := range fields {
		names = append(names, f.Alias)
	}
	return names
}

// TestFieldsSharedAcrossResponses checks that the fields of a document
// without directives are collected once for every response, and that a
// document with @skip or @include has them collected per response, by
// its variables.
func TestFieldsSharedAcrossResponses(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { a: Int b: Int c: Int }`})
	encoder := func(query string, vars map[string]any) (*Encoder, ast.SelectionSet) {
		t.Helper()
		doc, errs := gqlparser.LoadQuery(schema, query)
		if errs != nil {
			t.Fatal(errs)
		}
		op := doc.Operations[0]
		opCtx := &graphql.OperationContext{RawQuery: query, Doc: doc, Operation: op, Variables: vars}
		return newEncoder(opCtx), op.SelectionSet
	}

	plain := `query { a b: c ... on Query { c } }`
	e1, sel := encoder(plain, nil)
	first, ok := e1.Fields(sel, "Query")
	if !ok || len(first) != 3 || fieldNames(first)[1] != "b" {
		t.Fatalf("fields = %v, %v", fieldNames(first), ok)
	}
	// Another response to the same parsed document (as the query cache
	// hands it out) gets the same collected fields.
	e2 := newEncoder(&graphql.OperationContext{RawQuery: plain, Doc: e1.opCtx.Doc, Operation: e1.opCtx.Operation})
	second, _ := e2.Fields(sel, "Query")
	if &second[0] != &first[0] {
		t.Error("the fields of a document without directives were collected again")
	}

	skip := `query($s: Boolean!) { a b @skip(if: $s) }`
	e3, sel := encoder(skip, map[string]any{"s": true})
	if fields, _ := e3.Fields(sel, "Query"); len(fields) != 1 {
		t.Errorf("@skip(if: true): fields = %v", fieldNames(fields))
	}
	e4 := newEncoder(&graphql.OperationContext{RawQuery: skip, Doc: e3.opCtx.Doc, Operation: e3.opCtx.Operation,
		Variables: map[string]any{"s": false}})
	if fields, _ := e4.Fields(sel, "Query"); len(fields) != 2 {
		t.Errorf("@skip(if: false) after @skip(if: true): fields = %v", fieldNames(fields))
	}
}
