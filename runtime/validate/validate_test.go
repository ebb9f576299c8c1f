package validate

import "testing"

func TestFormats(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) bool
		in    string
		want  bool
	}{
		{name: "url https", check: URL, in: "https://example.com/x?y=1", want: true},
		{name: "url http", check: URL, in: "http://localhost:8080", want: true},
		{name: "url relative", check: URL, in: "/just/a/path", want: false},
		{name: "url other scheme", check: URL, in: "ftp://example.com", want: false},
		{name: "url no host", check: URL, in: "https://", want: false},
		{name: "uuid lower", check: UUID, in: "0190c8e2-7b1a-7c3d-9e4f-0123456789ab", want: true},
		{name: "uuid upper", check: UUID, in: "0190C8E2-7B1A-7C3D-9E4F-0123456789AB", want: true},
		{name: "uuid no dashes", check: UUID, in: "0190c8e27b1a7c3d9e4f0123456789ab", want: false},
		{name: "uuid bad hex", check: UUID, in: "0190c8e2-7b1a-7c3d-9e4f-0123456789ag", want: false},
		{name: "date ok", check: Date, in: "2024-02-29", want: true},
		{name: "date not leap", check: Date, in: "2023-02-29", want: false},
		{name: "date datetime", check: Date, in: "2024-02-01T00:00:00Z", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.check(tt.in); got != tt.want {
				t.Errorf("check(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
