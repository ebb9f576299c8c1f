package graphqlgen

import (
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

func TestFieldName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "one word", in: "title", want: "title"},
		{name: "two words", in: "published_at", want: "publishedAt"},
		{name: "no Go initialisms", in: "external_id", want: "externalId"},
		{name: "digits", in: "url2_path", want: "url2Path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldName(tt.in); got != tt.want {
				t.Errorf("fieldName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEnumValueName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "word", in: "draft", want: "DRAFT"},
		{name: "kebab", in: "in-progress", want: "IN_PROGRESS"},
		{name: "camel", in: "inProgress", want: "IN_PROGRESS"},
		{name: "snake", in: "extra_large", want: "EXTRA_LARGE"},
		{name: "leading digit", in: "2fa", want: "_2FA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := enumValueName(tt.in)
			if got != tt.want || !isName(got) {
				t.Errorf("enumValueName(%q) = %q, want %q (a GraphQL name)", tt.in, got, tt.want)
			}
		})
	}
}

// build loads and builds a spec given as YAML.
func build(t *testing.T, spec string) *model.Model {
	t.Helper()
	s, err := load.Bytes("spec.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	m.Source = "spec.yaml"
	return m
}

func TestGenerateReportsCollisions(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		want   string
	}{
		{name: "relation named like a built-in field", fields: "data: {type: ref, to: Doc}",
			want: "Doc.data: the relation of field data collides with a built-in field"},
		{name: "filterable field named like an operator", fields: "not: {type: string, index: true}",
			want: `a filterable field may not be named "not"`},
		{name: "order values", fields: "a_b: {type: string, index: true}\n      a: {type: object, fields: {b: {type: string, index: true}}}",
			want: "the order values of fields a_b and a.b are both A_B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := build(t, "specstar: 1\npackage: docs\nresources:\n  Doc:\n    fields:\n      "+tt.fields+"\n")
			_, err := Generate(m, "example.com/docs")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Generate error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestGenerateDefersFilesThatNeedGQLGen(t *testing.T) {
	m := build(t, "specstar: 1\npackage: docs\nresources:\n  Doc:\n    fields:\n      title: {type: string}\n")
	res, err := Generate(m, "example.com/docs")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{RootFile, FastFile, "doc_resolver.gen.go"}
	if strings.Join(res.Deferred, ",") != strings.Join(want, ",") {
		t.Errorf("Deferred = %v, want %v", res.Deferred, want)
	}
	for _, f := range res.Files {
		refersToGQLGen := strings.Contains(string(f.Content), "NewExecutableSchema") || strings.Contains(string(f.Content), "queryResolver")
		deferred := f.Path == RootFile || strings.HasSuffix(f.Path, "_resolver.gen.go")
		if refersToGQLGen && !deferred {
			t.Errorf("%s refers to gqlgen's output but is not deferred", f.Path)
		}
	}
	for _, key := range []string{`"skip_mod_tidy": true`, `"filename": "graphql_exec.gen.go"`, `"example.com/docs.DocRecord"`} {
		if !strings.Contains(string(res.Config), key) {
			t.Errorf("gqlgen config lacks %s:\n%s", key, res.Config)
		}
	}
}

// TestAuthSchema checks what auth adds to the schema: the me query, the
// write-only password in the input only, nullable read-ruled fields, and
// nothing of the internal resources.
func TestAuthSchema(t *testing.T) {
	m := build(t, `specstar: 1
package: desk
auth: {roles: [editor]}
resources:
  Ticket:
    fields:
      title:  {type: string, required: true}
      secret: {type: string, required: true, read: role:editor}
`)
	s, err := newSchema(m)
	if err != nil {
		t.Fatal(err)
	}
	sdl := string(writeSchema(s))
	block := func(header string) string {
		i := strings.Index(sdl, header+" {\n")
		if i < 0 {
			t.Fatalf("no %q in the schema", header)
		}
		end := strings.Index(sdl[i:], "\n}\n")
		return sdl[i : i+end+1]
	}
	tests := []struct {
		name, block, want string
		present           bool
	}{
		{"me query", "type Query", "\n  me: User\n", true},
		{"no password out", "type UserData", "password", false},
		{"password in", "input UserInput", "\n  password: String\n", true},
		{"read rule: nullable out", "type TicketData", "\n  secret: String\n", true},
		{"read rule: required in", "input TicketInput", "\n  secret: String!\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Contains(block(tt.block), tt.want); got != tt.present {
				t.Errorf("%s contains %q: %v, want %v\n%s", tt.block, tt.want, got, tt.present, block(tt.block))
			}
		})
	}
	for _, internal := range model.BuiltinNames()[1:] {
		if strings.Contains(sdl, internal) {
			t.Errorf("the schema names the internal resource %s", internal)
		}
	}
}
