// Package load reads a spec, YAML or Go (a ".go" file of struct types, see
// docs/spec-go.md), into one spec AST that keeps the position of every key
// and value. It is strict: unknown keys, duplicate keys and values of the
// wrong type are errors, each with a position and, for unknown keys, a
// "did you mean" suggestion. Loading collects every such
// error before returning them as an ErrorList. What the values mean (type
// names, references, constraints) is checked by model.Build.
package load

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxVisits bounds the work of walking the YAML tree. Aliases let a small
// file describe a huge tree ("billion laughs"); real specs stay far below.
const maxVisits = 1 << 18

// maxDepth bounds the nesting of object fields and of default values.
const maxDepth = 32

// File reads and loads the spec at path. Positions in errors and in the
// AST name the file by path as given (slash-separated), so pass a path
// relative to the working directory.
func File(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return Bytes(path, data)
}

// Bytes loads a spec from data; name is used in positions. A name ending
// in ".go" is read as a Go spec (see gospec.go), any other as YAML. The
// error, if any, is an ErrorList sorted by position that holds every
// mistake found.
func Bytes(name string, data []byte) (*Spec, error) {
	spec, errs := Partial(name, data)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return spec, nil
}

// Partial loads a spec as Bytes does, but returns what it could read
// along with the mistakes, sorted by position: keys with a mistake are
// left out of the spec. The spec is nil when nothing could be read (a
// YAML syntax error, a file that is not a mapping). Checking the partial
// spec too (model.Build) reports the mistakes of both stages in one run.
func Partial(name string, data []byte) (*Spec, ErrorList) {
	var spec *Spec
	var errs ErrorList
	if strings.HasSuffix(name, ".go") {
		l := &goLoader{file: filepath.ToSlash(name), fset: token.NewFileSet(), src: data, types: make(map[string]*goType)}
		spec, errs = l.load(), l.errs
	} else {
		l := &loader{file: filepath.ToSlash(name), visits: maxVisits, src: data}
		spec, errs = l.load(data), l.errs
		if l.exhausted {
			spec = nil
		}
	}
	errs.Sort()
	return spec, errs
}

// loader holds the state of one Bytes call.
type loader struct {
	file      string
	errs      ErrorList
	visits    int  // remaining node visits
	exhausted bool // visits ran out: report nothing more
	src       []byte
	lines     []int // byte offsets of the starts of the lines of src, computed on first use
}

// entry is one key and value of a YAML mapping, with aliases resolved.
type entry struct {
	key, val *yaml.Node
}

func (l *loader) pos(n *yaml.Node) Pos {
	return Pos{File: l.file, Line: n.Line, Col: n.Column}
}

func (l *loader) loc(e entry) Loc {
	return Loc{KeyPos: l.pos(e.key), Pos: l.pos(e.val)}
}

func (l *loader) errorf(n *yaml.Node, format string, args ...any) {
	l.errorAt(l.pos(n), format, args...)
}

func (l *loader) errorAt(pos Pos, format string, args ...any) {
	if l.exhausted {
		return
	}
	l.errs.Add(pos, fmt.Sprintf(format, args...))
}

// spend records n node visits and reports false once the budget is spent.
func (l *loader) spend(n *yaml.Node, cost int) bool {
	if l.exhausted {
		return false
	}
	l.visits -= cost
	if l.visits < 0 {
		l.errorf(n, "spec too large: more than %d YAML nodes after expanding aliases", maxVisits)
		l.exhausted = true
		return false
	}
	return true
}

// yamlLine matches the "yaml: line N: message" errors of the YAML parser,
// which report a line but no column.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntaxError records a YAML parse error at its line (column 1: the parser
// does not report one).
func (l *loader) syntaxError(err error) {
	pos := Pos{File: l.file, Line: 1, Col: 1}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = m[2]
		if n, convErr := strconv.Atoi(m[1]); convErr == nil && n >= 0 {
			pos.Line = n
			if parserProblem(msg) {
				// yaml.v3 reports parser errors (unlike scanner errors)
				// with a 0-based line: the line where the construct
				// being parsed starts.
				pos.Line++
			}
		}
		if pos.Line < 1 {
			pos.Line = 1
		}
	}
	l.errorAt(pos, "invalid YAML: %s", msg)
}

// parserProblem reports whether msg is one of the YAML parser's (not
// scanner's) problems, listed in yaml.v3 parserc.go.
func parserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// load parses data and walks the document.
func (l *loader) load(data []byte) *Spec {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errorAt(Pos{File: l.file, Line: 1, Col: 1}, `spec is empty: it needs at least "specstar: 1", "package" and "resources"`)
		} else {
			l.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		l.syntaxError(err)
		return nil
	default:
		l.errorf(&extra, `a spec is a single YAML document: remove the "---" separator and what follows`)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.errorAt(Pos{File: l.file, Line: 1, Col: 1}, `spec is empty: it needs at least "specstar: 1", "package" and "resources"`)
		return nil
	}
	root := l.deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		l.errorf(root, "spec must be a mapping of keys (specstar, package, resources), got %s", describe(root))
		return nil
	}
	return l.spec(root)
}

// deref resolves aliases.
func (l *loader) deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// entries returns the entries of a mapping node in order, reporting
// non-string keys, merge keys and duplicate keys (the later one is
// dropped). subject names the mapping in messages.
func (l *loader) entries(n *yaml.Node, subject string) []entry {
	if !l.spend(n, len(n.Content)/2+1) {
		return nil
	}
	var out []entry
	first := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.deref(n.Content[i]), l.deref(n.Content[i+1])
		switch {
		case k.Kind != yaml.ScalarNode:
			l.errorf(k, "%s: keys must be plain names, got %s", subject, describe(k))
			continue
		case k.ShortTag() == "!!merge":
			l.errorf(k, `%s: merge keys ("<<") are not supported: write the keys out`, subject)
			continue
		}
		if prev, ok := first[k.Value]; ok {
			l.errorf(k, "%s: duplicate key %q (first defined at line %d)", subject, k.Value, prev.Line)
			continue
		}
		first[k.Value] = k
		out = append(out, entry{key: k, val: v})
	}
	return out
}

// mapping returns the entries of e's value, or reports that it is not a
// mapping.
func (l *loader) mapping(e entry, subject string) ([]entry, bool) {
	if e.val.Kind != yaml.MappingNode {
		l.errorf(e.val, "%s: %s must be a mapping, got %s", subject, e.key.Value, describe(e.val))
		return nil, false
	}
	return l.entries(e.val, subject), true
}

// unknown reports an unknown key with the nearest valid key in scope.
func (l *loader) unknown(k *yaml.Node, subject string, valid []string) {
	hint := keyAlias(k.Value)
	if hint == "" {
		hint = Suggest(k.Value, valid)
	}
	l.errorf(k, "%s: unknown key %q%s", subject, k.Value, DidYouMean(hint))
}

// unsupported reports a key for a feature that is planned but not built.
func (l *loader) unsupported(k *yaml.Node, subject, feature string) {
	l.errorf(k, "%s: %q (%s) is not supported yet by this version of specstar: it is planned; remove the key for now", subject, k.Value, feature)
}

// keyAlias maps keys other tools use to the specstar key, for suggestions
// that edit distance cannot find.
func keyAlias(key string) string {
	switch key {
	case "enum", "choices", "options":
		return "values"
	case "items", "element", "elem":
		return "of"
	case "ref", "target", "references":
		return "to"
	case "minimum":
		return "min"
	case "maximum":
		return "max"
	case "regex", "regexp":
		return "pattern"
	case "doc", "docs", "comment":
		return "description"
	case "properties", "props", "attributes", "columns":
		return "fields"
	case "ondelete", "on-delete", "onDelete":
		return "on_delete"
	}
	return ""
}

// describe renders a YAML value for "got ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return strconv.Quote(truncate(n.Value))
		}
		return truncate(n.Value)
	}
	return "an alias"
}

// truncate shortens long values in messages.
func truncate(s string) string {
	const limit = 40
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit]) + "..."
}
