package migrate

import (
	"context"
	"fmt"
	"regexp"
	"strings"
)

// Duplicate is a value that several rows hold where a unique index is to
// be created over them.
type Duplicate struct {
	Value string   // as the database prints the indexed expression
	Count int      // rows holding it
	IDs   []string // resource ids of some of them, in id order
}

// DuplicateFinder is implemented by a Tx that can list the values a
// unique index cannot be created over. Run uses it to explain a failed
// CREATE UNIQUE INDEX: which values, held by which records.
type DuplicateFinder interface {
	// Duplicates returns up to limit values of expression expr shared
	// by several rows of table (quoted, as the statement spells it)
	// that satisfy where ("" for all rows), most shared first.
	Duplicates(ctx context.Context, table, expr, where string, limit int) ([]Duplicate, error)
}

// createUnique matches the CREATE UNIQUE INDEX statements the generator
// writes (and most hand-written ones): the index name, the table, the
// key expression inside the outer parentheses and the partial index
// predicate.
var createUnique = regexp.MustCompile(`(?is)^\s*CREATE\s+UNIQUE\s+INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|[\w.]+)\s+ON\s+((?:"(?:[^"]|"")+"|\w+)(?:\.(?:"(?:[^"]|"")+"|\w+))?)\s+(?:USING\s+\w+\s+)?\((.*)\)(?:\s+WHERE\s+(.*?))?\s*;?\s*$`)

// UniqueError is the error of a migration that could not create a unique
// index because rows share values.
type UniqueError struct {
	Index, Table string
	Duplicates   []Duplicate
	Err          error // the database's error
}

func (e *UniqueError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cannot create unique index %s on %s: live records share values: ", e.Index, e.Table)
	for i, d := range e.Duplicates {
		if i > 0 {
			b.WriteString("; ")
		}
		ids := strings.Join(d.IDs, ", ")
		if len(d.IDs) < d.Count {
			ids += ", …"
		}
		fmt.Fprintf(&b, "%s (%d records: %s)", d.Value, d.Count, ids)
	}
	b.WriteString("; change the data (or drop unique from the spec) and start again")
	return b.String()
}

func (e *UniqueError) Unwrap() error { return e.Err }

// CreateUnique is a parsed CREATE UNIQUE INDEX statement.
type CreateUnique struct {
	Index string // unquoted
	Table string // as spelled (quoted, maybe qualified)
	Expr  string // the key expression
	Where string // the partial index predicate, "" for none
}

// ParseCreateUnique parses a CREATE UNIQUE INDEX statement as the
// generator writes them (and most hand-written ones).
func ParseCreateUnique(stmt string) (CreateUnique, bool) {
	m := createUnique.FindStringSubmatch(stmt)
	if m == nil {
		return CreateUnique{}, false
	}
	return CreateUnique{Index: strings.ReplaceAll(strings.Trim(m[1], `"`), `""`, `"`), Table: m[2], Expr: m[3], Where: m[4]}, true
}

// Err returns the *UniqueError of c failing with cause over dups, or
// nil without duplicates.
func (c CreateUnique) Err(dups []Duplicate, cause error) error {
	if len(dups) == 0 {
		return nil
	}
	table := strings.ReplaceAll(strings.Trim(c.Table, `"`), `""`, `"`)
	return &UniqueError{Index: c.Index, Table: table, Duplicates: dups, Err: cause}
}

// explainUnique returns a *UniqueError for a failed statement q that
// creates a unique index over rows holding duplicates (failing with
// cause), or nil.
func explainUnique(ctx context.Context, d Driver, q string, cause error) error {
	c, ok := ParseCreateUnique(q)
	if !ok {
		return nil
	}
	var dups []Duplicate
	err := d.Do(ctx, false, func(tx Tx) error {
		f, ok := tx.(DuplicateFinder)
		if !ok {
			return nil
		}
		var err error
		dups, err = f.Duplicates(ctx, c.Table, c.Expr, c.Where, 5)
		return err
	})
	if err != nil {
		return nil
	}
	return c.Err(dups, cause)
}
