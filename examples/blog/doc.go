// The blog example's generated code lives in ./blog; regenerate it with
// `go generate ./examples/blog` after editing specstar.yaml.
package main

//go:generate go run github.com/specstar-go/specstar/cmd/specstar gen
