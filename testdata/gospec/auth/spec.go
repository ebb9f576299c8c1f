//go:build specstar

// Auth and permissions: the Go form of testdata/gen/auth/spec.yaml, which
// generates the same code.
package desk

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{
	Version: 1,
	Package: "desk",
	Auth:    spec.Auth{Roles: []string{"editor", "viewer"}, AccessTokenTTL: "10m", RefreshTokenTTL: "30d"},
}

// A support ticket.
type Ticket struct {
	Title    string              `specstar:"required,max_length=200,index"`
	Status   spec.Enum           `specstar:"values=open|closed,default=open,index"`
	Assignee spec.Ref[spec.User] `specstar:"on_delete=set_null,index"`
	Secret   string              `specstar:"required,max_length=64,read=role:editor | role:viewer"`
	Priority int                 `specstar:"default=3,write=role:editor"`
	Notes    spec.Text           `specstar:"read=authenticated,write=role:editor"`
}

var _ = spec.Permissions[Ticket]{
	Read:   `role:viewer | where(status = "open") | where(assignee = @me)`,
	Create: "authenticated",
	Update: "owner | role:editor | where(assignee = @me)",
	Delete: "role:editor",
	Purge:  "role:admin",
}

type Page struct {
	Body spec.Text
}

var _ = spec.Permissions[Page]{Read: "public"}

type Log struct {
	Line string
}
