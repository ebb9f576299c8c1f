//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Title   string    `specstar:"required,,index"`
	Slug    string    `specstar:"pattern='^[a-z,]+$"`
	Summary string    `specstar:"default='a'b"`
	Body    spec.Text `specstar: "index"`
	Views   int       `specstar:"index,index"`
	Rating  float64   `specstar:"min=0" specstar:"max=5"`
}
