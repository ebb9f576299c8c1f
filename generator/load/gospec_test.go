package load_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/specstar-go/specstar/generator/load"
)

// goAST exercises renamed imports, doc and line comments, tag quoting,
// typed defaults, pointers, named and anonymous objects and resource
// options. Tabs count as one column, as in go/token.
const goAST = `//go:build specstar

package shop

import (
	j "encoding/json"
	s "github.com/specstar-go/specstar/runtime/spec"
	t "time"
)

var _ = s.Spec{Version: 1, Package: "shop", Output: "internal/shop"}

// Item is a thing for sale.
//
// It has a second paragraph.
//
//go:generate echo directives are not descriptions
type Item struct {
	s.Resource ` + "`" + `specstar:"path=items,default_sort='-price,name',keep_last=3,max_age=30d"` + "`" + `

	// The display name.
	Name   string    ` + "`" + `specstar:"required,pattern='^[a-z,]+$',default='it''s'"` + "`" + `
	Price  *float64  ` + "`" + `specstar:"min=0,max=1.5e3,default=2"` + "`" + ` // in euros
	Count  int64     ` + "`" + `specstar:"default=-3"` + "`" + `
	Tags   []s.Enum  ` + "`" + `specstar:"values=a|'b|c',default=a|'b|c'"` + "`" + `
	Codes  []string  ` + "`" + `specstar:"default="` + "`" + `
	Blank  []string  ` + "`" + `specstar:"default=''"` + "`" + `
	SeenAt t.Time    ` + "`" + `json:"seen"` + "`" + `
	Raw    j.RawMessage
	Maker  s.Ref[Item] ` + "`" + `specstar:"on_delete=set_null"` + "`" + `
	Photo  s.File    ` + "`" + `specstar:"max_size=2MB,accept=image/png"` + "`" + `
	Home   *place
	Work   place
	Extra  struct{ Note s.Text }
	A, B   bool
	HTTPURL s.URL
}

type place struct {
	City string
}
`

func TestGoSpecAST(t *testing.T) {
	s, err := load.Bytes("dir/spec.go", []byte(goAST))
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	at := func(line, col int) load.Pos { return load.Pos{File: "dir/spec.go", Line: line, Col: col} }
	r := s.Resources[0]
	fs := r.Fields.List
	byName := make(map[string]*load.Field)
	for _, f := range fs {
		byName[f.Name] = f
	}
	items := func(l *load.StringList) []string {
		var out []string
		for _, it := range l.Items {
			out = append(out, it.Value)
		}
		return out
	}
	texts := func(v *load.Value) []string {
		var out []string
		for _, it := range v.Items {
			out = append(out, it.Tag+" "+it.Text)
		}
		return out
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"file", s.File, "dir/spec.go"},
		{"version", s.Specstar.Value, int64(1)},
		{"version key pos", s.Specstar.KeyPos, at(11, 16)},
		{"version pos", s.Specstar.Pos, at(11, 25)},
		{"package", s.Package.Value, "shop"},
		{"output", s.Output.Value, "internal/shop"},
		{"resource count", len(s.Resources), 1},
		{"resource", r.Name, "Item"},
		{"resource pos", r.Pos, at(18, 6)},
		{"description", r.Description.Value, "Item is a thing for sale.\n\nIt has a second paragraph."},
		{"description pos", r.Description.Pos, at(13, 1)},
		{"path", r.Path.Value, "items"},
		{"path pos", r.Path.Pos, at(19, 29)},
		{"path key pos", r.Path.KeyPos, at(19, 24)},
		{"default sort", r.DefaultSort.Value, "-price,name"},
		{"keep_last", r.Revisions.KeepLast.Value, int64(3)},
		{"max_age", r.Revisions.MaxAge.Value, 30 * 24 * time.Hour},
		{"revisions pos", r.Revisions.KeyPos, at(19, 62)},
		{"fields", len(fs), 16},
		{"field order", fmt.Sprint(fs[0].Name, fs[1].Name, fs[14].Name, fs[15].Name), "namepricebhttpurl"},
		{"field pos", fs[0].Pos, at(22, 2)},
		{"field doc", fs[0].Description.Value, "The display name."},
		{"line comment", byName["price"].Description.Value, "in euros"},
		{"no description", byName["count"].Description == nil, true},
		{"type", fs[0].Type.Value, "string"},
		{"type pos", fs[0].Type.Pos, at(22, 9)},
		{"quoted pattern", fs[0].Pattern.Value, "^[a-z,]+$"},
		{"pattern pos", fs[0].Pattern.Pos, at(22, 47)},
		{"doubled quote", fs[0].Default.Text, "it's"},
		{"string default tag", fs[0].Default.Tag, "!!str"},
		{"required", fs[0].Required.Value, true},
		{"required pos", fs[0].Required.KeyPos, at(22, 30)},
		{"pointer type", byName["price"].Type.Value, "float"},
		{"min is int", byName["price"].Min.IsInt, true},
		{"max", byName["price"].Max.Value, 1500.0},
		{"max is float", byName["price"].Max.IsInt, false},
		{"float default written as int", byName["price"].Default.Tag + " " + byName["price"].Default.Text, "!!int 2"},
		{"int64", byName["count"].Type.Value, "int"},
		{"negative default", byName["count"].Default.Int, int64(-3)},
		{"enum list", byName["tags"].Type.Value + " of " + byName["tags"].Of.Value, "list of enum"},
		{"of pos", byName["tags"].Of.Pos, at(25, 11)},
		{"quoted value", items(byName["tags"].Values), []string{"a", "b|c"}},
		{"list default", texts(byName["tags"].Default), []string{"!!str a", "!!str b|c"}},
		{"empty list default", byName["codes"].Default.Kind == load.Sequence && len(byName["codes"].Default.Items) == 0, true},
		{"quoted empty item", texts(byName["blank"].Default), []string{"!!str "}},
		{"json name", byName["seen"] != nil, true},
		{"json name pos", byName["seen"].Pos, at(28, 26)},
		{"datetime", byName["seen"].Type.Value, "datetime"},
		{"raw message", byName["raw"].Type.Value, "json"},
		{"ref", byName["maker"].Type.Value + " to " + byName["maker"].To.Value, "ref to Item"},
		{"ref target pos", byName["maker"].To.Pos, at(30, 15)},
		{"on_delete", byName["maker"].OnDelete.Value, "set_null"},
		{"file", byName["photo"].MaxSize.Bytes, int64(2 << 20)},
		{"accept", items(byName["photo"].Accept), []string{"image/png"}},
		{"named object", byName["home"].Type.Value, "object"},
		{"named object fields", byName["home"].Fields.List[0].Name, "city"},
		{"named object field pos", byName["home"].Fields.List[0].Pos, at(40, 2)},
		{"shared object fields", byName["home"].Fields == byName["work"].Fields, true},
		{"anonymous object", byName["extra"].Fields.List[0].Type.Value, "text"},
		{"several names", byName["a"].Type.Value + byName["b"].Type.Value, "boolbool"},
		{"upper-case run is one word", byName["httpurl"] != nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// TestGoSpecDispatch checks that Bytes reads names ending in ".go" as Go
// and everything else as YAML.
func TestGoSpecDispatch(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{"go", "spec.go", "specstar: 1\n", "spec.go:1:1: invalid Go: expected 'package', found specstar"},
		{"yaml", "spec.yaml", "package blog\n", `spec.yaml:1:1: spec must be a mapping`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load.Bytes(tt.file, []byte(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); len(got) < len(tt.want) || got[:len(tt.want)] != tt.want {
				t.Errorf("error = %q, want prefix %q", got, tt.want)
			}
		})
	}
}

// TestGoSpecTagExamples loads the tag examples of docs/spec-go.md.
func TestGoSpecTagExamples(t *testing.T) {
	s, err := load.Bytes("spec.go", []byte(goSpec("type P struct {\n"+
		"\tCode  string    `specstar:\"pattern='^[A-Z]{2,3}$'\"`\n"+
		"\tAlt   string    `specstar:\"pattern=^(cat|dog)$\"`\n"+
		"\tMood  spec.Enum `specstar:\"values=ok|'so,so'|'a|b'\"`\n"+
		"\tQuote string    `specstar:\"default='it''s'\"`\n"+
		"\tDigits string   `specstar:\"pattern=^\\\\d+$\"`\n"+
		"}\n")))
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	fs := s.Resources[0].Fields.List
	var values []string
	for _, v := range fs[2].Values.Items {
		values = append(values, v.Value)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"comma in pattern", fs[0].Pattern.Value, "^[A-Z]{2,3}$"},
		{"pipe in pattern", fs[1].Pattern.Value, "^(cat|dog)$"},
		{"quoted values", values, []string{"ok", "so,so", "a|b"}},
		{"doubled quote", fs[3].Default.Text, "it's"},
		{"backslash", fs[4].Pattern.Value, `^\d+$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}
