// The benchmark example's generated code lives in ./item; regenerate it
// with `go generate ./examples/bench` after editing specstar.yaml.
package main

//go:generate go run github.com/specstar-go/specstar/cmd/specstar gen
