package migrategen

import (
	"github.com/specstar-go/specstar/generator/model"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Kind returns the storage descriptor of r: the resource.Kind literal the
// generated schema declares (gogen renders this value) and the input of
// the DDL of the migrations, so both describe the same indexes.
//
// Fields lists the indexed, unique and ref fields in spec order, nested
// object fields after their parent, by dotted JSON path. A ref field is
// always indexed; a list field has the type of its elements. A unique
// email field is unique without regard to the case of ASCII letters
// (Fold): CaseX@Example.com and casex@example.com are one address to
// every mail system in use, and its domain part is case-insensitive by
// definition (RFC 5321).
func Kind(r *model.Resource) *resource.Kind {
	k := &resource.Kind{
		Name:          r.Name,
		Table:         r.Table,
		Path:          r.Path,
		SchemaVersion: 1,
		DefaultSort:   r.DefaultSort,
		KeepLast:      r.KeepLast,
		MaxAge:        r.MaxAge,
	}
	for _, f := range r.Fields {
		k.DataFields = append(k.DataFields, f.Name)
	}
	walkFields(r.Fields, func(fd *model.Field) {
		isRef := fd.Type == model.Ref
		if !fd.Index && !fd.Unique && !isRef {
			return
		}
		t, list := fd, false
		if fd.Type == model.List {
			t, list = fd.Elem, true
		}
		f := resource.Field{
			JSON:    fd.Path,
			Type:    StorageType(t.Type),
			List:    list,
			Indexed: fd.Index || isRef,
			Unique:  fd.Unique,
			Fold:    fd.Unique && t.Type == model.Email,
		}
		if isRef {
			f.Ref = &resource.Ref{Kind: fd.Target.Name, OnDelete: onDelete(fd.OnDelete)}
		}
		k.Fields = append(k.Fields, f)
	})
	return k
}

// Kinds returns Kind of every resource of m, in spec order.
func Kinds(m *model.Model) []*resource.Kind {
	out := make([]*resource.Kind, len(m.Resources))
	for i, r := range m.Resources {
		out[i] = Kind(r)
	}
	return out
}

// StorageType maps a spec type to the type backends index it as: string,
// text, email, url, uuid, enum and ref are strings.
func StorageType(t model.Type) resource.FieldType {
	switch t {
	case model.Int:
		return resource.TypeInt
	case model.Float:
		return resource.TypeFloat
	case model.Bool:
		return resource.TypeBool
	case model.DateTime:
		return resource.TypeDateTime
	case model.Date:
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
func walkFields(fields []*model.Field, fn func(*model.Field)) {
	for _, fd := range fields {
		fn(fd)
		if fd.Type == model.Object {
			walkFields(fd.Fields, fn)
		}
	}
}
