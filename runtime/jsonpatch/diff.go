package jsonpatch

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Diff returns a JSON Patch that turns from into to: Apply(from, patch)
// is semantically equal to to.
//
// The patch is deterministic and small, though not always minimal:
// objects are compared member by member in sorted key order (remove for
// members only in from, add for members only in to); arrays element by
// element by index, with adds or removes at the tail (removes from the
// last element backwards, so every index stays valid); values of different
// types, and differing scalars, are replaced whole. Equal documents give
// an empty, non-nil patch. Diff never emits move, copy or test.
func Diff(from, to json.RawMessage) ([]Operation, error) {
	a, err := decode(from)
	if err != nil {
		return nil, fmt.Errorf("jsonpatch: invalid from document: %w", err)
	}
	b, err := decode(to)
	if err != nil {
		return nil, fmt.Errorf("jsonpatch: invalid to document: %w", err)
	}
	d := differ{ops: []Operation{}}
	if err := d.diff("", a, b); err != nil {
		return nil, err
	}
	return d.ops, nil
}

// differ accumulates the operations of one Diff.
type differ struct {
	ops []Operation
}

func (d *differ) diff(path string, a, b any) error {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			return d.diffObjects(path, a, b)
		}
	case []any:
		if b, ok := b.([]any); ok {
			return d.diffArrays(path, a, b)
		}
	}
	if equal(a, b) {
		return nil
	}
	return d.emit(OpReplace, path, b)
}

func (d *differ) diffObjects(path string, a, b map[string]any) error {
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := path + "/" + escapeToken(k)
		av, inA := a[k]
		bv, inB := b[k]
		var err error
		switch {
		case !inB:
			err = d.emit(OpRemove, p, nil)
		case !inA:
			err = d.emit(OpAdd, p, bv)
		default:
			err = d.diff(p, av, bv)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *differ) diffArrays(path string, a, b []any) error {
	common := min(len(a), len(b))
	for i := range common {
		if err := d.diff(path+"/"+strconv.Itoa(i), a[i], b[i]); err != nil {
			return err
		}
	}
	for i := len(a) - 1; i >= common; i-- {
		if err := d.emit(OpRemove, path+"/"+strconv.Itoa(i), nil); err != nil {
			return err
		}
	}
	for i := common; i < len(b); i++ {
		if err := d.emit(OpAdd, path+"/"+strconv.Itoa(i), b[i]); err != nil {
			return err
		}
	}
	return nil
}

// emit appends an operation; value is encoded for add and replace.
func (d *differ) emit(op, path string, value any) error {
	o := Operation{Op: op, Path: path}
	if op != OpRemove {
		raw, err := encode(value)
		if err != nil {
			return fmt.Errorf("jsonpatch: encoding value at %q: %w", path, err)
		}
		o.Value = raw
	}
	d.ops = append(d.ops, o)
	return nil
}
