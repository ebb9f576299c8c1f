package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

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
			"Gen prints each step on stderr as it runs, with its duration: load, model,\n" +
			"generate, gqlgen (the GraphQL executable schema; the first run on a machine\n" +
			"builds gqlgen and compiles the package's dependencies, later runs are cached),\n" +
			"write. Under --check the steps are shown only when the files are stale.\n\n" +
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
	// stay clean: its progress is held back and shown only when stale.
	var prog *progress
	if !opts.Quiet {
		prog = newProgress(opts.IO, opts.Check)
		cfg.Progress = prog.begin
	}
	res, err := opts.Generate(opts.Context, cfg)
	if err != nil {
		prog.end("failed")
	} else {
		prog.end("")
	}
	var destructive *migrategen.DestructiveError
	if opts.Check && errors.As(err, &destructive) {
		// The migration the spec calls for is not written: stale, like
		// any other file gen would write.
		prog.flush(opts.IO.ErrOut)
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
		prog.flush(opts.IO.ErrOut)
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

// genSteps are the stages Generate reports, in order.
var genSteps = []string{"load", "model", "generate", "gqlgen", "write"}

// progress shows the generator's stages on stderr, one line each: the
// stage's name as it starts ("specstar: gqlgen ..."), completed with its
// duration when it ends, so a slow stage says what it is doing while it
// runs and every line ends with what it cost. Under --check the lines
// are held back and printed only when the files are stale. A nil
// *progress does nothing.
type progress struct {
	w     io.Writer
	now   func() time.Time
	step  string // the stage running, "" before the first
	start time.Time
	held  *bytes.Buffer // --check: the lines, printed by flush when stale
}

func newProgress(io *IOStreams, hold bool) *progress {
	p := &progress{w: io.ErrOut, now: time.Now}
	if hold {
		p.held = new(bytes.Buffer)
		p.w = p.held
	}
	return p
}

// begin ends the running stage and starts name.
func (p *progress) begin(name string) {
	p.end("")
	p.step, p.start = name, p.now()
	fmt.Fprintf(p.w, "specstar: %s ...", name)
}

// end completes the line of the running stage with its duration and,
// when the run failed, why it stopped there.
func (p *progress) end(failed string) {
	if p == nil || p.step == "" {
		return
	}
	d := p.now().Sub(p.start)
	if failed != "" {
		fmt.Fprintf(p.w, " %s (%s)\n", failed, formatDuration(d))
	} else {
		fmt.Fprintf(p.w, " %s\n", formatDuration(d))
	}
	p.step = ""
}

// flush prints the held lines of a --check run.
func (p *progress) flush(w io.Writer) {
	if p != nil && p.held != nil {
		w.Write(p.held.Bytes())
	}
}

// formatDuration prints d to the millisecond below ten seconds, to the
// tenth of a second above.
func formatDuration(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
