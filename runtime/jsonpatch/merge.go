package jsonpatch

import (
	"encoding/json"
	"fmt"
)

// MergePatch applies an RFC 7386 JSON Merge Patch to doc and returns the
// result. Members of patch objects set (recursively merged) or, when null,
// remove members of doc; any non-object patch replaces doc whole.
//
// An invalid patch yields an error wrapping ErrInvalidPatch.
func MergePatch(doc, patch json.RawMessage) (json.RawMessage, error) {
	p, err := decode(patch)
	if err != nil {
		return nil, fmt.Errorf("jsonpatch: %w: %v", ErrInvalidPatch, err)
	}
	d, err := decode(doc)
	if err != nil {
		return nil, fmt.Errorf("jsonpatch: invalid document: %w", err)
	}
	return encode(mergePatch(d, p))
}

// mergePatch is the MergePatch function of RFC 7386 §2.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for name, value := range p {
		if value == nil {
			delete(t, name)
			continue
		}
		t[name] = mergePatch(t[name], value)
	}
	return t
}
