//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Title  string    `json:"title,omitempty" specstar:"required"`
	Secret string    `json:"-"`
	Body   spec.Text `json:""`
}
