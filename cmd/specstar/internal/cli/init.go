package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// InitOptions are the inputs of specstar init.
type InitOptions struct {
	IO         *IOStreams
	Getwd      func() (string, error)
	Getenv     func(key string) string
	Executable func() (string, error)

	Dir          string // target directory, "." by default
	Module       string // --module; "" = derived from the directory name
	SpecstarRoot string // --specstar-root; "" = $SPECSTAR_ROOT or found
}

// NewCmdInit returns the init command. runF, when not nil, replaces the
// real run function (for tests).
func NewCmdInit(f *Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IO, Getwd: f.Getwd, Getenv: f.Getenv, Executable: f.Executable}
	cmd := &cobra.Command{
		Use:   "init [dir]",
		Short: "Create a new specstar project",
		Long: "Init creates a Go module in dir (default: the current directory) with a sample\n" +
			"specstar.yaml, a main.go that serves the generated API and a go:generate\n" +
			"directive. The module uses the local specstar checkout through a replace\n" +
			"directive and a copy of its go.sum, so it builds offline from the module cache.\n\n" +
			"The checkout is --specstar-root, else $SPECSTAR_ROOT, else found by walking up\n" +
			"from the specstar executable and from the current directory.\n\n" +
			"Init refuses a directory that already has a go.mod, go.sum, specstar.yaml or main.go.",
		Example: "  specstar init myapp\n  specstar init --module example.com/myapp myapp",
		Args:    maxArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Module, "module", "", "module `path` of the new project (default: the directory name)")
	cmd.Flags().StringVar(&opts.SpecstarRoot, "specstar-root", "", "`dir` of the specstar checkout to use (default: $SPECSTAR_ROOT or found)")
	return cmd
}

// scaffoldFiles are the files init creates; an existing one means the
// directory already holds a project.
var scaffoldFiles = []string{"go.mod", "go.sum", "specstar.yaml", "main.go"}

func initRun(opts *InitOptions) error {
	wd, err := opts.Getwd()
	if err != nil {
		return err
	}
	dir := opts.Dir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(wd, dir)
	}
	for _, name := range scaffoldFiles {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s already has a %s; init only creates new projects (run specstar gen there, or pick an empty directory)", dir, name)
		}
	}
	modPath := opts.Module
	if modPath == "" {
		modPath = moduleName(filepath.Base(dir))
	}
	if err := checkModulePath(modPath); err != nil {
		return err
	}
	root, err := findCheckout(opts, wd)
	if err != nil {
		return err
	}
	files, err := scaffold(modPath, root)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		name := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		if err := writeNew(name, f.content); err != nil {
			return err
		}
	}
	if err := addGitignore(filepath.Join(dir, ".gitignore")); err != nil {
		return err
	}
	printNextSteps(opts.IO, wd, dir, modPath)
	return nil
}

// writeNew creates name with content, failing if it exists.
func writeNew(name string, content []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// gitignoreLine keeps the embedded store's data out of version control.
const gitignoreLine = "/data/"

// addGitignore creates .gitignore with gitignoreLine, or adds the line to
// an existing file that lacks it.
func addGitignore(name string) error {
	old, err := os.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return writeNew(name, []byte(gitignoreLine+"\n"))
	}
	if err != nil {
		return err
	}
	for _, l := range strings.Split(string(old), "\n") {
		if strings.TrimSpace(l) == gitignoreLine {
			return nil
		}
	}
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n") {
		old = append(old, '\n')
	}
	return os.WriteFile(name, append(old, gitignoreLine+"\n"...), 0o644)
}

func printNextSteps(io *IOStreams, wd, dir, modPath string) {
	fmt.Fprintf(io.Out, "Created module %s in %s\n\n", modPath, dir)
	fmt.Fprintln(io.Out, "Next steps:")
	cd := ""
	if dir != wd {
		shown := dir
		if rel, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(rel, "..") {
			shown = rel
		}
		cd = "cd " + shellQuote(shown) + " && "
	}
	fmt.Fprintf(io.Out, "  %sgo generate ./... && go run .\n", cd)
	fmt.Fprintln(io.Out, "\nEdit specstar.yaml and run go generate ./... again to update the API.")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
