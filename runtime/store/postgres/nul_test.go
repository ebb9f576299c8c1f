package postgres

import (
	"errors"
	"slices"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// TestCheckDataNamesFields checks that the backstop's 422 names the
// strings and keys holding U+0000, so its errors list is never empty.
func TestCheckDataNamesFields(t *testing.T) {
	tests := []struct {
		name string
		data string
		want []string
	}{
		{name: "value", data: `{"title":"a\u0000"}`, want: []string{"title"}},
		{name: "nested and listed", data: `{"address":{"city":"\u0000"},"tags":["a","\u0000"]}`, want: []string{"address.city", "tags[1]"}},
		{name: "key", data: `{"meta":{"\u0000":1}}`, want: []string{"meta.\x00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *resource.Error
			if err := checkData([]byte(tt.data)); !errors.As(err, &e) {
				t.Fatalf("checkData(%s) = %v, want a *resource.Error", tt.data, err)
			}
			var got []string
			for _, f := range e.Fields {
				got = append(got, f.Field)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields %q, want %q", got, tt.want)
			}
		})
	}
}
