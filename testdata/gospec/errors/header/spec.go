//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Versoin: 1, Output: pkg, Output: "x"}

var _ = spec.Spec{Version: 2, Package: "blog"}

var extra = 3

const pkg = "blog"

type Post struct {
	Title string `specstar:"required"`
}
