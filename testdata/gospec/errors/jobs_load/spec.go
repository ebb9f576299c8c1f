//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Title string `specstar:"required"`
}

// Sends the newsletter.
type SendNewsletter struct {
	spec.Job `specstar:"max_atempts=3,timeout=soon,schedule=0 9 * * MON,TUE,read=public"`
	spec.Resource

	Post spec.Ref[Post] `specstar:"required"`
}

type Digest struct {
	spec.Job
	spec.Job
	Limit int `specstar:"min=1,default=10"`
}
