package filter

import (
	"fmt"
	"strings"
)

// sexpr prints the structure of e without positions, for tests:
// (or (= a 1) (and (in b "x" "y") (is-null c))).
func sexpr(e Expr) string {
	switch e := e.(type) {
	case nil:
		return "<nil>"
	case *And:
		return "(and " + sexprs(e.Terms) + ")"
	case *Or:
		return "(or " + sexprs(e.Terms) + ")"
	case *Not:
		return "(not " + sexpr(e.X) + ")"
	case *Cmp:
		return fmt.Sprintf("(%s %s %s)", e.Op, e.Field.Name, sexprValue(e.Value))
	case *In:
		vs := make([]string, len(e.Values))
		for i, v := range e.Values {
			vs[i] = sexprValue(v)
		}
		return fmt.Sprintf("(in %s %s)", e.Field.Name, strings.Join(vs, " "))
	case *IsNull:
		if e.Not {
			return "(is-not-null " + e.Field.Name + ")"
		}
		return "(is-null " + e.Field.Name + ")"
	}
	return fmt.Sprintf("<%T>", e)
}

// sexprs prints terms separated by spaces.
func sexprs(terms []Expr) string {
	s := make([]string, len(terms))
	for i, t := range terms {
		s[i] = sexpr(t)
	}
	return strings.Join(s, " ")
}

// sexprValue prints a literal: strings Go-quoted, numbers as written.
func sexprValue(v Value) string {
	switch v.Kind {
	case KindString:
		return fmt.Sprintf("%q", v.Str)
	case KindNumber:
		return v.Raw
	case KindBool:
		return fmt.Sprint(v.Bool)
	}
	return "null"
}

// normalize clears what may differ between two parses of equivalent
// sources (positions, and the source text of strings) so that
// reflect.DeepEqual compares meaning.
func normalize(e Expr) {
	normValue := func(v *Value) {
		v.At = 0
		if v.Kind == KindString {
			v.Raw = ""
		}
	}
	switch e := e.(type) {
	case *And:
		e.At = 0
		for _, t := range e.Terms {
			normalize(t)
		}
	case *Or:
		e.At = 0
		for _, t := range e.Terms {
			normalize(t)
		}
	case *Not:
		e.At = 0
		normalize(e.X)
	case *Cmp:
		e.At, e.Field.At = 0, 0
		normValue(&e.Value)
	case *In:
		e.At, e.Field.At = 0, 0
		for i := range e.Values {
			normValue(&e.Values[i])
		}
	case *IsNull:
		e.At, e.Field.At = 0, 0
	}
}

// blogFields are the filterable fields of the blog's Post (plus a few
// types Post does not index, to cover every type), then the meta fields.
var blogFields = []FieldInfo{
	{Name: "title", Type: String},
	{Name: "status", Type: String},
	{Name: "tags", Type: String, List: true},
	{Name: "views", Type: Int},
	{Name: "rating", Type: Float},
	{Name: "featured", Type: Bool},
	{Name: "published_at", Type: DateTime},
	{Name: "day", Type: Date},
	{Name: "scores", Type: Int, List: true},
	{Name: "author", Type: String},
	{Name: "address.city", Type: String},
	{Name: "resource_id", Type: String, Meta: true},
	{Name: "created_time", Type: DateTime, Meta: true},
	{Name: "updated_time", Type: DateTime, Meta: true},
	{Name: "created_by", Type: String, Meta: true},
	{Name: "updated_by", Type: String, Meta: true},
}

// blogFieldList is how errors list blogFields.
const blogFieldList = "title, status, tags, views, rating, featured, published_at, day, scores, author, address.city, " +
	"resource_id, created_time, updated_time, created_by, updated_by"

// blogSortList is how sort errors list the sortable blogFields.
const blogSortList = "title, status, views, rating, featured, published_at, day, author, address.city, " +
	"resource_id, created_time, updated_time, created_by, updated_by"
