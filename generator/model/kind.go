package model

import (
	"encoding/json"
	"time"

	"github.com/specstar-go/specstar/runtime/resource"
)

// Kind returns the descriptor of r: the resource.Kind literal the
// generated schema declares (gogen renders this value), the input of the
// DDL of the migrations (migrategen), so both describe the same indexes,
// and what Build checks the where() filters of rules against
// (resource.FilterFields), so a rule the spec accepts is one the runtime
// accepts.
//
// Fields lists the indexed, unique and ref fields in spec order, nested
// object fields after their parent, by dotted JSON path. A ref field is
// always indexed; a list field has the type of its elements. A unique
// email field is unique without regard to the case of ASCII letters
// (Fold): CaseX@Example.com and casex@example.com are one address to
// every mail system in use, and its domain part is case-insensitive by
// definition (RFC 5321).
func (r *Resource) Kind() *resource.Kind {
	k := &resource.Kind{
		Name:          r.Name,
		Table:         r.Table,
		Path:          r.Path,
		SchemaVersion: max(1, r.SchemaVersion),
		DefaultSort:   r.DefaultSort,
		KeepLast:      r.KeepLast,
		MaxAge:        r.MaxAge,
		Access:        r.access(),
		Internal:      r.Internal,
		Job:           r.Job != nil,
		FormerTables:  r.FormerTables,
		Shape:         shape(r.Fields),
	}
	for _, f := range r.Fields {
		if !f.WriteOnly { // never stored, so never projected (fields=)
			k.DataFields = append(k.DataFields, f.Name)
		}
	}
	walkFields(r.Fields, func(fd *Field) {
		switch {
		case fd.Type == File:
			k.Files = append(k.Files, resource.FileField{Path: fd.Path, MaxSize: fd.MaxSize, Accept: fd.Accept})
		case fd.Type == List && fd.Elem != nil && fd.Elem.Type == File:
			k.Files = append(k.Files, resource.FileField{Path: fd.Path, List: true, MaxSize: fd.MaxSize, Accept: fd.Accept})
		}
	})
	walkFields(r.Fields, func(fd *Field) {
		// A job's payload refs are checked at enqueue (runtime/jobres),
		// not by the Service: deleting a target leaves its jobs alone.
		isRef := fd.Type == Ref && r.Job == nil
		if !fd.Index && !fd.Unique && !isRef {
			return
		}
		t, list := fd, false
		if fd.Type == List {
			t, list = fd.Elem, true
		}
		f := resource.Field{
			JSON:    fd.Path,
			Type:    StorageType(t.Type),
			List:    list,
			Indexed: fd.Index || isRef,
			NoIndex: fd.NoIndex && !isRef,
			Unique:  fd.Unique,
			Fold:    fd.Unique && t.Type == Email,
		}
		if isRef {
			f.Ref = &resource.Ref{OnDelete: onDelete(fd.OnDelete)}
			if fd.Target != nil { // nil only while Build reports why
				f.Ref.Kind = fd.Target.Name
			}
		}
		k.Fields = append(k.Fields, f)
	})
	return k
}

// shape returns the resource.ShapeField of every stored field of a
// resource or object, in spec order: what the runtime brings older data
// to (defaults of added fields, renamed fields, nested objects).
func shape(fields []*Field) []resource.ShapeField {
	out := []resource.ShapeField{}
	for _, f := range fields {
		if f.WriteOnly {
			continue // never stored
		}
		sf := resource.ShapeField{Name: f.Name, RenamedFrom: f.RenamedFrom, Default: f.DefaultJSON()}
		if f.Type == Object {
			sf.Fields = shape(f.Fields)
		}
		out = append(out, sf)
	}
	return out
}

// Kinds returns the Kind of every resource of m, internal ones included,
// in model order.
func (m *Model) Kinds() []*resource.Kind {
	out := make([]*resource.Kind, len(m.Resources))
	for i, r := range m.Resources {
		out[i] = r.Kind()
	}
	return out
}

// access returns the permission rules of r as the runtime takes them:
// the rule of every action, and the field-level rules with the JSON of
// the field's default. nil without rules.
func (r *Resource) access() *resource.Access {
	if r.Rules == nil {
		return nil
	}
	a := &resource.Access{Rules: make(map[resource.Action]string, len(r.Rules))}
	for _, rl := range r.Rules {
		a.Rules[resource.Action(rl.Action)] = rl.Source
	}
	for _, f := range r.Fields {
		if f.Read == "" && f.Write == "" {
			continue
		}
		a.Fields = append(a.Fields, resource.FieldAccess{Field: f.Name, Read: f.Read, Write: f.Write, Default: f.DefaultJSON()})
	}
	return a
}

// DefaultJSON returns the JSON of f's default as the generated code
// stores it (a datetime in UTC), or nil when f has none.
func (f *Field) DefaultJSON() []byte {
	if f.Default == nil {
		return nil
	}
	v := f.Default
	if f.Type == DateTime {
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				v = t.UTC()
			}
		}
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil // defaults are strings, numbers, booleans and lists of them
	}
	return out
}

// StorageType maps a spec type to the type backends index it as: string,
// text, email, url, uuid, enum and ref are strings.
func StorageType(t Type) resource.FieldType {
	switch t {
	case Int:
		return resource.TypeInt
	case Float:
		return resource.TypeFloat
	case Bool:
		return resource.TypeBool
	case DateTime:
		return resource.TypeDateTime
	case Date:
		return resource.TypeDate
	}
	return resource.TypeString
}

func onDelete(s string) resource.OnDelete {
	switch s {
	case "cascade":
		return resource.Cascade
	case "set_null":
		return resource.SetNull
	}
	return resource.Restrict
}

// walkFields calls fn for every field, depth first, nested object fields
// after their parent.
func walkFields(fields []*Field, fn func(*Field)) {
	for _, fd := range fields {
		fn(fd)
		if fd.Type == Object {
			walkFields(fd.Fields, fn)
		}
	}
}
