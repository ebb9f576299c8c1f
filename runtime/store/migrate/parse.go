// Package migrate applies versioned SQL migrations written in goose's
// format (github.com/pressly/goose) and records them in goose's version
// table, so that the goose command can inspect and manage a database that
// a specstar server migrated. It implements the file format and the
// bookkeeping only; each SQL backend supplies a Driver that runs
// statements and locks.
//
// A migration file is named <version>_<name>.sql, version a positive
// decimal number, and holds an Up section and optionally a Down section:
//
//	-- +goose Up
//	CREATE TABLE t (id text);
//	-- +goose StatementBegin
//	CREATE TRIGGER ... BEGIN ...; END;
//	-- +goose StatementEnd
//
//	-- +goose Down
//	DROP TABLE t;
//
// Statements end at a line whose last word (before any "--" comment) ends
// with ";", except between StatementBegin and StatementEnd, which make one
// statement of the lines they enclose. Comment and blank lines before a
// statement are dropped. "-- +goose NO TRANSACTION" makes the runner apply
// the migration outside a transaction. Other "+goose" annotations
// (ENVSUB) are rejected rather than misread.
package migrate

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one parsed migration file.
type Migration struct {
	Version int64  // from the file name, > 0
	Name    string // the file name, e.g. "00002_add_post_slug.sql"
	Up      []string
	Down    []string
	// NoTx is set by "-- +goose NO TRANSACTION": the runner applies the
	// statements one by one, outside a transaction.
	NoTx bool
}

// Version returns the version of a migration file name: the decimal
// number before the first "_" of "00002_add_post.sql".
func Version(name string) (int64, error) {
	base, ok := strings.CutSuffix(name, ".sql")
	if !ok {
		return 0, fmt.Errorf("%s: a migration file name ends in .sql", name)
	}
	num, _, _ := strings.Cut(base, "_")
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v <= 0 || num[0] == '+' {
		return 0, fmt.Errorf("%s: a migration file name starts with a positive version number, as in 00001_init.sql", name)
	}
	return v, nil
}

// section is where the parser is in a file.
type section int

const (
	before section = iota // before "-- +goose Up"
	up
	down
)

// Parse parses the migration file called name (a base name, which gives
// the version) with content src.
func Parse(name string, src []byte) (*Migration, error) {
	v, err := Version(name)
	if err != nil {
		return nil, err
	}
	m := &Migration{Version: v, Name: name}
	var (
		sec     = before
		inBlock bool // between StatementBegin and StatementEnd
		buf     strings.Builder
		lineNo  int
	)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, lineNo, fmt.Sprintf(format, args...))
	}
	emit := func() {
		stmt := strings.TrimSpace(buf.String())
		buf.Reset()
		if stmt == "" {
			return
		}
		if sec == up {
			m.Up = append(m.Up, stmt)
		} else {
			m.Down = append(m.Down, stmt)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if ann, ok := annotation(line); ok {
			switch ann {
			case "Up":
				if sec != before {
					return nil, fail("duplicate -- +goose Up")
				}
				sec = up
			case "Down":
				switch {
				case sec == before:
					return nil, fail("-- +goose Down before -- +goose Up")
				case sec == down:
					return nil, fail("duplicate -- +goose Down")
				case inBlock:
					return nil, fail("-- +goose Down inside a StatementBegin block")
				case strings.TrimSpace(buf.String()) != "":
					return nil, fail("unfinished statement before -- +goose Down (missing semicolon?): %q", strings.TrimSpace(buf.String()))
				}
				sec = down
			case "StatementBegin":
				switch {
				case sec == before:
					return nil, fail("-- +goose StatementBegin before -- +goose Up")
				case inBlock:
					return nil, fail("nested -- +goose StatementBegin")
				case strings.TrimSpace(buf.String()) != "":
					return nil, fail("unfinished statement before -- +goose StatementBegin (missing semicolon?): %q", strings.TrimSpace(buf.String()))
				}
				inBlock = true
			case "StatementEnd":
				if !inBlock {
					return nil, fail("-- +goose StatementEnd without StatementBegin")
				}
				inBlock = false
				emit()
			case "NO TRANSACTION":
				m.NoTx = true
			default:
				return nil, fail("unsupported annotation -- +goose %s", ann)
			}
			continue
		}
		if buf.Len() == 0 && (strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "--")) {
			continue // comments and blank lines between statements
		}
		if sec == before {
			return nil, fail("SQL before -- +goose Up")
		}
		buf.WriteString(line)
		buf.WriteByte('\n')
		if !inBlock && endsWithSemicolon(line) {
			emit()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case sec == before:
		return nil, fmt.Errorf("%s: no -- +goose Up annotation", name)
	case inBlock:
		return nil, fmt.Errorf("%s: -- +goose StatementBegin without StatementEnd", name)
	case strings.TrimSpace(buf.String()) != "":
		return nil, fmt.Errorf("%s: unfinished statement at the end of the file (missing semicolon?): %q", name, strings.TrimSpace(buf.String()))
	}
	return m, nil
}

// annotation returns the goose annotation of a line: "Up" for
// "-- +goose Up".
func annotation(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "--")
	if !ok {
		return "", false
	}
	rest, ok = strings.CutPrefix(strings.TrimSpace(rest), "+goose ")
	if !ok {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

// endsWithSemicolon reports whether the last word of line before a "--"
// comment ends with ";", as goose decides where a statement ends.
func endsWithSemicolon(line string) bool {
	var last string
	for w := range strings.FieldsSeq(line) {
		if strings.HasPrefix(w, "--") {
			break
		}
		last = w
	}
	return strings.HasSuffix(last, ";")
}

// Load parses every *.sql file at the root of fsys and returns the
// migrations sorted by version. Two files with one version are an error.
func Load(fsys fs.FS) ([]*Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var out []*Migration
	for _, name := range names {
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		m, err := Parse(path.Base(name), src)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *Migration) int { return cmp.Compare(a.Version, b.Version) })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("%s and %s have the same version %d", out[i-1].Name, out[i].Name, out[i].Version)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoMigrations
	}
	return out, nil
}
