//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Title string `specstar:"required"`
}

// Sends the newsletter.
type SendNewsletter struct {
	spec.Job `specstar:"max_attempts=0,timeout=1ms,schedule='0 9 * * MONDAY',unique_for=1h"`

	Post    spec.Ref[Post] `specstar:"required,on_delete=cascade"`
	Subject string         `specstar:"unique"`
}

var _ = spec.Permissions[SendNewsletter]{Read: "role:editor"}
