//go:build specstar

package blog

import (
	"net/url"
	. "time"
)

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	Title   string `specstar:"required"`
	Link    url.URL
	Created Time
	Updated time.Time
}
