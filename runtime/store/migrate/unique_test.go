package migrate

import (
	"errors"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// TestParseCreateUnique parses the unique indexes sqlschema spells, on
// both dialects, as the generated migrations hold them.
func TestParseCreateUnique(t *testing.T) {
	k := &resource.Kind{Name: "Post", Table: "post", Fields: []resource.Field{
		{JSON: "slug", Type: resource.TypeString, Unique: true},
		{JSON: "email", Type: resource.TypeString, Unique: true, Fold: true},
	}}
	for _, d := range sqlschema.Dialects() {
		for _, ix := range d.Indexes(k) {
			if !ix.Unique {
				continue
			}
			stmt := d.CreateIndex("", k.Table, ix)[0]
			c, ok := ParseCreateUnique(stmt + ";")
			if !ok {
				t.Fatalf("%s: %s does not parse", d, stmt)
			}
			if c.Index != ix.Name || c.Table != `"post"` || c.Where == "" {
				t.Errorf("%s: %s parsed as %+v", d, stmt, c)
			}
			if got := "(" + c.Expr + ")"; "USING btree "+got+" WHERE NOT is_deleted" != ix.Def && got+" WHERE is_deleted = 0" != ix.Def {
				t.Errorf("%s: expression %q does not rebuild the definition %q", d, c.Expr, ix.Def)
			}
		}
	}
	if _, ok := ParseCreateUnique(`CREATE INDEX "ix_post_title" ON "post" (x)`); ok {
		t.Error("a plain index parsed as unique")
	}
}

func TestUniqueErrorNamesValues(t *testing.T) {
	c := CreateUnique{Index: "ux_post_slug", Table: `"post"`}
	cause := errors.New("UNIQUE constraint failed")
	err := c.Err([]Duplicate{{Value: "hello", Count: 4, IDs: []string{"a", "b", "c"}}, {Value: "x", Count: 2, IDs: []string{"d", "e"}}}, cause)
	want := "cannot create unique index ux_post_slug on post: live records share values: hello (4 records: a, b, c, …); x (2 records: d, e); change the data (or drop unique from the spec) and start again"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant %s", err, want)
	}
	if !errors.Is(err, cause) {
		t.Error("the database's error is not wrapped")
	}
	if c.Err(nil, cause) != nil {
		t.Error("no duplicates, still an error")
	}
}
