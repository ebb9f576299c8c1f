package jsonpatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Apply applies an RFC 6902 JSON Patch to doc and returns the patched
// document. The patch is applied atomically: on any error doc is not
// modified and no partial result is returned.
//
// Copy operations can double a document each time, so the values they
// copy may total at most max(len(doc)+len(patch), 65536) JSON values;
// a patch that copies more is rejected as invalid.
//
// A malformed patch document yields an error wrapping ErrInvalidPatch. A
// failing operation yields an *OpError naming the operation index and path
// and wrapping ErrInvalidPatch, ErrPathNotFound or ErrTestFailed.
func Apply(doc json.RawMessage, patch []byte) (json.RawMessage, error) {
	ops, err := parsePatch(patch)
	if err != nil {
		return nil, err
	}
	v, err := decode(doc)
	if err != nil {
		return nil, fmt.Errorf("jsonpatch: invalid document: %w", err)
	}
	budget := max(len(doc)+len(patch), minCopyBudget)
	for i, op := range ops {
		v, err = op.apply(v, &budget)
		if err != nil {
			return nil, &OpError{Index: i, Op: op.op, Path: op.path, Err: err}
		}
	}
	return encode(v)
}

// minCopyBudget is the least number of values copy operations may copy.
const minCopyBudget = 1 << 16

// operation is one decoded and validated patch operation.
type operation struct {
	op       string
	path     string
	pathToks []string
	fromToks []string
	value    any
}

// parsePatch decodes and validates the structure of a patch document.
func parsePatch(patch []byte) ([]operation, error) {
	v, err := decode(patch)
	if err != nil {
		return nil, fmt.Errorf("jsonpatch: %w: %v", ErrInvalidPatch, err)
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("jsonpatch: %w: the patch must be a JSON array, not %s", ErrInvalidPatch, typeName(v))
	}
	// The decoded maps have lost duplicate members, which RFC 6902 §4
	// forbids in an operation; look for them in the raw elements.
	var raws []json.RawMessage
	if err := json.Unmarshal(patch, &raws); err != nil {
		return nil, fmt.Errorf("jsonpatch: %w: %v", ErrInvalidPatch, err)
	}
	ops := make([]operation, len(list))
	for i, raw := range list {
		op, err := parseOperation(raw)
		if err == nil {
			err = checkDuplicateMembers(raws[i])
		}
		if err != nil {
			return nil, &OpError{Index: i, Op: op.op, Path: op.path, Err: err}
		}
		ops[i] = op
	}
	return ops, nil
}

// parseOperation validates one element of a patch array. On error the
// returned operation still carries whatever op and path were readable.
func parseOperation(raw any) (operation, error) {
	var op operation
	m, ok := raw.(map[string]any)
	if !ok {
		return op, fmt.Errorf("%w: an operation must be a JSON object, not %s", ErrInvalidPatch, typeName(raw))
	}
	op.op, _ = m["op"].(string)
	op.path, _ = m["path"].(string)
	if err := stringMember(m, "op"); err != nil {
		return op, err
	}
	switch op.op {
	case OpAdd, OpRemove, OpReplace, OpMove, OpCopy, OpTest:
	default:
		return op, fmt.Errorf("%w: unknown op %q", ErrInvalidPatch, op.op)
	}
	if err := stringMember(m, "path"); err != nil {
		return op, err
	}
	var err error
	if op.pathToks, err = parsePointer(op.path); err != nil {
		return op, err
	}
	switch op.op {
	case OpAdd, OpReplace, OpTest:
		value, ok := m["value"]
		if !ok {
			return op, fmt.Errorf("%w: missing member \"value\"", ErrInvalidPatch)
		}
		op.value = value
	case OpMove, OpCopy:
		if err := stringMember(m, "from"); err != nil {
			return op, err
		}
		from := m["from"].(string)
		if op.fromToks, err = parsePointer(from); err != nil {
			return op, err
		}
		if op.op == OpMove && len(op.fromToks) < len(op.pathToks) && slices.Equal(op.fromToks, op.pathToks[:len(op.fromToks)]) {
			return op, fmt.Errorf("%w: cannot move %q into its own child", ErrInvalidPatch, from)
		}
	}
	return op, nil
}

// checkDuplicateMembers reports a member name that occurs twice in the
// JSON object obj (RFC 6902 §4 makes such an operation invalid).
func checkDuplicateMembers(obj json.RawMessage) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // the opening brace
		return fmt.Errorf("%w: %v", ErrInvalidPatch, err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidPatch, err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return fmt.Errorf("%w: member %q appears more than once", ErrInvalidPatch, name)
		}
		seen[name] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidPatch, err)
		}
	}
	return nil
}

// stringMember checks that m has a string member named name.
func stringMember(m map[string]any, name string) error {
	v, ok := m[name]
	if !ok {
		return fmt.Errorf("%w: missing member %q", ErrInvalidPatch, name)
	}
	if _, ok := v.(string); !ok {
		return fmt.Errorf("%w: member %q must be a string, not %s", ErrInvalidPatch, name, typeName(v))
	}
	return nil
}

// apply runs the operation on doc and returns the new document. Containers
// along the path may be modified in place; Apply owns doc. A copy
// subtracts the number of values it copies from *budget.
func (op *operation) apply(doc any, budget *int) (any, error) {
	switch op.op {
	case OpAdd:
		return add(doc, op.pathToks, op.value)
	case OpRemove:
		if len(op.pathToks) == 0 {
			return nil, fmt.Errorf("%w: cannot remove the whole document", ErrInvalidPatch)
		}
		doc, _, err := remove(doc, op.pathToks)
		return doc, err
	case OpReplace:
		if _, err := get(doc, op.pathToks); err != nil {
			return nil, err
		}
		return replace(doc, op.pathToks, op.value)
	case OpMove:
		if slices.Equal(op.fromToks, op.pathToks) {
			_, err := get(doc, op.fromToks)
			return doc, err
		}
		doc, v, err := remove(doc, op.fromToks)
		if err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
		return add(doc, op.pathToks, v)
	case OpCopy:
		v, err := get(doc, op.fromToks)
		if err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
		n := countValues(v, *budget+1)
		if n > *budget {
			return nil, fmt.Errorf("%w: copy operations copy too many values", ErrInvalidPatch)
		}
		*budget -= n
		return add(doc, op.pathToks, deepCopy(v))
	case OpTest:
		v, err := get(doc, op.pathToks)
		if err != nil {
			return nil, err
		}
		if !equal(v, op.value) {
			return nil, fmt.Errorf("%w: the value differs", ErrTestFailed)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("%w: unknown op %q", ErrInvalidPatch, op.op)
}

// get returns the value at the location named by tokens.
func get(doc any, tokens []string) (any, error) {
	for _, t := range tokens {
		child, err := child(doc, t)
		if err != nil {
			return nil, err
		}
		doc = child
	}
	return doc, nil
}

// child returns the member or element t of container.
func child(container any, t string) (any, error) {
	switch c := container.(type) {
	case map[string]any:
		v, ok := c[t]
		if !ok {
			return nil, fmt.Errorf("%w: no member %q", ErrPathNotFound, t)
		}
		return v, nil
	case []any:
		i, err := arrayIndex(t, len(c), false)
		if err != nil {
			return nil, err
		}
		return c[i], nil
	}
	return nil, fmt.Errorf("%w: cannot select %q in a %s", ErrPathNotFound, t, typeName(container))
}

// update replaces the member or element t of container by fn applied to
// it, and returns the (possibly reallocated) container.
func update(container any, tokens []string, fn func(parent any, last string) (any, error)) (any, error) {
	if len(tokens) == 1 {
		return fn(container, tokens[0])
	}
	c, err := child(container, tokens[0])
	if err != nil {
		return nil, err
	}
	c, err = update(c, tokens[1:], fn)
	if err != nil {
		return nil, err
	}
	switch p := container.(type) {
	case map[string]any:
		p[tokens[0]] = c
	case []any:
		i, _ := arrayIndex(tokens[0], len(p), false) // validated by child
		p[i] = c
	}
	return container, nil
}

// add implements the add operation (RFC 6902 §4.1).
func add(doc any, tokens []string, value any) (any, error) {
	if len(tokens) == 0 {
		return value, nil
	}
	return update(doc, tokens, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			p[last] = value
			return p, nil
		case []any:
			i, err := arrayIndex(last, len(p), true)
			if err != nil {
				return nil, err
			}
			return slices.Insert(p, i, value), nil
		}
		return nil, fmt.Errorf("%w: cannot add %q to a %s", ErrPathNotFound, last, typeName(parent))
	})
}

// replace sets the existing location named by tokens to value.
func replace(doc any, tokens []string, value any) (any, error) {
	if len(tokens) == 0 {
		return value, nil
	}
	return update(doc, tokens, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			p[last] = value
		case []any:
			i, err := arrayIndex(last, len(p), false)
			if err != nil {
				return nil, err
			}
			p[i] = value
		}
		return parent, nil
	})
}

// remove implements the remove operation (RFC 6902 §4.2) and also returns
// the removed value. tokens must not be empty.
func remove(doc any, tokens []string) (any, any, error) {
	var removed any
	doc, err := update(doc, tokens, func(parent any, last string) (any, error) {
		switch p := parent.(type) {
		case map[string]any:
			v, ok := p[last]
			if !ok {
				return nil, fmt.Errorf("%w: no member %q", ErrPathNotFound, last)
			}
			removed = v
			delete(p, last)
			return p, nil
		case []any:
			i, err := arrayIndex(last, len(p), false)
			if err != nil {
				return nil, err
			}
			removed = p[i]
			return slices.Delete(p, i, i+1), nil
		}
		return nil, fmt.Errorf("%w: cannot remove %q from a %s", ErrPathNotFound, last, typeName(parent))
	})
	return doc, removed, err
}

// countValues returns the number of JSON values in v (itself included),
// stopping early once the count reaches limit.
func countValues(v any, limit int) int {
	n := 1
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if n >= limit {
				break
			}
			n += countValues(e, limit-n)
		}
	case map[string]any:
		for _, e := range v {
			if n >= limit {
				break
			}
			n += countValues(e, limit-n)
		}
	}
	return n
}
