package filter

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a filter or sort expression.
type Error struct {
	// Param is the expression the problem is in: "filter" or "sort", the
	// name of the REST query parameter (and GraphQL argument) that
	// carried it.
	Param string
	Pos   int // 1-based byte offset in the expression
	Msg   string
}

// Error returns "filter: position 12: unknown field ...".
func (e *Error) Error() string {
	return fmt.Sprintf("%s: position %d: %s", e.Param, e.Pos, e.Msg)
}

// ErrorList is the error that Parse, Check and ParseSort return: one or
// more problems, sorted by position. It is shaped like go/scanner's
// ErrorList; errors.As finds the first *Error through Unwrap.
type ErrorList []*Error

// Error returns the first problem, followed by the number of the others.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	case 2:
		return l[0].Error() + " (and 1 more error)"
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unwrap returns the problems as a slice of errors.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// maxErrors is the largest number of problems an ErrorList reports; the
// rest are summed up in one last entry, so that a huge "in" list of wrong
// values does not produce a huge response.
const maxErrors = 10

// errorCollector gathers the problems of one expression.
type errorCollector struct {
	param string
	list  ErrorList
}

// errorf records a problem at pos.
func (c *errorCollector) errorf(pos int, format string, args ...any) {
	c.list = append(c.list, &Error{Param: c.param, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// err returns the problems sorted by position (stable, so problems at one
// position keep the order they were found in), at most maxErrors of them
// plus a summary, or nil when there are none.
func (c *errorCollector) err() error {
	if len(c.list) == 0 {
		return nil
	}
	l := slices.Clone(c.list)
	slices.SortStableFunc(l, func(a, b *Error) int { return cmp.Compare(a.Pos, b.Pos) })
	if len(l) > maxErrors {
		rest := len(l) - maxErrors
		more := &Error{Param: c.param, Pos: l[maxErrors].Pos, Msg: fmt.Sprintf("%d more problems not shown", rest)}
		l = append(l[:maxErrors:maxErrors], more)
	}
	return l
}

// suggest returns the candidate closest to got, or "" when none is close
// enough to be a likely typo. A dotted candidate whose last segment is got
// ("city" for "address.city") is also a match.
func suggest(got string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == got {
			continue
		}
		lg, lc := len([]rune(got)), len([]rune(c))
		limit := max(lg, lc, 3) / 3
		if lg-lc > limit || lc-lg > limit {
			continue // the distance is at least the length difference
		}
		d := Distance(strings.ToLower(got), strings.ToLower(c))
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || strings.Contains(got, ".") {
		return best
	}
	for _, c := range candidates {
		if i := strings.LastIndexByte(c, '.'); i >= 0 && c[i+1:] == got {
			return c
		}
	}
	return ""
}

// didYouMean returns ` (did you mean "X"?)`, or "" without a suggestion.
func didYouMean(suggestion string) string {
	if suggestion == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", suggestion)
}

// Distance is the Levenshtein distance between a and b, counted in runes,
// where swapping two adjacent runes also counts as one edit (the optimal
// string alignment distance): "titel" is one edit away from "title". The
// runtime's did-you-mean suggestions (filter fields, query parameters)
// share it.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
