//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	spec.Resource `specstar:"path=articles,required" json:"post"`

	Title  string `specstar:"type=text,description=The title"`
	Author string `specstar:"to=Author,path=authors"`
	Tags   string `specstar:"of=string"`
}
