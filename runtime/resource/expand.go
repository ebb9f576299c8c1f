package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// expansion is one ref field named by expand=, with the ref fields of its
// target to expand in turn ("post.author").
type expansion struct {
	field  *Field
	target *Kind
	next   []*expansion
}

// maxExpandDepth is how many ref hops expand= may follow.
const maxExpandDepth = 2

// parseExpand validates the expand= paths of a list of k: each is a ref
// field of k, or a ref field of k, a dot and a ref field of its target.
func (s *Service) parseExpand(k *Kind, paths []string, v *view) ([]*expansion, error) {
	var out []*expansion
	for _, path := range paths {
		segs := strings.Split(path, ".")
		if len(segs) > maxExpandDepth {
			return nil, expandError(path, fmt.Sprintf("expands at most %d levels (such as post.author)", maxExpandDepth))
		}
		kind, level := k, &out
		for _, seg := range segs {
			f := kind.Field(seg)
			if kind == k && f != nil && v.isHidden(f.JSON) {
				f = nil
			}
			if f == nil || f.Ref == nil {
				return nil, expandError(path, fmt.Sprintf("%q is not a reference field of %s; %s", seg, noun(kind), refFieldList(kind)))
			}
			target := s.schema.Kind(f.Ref.Kind)
			if target == nil {
				return nil, fmt.Errorf("resource: expand %s.%s: target kind %q is not in the schema", kind.Name, f.JSON, f.Ref.Kind)
			}
			i := slices.IndexFunc(*level, func(e *expansion) bool { return e.field == f })
			if i < 0 {
				*level = append(*level, &expansion{field: f, target: target})
				i = len(*level) - 1
			}
			kind, level = target, &(*level)[i].next
		}
	}
	return out, nil
}

// expandError is the 400 of a bad expand= path.
func expandError(path, msg string) *Error {
	return &Error{
		Code:   CodeBadRequest,
		Detail: fmt.Sprintf("expand=%s: %s", path, msg),
		Fields: []FieldError{{Field: "expand", Message: fmt.Sprintf("%s: %s", path, msg)}},
	}
}

// refFieldList ends an expand error: "reference fields: author, editor".
func refFieldList(k *Kind) string {
	var names []string
	for _, f := range k.Fields {
		if f.Ref != nil {
			names = append(names, f.JSON)
		}
	}
	if len(names) == 0 {
		return noun(k) + " has no reference fields"
	}
	return "reference fields: " + strings.Join(names, ", ")
}

// expand embeds the targets of the ref fields exps in envs (resources of
// one kind): for each field, one GetMany of the targets of every envelope,
// then the next level on the distinct targets found. A single ref embeds
// its target's envelope, or null when the ref is null or its target is
// missing or deleted; a list of refs embeds the list of the targets found,
// in ref order.
//
// Targets the caller may not read embed as missing ones do, and without
// the fields hidden from the caller. (A second-level path names a field
// of the target that the caller's view of it hides: it embeds nothing.)
func (s *Service) expand(ctx context.Context, r Reader, envs []*Envelope, exps []*expansion) error {
	for _, e := range exps {
		tv, readable, err := s.readView(ctx, e.target)
		if err != nil {
			return err
		}
		if !readable {
			tv = open // nothing is loaded
		}
		refs := make([][]string, len(envs))
		var ids []string
		seen := make(map[string]bool)
		for i, env := range envs {
			raw, _, err := Lookup(env.Data, e.field.JSON)
			if err != nil {
				return fmt.Errorf("resource: expand %s: %w", e.field.JSON, err)
			}
			// Stored data was validated on write; a value that is not a
			// ref embeds nothing.
			refs[i], _ = refIDs(raw, e.field.List)
			for _, id := range refs[i] {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
		targets := make(map[string]*Envelope, len(ids))
		var loaded []*Envelope // in first-reference order, for the next level
		if len(ids) > 0 && readable {
			recs, err := r.GetMany(e.target, ids)
			if err != nil {
				return err
			}
			if err := upgradeRecords(e.target, recs); err != nil {
				return err
			}
			for _, id := range ids {
				if rec := recs[id]; rec != nil && !rec.Meta.IsDeleted && tv.admits(rec) {
					env := rec.Envelope()
					targets[id] = env
					loaded = append(loaded, env)
				}
			}
		}
		for i, env := range envs {
			if env.Expand == nil {
				env.Expand = make(map[string]any, len(exps))
			}
			if !e.field.List {
				var target *Envelope
				if len(refs[i]) == 1 {
					target = targets[refs[i][0]]
				}
				env.Expand[e.field.JSON] = target
				continue
			}
			list := make([]*Envelope, 0, len(refs[i]))
			for _, id := range refs[i] {
				if t := targets[id]; t != nil {
					list = append(list, t)
				}
			}
			env.Expand[e.field.JSON] = list
		}
		var next []*expansion
		for _, n := range e.next {
			if !tv.isHidden(n.field.JSON) {
				next = append(next, n)
			}
		}
		if len(next) > 0 && len(loaded) > 0 {
			if err := s.expand(ctx, r, loaded, next); err != nil {
				return err
			}
		}
		for _, env := range loaded {
			if err := tv.strip(env); err != nil {
				return err
			}
		}
	}
	return nil
}

// project returns the data object with only the members named in keep,
// in their order in data. Other bytes are kept as they are.
func project(data json.RawMessage, keep []string) (json.RawMessage, error) {
	out := make([]byte, 0, len(data))
	out = append(out, '{')
	err := eachMember(data, func(key string, raw []byte) {
		if !slices.Contains(keep, key) {
			return
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(key)
		out = append(out, k...)
		out = append(out, ':')
		out = append(out, raw...)
	})
	if err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

// eachMember calls fn with the key and raw value of every member of the
// JSON object obj, in order.
func eachMember(obj []byte, fn func(key string, raw []byte)) error {
	i := skipSpace(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return fmt.Errorf("invalid JSON data: not an object")
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for i < len(obj) && obj[i] == '"' {
		ks, ke, _, err := scanString(obj, i)
		if err != nil {
			return err
		}
		key, ok := jsonString(obj[ks:ke])
		if !ok {
			return fmt.Errorf("invalid JSON data: bad key")
		}
		i = skipSpace(obj, ke)
		if i == len(obj) || obj[i] != ':' {
			break
		}
		vs := skipSpace(obj, i+1)
		ve, err := skipValue(obj, vs)
		if err != nil {
			return err
		}
		fn(key, obj[vs:ve])
		i = skipSpace(obj, ve)
		if i < len(obj) && obj[i] == '}' {
			return nil
		}
		if i == len(obj) || obj[i] != ',' {
			break
		}
		i = skipSpace(obj, i+1)
	}
	return fmt.Errorf("invalid JSON data: malformed object")
}
