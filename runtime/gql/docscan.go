package gql

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/lexer"
)

// docCost is what scanDocument measures of a document: enough to bound
// the work gqlgen's parser and validator will do on it.
//
// The validator walks every operation and every fragment definition, and
// re-walks the fragments each of them spreads, so its work grows with the
// document expanded at its spreads (expanded). Its rule
// OverlappingFieldsCanBeMerged compares every pair of fields that share a
// response name in one selection set, after inline fragments and spreads
// are merged into it, and for each such pair the two subselections, and
// every pair of spreads in a set: its work grows with the square of the
// fields sharing a name and of the spreads (merges; fields are grouped
// by response name over the whole document, not per selection set, an
// upper bound that needs no syntax tree). The scan counts both in time
// linear in the tokens it reads, and stops at the first limit exceeded.
type docCost struct {
	tokens    int // tokens read (comments excluded)
	fragments int // fragment definitions
	expanded  int // selections, each fragment counted at each spread
	merges    int // an upper bound of the comparisons of the merge rule
}

// docLimits are the bounds scanDocument enforces; see Options.
type docLimits struct {
	tokens, fragments, selections, merges int
}

// limitError is the first limit a document exceeds.
type limitError struct {
	reason string // extensions.reason
	msg    string
}

// Reasons of the document limits (their code is BAD_REQUEST).
const (
	codeTokenLimit     = "TOKEN_LIMIT_EXCEEDED"
	codeFragmentLimit  = "FRAGMENT_LIMIT_EXCEEDED"
	codeSelectionLimit = "SELECTION_LIMIT_EXCEEDED"
	codeMergeLimit     = "MERGE_LIMIT_EXCEEDED"
	// A cycle of spreads makes a document invalid; the scan reports it
	// with the reason the validator would give.
	codeFragmentCycle = errcode.ValidationFailed
)

// nameStat is what one definition holds of one response name: how many
// fields use it, how many selections their subselections hold, and the
// sum of the squares of the spreads in their subselections.
type nameStat struct {
	fields   int
	children int
	spreadSq int
}

// definition is one operation or fragment definition of the document.
type definition struct {
	fragment   string     // the fragment's name; "" for an operation
	selections int        // selection nodes at every level
	top        int        // selections of its own set, inline fragments merged
	spreads    []string   // every spread, at any level
	topSpreads []string   // the spreads of its own set
	nested     []string   // the spreads in the sets of its fields
	sets       [][]string // the spreads of each set of its fields with two or more
	widths     int        // pairs of selections in each set of its fields
	names      map[string]*nameStat
}

// scanner reads the tokens of a document with one token of lookahead.
// A token it does not expect ends the scan without an error: the
// document is then not valid GraphQL, and gqlgen's parser, which is
// linear in the size of the document, reports where.
type scanner struct {
	lex    lexer.Lexer
	next   lexer.Token
	bad    bool // a lexical error or an unexpected token
	tokens int
	limit  int
	over   bool     // more than limit tokens
	inline int      // depth of inline fragments in the current field's set
	deep   int      // deepest nesting of inline fragments seen
	set    []string // the spreads of the current field's set
	fields int      // depth of fields: 0 in a definition's own set
	defs   []*definition
	cur    *definition
}

func (s *scanner) advance() {
	for {
		tok, err := s.lex.ReadToken()
		if err != nil {
			s.bad = true
			s.next = lexer.Token{Kind: lexer.EOF}
			return
		}
		if tok.Kind == lexer.Comment {
			continue
		}
		if tok.Kind != lexer.EOF {
			s.tokens++
			if s.tokens > s.limit {
				s.over = true
				s.next = lexer.Token{Kind: lexer.EOF}
				return
			}
		}
		s.next = tok
		return
	}
}

// stopped reports whether the scan must end: an error, the token limit,
// or the end of the document.
func (s *scanner) stopped() bool { return s.bad || s.over || s.next.Kind == lexer.EOF }

// accept consumes the next token if it is of kind k.
func (s *scanner) accept(k lexer.Type) bool {
	if s.next.Kind != k || s.stopped() {
		return false
	}
	s.advance()
	return true
}

// name consumes a name token and returns it; "" and a stop if the next
// token is not a name.
func (s *scanner) name() string {
	if s.next.Kind != lexer.Name || s.stopped() {
		s.bad = true
		return ""
	}
	v := s.next.Value
	s.advance()
	return v
}

// skipParens skips a parenthesised list (arguments, variable
// definitions): values nest brackets and braces but never parentheses.
func (s *scanner) skipParens() {
	if !s.accept(lexer.ParenL) {
		return
	}
	for depth := 1; depth > 0 && !s.stopped(); s.advance() {
		switch s.next.Kind {
		case lexer.ParenL:
			depth++
		case lexer.ParenR:
			depth--
		}
	}
}

// directives skips @name(args) ...
func (s *scanner) directives() {
	for s.accept(lexer.At) {
		s.name()
		s.skipParens()
	}
}

// document scans the definitions of the document.
func (s *scanner) document() {
	for !s.stopped() {
		d := &definition{names: map[string]*nameStat{}}
		s.defs = append(s.defs, d)
		s.cur = d
		s.set = nil
		if s.next.Kind == lexer.BraceL {
			d.top = s.selectionSet()
			s.closeSet(d)
			continue
		}
		switch s.name() {
		case "query", "mutation", "subscription":
			if s.next.Kind == lexer.Name {
				s.advance()
			}
			s.skipParens()
			s.directives()
		case "fragment":
			d.fragment = s.name()
			if d.fragment == "" || s.name() != "on" {
				s.bad = true
				return
			}
			s.name()
			s.directives()
		default:
			s.bad = true
			return
		}
		if s.next.Kind != lexer.BraceL {
			s.bad = true
			return
		}
		d.top = s.selectionSet()
		s.closeSet(d)
	}
}

// closeSet records the spreads of the top-level set of d.
func (s *scanner) closeSet(d *definition) { d.topSpreads = s.set }

// selectionSet scans { selections } and returns how many selections it
// holds, those of its inline fragments included (the merge rule merges
// them).
func (s *scanner) selectionSet() int {
	if !s.accept(lexer.BraceL) {
		s.bad = true
		return 0
	}
	n := 0
	for !s.stopped() && !s.accept(lexer.BraceR) {
		n += s.selection()
	}
	return n
}

// selection scans one selection and returns the selections it adds to
// its set: 1, or those of an inline fragment.
func (s *scanner) selection() int {
	s.cur.selections++
	if s.accept(lexer.Spread) {
		return s.fragment()
	}
	response := s.name() // the alias, if a colon follows
	if s.accept(lexer.Colon) {
		s.name()
	}
	return s.field(response)
}

// field scans the rest of a field whose response name is response.
func (s *scanner) field(response string) int {
	s.skipParens()
	s.directives()
	children, spreads := 0, 0
	if s.next.Kind == lexer.BraceL {
		inline, set := s.inline, s.set
		s.inline, s.set = 0, nil
		s.fields++
		children = s.selectionSet()
		s.fields--
		s.cur.widths += children * (children - 1) / 2
		spreads = len(s.set)
		if spreads > 1 {
			s.cur.sets = append(s.cur.sets, s.set)
		}
		s.inline, s.set = inline, set
	}
	st := s.cur.names[response]
	if st == nil {
		st = &nameStat{}
		s.cur.names[response] = st
	}
	// Each level of inline fragments around a field compares it again.
	w := 1 + s.inline
	st.fields += w
	st.children += w * children
	st.spreadSq += w * spreads * spreads
	return 1
}

// fragment scans what follows "...": a spread or an inline fragment.
func (s *scanner) fragment() int {
	if s.next.Kind == lexer.Name && s.next.Value != "on" {
		name := s.name()
		s.cur.spreads = append(s.cur.spreads, name)
		s.set = append(s.set, name)
		if s.fields > 0 {
			s.cur.nested = append(s.cur.nested, name)
		}
		s.directives()
		return 1
	}
	if s.next.Kind == lexer.Name {
		s.advance() // on
		s.name()
	}
	s.directives()
	s.inline++
	s.deep = max(s.deep, s.inline)
	n := s.selectionSet()
	s.inline--
	return 1 + n
}

// scanDocument measures query against lim and returns the first limit it
// exceeds, or nil. It never fails on a syntax error: the parser reports
// those.
func scanDocument(query string, lim docLimits) *limitError {
	// Saturating sums stay far from overflowing.
	const most = 1 << 40
	lim = docLimits{tokens: min(lim.tokens, most), fragments: min(lim.fragments, most),
		selections: min(lim.selections, most), merges: min(lim.merges, most)}
	s := &scanner{lex: newLexer(query), limit: lim.tokens}
	s.advance()
	s.document()
	if s.over {
		return &limitError{codeTokenLimit, fmt.Sprintf("the document has more than %d tokens, the limit", lim.tokens)}
	}
	c, lerr := s.cost(lim)
	if lerr != nil {
		return lerr
	}
	switch {
	case c.fragments > lim.fragments:
		return &limitError{codeFragmentLimit, fmt.Sprintf("the document defines %d fragments, which exceeds the limit of %d", c.fragments, lim.fragments)}
	case c.expanded > lim.selections:
		return &limitError{codeSelectionLimit, fmt.Sprintf("the document has more than %d selections, each fragment counted at each spread", lim.selections)}
	case c.merges > lim.merges:
		return &limitError{codeMergeLimit, fmt.Sprintf("the document repeats response names or fragment spreads too often: checking that its fields with the same response name can be merged takes more than %d comparisons, the limit (drop repeated fields and spreads, or give fields different aliases)", lim.merges)}
	}
	return nil
}

// cost computes the cost of the scanned document. It stops early, with
// the counts so far, at the first of fragments and selections over its
// limit.
func (s *scanner) cost(lim docLimits) (docCost, *limitError) {
	c := docCost{tokens: s.tokens}
	byName := map[string]int{}
	for i, d := range s.defs {
		if d.fragment == "" {
			continue
		}
		c.fragments++
		if _, dup := byName[d.fragment]; !dup {
			byName[d.fragment] = i
		}
	}
	if c.fragments > lim.fragments {
		return c, nil
	}
	mult, lerr := s.multiplicities(byName, lim.selections+1)
	if lerr != nil {
		return c, lerr
	}
	for i, d := range s.defs {
		c.expanded = satAdd(c.expanded, satMul(mult[i], d.selections, lim.selections+1), lim.selections+1)
	}
	if c.expanded > lim.selections {
		return c, nil
	}
	c.merges = s.merges(byName, mult, lim.merges+1)
	return c, nil
}

// merges bounds the comparisons of the merge rule (saturating at sat):
//
//   - n(n-1)/2 for the n fields of a response name, (n-1) times the
//     selections in their subselections (each compared pair collects its
//     two subselections), and (n-1) times half the sum of the squares of
//     their subselections' spreads (each pair compares every spread of
//     one with every spread of the other);
//
//   - for each selection set with P spreads, P(P-1)/2, and for each pair
//     of spreads, the fragments one leads to (through the spreads of
//     their own sets) times the selections of those the other leads to
//     (a first comparison of two fragments collects both);
//
//   - for each spread, the selections of the fragment and of the
//     fragments it spreads in turn (compared with the fields around the
//     spread);
//
//   - for each selection set of w selections, w(w-1)/2: gqlgen's
//     execution collects the fields of a set with a linear search per
//     field;
//
// each counted once per walk of its definition (a definition's own set
// once). Each level of inline fragments compares the fields and spreads
// in it again: a field counts 1 plus the inline fragments around it in
// its set, the spread terms are multiplied by 1 plus the deepest nesting
// of inline fragments.
func (s *scanner) merges(byName map[string]int, mult []int, sat int) int {
	type agg struct{ fields, children, spreadSq int }
	names := map[string]*agg{}
	for i, d := range s.defs {
		for name, st := range d.names {
			a := names[name]
			if a == nil {
				a = &agg{}
				names[name] = a
			}
			a.fields = satAdd(a.fields, satMul(mult[i], st.fields, sat), sat)
			a.children = satAdd(a.children, satMul(mult[i], st.children, sat), sat)
			a.spreadSq = satAdd(a.spreadSq, satMul(mult[i], st.spreadSq, sat), sat)
		}
	}
	total := 0
	for _, a := range names {
		n := a.fields
		total = satAdd(total, pairs(n, sat), sat)
		total = satAdd(total, satMul(n-1, satAdd(a.children, a.spreadSq/2, sat), sat), sat)
	}
	closure, frags := s.closures(byName, sat)
	// spreadCost is the cost of sets of spreads and of the spreads in
	// them. Two spreads A and B in a set are compared, and so, once each,
	// every pair of a fragment A leads to and one B leads to; and each
	// spread is compared with the fields around it.
	spreadCost := func(sets [][]string, spreads []string) int {
		n := 0
		for _, set := range sets {
			p, all := len(set), 0
			for _, name := range set {
				if j, ok := byName[name]; ok {
					all = satAdd(all, frags[j], sat)
				}
			}
			n = satAdd(n, pairs(p, sat), sat)
			for _, name := range set {
				if j, ok := byName[name]; ok {
					n = satAdd(n, satMul(closure[j], all-frags[j], sat), sat)
				}
			}
		}
		for _, name := range spreads {
			if j, ok := byName[name]; ok {
				n = satAdd(n, closure[j], sat)
			}
		}
		return n
	}
	spreadTotal, collect := 0, 0
	for i, d := range s.defs {
		// A definition's own set is compared when the validator walks the
		// definition itself; the sets of its fields, on every walk.
		var own [][]string
		if len(d.topSpreads) > 1 {
			own = [][]string{d.topSpreads}
		}
		spreadTotal = satAdd(spreadTotal, spreadCost(own, d.topSpreads), sat)
		spreadTotal = satAdd(spreadTotal, satMul(mult[i], spreadCost(d.sets, d.nested), sat), sat)
		// Execution collects the fields of each set with a linear search
		// per field, once per object: the own set of an operation once,
		// the sets of a fragment at each of its spreads.
		collect = satAdd(collect, satMul(mult[i], satAdd(pairs(d.top, sat), min(d.widths, sat), sat), sat), sat)
	}
	// Each level of inline fragments compares the spreads in it again
	// (fields carry their own weight).
	total = satAdd(total, satMul(spreadTotal, 1+s.deep, sat), sat)
	return satAdd(total, collect, sat)
}

// closures returns for each fragment the selections of its own set plus
// those of the fragments it spreads there, recursively, and how many
// fragments that is (both saturating at sat; multiplicities has refused
// cycles).
func (s *scanner) closures(byName map[string]int, sat int) (sizes, counts []int) {
	sizes = make([]int, len(s.defs))
	counts = make([]int, len(s.defs))
	seen := make([]bool, len(s.defs))
	var visit func(i int)
	visit = func(i int) {
		if seen[i] {
			return
		}
		seen[i] = true
		size, count := s.defs[i].top, 1
		for _, name := range s.defs[i].topSpreads {
			if j, ok := byName[name]; ok {
				visit(j)
				size, count = satAdd(size, sizes[j], sat), satAdd(count, counts[j], sat)
			}
		}
		sizes[i], counts[i] = size, count
	}
	for i := range s.defs {
		visit(i)
	}
	return sizes, counts
}

// multiplicities returns how many times the validator may walk each
// definition: once for an operation, and for a fragment once as a
// definition plus once per walk of each definition that spreads it;
// values saturate at sat. A cycle of spreads is refused here, because
// it makes the count infinite; the validator refuses it too.
func (s *scanner) multiplicities(byName map[string]int, sat int) ([]int, *limitError) {
	users := make([][]int, len(s.defs)) // the definitions spreading each fragment
	for i, d := range s.defs {
		for _, name := range d.spreads {
			if j, ok := byName[name]; ok {
				users[j] = append(users[j], i)
			}
		}
	}
	const (
		todo = iota
		doing
		done
	)
	state := make([]int, len(s.defs))
	mult := make([]int, len(s.defs))
	var visit func(i int) *limitError
	visit = func(i int) *limitError {
		switch state[i] {
		case done:
			return nil
		case doing:
			return &limitError{codeFragmentCycle, fmt.Sprintf("fragment %q spreads itself, directly or through other fragments", s.defs[i].fragment)}
		}
		state[i] = doing
		m := 1
		for _, u := range users[i] {
			if err := visit(u); err != nil {
				return err
			}
			m = satAdd(m, mult[u], sat)
		}
		mult[i], state[i] = m, done
		return nil
	}
	for i := range s.defs {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return mult, nil
}

// pairs returns n(n-1)/2, or sat if that is larger.
func pairs(n, sat int) int {
	if n%2 == 0 {
		return satMul(n/2, n-1, sat)
	}
	return satMul(n, (n-1)/2, sat)
}

// satAdd returns a+b, or sat if that is larger (a, b >= 0 and at most
// sat, which is far from the largest int).
func satAdd(a, b, sat int) int { return min(a+b, sat) }

// satMul returns a*b, or sat if that is larger (a, b >= 0), without
// overflowing.
func satMul(a, b, sat int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > sat/b {
		return sat
	}
	return min(a*b, sat)
}

// newLexer returns a lexer over query.
func newLexer(query string) lexer.Lexer { return lexer.New(&ast.Source{Input: query}) }
