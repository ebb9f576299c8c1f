//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Places  []place
	Raw     []byte
	Fixed   [3]string
	Authors []spec.Ref[Post]
	Files   []spec.File
	Nested  [][]string
	Ptrs    []*string
}

type place struct {
	City string
}
