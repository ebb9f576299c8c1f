package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/specstar-go/specstar/generator"
	"github.com/specstar-go/specstar/generator/model"
)

// ValidateOptions are the inputs of specstar validate.
type ValidateOptions struct {
	IO       *IOStreams
	Getwd    func() (string, error)
	Validate func(ctx context.Context, cfg generator.Config) (*model.Model, error)
	Context  context.Context

	SpecPath string // -f; "" = specstar.yaml in the working directory
}

// NewCmdValidate returns the validate command. runF, when not nil,
// replaces the real run function (for tests).
func NewCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IO, Getwd: f.Getwd, Validate: f.Validate}
	cmd := &cobra.Command{
		Use:   "validate [-f spec]",
		Short: "Check the spec without generating anything",
		Long: "Validate loads and resolves the spec and prints \"ok\", or every mistake\n" +
			"as file:line:col: message (exit status 3).",
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Context = cmd.Context()
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().StringVarP(&opts.SpecPath, "file", "f", "", "spec `file` (default: specstar.yaml in the current directory)")
	return cmd
}

func validateRun(opts *ValidateOptions) error {
	wd, err := opts.Getwd()
	if err != nil {
		return err
	}
	if err := checkSpecExists(wd, opts.SpecPath); err != nil {
		return err
	}
	if _, err := opts.Validate(opts.Context, generator.Config{SpecPath: opts.SpecPath, Dir: wd}); err != nil {
		return err
	}
	_, err = fmt.Fprintln(opts.IO.Out, "ok")
	return err
}
