package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the
// test, so the tests can check what Assert reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errs = append(r.errs, "fatal: "+fmt.Sprintf(format, args...))
}

// setUpdate sets the -update flag for the duration of a test.
func setUpdate(t *testing.T, v bool) {
	old := *update
	*update = v
	t.Cleanup(func() { *update = old })
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAssert(t *testing.T) {
	tests := []struct {
		name    string
		golden  *string // nil: no golden file
		got     string
		wantErr string // "" means no failure
	}{
		{name: "equal", golden: ptr("a\nb\n"), got: "a\nb\n"},
		{name: "crlf normalised", golden: ptr("a\r\nb\r\n"), got: "a\nb\n"},
		{name: "different", golden: ptr("a\nb\n"), got: "a\nc\n", wantErr: "(-want +got)"},
		{name: "missing counts as empty", golden: nil, got: ""},
		{name: "missing with output", golden: nil, got: "x\n", wantErr: "(-want +got)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setUpdate(t, false)
			path := filepath.Join(t.TempDir(), "want.txt")
			if tt.golden != nil {
				writeFiles(t, filepath.Dir(path), map[string]string{"want.txt": *tt.golden})
			}
			r := &recorder{TB: t}
			Assert(r, path, []byte(tt.got))
			checkErrs(t, r.errs, tt.wantErr)
		})
	}
}

func TestAssertUpdate(t *testing.T) {
	setUpdate(t, true)
	path := filepath.Join(t.TempDir(), "new", "dir", "want.txt")
	r := &recorder{TB: t}
	Assert(r, path, []byte("fresh\n"))
	checkErrs(t, r.errs, "")
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "fresh\n" {
		t.Fatalf("golden file = %q, %v; want %q", data, err, "fresh\n")
	}
}

func TestAssertDir(t *testing.T) {
	tests := []struct {
		name    string
		have    map[string]string
		got     map[string]string
		wantErr []string
	}{
		{
			name: "equal",
			have: map[string]string{"a.txt": "a\n", "sub/b.txt": "b\n"},
			got:  map[string]string{"a.txt": "a\n", "sub/b.txt": "b\n"},
		},
		{
			name: "crlf",
			have: map[string]string{"a.txt": "a\r\n"},
			got:  map[string]string{"a.txt": "a\n"},
		},
		{
			name:    "missing file",
			have:    map[string]string{"a.txt": "a\n"},
			got:     map[string]string{"a.txt": "a\n", "sub/b.txt": "b\n"},
			wantErr: []string{"missing golden file"},
		},
		{
			name:    "extra file",
			have:    map[string]string{"a.txt": "a\n", "old.txt": "o\n"},
			got:     map[string]string{"a.txt": "a\n"},
			wantErr: []string{"extra golden file"},
		},
		{
			name:    "changed file",
			have:    map[string]string{"a.txt": "a\n"},
			got:     map[string]string{"a.txt": "b\n"},
			wantErr: []string{"(-want +got)"},
		},
		{
			name:    "missing dir",
			have:    nil,
			got:     map[string]string{"a.txt": "a\n"},
			wantErr: []string{"missing golden file"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setUpdate(t, false)
			dir := filepath.Join(t.TempDir(), "want")
			if tt.have != nil {
				writeFiles(t, dir, tt.have)
			}
			r := &recorder{TB: t}
			AssertDir(r, dir, bytesMap(tt.got))
			if len(r.errs) != len(tt.wantErr) {
				t.Fatalf("got %d failures %q, want %d", len(r.errs), r.errs, len(tt.wantErr))
			}
			for i, want := range tt.wantErr {
				if !strings.Contains(r.errs[i], want) {
					t.Errorf("failure %q does not contain %q", r.errs[i], want)
				}
			}
		})
	}
}

func TestAssertDirUpdate(t *testing.T) {
	setUpdate(t, true)
	dir := filepath.Join(t.TempDir(), "want")
	writeFiles(t, dir, map[string]string{
		"keep.txt":      "old\n",
		"gone.txt":      "x\n",
		"empty/old.txt": "x\n",
	})
	got := map[string]string{"keep.txt": "new\n", "added/c.txt": "c\n"}
	r := &recorder{TB: t}
	AssertDir(r, dir, bytesMap(got))
	checkErrs(t, r.errs, "")

	have, err := readTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != len(got) {
		t.Errorf("tree has %d files, want %d: %v", len(have), len(got), sortedKeys(have))
	}
	for name, want := range got {
		if string(have[name]) != want {
			t.Errorf("%s = %q, want %q", name, have[name], want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "empty")); !os.IsNotExist(err) {
		t.Errorf("empty directory not removed: %v", err)
	}

	// Now the tree matches without -update.
	setUpdate(t, false)
	r = &recorder{TB: t}
	AssertDir(r, dir, bytesMap(got))
	checkErrs(t, r.errs, "")
}

func checkErrs(t *testing.T, errs []string, want string) {
	t.Helper()
	if want == "" {
		if len(errs) > 0 {
			t.Fatalf("unexpected failures: %q", errs)
		}
		return
	}
	if len(errs) != 1 || !strings.Contains(errs[0], want) {
		t.Fatalf("failures = %q, want one containing %q", errs, want)
	}
}

func bytesMap(m map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

func ptr(s string) *string { return &s }
