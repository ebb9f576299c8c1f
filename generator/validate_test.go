package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateWithoutModule: a valid spec in a directory with no go.mod
// anywhere above validates (it failed with "no go.mod").
func TestValidateWithoutModule(t *testing.T) {
	dir := t.TempDir()
	spec := "specstar: 1\npackage: notes\nresources:\n  Note:\n    fields:\n      text: {type: string}\n"
	if err := os.WriteFile(filepath.Join(dir, DefaultSpec), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := findModule(dir); err == nil {
		t.Skip("the temporary directory is inside a Go module")
	}
	m, err := Validate(context.Background(), Config{Dir: dir})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if m.Package != "notes" {
		t.Errorf("package %q", m.Package)
	}
	// Generating still needs one, and says so.
	_, err = Generate(context.Background(), Config{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("Generate without a module: %v", err)
	}
}
