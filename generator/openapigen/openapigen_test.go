package openapigen

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// buildModel loads and builds a spec file.
func buildModel(t *testing.T, path string) *model.Model {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return buildBytes(t, path, data)
}

func buildBytes(t *testing.T, name string, data []byte) *model.Model {
	t.Helper()
	spec, err := load.Bytes(name, data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// loadDoc generates and parses the document of a spec file.
func loadDoc(t *testing.T, path string) *openapi3.T {
	t.Helper()
	f, err := File(buildModel(t, path))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(f.Content)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func specs(t *testing.T) []string {
	t.Helper()
	cases, err := filepath.Glob(filepath.Join("..", "..", "testdata", "gen", "*", "spec.yaml"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden specs found: %v", err)
	}
	return append(cases, filepath.Join("..", "..", "examples", "blog", "specstar.yaml"))
}

func TestFileIsValidAndDeterministic(t *testing.T) {
	for _, path := range specs(t) {
		t.Run(filepath.Base(filepath.Dir(path)), func(t *testing.T) {
			m := buildModel(t, path)
			first, err := File(m)
			if err != nil {
				t.Fatal(err)
			}
			second, err := File(m)
			if err != nil {
				t.Fatal(err)
			}
			if first.Path != FileName {
				t.Errorf("path %q, want %q", first.Path, FileName)
			}
			if !bytes.Equal(first.Content, second.Content) {
				t.Error("two runs on one model differ")
			}
			if err := Validate(first.Content); err != nil {
				t.Errorf("Validate: %v", err)
			}
			c := string(first.Content)
			if !strings.HasPrefix(c, "{\n  \"components\": {\n    \"") || !strings.HasSuffix(c, "\n}\n") {
				t.Errorf("not 2-space indented JSON with sorted keys and a final newline:\n%.200s", c)
			}
			if !strings.Contains(c, `"openapi": "3.1.0"`) || strings.Contains(c, `\u003c`) {
				t.Error(`want "openapi": "3.1.0" and unescaped < > & in descriptions`)
			}
		})
	}
}

func TestOperations(t *testing.T) {
	doc := loadDoc(t, filepath.Join("..", "..", "examples", "blog", "specstar.yaml"))
	tests := []struct {
		name, method, path, id string
		success                string
		errors                 []string
	}{
		{"create", "POST", "/api/posts", "createPost", "201", []string{"400", "409", "412", "413", "415", "422", "401", "403", "500"}},
		{"list", "GET", "/api/posts", "listPosts", "200", []string{"400", "401", "403", "500"}},
		{"count", "GET", "/api/posts/count", "countPosts", "200", []string{"400", "401", "403", "500"}},
		{"read", "GET", "/api/posts/{id}", "getPost", "200", []string{"304", "400", "404", "410", "401", "403", "500"}},
		{"replace", "PUT", "/api/posts/{id}", "replacePost", "200", []string{"400", "404", "409", "410", "412", "413", "415", "422", "401", "403", "500"}},
		{"patch", "PATCH", "/api/posts/{id}", "patchPost", "200", []string{"400", "404", "409", "410", "412", "413", "415", "422", "401", "403", "500"}},
		{"delete", "DELETE", "/api/posts/{id}", "deletePost", "200", []string{"400", "404", "409", "410", "412", "401", "403", "500"}},
		{"restore", "POST", "/api/posts/{id}/restore", "restorePost", "200", []string{"400", "404", "409", "412", "422", "401", "403", "500"}},
		{"purge", "DELETE", "/api/posts/{id}/permanently", "purgePost", "204", []string{"400", "404", "409", "412", "401", "403", "500"}},
		{"revisions", "GET", "/api/posts/{id}/revisions", "listPostRevisions", "200", []string{"400", "404", "410", "401", "403", "500"}},
		{"revision", "GET", "/api/posts/{id}/revisions/{rev}", "getPostRevision", "200", []string{"400", "404", "410", "401", "403", "500"}},
		{"diff", "GET", "/api/posts/{id}/revisions/{rev}/diff", "diffPostRevision", "200", []string{"400", "404", "410", "401", "403", "500"}},
		{"switch", "POST", "/api/posts/{id}/switch/{rev}", "switchPostRevision", "200", []string{"400", "404", "409", "410", "412", "422", "401", "403", "500"}},
		{"referrers", "GET", "/api/posts/{id}/referrers", "listPostReferrers", "200", []string{"400", "404", "410", "401", "403", "500"}},
		{"healthz", "GET", "/healthz", "getHealth", "200", nil},
		{"readyz", "GET", "/readyz", "getReadiness", "200", []string{"503"}},
		{"openapi", "GET", "/openapi.json", "getOpenAPI", "200", nil},
		{"docs", "GET", "/docs", "getDocs", "200", nil},
	}
	for _, tt := range tests {
		item := doc.Paths.Value(tt.path)
		if item == nil {
			t.Errorf("%s: no path %s", tt.name, tt.path)
			continue
		}
		op := item.GetOperation(tt.method)
		if op == nil {
			t.Errorf("%s: no %s %s", tt.name, tt.method, tt.path)
			continue
		}
		if op.OperationID != tt.id {
			t.Errorf("%s: operationId %q, want %q", tt.name, op.OperationID, tt.id)
		}
		var statuses []string
		for status, r := range op.Responses.Map() {
			statuses = append(statuses, status)
			if status[0] >= '4' && !strings.HasPrefix(tt.path, "/readyz") {
				if r.Value.Content.Get("application/problem+json") == nil {
					t.Errorf("%s: response %s is not application/problem+json", tt.name, status)
				}
			}
		}
		want := append([]string{tt.success}, tt.errors...)
		slices.Sort(statuses)
		slices.Sort(want)
		if !slices.Equal(statuses, want) {
			t.Errorf("%s: statuses %v, want %v", tt.name, statuses, want)
		}
	}
	// 16 routes per resource (four in the blog, and the users of its auth),
	// 10 per job (two in the blog), the 8 of /api/auth and the 4 of the
	// server, nothing else.
	n := 0
	for _, item := range doc.Paths.Map() {
		n += len(item.Operations())
	}
	// The blog's Post has file fields: its 2 downloads, and POST /api/files.
	if want := 16*5 + 10*2 + 8 + 4 + 2 + 1; n != want {
		t.Errorf("%d operations, want %d", n, want)
	}
}

func TestHeadersAndBodies(t *testing.T) {
	doc := loadDoc(t, filepath.Join("..", "..", "examples", "blog", "specstar.yaml"))
	posts := doc.Paths.Value("/api/posts")
	create := posts.Post
	if h := create.Responses.Status(http.StatusCreated).Value.Headers; h["ETag"] == nil || h["Location"] == nil {
		t.Errorf("201 headers %v, want ETag and Location", h)
	}
	if got := create.RequestBody.Value.Content.Get("application/json").Schema.Ref; got != "#/components/schemas/PostInput" {
		t.Errorf("create body %q, want PostInput", got)
	}
	patch := doc.Paths.Value("/api/posts/{id}").Patch
	for mt, want := range map[string]string{"application/merge-patch+json": "PostMergePatch", "application/json-patch+json": "JSONPatch"} {
		if mtype := patch.RequestBody.Value.Content.Get(mt); mtype == nil || mtype.Schema.Ref != "#/components/schemas/"+want {
			t.Errorf("PATCH %s body: want %s", mt, want)
		}
	}
	params := func(op *openapi3.Operation) []string {
		var names []string
		for _, p := range op.Parameters {
			names = append(names, p.Value.In+":"+p.Value.Name)
		}
		return names
	}
	for _, tt := range []struct {
		name string
		op   *openapi3.Operation
		want []string
	}{
		{"list", posts.Get, []string{"query:filter", "query:sort", "query:limit", "query:cursor", "query:offset", "query:include_deleted", "query:deleted", "query:count", "query:fields", "query:expand"}},
		{"list without refs", doc.Paths.Value("/api/authors").Get, []string{"query:filter", "query:sort", "query:limit", "query:cursor", "query:offset", "query:include_deleted", "query:deleted", "query:count", "query:fields"}},
		{"count", doc.Paths.Value("/api/posts/count").Get, []string{"query:filter", "query:include_deleted", "query:deleted"}},
		{"create", posts.Post, []string{"query:status"}},
		{"read", doc.Paths.Value("/api/posts/{id}").Get, []string{"path:id", "query:revision", "query:include_deleted", "query:fields", "query:expand", "header:If-None-Match"}},
		{"replace", doc.Paths.Value("/api/posts/{id}").Put, []string{"path:id", "query:mode", "query:status", "header:If-Match"}},
		{"delete", doc.Paths.Value("/api/posts/{id}").Delete, []string{"path:id", "header:If-Match"}},
		{"revisions", doc.Paths.Value("/api/posts/{id}/revisions").Get, []string{"path:id", "query:chain", "query:limit", "query:cursor", "query:include_deleted"}},
		{"revision", doc.Paths.Value("/api/posts/{id}/revisions/{rev}").Get, []string{"path:id", "path:rev", "query:include_deleted"}},
		{"diff", doc.Paths.Value("/api/posts/{id}/revisions/{rev}/diff").Get, []string{"path:id", "path:rev", "query:against", "query:include_deleted"}},
		{"switch", doc.Paths.Value("/api/posts/{id}/switch/{rev}").Post, []string{"path:id", "path:rev", "header:If-Match"}},
		{"referrers", doc.Paths.Value("/api/posts/{id}/referrers").Get, []string{"path:id"}},
	} {
		if got := params(tt.op); !slices.Equal(got, tt.want) {
			t.Errorf("%s parameters %v, want %v", tt.name, got, tt.want)
		}
	}
	var filter, expand *openapi3.Parameter
	for _, p := range posts.Get.Parameters {
		switch p.Value.Name {
		case "filter":
			filter = p.Value
		case "expand":
			expand = p.Value
		}
	}
	for _, want := range []string{`"||"`, "`title` (string)", "`tags` (list of string)", "`author` (ref)", "`created_time`"} {
		if !strings.Contains(filter.Description, want) {
			t.Errorf("filter description lacks %s:\n%s", want, filter.Description)
		}
	}
	items := expand.Schema.Value.Items.Value
	if err := items.VisitJSON(" editor"); err != nil || items.VisitJSON("views") == nil {
		t.Errorf("expand items %q must accept editor (spaces allowed) and reject views (err %v)", items.Pattern, err)
	}
	if !strings.Contains(expand.Description, "author, editor") {
		t.Errorf("expand description %q does not list author, editor", expand.Description)
	}
}

func TestDataSchemas(t *testing.T) {
	doc := loadDoc(t, filepath.Join("..", "..", "examples", "blog", "specstar.yaml"))
	schema := func(name string) *openapi3.Schema { return doc.Components.Schemas[name].Value }
	f := func(v float64) *float64 { return &v }
	u := func(v uint64) *uint64 { return &v }
	tests := []struct {
		name   string
		schema string
		prop   string
		check  func(s *openapi3.Schema) bool
	}{
		{"min and max length", "PostInput", "title", func(s *openapi3.Schema) bool {
			return s.MinLength == 3 && *s.MaxLength == 200 && s.Type.Is("string")
		}},
		{"pattern", "PostInput", "slug", func(s *openapi3.Schema) bool { return s.Pattern == "^[a-z0-9]+(-[a-z0-9]+)*$" }},
		{"nullable enum with default", "PostInput", "status", func(s *openapi3.Schema) bool {
			return slices.Equal(s.Enum, []any{"draft", "published", "archived", nil}) && s.Default == "draft" && s.Type.IncludesNull()
		}},
		{"minimum and default", "PostInput", "views", func(s *openapi3.Schema) bool {
			return *s.Min == 0 && s.Default == float64(0) && s.Type.Permits("integer")
		}},
		{"maximum", "PostInput", "rating", func(s *openapi3.Schema) bool { return *s.Max == *f(5) && s.Type.Permits("number") }},
		{"list", "PostInput", "tags", func(s *openapi3.Schema) bool { return *s.MaxItems == *u(10) && s.Items.Value.Type.Is("string") }},
		{"date-time", "PostInput", "published_at", func(s *openapi3.Schema) bool { return s.Format == "date-time" }},
		{"required ref", "PostInput", "author", func(s *openapi3.Schema) bool { return s.Format == "uuid" && s.Type.Is("string") }},
		{"any value", "PostInput", "metadata", func(s *openapi3.Schema) bool { return len(s.AnyOf) == 2 }},
		{"email", "AuthorInput", "email", func(s *openapi3.Schema) bool { return s.Format == "email" && s.Type.Is("string") }},
		{"uri", "AuthorInput", "website", func(s *openapi3.Schema) bool { return s.Format == "uri" && s.Type.IncludesNull() }},
		{"nested object", "AuthorInput", "address", func(s *openapi3.Schema) bool {
			return s.AnyOf[0].Ref == "#/components/schemas/AuthorAddress"
		}},
		{"nested constraints", "AuthorAddress", "country", func(s *openapi3.Schema) bool {
			return s.Pattern == "^[A-Z]{2}$" && s.MinLength == 2
		}},
		{"date", "CommentInput", "day", func(s *openapi3.Schema) bool { return s.Format == "date" }},
		{"uuid", "CommentInput", "external_id", func(s *openapi3.Schema) bool { return s.Format == "uuid" }},
		{"merge patch nested object", "AuthorMergePatch", "address", func(s *openapi3.Schema) bool {
			return s.Type.IncludesNull() && len(s.Required) == 0 && s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
		}},
		{"read-only meta", "Meta", "resource_id", func(s *openapi3.Schema) bool { return s.ReadOnly && s.Format == "uuid" }},
		// Reads return File objects, which the server sets; writes name
		// files by FileRef.
		{"file as returned", "Post", "cover", func(s *openapi3.Schema) bool { return s.AnyOf[0].Ref == "#/components/schemas/File" }},
		{"files as returned", "Post", "attachments", func(s *openapi3.Schema) bool { return s.Items.Ref == "#/components/schemas/File" }},
		{"file as written", "PostInput", "cover", func(s *openapi3.Schema) bool { return s.AnyOf[0].Ref == "#/components/schemas/FileRef" }},
		{"files as written", "PostInput", "attachments", func(s *openapi3.Schema) bool { return s.Items.Ref == "#/components/schemas/FileRef" }},
		{"file in a merge patch", "PostMergePatch", "cover", func(s *openapi3.Schema) bool { return s.AnyOf[0].Ref == "#/components/schemas/FileRef" }},
		{"read-only file", "File", "sha256", func(s *openapi3.Schema) bool { return s.ReadOnly }},
		{"file ref", "FileRef", "id", func(s *openapi3.Schema) bool { return !s.ReadOnly && s.Format == "uuid" }},
		{"expand", "CommentExpand", "post", func(s *openapi3.Schema) bool {
			return s.AnyOf[0].Ref == "#/components/schemas/PostEnvelope"
		}},
	}
	for _, tt := range tests {
		s := schema(tt.schema)
		if s == nil || s.Properties[tt.prop] == nil {
			t.Errorf("%s: no %s.%s", tt.name, tt.schema, tt.prop)
			continue
		}
		if !tt.check(s.Properties[tt.prop].Value) {
			t.Errorf("%s: %s.%s is %s", tt.name, tt.schema, tt.prop, jsonOf(t, s.Properties[tt.prop].Value))
		}
	}
	for _, tt := range []struct {
		schema   string
		required []string
	}{
		{"PostInput", []string{"title", "author"}},
		{"Post", nil},
		{"PostMergePatch", nil},
		{"PostEnvelope", []string{"data", "meta", "revision_info"}},
		{"PostPage", []string{"items", "next_cursor"}},
		{"Problem", []string{"type", "title", "status", "detail", "code", "errors"}},
	} {
		s := schema(tt.schema)
		if !slices.Equal(s.Required, tt.required) {
			t.Errorf("%s required %v, want %v", tt.schema, s.Required, tt.required)
		}
		if s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has {
			t.Errorf("%s: want additionalProperties false", tt.schema)
		}
	}
	if got := schema("Problem").Properties["code"].Value.Enum; len(got) != 12 {
		t.Errorf("Problem.code has %d values, want the 12 error codes", len(got))
	}
}

func jsonOf(t *testing.T, s *openapi3.Schema) string {
	t.Helper()
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSchemaNameCollision(t *testing.T) {
	m := buildBytes(t, "spec.yaml", []byte(`specstar: 1
package: shop
resources:
  Order:
    fields:
      ref: {type: string}
  OrderPage:
    fields:
      size: {type: int}
`))
	_, err := File(m)
	if err == nil {
		t.Fatal("want an error for two schemas named OrderPage")
	}
	for _, want := range []string{"gen: openapi.json:", "OrderPage", "resource Order", "resource OrderPage"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestAuthDocument checks what auth adds: the bearer scheme, a bearer
// token on every operation (optional where the rule admits anonymous
// callers), 401 everywhere, the /api/auth routes, and the password of
// users in inputs only.
func TestAuthDocument(t *testing.T) {
	doc := loadDoc(t, filepath.Join("..", "..", "testdata", "gen", "auth", "spec.yaml"))
	if s := doc.Components.SecuritySchemes[securityBearer]; s == nil || s.Value.Type != "http" || s.Value.Scheme != "bearer" {
		t.Fatalf("bearer scheme: %+v", s)
	}
	tests := []struct {
		name, path, method string
		optional           bool // [{}, {bearerAuth: []}]
	}{
		{"public read", "/api/pages/{id}", http.MethodGet, true},
		{"public list", "/api/pages", http.MethodGet, true},
		{"default create", "/api/pages", http.MethodPost, false},
		{"where() without @me", "/api/tickets", http.MethodGet, true},
		{"owner or where(@me)", "/api/tickets/{id}", http.MethodPut, false},
		{"admin-only users", "/api/users", http.MethodGet, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := doc.Paths.Value(tt.path).GetOperation(tt.method)
			want := openapi3.SecurityRequirements{{securityBearer: []string{}}}
			if tt.optional {
				want = openapi3.SecurityRequirements{{}, {securityBearer: []string{}}}
			}
			if op.Security == nil || fmt.Sprint(*op.Security) != fmt.Sprint(want) {
				t.Errorf("security %v, want %v", op.Security, want)
			}
			if op.Responses.Value("401") == nil {
				t.Error("no 401")
			}
		})
	}
	for _, p := range []string{"/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/auth/me", "/api/auth/password", "/api/auth/tokens", "/api/auth/tokens/{id}"} {
		if doc.Paths.Value(p) == nil {
			t.Errorf("no %s", p)
		}
	}
	if doc.Paths.Value("/api/auth/login").Post.Responses.Value("429") == nil {
		t.Error("login has no 429")
	}
	if _, ok := doc.Components.Schemas["User"].Value.Properties["password"]; ok {
		t.Error("the User as returned has a password")
	}
	for _, name := range []string{"UserInput", "UserMergePatch"} {
		if p := doc.Components.Schemas[name].Value.Properties["password"]; p == nil || !p.Value.WriteOnly {
			t.Errorf("%s.password: %+v, want a write-only property", name, p)
		}
	}
	for _, internal := range model.BuiltinNames()[1:] {
		if doc.Components.Schemas[internal] != nil {
			t.Errorf("internal resource %s has a schema", internal)
		}
	}
}

// TestFilesInObjects: a nested object with a file field is a component
// schema with File (as returned); a write's object names its files by
// FileRef, inline, and the multipart form has a part per file path.
func TestFilesInObjects(t *testing.T) {
	m := buildBytes(t, "spec.yaml", []byte(`specstar: 1
package: docs
resources:
  Report:
    fields:
      title: {type: string, required: true}
      details:
        type: object
        required: true
        fields:
          scan: {type: file, accept: [application/pdf]}
          pages: {type: list, of: file}
          note: string
`))
	f, err := File(m)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(f.Content)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	if ref := schemas["ReportDetails"].Value.Properties["scan"].Value.AnyOf[0].Ref; ref != "#/components/schemas/File" {
		t.Errorf("ReportDetails.scan refers to %s", ref)
	}
	inRef := schemas["ReportInput"].Value.Properties["details"]
	in := inRef.Value
	if inRef.Ref != "" || in.Properties["scan"].Value.AnyOf[0].Ref != "#/components/schemas/FileRef" ||
		in.Properties["pages"].Value.Items.Ref != "#/components/schemas/FileRef" || in.Properties["note"] == nil {
		t.Errorf("ReportInput.details = %s", jsonOf(t, in))
	}
	form := doc.Paths.Find("/api/reports").Post.RequestBody.Value.Content["multipart/form-data"].Schema.Value
	if form.Properties["details.scan"] == nil || form.Properties["details.pages"] == nil || !form.Properties["details.pages"].Value.Type.Is("array") {
		t.Errorf("multipart form = %s", jsonOf(t, form))
	}
}
