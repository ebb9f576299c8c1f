package gql

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// complexityLimit is gqlgen's extension.FixedComplexityLimit (the same
// computation, statistics, error and code) that remembers the complexity
// of the operations it computed. The complexity of an operation is a
// function of the operation and its variables only (the schema's
// complexity functions read the field arguments, nothing else), and
// computing it walks every field of the operation and parses the
// arguments of each: for a list query, a tenth of what the fast path of
// queries costs besides the storage. An operation whose variables are
// all scalars (or absent) is looked up by the operation and their
// values; one with input objects or lists among its variables is
// computed every time.
type complexityLimit struct {
	limit int
	es    graphql.ExecutableSchema

	known docCache[complexityKey, int]
}

// complexityKey identifies an operation of a cached document and the
// values of its variables.
type complexityKey struct {
	op   *ast.OperationDefinition
	vars string
}

var _ interface {
	graphql.OperationContextMutator
	graphql.HandlerExtension
} = &complexityLimit{}

// ExtensionName implements graphql.HandlerExtension; the name is
// gqlgen's, so that extension.GetComplexityStats finds the statistics.
func (*complexityLimit) ExtensionName() string { return "ComplexityLimit" }

// Validate implements graphql.HandlerExtension.
func (c *complexityLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (c *complexityLimit) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	op := opCtx.Doc.Operations.ForName(opCtx.OperationName)
	cost := c.complexity(ctx, op, opCtx.Variables)
	opCtx.Stats.SetExtension(c.ExtensionName(), &extension.ComplexityStats{Complexity: cost, ComplexityLimit: c.limit})
	if cost > c.limit {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", cost, c.limit)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
	}
	return nil
}

// complexity returns the complexity of op with vars, remembered or
// computed.
func (c *complexityLimit) complexity(ctx context.Context, op *ast.OperationDefinition, vars map[string]any) int {
	key, ok := complexityKeyOf(op, vars)
	if !ok {
		return complexity.Calculate(ctx, c.es, op, vars)
	}
	if cost, found := c.known.get(key); found {
		return cost
	}
	cost := complexity.Calculate(ctx, c.es, op, vars)
	c.known.add(key, cost)
	return cost
}

// complexityKeyOf returns the key of op with vars, or false when a
// variable's value is not a scalar. Each defined variable's value is
// written in the order of the definitions as a kind, a length and the
// value's text, so that distinct values have distinct keys.
func complexityKeyOf(op *ast.OperationDefinition, vars map[string]any) (complexityKey, bool) {
	if op == nil {
		return complexityKey{}, false
	}
	if len(op.VariableDefinitions) == 0 {
		return complexityKey{op: op}, true
	}
	var b []byte
	for _, def := range op.VariableDefinitions {
		v, set := vars[def.Variable]
		var kind byte
		var text string
		switch v := v.(type) {
		case nil:
			kind = 'u'
			if set {
				kind = 'n'
			}
		case string:
			kind, text = 's', v
		case bool:
			kind, text = 'b', strconv.FormatBool(v)
		case json.Number:
			kind, text = 'j', string(v)
		case int:
			kind, text = 'i', strconv.Itoa(v)
		case int64:
			kind, text = 'i', strconv.FormatInt(v, 10)
		case float64:
			kind, text = 'f', strconv.FormatFloat(v, 'g', -1, 64)
		default:
			return complexityKey{}, false
		}
		b = append(b, kind)
		b = strconv.AppendInt(b, int64(len(text)), 10)
		b = append(b, ':')
		b = append(b, text...)
	}
	return complexityKey{op: op, vars: string(b)}, true
}
