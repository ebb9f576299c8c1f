// Command blog serves the blog example: authors, posts and comments with
// full revision history, over the embedded SQLite store in ./data by
// default. Configure it with flags or SPECSTAR_* environment variables
// (run with -h to list them).
package main

import (
	"context"
	"os"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/server"
)

func main() {
	os.Exit(server.Main(context.Background(), os.Args[1:], blog.App(), os.Stderr))
}
