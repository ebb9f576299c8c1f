package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is the release version, set at build time with
// -ldflags "-X github.com/specstar-go/specstar/cmd/specstar/internal/cli.version=v1.2.3".
var version = "dev"

// VersionOptions are the inputs of specstar version.
type VersionOptions struct {
	IO *IOStreams
	// Version is the version to print (see Version).
	Version string
}

// NewCmdVersion returns the version command. runF, when not nil, replaces
// the real run function (for tests).
func NewCmdVersion(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IO}
	return &cobra.Command{
		Use:   "version",
		Short: "Print the specstar version",
		Args:  maxArgs(0),
		RunE: func(*cobra.Command, []string) error {
			opts.Version = Version()
			if runF != nil {
				return runF(opts)
			}
			_, err := fmt.Fprintf(opts.IO.Out, "specstar %s (%s)\n", opts.Version, runtime.Version())
			return err
		},
	}
}

// Version returns the version set with -ldflags, or else the module
// version recorded in the binary's build info (set by `go install
// github.com/specstar-go/specstar/cmd/specstar@v1.2.3`), or else "dev".
func Version() string {
	if version != "dev" {
		return version
	}
	return moduleVersion(debug.ReadBuildInfo())
}

// moduleVersion returns the main module's version from build info, or
// "dev" for a build from a checkout.
func moduleVersion(info *debug.BuildInfo, ok bool) string {
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "dev"
	}
	return info.Main.Version
}
