// Command bench serves the benchmark example: one Item resource with full
// revision history, over the embedded SQLite store in ./data by default.
// cmd/specstar-bench builds and drives it; configure it with flags or
// SPECSTAR_* environment variables (run with -h to list them).
package main

import (
	"context"
	"os"

	"github.com/specstar-go/specstar/examples/bench/item"
	"github.com/specstar-go/specstar/runtime/server"
)

func main() {
	os.Exit(server.Main(context.Background(), os.Args[1:], item.App(), os.Stderr))
}
