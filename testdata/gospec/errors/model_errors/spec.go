//go:build specstar

package blog

import (
	"time"

	"github.com/specstar-go/specstar/runtime/spec"
)

var _ = spec.Spec{Version: 1, Package: "blog"}

type Author struct {
	Name string `specstar:"required"`
}

// A blog post.
type Post struct {
	spec.Resource `specstar:"default_sort=-views|titel,keep_last=0"`

	Title     string           `specstar:"required,min=3,display"`
	Slug      string           `specstar:"pattern='^[a-z+$',display"`
	Status    spec.Enum        `specstar:"values=draft|published,default=drafts"`
	Views     int              `specstar:"min=0,default=-1,index"`
	Published time.Time        `specstar:"default=yesterday"`
	Labels    []string         `specstar:"max_length=2,default=a|b|c"`
	Author    spec.Ref[Author] `specstar:"required,on_delete=set_null"`
	Editor    spec.Ref[Author] `specstar:"on_delete=cascde"`
	Cover     spec.File        `specstar:"accept=png|image/*"`
	AuthorID  spec.UUID        `json:"authorId"`
	ID        spec.UUID
}
