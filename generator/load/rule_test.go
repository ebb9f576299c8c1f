package load_test

import (
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/load"
)

// TestRulePositions checks that every byte of a rule is located where it
// is written, whatever the quoting, in YAML and in Go. Each case wants the
// position of the first byte of "titel" in the rule: YAML columns count
// characters, Go columns bytes (é is two).
func TestRulePositions(t *testing.T) {
	yaml := func(rule string) string {
		return "specstar: 1\npackage: p\nauth: {}\nresources:\n  P:\n    fields: {a: string}\n    permissions:\n      read: " + rule + "\n"
	}
	goSpec := func(rule, tag string) string {
		return "//go:build specstar\n\npackage p\n\nimport \"github.com/specstar-go/specstar/runtime/spec\"\n\n" +
			"var _ = spec.Spec{Version: 1, Package: \"p\", Auth: spec.Auth{}}\n\n" +
			"type P struct {\n\tA string `specstar:\"" + tag + "\"`\n}\n\n" +
			"var _ = spec.Permissions[P]{Read: " + rule + "}\n"
	}
	tests := []struct {
		name, file, src string
		field           bool // the rule is the read rule of field a
		line, col       int
	}{
		{"plain", "s.yaml", yaml(`where(titel = "x")`), false, 8, 19},
		{"double-quoted with escapes", "s.yaml", yaml(`"where(a = \"é\" && titel = \"x\")"`), false, 8, 33},
		{"single-quoted with a doubled quote", "s.yaml", yaml(`'where(a = ''it''''s'' && titel = "x")'`), false, 8, 39},
		{"folded block", "s.yaml", yaml(">-\n        role:x |\n        where(titel = \"x\")"), false, 10, 15},
		{"Go raw string", "s.go", goSpec("`where(a = \"é\" && titel = \"x\")`", ""), false, 13, 54},
		{"Go interpreted string", "s.go", goSpec(`"where(a = \"\u00e9\" && titel = \"x\")"`, ""), false, 13, 60},
		{"Go tag", "s.go", goSpec(`"public"`, `read=role:x | titel`), true, 10, 36},
		{"Go tag, quoted", "s.go", goSpec(`"public"`, `read='role:x '' titel'`), true, 10, 38},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := load.Bytes(tt.file, []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			r := s.Resources[0].Permissions.Rules[0].Rule
			if tt.field {
				r = s.Resources[0].Fields.List[0].Read
			}
			i := strings.Index(r.Value, "titel")
			if i < 0 {
				t.Fatalf("rule %q has no titel", r.Value)
			}
			if got := r.PosAt(i); got.Line != tt.line || got.Col != tt.col {
				t.Errorf("titel of %q at %d:%d, want %d:%d", r.Value, got.Line, got.Col, tt.line, tt.col)
			}
			if len(r.Positions) != len(r.Value)+1 {
				t.Errorf("%d positions for %d bytes, want one more", len(r.Positions), len(r.Value))
			}
		})
	}
}
