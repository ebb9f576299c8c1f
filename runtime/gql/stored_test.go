package gql

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The test type: a data type with a field of each stored kind, as the
// generator describes it and as its generated Go type decodes and
// writes it.

const storedSchema = `
type Query { thing: ThingData }
enum Kind { SMALL EXTRA_LARGE }
type ThingData { title: String! note: String n: Int f: Float ok: Boolean! at: DateTime kind: Kind!
  raw: JSON tags: [String!] kinds: [Kind!] sub: Sub subs: [Sub!] }
type Sub { city: String! zip: Int }
scalar DateTime
scalar JSON
`

var subStored = NewStoredType("Sub",
	StoredField{Key: "city", Name: "city", Kind: StoredString},
	StoredField{Key: "zip", Name: "zip", Kind: StoredInt, Null: true},
)

var kinds = map[string]string{"small": "SMALL", "extra_large": "EXTRA_LARGE"}

var thingStored = NewStoredType("ThingData",
	StoredField{Key: "title", Name: "title", Kind: StoredString},
	StoredField{Key: "note", Name: "note", Kind: StoredString, Null: true},
	StoredField{Key: "n", Name: "n", Kind: StoredInt, Null: true},
	StoredField{Key: "f", Name: "f", Kind: StoredFloat, Null: true},
	StoredField{Key: "ok", Name: "ok", Kind: StoredBool},
	StoredField{Key: "at", Name: "at", Kind: StoredTime, Null: true},
	StoredField{Key: "kind", Name: "kind", Kind: StoredEnum, Enum: kinds},
	StoredField{Key: "raw", Name: "raw", Kind: StoredJSON, Null: true},
	StoredField{Key: "tags", Name: "tags", Kind: StoredList, Null: true, Elem: &StoredField{Kind: StoredString}},
	StoredField{Key: "kinds", Name: "kinds", Kind: StoredList, Null: true, Elem: &StoredField{Kind: StoredEnum, Enum: kinds}},
	StoredField{Key: "sub", Name: "sub", Kind: StoredObject, Null: true, Object: subStored},
	StoredField{Key: "subs", Name: "subs", Kind: StoredList, Null: true, Elem: &StoredField{Kind: StoredObject, Object: subStored}},
	StoredField{Key: "secret", Kind: StoredOther},
)

type sub struct {
	City string `json:"city"`
	Zip  *int64 `json:"zip"`
}

type thing struct {
	Title  string          `json:"title"`
	Note   *string         `json:"note"`
	N      *int64          `json:"n"`
	F      *float64        `json:"f"`
	OK     bool            `json:"ok"`
	At     *time.Time      `json:"at"`
	Kind   string          `json:"kind"`
	Raw    json.RawMessage `json:"raw"`
	Tags   []string        `json:"tags"`
	Kinds  []string        `json:"kinds"`
	Sub    *sub            `json:"sub"`
	Subs   []sub           `json:"subs"`
	Secret string          `json:"secret"`
}

// encode writes the selected fields of s as the generated encodeGQL does.
func (s *sub) encode(e *Encoder, sel ast.SelectionSet) bool {
	fields, ok := e.Fields(sel, "Sub")
	if !ok {
		return false
	}
	e.Open()
	for _, f := range fields {
		e.Key(f)
		switch f.Name {
		case "__typename":
			e.String("Sub")
		case "city":
			e.String(s.City)
		case "zip":
			e.Int64Ptr(s.Zip)
		default:
			return false
		}
	}
	e.Close()
	return true
}

// encode writes the selected fields of d as the generated encodeGQL does.
func (d *thing) encode(e *Encoder, sel ast.SelectionSet) bool {
	fields, ok := e.Fields(sel, "ThingData")
	if !ok {
		return false
	}
	e.Open()
	for _, f := range fields {
		e.Key(f)
		ok := true
		switch f.Name {
		case "__typename":
			e.String("ThingData")
		case "title":
			e.String(d.Title)
		case "note":
			e.StringPtr(d.Note)
		case "n":
			e.Int64Ptr(d.N)
		case "f":
			ok = e.FloatPtr(d.F)
		case "ok":
			e.Bool(d.OK)
		case "at":
			if d.At == nil {
				e.Null()
			} else {
				ok = e.Time(*d.At)
			}
		case "kind":
			ok = e.Enum(kinds[d.Kind])
		case "raw":
			ok = e.JSON(d.Raw)
		case "tags", "kinds":
			list := d.Tags
			if f.Name == "kinds" {
				list = d.Kinds
			}
			if list == nil {
				e.Null()
				break
			}
			e.OpenList()
			for _, s := range list {
				e.Elem()
				if f.Name == "kinds" {
					ok = ok && e.Enum(kinds[s])
				} else {
					e.String(s)
				}
			}
			e.CloseList()
		case "sub":
			if d.Sub == nil {
				e.Null()
			} else {
				ok = d.Sub.encode(e, f.Selections)
			}
		case "subs":
			if d.Subs == nil {
				e.Null()
				break
			}
			e.OpenList()
			for i := range d.Subs {
				e.Elem()
				ok = ok && d.Subs[i].encode(e, f.Selections)
			}
			e.CloseList()
		default:
			return false
		}
		if !ok {
			return false
		}
	}
	e.Close()
	return true
}

const storedQuery = `{ thing { __typename title note n f ok at kind raw tags kinds
  sub { city zip __typename } subs { zip c: city } t2: title } }`

// storedEncoder returns an encoder of storedQuery and the selection of
// thing.
func storedEncoder(t testing.TB) (*Encoder, ast.SelectionSet) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: storedSchema})
	doc, errs := gqlparser.LoadQuery(schema, storedQuery)
	if errs != nil {
		t.Fatal(errs)
	}
	op := doc.Operations[0]
	e := newEncoder(&graphql.OperationContext{RawQuery: storedQuery, Doc: doc, Operation: op})
	return e, op.SelectionSet[0].(*ast.Field).SelectionSet
}

// decoded writes data as the generated code does after decoding it, or
// reports false when it does not decode or the encoders decline.
func decoded(e *Encoder, data []byte, sel ast.SelectionSet) ([]byte, bool) {
	var d thing
	if json.Unmarshal(data, &d) != nil {
		return nil, false
	}
	e.buf = e.buf[:0]
	if !d.encode(e, sel) {
		return nil, false
	}
	return bytes.Clone(e.buf), true
}

// checkStored checks that Stored writes data as the decoded value is
// written, or declines having written nothing; it reports whether it
// took data.
func checkStored(t *testing.T, e *Encoder, sel ast.SelectionSet, data []byte) bool {
	t.Helper()
	e.buf = append(e.buf[:0], "prefix"...)
	took := e.Stored(thingStored, data, sel)
	got := bytes.Clone(e.buf)
	if !took {
		if string(got) != "prefix" {
			t.Fatalf("Stored(%s) declined but wrote %s", data, got)
		}
		return false
	}
	want, ok := decoded(e, data, sel)
	if !ok {
		t.Fatalf("Stored(%s) wrote %s; the decoded value is not written", data, got)
	}
	if string(got) != "prefix"+string(want) {
		t.Fatalf("Stored(%s):\n got %s\nwant %s", data, got[len("prefix"):], want)
	}
	return true
}

func TestStored(t *testing.T) {
	e, sel := storedEncoder(t)
	full := `{"title":"Plain title","note":"Caf\u00e9 <b>","n":-42,"f":0.1,"ok":true,"at":"2024-05-01T12:00:00.10+02:00",` +
		`"kind":"extra_large","raw":{"a": [1, "x<y"]},"tags":["a","ü 𝄞"],"kinds":["small"],"sub":{"city":"Paris","zip":75001},` +
		`"subs":[{"city":"Lyon","zip":null},{"zip":1,"city":"Nice"}],"secret":"s3cret"}`
	tests := []struct {
		name, data string
		took       bool
	}{
		{"every kind", full, true},
		{"keys in any order, nulls and missing members", `{"kind":"small","ok":false,"title":"","note":null,"tags":[],"sub":null}`, true},
		{"non-ASCII text as it is", `{"title":"Ada ü 𝄞 日本","ok":true,"kind":"small"}`, true},
		{"HTML characters are escaped again", `{"title":"a<b>&c","ok":true,"kind":"small"}`, true},
		{"line separators are escaped again", "{\"title\":\"a\u2028b\u2029\",\"ok\":true,\"kind\":\"small\"}", true},
		{"escapes are decoded and written again", `{"title":"tab\there \"q\" \\ \/ \u00e9 \ud834\udd1e","ok":true,"kind":"small"}`, true},
		{"a zero integer", `{"title":"","n":0,"ok":true,"kind":"small"}`, true},
		{"float forms", `{"title":"","f":1e-7,"ok":true,"kind":"small"}`, true},
		{"an integer not in its shortest form", `{"title":"","n":-0,"ok":true,"kind":"small"}`, false},
		{"a leading zero", `{"title":"","n":01,"ok":true,"kind":"small"}`, false},
		{"an integer beyond 18 digits", `{"title":"","n":1234567890123456789,"ok":true,"kind":"small"}`, false},
		{"an unknown member", `{"title":"","ok":true,"kind":"small","other":1}`, false},
		{"a member twice", `{"title":"a","title":"b","ok":true,"kind":"small"}`, false},
		{"a key in another case", `{"Title":"a","ok":true,"kind":"small"}`, false},
		{"null in a non-null field", `{"title":null,"ok":true,"kind":"small"}`, false},
		{"a missing non-null field", `{"ok":true,"kind":"small"}`, false},
		{"an enum value outside the enum", `{"title":"","ok":true,"kind":"huge"}`, false},
		{"null in a list", `{"title":"","ok":true,"kind":"small","tags":["a",null]}`, false},
		{"a nested object with an unknown member", `{"title":"","ok":true,"kind":"small","sub":{"city":"x","x":1}}`, false},
		{"a canonical time with a fraction and an offset", `{"title":"","ok":true,"kind":"small","at":"2024-05-01T12:00:00.123456789+05:30"}`, true},
		{"a time with trailing zeros", `{"title":"","ok":true,"kind":"small","at":"2024-05-01T12:00:00.500Z"}`, true},
		{"a zero offset", `{"title":"","ok":true,"kind":"small","at":"2024-05-01T12:00:00-00:00"}`, true},
		{"a leap day", `{"title":"","ok":true,"kind":"small","at":"2024-02-29T23:59:59Z"}`, true},
		{"no leap day", `{"title":"","ok":true,"kind":"small","at":"1900-02-29T00:00:00Z"}`, false},
		{"a day out of range", `{"title":"","ok":true,"kind":"small","at":"2023-04-31T00:00:00Z"}`, false},
		{"an early year", `{"title":"","ok":true,"kind":"small","at":"0999-12-31T00:00:00Z"}`, true},
		{"a long plain string", `{"title":"` + strings.Repeat("lorem ipsum ", 25) + `x","ok":true,"kind":"small"}`, true},
		{"a long string with an escape at the end", `{"title":"` + strings.Repeat("lorem ipsum ", 25) + `\n","ok":true,"kind":"small"}`, true},
		{"a long string with HTML in a word", `{"title":"` + strings.Repeat("lorem ", 5) + `a&b","ok":true,"kind":"small"}`, true},
		{"a zero time", `{"title":"","ok":true,"kind":"small","at":"0001-01-01T00:00:00Z"}`, false},
		{"data that is not an object", `null`, false},
		{"invalid UTF-8", "{\"title\":\"\xff\",\"ok\":true,\"kind\":\"small\"}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if took := checkStored(t, e, sel, []byte(tt.data)); took != tt.took {
				t.Errorf("Stored took the data: %v, want %v", took, tt.took)
			}
		})
	}
}

// FuzzStored checks that whatever Stored writes from stored JSON is what
// the generated code writes after decoding it, and that it writes nothing
// when it declines.
func FuzzStored(f *testing.F) {
	f.Add([]byte(`{"title":"Plain","note":"x\u00e9","n":7,"f":2.5,"ok":true,"at":"2024-05-01T12:00:00Z","kind":"small",` +
		`"raw":[1,{"a":null}],"tags":["a"],"kinds":["extra_large"],"sub":{"city":"P","zip":1},"subs":[{"city":"L"}]}`))
	f.Add([]byte(`{"title":"a\u2028<","ok":false,"kind":"small","n":-0,"f":1e400}`))
	f.Add([]byte(`{"title":"","ok":true,"kind":"small","subs":[],"raw":null}`))
	f.Add([]byte(`{"title":"0123456789abcdef\\\"x","ok":true,"kind":"small","at":"2024-02-29T12:00:00.12+01:00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			// Stored data is JSON the server wrote.
			return
		}
		e, sel := storedEncoder(t)
		checkStored(t, e, sel, data)
	})
}

// TestWritesStored checks that the context the fast path calls a root
// resolver under, and only it, lets a list leave its data as stored.
func TestWritesStored(t *testing.T) {
	ctx := context.Background()
	if WritesStored(ctx) {
		t.Error("WritesStored of a plain context")
	}
	field := graphql.CollectedField{Field: &ast.Field{Name: "posts", Alias: "posts"}}
	if !WritesStored(ResolverContext(ctx, "Query", field, nil)) {
		t.Error("a resolver the fast path calls does not write stored data")
	}
}

// TestArgsShared checks that a field's arguments are parsed once for a
// document and its scalar variables, and again for other variables.
func TestArgsShared(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `type Query { a(n: Int): Int }`})
	query := `query($n: Int) { a(n: $n) }`
	doc, errs := gqlparser.LoadQuery(schema, query)
	if errs != nil {
		t.Fatal(errs)
	}
	op := doc.Operations[0]
	field := graphql.CollectedField{Field: op.SelectionSet[0].(*ast.Field)}
	parses := 0
	args := func(vars map[string]any) map[string]any {
		e := newEncoder(&graphql.OperationContext{RawQuery: query, Doc: doc, Operation: op, Variables: vars})
		args, ok := e.Args(field, func() (map[string]any, error) {
			parses++
			return map[string]any{"n": vars["n"]}, nil
		})
		if !ok {
			t.Fatal("Args failed")
		}
		return args
	}
	first := args(map[string]any{"n": int64(1)})
	again := args(map[string]any{"n": int64(1)})
	if parses != 1 || first["n"] != again["n"] {
		t.Errorf("same variables: %d parses, %v then %v", parses, first, again)
	}
	if other := args(map[string]any{"n": int64(2)}); parses != 2 || other["n"] != int64(2) {
		t.Errorf("other variables: %d parses, %v", parses, other)
	}
	// A list variable is not a key: parsed every time.
	args(map[string]any{"n": []any{1}})
	args(map[string]any{"n": []any{1}})
	if parses != 4 {
		t.Errorf("list variables: %d parses, want 4", parses)
	}
}
