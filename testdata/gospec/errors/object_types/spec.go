//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Author struct {
	Name string `specstar:"required"`
	Home place
	Info struct{}
	address
}

// place contains itself through its parent.
type place struct {
	spec.Resource
	City   string
	Parent *place
}

type address struct {
	City string
}

type comment struct {
	Body spec.Text
}
