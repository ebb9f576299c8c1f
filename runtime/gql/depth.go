package gql

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeDepthLimit is the reason of a depth limit error (its code is
// BAD_REQUEST).
const codeDepthLimit = "DEPTH_LIMIT_EXCEEDED"

// DepthLimit is a gqlgen extension that refuses operations whose
// selections nest deeper than Max. Fragments count at the depth where
// they are spread; introspection fields (__schema, __type) do not count,
// so that GraphiQL's introspection query always works.
type DepthLimit struct {
	Max int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = DepthLimit{}

// ExtensionName implements graphql.HandlerExtension.
func (DepthLimit) ExtensionName() string { return "DepthLimit" }

// Validate implements graphql.HandlerExtension.
func (DepthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (d DepthLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	depth := selectionDepth(opCtx.Operation.SelectionSet, opCtx.Doc.Fragments, map[string]bool{})
	if depth <= d.Max {
		return nil
	}
	return requestError(codeDepthLimit, fmt.Sprintf("operation has depth %d, which exceeds the limit of %d", depth, d.Max))
}

// selectionDepth returns how deep set nests. active holds the fragments
// being expanded on the current path; validation has already refused
// fragment cycles, the check only makes termination obvious.
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, active map[string]bool) int {
	depth := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") && s.Name != "__typename" {
				continue
			}
			depth = max(depth, 1+selectionDepth(s.SelectionSet, frags, active))
		case *ast.InlineFragment:
			depth = max(depth, selectionDepth(s.SelectionSet, frags, active))
		case *ast.FragmentSpread:
			def := frags.ForName(s.Name)
			if def == nil || active[s.Name] {
				continue
			}
			active[s.Name] = true
			depth = max(depth, selectionDepth(def.SelectionSet, frags, active))
			delete(active, s.Name)
		}
	}
	return depth
}
