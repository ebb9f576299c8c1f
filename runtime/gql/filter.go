package gql

import (
	"strconv"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// Filter inputs. Each GraphQL filter input of a scalar type is one of
// these structs; the generated filter input of a resource holds one per
// filterable field and compiles to a filter.Expr, which Format prints as
// the REST filter parameter. GraphQL and REST lists thus share one
// parser, one checker and one set of errors.
//
// Several operators in one input must all hold: {gt: 1, lt: 5} is
// "x > 1 && x < 5". The operators are those of the filter language:
// eq (=), ne (!=), gt, gte, lt, lte, contains (~, case-insensitive),
// notContains (!~), prefix (^=), in and isNull (is null / is not null).
// On list fields, eq and contains test the elements.

// StringFilter filters a string field (string, text, email, url, uuid).
type StringFilter struct {
	Eq, Ne, Gt, Gte, Lt, Lte, Contains, NotContains, Prefix *string
	In                                                      []string
	IsNull                                                  *bool
}

// Exprs returns the terms of f on field (none for a nil filter).
func (f *StringFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, str, []op[string]{
		{filter.Eq, f.Eq}, {filter.Ne, f.Ne}, {filter.Gt, f.Gt}, {filter.Ge, f.Gte}, {filter.Lt, f.Lt},
		{filter.Le, f.Lte}, {filter.Contains, f.Contains}, {filter.NotContains, f.NotContains}, {filter.Prefix, f.Prefix},
	})
	inList(&b, field, str, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// IDFilter filters an identifier: resourceId and ref fields.
type IDFilter struct {
	Eq, Ne *string
	In     []string
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *IDFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, str, []op[string]{{filter.Eq, f.Eq}, {filter.Ne, f.Ne}})
	inList(&b, field, str, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// IntFilter filters an int field (GraphQL Int64).
type IntFilter struct {
	Eq, Ne, Gt, Gte, Lt, Lte *int64
	In                       []int64
	IsNull                   *bool
}

// Exprs returns the terms of f on field.
func (f *IntFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, intValue, ordered(f.Eq, f.Ne, f.Gt, f.Gte, f.Lt, f.Lte))
	inList(&b, field, intValue, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// FloatFilter filters a float field.
type FloatFilter struct {
	Eq, Ne, Gt, Gte, Lt, Lte *float64
	In                       []float64
	IsNull                   *bool
}

// Exprs returns the terms of f on field.
func (f *FloatFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, floatValue, ordered(f.Eq, f.Ne, f.Gt, f.Gte, f.Lt, f.Lte))
	inList(&b, field, floatValue, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// BooleanFilter filters a bool field.
type BooleanFilter struct {
	Eq, Ne *bool
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *BooleanFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, boolValue, []op[bool]{{filter.Eq, f.Eq}, {filter.Ne, f.Ne}})
	addIsNull(&b, field, f.IsNull)
	return b
}

// TimeFilter filters a datetime field (and createdTime, updatedTime).
type TimeFilter struct {
	Eq, Ne, Gt, Gte, Lt, Lte *time.Time
	In                       []time.Time
	IsNull                   *bool
}

// Exprs returns the terms of f on field.
func (f *TimeFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, timeValue, ordered(f.Eq, f.Ne, f.Gt, f.Gte, f.Lt, f.Lte))
	inList(&b, field, timeValue, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// DateFilter filters a date field (YYYY-MM-DD strings).
type DateFilter struct {
	Eq, Ne, Gt, Gte, Lt, Lte *string
	In                       []string
	IsNull                   *bool
}

// Exprs returns the terms of f on field.
func (f *DateFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, str, ordered(f.Eq, f.Ne, f.Gt, f.Gte, f.Lt, f.Lte))
	inList(&b, field, str, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// StringListFilter filters a list of strings: eq holds when an element
// equals the value, contains when an element contains it.
type StringListFilter struct {
	Eq, Contains *string
	In           []string
	IsNull       *bool
}

// Exprs returns the terms of f on field.
func (f *StringListFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, str, []op[string]{{filter.Eq, f.Eq}, {filter.Contains, f.Contains}})
	inList(&b, field, str, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// IntListFilter filters a list of ints: eq holds when an element equals
// the value.
type IntListFilter struct {
	Eq     *int64
	In     []int64
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *IntListFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, intValue, []op[int64]{{filter.Eq, f.Eq}})
	inList(&b, field, intValue, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// FloatListFilter filters a list of floats.
type FloatListFilter struct {
	Eq     *float64
	In     []float64
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *FloatListFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, floatValue, []op[float64]{{filter.Eq, f.Eq}})
	inList(&b, field, floatValue, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// BooleanListFilter filters a list of bools.
type BooleanListFilter struct {
	Eq     *bool
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *BooleanListFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, boolValue, []op[bool]{{filter.Eq, f.Eq}})
	addIsNull(&b, field, f.IsNull)
	return b
}

// TimeListFilter filters a list of datetimes.
type TimeListFilter struct {
	Eq     *time.Time
	In     []time.Time
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *TimeListFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, timeValue, []op[time.Time]{{filter.Eq, f.Eq}})
	inList(&b, field, timeValue, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// DateListFilter filters a list of dates.
type DateListFilter struct {
	Eq     *string
	In     []string
	IsNull *bool
}

// Exprs returns the terms of f on field.
func (f *DateListFilter) Exprs(field string) []filter.Expr {
	if f == nil {
		return nil
	}
	var b []filter.Expr
	cmps(&b, field, str, []op[string]{{filter.Eq, f.Eq}})
	inList(&b, field, str, f.In)
	addIsNull(&b, field, f.IsNull)
	return b
}

// EnumExprs returns the terms of an enum filter input (generated per
// enum, with its Go type): eq and ne compare, in tests membership, isNull
// tests presence.
func EnumExprs[T ~string](field string, eq, ne *T, in []T, isNull *bool) []filter.Expr {
	var b []filter.Expr
	cmps(&b, field, enumValue[T], []op[T]{{filter.Eq, eq}, {filter.Ne, ne}})
	inList(&b, field, enumValue[T], in)
	addIsNull(&b, field, isNull)
	return b
}

// EnumListExprs returns the terms of a filter input on a list of enums:
// eq holds when an element equals the value.
func EnumListExprs[T ~string](field string, eq *T, in []T, isNull *bool) []filter.Expr {
	var b []filter.Expr
	cmps(&b, field, enumValue[T], []op[T]{{filter.Eq, eq}})
	inList(&b, field, enumValue[T], in)
	addIsNull(&b, field, isNull)
	return b
}

// And is the conjunction of terms; nil terms (no condition) are skipped,
// and no terms at all is nil (every resource matches).
func And(terms ...filter.Expr) filter.Expr {
	var keep []filter.Expr
	for _, t := range terms {
		if t != nil {
			keep = append(keep, t)
		}
	}
	switch len(keep) {
	case 0:
		return nil
	case 1:
		return keep[0]
	}
	return &filter.And{Terms: keep}
}

// Or is the disjunction of terms. A nil term matches everything, and so
// does the disjunction; no terms at all is also nil (an empty "or" list
// adds no condition).
func Or(terms ...filter.Expr) filter.Expr {
	for _, t := range terms {
		if t == nil {
			return nil
		}
	}
	switch len(terms) {
	case 0:
		return nil
	case 1:
		return terms[0]
	}
	return &filter.Or{Terms: terms}
}

// Not negates x. Negating nil (match everything) matches nothing.
func Not(x filter.Expr) filter.Expr {
	if x == nil {
		return &filter.IsNull{Field: filter.Ref{Name: resource.FieldResourceID}}
	}
	return &filter.Not{X: x}
}

// FilterText prints e as the REST filter parameter ("" for nil).
func FilterText(e filter.Expr) string {
	return filter.Format(e)
}

// op is one comparison operator of a filter input and its operand.
type op[T any] struct {
	op filter.Op
	v  *T
}

// ordered lists the six comparison operators of an ordered type.
func ordered[T any](eq, ne, gt, gte, lt, lte *T) []op[T] {
	return []op[T]{{filter.Eq, eq}, {filter.Ne, ne}, {filter.Gt, gt}, {filter.Ge, gte}, {filter.Lt, lt}, {filter.Le, lte}}
}

// cmps appends a comparison for every operator that has an operand.
func cmps[T any](b *[]filter.Expr, field string, lit func(T) filter.Value, ops []op[T]) {
	for _, o := range ops {
		if o.v != nil {
			*b = append(*b, &filter.Cmp{Field: filter.Ref{Name: field}, Op: o.op, Value: lit(*o.v)})
		}
	}
}

// inList appends an "in" test when values is not nil. An empty list matches
// nothing, as in SQL; the filter language has no empty list, so it is
// written as the always-false "resource_id is null".
func inList[T any](b *[]filter.Expr, field string, lit func(T) filter.Value, values []T) {
	switch {
	case values == nil:
	case len(values) == 0:
		*b = append(*b, Not(nil))
	default:
		e := &filter.In{Field: filter.Ref{Name: field}}
		for _, v := range values {
			e.Values = append(e.Values, lit(v))
		}
		*b = append(*b, e)
	}
}

// addIsNull appends "is null" (true) or "is not null" (false).
func addIsNull(b *[]filter.Expr, field string, v *bool) {
	if v != nil {
		*b = append(*b, &filter.IsNull{Field: filter.Ref{Name: field}, Not: !*v})
	}
}

// Literal constructors, one per Go type of the filter inputs.

func str(s string) filter.Value { return filter.Value{Kind: filter.KindString, Str: s} }

func enumValue[T ~string](v T) filter.Value { return str(string(v)) }

func intValue(n int64) filter.Value {
	return filter.Value{Kind: filter.KindNumber, Raw: strconv.FormatInt(n, 10), Num: float64(n), Int: n}
}

func floatValue(f float64) filter.Value {
	return filter.Value{Kind: filter.KindNumber, Raw: strconv.FormatFloat(f, 'g', -1, 64), Num: f}
}

func boolValue(v bool) filter.Value { return filter.Value{Kind: filter.KindBool, Bool: v} }

func timeValue(t time.Time) filter.Value { return str(t.UTC().Format(time.RFC3339Nano)) }
