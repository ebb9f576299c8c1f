package desk

// This file is yours: specstar gen wrote it once, because it was missing, and
// never changes it. Customise the admin UI (/admin) here; docs/admin.md explains
// the descriptors.

import "github.com/specstar-go/specstar/runtime/admin"

// customizeAdmin changes the admin's descriptors, which admin.gen.go builds from
// the spec, before the server uses them. Name resources and fields as the spec
// does; a name that does not exist stops the server at startup. For example:
//
//	p := s.Resource("Ticket")
//	p.SetColumns("title", "updated_time")
//	p.SetLabel("title", "Headline")
//	p.SetWidget("title", admin.WidgetTextarea)
func customizeAdmin(s *admin.Site) {
}
