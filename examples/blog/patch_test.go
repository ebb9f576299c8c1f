package main

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// This file holds a small, independent RFC 6902 applier so that the suite
// checks what a diff means (applying it to one revision gives the other)
// rather than the exact operations the engine chose to emit.

// applyPatch applies a decoded JSON Patch document to a decoded JSON value
// and returns the result; doc is not modified.
func applyPatch(doc any, patch any) (any, error) {
	ops, ok := patch.([]any)
	if !ok {
		return nil, fmt.Errorf("patch is %T, want a JSON array", patch)
	}
	for i, o := range ops {
		op, ok := o.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("operation %d is not an object", i)
		}
		var err error
		if doc, err = applyOp(doc, op); err != nil {
			return nil, fmt.Errorf("operation %d (%v): %w", i, op, err)
		}
	}
	return doc, nil
}

func applyOp(doc any, op map[string]any) (any, error) {
	path, err := pointer(op["path"])
	if err != nil {
		return nil, err
	}
	switch op["op"] {
	case "add":
		return pointerAdd(doc, path, op["value"])
	case "remove":
		return pointerRemove(doc, path)
	case "replace":
		if _, err := pointerGet(doc, path); err != nil {
			return nil, err
		}
		if len(path) == 0 {
			return op["value"], nil
		}
		doc, err := pointerRemove(doc, path)
		if err != nil {
			return nil, err
		}
		return pointerAdd(doc, path, op["value"])
	case "move", "copy":
		from, err := pointer(op["from"])
		if err != nil {
			return nil, err
		}
		v, err := pointerGet(doc, from)
		if err != nil {
			return nil, err
		}
		if op["op"] == "move" {
			if doc, err = pointerRemove(doc, from); err != nil {
				return nil, err
			}
		}
		return pointerAdd(doc, path, v)
	case "test":
		v, err := pointerGet(doc, path)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(v, op["value"]) {
			return nil, fmt.Errorf("test failed: %v != %v", v, op["value"])
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unknown op %v", op["op"])
}

// pointer splits an RFC 6901 JSON Pointer into unescaped reference tokens.
func pointer(v any) ([]string, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("pointer is %T, want a string", v)
	}
	if s == "" {
		return nil, nil
	}
	if !strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("pointer %q does not start with /", s)
	}
	tokens := strings.Split(s[1:], "/")
	for i, tok := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

func pointerGet(doc any, path []string) (any, error) {
	for _, tok := range path {
		switch x := doc.(type) {
		case map[string]any:
			v, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			doc = v
		case []any:
			i, err := index(tok, len(x)-1)
			if err != nil {
				return nil, err
			}
			doc = x[i]
		default:
			return nil, fmt.Errorf("cannot index %T with %q", doc, tok)
		}
	}
	return doc, nil
}

// pointerAdd returns a copy of doc with v added at path.
func pointerAdd(doc any, path []string, v any) (any, error) {
	if len(path) == 0 {
		return v, nil
	}
	tok, rest := path[0], path[1:]
	switch x := doc.(type) {
	case map[string]any:
		out := maps.Clone(x)
		if len(rest) == 0 {
			out[tok] = v
			return out, nil
		}
		child, ok := x[tok]
		if !ok {
			return nil, fmt.Errorf("no member %q", tok)
		}
		nv, err := pointerAdd(child, rest, v)
		if err != nil {
			return nil, err
		}
		out[tok] = nv
		return out, nil
	case []any:
		if len(rest) == 0 {
			i := len(x)
			if tok != "-" {
				var err error
				if i, err = index(tok, len(x)); err != nil {
					return nil, err
				}
			}
			return slices.Insert(slices.Clone(x), i, v), nil
		}
		i, err := index(tok, len(x)-1)
		if err != nil {
			return nil, err
		}
		nv, err := pointerAdd(x[i], rest, v)
		if err != nil {
			return nil, err
		}
		out := slices.Clone(x)
		out[i] = nv
		return out, nil
	}
	return nil, fmt.Errorf("cannot add into %T", doc)
}

// pointerRemove returns a copy of doc without the value at path.
func pointerRemove(doc any, path []string) (any, error) {
	if len(path) == 0 {
		return nil, fmt.Errorf("cannot remove the whole document")
	}
	tok, rest := path[0], path[1:]
	switch x := doc.(type) {
	case map[string]any:
		child, ok := x[tok]
		if !ok {
			return nil, fmt.Errorf("no member %q", tok)
		}
		out := maps.Clone(x)
		if len(rest) == 0 {
			delete(out, tok)
			return out, nil
		}
		nv, err := pointerRemove(child, rest)
		if err != nil {
			return nil, err
		}
		out[tok] = nv
		return out, nil
	case []any:
		i, err := index(tok, len(x)-1)
		if err != nil {
			return nil, err
		}
		if len(rest) == 0 {
			return slices.Delete(slices.Clone(x), i, i+1), nil
		}
		nv, err := pointerRemove(x[i], rest)
		if err != nil {
			return nil, err
		}
		out := slices.Clone(x)
		out[i] = nv
		return out, nil
	}
	return nil, fmt.Errorf("cannot remove from %T", doc)
}

// index parses an array index token in [0, last].
func index(tok string, last int) (int, error) {
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || i > last || (len(tok) > 1 && tok[0] == '0') {
		return 0, fmt.Errorf("bad array index %q", tok)
	}
	return i, nil
}
