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
