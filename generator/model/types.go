package model

// TypeFacts are the facts of one field type that emitters need, kept in
// one table (typeFacts) rather than in a switch per emitter, so that a
// new type is one row (STYLE.md §13.2).
type TypeFacts struct {
	// Widget is the admin form control of fields of the type (the
	// runtime/admin Widget of the same name): "text", "textarea",
	// "number", "checkbox", "select", "datetime", "date", "email", "url",
	// "uuid", "json", "tags", "fieldset", "ref" or "file". The user's
	// admin file may choose another one per field.
	Widget string
}

// typeFacts holds the facts of every field type. It is a function so that
// nothing in the generator holds mutable package state.
func typeFacts() map[Type]TypeFacts {
	return map[Type]TypeFacts{
		String:   {Widget: "text"},
		Text:     {Widget: "textarea"},
		Int:      {Widget: "number"},
		Float:    {Widget: "number"},
		Bool:     {Widget: "checkbox"},
		DateTime: {Widget: "datetime"},
		Date:     {Widget: "date"},
		Enum:     {Widget: "select"},
		Email:    {Widget: "email"},
		URL:      {Widget: "url"},
		UUID:     {Widget: "uuid"},
		JSON:     {Widget: "json"},
		List:     {Widget: "tags"},
		Object:   {Widget: "fieldset"},
		Ref:      {Widget: "ref"},
		File:     {Widget: "file"},
	}
}

// Facts returns the facts of t; the zero TypeFacts for an unknown type.
func (t Type) Facts() TypeFacts { return typeFacts()[t] }

// Widget is the admin form control of the field: its type's widget, but
// a list of files is uploaded like a file (a file input taking several).
func (f *Field) Widget() string {
	if f.Type == List && f.Elem != nil && f.Elem.Type == File {
		return File.Facts().Widget
	}
	return f.Type.Facts().Widget
}
