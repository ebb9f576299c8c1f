//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Status string

type Alias = Post

type Box[T any] struct {
	Value T
}

type Post struct {
	spec.Resource
}

func (p Post) Validate() error { return nil }
