//go:build specstar

package desk

import "github.com/specstar-go/specstar/runtime/spec"

var _ = spec.Spec{Version: 1, Package: "desk", Auth: spec.Auth{Roles: []string{"editor", 3}, AccesTokenTTL: "15m", RefreshTokenTTL: "soon"}}

type Ticket struct {
	spec.Resource `specstar:"read=public"`

	Title    string         `specstar:"read"`
	Assignee spec.Ref[User] `specstar:"index"`
}

type place struct {
	City string
}

type Page struct {
	Home place
}

var _ = spec.Permissions[Ticket]{Reed: "public", Delete: role, Purge: "role:admin"}

var perms = spec.Permissions[Ticket]{Read: "public"}

var _ = spec.Permissions[place]{Read: "public"}

var _ = spec.Permissions[Tiket]{Read: "public"}
