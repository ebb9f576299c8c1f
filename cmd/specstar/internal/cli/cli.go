// Package cli implements the specstar command: init, gen, validate,
// describe and version. Every command is built by a NewCmdX(f, runF) constructor in the
// style of the GitHub CLI, so tests can run it with fake streams and a fake
// run function; all output goes through the Factory's writers and only
// main exits.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/migrategen"
	"github.com/specstar-go/specstar/generator/model"
)

// Exit codes of the specstar command.
const (
	ExitOK    = 0 // success
	ExitStale = 1 // gen --check: the generated files are not up to date (a pending destructive change included)
	ExitUsage = 2 // bad command line: unknown command or flag, wrong arguments
	ExitSpec  = 3 // the spec has mistakes, printed one per line (a type change without a higher schema_version included)
	ExitError = 4 // any other failure (files, I/O, environment)
	// ExitDestructive: gen refused a change that would lose data (a
	// removed resource or field); --allow-destructive writes it.
	ExitDestructive = 5
)

// IOStreams are the standard streams a command uses.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// ErrIsTerminal reports whether ErrOut is a terminal: progress is then
	// drawn as a bar instead of printed as lines.
	ErrIsTerminal bool
}

// Factory holds what commands need from the outside world, so that tests
// can replace any of it.
type Factory struct {
	IO         *IOStreams
	Getwd      func() (string, error)
	Getenv     func(key string) string
	Executable func() (string, error)
	// Generate and Validate run the generator pipeline.
	Generate func(ctx context.Context, cfg generator.Config) (*generator.Result, error)
	Validate func(ctx context.Context, cfg generator.Config) (*model.Model, error)
}

// NewFactory returns the Factory of the real process: the standard
// streams, the process environment and the real generator.
func NewFactory() *Factory {
	return &Factory{
		IO: &IOStreams{
			In:            os.Stdin,
			Out:           os.Stdout,
			ErrOut:        os.Stderr,
			ErrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		},
		Getwd:      os.Getwd,
		Getenv:     os.Getenv,
		Executable: os.Executable,
		Generate:   generator.Generate,
		Validate:   generator.Validate,
	}
}

// Main runs the specstar command with args (without the program name) and
// returns the exit code. It prints errors: usage only for command-line
// mistakes, one line per spec error followed by a count, and a single
// "specstar: ..." line for anything else.
func Main(ctx context.Context, args []string, f *Factory) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	stderr := f.IO.ErrOut
	var flagErr *flagError
	switch {
	case errors.Is(err, errStale):
		return ExitStale
	case errors.As(err, &flagErr) || strings.HasPrefix(err.Error(), "unknown command "):
		fmt.Fprintf(stderr, "specstar: %v\n\n", err)
		fmt.Fprint(stderr, cmd.UsageString())
		return ExitUsage
	}
	var destructive *migrategen.DestructiveError
	if errors.As(err, &destructive) {
		fmt.Fprintf(stderr, "specstar: %v\n", err)
		return ExitDestructive
	}
	var evolution *migrategen.EvolutionError
	if errors.As(err, &evolution) {
		for _, p := range evolution.Problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "specstar: %s\n", plural(len(evolution.Problems), "error"))
		return ExitSpec
	}
	if list := specErrors(err); list != nil {
		for _, e := range list {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "specstar: %s\n", plural(len(list), "error"))
		return ExitSpec
	}
	fmt.Fprintf(stderr, "specstar: %v\n", err)
	return ExitError
}

// NewCmdRoot returns the specstar command with all its subcommands.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "specstar <command>",
		Short: "Generate a revision-aware REST backend from a spec",
		Long: "specstar turns a spec file (specstar.yaml) into a typed Go backend:\n" +
			"models, revision-aware repositories and REST handlers over the specstar runtime.",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &flagError{err} })
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(
		NewCmdInit(f, nil),
		NewCmdGen(f, nil),
		NewCmdValidate(f, nil),
		NewCmdDescribe(f, nil),
		NewCmdVersion(f, nil),
	)
	return root
}

// errStale is returned by gen --check after it has printed the
// differences; Main turns it into ExitStale without printing more.
var errStale = errors.New("generated files are not up to date")

// flagError is a command-line mistake: Main prints it with the usage.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

// maxArgs is cobra.MaximumNArgs returning a flagError.
func maxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(cmd, args); err != nil {
			return &flagError{err}
		}
		return nil
	}
}

// specErrors returns the individual errors of the spec error list in
// err's chain, or nil if there is none. The load and model stages each
// return a list shaped like go/scanner.ErrorList (a slice of positioned
// errors whose Error methods print "file:line:col: message"); any slice of
// errors in the chain is taken as such a list, so the CLI does not depend
// on which stage found the mistakes.
func specErrors(err error) []error {
	for ; err != nil; err = errors.Unwrap(err) {
		v := reflect.ValueOf(err)
		if v.Kind() != reflect.Slice {
			continue
		}
		list := make([]error, 0, v.Len())
		for i := range v.Len() {
			if e, ok := v.Index(i).Interface().(error); ok && e != nil {
				list = append(list, e)
			}
		}
		if len(list) > 0 {
			return list
		}
	}
	return nil
}

// plural returns "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
