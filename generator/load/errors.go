package load

import (
	"cmp"
	"slices"
	"strings"
)

// Error is one spec mistake at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string {
	if e.Pos.File == "" && !e.Pos.IsValid() {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList is a list of spec mistakes, shaped like go/scanner.ErrorList.
// Its Error method prints one "file:line:col: message" line per error.
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
