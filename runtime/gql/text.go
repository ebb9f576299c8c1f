package gql

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/validate"
)

// Text that would not be stored as sent (docs/rest.md, "Text is stored as
// sent"). gqlgen decodes a POST body with encoding/json, which replaces
// bytes that are not UTF-8 and lone surrogate escapes with U+FFFD, and
// gqlparser writes U+FFFD for every \uD800-\uDFFF escape of a GraphQL
// string, pairs included. Both are refused as BAD_REQUEST before anything
// runs; U+0000 reaches the Service, which refuses it as REST does.

// bodyTextError returns the BAD_REQUEST of a POST body holding text that
// is not Unicode, naming each string by its path in the request
// ("variables.in.name", "query"), or nil.
func bodyTextError(data []byte) *resource.Error {
	if !validate.TextFault(data).Malformed() {
		return nil
	}
	return resource.MalformedText(data)
}

// queryText refuses operations whose GraphQL string literals escape a
// UTF-16 surrogate (\ud800), which gqlparser would decode as U+FFFD.
type queryText struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = queryText{}

// ExtensionName implements graphql.HandlerExtension.
func (queryText) ExtensionName() string { return "QueryText" }

// Validate implements graphql.HandlerExtension.
func (queryText) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters implements graphql.OperationParameterMutator.
func (queryText) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if !surrogateEscape(p.Query) {
		return nil
	}
	return gqlerror.WrapIfUnwrapped(&resource.Error{
		Code: resource.CodeBadRequest,
		Detail: "a string of the query escapes a UTF-16 surrogate (\\uD800-\\uDFFF), which GraphQL cannot decode as sent; " +
			"write the character itself, or pass the value in a variable",
		Fields: []resource.FieldError{{Field: "query", Message: "holds a \\u escape of a UTF-16 surrogate"}},
	})
}

// surrogateEscape reports whether a quoted string of the GraphQL document
// src has a \u escape of a code unit in D800-DFFF. Comments and block
// strings, where backslashes escape nothing, are skipped.
func surrogateEscape(src string) bool {
	for i := 0; i < len(src); i++ {
		switch {
		case src[i] == '#':
			for i < len(src) && src[i] != '\n' && src[i] != '\r' {
				i++
			}
		case hasPrefixAt(src, i, `"""`):
			i += 3
			for i < len(src) && !hasPrefixAt(src, i, `"""`) {
				if hasPrefixAt(src, i, `\"""`) {
					i += 3
				}
				i++
			}
			i += 2
		case src[i] == '"':
			for i++; i < len(src) && src[i] != '"' && src[i] != '\n'; i++ {
				if src[i] != '\\' {
					continue
				}
				if i+5 < len(src) && src[i+1] == 'u' && isSurrogateHex(src[i+2:i+6]) {
					return true
				}
				i++ // the escaped character
			}
		}
	}
	return false
}

// isSurrogateHex reports whether the four hex digits h are D800-DFFF.
func isSurrogateHex(h string) bool {
	return (h[0] == 'd' || h[0] == 'D') && (h[1] >= '8' && h[1] <= '9' || h[1] >= 'a' && h[1] <= 'f' || h[1] >= 'A' && h[1] <= 'F')
}

// hasPrefixAt reports whether src[i:] starts with p.
func hasPrefixAt(src string, i int, p string) bool {
	return len(src)-i >= len(p) && src[i:i+len(p)] == p
}
