//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Author struct {
	Name    string `specstar:"required"`
	Address address
}

type address struct {
	City string
}

type Post struct {
	Author   spec.Ref[Autor]
	Home     spec.Ref[address]
	Editor   spec.Ref
	Reviewer Author
}
