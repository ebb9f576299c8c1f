package rest

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

func TestWriteOptions(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		ifMatch   string
		want      resource.WriteOptions
		wantField string // the bad parameter, "" for success
	}{
		{name: "defaults", query: "", want: resource.WriteOptions{}},
		{name: "if-match", ifMatch: `"abc:1"`, want: resource.WriteOptions{IfMatch: `"abc:1"`}},
		{name: "modify draft", query: "?mode=modify&status=draft", want: resource.WriteOptions{Mode: "modify", Status: "draft"}},
		{name: "stable", query: "?status=stable", want: resource.WriteOptions{Status: "stable"}},
		{name: "bad mode", query: "?mode=replace", wantField: "mode"},
		{name: "bad status", query: "?status=final", wantField: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodPut, "/api/posts/1"+tt.query, "", "")
			if tt.ifMatch != "" {
				c.Request().Header.Set("If-Match", tt.ifMatch)
			}
			got, err := WriteOptions(c)
			if tt.wantField != "" {
				assertError(t, err, resource.CodeBadRequest, []string{tt.wantField}, `"`+tt.wantField+`"`)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("WriteOptions = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadOptions(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		want      resource.ReadOptions
		wantField string
	}{
		{name: "defaults", want: resource.ReadOptions{}},
		{name: "revision number", query: "?revision=3", want: resource.ReadOptions{Revision: "3"}},
		{name: "include deleted", query: "?include_deleted=true&revision=a:2", want: resource.ReadOptions{Revision: "a:2", IncludeDeleted: true}},
		{name: "include deleted false", query: "?include_deleted=false", want: resource.ReadOptions{}},
		{name: "include deleted junk", query: "?include_deleted=yes", wantField: "include_deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodGet, "/api/posts/1"+tt.query, "", "")
			got, err := ReadOptions(c)
			if tt.wantField != "" {
				assertError(t, err, resource.CodeBadRequest, []string{tt.wantField}, tt.wantField)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadOptions = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestListQuery(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		want      resource.ListQuery
		wantField string
	}{
		{name: "defaults", want: resource.ListQuery{Limit: 20}},
		{name: "everything", query: "?limit=1000&cursor=abc&offset=5&include_deleted=1&deleted=only&count=true",
			want: resource.ListQuery{Limit: 1000, Cursor: "abc", Offset: 5, IncludeDeleted: true, OnlyDeleted: true, Count: true}},
		{name: "limit 1", query: "?limit=1", want: resource.ListQuery{Limit: 1}},
		{name: "limit 0", query: "?limit=0", wantField: "limit"},
		{name: "limit too large", query: "?limit=1001", wantField: "limit"},
		{name: "limit not a number", query: "?limit=ten", wantField: "limit"},
		{name: "negative offset", query: "?offset=-1", wantField: "offset"},
		{name: "offset junk", query: "?offset=x", wantField: "offset"},
		{name: "deleted junk", query: "?deleted=all", wantField: "deleted"},
		{name: "include_deleted junk", query: "?include_deleted=maybe", wantField: "include_deleted"},
		{name: "count junk", query: "?count=please", wantField: "count"},
		{name: "filter and sort are passed through", query: "?filter=views%3E%3D10%20%26%26%20status%3D%22draft%22&sort=-views,title",
			want: resource.ListQuery{Limit: 20, Filter: `views>=10 && status="draft"`, Sort: "-views,title"}},
		{name: "plus in a query is a space", query: "?filter=views+>+1&sort=+views",
			want: resource.ListQuery{Limit: 20, Filter: "views > 1", Sort: " views"}},
		{name: "empty filter and sort", query: "?filter=&sort=", want: resource.ListQuery{Limit: 20}},
		{name: "filter twice", query: "?filter=a%3D1&filter=b%3D2", wantField: "filter"},
		{name: "sort twice", query: "?sort=a&sort=b", wantField: "sort"},
		{name: "fields", query: "?fields=title,%20views%20,address.city",
			want: resource.ListQuery{Limit: 20, Fields: []string{"title", "views", "address.city"}}},
		{name: "fields repeated", query: "?fields=title&fields=views",
			want: resource.ListQuery{Limit: 20, Fields: []string{"title", "views"}}},
		{name: "fields empty", query: "?fields=", wantField: "fields"},
		{name: "fields empty entry", query: "?fields=title,,views", wantField: "fields"},
		{name: "fields trailing comma", query: "?fields=title,", wantField: "fields"},
		{name: "fields blank entry", query: "?fields=title,%20", wantField: "fields"},
		{name: "fields empty segment", query: "?fields=address.", wantField: "fields"},
		{name: "fields repeated names", query: "?fields=title,views&fields=title",
			want: resource.ListQuery{Limit: 20, Fields: []string{"title", "views"}}},
		{name: "expand", query: "?expand=author,%20post.author",
			want: resource.ListQuery{Limit: 20, Expand: []string{"author", "post.author"}}},
		{name: "expand three levels", query: "?expand=post.author.editor", wantField: "expand"},
		{name: "expand empty segment", query: "?expand=.author", wantField: "expand"},
		{name: "expand empty entry", query: "?expand=author,", wantField: "expand"},
		{name: "expand repeated names", query: "?expand=author,%20author",
			want: resource.ListQuery{Limit: 20, Expand: []string{"author"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodGet, "/api/posts"+tt.query, "", "")
			got, err := ListQuery(c)
			if tt.wantField != "" {
				assertError(t, err, resource.CodeBadRequest, []string{tt.wantField}, tt.wantField)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ListQuery = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestRevisionQuery(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		want      resource.RevisionQuery
		wantField string
	}{
		{name: "defaults", want: resource.RevisionQuery{Limit: 20}},
		{name: "everything", query: "?chain=true&limit=5&cursor=c", want: resource.RevisionQuery{Chain: true, Limit: 5, Cursor: "c"}},
		{name: "chain junk", query: "?chain=2", wantField: "chain"},
		{name: "limit junk", query: "?limit=-3", wantField: "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodGet, "/api/posts/1/revisions"+tt.query, "", "")
			got, err := RevisionQuery(c)
			if tt.wantField != "" {
				assertError(t, err, resource.CodeBadRequest, []string{tt.wantField}, tt.wantField)
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("RevisionQuery = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestListQueryMessages(t *testing.T) {
	tests := []struct {
		name  string
		query string
		field string
		want  string
	}{
		{name: "filter twice", query: "?filter=a%3D1&filter=b%3D2", field: "filter",
			want: "must be given at most once; join the conditions with &&"},
		{name: "sort twice", query: "?sort=a&sort=b", field: "sort",
			want: "must be given at most once; separate the sort keys with commas"},
		{name: "empty entry", query: "?fields=title,,views", field: "fields",
			want: "has an empty entry; list field names separated by single commas, such as title,views"},
		{name: "empty segment", query: "?fields=address..city", field: "fields",
			want: `"address..city" is not a field name: a dot must stand between two names`},
		{name: "too deep", query: "?expand=post.author.editor", field: "expand",
			want: `"post.author.editor" follows 3 references; at most 2 levels are allowed, such as post.author`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodGet, "/api/posts"+tt.query, "", "")
			_, err := ListQuery(c)
			assertError(t, err, resource.CodeBadRequest, []string{tt.field}, `invalid query parameter "`+tt.field+`": `+tt.want)
			if re, ok := err.(*resource.Error); ok && re.Fields[0].Message != tt.want {
				t.Errorf("message = %q, want %q", re.Fields[0].Message, tt.want)
			}
		})
	}
}
