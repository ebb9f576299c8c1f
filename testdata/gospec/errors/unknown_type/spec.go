//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Views    int32
	Email    spec.Emial
	Website  URL
	Metadata map[string]any
	Size     uint
	Score    complex128
	Handler  func()
	Slug     spec.String
	Owner    spec.Resource
}
