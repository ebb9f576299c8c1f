// Package golden compares test output with golden files and rewrites them
// when tests run with -update:
//
//	go test ./generator/... -update
//
// The flag is defined here, once; only test binaries that import this
// package accept it. A missing golden file counts as empty, so a new case
// fails until its goldens are written with -update. Line endings are
// normalised to "\n" before comparing, so a checkout with CRLF endings
// does not fail.
package golden

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update is set by -update: rewrite golden files instead of comparing.
var update = flag.Bool("update", false, "rewrite golden files with the current output")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// Assert compares got with the golden file at path. With -update it writes
// got to path instead, creating directories as needed.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		write(t, path, got)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("golden: %v", err)
	}
	if diff := cmp.Diff(normalize(want), normalize(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s\nrun with -update to accept the new output", path, diff)
	}
}

// AssertDir compares the files under dir with files, whose keys are
// slash-separated paths relative to dir. Missing and extra files both
// fail. With -update it makes dir hold exactly files: it writes every file
// and deletes the others (and directories left empty).
func AssertDir(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	have, err := readTree(dir)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	if *update {
		for name := range have {
			if _, ok := files[name]; !ok {
				if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
					t.Fatalf("golden: %v", err)
				}
			}
		}
		for _, name := range sortedKeys(files) {
			write(t, filepath.Join(dir, filepath.FromSlash(name)), files[name])
		}
		if err := removeEmptyDirs(dir); err != nil {
			t.Fatalf("golden: %v", err)
		}
		return
	}
	for _, name := range sortedKeys(have) {
		if _, ok := files[name]; !ok {
			t.Errorf("%s: extra golden file, not produced (run with -update to delete it)", filepath.Join(dir, filepath.FromSlash(name)))
		}
	}
	for _, name := range sortedKeys(files) {
		path := filepath.Join(dir, filepath.FromSlash(name))
		want, ok := have[name]
		if !ok {
			t.Errorf("%s: missing golden file (run with -update to create it)", path)
			continue
		}
		if diff := cmp.Diff(normalize(want), normalize(files[name])); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
		}
	}
}

// normalize turns CRLF line endings into LF and returns a string, so that
// cmp.Diff prints a line diff.
func normalize(b []byte) string {
	return string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
}

// write writes a golden file.
func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatalf("golden: %v", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatalf("golden: %v", err)
	}
}

// readTree reads every regular file under dir, keyed by slash path. A
// missing dir is an empty tree.
func readTree(dir string) (map[string][]byte, error) {
	files := make(map[string][]byte)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	return files, err
}

// removeEmptyDirs deletes directories under dir (not dir itself) that hold
// no files, deepest first.
func removeEmptyDirs(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == dir {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() && path != dir {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Reverse(dirs)
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			if err := os.Remove(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
