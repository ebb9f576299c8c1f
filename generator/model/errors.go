package model

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one spec mistake found by Build.
type Error struct {
	Pos Pos
	Msg string
}

// Error returns "file:line:col: message".
func (e *Error) Error() string {
	if e.Pos.File == "" && e.Pos.Line == 0 {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is every mistake Build found, shaped like go/scanner.ErrorList.
// Build returns it sorted by position; its Error method prints one
// "file:line:col: message" line per error.
type ErrorList []*Error

// Add appends an error at pos.
func (p *ErrorList) Add(pos Pos, msg string) {
	*p = append(*p, &Error{Pos: pos, Msg: msg})
}

// Sort sorts the list by file, line, column and message.
func (p ErrorList) Sort() {
	slices.SortStableFunc(p, func(a, b *Error) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
}

// Error joins the errors, one per line, without a trailing newline.
func (p ErrorList) Error() string {
	lines := make([]string, len(p))
	for i, e := range p {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns nil for an empty list and the list otherwise.
func (p ErrorList) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// errorf records an error.
func (b *builder) errorf(pos Pos, format string, args ...any) {
	b.errs.Add(pos, fmt.Sprintf(format, args...))
}
