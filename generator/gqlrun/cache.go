package gqlrun

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// The cache of gqlgen outputs.
//
// Running gqlgen costs a second or more even when the go build cache is
// warm, and its output is a pure function of what it reads: the temporary
// module Run assembles (go.mod, go.sum, the output package, the gqlgen
// configuration, the copied in-module packages), the source of every
// module that go.mod replaces with a local directory (specstar's runtime
// during development), the Go toolchain and its settings, and the list of
// outputs. The key hashes all of that, conservatively: a change to any
// file in a replaced directory misses the cache even if gqlgen would not
// have noticed it. Modules fetched by version are covered by go.sum.
//
// Entries live in <user cache dir>/specstar/gqlgen/<key>/ and are written
// to a temporary directory first and renamed into place, so a reader never
// sees half an entry. SPECSTAR_NO_CACHE=1 turns the cache off.

// cacheDir returns the cache directory to use, or "" when caching is off.
func cacheDir(cfg Config) string {
	if cfg.CacheDir != "" {
		return cfg.CacheDir
	}
	if os.Getenv("SPECSTAR_NO_CACHE") == "1" {
		return ""
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "specstar", "gqlgen")
}

// cacheKey hashes everything gqlgen's output depends on (see above).
func cacheKey(ctx context.Context, tmp string, cfg Config) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "specstar gqlrun cache v1\noutputs %q\n", cfg.Outputs)
	goenv, err := goEnv(ctx, cfg.Env)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "goenv %s\n", goenv)
	if err := hashTree(h, tmp, "module"); err != nil {
		return "", err
	}
	dirs, err := replacedDirs(filepath.Join(tmp, "go.mod"))
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		if err := hashTree(h, d, "replace "+d); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// goEnv returns the settings of the go command that can change a build.
func goEnv(ctx context.Context, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION", "GOOS", "GOARCH", "GOEXPERIMENT", "CGO_ENABLED", "GOFLAGS", "GOTOOLCHAIN")
	cmd.Env = environ(env)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	return strings.Join(strings.Fields(string(out)), " "), nil
}

// replacedDirs lists the absolute local directories that go.mod replaces
// modules with (writeModule made them absolute).
func replacedDirs(gomod string) ([]string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, err
	}
	mf, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, r := range mf.Replace {
		if r.New.Version == "" && filepath.IsAbs(r.New.Path) {
			dirs = append(dirs, r.New.Path)
		}
	}
	slices.Sort(dirs)
	return slices.Compact(dirs), nil
}

// hashTree writes the relative path and content of every file of dir that
// can reach a build into h, in a fixed order. It skips what the go command
// ignores: directories starting with "." or "_", testdata, test files, and
// nested modules.
func hashTree(h io.Writer, dir, label string) error {
	fmt.Fprintf(h, "tree %s\n", label)
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			if p != dir {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "file %q %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
		return nil
	})
}

// cacheGet returns the cached outputs of key, or nil when there is no
// complete entry.
func cacheGet(dir, key string, outputs []string) map[string][]byte {
	entry := filepath.Join(dir, key)
	files := make(map[string][]byte, len(outputs))
	for _, name := range outputs {
		data, err := os.ReadFile(filepath.Join(entry, filepath.FromSlash(name)))
		if err != nil {
			return nil
		}
		files[name] = data
	}
	return files
}

// cachePut stores outputs under key. Failures only cost a future miss, so
// they are ignored.
func cachePut(dir, key string, files map[string][]byte) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-")
	if err != nil {
		return
	}
	defer os.RemoveAll(tmp)
	for name, data := range files {
		if err := writeFile(filepath.Join(tmp, filepath.FromSlash(name)), data); err != nil {
			return
		}
	}
	os.Rename(tmp, filepath.Join(dir, key)) // another run may have stored it first: fine
}
