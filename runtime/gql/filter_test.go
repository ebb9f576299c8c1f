package gql

import (
	"testing"
	"time"

	"github.com/specstar-go/specstar/runtime/filter"
)

func ptr[T any](v T) *T { return &v }

type status string

func TestFilterInputsCompileToFilterLanguage(t *testing.T) {
	when := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		expr filter.Expr
		want string
	}{
		{name: "nothing", expr: And(), want: ""},
		{name: "string operators", expr: And((&StringFilter{
			Eq: ptr("a"), Ne: ptr("b"), Gt: ptr("c"), Gte: ptr("d"), Lt: ptr("e"), Lte: ptr("f"),
			Contains: ptr(`q"uote`), NotContains: ptr(`back\slash`), Prefix: ptr("p"),
		}).Exprs("title")...),
			want: `title = "a" && title != "b" && title > "c" && title >= "d" && title < "e" && title <= "f" && title ~ "q\"uote" && title !~ "back\\slash" && title ^= "p"`},
		{name: "in and is null", expr: And((&StringFilter{In: []string{"x", "y"}, IsNull: ptr(false)}).Exprs("slug")...),
			want: `slug in ["x", "y"] && slug is not null`},
		{name: "empty in matches nothing", expr: And((&IDFilter{In: []string{}}).Exprs("author")...),
			want: `resource_id is null`},
		{name: "ints keep 64 bits", expr: And((&IntFilter{Gte: ptr(int64(9007199254740993)), In: []int64{-1, 2}}).Exprs("views")...),
			want: `views >= 9007199254740993 && views in [-1, 2]`},
		{name: "floats", expr: And((&FloatFilter{Lt: ptr(4.5), Eq: ptr(1e21)}).Exprs("rating")...),
			want: `rating = 1e+21 && rating < 4.5`},
		{name: "bools", expr: And((&BooleanFilter{Ne: ptr(true), IsNull: ptr(true)}).Exprs("featured")...),
			want: `featured != true && featured is null`},
		{name: "times in UTC", expr: And((&TimeFilter{Gt: &when}).Exprs("published_at")...),
			want: `published_at > "2024-05-01T10:00:00Z"`},
		{name: "dates", expr: And((&DateFilter{Lte: ptr("2024-05-01")}).Exprs("day")...),
			want: `day <= "2024-05-01"`},
		{name: "list of strings", expr: And((&StringListFilter{Eq: ptr("go"), Contains: ptr("la")}).Exprs("tags")...),
			want: `tags = "go" && tags ~ "la"`},
		{name: "enums", expr: And(EnumExprs("status", ptr(status("draft")), nil, []status{"a", "b"}, nil)...),
			want: `status = "draft" && status in ["a", "b"]`},
		{name: "list of enums", expr: And(EnumListExprs[status]("labels", nil, nil, ptr(true))...),
			want: `labels is null`},
		{name: "nil filters add nothing", expr: And((*StringFilter)(nil).Exprs("title")...), want: ""},
		{name: "or", expr: Or(Eq("a", "1"), Eq("b", "2")), want: `a = "1" || b = "2"`},
		{name: "or with an empty branch matches all", expr: Or(Eq("a", "1"), And()), want: ""},
		{name: "empty or adds nothing", expr: And(Or(), Eq("a", "1")), want: `a = "1"`},
		{name: "not", expr: Not(And(Eq("a", "1"), Eq("b", "2"))), want: `!(a = "1" && b = "2")`},
		{name: "not of nothing matches nothing", expr: Not(And()), want: `resource_id is null`},
		{name: "nested precedence", expr: And(Or(Eq("a", "1"), Eq("b", "2")), Not(Eq("c", "3"))),
			want: `(a = "1" || b = "2") && !c = "3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FilterText(tt.expr)
			if got != tt.want {
				t.Fatalf("FilterText = %s\nwant          %s", got, tt.want)
			}
			if got == "" {
				return
			}
			// What the service receives parses back to the same text.
			e, err := filter.Parse(got)
			if err != nil {
				t.Fatalf("Parse(%s): %v", got, err)
			}
			if again := filter.Format(e); again != got {
				t.Errorf("round trip: %s, want %s", again, got)
			}
		})
	}
}

func TestListQueryChecksFirst(t *testing.T) {
	tests := []struct {
		name      string
		first     *int
		wantLimit int
		wantErr   bool
	}{
		{name: "default", first: nil, wantLimit: 0},
		{name: "one", first: ptr(1), wantLimit: 1},
		{name: "max", first: ptr(1000), wantLimit: 1000},
		{name: "zero", first: ptr(0), wantErr: true},
		{name: "negative", first: ptr(-3), wantErr: true},
		{name: "too many", first: ptr(1001), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := ListQuery(tt.first, ptr("c"), ptr(true))
			if tt.wantErr {
				if CodeOf(err) != "BAD_REQUEST" {
					t.Fatalf("err = %v, want a BAD_REQUEST", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.Limit != tt.wantLimit || q.Cursor != "c" || !q.IncludeDeleted {
				t.Errorf("ListQuery = %+v", q)
			}
		})
	}
}

func TestComplexity(t *testing.T) {
	tests := []struct {
		name  string
		child int
		first *int
		want  int
	}{
		{name: "default page", child: 3, want: 1 + 3*20},
		{name: "first", child: 3, first: ptr(5), want: 16},
		{name: "capped", child: 1, first: ptr(5000), want: 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Complexity(tt.child, tt.first); got != tt.want {
				t.Errorf("Complexity = %d, want %d", got, tt.want)
			}
		})
	}
}
