package gql

import (
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
)

// scan runs the scanner without limits that stop it.
func scan(t *testing.T, query string) (*scanner, docCost) {
	t.Helper()
	lim := docLimits{tokens: 1 << 30, fragments: 1 << 20, selections: 1 << 20, merges: 1 << 40}
	s := &scanner{lex: newLexer(query), limit: lim.tokens}
	s.advance()
	s.document()
	c, lerr := s.cost(lim)
	if lerr != nil {
		t.Fatalf("cost: %s", lerr.msg)
	}
	return s, c
}

func TestScanDocumentCounts(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  docCost
	}{
		{name: "flat", query: `{ a b }`, want: docCost{tokens: 4, expanded: 2, merges: 1}},
		{name: "comments are not tokens", query: "# hi\n{ a # there\n b }", want: docCost{tokens: 4, expanded: 2, merges: 1}},
		{name: "same name", query: `{ a a a }`, want: docCost{tokens: 5, expanded: 3, merges: 3 + 3}},
		{name: "aliases are response names", query: `{ x: a y: a a }`, want: docCost{tokens: 9, expanded: 3, merges: 3}},
		{name: "alias collides", query: `{ a: b a }`, want: docCost{tokens: 6, expanded: 2, merges: 1 + 1}},
		{name: "subselections", query: `{ p { x y } p { x } }`, want: docCost{tokens: 11, expanded: 5, merges: 1 + 3 + 1 + 1 + 1}},
		{name: "arguments and directives are skipped", query: `query Q($v: [Int!] = [1, 2] @d) @o { a(x: {y: [1, {z: "}"}]}) @skip(if: $v) { b } }`,
			want: docCost{tokens: 50, expanded: 2}},
		{name: "inline fragments merge into their set", query: `{ a ... on T { a } ... @include(if: true) { a } }`,
			want: docCost{tokens: 20, expanded: 5, merges: 10 + 10}},
		{name: "fragment counted at each spread", query: `{ ...F ...F } fragment F on T { a }`,
			want: docCost{tokens: 13, fragments: 1, expanded: 2 + 3, merges: 3 + 3 + 2 + 1}},
		{name: "fragments of fragments", query: `{ ...F } fragment F on T { ...G ...G } fragment G on T { a }`,
			want: docCost{tokens: 21, fragments: 2, expanded: 1 + 2*2 + 5, merges: 10 + 4 + 5 + 2}},
		{name: "keywords as field names", query: `{ query fragment on subscription }`, want: docCost{tokens: 6, expanded: 4, merges: 6}},
		{name: "several operations", query: `query A { a } mutation B { a } subscription C { a }`, want: docCost{tokens: 15, expanded: 3, merges: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parser.ParseQuery(&ast.Source{Input: tt.query}); err != nil {
				t.Fatalf("not a valid document: %v", err)
			}
			s, got := scan(t, tt.query)
			if s.bad {
				t.Errorf("the scanner stopped on a valid document")
			}
			if got != tt.want {
				t.Errorf("cost %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestScanDocumentReadsValidDocuments checks that the scanner follows the
// grammar of real documents to their end: a document it gave up on would
// escape the limits after that point.
func TestScanDocumentReadsValidDocuments(t *testing.T) {
	s, c := scan(t, introspection.Query)
	if s.bad || s.next.Kind != lexer.EOF {
		t.Fatalf("the scanner stopped early on the introspection query")
	}
	lim := docLimits{tokens: DefaultMaxTokens, fragments: DefaultMaxFragments, selections: DefaultMaxSelections, merges: DefaultMaxMerges}
	if e := scanDocument(introspection.Query, lim); e != nil {
		t.Fatalf("introspection query refused: %s", e.msg)
	}
	t.Logf("introspection query: %+v", c)
}

func TestScanDocumentLimits(t *testing.T) {
	lim := docLimits{tokens: 100, fragments: 3, selections: 20, merges: 10}
	tests := []struct {
		name       string
		query      string
		wantReason string
		wantMsg    string
	}{
		{name: "under every limit", query: `{ a b c { d } } fragment F on T { a } fragment G on T { b }`},
		{name: "tokens", query: "{" + strings.Repeat(" a: b", 40) + "}", wantReason: codeTokenLimit, wantMsg: "more than 100 tokens"},
		{name: "fragments", query: `{ a } fragment A on T { a } fragment B on T { a } fragment C on T { a } fragment D on T { a }`,
			wantReason: codeFragmentLimit, wantMsg: "defines 4 fragments, which exceeds the limit of 3"},
		{name: "selections", query: "{" + strings.Repeat(" a", 21) + "}", wantReason: codeSelectionLimit, wantMsg: "more than 20 selections"},
		{name: "selections through spreads", query: `{ ...F ...F ...F ...F } fragment F on T { a b c d }`,
			wantReason: codeSelectionLimit},
		{name: "spreads of spreads multiply", query: `{ ...A } fragment A on T { ...B ...B ...B } fragment B on T { x y z }`,
			wantReason: codeSelectionLimit},
		{name: "merges", query: `{ a a a a a a }`, wantReason: codeMergeLimit, wantMsg: "takes more than 10 comparisons, the limit"},
		{name: "merges of subselections", query: `{ a { b c d e f } a { b c d e f } }`, wantReason: codeMergeLimit},
		{name: "spread pairs", query: `{ ...F ...F ...F ...F ...F } fragment F on T { x }`, wantReason: codeMergeLimit},
		{name: "merges weighed by inline nesting", query: `{ ... { ... { a a a a } } }`, wantReason: codeMergeLimit},
		{name: "cycle", query: `{ ...A } fragment A on T { ...B } fragment B on T { ...A }`, wantReason: codeFragmentCycle, wantMsg: `spreads itself`},
		{name: "self spread", query: `{ a } fragment A on T { ...A }`, wantReason: codeFragmentCycle},
		{name: "syntax error is the parser's", query: `{ a ( }`},
		{name: "limits hold before a syntax error", query: `{ a a a a a a } ]`, wantReason: codeMergeLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := scanDocument(tt.query, lim)
			if tt.wantReason == "" {
				if e != nil {
					t.Fatalf("refused: %s: %s", e.reason, e.msg)
				}
				return
			}
			if e == nil {
				t.Fatalf("accepted, want %s", tt.wantReason)
			}
			if e.reason != tt.wantReason || !strings.Contains(e.msg, tt.wantMsg) {
				t.Errorf("got %s %q, want %s %q", e.reason, e.msg, tt.wantReason, tt.wantMsg)
			}
		})
	}
}

// FuzzScanDocument checks that the scanner neither panics nor loops on
// any input, and reads every document gqlparser parses to its end.
func FuzzScanDocument(f *testing.F) {
	f.Add(introspection.Query)
	f.Add(`query Q($a: Int = 1) @d { a: b(x: [1, {y: $a}]) @skip(if: true) { ...F ... on T { c } ... { d } } } fragment F on T { e }`)
	f.Add(`{ a a a } ]`)
	f.Fuzz(func(t *testing.T, query string) {
		lim := docLimits{tokens: 1000, fragments: 100, selections: 1000, merges: 100000}
		_ = scanDocument(query, lim)
		if _, err := parser.ParseQuery(&ast.Source{Input: query}); err != nil {
			return
		}
		s := &scanner{lex: newLexer(query), limit: 1 << 30}
		s.advance()
		s.document()
		if s.bad {
			t.Errorf("the scanner stopped on a valid document: %q", query)
		}
	})
}
