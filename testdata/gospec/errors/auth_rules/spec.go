//go:build specstar

package desk

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "desk", Auth: spec.Auth{Roles: []string{"editor", "viewer"}}}

type Ticket struct {
	Title  string    `specstar:"index"`
	Status spec.Enum `specstar:"values=open|closed,index"`
	Body   spec.Text `specstar:"read=role:editr,write='owner | role:editor'"`
	Notes  spec.Text `specstar:"read=authenticated | where(status = \"open\")"`
}

var _ = spec.Permissions[Ticket]{
	Read:   `role:viewer | where(status = "open" && titel = "x")`,
	List:   "role:viewer | where(body ~ \"x\")",
	Update: "owner | role:manager",
	Delete: "pubic",
	Purge:  "role:admin |",
}
