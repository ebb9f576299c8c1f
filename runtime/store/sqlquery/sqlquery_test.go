package sqlquery

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/filter"
	"github.com/specstar-go/specstar/runtime/resource"
)

// testDialect renders readable SQL: fields as their names, arguments as
// $n, lists as elems(x) with elements e, and list containment as
// has(x, $n) when hasList is set. nul says whether text holds U+0000.
type testDialect struct {
	nul, hasList bool
}

func (testDialect) Field(f filter.FieldInfo) string { return f.Name }
func (testDialect) Bind(a *Args, f filter.FieldInfo, v any) string {
	return fmt.Sprintf("$%d", a.Add(v))
}
func (testDialect) In(a *Args, f filter.FieldInfo, x string, values []any) string {
	return fmt.Sprintf("(%s IN $%d)", x, a.Add(values))
}
func (testDialect) ListPresent(f filter.FieldInfo) string { return "is_array(" + f.Name + ")" }
func (testDialect) ListElems(table string, f filter.FieldInfo) (string, string) {
	return "elems(" + table + "." + f.Name + ")", "e"
}
func (d testDialect) ListHas(a *Args, f filter.FieldInfo, strs []string) string {
	if !d.hasList {
		return ""
	}
	return fmt.Sprintf("has(%s, $%d)", f.Name, a.Add(strs))
}
func (testDialect) Contains(x, needle string) string { return "pos(fold(" + x + "), " + needle + ")" }
func (testDialect) Bool(b bool) string               { return fmt.Sprint(b) }
func (testDialect) Visible(q *resource.Query) string {
	if q.IncludeDeleted {
		return "all"
	}
	return "live"
}
func (testDialect) Order(key filter.SortKey) string {
	if key.Desc {
		return key.Field.Name + " DESC"
	}
	return key.Field.Name
}
func (testDialect) Page(a *Args, limit, offset int) string {
	return fmt.Sprintf(" LIMIT $%d OFFSET $%d", a.Add(limit), a.Add(offset))
}
func (d testDialect) HoldsNUL() bool { return d.nul }

var testFields = []filter.FieldInfo{
	{Name: "name", Type: filter.String},
	{Name: "views", Type: filter.Int},
	{Name: "tags", Type: filter.String, List: true},
	{Name: "scores", Type: filter.Int, List: true},
	{Name: "created_time", Type: filter.DateTime, Meta: true},
	{Name: "resource_id", Type: filter.String, Meta: true},
}

// where compiles the WHERE clause of src (and of sort and after when
// set) with d.
func where(t *testing.T, d Dialect, src, sort string, after []any) (string, []any) {
	t.Helper()
	q := &resource.Query{After: after}
	if src != "" {
		e, err := filter.Parse(src)
		if err == nil {
			err = filter.Check(e, testFields)
		}
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		q.Filter = e
	}
	if sort != "" {
		keys, err := filter.ParseSort(sort, testFields)
		if err != nil {
			t.Fatal(err)
		}
		q.Sort = append(keys, resource.ResourceIDKey)
	}
	c := &compiler{d: d, table: "t"}
	if err := c.where(q, true); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return strings.TrimPrefix(c.b.String(), " WHERE live AND "), c.args.list
}

func TestCompile(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 30, 0, time.UTC)
	tests := []struct {
		name    string
		d       testDialect
		filter  string
		sort    string
		after   []any
		want    string
		args    []any
		nullArg bool // args hold nothing to compare
	}{
		{name: "and or not", filter: `!(views > 1 || name = "a") && views != 3`,
			want: `((NOT ((views > $1) OR (name = $2))) AND (views <> $3))`, args: []any{int64(1), "a", int64(3)}},
		{name: "is null", filter: `name is null && tags is not null && tags is null`,
			want: `((name IS NULL) AND is_array(tags) AND (NOT is_array(tags)))`, nullArg: true},
		{name: "contains folds the value", filter: `name ~ "AbC" && name !~ "x"`,
			want: `((pos(fold(name), $1) > 0) AND (pos(fold(name), $2) = 0))`, args: []any{"abc", "x"}},
		{name: "prefix", filter: `name ^= "ab"`, want: `(name >= $1 AND name < $2)`, args: []any{"ab", "ac"}},
		{name: "prefix without an end", filter: "name ^= \"\U0010FFFF\"", want: `(name >= $1)`, args: []any{"\U0010FFFF"}},
		{name: "in", filter: `views in [1, 2]`, want: `(views IN $1)`, args: []any{[]any{int64(1), int64(2)}}},
		{name: "list equality, no index", filter: `tags = "go"`,
			want: `(CASE WHEN is_array(tags) THEN EXISTS (SELECT 1 FROM elems(t.tags) WHERE (e = $1)) END)`, args: []any{"go"}},
		{name: "list equality, indexed", d: testDialect{hasList: true}, filter: `tags in ["go", "db"]`,
			want: `has(tags, $1)`, args: []any{[]string{"go", "db"}}},
		{name: "list contains", d: testDialect{hasList: true}, filter: `tags ~ "G"`,
			want: `(CASE WHEN is_array(tags) THEN EXISTS (SELECT 1 FROM elems(t.tags) WHERE (pos(fold(e), $1) > 0)) END)`, args: []any{"g"}},
		{name: "list of ints in", d: testDialect{hasList: true}, filter: `scores in [1, 2]`,
			want: `(CASE WHEN is_array(scores) THEN EXISTS (SELECT 1 FROM elems(t.scores) WHERE (e IN $1)) END)`,
			args: []any{[]any{int64(1), int64(2)}}},
		{name: "meta time", filter: `created_time = "2025-06-01T12:00:30Z"`, want: `(created_time = $1)`, args: []any{at}},
		{name: "meta time finer than a microsecond",
			filter: `created_time = "2025-06-01T12:00:30.0000005Z" || created_time != "2025-06-01T12:00:30.0000005Z" || ` +
				`created_time >= "2025-06-01T12:00:30.0000005Z" || created_time < "2025-06-01T12:00:30.0000005Z"`,
			want: `(false OR true OR (created_time > $1) OR (created_time <= $2))`, args: []any{at, at}},
		{name: "meta time in drops finer values", filter: `created_time in ["2025-06-01T12:00:30.0000005Z"]`,
			want: `(CASE WHEN created_time IS NULL THEN NULL ELSE false END)`, nullArg: true},
		{name: "NUL held", d: testDialect{nul: true}, filter: `name = "a\u0000b"`, want: `(name = $1)`, args: []any{"a\x00b"}},
		{name: "NUL not held", filter: `name = "a\u0000b" || name != "a\u0000" || name > "a\u0000b" || name <= "a\u0000b" || name ^= "\u0000"`,
			want: `((CASE WHEN name IS NULL THEN NULL ELSE false END) OR (CASE WHEN name IS NULL THEN NULL ELSE true END) OR ` +
				`(name > $1) OR (name <= $2) OR (CASE WHEN name IS NULL THEN NULL ELSE false END))`, args: []any{"a", "a"}},
		{name: "NUL not held in lists", d: testDialect{hasList: true}, filter: `tags in ["\u0000"]`,
			want: `(CASE WHEN is_array(tags) THEN false END)`, nullArg: true},
		{name: "keyset ascending", sort: "views", after: []any{int64(5), "id-1"},
			want: `((views >= $1) AND (((views > $2)) OR ((views = $3) AND (resource_id > $4))))`,
			args: []any{int64(5), int64(5), int64(5), "id-1"}},
		{name: "keyset descending from null", sort: "-views", after: []any{nil, "id-1"},
			want: `(((views IS NULL AND (resource_id > $1))))`, args: []any{"id-1"}},
		{name: "keyset descending", sort: "-views", after: []any{int64(5), "id-1"},
			want: `(((((views < $1) OR views IS NULL)) OR ((views = $2) AND (resource_id > $3))))`,
			args: []any{int64(5), int64(5), "id-1"}},
		{name: "keyset ascending from null", sort: "views", after: []any{nil, "id-1"},
			want: `(((views IS NOT NULL) OR (views IS NULL AND (resource_id > $1))))`, args: []any{"id-1"}},
		{name: "keyset on a meta time finer than a microsecond", sort: "-created_time",
			after: []any{at.Add(500 * time.Nanosecond), "id-1"},
			want:  `((created_time <= $1) AND ((((created_time <= $2) OR created_time IS NULL)) OR (false AND (resource_id > $3))))`,
			args:  []any{at, at, "id-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, args := where(t, tt.d, tt.filter, tt.sort, tt.after)
			if got != tt.want {
				t.Fatalf("SQL\n got: %s\nwant: %s", got, tt.want)
			}
			if tt.nullArg {
				tt.args = nil
			}
			if diff := cmp.Diff(tt.args, args); diff != "" {
				t.Fatalf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListAndCount(t *testing.T) {
	e, err := filter.Parse(`views > 2`)
	if err == nil {
		err = filter.Check(e, testFields)
	}
	if err != nil {
		t.Fatal(err)
	}
	q := &resource.Query{Filter: e, Sort: []filter.SortKey{{Field: testFields[1], Desc: true}, resource.ResourceIDKey},
		After: []any{int64(9), "id-1"}, Limit: 20, Offset: 5}
	d := testDialect{}
	got, args, err := List(d, Table{Name: "t", From: "t INDEXED BY ix", Columns: "a, b"}, q)
	want := `SELECT a, b FROM t INDEXED BY ix WHERE live AND (views > $1) AND (((((views < $2) OR views IS NULL)) OR ` +
		`((views = $3) AND (resource_id > $4)))) ORDER BY views DESC, resource_id LIMIT $5 OFFSET $6`
	if err != nil || got != want || len(args) != 6 {
		t.Fatalf("List = %s, %v, %v\nwant %s", got, args, err, want)
	}
	got, args, err = Count(d, Table{Name: "t"}, q)
	if want := `SELECT count(*) FROM t WHERE live AND (views > $1)`; err != nil || got != want || !slices.Equal(args, []any{int64(2)}) {
		t.Fatalf("Count = %s, %v, %v; want %s", got, args, err, want)
	}
	if _, _, err := List(d, Table{Name: "t"}, &resource.Query{Sort: q.Sort, After: []any{int64(1)}}); err == nil {
		t.Fatal("List with a bound of the wrong length succeeded")
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		name string
		p    string
		want string
		ok   bool
	}{
		{name: "empty", p: ""},
		{name: "ascii", p: "abc", want: "abd", ok: true},
		{name: "tilde", p: "a~", want: "a\x7f", ok: true},
		{name: "del", p: "a\x7f", want: "a\u0080", ok: true},
		{name: "two bytes", p: "\u00ff", want: "\u0100", ok: true},
		{name: "before surrogates", p: "x\ud7ff", want: "x\ue000", ok: true},
		{name: "last of the BMP", p: "x\uffff", want: "x\U00010000", ok: true},
		{name: "max rune", p: "x\U0010FFFF", want: "y", ok: true},
		{name: "only max runes", p: "\U0010FFFF\U0010FFFF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := prefixEnd(tt.p)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("prefixEnd(%q) = %q, %v; want %q, %v", tt.p, got, ok, tt.want, tt.ok)
			}
			if ok && (!utf8.ValidString(got) || got <= tt.p || strings.HasPrefix(got, tt.p)) {
				t.Fatalf("prefixEnd(%q) = %q is not a valid upper bound", tt.p, got)
			}
		})
	}
}

func TestASCIILower(t *testing.T) {
	for in, want := range map[string]string{"": "", "abc": "abc", "AbC@Example.COM": "abc@example.com", "ÉLODIE": "Élodie", "ÄÖ z": "ÄÖ z"} {
		if got := asciiLower(in); got != want {
			t.Errorf("asciiLower(%q) = %q, want %q", in, got, want)
		}
	}
}
