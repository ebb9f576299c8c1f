// A spec without a build constraint would be compiled with the package.
package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Title string `specstar:"required"`
}
