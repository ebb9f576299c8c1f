package postgres_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/specstar-go/specstar/runtime/resource"
	"github.com/specstar-go/specstar/runtime/resource/resourcetest"
	"github.com/specstar-go/specstar/runtime/store/postgres"
	"github.com/specstar-go/specstar/runtime/store/sqlschema"
)

// TestDDLMatchesSQLSchema checks that the versioned migrations'
// PostgreSQL statements (package sqlschema) create exactly the tables and
// indexes this backend's queries are written for: an index whose
// expression differs by one character is never used.
func TestDDLMatchesSQLSchema(t *testing.T) {
	var kinds []*resource.Kind
	kinds = append(kinds, resourcetest.NewKinds().Schema.Kinds...)
	kinds = append(kinds, resourcetest.NewSearchKinds().Schema.Kinds...)
	kinds = append(kinds, &resource.Kind{Name: "Edge", Table: "edge_" + strings.Repeat("x", 40), Fields: []resource.Field{
		{JSON: "a.very_long_nested_field_name_that_gets_cut", Type: resource.TypeDateTime, Indexed: true, Unique: true},
		{JSON: "scores", Type: resource.TypeFloat, List: true, Indexed: true},
		{JSON: "days", Type: resource.TypeDate, List: true, Indexed: true},
		{JSON: "flag", Type: resource.TypeBool, Indexed: true},
	}})
	for _, schema := range []string{"", "app"} {
		for _, k := range kinds {
			t.Run(schema+"/"+k.Name, func(t *testing.T) {
				norm := func(stmts []string) []string {
					out := make([]string, len(stmts))
					for i, s := range stmts {
						out[i] = strings.Join(strings.Fields(s), " ")
					}
					return out
				}
				want := norm(postgres.DDL(schema, k))
				got := norm(sqlschema.Postgres.CreateKind(schema, k))
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("sqlschema.Postgres.CreateKind differs from postgres.DDL (-postgres +sqlschema):\n%s", diff)
				}
			})
		}
	}
}
