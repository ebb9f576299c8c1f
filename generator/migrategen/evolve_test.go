package migrategen_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/generator/load"
	"github.com/specstar-go/specstar/generator/migrategen"
	"github.com/specstar-go/specstar/generator/model"
)

// modelOf builds a spec given as YAML.
func modelOf(t *testing.T, src string) *model.Model {
	t.Helper()
	spec, err := load.Bytes("specstar.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// after returns what Files says of spec next after spec first.
func after(t *testing.T, first, next string, opts migrategen.Options) ([]string, error) {
	t.Helper()
	files, err := migrategen.Files(modelOf(t, first), migrategen.Previous{}, migrategen.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var prev migrategen.Previous
	for _, f := range files {
		if f.Path == migrategen.SnapshotFile {
			prev.Snapshot = f.Content
		} else {
			prev.Files = append(prev.Files, f)
		}
	}
	files, err = migrategen.Files(modelOf(t, next), prev, opts)
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	return paths, err
}

const evolveV1 = `specstar: 1
package: shop
resources:
  Product:
    fields:
      code: {type: string, index: true}
      stock: {type: int}
      box: {type: object, fields: {width: {type: float}}}
`

func TestEvolutionChecks(t *testing.T) {
	tests := []struct {
		name, next string
		wantErr    string // "" for none
		wantFiles  int    // migration files added, per dialect
	}{
		{name: "add a field with a default needs no migration",
			next:    strings.Replace(evolveV1, "stock: {type: int}", "stock: {type: int}\n      channel: {type: enum, values: [web, phone], default: web}", 1),
			wantErr: ""},
		{name: "an int becomes a float",
			next: strings.Replace(evolveV1, "stock: {type: int}", "stock: {type: float}", 1)},
		{name: "a string becomes text",
			next: strings.Replace(evolveV1, "code: {type: string, index: true}", "code: {type: text}", 1), wantFiles: 1},
		{name: "a type change needs a schema version",
			next:    strings.Replace(evolveV1, "stock: {type: int}", "stock: {type: string}", 1),
			wantErr: "field Product.stock: its type changed from int to string, but stored values keep the old type: raise schema_version of Product to 2 and convert them in upgradeProduct (product_upgrade.go), or keep the type"},
		{name: "a nested type change too",
			next:    strings.Replace(evolveV1, "width: {type: float}", "width: {type: bool}", 1),
			wantErr: "field Product.box.width: its type changed from float to bool"},
		{name: "a raised schema version allows it",
			next: strings.Replace(strings.Replace(evolveV1, "stock: {type: int}", "stock: {type: string}", 1), "    fields:", "    schema_version: 2\n    fields:", 1)},
		{name: "removing a field is destructive",
			next:    strings.Replace(evolveV1, "      stock: {type: int}\n", "", 1),
			wantErr: "removing field Product.stock drops their values"},
		{name: "removing an object reports the object",
			next:    strings.Replace(evolveV1, "      box: {type: object, fields: {width: {type: float}}}\n", "", 1),
			wantErr: "removing field Product.box drops"},
		{name: "renaming a field is not",
			next: strings.Replace(evolveV1, "stock: {type: int}", "in_stock: {type: int, renamed_from: stock}", 1)},
		{name: "renaming a nested field is not",
			next: strings.Replace(evolveV1, "width: {type: float}", "w: {type: float, renamed_from: width}", 1)},
		{name: "renaming a resource renames its tables",
			next: strings.Replace(evolveV1, "  Product:\n", "  Item:\n    renamed_from: Product\n", 1), wantFiles: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			paths, err := after(t, evolveV1, tt.next, migrategen.Options{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if got := (len(paths) - 3) / 2; got != tt.wantFiles {
					t.Errorf("%d new migrations, want %d: %v", got, tt.wantFiles, paths)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			var de *migrategen.DestructiveError
			if errors.As(err, &de) {
				if _, err := after(t, evolveV1, tt.next, migrategen.Options{AllowDestructive: true}); err != nil {
					t.Errorf("with AllowDestructive: %v", err)
				}
			}
		})
	}
}
