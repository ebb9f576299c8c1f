package output

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/specstar-go/specstar/generator/gen"
)

// generated returns a file body with the generated header.
func generated(body string) string {
	return strings.Join(gen.Header("spec.yaml"), "\n") + "\n\n" + body
}

func files(pairs ...string) []*gen.File {
	var out []*gen.File
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, &gen.File{Path: pairs[i], Content: []byte(pairs[i+1])})
	}
	return out
}

// writeTree creates the files of tree (slash path -> content) under dir.
func writeTree(t *testing.T, dir string, tree map[string]string) {
	t.Helper()
	for p, content := range tree {
		name := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under dir (slash path -> content).
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := map[string]string{}
	err := filepath.WalkDir(dir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, name)
		tree[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return tree
}

func TestWrite(t *testing.T) {
	a, b := generated("package p // a\n"), generated("package p // b\n")
	other := strings.Join(gen.Header("nested/specstar.yaml"), "\n") + "\n\npackage nested\n"
	user := "package p // mine\n"
	tests := []struct {
		name  string
		disk  map[string]string
		files []*gen.File
		want  WriteResult
		// after is the whole tree after Write.
		after map[string]string
	}{
		{
			name:  "empty dir",
			files: files("a.gen.go", a, "sub/b.gen.go", b),
			want:  WriteResult{Written: []string{"a.gen.go", "sub/b.gen.go"}},
			after: map[string]string{"a.gen.go": a, "sub/b.gen.go": b},
		},
		{
			name:  "up to date",
			disk:  map[string]string{"a.gen.go": a, "sub/b.gen.go": b},
			files: files("a.gen.go", a, "sub/b.gen.go", b),
			want:  WriteResult{Unchanged: 2},
			after: map[string]string{"a.gen.go": a, "sub/b.gen.go": b},
		},
		{
			name:  "one changed",
			disk:  map[string]string{"a.gen.go": a, "sub/b.gen.go": a},
			files: files("a.gen.go", a, "sub/b.gen.go", b),
			want:  WriteResult{Written: []string{"sub/b.gen.go"}, Unchanged: 1},
			after: map[string]string{"a.gen.go": a, "sub/b.gen.go": b},
		},
		{
			name: "stale generated files pruned, user files kept",
			disk: map[string]string{
				"a.gen.go":          a,
				"old.gen.go":        b,
				"old/x.gen.go":      b, // its directory becomes empty and goes too
				"notes.txt":         "mine\n",
				"hooks.go":          user,
				"edited.gen.go":     "// edited by hand, header removed\n",
				"testdata/g.gen.go": b, // golden files are not output
				".cache/c.gen.go":   b,
				"_tmp/t.gen.go":     b,
				"nested/go.mod":     "module nested\n",
				"nested/n.gen.go":   b, // another module's output
			},
			files: files("a.gen.go", a),
			want:  WriteResult{Removed: []string{"old.gen.go", "old/x.gen.go"}, Unchanged: 1},
			after: map[string]string{
				"a.gen.go":          a,
				"notes.txt":         "mine\n",
				"hooks.go":          user,
				"edited.gen.go":     "// edited by hand, header removed\n",
				"testdata/g.gen.go": b,
				".cache/c.gen.go":   b,
				"_tmp/t.gen.go":     b,
				"nested/go.mod":     "module nested\n",
				"nested/n.gen.go":   b,
			},
		},
		{
			name: "nested output of another spec is kept",
			disk: map[string]string{
				"other.gen.go":       other,
				"nested/own.gen.go":  b,
				"nested/keep.gen.go": other,
			},
			files: files("a.gen.go", a),
			want:  WriteResult{Written: []string{"a.gen.go"}, Removed: []string{"nested/own.gen.go", "other.gen.go"}},
			after: map[string]string{"a.gen.go": a, "nested/keep.gen.go": other},
		},
		{
			name:  "header without .gen.go suffix is ours",
			disk:  map[string]string{"schema.go": a},
			files: files("a.gen.go", a),
			want:  WriteResult{Written: []string{"a.gen.go"}, Removed: []string{"schema.go"}},
			after: map[string]string{"a.gen.go": a},
		},
		{
			name:  "non-Go output without header is replaced",
			disk:  map[string]string{"openapi.json": "{}\n"},
			files: files("openapi.json", "{\"openapi\":\"3.1.0\"}\n"),
			want:  WriteResult{Written: []string{"openapi.json"}},
			after: map[string]string{"openapi.json": "{\"openapi\":\"3.1.0\"}\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.disk)
			got, err := Write(dir, tt.files)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("WriteResult (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.after, readTree(t, dir)); diff != "" {
				t.Errorf("tree after Write (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(dir, "old")); err == nil {
				t.Error("directory emptied by pruning was not removed")
			}
		})
	}
}

func TestWriteMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "pkg")
	got, err := Write(dir, files("a.gen.go", generated("package p\n")))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.gen.go"}; !slices.Equal(got.Written, want) {
		t.Errorf("Written = %q, want %q", got.Written, want)
	}
}

func TestWriteLeavesUnchangedFilesAlone(t *testing.T) {
	dir := t.TempDir()
	a := generated("package p\n")
	writeTree(t, dir, map[string]string{"a.gen.go": a})
	name := filepath.Join(dir, "a.gen.go")
	// A read-only mode would be lost on a rewrite; it must survive a Write
	// that has nothing to change, and a changed file keeps its mode too.
	if err := os.Chmod(name, 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(name)
	if _, err := Write(dir, files("a.gen.go", a)); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(name)
	if !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Error("an unchanged file was rewritten")
	}
	if _, err := Write(dir, files("a.gen.go", generated("package q\n"))); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite = %v, want 0600", fi.Mode().Perm())
	}
}

func TestWriteErrors(t *testing.T) {
	a := generated("package p\n")
	tests := []struct {
		name    string
		disk    map[string]string
		files   []*gen.File
		wantErr string
	}{
		{name: "parent escape", files: files("a.gen.go", a, "../x.gen.go", a), wantErr: `invalid path "../x.gen.go"`},
		{name: "absolute", files: files("/x.gen.go", a), wantErr: `invalid path "/x.gen.go"`},
		{name: "unclean", files: files("a/../b.gen.go", a), wantErr: `invalid path "a/../b.gen.go"`},
		{name: "empty", files: files("", a), wantErr: `invalid path ""`},
		{name: "backslash", files: files(`a\b.gen.go`, a), wantErr: `invalid path "a\\b.gen.go"`},
		{name: "duplicate", files: files("a.gen.go", a, "a.gen.go", a), wantErr: "a.gen.go is generated twice"},
		{
			name:    "user file in the way",
			disk:    map[string]string{"z.gen.go": "package p // mine\n"},
			files:   files("a.gen.go", a, "z.gen.go", a),
			wantErr: "z.gen.go exists and was not generated by specstar",
		},
		{
			name:    "directory in the way",
			disk:    map[string]string{"d.gen.go/keep": "x"},
			files:   files("a.gen.go", a, "d.gen.go", a),
			wantErr: "d.gen.go: is a directory",
		},
		{
			name:    "file where a directory is needed",
			disk:    map[string]string{"sub": "a file"},
			files:   files("a.gen.go", a, "sub/b.gen.go", a),
			wantErr: filepath.Join("sub", "b.gen.go") + ": not a directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, tt.disk)
			_, err := Write(dir, tt.files)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Write error = %v, want one containing %q", err, tt.wantErr)
			}
			// Every error is found before anything is written.
			if diff := cmp.Diff(tt.disk, readTree(t, dir), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("tree after failed Write (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteAtomicFailure checks that a failed replace leaves neither a
// partial file nor a temporary file behind.
func TestWriteAtomicFailure(t *testing.T) {
	dir := t.TempDir()
	// Renaming a file over a non-empty directory fails on every platform.
	target := filepath.Join(dir, "a.gen.go")
	writeTree(t, dir, map[string]string{"a.gen.go/keep": "x"})
	if err := writeAtomic(target, []byte("content")); err == nil {
		t.Fatal("writeAtomic over a non-empty directory succeeded")
	}
	if diff := cmp.Diff(map[string]string{"a.gen.go/keep": "x"}, readTree(t, dir)); diff != "" {
		t.Errorf("tree after failed writeAtomic (-want +got):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	a, b := generated("package p // a\n"), generated("package p // b\n")
	edited := strings.Replace(a, "// a", "// a, edited by hand", 1)
	tests := []struct {
		name  string
		disk  map[string]string
		files []*gen.File
		want  *CheckResult
		clean bool
		out   string // Format output
	}{
		{
			name:  "clean",
			disk:  map[string]string{"a.gen.go": a, "hooks.go": "package p\n"},
			files: files("a.gen.go", a),
			want:  &CheckResult{},
			clean: true,
		},
		{
			name:  "hand-edited",
			disk:  map[string]string{"a.gen.go": edited},
			files: files("a.gen.go", a),
			want:  &CheckResult{Diffs: []FileDiff{{Path: "a.gen.go", Old: []byte(edited), New: []byte(a)}}},
			out: "--- a/a.gen.go\n+++ b/a.gen.go\n@@ -1,4 +1,4 @@\n" +
				" // Code generated by specstar. DO NOT EDIT.\n // Source: spec.yaml\n \n" +
				"-package p // a, edited by hand\n+package p // a\n",
		},
		{
			name:  "missing and stale",
			disk:  map[string]string{"old.gen.go": b, "sub/old.gen.go": b, "user.go": "package p\n"},
			files: files("a.gen.go", a, "b.gen.go", b),
			want: &CheckResult{
				Missing: []string{"a.gen.go", "b.gen.go"},
				Stale:   []string{"old.gen.go", "sub/old.gen.go"},
			},
			out: "missing: a.gen.go\nmissing: b.gen.go\nstale: old.gen.go\nstale: sub/old.gen.go\n",
		},
		{
			name:  "no output dir yet",
			files: files("a.gen.go", a),
			want:  &CheckResult{Missing: []string{"a.gen.go"}},
			out:   "missing: a.gen.go\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			if tt.disk != nil {
				writeTree(t, dir, tt.disk)
			}
			got, err := Check(dir, tt.files)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckResult (-want +got):\n%s", diff)
			}
			if got.Clean() != tt.clean {
				t.Errorf("Clean() = %v, want %v", got.Clean(), tt.clean)
			}
			var buf bytes.Buffer
			if err := got.Format(&buf); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.out {
				t.Errorf("Format:\n%s\nwant:\n%s", buf.String(), tt.out)
			}
			// Check writes nothing.
			if diff := cmp.Diff(tt.disk, readTree(t, dir), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Check changed the tree (-before +after):\n%s", diff)
			}
		})
	}
}

func TestCheckAgreesWithWrite(t *testing.T) {
	// After Write, Check of the same files is clean.
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"stale.gen.go": generated("package p\n"), "a.gen.go": generated("// old\n")})
	fs := files("a.gen.go", generated("package p // a\n"), "x/b.gen.go", generated("package x\n"))
	if _, err := Write(dir, fs); err != nil {
		t.Fatal(err)
	}
	res, err := Check(dir, fs)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Clean() {
		t.Errorf("Check after Write is not clean: %+v", res)
	}
}

func TestCheckResultWithPrefix(t *testing.T) {
	res := &CheckResult{
		Diffs:   []FileDiff{{Path: "a.gen.go", Old: []byte("x\n"), New: []byte("y\n")}},
		Missing: []string{"b.gen.go"},
		Stale:   []string{"sub/c.gen.go"},
	}
	var buf bytes.Buffer
	if err := res.WithPrefix("blog").Format(&buf); err != nil {
		t.Fatal(err)
	}
	want := "--- a/blog/a.gen.go\n+++ b/blog/a.gen.go\n@@ -1 +1 @@\n-x\n+y\n" +
		"missing: blog/b.gen.go\nstale: blog/sub/c.gen.go\n"
	if buf.String() != want {
		t.Errorf("Format:\n%s\nwant:\n%s", buf.String(), want)
	}
	if res.Missing[0] != "b.gen.go" {
		t.Error("WithPrefix modified the original result")
	}
}

func TestScaffold(t *testing.T) {
	scaffold := func(body string) []*gen.File {
		return []*gen.File{
			{Path: "a.gen.go", Content: []byte(generated("package a\n"))},
			{Path: "hooks.go", Content: []byte(body), Scaffold: true},
		}
	}
	dir := t.TempDir()
	chk, err := Check(dir, scaffold("package a // scaffold\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(chk.Missing, []string{"a.gen.go", "hooks.go"}) {
		t.Fatalf("missing = %v, want both files", chk.Missing)
	}
	if _, err := Write(dir, scaffold("package a // scaffold\n")); err != nil {
		t.Fatal(err)
	}
	// The user edits the scaffold; a new generation neither overwrites,
	// reports nor prunes it.
	writeTree(t, dir, map[string]string{"hooks.go": "package a // mine\n"})
	res, err := Write(dir, scaffold("package a // a newer scaffold\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Written) != 0 || len(res.Removed) != 0 {
		t.Fatalf("write touched files: %+v", res)
	}
	if got := readTree(t, dir)["hooks.go"]; got != "package a // mine\n" {
		t.Fatalf("hooks.go = %q, want the user's", got)
	}
	chk, err = Check(dir, scaffold("package a // a newer scaffold\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !chk.Clean() {
		t.Fatalf("check reports the user's file: %+v", chk)
	}
	if _, err := Write(dir, scaffold("package a // a newer scaffold\n")[:1]); err != nil {
		t.Fatal(err)
	}
	if _, ok := readTree(t, dir)["hooks.go"]; !ok {
		t.Fatal("a scaffold no longer generated was pruned")
	}
}
