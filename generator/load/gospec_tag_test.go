package load

import (
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// plain makes a posText whose byte i is at position 100+i.
func plain(s string) posText {
	pos := make([]token.Pos, len(s)+1)
	for i := range pos {
		pos[i] = token.Pos(100 + i)
	}
	return posText{text: s, pos: pos}
}

func TestParseSpecstarTag(t *testing.T) {
	isList := func(key string) bool { return key == "values" || key == "default" }
	// part and item are tagPart and tagItem with offsets into the tag
	// instead of positions.
	type part struct {
		Text   string
		Off    int
		Quoted bool
	}
	type item struct {
		Key      string
		KeyOff   int
		HasValue bool
		Parts    []part
	}
	tests := []struct {
		name    string
		tag     string
		want    []item
		wantErr string // message prefix, at offset errOff
		errOff  int
	}{
		{name: "empty", tag: "", want: nil},
		{name: "spaces only", tag: "  ", want: nil},
		{name: "flags", tag: "required,index", want: []item{{Key: "required"}, {Key: "index", KeyOff: 9}}},
		{name: "spaces around items", tag: " required , max_length = 3 ", want: []item{
			{Key: "required", KeyOff: 1},
			{Key: "max_length", KeyOff: 12, HasValue: true, Parts: []part{{Text: "3", Off: 25}}},
		}},
		{name: "single value keeps pipes", tag: "pattern=^(a|b)$", want: []item{
			{Key: "pattern", HasValue: true, Parts: []part{{Text: "^(a|b)$", Off: 8}}},
		}},
		{name: "list", tag: "values=a|b|c", want: []item{
			{Key: "values", HasValue: true, Parts: []part{{Text: "a", Off: 7}, {Text: "b", Off: 9}, {Text: "c", Off: 11}}},
		}},
		{name: "quoted comma", tag: "pattern='^[a,b]$',index", want: []item{
			{Key: "pattern", HasValue: true, Parts: []part{{Text: "^[a,b]$", Off: 8, Quoted: true}}},
			{Key: "index", KeyOff: 18},
		}},
		{name: "doubled quote", tag: "default='it''s'", want: []item{
			{Key: "default", HasValue: true, Parts: []part{{Text: "it's", Off: 8, Quoted: true}}},
		}},
		{name: "quoted list items", tag: "values='a|b'|'c,d'|e", want: []item{
			{Key: "values", HasValue: true, Parts: []part{{Text: "a|b", Off: 7, Quoted: true}, {Text: "c,d", Off: 13, Quoted: true}, {Text: "e", Off: 19}}},
		}},
		{name: "empty value", tag: "default=", want: []item{
			{Key: "default", HasValue: true, Parts: []part{{Text: "", Off: 8}}},
		}},
		{name: "quoted empty value", tag: "default=''", want: []item{
			{Key: "default", HasValue: true, Parts: []part{{Text: "", Off: 8, Quoted: true}}},
		}},
		{name: "empty list item", tag: "values=a|", want: []item{
			{Key: "values", HasValue: true, Parts: []part{{Text: "a", Off: 7}, {Text: "", Off: 9}}},
		}},
		{name: "empty item", tag: "required,,index", wantErr: "empty item", errOff: 9},
		{name: "trailing comma", tag: "required,", wantErr: "empty item", errOff: 9},
		{name: "leading comma", tag: ",required", wantErr: "empty item", errOff: 0},
		{name: "unterminated quote", tag: "pattern='^a,index", wantErr: "unterminated quoted value", errOff: 8},
		{name: "text after quote", tag: "default='a'b", wantErr: "unexpected text after a quoted value", errOff: 11},
		{name: "quote in a single value is the end of it", tag: "pattern='a'|'b'", wantErr: "unexpected text after a quoted value", errOff: 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := parseSpecstarTag(plain(tt.tag), isList)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("no error, items %+v", items)
				}
				if !strings.HasPrefix(err.msg, tt.wantErr) || err.pos != token.Pos(100+tt.errOff) {
					t.Fatalf("error %q at offset %d, want %q at %d", err.msg, int(err.pos)-100, tt.wantErr, tt.errOff)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %q", err.msg)
			}
			var got []item
			for _, it := range items {
				g := item{Key: it.key, KeyOff: int(it.keyPos) - 100, HasValue: it.hasValue}
				for _, p := range it.parts {
					g.Parts = append(g.Parts, part{Text: p.text, Off: int(p.pos) - 100, Quoted: p.quoted})
				}
				got = append(got, g)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStructTagPairs(t *testing.T) {
	tests := []struct {
		name    string
		lit     string // the literal as written in Go source
		want    map[string]string
		offsets map[string]int // offset of each value's first byte in lit
		wantErr string
	}{
		{name: "raw", lit: "`json:\"a\" specstar:\"required\"`", want: map[string]string{"json": "a", "specstar": "required"}, offsets: map[string]int{"json": 7, "specstar": 20}},
		{name: "escapes keep positions", lit: "`specstar:\"pattern=^\\\\d\"`", want: map[string]string{"specstar": `pattern=^\d`}, offsets: map[string]int{"specstar": 11}},
		{name: "interpreted literal", lit: "\"specstar:\\\"index\\\"\"", want: map[string]string{"specstar": "index"}, offsets: map[string]int{"specstar": 12}},
		{name: "raw with carriage return", lit: "`specstar:\"a\"\r`", want: map[string]string{"specstar": "a"}, offsets: map[string]int{"specstar": 11}},
		{name: "space after colon", lit: "`specstar: \"a\"`", wantErr: "malformed struct tag"},
		{name: "no closing quote", lit: "`specstar:\"a`", wantErr: "malformed struct tag: the value of specstar has no closing quote"},
		{name: "bad escape", lit: "`specstar:\"\\d\"`", wantErr: "malformed struct tag: the value of specstar is not a valid Go string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text, ok := tagLit(tt.lit, 1)
			if !ok {
				t.Fatal("tagLit failed")
			}
			pairs, err := structTagPairs(text)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.msg, tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %q", err.msg)
			}
			got, offsets := map[string]string{}, map[string]int{}
			for _, p := range pairs {
				got[p.key] = p.value.text
				offsets[p.key] = int(p.value.pos[0]) - 1
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.offsets, offsets); diff != "" {
				t.Errorf("offsets (-want +got):\n%s", diff)
			}
		})
	}
}
