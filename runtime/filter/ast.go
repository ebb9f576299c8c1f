// Package filter is the filter language of list endpoints (DESIGN.md §5):
// a hand-written lexer and parser producing a typed AST, a checker that
// resolves field names against the fields a resource allows and converts
// values to the fields' types, and the sort-key parser. Backends compile
// the checked AST: SQL with bound parameters, or in-memory evaluation.
//
// The package knows nothing of resources: callers describe the filterable
// fields with []FieldInfo, so the engine (package resource) and the
// backends can both import it.
//
// # Semantics
//
// Every backend evaluates a checked expression the same way
// (docs/filtering.md is the user-facing description):
//
//   - Null follows SQL. A comparison (Cmp, In) with a null or absent field
//     is unknown, and unknown never matches; Not of unknown is unknown, an
//     And with an unknown term and no false term is unknown, an Or with an
//     unknown term and no true term is unknown. So "views != 5" and
//     "!(views = 5)" do not match a resource whose views is null. Only
//     IsNull tests for null.
//   - On a list field, Eq is true when an element equals the value,
//     Contains when an element contains it, In when an element is in the
//     set; each is false for an empty list and unknown for a null list.
//     IsNull is true only for a null (or absent) list, not an empty one.
//   - Strings compare by bytes (UTF-8, so by code point). Contains and
//     NotContains ignore the case of ASCII letters only (A-Z matches a-z);
//     Prefix is case-sensitive. Their values are literal: "%" and "_" are
//     not wildcards.
//   - Datetimes compare as instants, dates as calendar days, ints and
//     floats as numbers, bools only with Eq and Ne.
package filter

import "time"

// Type is the type of a filterable field.
type Type string

// Field types. They mirror resource.FieldType.
const (
	String   Type = "string"
	Int      Type = "int"
	Float    Type = "float"
	Bool     Type = "bool"
	DateTime Type = "datetime"
	Date     Type = "date"
)

// FieldInfo describes one field that filters and sort keys may name.
type FieldInfo struct {
	Name string // dotted JSON path ("address.city") or a meta name ("created_time")
	Type Type
	List bool // a list of Type: "=" and "~" test elements
	Meta bool // a meta column (resource_id, created_time, ...), not a data field
}

// Expr is a node of a filter expression: *And, *Or, *Not, *Cmp, *In, *IsNull.
type Expr interface {
	Pos() int // 1-based byte offset in the source expression
}

// Op is a comparison operator.
type Op string

// Comparison operators.
const (
	Eq          Op = "="
	Ne          Op = "!="
	Gt          Op = ">"
	Ge          Op = ">="
	Lt          Op = "<"
	Le          Op = "<="
	Contains    Op = "~"  // case-insensitive substring; on lists: an element contains it
	NotContains Op = "!~" // negation of Contains (SQL null semantics: null never matches)
	Prefix      Op = "^=" // case-sensitive prefix
)

// And is a conjunction of two or more terms. Parse never nests an And
// directly in an And (nor an Or in an Or). At is the position of the
// first term.
type And struct {
	At    int
	Terms []Expr
}

// Or is a disjunction of two or more terms. At is the position of the
// first term.
type Or struct {
	At    int
	Terms []Expr
}

// Not negates X. Null semantics follow SQL: a comparison with a null
// field is unknown, and NOT unknown is still unknown (no match).
type Not struct {
	At int
	X  Expr
}

// Cmp compares a field with a value. Value is never null after Check:
// "= null" is an error that points to IsNull.
type Cmp struct {
	At    int
	Field Ref
	Op    Op
	Value Value
}

// In tests a field against a list of one to MaxIn values: it is the Or
// of Eq comparisons with each value (none of them null after Check).
type In struct {
	At     int
	Field  Ref
	Values []Value
}

// IsNull tests whether a field is null (absent counts as null; an empty
// list is not null); Not for "is not null". It is never unknown.
type IsNull struct {
	At    int
	Field Ref
	Not   bool
}

// Ref is a field named in an expression. After Check, Info is set.
type Ref struct {
	At   int
	Name string
	Info FieldInfo
}

// Kind is the kind of a literal value.
type Kind int

// Literal kinds.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	// KindParam is a parameter such as @me (Str is "me"). Only permission
	// rules may hold one (CheckRule); Bind replaces it with a value
	// before a backend sees the expression.
	KindParam
)

// Value is a literal. Parse sets Kind, Raw and one of Str/Num/Bool; Check
// converts it to the field's type and sets the typed member: Int for int
// fields, Num for float fields, Time for datetime fields (UTC), Str for
// string and date fields.
type Value struct {
	At   int
	Kind Kind
	Raw  string // source text of the literal
	Str  string
	Num  float64
	Int  int64
	Bool bool
	Time time.Time
}

// MaxIn is the largest number of values an "in" list may hold.
const MaxIn = 1000

// Pos implements Expr.
func (e *And) Pos() int    { return e.At }
func (e *Or) Pos() int     { return e.At }
func (e *Not) Pos() int    { return e.At }
func (e *Cmp) Pos() int    { return e.At }
func (e *In) Pos() int     { return e.At }
func (e *IsNull) Pos() int { return e.At }

// SortKey is one key of a sort order.
type SortKey struct {
	Field FieldInfo
	Desc  bool
}
