//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	spec.Resource `specstar:"keep_last=ten,max_age=forever"`

	Title  string    `specstar:"required=true,max_length=abc"`
	Views  int       `specstar:"min=zero,max=1e999,default=99999999999999999999"`
	Slug   string    `specstar:"pattern"`
	Status spec.Enum `specstar:"values"`
	Cover  spec.File `specstar:"max_size=5XB"`
}
