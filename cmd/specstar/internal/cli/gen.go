package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/migrategen"
)

// GenOptions are the inputs of specstar gen.
type GenOptions struct {
	IO       *IOStreams
	Getwd    func() (string, error)
	Generate func(ctx context.Context, cfg generator.Config) (*generator.Result, error)
	Context  context.Context

	SpecPath         string // -f; "" = specstar.yaml in the working directory
	Check            bool   // --check
	Quiet            bool   // -q
	AllowDestructive bool   // --allow-destructive
}

// NewCmdGen returns the gen command. runF, when not nil, replaces the real
// run function (for tests).
func NewCmdGen(f *Factory, runF func(*GenOptions) error) *cobra.Command {
	opts := &GenOptions{IO: f.IO, Getwd: f.Getwd, Generate: f.Generate}
	cmd := &cobra.Command{
		Use:   "gen [-f spec] [--check] [--allow-destructive]",
		Short: "Generate code from the spec",
		Long: "Generate loads the spec (specstar.yaml in the current directory unless -f is\n" +
			"given), writes the generated files that changed and removes generated files\n" +
			"that are no longer produced. Files without the generated header are never touched.\n\n" +
			"With --check it writes nothing: it prints a diff for every file that differs,\n" +
			"one \"missing: <path>\" line per file not yet generated and one \"stale: <path>\"\n" +
			"line per generated file that would be removed, and exits with status 1 when\n" +
			"anything differs (0 and no output when the files are up to date), a pending\n" +
			"destructive change included (one \"destructive: ...\" line).\n\n" +
			"When a spec change alters the storage (a resource or an index added or\n" +
			"removed, a field made unique), gen writes a new SQL migration per dialect under\n" +
			"<output>/migrations and never edits an earlier one. A change that drops a\n" +
			"resource's tables, or a field's values, loses data: gen refuses it (exit\n" +
			"status 5) unless --allow-destructive is given; renamed_from renames instead.\n\n" +
			"Exit status: 0 ok, 1 stale (--check), 2 usage, 3 spec errors, 4 other\n" +
			"failures, 5 a destructive change refused.",
		Example: "  specstar gen\n  specstar gen -f api/specstar.yaml\n  specstar gen --check\n  specstar gen --allow-destructive",
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return genRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.SpecPath, "file", "f", "", "spec `file` (default: specstar.yaml in the current directory)")
	cmd.Flags().BoolVar(&opts.Check, "check", false, "compare with the generated files instead of writing; exit 1 if they differ")
	cmd.Flags().BoolVarP(&opts.Quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().BoolVar(&opts.AllowDestructive, "allow-destructive", false, "allow a migration that drops the tables (and data) of removed resources")
	return cmd
}

func genRun(opts *GenOptions) error {
	start := time.Now()
	wd, err := opts.Getwd()
	if err != nil {
		return err
	}
	if err := checkSpecExists(wd, opts.SpecPath); err != nil {
		return err
	}
	cfg := generator.Config{SpecPath: opts.SpecPath, Dir: wd, Check: opts.Check, AllowDestructive: opts.AllowDestructive}
	// --check prints nothing when the files are up to date, so CI logs
	// stay clean; progress would only be noise there.
	var prog *progress
	if !opts.Check && !opts.Quiet {
		prog = newProgress(opts.IO)
		cfg.Progress = prog.step
	}
	res, err := opts.Generate(opts.Context, cfg)
	prog.done()
	var destructive *migrategen.DestructiveError
	if opts.Check && errors.As(err, &destructive) {
		// The migration the spec calls for is not written: stale, like
		// any other file gen would write.
		fmt.Fprintf(opts.IO.Out, "destructive: %v\n", err)
		return errStale
	}
	if err != nil {
		return err
	}
	if opts.Check {
		if res.Check == nil || res.Check.Clean() {
			return nil
		}
		if err := res.Check.WithPrefix(relSlash(wd, res.OutputDir)).Format(opts.IO.Out); err != nil {
			return err
		}
		return errStale
	}
	if !opts.Quiet {
		for _, p := range res.Removed {
			if strings.HasPrefix(p, "../") { // another directory: say it
				fmt.Fprintf(opts.IO.ErrOut, "specstar: removed %s (this spec no longer generates it)\n", relSlash(wd, filepath.Join(res.OutputDir, filepath.FromSlash(p))))
			}
		}
		for _, n := range res.Notes {
			fmt.Fprintf(opts.IO.ErrOut, "specstar: note: %s\n", n)
		}
		fmt.Fprintf(opts.IO.ErrOut, "specstar: wrote %s, removed %d, unchanged %d (in %dms)\n",
			plural(len(res.Written), "file"), len(res.Removed), res.Unchanged, time.Since(start).Milliseconds())
	}
	return nil
}

// checkSpecExists turns a missing default spec into an error that says
// what to do.
func checkSpecExists(wd, specPath string) error {
	if specPath != "" {
		return nil
	}
	_, err := os.Stat(filepath.Join(wd, generator.DefaultSpec))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no %s in %s; pass -f or run specstar init", generator.DefaultSpec, wd)
	}
	return err
}

// relSlash returns target relative to base, slash-separated, or target
// itself when it cannot be expressed relative to base.
func relSlash(base, target string) string {
	rel, err := filepath.Rel(base, target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}

// genSteps are the stages Generate reports, in order, for the bar.
var genSteps = []string{"load", "model", "generate", "write"}

// progress shows the generator's stages on stderr: a bar on a terminal,
// otherwise one "specstar: <stage>" line per stage. A nil *progress does
// nothing.
type progress struct {
	w   io.Writer
	bar *progressbar.ProgressBar // nil when not on a terminal
}

func newProgress(io *IOStreams) *progress {
	p := &progress{w: io.ErrOut}
	if io.ErrIsTerminal {
		p.bar = progressbar.NewOptions(len(genSteps),
			progressbar.OptionSetWriter(io.ErrOut),
			progressbar.OptionSetDescription("specstar"),
			progressbar.OptionSetWidth(20),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	return p
}

func (p *progress) step(name string) {
	if p.bar == nil {
		fmt.Fprintf(p.w, "specstar: %s\n", name)
		return
	}
	p.bar.Describe("specstar: " + name)
	for i, s := range genSteps {
		if s == name {
			p.bar.Set(i)
		}
	}
}

// done removes the bar, so that what follows starts on a clean line.
func (p *progress) done() {
	if p == nil || p.bar == nil {
		return
	}
	p.bar.Clear()
}
