package model_test

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/model"
)

// build loads and builds a spec given as text, failing the test on any
// error.
func build(t *testing.T, spec string) *model.Model {
	t.Helper()
	m, err := check("spec.yaml", []byte(spec))
	if err != nil {
		t.Fatalf("unexpected errors:\n%v", err)
	}
	return m
}

func resource(t *testing.T, m *model.Model, name string) *model.Resource {
	t.Helper()
	for _, r := range m.Resources {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no resource %s", name)
	return nil
}

func field(t *testing.T, fields []*model.Field, name string) *model.Field {
	t.Helper()
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %s", name)
	return nil
}

func TestBuildBlogExample(t *testing.T) {
	const path = "../../examples/blog/specstar.yaml"
	spec, err := load.File(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if m.Package != "blog" || m.Output != "blog" || m.Source != path {
		t.Errorf("Package, Output, Source = %q, %q, %q", m.Package, m.Output, m.Source)
	}
	var order []string
	for _, r := range m.Resources {
		order = append(order, r.Name)
	}
	// The spec's resources, then the built-in ones of its auth block, then
	// the resources of its jobs.
	if want := []string{"Author", "Post", "Comment", "FeedEntry", "User", "AuthCredential", "AuthSession", "AuthToken", "AuthKey", "AuthLimit",
		"NotifySubscribersJob", "DailyDigestJob"}; !reflect.DeepEqual(order, want) {
		t.Errorf("resources = %v, want %v", order, want)
	}

	author, post, comment := resource(t, m, "Author"), resource(t, m, "Post"), resource(t, m, "Comment")
	if author.Pos != (model.Pos{File: path, Line: 8, Col: 3}) {
		t.Errorf("Author.Pos = %v", author.Pos)
	}
	if got := []string{post.GoName, post.VarName, post.Receiver, post.Plural, post.Table, post.Path}; !reflect.DeepEqual(got, []string{"Post", "post", "p", "Posts", "post", "posts"}) {
		t.Errorf("Post names = %v", got)
	}
	if !reflect.DeepEqual(author.Description, []string{"A person who writes posts."}) {
		t.Errorf("Author.Description = %q", author.Description)
	}
	if post.KeepLast != 100 || post.MaxAge != 0 || author.KeepLast != 0 {
		t.Errorf("KeepLast = %d, %d; MaxAge = %v", post.KeepLast, author.KeepLast, post.MaxAge)
	}

	// Display: explicit on Author and Post, implicit (first required
	// string) on Comment.
	for _, tt := range []struct {
		r    *model.Resource
		want string
	}{{author, "name"}, {post, "title"}, {comment, "author_name"}} {
		if tt.r.Display == nil || tt.r.Display.Name != tt.want {
			t.Errorf("%s.Display = %v, want %s", tt.r.Name, tt.r.Display, tt.want)
		}
	}

	status := field(t, post.Fields, "status")
	if status.EnumGoType != "PostStatus" || status.Default != "draft" || !status.Index ||
		!reflect.DeepEqual(status.ValueGoNames, []string{"PostStatusDraft", "PostStatusPublished", "PostStatusArchived"}) {
		t.Errorf("status = %+v", status)
	}
	tags := field(t, post.Fields, "tags")
	if tags.Elem == nil || tags.Elem.Type != model.String || *tags.MaxLength != 10 || !tags.Index || tags.Elem.Path != "tags" {
		t.Errorf("tags = %+v", tags)
	}
	views := field(t, post.Fields, "views")
	if views.Default != int64(0) || *views.Min != 0 || views.Max != nil {
		t.Errorf("views = %+v", views)
	}
	if f := field(t, post.Fields, "featured"); f.Default != false {
		t.Errorf("featured.Default = %#v", f.Default)
	}

	addr := field(t, author.Fields, "address")
	if addr.ObjectGoType != "AuthorAddress" || len(addr.Fields) != 2 {
		t.Fatalf("address = %+v", addr)
	}
	city, country := addr.Fields[0], addr.Fields[1]
	if city.Path != "address.city" || !city.Index || city.Owner != author || city.GoName != "City" {
		t.Errorf("address.city = %+v", city)
	}
	if country.Pattern != "^[A-Z]{2}$" || *country.MinLength != 2 || *country.MaxLength != 2 {
		t.Errorf("address.country = %+v", country)
	}

	authorRef, editorRef := field(t, post.Fields, "author"), field(t, post.Fields, "editor")
	postRef := field(t, comment.Fields, "post")
	if authorRef.Target != author || authorRef.OnDelete != "cascade" || !authorRef.Required {
		t.Errorf("Post.author = %+v", authorRef)
	}
	if editorRef.Target != author || editorRef.OnDelete != "set_null" || editorRef.Required {
		t.Errorf("Post.editor = %+v", editorRef)
	}
	if postRef.Target != post || postRef.OnDelete != "restrict" {
		t.Errorf("Comment.post = %+v", postRef)
	}
	if !reflect.DeepEqual(author.Referrers, []*model.Field{authorRef, editorRef}) {
		t.Errorf("Author.Referrers = %v", author.Referrers)
	}
	feedPost := field(t, m.Resources[3].Fields, "post")
	if !reflect.DeepEqual(post.Referrers, []*model.Field{postRef, feedPost}) || comment.Referrers != nil {
		t.Errorf("Post.Referrers = %v, Comment.Referrers = %v", post.Referrers, comment.Referrers)
	}
	if f := field(t, comment.Fields, "external_id"); f.GoName != "ExternalID" || !f.Unique || f.Type != model.UUID {
		t.Errorf("external_id = %+v", f)
	}
}

// TestBuildDeterministic checks that building the same spec twice gives
// equal models.
func TestBuildDeterministic(t *testing.T) {
	data, err := os.ReadFile("../../examples/blog/specstar.yaml")
	if err != nil {
		t.Fatal(err)
	}
	a, b := build(t, string(data)), build(t, string(data))
	if !reflect.DeepEqual(a, b) {
		t.Error("two builds of the same spec differ")
	}
}

func TestBuildResolves(t *testing.T) {
	const spec = `specstar: 1
package: shop
output: internal/gen
resources:
  BlogPost:
    description: |
      A post.

      With */ in it.
    path: articles
    fields:
      title: string
      website_url: {type: url, default: "https://example.com", description: Home page.}
      labels: {type: list, of: enum, values: [hot-deal, new], default: [new]}
      scores: {type: list, of: float, default: [1, 2.5]}
      address:
        type: object
        fields:
          geo:
            type: object
            fields:
              lat: {type: float, min: -90, max: 90}
          kind: {type: enum, values: [home, work]}
      cover: {type: file, max_size: 5MB, accept: [Image/PNG, "image/*"]}
      published: {type: datetime, default: 2024-01-31T10:00:00+01:00}
      day: {type: date, default: 2024-01-31}
      key: {type: uuid, default: "123E4567-E89B-12D3-A456-426614174000"}
      parent: {type: ref, to: BlogPost, on_delete: set_null}
    revisions: {keep_last: 5, max_age: 30d}
  Person:
    fields:
      bio: text
      nick: {type: string, required: true}
  Type:
    fields:
      name: {type: string, unique: true}
  APIKey:
    fields:
      scopes: {type: list, of: string, default: []}
`
	m := build(t, spec)
	if m.Package != "shop" || m.Output != "internal/gen" || m.Source != "spec.yaml" {
		t.Errorf("header = %q %q %q", m.Package, m.Output, m.Source)
	}
	bp := resource(t, m, "BlogPost")
	tests := []struct {
		name      string
		got, want any
	}{
		{"GoName", bp.GoName, "BlogPost"},
		{"VarName", bp.VarName, "blogPost"},
		{"Receiver", bp.Receiver, "bp"},
		{"Plural", bp.Plural, "BlogPosts"},
		{"Table", bp.Table, "blog_post"},
		{"Path override", bp.Path, "articles"},
		{"Description", bp.Description, []string{"A post.", "", "With * / in it."}},
		{"KeepLast", bp.KeepLast, 5},
		{"MaxAge", bp.MaxAge, 30 * 24 * time.Hour},
		{"Display none", bp.Display, (*model.Field)(nil)},
		{"self referrer", bp.Referrers, []*model.Field{field(t, bp.Fields, "parent")}},
		{"url GoName", field(t, bp.Fields, "website_url").GoName, "WebsiteURL"},
		{"url Default", field(t, bp.Fields, "website_url").Default, "https://example.com"},
		{"field Description", field(t, bp.Fields, "website_url").Description, []string{"Home page."}},
		{"list enum type", field(t, bp.Fields, "labels").EnumGoType, "BlogPostLabels"},
		{"list enum elem type", field(t, bp.Fields, "labels").Elem.EnumGoType, "BlogPostLabels"},
		{"list enum consts", field(t, bp.Fields, "labels").Elem.ValueGoNames, []string{"BlogPostLabelsHotDeal", "BlogPostLabelsNew"}},
		{"list enum default", field(t, bp.Fields, "labels").Default, []any{"new"}},
		{"float list default", field(t, bp.Fields, "scores").Default, []any{1.0, 2.5}},
		{"object type", field(t, bp.Fields, "address").ObjectGoType, "BlogPostAddress"},
		{"nested object type", field(t, bp.Fields, "address").Fields[0].ObjectGoType, "BlogPostAddressGeo"},
		{"nested path", field(t, bp.Fields, "address").Fields[0].Fields[0].Path, "address.geo.lat"},
		{"nested min", *field(t, bp.Fields, "address").Fields[0].Fields[0].Min, -90.0},
		{"nested enum type", field(t, bp.Fields, "address").Fields[1].EnumGoType, "BlogPostAddressKind"},
		{"nested enum const", field(t, bp.Fields, "address").Fields[1].ValueGoNames[0], "BlogPostAddressKindHome"},
		{"file size", field(t, bp.Fields, "cover").MaxSize, int64(5 << 20)},
		{"file accept", field(t, bp.Fields, "cover").Accept, []string{"image/png", "image/*"}},
		{"datetime default UTC", field(t, bp.Fields, "published").Default, "2024-01-31T09:00:00Z"},
		{"date default", field(t, bp.Fields, "day").Default, "2024-01-31"},
		{"uuid default lower", field(t, bp.Fields, "key").Default, "123e4567-e89b-12d3-a456-426614174000"},
		{"shorthand", field(t, bp.Fields, "title").Type, model.String},
		{"shorthand optional", field(t, bp.Fields, "title").Required, false},
		{"set_null", field(t, bp.Fields, "parent").OnDelete, "set_null"},
		{"irregular plural", resource(t, m, "Person").Plural, "People"},
		{"irregular path", resource(t, m, "Person").Path, "people"},
		{"display fallback skips text", resource(t, m, "Person").Display.Name, "nick"},
		{"keyword var name", resource(t, m, "Type").VarName, "type_"},
		{"keyword receiver", resource(t, m, "Type").Receiver, "t"},
		{"initialism names", func() []string {
			r := resource(t, m, "APIKey")
			return []string{r.GoName, r.VarName, r.Receiver, r.Plural, r.Table, r.Path}
		}(), []string{"APIKey", "apiKey", "ak", "APIKeys", "api_key", "api-keys"}},
		{"empty list default", field(t, resource(t, m, "APIKey").Fields, "scopes").Default, []any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestBuildNilSpec(t *testing.T) {
	if _, err := model.Build(nil); err == nil {
		t.Fatal("Build(nil) succeeded")
	}
}

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		list model.ErrorList
		want string
	}{
		{"empty", nil, ""},
		{"one", model.ErrorList{{Pos: model.Pos{File: "a.yaml", Line: 2, Col: 3}, Msg: "bad"}}, "a.yaml:2:3: bad"},
		{
			"sorted and joined",
			model.ErrorList{
				{Pos: model.Pos{File: "a.yaml", Line: 9, Col: 1}, Msg: "later"},
				{Pos: model.Pos{File: "a.yaml", Line: 2, Col: 5}, Msg: "b"},
				{Pos: model.Pos{File: "a.yaml", Line: 2, Col: 5}, Msg: "a"},
			},
			"a.yaml:2:5: a\na.yaml:2:5: b\na.yaml:9:1: later",
		},
		{"no position", model.ErrorList{{Msg: "bare"}}, "bare"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.list.Sort()
			if got := tt.list.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if (tt.list.Err() == nil) != (len(tt.list) == 0) {
				t.Errorf("Err() = %v", tt.list.Err())
			}
		})
	}
}
