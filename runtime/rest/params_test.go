package rest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

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
		{name: "cascade", query: "?cascade=true", want: resource.WriteOptions{Cascade: true}},
		{name: "bad cascade", query: "?cascade=all", wantField: "cascade"},
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
		{name: "fields", query: "?fields=title,%20views%20,address.city",
			want: resource.ReadOptions{Fields: []string{"title", "views", "address.city"}}},
		{name: "fields repeated", query: "?fields=title&fields=views,title",
			want: resource.ReadOptions{Fields: []string{"title", "views"}}},
		{name: "fields empty entry", query: "?fields=title,,views", wantField: "fields"},
		{name: "fields empty segment", query: "?fields=address.", wantField: "fields"},
		{name: "expand", query: "?expand=author,%20post.author&revision=2",
			want: resource.ReadOptions{Revision: "2", Expand: []string{"author", "post.author"}}},
		{name: "expand and fields", query: "?expand=author&fields=title",
			want: resource.ReadOptions{Fields: []string{"title"}, Expand: []string{"author"}}},
		{name: "expand three levels", query: "?expand=post.author.editor", wantField: "expand"},
		{name: "expand trailing comma", query: "?expand=author,", wantField: "expand"},
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
		{name: "everything", query: "?chain=true&limit=5&cursor=c&include_deleted=true",
			want: resource.RevisionQuery{Chain: true, Limit: 5, Cursor: "c", IncludeDeleted: true}},
		{name: "chain junk", query: "?chain=2", wantField: "chain"},
		{name: "include deleted junk", query: "?include_deleted=yes", wantField: "include_deleted"},
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

func TestRevisionOptions(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		want      resource.RevisionOptions
		wantField string
	}{
		{name: "defaults", want: resource.RevisionOptions{}},
		{name: "include deleted", query: "?include_deleted=true&against=1", want: resource.RevisionOptions{IncludeDeleted: true}},
		{name: "include deleted false", query: "?include_deleted=0", want: resource.RevisionOptions{}},
		{name: "include deleted junk", query: "?include_deleted=maybe", wantField: "include_deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodGet, "/api/posts/1/revisions/2"+tt.query, "", "")
			got, err := RevisionOptions(c)
			if tt.wantField != "" {
				assertError(t, err, resource.CodeBadRequest, []string{tt.wantField}, tt.wantField)
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("RevisionOptions = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// listParams are the accepted parameters of a list route.
var listParams = []string{"filter", "sort", "limit", "cursor", "offset", "include_deleted", "deleted", "count", "fields", "expand"}

func TestCheckQuery(t *testing.T) {
	accepted := "; accepted: " + strings.Join(listParams, ", ")
	tests := []struct {
		name     string
		query    string
		accepted []string
		fields   []string // nil: accepted
		detail   string
		message  string // of the first field error, when set
	}{
		{name: "no query", accepted: listParams},
		{name: "no query, no parameters", accepted: nil},
		{name: "known", query: "?filter=a%20%3D%201&sort=-title&limit=5&fields=a,b&fields=c", accepted: listParams},
		{name: "empty value and no value", query: "?cursor=&count", accepted: listParams},
		{name: "empty pairs", query: "?&&limit=5&", accepted: listParams},
		{name: "escaped name", query: "?%66ilter=x&include%5Fdeleted=true", accepted: listParams},
		{name: "plus in a value", query: "?filter=a+%3D+1", accepted: listParams},
		{name: "misspelt", query: "?fitler=x", accepted: listParams, fields: []string{"fitler"},
			detail:  `unknown query parameter "fitler" (did you mean "filter"?)` + accepted,
			message: `unknown query parameter (did you mean "filter"?)` + accepted},
		{name: "case slip", query: "?Limit=5", accepted: listParams, fields: []string{"Limit"},
			detail: `unknown query parameter "Limit" (did you mean "limit"?)` + accepted},
		{name: "no suggestion", query: "?colour=red", accepted: listParams, fields: []string{"colour"},
			detail: `unknown query parameter "colour"` + accepted},
		{name: "several, each once, in order", query: "?b=1&fitler=x&b=2&limit=3&a", accepted: listParams, fields: []string{"b", "fitler", "a"},
			detail: `unknown query parameters "b", "fitler" (did you mean "filter"?), "a"` + accepted},
		{name: "operation without parameters", query: "?force=true", fields: []string{"force"},
			detail: `unknown query parameter "force"; this operation takes no query parameters`},
		{name: "empty name", query: "?=x", accepted: []string{"against"}, fields: []string{},
			detail: `unknown query parameter ""; accepted: against`},
		{name: "escaped unknown name", query: "?fi%6Cter%2B=x", accepted: listParams, fields: []string{"filter+"},
			detail: `unknown query parameter "filter+" (did you mean "filter"?)`},
		{name: "plus in a name", query: "?include+deleted=true", accepted: listParams, fields: []string{"include deleted"},
			detail: `(did you mean "include_deleted"?)`},
		{name: "bad escape in a value", query: "?filter=title%20~%20%22100%%22", accepted: listParams, fields: []string{"filter"},
			detail: `invalid query parameter "filter": has an invalid %-escape in its value; write "%" as %25`},
		{name: "truncated escape", query: "?limit=5&filter=a%2", accepted: listParams, fields: []string{"filter"},
			detail: `invalid query parameter "filter"`},
		{name: "bad escape in a name", query: "?fil%zzter=x", accepted: listParams, fields: []string{"fil%zzter"},
			detail: `invalid query parameter "fil%zzter": has an invalid %-escape in its name`},
		{name: "semicolon", query: "?filter=a;limit=5", accepted: listParams, fields: []string{"filter"},
			detail: `invalid query parameter "filter": contains a semicolon`},
		{name: "semicolon in a known pair comes before unknown ones", query: "?zz=1&limit=5;", accepted: listParams, fields: []string{"limit"},
			detail: "semicolon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newContext(http.MethodGet, "/api/posts"+tt.query, "", "")
			err := CheckQuery(c, tt.accepted...)
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("CheckQuery(%q) = %v, want nil", tt.query, err)
				}
				return
			}
			assertError(t, err, resource.CodeBadRequest, tt.fields, tt.detail)
			if tt.message != "" {
				if got := err.(*resource.Error).Fields[0].Message; got != tt.message {
					t.Errorf("message = %q, want %q", got, tt.message)
				}
			}
		})
	}
}

// TestCheckQueryBounded: a query of many unknown names costs a bounded
// error, and a long name gets no suggestion (whose cost is quadratic).
func TestCheckQueryBounded(t *testing.T) {
	var q strings.Builder
	for i := range 100000 {
		fmt.Fprintf(&q, "p%d=1&", i)
	}
	err := checkQuery(q.String(), listParams)
	if re, ok := err.(*resource.Error); !ok || len(re.Fields) != maxUnknown {
		t.Fatalf("CheckQuery of 100000 unknown names = %v, want %d field errors", err, maxUnknown)
	}
	long := strings.Repeat("f", 100000)
	if s := suggest(long, listParams); s != "" {
		t.Errorf("suggest for a long name = %q", s)
	}
}

// TestCheckQueryAllocs: checking known parameters allocates nothing; it
// runs on every request.
func TestCheckQueryAllocs(t *testing.T) {
	for _, query := range []string{"", "filter=views%20%3E%205&sort=-title&limit=50&fields=title,views&include_deleted=true&count=true"} {
		req := httptest.NewRequest(http.MethodGet, "/api/posts?"+query, nil)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		allocs := testing.AllocsPerRun(100, func() {
			if err := CheckQuery(c, "filter", "sort", "limit", "cursor", "offset", "include_deleted", "deleted", "count", "fields", "expand"); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("CheckQuery(%q) allocates %.0f times, want 0", query, allocs)
		}
	}
}

// BenchmarkCheckQuery measures the query check of a list request with
// six known parameters, as a generated handler calls it.
func BenchmarkCheckQuery(b *testing.B) {
	req := httptest.NewRequest(http.MethodGet, "/api/posts?filter=views%20%3E%205&sort=-title&limit=50&fields=title,views&include_deleted=true&count=true", nil)
	c := echo.New().NewContext(req, httptest.NewRecorder())
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckQuery(c, "filter", "sort", "limit", "cursor", "offset", "include_deleted", "deleted", "count", "fields", "expand"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSuggest(t *testing.T) {
	revisions := []string{"chain", "limit", "cursor", "include_deleted"}
	tests := []struct {
		got        string
		candidates []string
		want       string
	}{
		{"fitler", listParams, "filter"},
		{"Filter", listParams, "filter"},
		{"limt", listParams, "limit"},
		{"includedeleted", listParams, "include_deleted"},
		{"chian", revisions, "chain"},
		{"agianst", []string{"against", "include_deleted"}, "against"},
		{"colour", listParams, ""},
		{"x", listParams, ""},
		{"filter", listParams, ""}, // itself is no suggestion
	}
	for _, tt := range tests {
		if got := suggest(tt.got, tt.candidates); got != tt.want {
			t.Errorf("suggest(%q, %q) = %q, want %q", tt.got, tt.candidates, got, tt.want)
		}
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

func TestParam(t *testing.T) {
	tests := []struct {
		name      string
		target    string // request target; the route is /api/posts/:id/revisions/:rev
		wantID    string
		wantRev   string
		wantField string // the bad parameter, "" for success
	}{
		{name: "plain", target: "/api/posts/abc/revisions/abc:2", wantID: "abc", wantRev: "abc:2"},
		{name: "number", target: "/api/posts/abc/revisions/3", wantID: "abc", wantRev: "3"},
		{name: "escaped colon", target: "/api/posts/abc/revisions/abc%3A2", wantID: "abc", wantRev: "abc:2"},
		{name: "lower-case escape", target: "/api/posts/abc/revisions/abc%3a2", wantID: "abc", wantRev: "abc:2"},
		{name: "escaped id", target: "/api/posts/a%62c/revisions/abc%3A2", wantID: "abc", wantRev: "abc:2"},
		// Without a RawPath the value is already unescaped; a second pass
		// would turn the literal %41 into A.
		{name: "literal percent", target: "/api/posts/a%2541/revisions/1", wantID: "a%41", wantRev: "1"},
		{name: "literal percent with raw path", target: "/api/posts/a%2541/revisions/abc%3A2", wantID: "a%41", wantRev: "abc:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, rev := routed(t, tt.target)
			if id != tt.wantID || rev != tt.wantRev {
				t.Errorf("id, rev = %q, %q; want %q, %q", id, rev, tt.wantID, tt.wantRev)
			}
		})
	}
}

// routed serves target through an echo router with the route
// /api/posts/:id/revisions/:rev and returns what Param gives for id and rev.
func routed(t *testing.T, target string) (id, rev string) {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) { t.Errorf("%s: %v", target, err) }
	e.GET("/api/posts/:id/revisions/:rev", func(c echo.Context) error {
		var err error
		if id, err = Param(c, "id"); err != nil {
			return err
		}
		rev, err = Param(c, "rev")
		return err
	})
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return id, rev
}

func TestParamInvalidEscape(t *testing.T) {
	// A server rejects an invalid escape in the request line before routing;
	// a context built by hand (a test, a middleware) can still hold one.
	c, _ := newContext(http.MethodGet, "/api/posts/abc/revisions/abc%3A2", "", "")
	c.SetParamNames("id", "rev")
	c.SetParamValues("abc", "abc%zz")
	if id, err := Param(c, "id"); err != nil || id != "abc" {
		t.Errorf("Param(id) = %q, %v; want abc", id, err)
	}
	_, err := Param(c, "rev")
	assertError(t, err, resource.CodeBadRequest, []string{"rev"}, `"rev"`)
}

func TestItems(t *testing.T) {
	tests := []struct {
		name  string
		items []resource.ReferrerGroup
		want  string
	}{
		{name: "nil", items: nil, want: `{"items":[]}`},
		{name: "groups", items: []resource.ReferrerGroup{{Resource: "Comment", Path: "comments", Field: "post", IDs: []string{"a", "b"}}},
			want: `{"items":[{"resource":"Comment","path":"comments","field":"post","ids":["a","b"]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rec := newContext(http.MethodGet, "/api/posts/a/referrers", "", "")
			if err := Items(c, tt.items); err != nil {
				t.Fatal(err)
			}
			if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != tt.want {
				t.Errorf("Items = %d %s; want 200 %s", rec.Code, rec.Body, tt.want)
			}
		})
	}
}
