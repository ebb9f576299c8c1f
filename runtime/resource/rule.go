package resource

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/runtime/filter"
)

// A permission rule says who may perform an action (DESIGN.md §7): atoms
// joined by "|", any one of which grants it.
//
//	public                 anyone, signed in or not
//	authenticated          any signed-in caller
//	owner                  the caller who created the resource (created_by)
//	role:NAME              a caller holding role NAME ("admin" passes every rule)
//	where(FILTER)          the rows matching FILTER, in the filter language
//	                       over indexed and meta fields; @me is the caller's id
//
// For example "role:editor | where(status = \"published\")". A where()
// without @me grants its rows to every caller, anonymous ones included; a
// where() with @me and owner grant nothing to anonymous callers.

// AtomKind is the kind of one atom of a rule.
type AtomKind uint8

// Atom kinds.
const (
	AtomPublic AtomKind = iota
	AtomAuthenticated
	AtomOwner
	AtomRole
	AtomWhere
)

// Atom is one alternative of a rule.
type Atom struct {
	Kind AtomKind
	Pos  int    // 1-based byte offset of the atom in the rule's source
	Role string // AtomRole: the role's name
	// Where is the row condition of an AtomWhere, parsed (Check resolves
	// its fields); WherePos is the 1-based offset of its first byte in
	// the rule's source.
	Where    filter.Expr
	WhereSrc string
	WherePos int
}

// Rule is a parsed permission rule.
type Rule struct {
	Source string
	Atoms  []Atom
}

// RuleError is one problem of a rule, at a 1-based byte offset of its
// source.
type RuleError struct {
	Pos int
	Msg string
}

func (e *RuleError) Error() string { return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg) }

// RuleErrors is every problem of a rule, in source order.
type RuleErrors []*RuleError

func (l RuleErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

// ruleWords are the atoms without an argument, for suggestions.
var ruleWords = []string{"public", "authenticated", "owner", "role:", "where("}

// ParseRule parses a rule. Its errors are RuleErrors, with every problem
// found and suggestions for misspelled atoms.
func ParseRule(src string) (*Rule, error) {
	r := &Rule{Source: src}
	var errs RuleErrors
	fail := func(pos int, format string, args ...any) {
		errs = append(errs, &RuleError{Pos: pos, Msg: fmt.Sprintf(format, args...)})
	}
	i := 0
	skip := func() {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
	}
	for {
		skip()
		start := i
		if i >= len(src) {
			if len(r.Atoms) == 0 && len(errs) == 0 {
				fail(start+1, "empty rule; use public, authenticated, owner, role:NAME or where(FILTER), joined by |")
			} else if len(errs) == 0 {
				fail(start+1, "the rule ends with \"|\"; add an atom after it or remove it")
			}
			break
		}
		j := i
		for j < len(src) && (isRuleWordByte(src[j])) {
			j++
		}
		word := src[i:j]
		switch {
		case word == "public":
			r.Atoms = append(r.Atoms, Atom{Kind: AtomPublic, Pos: start + 1})
			i = j
		case word == "authenticated":
			r.Atoms = append(r.Atoms, Atom{Kind: AtomAuthenticated, Pos: start + 1})
			i = j
		case word == "owner":
			r.Atoms = append(r.Atoms, Atom{Kind: AtomOwner, Pos: start + 1})
			i = j
		case word == "role" && j < len(src) && src[j] == ':':
			k := j + 1
			for k < len(src) && isRoleByte(src[k]) {
				k++
			}
			if k == j+1 {
				fail(j+2, "role: needs a role name, such as role:editor")
			} else {
				r.Atoms = append(r.Atoms, Atom{Kind: AtomRole, Pos: start + 1, Role: src[j+1 : k]})
			}
			i = k
		case word == "where" && j < len(src) && src[j] == '(':
			end, ok := closeParen(src, j)
			if !ok {
				fail(j+1, "where( is not closed; write where(FILTER)")
				i = len(src)
				break
			}
			body := src[j+1 : end]
			a := Atom{Kind: AtomWhere, Pos: start + 1, WhereSrc: body, WherePos: j + 2}
			if strings.TrimSpace(body) == "" {
				fail(j+1, "where() needs a filter, such as where(status = \"published\")")
			} else if e, err := filter.Parse(body); err != nil {
				for _, fe := range filterErrors(err) {
					fail(a.WherePos+fe.Pos-1, "%s", fe.Msg)
				}
			} else {
				a.Where = e
				r.Atoms = append(r.Atoms, a)
			}
			i = end + 1
		default:
			if word == "" {
				j = i + 1
				for j < len(src) && src[j] != ' ' && src[j] != '|' {
					j++
				}
				word = src[i:j]
			}
			fail(start+1, "unknown atom %q%s; a rule is public, authenticated, owner, role:NAME or where(FILTER), joined by |", word, didYouMeanAtom(word))
			// Resynchronise at the next "|".
			for j < len(src) && src[j] != '|' {
				j++
			}
			i = j
		}
		skip()
		if i >= len(src) {
			break
		}
		if src[i] != '|' {
			fail(i+1, "expected \"|\" between atoms, got %q", src[i:i+1])
			for i < len(src) && src[i] != '|' {
				i++
			}
			if i >= len(src) {
				break
			}
		}
		i++ // the "|"
		if i < len(src) && src[i] == '|' {
			fail(i+1, "atoms are joined by a single \"|\"")
			i++
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// Check resolves the where() filters of r against the fields a list of
// the kind may filter on (filter.CheckRule: indexed data fields and meta
// fields, with @me) and checks its roles against roles ("admin" is always
// one). Problems are RuleErrors at positions of r.Source. Check modifies
// the filters in place (as filter.Check does).
func (r *Rule) Check(fields []filter.FieldInfo, roles []string) error {
	var errs RuleErrors
	for i := range r.Atoms {
		a := &r.Atoms[i]
		switch a.Kind {
		case AtomRole:
			if a.Role != RoleAdmin && !slices.Contains(roles, a.Role) {
				known := append([]string{RoleAdmin}, roles...)
				errs = append(errs, &RuleError{Pos: a.Pos + len("role:"), Msg: fmt.Sprintf("unknown role %q%s; roles: %s",
					a.Role, didYouMean(a.Role, known), strings.Join(known, ", "))})
			}
		case AtomWhere:
			if err := filter.CheckRule(a.Where, fields); err != nil {
				for _, fe := range filterErrors(err) {
					errs = append(errs, &RuleError{Pos: a.WherePos + fe.Pos - 1, Msg: fe.Msg})
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// RoleAdmin is the role that passes every rule.
const RoleAdmin = "admin"

// FilterFields returns the fields the lists of k may filter and sort on,
// and so the fields a where() of its rules may name: its indexed data
// fields and the meta fields.
func FilterFields(k *Kind) []filter.FieldInfo {
	return slices.Clone(newKindQuery(k, nil).fields)
}

// filterErrors returns the problems of an error of the filter package.
func filterErrors(err error) []*filter.Error {
	var list filter.ErrorList
	if errors.As(err, &list) {
		return list
	}
	var one *filter.Error
	if errors.As(err, &one) {
		return []*filter.Error{one}
	}
	return []*filter.Error{{Pos: 1, Msg: err.Error()}}
}

// closeParen returns the index of the ")" that closes the "(" at open,
// skipping parentheses inside the filter's string literals.
func closeParen(src string, open int) (int, bool) {
	depth := 0
	for i := open; i < len(src); i++ {
		switch src[i] {
		case '"':
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

func isRuleWordByte(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

func isRoleByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// didYouMeanAtom suggests the atom a misspelled word was meant to be.
func didYouMeanAtom(word string) string {
	w := strings.ToLower(strings.TrimRight(word, ":("))
	best, bestD := "", 3
	for _, cand := range ruleWords {
		c := strings.TrimRight(cand, ":(")
		if d := filter.Distance(w, c); d < bestD {
			best, bestD = cand, d
		}
	}
	switch {
	case best == "":
		return ""
	case strings.HasSuffix(best, ":"):
		return " (did you mean role:NAME?)"
	case strings.HasSuffix(best, "("):
		return " (did you mean where(FILTER)?)"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// didYouMean suggests the closest of candidates to got, or "".
func didYouMean(got string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := filter.Distance(got, c); d < bestD && d < len(c) {
			best, bestD = c, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
