package gqlrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// writeTree writes files (slash paths) below dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := writeFile(filepath.Join(dir, filepath.FromSlash(name)), []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCacheKeyCoversInputs(t *testing.T) {
	lib := t.TempDir()
	writeTree(t, lib, map[string]string{
		"go.mod":               "module example.com/lib\n",
		"lib.go":               "package lib\n",
		"lib_test.go":          "package lib\n",
		"testdata/x.txt":       "x",
		".hidden/y.go":         "package y\n",
		"nested/go.mod":        "module example.com/lib/nested\n",
		"nested/nested.go":     "package nested\n",
		"assets/bundle.js.txt": "js",
	})
	tmp := t.TempDir()
	writeTree(t, tmp, map[string]string{
		"go.mod":              "module example.com/app\n\ngo 1.26.0\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => " + lib + "\n",
		"app/schema.graphqls": "type Query { x: Int }\n",
		"app/app.go":          "package app\n",
	})
	cfg := Config{Outputs: []string{"graphql_exec.gen.go"}}
	ctx := context.Background()
	key := func() string {
		t.Helper()
		k, err := cacheKey(ctx, tmp, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key()
	if again := key(); again != base {
		t.Fatalf("key is not stable: %s then %s", base, again)
	}
	tests := []struct {
		name   string
		dir    string
		file   string
		change bool
	}{
		{name: "schema", dir: tmp, file: "app/schema.graphqls", change: true},
		{name: "output package", dir: tmp, file: "app/app.go", change: true},
		{name: "replaced module source", dir: lib, file: "lib.go", change: true},
		{name: "replaced module asset", dir: lib, file: "assets/bundle.js.txt", change: true},
		{name: "replaced module test file", dir: lib, file: "lib_test.go", change: false},
		{name: "replaced module testdata", dir: lib, file: "testdata/x.txt", change: false},
		{name: "hidden directory", dir: lib, file: ".hidden/y.go", change: false},
		{name: "nested module", dir: lib, file: "nested/nested.go", change: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := filepath.Join(tt.dir, filepath.FromSlash(tt.file))
			old, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			writeTree(t, tt.dir, map[string]string{tt.file: string(old) + "// changed\n"})
			defer writeTree(t, tt.dir, map[string]string{tt.file: string(old)})
			if changed := key() != base; changed != tt.change {
				t.Errorf("changing %s changed the key: %v, want %v", tt.file, changed, tt.change)
			}
		})
	}
	cfg.Outputs = append(cfg.Outputs, "models.gen.go")
	if key() == base {
		t.Error("another list of outputs gives the same key")
	}
}

func TestCacheRoundTrip(t *testing.T) {
	dir := t.TempDir()
	outputs := []string{"a.go", "sub/b.go"}
	if got := cacheGet(dir, "k1", outputs); got != nil {
		t.Fatalf("empty cache returned %v", got)
	}
	want := map[string][]byte{"a.go": []byte("package a\n"), "sub/b.go": []byte("package b\n")}
	cachePut(dir, "k1", want)
	if got := cacheGet(dir, "k1", outputs); !sameBytes(got, want) {
		t.Fatalf("cacheGet = %q, want %q", got, want)
	}
	// An entry that lacks an output is a miss, not half a result.
	if got := cacheGet(dir, "k1", append(outputs, "c.go")); got != nil {
		t.Errorf("incomplete entry returned %v", got)
	}
	// Storing the same key again (a concurrent run) keeps the entry intact.
	cachePut(dir, "k1", want)
	if got := cacheGet(dir, "k1", outputs); !sameBytes(got, want) {
		t.Errorf("after a second put: %q", got)
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("SPECSTAR_NO_CACHE", "1")
	if d := cacheDir(Config{}); d != "" {
		t.Errorf("SPECSTAR_NO_CACHE=1: cacheDir = %q, want off", d)
	}
	if d := cacheDir(Config{CacheDir: "/x"}); d != "/x" {
		t.Errorf("explicit CacheDir = %q", d)
	}
	t.Setenv("SPECSTAR_NO_CACHE", "")
	t.Setenv("XDG_CACHE_HOME", "/cache")
	if d := cacheDir(Config{}); d != filepath.Join("/cache", "specstar", "gqlgen") {
		t.Errorf("default cacheDir = %q", d)
	}
}

// sameBytes reports whether two output sets are equal.
func sameBytes(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
