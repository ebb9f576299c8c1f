package load

import (
	"go/token"
	"strconv"
	"strings"
	"unicode/utf8"
)

// posText is text decoded from Go source together with the source position
// of each of its bytes, so that a mistake inside a struct tag is reported
// at its exact line and column. pos has one entry more than text: the
// position just after the last byte.
type posText struct {
	text string
	pos  []token.Pos
}

// slice returns t[i:j] with its positions.
func (t posText) slice(i, j int) posText {
	return posText{text: t.text[i:j], pos: t.pos[i : j+1]}
}

// rawLit decodes a raw string literal (`...`), including its backquotes,
// that starts at start. Carriage returns are dropped, as the Go spec says.
func rawLit(lit string, start token.Pos) posText {
	var b strings.Builder
	var pos []token.Pos
	for i := 1; i < len(lit)-1; i++ {
		if lit[i] == '\r' {
			continue
		}
		b.WriteByte(lit[i])
		pos = append(pos, start+token.Pos(i))
	}
	pos = append(pos, start+token.Pos(max(len(lit)-1, 0)))
	return posText{text: b.String(), pos: pos}
}

// unquoteText decodes the body of a double-quoted Go string (without its
// quotes): every byte of the result is located at the escape or character
// it came from.
func unquoteText(body posText) (posText, bool) {
	var b []byte
	var pos []token.Pos
	s := body.text
	for len(s) > 0 {
		at := body.pos[len(body.text)-len(s)]
		c, multibyte, tail, err := strconv.UnquoteChar(s, '"')
		if err != nil {
			return posText{}, false
		}
		n := len(b)
		if c < utf8.RuneSelf || !multibyte {
			b = append(b, byte(c))
		} else {
			b = utf8.AppendRune(b, c)
		}
		for range len(b) - n {
			pos = append(pos, at)
		}
		s = tail
	}
	pos = append(pos, body.pos[len(body.pos)-1])
	return posText{text: string(b), pos: pos}, true
}

// tagLit decodes a struct tag literal, raw or interpreted.
func tagLit(lit string, start token.Pos) (posText, bool) {
	if strings.HasPrefix(lit, "`") {
		return rawLit(lit, start), true
	}
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return posText{}, false
	}
	pos := make([]token.Pos, len(lit)-1)
	for i := range pos {
		pos[i] = start + token.Pos(i+1)
	}
	return unquoteText(posText{text: lit[1 : len(lit)-1], pos: pos})
}

// tagPair is one `key:"value"` pair of a struct tag.
type tagPair struct {
	key    string
	keyPos token.Pos
	value  posText // decoded
}

// tagSyntaxError is a mistake in a struct tag, at a position.
type tagSyntaxError struct {
	pos token.Pos
	msg string
}

// structTagPairs splits a decoded struct tag into its key:"value" pairs,
// following the convention of reflect.StructTag. It stops at the first
// malformed pair.
func structTagPairs(tag posText) ([]tagPair, *tagSyntaxError) {
	var pairs []tagPair
	i := 0
	s := tag.text
	for {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			return pairs, nil
		}
		start := i
		for i < len(s) && s[i] > ' ' && s[i] != ':' && s[i] != '"' && s[i] != 0x7f {
			i++
		}
		if i == start || i+1 >= len(s) || s[i] != ':' || s[i+1] != '"' {
			return pairs, &tagSyntaxError{tag.pos[start], `malformed struct tag: write key:"value" pairs separated by spaces, such as specstar:"required"`}
		}
		key, keyPos := s[start:i], tag.pos[start]
		i++ // the colon
		open := i
		i++
		for i < len(s) && s[i] != '"' {
			if s[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(s) {
			return pairs, &tagSyntaxError{tag.pos[open], "malformed struct tag: the value of " + key + " has no closing quote"}
		}
		value, ok := unquoteText(tag.slice(open+1, i))
		if !ok {
			return pairs, &tagSyntaxError{tag.pos[open], "malformed struct tag: the value of " + key + " is not a valid Go string"}
		}
		pairs = append(pairs, tagPair{key: key, keyPos: keyPos, value: value})
		i++ // the closing quote
	}
}

// tagPart is one value, or one item of a list value, in a specstar tag.
type tagPart struct {
	text   string
	pos    token.Pos
	quoted bool
	// src is text with the position of each byte (and of its end), for
	// values whose inner mistakes are reported exactly (rules).
	src posText
}

// tagItem is one item of a specstar tag: a flag ("required") or a key with
// a value ("max_length=200"). A list value ("values=a|b") has one part
// per item; any other value has exactly one part.
type tagItem struct {
	key      string
	keyPos   token.Pos
	hasValue bool
	parts    []tagPart
}

// isEmptyList reports whether the value of a list key is written empty
// ("default="), which means the empty list.
func (it tagItem) isEmptyList() bool {
	return len(it.parts) == 1 && it.parts[0].text == "" && !it.parts[0].quoted
}

// parseSpecstarTag parses the value of a specstar struct tag:
//
//	tag    = [ item { "," item } ] .
//	item   = key [ "=" value ] .
//	value  = part { "|" part } .   (for list keys; otherwise one part)
//	part   = bare | quoted .
//	bare   = { any byte except "," and, in a list, "|" } .
//	quoted = "'" { any byte except "'" | "''" } "'" .
//
// Spaces around keys and bare parts are ignored; a quoted part keeps
// everything between its quotes, where two quotes in a row stand for
// one. isList says which keys take a list. Parsing stops at the first
// mistake.
func parseSpecstarTag(tag posText, isList func(key string) bool) ([]tagItem, *tagSyntaxError) {
	p := &tagParser{t: tag}
	var items []tagItem
	if strings.TrimSpace(tag.text) == "" {
		return nil, nil
	}
	for {
		it, err := p.item(isList)
		if err != nil {
			return items, err
		}
		items = append(items, it)
		if p.i == len(p.t.text) {
			return items, nil
		}
		p.i++ // the comma
	}
}

// tagParser is the state of parseSpecstarTag.
type tagParser struct {
	t posText
	i int
}

func (p *tagParser) skipSpaces() {
	for p.i < len(p.t.text) && p.t.text[p.i] == ' ' {
		p.i++
	}
}

func (p *tagParser) errorf(i int, msg string) *tagSyntaxError {
	return &tagSyntaxError{pos: p.t.pos[i], msg: msg}
}

// item parses one item, leaving p.i at the comma after it or at the end.
func (p *tagParser) item(isList func(string) bool) (tagItem, *tagSyntaxError) {
	s := p.t.text
	p.skipSpaces()
	start := p.i
	for p.i < len(s) && s[p.i] != '=' && s[p.i] != ',' {
		p.i++
	}
	key := strings.TrimRight(s[start:p.i], " ")
	if key == "" {
		return tagItem{}, p.errorf(start, `empty item in specstar tag: write items such as "required,max_length=200" separated by single commas`)
	}
	it := tagItem{key: key, keyPos: p.t.pos[start]}
	if p.i == len(s) || s[p.i] == ',' {
		return it, nil
	}
	p.i++ // the "="
	it.hasValue = true
	list := isList(key)
	for {
		part, err := p.part(list)
		if err != nil {
			return it, err
		}
		it.parts = append(it.parts, part)
		if p.i < len(s) && s[p.i] == '|' && list {
			p.i++
			continue
		}
		return it, nil
	}
}

// part parses one bare or quoted part.
func (p *tagParser) part(list bool) (tagPart, *tagSyntaxError) {
	s := p.t.text
	p.skipSpaces()
	start := p.i
	if p.i < len(s) && s[p.i] == '\'' {
		var b strings.Builder
		var at []token.Pos
		p.i++
		for {
			if p.i == len(s) {
				return tagPart{}, p.errorf(start, "unterminated quoted value in specstar tag: close it with '")
			}
			c := s[p.i]
			at = append(at, p.t.pos[p.i])
			p.i++
			if c != '\'' {
				b.WriteByte(c)
				continue
			}
			if p.i < len(s) && s[p.i] == '\'' {
				b.WriteByte('\'')
				p.i++
				continue
			}
			break // at ends with the closing quote: the end of the value

		}
		src := posText{text: b.String(), pos: at}
		p.skipSpaces()
		if p.i < len(s) && s[p.i] != ',' && !(list && s[p.i] == '|') {
			return tagPart{}, p.errorf(p.i, "unexpected text after a quoted value in specstar tag: a quoted value ends its item (write '' for a quote inside it)")
		}
		return tagPart{text: src.text, pos: p.t.pos[start], quoted: true, src: src}, nil
	}
	for p.i < len(s) && s[p.i] != ',' && !(list && s[p.i] == '|') {
		p.i++
	}
	text := strings.TrimRight(s[start:p.i], " ")
	return tagPart{text: text, pos: p.t.pos[start], src: p.t.slice(start, start+len(text))}, nil
}
