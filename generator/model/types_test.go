package model

import "testing"

// TestTypeFacts checks that every field type has its row of facts, so
// that no emitter meets a type without them.
func TestTypeFacts(t *testing.T) {
	facts := typeFacts()
	if len(facts) != len(Types()) {
		t.Errorf("typeFacts has %d rows for %d types", len(facts), len(Types()))
	}
	widgets := make(map[string]Type)
	for _, typ := range Types() {
		f, ok := facts[typ]
		if !ok {
			t.Errorf("type %s has no facts", typ)
			continue
		}
		if f.Widget == "" {
			t.Errorf("type %s has no admin widget", typ)
		}
		if prev, dup := widgets[f.Widget]; dup && !(f.Widget == "number" && (prev == Int || prev == Float)) {
			t.Errorf("types %s and %s share the widget %q", prev, typ, f.Widget)
		}
		widgets[f.Widget] = typ
	}
	if got := (&Field{Type: Text}).Widget(); got != "textarea" {
		t.Errorf("text field widget = %q, want textarea", got)
	}
}
