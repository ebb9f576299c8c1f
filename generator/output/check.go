package output

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/specstar-go/specstar/generator/gen"
)

// CheckResult is how the files on disk differ from freshly generated ones.
// Paths are slash-separated, relative to the checked directory (or to the
// prefix given to WithPrefix) and sorted.
type CheckResult struct {
	// Diffs are the files that exist with different content.
	Diffs []FileDiff
	// Missing are generated files that do not exist on disk.
	Missing []string
	// Stale are files on disk with the generated header that would no
	// longer be generated (Write would remove them).
	Stale []string
}

// FileDiff is one file whose content on disk differs from the generated
// content.
type FileDiff struct {
	Path string
	Old  []byte // on disk
	New  []byte // generated
}

// Unified returns the unified diff from the file on disk to the generated
// file, with "--- a/<path>" and "+++ b/<path>" headers, as git prints it.
func (d FileDiff) Unified() []byte {
	return UnifiedDiff("a/"+d.Path, "b/"+d.Path, d.Old, d.New)
}

// Check compares files with the files under dir and reports every
// difference, writing nothing. It applies the same rules as Write: a file
// is stale only if it carries the generated header.
func Check(dir string, files []*gen.File) (*CheckResult, error) {
	if err := validate(files); err != nil {
		return nil, err
	}
	res := &CheckResult{}
	for _, f := range files {
		old, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			res.Missing = append(res.Missing, f.Path)
		case err != nil:
			return nil, err
		case !f.Scaffold && !bytes.Equal(old, f.Content):
			res.Diffs = append(res.Diffs, FileDiff{Path: f.Path, Old: old, New: f.Content})
		}
	}
	stale, err := staleFiles(dir, files)
	if err != nil {
		return nil, err
	}
	res.Stale = stale
	res.sort()
	return res, nil
}

func (r *CheckResult) sort() {
	slices.SortFunc(r.Diffs, func(a, b FileDiff) int { return strings.Compare(a.Path, b.Path) })
	slices.Sort(r.Missing)
	slices.Sort(r.Stale)
}

// Clean reports whether the files on disk are exactly the generated ones.
func (r *CheckResult) Clean() bool {
	return len(r.Diffs) == 0 && len(r.Missing) == 0 && len(r.Stale) == 0
}

// WithPrefix returns a copy of r with prefix (a slash path, such as the
// output directory relative to the working directory) joined in front of
// every path, so that what Format prints is relative to where the user is.
func (r *CheckResult) WithPrefix(prefix string) *CheckResult {
	join := func(p string) string { return path.Join(prefix, p) }
	out := &CheckResult{}
	for _, d := range r.Diffs {
		out.Diffs = append(out.Diffs, FileDiff{Path: join(d.Path), Old: d.Old, New: d.New})
	}
	for _, p := range r.Missing {
		out.Missing = append(out.Missing, join(p))
	}
	for _, p := range r.Stale {
		out.Stale = append(out.Stale, join(p))
	}
	return out
}

// Format writes the unified diff of every changed file, then one
// "missing: <path>" line per missing file and one "stale: <path>" line per
// stale file. It writes nothing for a clean result.
func (r *CheckResult) Format(w io.Writer) error {
	var buf bytes.Buffer
	for _, d := range r.Diffs {
		buf.Write(d.Unified())
	}
	for _, p := range r.Missing {
		fmt.Fprintf(&buf, "missing: %s\n", p)
	}
	for _, p := range r.Stale {
		fmt.Fprintf(&buf, "stale: %s\n", p)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
