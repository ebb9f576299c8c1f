package gql

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/specstar-go/specstar/runtime/resource"
)

// DocumentLimit is a gqlgen extension that refuses a document before
// gqlgen parses and validates it, when validating it could take more than
// a few milliseconds of CPU: gqlparser's validator does work that grows
// with the square of repeated fields and with fragments times their
// spreads, so a 100 KB document can otherwise take seconds. It runs for
// every transport (POST, GET, Server-Sent Events, WebSocket), since
// gqlgen calls it before it looks a document up in its cache, parses or
// validates it; its own cost is linear in the tokens it reads, and it
// reads at most Tokens + 1 of them.
type DocumentLimit struct {
	// Bytes bounds the length of the document (a GET puts it in the URL,
	// outside the body limit).
	Bytes int64
	// Tokens bounds the lexical tokens of the document (punctuation,
	// names, values; comments excepted).
	Tokens int
	// Fragments bounds the fragment definitions.
	Fragments int
	// Selections bounds the fields, inline fragments and spreads, each
	// fragment's counted once per spread of it (and once for itself).
	Selections int
	// Merges bounds the comparisons of same-name fields validation makes
	// (see MaxMerges in Options).
	Merges int
	// Known, when set, is the server's query cache. gqlgen adds a
	// document to it only after the document passed these limits (they
	// run before the document is parsed and validated), so a document
	// found there is not scanned again: a client repeating one query
	// pays for the scan once.
	Known graphql.Cache[*ast.QueryDocument]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = DocumentLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (DocumentLimit) ExtensionName() string { return "DocumentLimit" }

// Validate implements graphql.HandlerExtension.
func (DocumentLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (l DocumentLimit) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if int64(len(params.Query)) > l.Bytes {
		return limitErr(&limitError{codeDocumentSize, fmt.Sprintf("the document is %d bytes long, which exceeds the limit of %d", len(params.Query), l.Bytes)})
	}
	if l.Known != nil {
		if _, ok := l.Known.Get(ctx, params.Query); ok {
			return nil
		}
	}
	lim := docLimits{tokens: l.Tokens, fragments: l.Fragments, selections: l.Selections, merges: l.Merges}
	if e := scanDocument(params.Query, lim); e != nil {
		return limitErr(e)
	}
	return nil
}

// codeDocumentSize is the reason of a document longer than its limit.
const codeDocumentSize = "DOCUMENT_SIZE_EXCEEDED"

// limitErr is the GraphQL error of a refused document.
func limitErr(e *limitError) *gqlerror.Error { return requestError(e.reason, e.msg) }

// requestError is an error refusing a document before execution,
// BAD_REQUEST with reason in extensions.reason. It carries its final
// extensions itself: gqlgen's WebSocket transport sends the errors of
// extensions such as these without passing them through the error
// presenter.
func requestError(reason, msg string) *gqlerror.Error {
	err := gqlerror.Errorf("%s", msg)
	err.Extensions = map[string]any{"code": string(resource.CodeBadRequest), "reason": reason}
	return err
}
