package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSort(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // FormatSort of the keys
	}{
		{name: "empty", src: "", want: ""},
		{name: "blank", src: "  ", want: ""},
		{name: "one key", src: "views", want: "views"},
		{name: "descending", src: "-views", want: "-views"},
		{name: "several keys", src: "-views,title", want: "-views,title"},
		{name: "spaces around keys", src: " -views , title ", want: "-views,title"},
		{name: "meta fields", src: "-created_time,resource_id", want: "-created_time,resource_id"},
		{name: "nested field", src: "address.city,-updated_by", want: "address.city,-updated_by"},
		{name: "every type", src: "rating,featured,published_at,day,author", want: "rating,featured,published_at,day,author"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseSort(tt.src, blogFields)
			if err != nil {
				t.Fatalf("ParseSort(%q): %v", tt.src, err)
			}
			if got := FormatSort(keys); got != tt.want {
				t.Errorf("ParseSort(%q) = %q, want %q", tt.src, got, tt.want)
			}
			for _, k := range keys {
				if want, _ := lookup(blogFields, k.Field.Name); k.Field != want {
					t.Errorf("key %s has Field %+v, want %+v", k, k.Field, want)
				}
			}
		})
	}
}

func TestParseSortErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "unknown field with suggestion", src: "-veiws",
			want: []string{`sort: position 2: unknown sort field "veiws" (did you mean "views"?); sortable fields: ` + blogSortList}},
		{name: "unknown field without suggestion", src: "title,body",
			want: []string{`sort: position 7: unknown sort field "body"; sortable fields: ` + blogSortList}},
		{name: "list field", src: "tags",
			want: []string{`sort: position 1: tags is a list of strings and cannot be sorted on; sortable fields: ` + blogSortList}},
		{name: "list fields are not suggested", src: "tag",
			want: []string{`sort: position 1: unknown sort field "tag"; sortable fields: ` + blogSortList}},
		{name: "duplicate", src: "views, -views",
			want: []string{`sort: position 9: views appears twice in the sort order (first at position 1)`}},
		{name: "empty key", src: "views,,title",
			want: []string{`sort: position 7: empty sort key; separate field names with single commas, such as -views,title`}},
		{name: "trailing comma", src: "views,",
			want: []string{`sort: position 7: empty sort key; separate field names with single commas, such as -views,title`}},
		{name: "lone minus", src: "views, -",
			want: []string{`sort: position 9: expected a field name right after "-", such as -views`}},
		{name: "space after minus", src: "- views",
			want: []string{`sort: position 2: expected a field name right after "-", such as -views`}},
		{name: "double minus", src: "--views",
			want: []string{`sort: position 2: unknown sort field "-views" (did you mean "views"?); sortable fields: ` + blogSortList}},
		{name: "every problem", src: "titel,,tags,title,title",
			want: []string{
				`sort: position 1: unknown sort field "titel" (did you mean "title"?); sortable fields: ` + blogSortList,
				`sort: position 7: empty sort key; separate field names with single commas, such as -views,title`,
				`sort: position 8: tags is a list of strings and cannot be sorted on; sortable fields: ` + blogSortList,
				`sort: position 19: title appears twice in the sort order (first at position 13)`,
			}},
		{name: "too long", src: strings.Repeat("views,", 700),
			want: []string{`sort: position 4097: sort is 4200 bytes long; at most 4096 are allowed`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := ParseSort(tt.src, blogFields)
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("ParseSort(%q) = %v, %v; want an ErrorList", tt.src, keys, err)
			}
			if keys != nil {
				t.Errorf("ParseSort(%q) returned keys %v with an error", tt.src, keys)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("ParseSort(%q) problems\n got %s\nwant %s", tt.src, strings.Join(got, "\n     "), strings.Join(tt.want, "\n     "))
			}
		})
	}
}
