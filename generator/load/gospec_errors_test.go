package load_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/internal/golden"
	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// goErrorCases is the directory of Go spec error cases: each holds
// spec.go and stderr.txt, the exact diagnostics of load and model, with
// positions relative to the case directory. Run
// `go test ./generator/load -update` to rewrite them.
const goErrorCases = "../../testdata/gospec/errors"

func TestGoSpecErrorCases(t *testing.T) {
	entries, err := os.ReadDir(goErrorCases)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatalf("no cases in %s", goErrorCases)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(goErrorCases, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join(dir, "spec.go"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := checkGo(data)
			if err == nil {
				t.Fatalf("spec.go has no errors (model for package %q)", m.Package)
			}
			golden.Assert(t, filepath.Join(dir, "stderr.txt"), []byte(err.Error()+"\n"))
		})
	}
}

// checkGo loads and builds a Go spec as `specstar validate` does: load
// errors stop before the model.
func checkGo(data []byte) (*model.Model, error) {
	s, err := load.Bytes("spec.go", data)
	if err != nil {
		return nil, err
	}
	return model.Build(s)
}

// goSpec wraps resource declarations in a valid Go spec header. The
// header takes 7 lines, so the declarations start on line 8.
func goSpec(decls string) string {
	return `//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}
` + decls
}

// TestGoSpecErrors checks one message per mistake, with its position.
func TestGoSpecErrors(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want []string // substrings, one per error, in order
	}{
		{
			name: "wrong build constraint",
			spec: "//go:build ignore\n\npackage blog\n",
			want: []string{
				`spec.go:1:1: build constraint "//go:build ignore" does not keep the spec out of normal builds: use "//go:build specstar"`,
				`spec.go:3:9: missing import`,
				`spec.go:3:9: spec: missing header`,
				`spec.go:3:9: spec: no resources`,
			},
		},
		{
			name: "constraint that needs specstar is accepted",
			spec: "//go:build specstar && !windows\n\npackage blog\n\nimport s \"github.com/specstar-go/specstar/runtime/spec\"\n\nvar _ = s.Spec{Version: 1, Package: \"blog\"}\n\ntype P struct{ A s.Text `specstar:\"mni=1\"` }\n",
			want: []string{`spec.go:9:36: field P.a: unknown key "mni" in specstar tag (did you mean "min"?)`},
		},
		{
			name: "invalid build constraint",
			spec: "//go:build specstar &&\n\npackage blog\n",
			want: []string{`spec.go:1:1: invalid build constraint`, "missing import", "missing header", "no resources"},
		},
		{
			name: "empty file",
			spec: "",
			want: []string{
				`spec.go:1:1: invalid Go: expected ';', found 'EOF'`,
				`spec.go:1:1: invalid Go: expected 'IDENT', found 'EOF'`,
				`spec.go:1:1: invalid Go: expected 'package', found 'EOF'`,
			},
		},
		{
			name: "not Go",
			spec: "specstar: 1\npackage: blog\n",
			want: []string{
				`spec.go:1:1: invalid Go: expected 'package', found specstar`,
				`spec.go:1:9: invalid Go: expected 'IDENT', found ':'`,
				`spec.go:1:11: invalid Go: expected ';', found 1`,
			},
		},
		{
			name: "version and literal kinds",
			spec: "//go:build specstar\n\npackage blog\n\nimport \"github.com/specstar-go/specstar/runtime/spec\"\n\nvar _ = spec.Spec{Version: \"1\", Package: blog, 3}\n\ntype P struct{ A string }\n",
			want: []string{
				`spec.go:7:28: spec: Version must be an integer literal, got "1"`,
				`spec.go:7:42: spec: Package must be a string literal, got blog`,
				`spec.go:7:48: spec: write the fields of spec.Spec with their names`,
			},
		},
		{
			name: "wrong version",
			spec: "//go:build specstar\n\npackage blog\n\nimport \"github.com/specstar-go/specstar/runtime/spec\"\n\nvar _ = spec.Spec{Version: 2, Package: \"blog\"}\n\ntype P struct{ A string }\n",
			want: []string{`spec.go:7:28: spec: Version 2 is not supported: this version of specstar reads version 1`},
		},
		{
			name: "header must be a spec.Spec literal",
			spec: "//go:build specstar\n\npackage blog\n\nimport \"github.com/specstar-go/specstar/runtime/spec\"\n\nvar _, _ = spec.Spec{}, 1\nvar x spec.Spec\nvar _ = &spec.Spec{Version: 1, Package: \"blog\"}\n\ntype P struct{ A string }\n",
			want: []string{`spec.go:3:9: spec: missing header`, `spec.go:7:5: var: the variables of a Go spec are`, `spec.go:8:5: var: the variables of a Go spec are`, `spec.go:9:9: var _: the variables of a Go spec are`},
		},
		{
			name: "renamed spec import",
			spec: "//go:build specstar\n\npackage blog\n\nimport ss \"github.com/specstar-go/specstar/runtime/spec\"\n\nvar _ = ss.Spec{Version: 1, Package: \"blog\"}\n\ntype P struct{ A spec.Text }\n",
			want: []string{`spec.go:9:18: field P.a: unsupported type spec.Text: use string, int, int64, float64, bool, time.Time, ss.Text`},
		},
		{
			name: "duplicate types",
			spec: goSpec("type P struct{ A string }\ntype P struct{ B string }\ntype _ struct{}\n"),
			want: []string{`spec.go:9:6: type P: declared twice (first at line 8)`, `spec.go:10:6: type _: name the type`},
		},
		{
			name: "blank field",
			spec: goSpec("type P struct{ _ string; A string }\n"),
			want: []string{`spec.go:8:16: field P._: name the field`},
		},
		{
			name: "spec.Resource twice and non-spec embedding",
			spec: goSpec("type P struct {\n\tspec.Resource\n\tspec.Resource\n\tA string\n}\n"),
			want: []string{`spec.go:10:2: resource P: spec.Resource is embedded twice (first at line 9)`},
		},
		{
			name: "deeply nested objects",
			spec: goSpec("type P struct{ A " + strings.Repeat("struct{ A ", 40) + "string" + strings.Repeat(" }", 40) + " }\n"),
			want: []string{"objects nest too deeply (at most 32 levels)"},
		},
		{
			name: "list default item out of range",
			spec: goSpec("type P struct{ A []int `specstar:\"default=1|99999999999999999999\"` }\n"),
			want: []string{`spec.go:8:45: field P.a: integer 99999999999999999999 is out of range`},
		},
		{
			name: "quoted int default is a string",
			spec: goSpec("type P struct{ A int `specstar:\"default='5'\"` }\n"),
			want: []string{`spec.go:8:41: field P.a: default must be an integer for an int field, got "5"`},
		},
		{
			name: "bool default of the wrong kind",
			spec: goSpec("type P struct{ A bool `specstar:\"default=yes\"`; B float64 `specstar:\"default=true\"` }\n"),
			want: []string{
				`spec.go:8:42: field P.a: default must be true or false for a bool field, got "yes"`,
				`spec.go:8:78: field P.b: default must be a number for a float field, got true`,
			},
		},
		{
			name: "enum without values",
			spec: goSpec("type P struct{ A spec.Enum }\n"),
			want: []string{`spec.go:8:18: field P.a: an enum field needs "values": the list of allowed values`},
		},
		{
			name: "interpreted tag literal positions",
			spec: goSpec("type P struct{ A string \"specstar:\\\"max_lenght=3\\\"\" }\n"),
			want: []string{`spec.go:8:37: field P.a: unknown key "max_lenght" in specstar tag (did you mean "max_length"?)`},
		},
		{
			name: "escaped tag positions",
			spec: goSpec("type P struct{ A string `specstar:\"pattern=^\\\\d+$,mni=1\"` }\n"),
			want: []string{`spec.go:8:51: field P.a: unknown key "mni" in specstar tag (did you mean "min"?)`},
		},
		{
			name: "unknown package",
			spec: goSpec("type P struct{ A sql.NullString; B x.Y }\n"),
			want: []string{"spec.go:8:18: field P.a: unsupported type sql.NullString", "spec.go:8:36: field P.b: unsupported type x.Y:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkGo([]byte(tt.spec))
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(lines[i], w) {
					t.Errorf("error %d = %q, want it to contain %q", i, lines[i], w)
				}
			}
		})
	}
}
