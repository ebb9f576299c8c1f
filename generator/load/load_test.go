package load_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/generator/load"
)

func mustLoad(t *testing.T, spec string) *load.Spec {
	t.Helper()
	s, err := load.Bytes("spec.yaml", []byte(spec))
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	return s
}

func at(line, col int) load.Pos { return load.Pos{File: "spec.yaml", Line: line, Col: col} }

func TestBytesAST(t *testing.T) {
	s := mustLoad(t, `specstar: 1
package: blog
output: gen
resources:
  Post:
    description: A post.
    path: articles
    fields:
      title: string
      views: {type: int, min: 0, max: 1.5e3, default: 3, required: false}
      tags:
        type: list
        of: enum
        values: [a, "b"]
        default: [a]
      cover: {type: file, max_size: 5MB, accept: [image/png]}
    revisions: {keep_last: 3, max_age: 1d12h}
  Author:
    fields:
      name: string
`)
	if s.File != "spec.yaml" || s.Specstar.Value != 1 || s.Package.Value != "blog" || s.Output.Value != "gen" {
		t.Errorf("header = %+v", s)
	}
	if len(s.Resources) != 2 || s.Resources[0].Name != "Post" || s.Resources[1].Name != "Author" {
		t.Fatalf("resources out of order: %+v", s.Resources)
	}
	post := s.Resources[0]
	fs := post.Fields.List
	tests := []struct {
		name      string
		got, want any
	}{
		{"resource pos", post.Pos, at(5, 3)},
		{"description", post.Description.Value, "A post."},
		{"path", post.Path.Value, "articles"},
		{"path key pos", post.Path.KeyPos, at(7, 5)},
		{"path value pos", post.Path.Pos, at(7, 11)},
		{"fields key pos", post.Fields.KeyPos, at(8, 5)},
		{"field count", len(fs), 4},
		{"shorthand", fs[0].Shorthand, true},
		{"shorthand type", fs[0].Type.Value, "string"},
		{"shorthand type pos", fs[0].Type.Pos, at(9, 14)},
		{"field pos", fs[1].Pos, at(10, 7)},
		{"int min", fs[1].Min.Value, 0.0},
		{"min is int", fs[1].Min.IsInt, true},
		{"float max", fs[1].Max.Value, 1500.0},
		{"max is float", fs[1].Max.IsInt, false},
		{"default tag", fs[1].Default.Tag, "!!int"},
		{"default int", fs[1].Default.Int, int64(3)},
		{"default key pos", fs[1].Default.KeyPos, at(10, 46)},
		{"required false", fs[1].Required.Value, false},
		{"values", []string{fs[2].Values.Items[0].Value, fs[2].Values.Items[1].Value}, []string{"a", "b"}},
		{"value item pos", fs[2].Values.Items[1].Pos, at(14, 21)},
		{"list default", fs[2].Default.Kind, load.Sequence},
		{"list default item", fs[2].Default.Items[0].Text, "a"},
		{"size", fs[3].MaxSize.Bytes, int64(5 << 20)},
		{"size text", fs[3].MaxSize.Text, "5MB"},
		{"accept", fs[3].Accept.Items[0].Value, "image/png"},
		{"keep_last", post.Revisions.KeepLast.Value, int64(3)},
		{"max_age", post.Revisions.MaxAge.Value, 36 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestBytesAliases(t *testing.T) {
	s := mustLoad(t, `specstar: 1
package: blog
resources:
  Post:
    fields:
      title: &name {type: string, max_length: 80}
  Author:
    fields:
      name: *name
`)
	f := s.Resources[1].Fields.List[0]
	if f.Type.Value != "string" || f.MaxLength.Value != 80 {
		t.Errorf("aliased field = %+v", f)
	}
}

func TestBytesErrors(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string // substrings, one per error, in order
	}{
		{
			name: "alias bomb",
			spec: aliasBomb(),
			want: []string{"spec too large"},
		},
		{
			name: "recursive alias",
			spec: "specstar: 1\npackage: x\nresources:\n  P:\n    fields: &f\n      a: {type: object, fields: *f}\n",
			want: []string{"objects nest too deeply"},
		},
		{
			name: "merge key",
			spec: "specstar: 1\npackage: x\nbase: &b {type: string}\nresources:\n  P:\n    fields:\n      a: {<<: *b}\n",
			want: []string{`unknown key "base"`, `missing key "type"`, "merge keys"},
		},
		{
			name: "non-string key",
			spec: "specstar: 1\npackage: x\nresources:\n  ? [a]\n  : {fields: {a: string}}\n",
			want: []string{"keys must be plain names"},
		},
		{
			name: "empty resources",
			spec: "specstar: 1\npackage: x\nresources: {}\n",
			want: []string{"resources is empty"},
		},
		{
			name: "unsupported tag",
			spec: "specstar: 1\npackage: x\nresources:\n  P:\n    fields:\n      a: {type: string, default: !!binary aGk=}\n",
			want: []string{"unsupported YAML tag !!binary"},
		},
		{
			name: "integer overflow",
			spec: "specstar: 1\npackage: x\nresources:\n  P:\n    fields:\n      a: {type: string, max_length: 99999999999999999999}\n",
			want: []string{"max_length must be an integer"},
		},
		{
			name: "null resource",
			spec: "specstar: 1\npackage: x\nresources:\n  P:\n",
			want: []string{`resource P: must be a mapping with "fields", got null`},
		},
		{
			name: "scalar top level",
			spec: "hello\n",
			want: []string{"spec must be a mapping"},
		},
		{
			name: "syntax error line",
			spec: "specstar: 1\npackage: x\nresources:\n  P: [a,\n",
			want: []string{"spec.yaml:5:1: invalid YAML: did not find expected node content"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load.Bytes("spec.yaml", []byte(tt.spec))
			var list load.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error = %v (%T), want an ErrorList", err, err)
			}
			if len(list) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(list), len(tt.want), err)
			}
			for i, want := range tt.want {
				if !strings.Contains(list[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, list[i].Error(), want)
				}
			}
		})
	}
}

// aliasBomb returns a spec whose aliases expand to 2^30 fields.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("specstar: 1\npackage: x\nresources:\n  P:\n    fields:\n      a0: &a0 {type: object, fields: {x: string}}\n")
	for i := 1; i < 30; i++ {
		fmt.Fprintf(&b, "      a%d: &a%d {type: object, fields: {x: *a%d, y: *a%d}}\n", i, i, i-1, i-1)
	}
	return b.String()
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "specstar.yaml")
	if err := os.WriteFile(path, []byte("specstar: 1\npackage: x\nresources: {P: {fields: {a: string}}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := load.File(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.File != filepath.ToSlash(path) || s.Resources[0].Pos.File != filepath.ToSlash(path) {
		t.Errorf("File = %q, resource pos = %v", s.File, s.Resources[0].Pos)
	}
	if _, err := load.File(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasPrefix(err.Error(), "load: ") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"bytes", "1024", 1024, true},
		{"B", "100B", 100, true},
		{"KB", "512KB", 512 << 10, true},
		{"MB", "5MB", 5 << 20, true},
		{"GB", "2GB", 2 << 30, true},
		{"MiB", "5MiB", 5 << 20, true},
		{"lower case", "5mb", 5 << 20, true},
		{"space", "5 MB", 5 << 20, true},
		{"unknown unit", "5XB", 0, false},
		{"fraction", "1.5MB", 0, false},
		{"overflow", "99999999999GB", 0, false},
		{"words", "5 megs", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := load.ParseSize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"hours", "720h", 720 * time.Hour, true},
		{"minutes", "90m", 90 * time.Minute, true},
		{"days", "30d", 30 * 24 * time.Hour, true},
		{"days and hours", "1d12h", 36 * time.Hour, true},
		{"negative days", "-2d", -48 * time.Hour, true},
		{"zero", "0s", 0, true},
		{"weeks", "2w", 0, false},
		{"negative rest", "1d-1h", 0, false},
		{"overflow", "999999999d", 0, false},
		{"word", "soon", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := load.ParseDuration(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"type", "description", "required", "default", "min", "max", "min_length", "max_length", "fields"}
	tests := []struct {
		name       string
		got        string
		candidates []string
		want       string
	}{
		{"transposition", "max_lenght", keys, "max_length"},
		{"swap", "feilds", keys, "fields"},
		{"missing letter", "requred", keys, "required"},
		{"case", "author", []string{"Author", "Post"}, "Author"},
		{"deletion", "Autor", []string{"Author", "Post"}, "Author"},
		{"too far", "colour", keys, ""},
		{"short word far", "to", []string{"of"}, ""},
		{"exact match skipped", "type", []string{"type"}, ""},
		{"no candidates", "x", nil, ""},
		{"tie goes to first", "mix", []string{"min", "max"}, "min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := load.Suggest(tt.got, tt.candidates); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.got, got, tt.want)
			}
		})
	}
	if got := load.DidYouMean("x"); got != ` (did you mean "x"?)` {
		t.Errorf("DidYouMean = %q", got)
	}
	if got := load.DidYouMean(""); got != "" {
		t.Errorf("DidYouMean(\"\") = %q", got)
	}
}
