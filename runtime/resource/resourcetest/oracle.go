package resourcetest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// The oracle answers list queries on the fixture's items by brute force,
// written independently of every backend: it walks decoded JSON maps,
// implements SQL's three-valued logic with *bool, and sorts with
// sort.SliceStable.

// oracleRow is one item as the oracle sees it.
type oracleRow struct {
	env  *resource.Envelope
	data map[string]any // decoded data, numbers as float64
}

// searchFields returns the fields the Item kind may filter and sort on,
// built from the kind on the oracle's own (indexed data fields, then the
// meta fields).
func searchFields(k *resource.Kind) []filter.FieldInfo {
	var out []filter.FieldInfo
	for _, f := range k.Fields {
		if f.Indexed {
			out = append(out, filter.FieldInfo{Name: f.JSON, Type: filter.Type(f.Type), List: f.List})
		}
	}
	for _, m := range []struct {
		name string
		t    filter.Type
	}{
		{"resource_id", filter.String}, {"created_time", filter.DateTime}, {"updated_time", filter.DateTime},
		{"created_by", filter.String}, {"updated_by", filter.String},
	} {
		out = append(out, filter.FieldInfo{Name: m.name, Type: m.t, Meta: true})
	}
	return out
}

// oracleValue is a typed field value: ok is false for null.
type oracleValue struct {
	ok  bool
	s   string
	n   float64 // int and float
	b   bool
	t   time.Time
	typ filter.Type
}

// raw returns the decoded JSON at a dotted path, or nil.
func (r *oracleRow) raw(path string) any {
	var v any = r.data
	for _, seg := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

// scalar converts decoded JSON to a typed value.
func scalar(v any, t filter.Type) oracleValue {
	out := oracleValue{typ: t}
	switch t {
	case filter.String, filter.Date:
		out.s, out.ok = v.(string)
	case filter.DateTime:
		if s, ok := v.(string); ok {
			tm, err := time.Parse(time.RFC3339Nano, s)
			out.t, out.ok = tm, err == nil
		}
	case filter.Int, filter.Float:
		out.n, out.ok = v.(float64)
	case filter.Bool:
		out.b, out.ok = v.(bool)
	}
	return out
}

// get returns the value of a scalar field, or the elements of a list
// field (nil list: null).
func (r *oracleRow) get(f filter.FieldInfo) (oracleValue, []oracleValue, bool) {
	if f.Meta {
		m := r.env.Meta
		switch f.Name {
		case "resource_id":
			return oracleValue{ok: true, s: m.ResourceID, typ: f.Type}, nil, false
		case "created_by":
			return oracleValue{ok: true, s: m.CreatedBy, typ: f.Type}, nil, false
		case "updated_by":
			return oracleValue{ok: true, s: m.UpdatedBy, typ: f.Type}, nil, false
		case "created_time":
			return oracleValue{ok: true, t: m.CreatedTime, typ: f.Type}, nil, false
		case "updated_time":
			return oracleValue{ok: true, t: m.UpdatedTime, typ: f.Type}, nil, false
		}
		panic("oracle: unknown meta field " + f.Name)
	}
	v := r.raw(f.Name)
	if !f.List {
		return scalar(v, f.Type), nil, false
	}
	list, ok := v.([]any)
	if !ok {
		return oracleValue{}, nil, true // null list
	}
	elems := make([]oracleValue, 0, len(list))
	for _, e := range list {
		elems = append(elems, scalar(e, f.Type))
	}
	return oracleValue{ok: true}, elems, true
}

// literal converts a checked filter value.
func literal(v filter.Value, t filter.Type) oracleValue {
	out := oracleValue{ok: true, typ: t}
	switch t {
	case filter.String, filter.Date:
		out.s = v.Str
	case filter.DateTime:
		out.t = v.Time
	case filter.Int:
		out.n = float64(v.Int)
	case filter.Float:
		out.n = v.Num
	case filter.Bool:
		out.b = v.Bool
	}
	return out
}

// order compares two non-null values of one type.
func order(a, b oracleValue) int {
	switch a.typ {
	case filter.String, filter.Date:
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	case filter.DateTime:
		return a.t.Compare(b.t)
	case filter.Int, filter.Float:
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	case filter.Bool:
		switch {
		case a.b == b.b:
			return 0
		case b.b:
			return -1
		}
		return 1
	}
	panic("oracle: unknown type " + string(a.typ))
}

// tv returns a *bool: nil is unknown.
func tv(b bool) *bool { return &b }

// foldASCII lower-cases A-Z, the only case folding "~" does.
func foldASCII(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		b.WriteByte(c)
	}
	return b.String()
}

// test applies op to a non-null value and literal.
func test(op filter.Op, v, lit oracleValue) bool {
	switch op {
	case filter.Eq:
		return order(v, lit) == 0
	case filter.Ne:
		return order(v, lit) != 0
	case filter.Gt:
		return order(v, lit) > 0
	case filter.Ge:
		return order(v, lit) >= 0
	case filter.Lt:
		return order(v, lit) < 0
	case filter.Le:
		return order(v, lit) <= 0
	case filter.Contains:
		return strings.Contains(foldASCII(v.s), foldASCII(lit.s))
	case filter.NotContains:
		return !strings.Contains(foldASCII(v.s), foldASCII(lit.s))
	case filter.Prefix:
		return len(v.s) >= len(lit.s) && v.s[:len(lit.s)] == lit.s
	}
	panic("oracle: unknown operator " + string(op))
}

// eval evaluates a checked filter on r; nil is unknown.
func (r *oracleRow) eval(e filter.Expr) *bool {
	switch e := e.(type) {
	case nil:
		return tv(true)
	case *filter.And:
		sawUnknown := false
		for _, t := range e.Terms {
			v := r.eval(t)
			if v == nil {
				sawUnknown = true
			} else if !*v {
				return tv(false)
			}
		}
		if sawUnknown {
			return nil
		}
		return tv(true)
	case *filter.Or:
		sawUnknown := false
		for _, t := range e.Terms {
			v := r.eval(t)
			if v == nil {
				sawUnknown = true
			} else if *v {
				return tv(true)
			}
		}
		if sawUnknown {
			return nil
		}
		return tv(false)
	case *filter.Not:
		v := r.eval(e.X)
		if v == nil {
			return nil
		}
		return tv(!*v)
	case *filter.IsNull:
		v, _, _ := r.get(e.Field.Info)
		return tv(v.ok == e.Not)
	case *filter.Cmp:
		v, elems, list := r.get(e.Field.Info)
		if !v.ok {
			return nil
		}
		lit := literal(e.Value, e.Field.Info.Type)
		if !list {
			return tv(test(e.Op, v, lit))
		}
		for _, el := range elems {
			if el.ok && test(e.Op, el, lit) {
				return tv(true)
			}
		}
		return tv(false)
	case *filter.In:
		v, elems, list := r.get(e.Field.Info)
		if !v.ok {
			return nil
		}
		if !list {
			elems = []oracleValue{v}
		}
		for _, lv := range e.Values {
			lit := literal(lv, e.Field.Info.Type)
			for _, el := range elems {
				if el.ok && order(el, lit) == 0 {
					return tv(true)
				}
			}
		}
		return tv(false)
	}
	panic(fmt.Sprintf("oracle: unknown node %T", e))
}

// oracleQuery is a query the oracle answers.
type oracleQuery struct {
	filter         filter.Expr
	sort           []filter.SortKey // with the resource_id tie-break
	includeDeleted bool
	onlyDeleted    bool
}

// answer returns the ids of the matching rows, in order.
func answer(rows []*oracleRow, q oracleQuery) []string {
	var hits []*oracleRow
	for _, r := range rows {
		deleted := r.env.Meta.IsDeleted
		if (q.onlyDeleted && !deleted) || (!q.onlyDeleted && !q.includeDeleted && deleted) {
			continue
		}
		if v := r.eval(q.filter); v != nil && *v {
			hits = append(hits, r)
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		for _, key := range q.sort {
			a, _, _ := hits[i].get(key.Field)
			b, _, _ := hits[j].get(key.Field)
			var c int
			switch {
			case !a.ok && !b.ok:
				c = 0
			case !a.ok:
				c = -1 // nulls first ascending
			case !b.ok:
				c = 1
			default:
				c = order(a, b)
			}
			if key.Desc {
				c = -c // and so nulls last descending
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	ids := make([]string, len(hits))
	for i, r := range hits {
		ids[i] = r.env.Meta.ResourceID
	}
	return ids
}
