// Command specstar-bench benchmarks the generated backend against raw
// baselines over the same storage and, with --peers pocketbase, against
// PocketBase, in one run on one machine, and times the generator. See
// docs/benchmarks.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/specstar-go/specstar/cmd/specstar-bench/internal/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := bench.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
