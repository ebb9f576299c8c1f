package model_test

import (
	"strings"
	"testing"
)

// TestEmailDefaults checks that the generator accepts exactly the email
// defaults the generated server accepts (runtime/validate.Email).
func TestEmailDefaults(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		wantErr bool
	}{
		{name: "plain", value: "ada@example.com"},
		{name: "quoted local part", value: `'"ada lovelace"@example.com'`},
		{name: "single-label domain", value: "a@b", wantErr: true},
		{name: "leading hyphen", value: "a@-x.com", wantErr: true},
		{name: "localhost", value: "root@localhost", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := "specstar: 1\npackage: x\nresources:\n  Author:\n    fields:\n      email: {type: email, default: " + tt.value + "}\n"
			_, err := check("spec.yaml", []byte(spec))
			if tt.wantErr != (err != nil) {
				t.Fatalf("default %s: error %v, want an error: %v", tt.value, err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "is not an email address") {
				t.Errorf("default %s: error %v, want one saying it is not an email address", tt.value, err)
			}
		})
	}
}
