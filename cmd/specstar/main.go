// Command specstar generates a revision-aware REST backend from a spec.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/specstar-go/specstar/cmd/specstar/internal/cli"
)

func main() {
	ctx, _ := signal.NotifyContext(context.Background(), os.Interrupt)
	os.Exit(cli.Main(ctx, os.Args[1:], cli.NewFactory()))
}
