package model

import (
	"cmp"
	"fmt"
	"github.com/specstar-go/specstar/generator/load"
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

// Check loads and builds a spec in one pass: the mistakes of both stages
// come back together, sorted by position, as a model.ErrorList. The
// model stage checks what loading could read, and its mistakes on a line
// where loading found one already are left out (they are its echo: a key
// with a wrong value is missing to the model). name is used in positions
// and says the format (see load.Bytes).
func Check(name string, data []byte) (*Model, error) {
	spec, loadErrs := load.Partial(name, data)
	var errs ErrorList
	lines := make(map[Pos]bool)
	for _, e := range loadErrs {
		errs.Add(Pos(e.Pos), e.Msg)
		lines[Pos{File: e.Pos.File, Line: e.Pos.Line}] = true
	}
	if spec == nil {
		errs.Sort()
		return nil, errs.Err()
	}
	m, err := Build(spec)
	if err == nil && len(errs) == 0 {
		return m, nil
	}
	if list, ok := err.(ErrorList); ok {
		for _, e := range list {
			if !lines[Pos{File: e.Pos.File, Line: e.Pos.Line}] {
				errs = append(errs, e)
			}
		}
	} else if err != nil {
		return nil, err
	}
	errs.Sort()
	return nil, errs.Err()
}
