//go:build specstar

package blog

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "blog"}

type Post struct {
	spec.Resource `specstar:"keep_lats=10"`

	Title  string    `specstar:"required,max_lenght=200"`
	Slug   string    `specstar:"regex=^[a-z]+$"`
	Status spec.Enum `specstar:"choices=draft|published"`
	Views  int       `specstr:"min=0"`
	Body   spec.Text `specstar:"index" db:"body"`
}
