package gql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/runtime/resource"
)

// PatchField says how one field of a GraphQL merge patch (the patch
// argument of a patchX mutation) maps to the stored data.
type PatchField struct {
	// JSON is the key of the field in the data ("published_at").
	JSON string
	// Enum maps the GraphQL values of an enum field (or of the elements
	// of a list of enum) to the stored ones: "PUBLISHED" => "published".
	Enum map[string]string
	// Fields are the members of an object field, by GraphQL name.
	Fields PatchFields
}

// PatchFields maps the GraphQL names of the fields of a type to their
// PatchField.
type PatchFields map[string]PatchField

// TranslatePatch turns the merge patch (RFC 7386) of a GraphQL mutation,
// written with the GraphQL names of fields and enum values as the rest of
// the schema is ({"publishedAt": null, "status": "PUBLISHED"}), into the
// merge patch of the stored data ({"published_at": null, "status":
// "published"}). A key that is not a field, or an enum value that is not
// one of the field's, is a VALIDATION_ERROR naming each; null keeps its
// merge-patch meaning (the field is cleared, or takes its default).
func TranslatePatch(patch json.RawMessage, fields PatchFields) (json.RawMessage, error) {
	if len(bytes.TrimSpace(patch)) == 0 || bytes.TrimSpace(patch)[0] != '{' {
		return nil, &resource.Error{
			Code:   resource.CodeBadRequest,
			Detail: "patch must be a JSON object (a JSON merge patch, RFC 7386)",
			Fields: []resource.FieldError{{Field: "patch", Message: "must be a JSON object"}},
		}
	}
	var errs resource.ValidationErrors
	out, err := translateObject(&errs, "", patch, fields)
	if err != nil {
		return nil, resource.Errorf(resource.CodeBadRequest, "patch: %v", err)
	}
	if err := errs.Err(); err != nil {
		e := err.(*resource.Error)
		e.Detail = "the patch is not valid"
		if len(e.Fields) == 1 {
			e.Detail = fmt.Sprintf("patch: %s %s", e.Fields[0].Field, e.Fields[0].Message)
		}
		return nil, e
	}
	return out, nil
}

// translateObject translates the members of one object of a patch.
func translateObject(errs *resource.ValidationErrors, prefix string, raw json.RawMessage, fields PatchFields) (json.RawMessage, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]json.RawMessage, len(members))
	for _, k := range keys {
		v := members[k]
		f, ok := fields[k]
		if !ok {
			names := make([]string, 0, len(fields))
			for n := range fields {
				names = append(names, n)
			}
			slices.Sort(names)
			msg := "is not a field; the fields are " + strings.Join(names, ", ")
			for _, n := range names {
				if fields[n].JSON == k {
					msg = fmt.Sprintf("is not a field: a GraphQL patch names it %s", n)
				}
			}
			errs.Add(prefix+k, msg)
			continue
		}
		null := bytes.Equal(bytes.TrimSpace(v), []byte("null"))
		switch {
		case null:
		case f.Fields != nil && bytes.TrimSpace(v)[0] == '{':
			sub, err := translateObject(errs, prefix+k+".", v, f.Fields)
			if err != nil {
				return nil, err
			}
			v = sub
		case f.Enum != nil:
			t, ok := translateEnum(v, f.Enum)
			if !ok {
				errs.Add(prefix+k, "must be one of "+strings.Join(enumNames(f.Enum), ", "))
				continue
			}
			v = t
		}
		out[f.JSON] = v
	}
	return json.Marshal(out)
}

// translateEnum maps an enum value, or a list of them, to stored values.
func translateEnum(v json.RawMessage, enum map[string]string) (json.RawMessage, bool) {
	var one string
	if json.Unmarshal(v, &one) == nil {
		stored, ok := enum[one]
		if !ok {
			return nil, false
		}
		out, _ := json.Marshal(stored)
		return out, true
	}
	var list []string
	if json.Unmarshal(v, &list) != nil {
		return v, true // not a string: decoding reports its type
	}
	for i, s := range list {
		stored, ok := enum[s]
		if !ok {
			return nil, false
		}
		list[i] = stored
	}
	out, _ := json.Marshal(list)
	return out, true
}

// enumNames returns the GraphQL values of an enum, sorted.
func enumNames(enum map[string]string) []string {
	out := make([]string, 0, len(enum))
	for n := range enum {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
