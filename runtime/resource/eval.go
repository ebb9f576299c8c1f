package resource

import (
	"cmp"
	"strings"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
)

// Truth is a value of SQL's three-valued logic.
type Truth int8

// Truth values.
const (
	False Truth = iota
	True
	Unknown
)

// of converts a bool to a Truth value.
func of(b bool) Truth {
	if b {
		return True
	}
	return False
}

// Valuer gives the values of the fields of one record, as FieldValue
// returns them (a []any for a list field, nil for null or absent).
type Valuer interface {
	Value(f filter.FieldInfo) any
}

// Eval evaluates a checked filter on the record v describes, with SQL
// semantics: a comparison with a null value is Unknown, NOT Unknown is
// Unknown, and AND and OR follow Kleene's logic. A nil filter is True.
// Backends that evaluate filters in memory use it, and the Service uses it
// for the row conditions of permission rules; it is generic over V so that
// a struct Valuer is not boxed once per row.
func Eval[V Valuer](x filter.Expr, v V) Truth {
	switch x := x.(type) {
	case nil:
		return True
	case *filter.And:
		out := True
		for _, term := range x.Terms {
			switch Eval(term, v) {
			case False:
				return False
			case Unknown:
				out = Unknown
			}
		}
		return out
	case *filter.Or:
		out := False
		for _, term := range x.Terms {
			switch Eval(term, v) {
			case True:
				return True
			case Unknown:
				out = Unknown
			}
		}
		return out
	case *filter.Not:
		switch Eval(x.X, v) {
		case True:
			return False
		case False:
			return True
		}
		return Unknown
	case *filter.IsNull:
		return of((v.Value(x.Field.Info) == nil) != x.Not)
	case *filter.Cmp:
		f := x.Field.Info
		val := v.Value(f)
		if val == nil {
			return Unknown
		}
		lit := LiteralValue(x.Value, f.Type)
		if lit == nil {
			return Unknown
		}
		if !f.List {
			return compareOp(x.Op, val, lit)
		}
		for _, elem := range val.([]any) {
			if elem != nil && compareOp(x.Op, elem, lit) == True {
				return True
			}
		}
		return False
	case *filter.In:
		f := x.Field.Info
		val := v.Value(f)
		if val == nil {
			return Unknown
		}
		elems := []any{val}
		if f.List {
			elems = val.([]any)
		}
		sawNull := false
		for _, lv := range x.Values {
			lit := LiteralValue(lv, f.Type)
			if lit == nil {
				sawNull = true
				continue
			}
			for _, elem := range elems {
				if elem != nil && CompareValues(elem, lit) == 0 {
					return True
				}
			}
		}
		if sawNull && !f.List {
			return Unknown
		}
		return False
	}
	return Unknown
}

// compareOp applies a comparison operator to a non-null value and literal.
func compareOp(op filter.Op, v, lit any) Truth {
	switch op {
	case filter.Eq:
		return of(CompareValues(v, lit) == 0)
	case filter.Ne:
		return of(CompareValues(v, lit) != 0)
	case filter.Gt:
		return of(CompareValues(v, lit) > 0)
	case filter.Ge:
		return of(CompareValues(v, lit) >= 0)
	case filter.Lt:
		return of(CompareValues(v, lit) < 0)
	case filter.Le:
		return of(CompareValues(v, lit) <= 0)
	}
	s, ok1 := v.(string)
	sub, ok2 := lit.(string)
	if !ok1 || !ok2 {
		return Unknown
	}
	switch op {
	case filter.Contains:
		return of(strings.Contains(FoldASCII(s), FoldASCII(sub)))
	case filter.NotContains:
		return of(!strings.Contains(FoldASCII(s), FoldASCII(sub)))
	case filter.Prefix:
		return of(strings.HasPrefix(s, sub))
	}
	return Unknown
}

// FoldASCII lower-cases the ASCII letters of s, as SQLite's lower()
// does: "~" folds ASCII case only, on every backend.
func FoldASCII(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'A' <= r && r <= 'Z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if 'A' <= b[j] && b[j] <= 'Z' {
			b[j] += 'a' - 'A'
		}
	}
	return string(b)
}

// CompareValues orders two field values as every backend orders them:
// null (nil) before any value, then by value: strings bytewise, numbers
// numerically, false before true, times chronologically. Values of one
// field share one type; values of different types (which validated data
// never holds) order by type so that the order stays total.
func CompareValues(a, b any) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return -1
		}
		return 1
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp.Compare(x, y)
		case float64:
			return cmp.Compare(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmp.Compare(x, y)
		case int64:
			return cmp.Compare(x, float64(y))
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	}
	return cmp.Compare(typeRank(a), typeRank(b))
}

// typeRank orders values of different types.
func typeRank(v any) int {
	switch v.(type) {
	case bool:
		return 1
	case int64, float64:
		return 2
	case time.Time:
		return 3
	case string:
		return 4
	}
	return 5
}
