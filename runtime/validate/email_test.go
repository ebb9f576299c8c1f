package validate

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	tests := []struct {
		name string
		in   string
		want bool
	}{
		// Valid addresses.
		{name: "plain", in: "ada@example.com", want: true},
		{name: "subdomain and plus", in: "a.b+c@mail.example.org", want: true},
		{name: "one letter each", in: "a@b.co", want: true},
		{name: "every atext symbol", in: "!#$%&'*+-/=?^_`{|}~@example.com", want: true},
		{name: "dotted atoms", in: "ada.king.lovelace@example.com", want: true},
		{name: "digits in domain", in: "x@123.example.com", want: true},
		{name: "hyphen inside a label", in: "x@my-host.example-domain.com", want: true},
		{name: "numeric label that is not the last", in: "x@1.2.3.example", want: true},
		{name: "alphanumeric tld", in: "x@example.x1", want: true},
		{name: "upper case", in: "Ada@Example.COM", want: true},
		{name: "quoted local part", in: `"ada lovelace"@example.com`, want: true},
		{name: "quoted with escapes", in: `"a\"b\\c"@example.com`, want: true},
		{name: "quoted with an at sign", in: `"a@b"@example.com`, want: true},
		{name: "quoted with dots anywhere", in: `".a..b."@example.com`, want: true},
		{name: "unicode local part", in: "用户@example.com", want: true},
		{name: "accented local part", in: "josé.garcía@example.es", want: true},
		{name: "unicode domain", in: "info@bücher.example", want: true},
		{name: "unicode domain and tld", in: "x@例え.テスト", want: true},
		{name: "combining mark inside a label", in: "x@cafe\u0301.example", want: true},
		{name: "a-label domain", in: "info@xn--bcher-kva.example", want: true},
		{name: "label of 63", in: "x@" + label63 + ".com", want: true},
		{name: "local part of 64", in: strings.Repeat("l", 64) + "@example.com", want: true},
		{name: "254 bytes", in: strings.Repeat("l", 64) + "@" + strings.Repeat(label63+".", 2) + strings.Repeat("b", 57) + ".com", want: true},

		// Shape.
		{name: "empty", in: "", want: false},
		{name: "no at", in: "ada.example.com", want: false},
		{name: "trailing at", in: "ada@", want: false},
		{name: "leading at", in: "@example.com", want: false},
		{name: "two ats", in: "a@b@example.com", want: false},
		{name: "display name", in: "Ada <ada@example.com>", want: false},
		{name: "angle brackets", in: "<ada@example.com>", want: false},
		{name: "comment", in: "ada(comment)@example.com", want: false},
		{name: "space", in: "ada lovelace@example.com", want: false},
		{name: "leading space", in: " ada@example.com", want: false},
		{name: "trailing newline", in: "ada@example.com\n", want: false},
		{name: "over 254 bytes", in: strings.Repeat("l", 64) + "@" + strings.Repeat(label63+".", 2) + strings.Repeat("b", 58) + ".com", want: false},
		{name: "invalid utf-8", in: "ad\xffa@example.com", want: false},

		// Local part.
		{name: "local part of 65", in: strings.Repeat("l", 65) + "@example.com", want: false},
		{name: "leading dot", in: ".ada@example.com", want: false},
		{name: "trailing dot", in: "ada.@example.com", want: false},
		{name: "double dot", in: "a..da@example.com", want: false},
		{name: "comma", in: "a,da@example.com", want: false},
		{name: "backslash unquoted", in: `a\da@example.com`, want: false},
		{name: "empty quoted", in: `""@example.com`, want: false},
		{name: "unterminated quote", in: `"ada@example.com`, want: false},
		{name: "quote inside an atom", in: `a"da"@example.com`, want: false},
		{name: "quoted then atom", in: `"a".b@example.com`, want: false},
		{name: "unescaped quote in quotes", in: `"a"b"@example.com`, want: false},
		{name: "trailing backslash in quotes", in: `"ab\"@example.com`, want: false},
		{name: "tab in quotes", in: "\"a\tb\"@example.com", want: false},
		{name: "escaped control in quotes", in: "\"a\\\x01b\"@example.com", want: false},
		{name: "NUL", in: "a\x00b@example.com", want: false},
		{name: "DEL", in: "a\x7fb@example.com", want: false},
		{name: "C1 control", in: "a\u0085b@example.com", want: false},
		{name: "right-to-left override", in: "\u202eadmin@example.com", want: false},
		{name: "right-to-left override in quotes", in: "\"\u202eadmin\"@example.com", want: false},
		{name: "left-to-right mark", in: "ad\u200emin@example.com", want: false},
		{name: "bidi isolate", in: "ad\u2066min@example.com", want: false},
		{name: "zero width space", in: "ad\u200bmin@example.com", want: false},
		{name: "zero width joiner", in: "ad\u200dmin@example.com", want: false},
		{name: "byte order mark", in: "\ufeffadmin@example.com", want: false},
		{name: "soft hyphen", in: "ad\u00admin@example.com", want: false},
		{name: "no-break space", in: "ad\u00a0min@example.com", want: false},
		{name: "line separator", in: "ad\u2028min@example.com", want: false},
		{name: "private use", in: "ad\ue000min@example.com", want: false},
		{name: "replacement character", in: "ad\ufffdmin@example.com", want: false},

		// Domain.
		{name: "single label", in: "a@b", want: false},
		{name: "localhost", in: "root@localhost", want: false},
		{name: "leading hyphen", in: "a@-x.com", want: false},
		{name: "trailing hyphen", in: "a@x-.com", want: false},
		{name: "hyphen tld", in: "a@example.-com", want: false},
		{name: "empty label", in: "a@example..com", want: false},
		{name: "leading dot in domain", in: "a@.example.com", want: false},
		{name: "trailing dot", in: "a@example.com.", want: false},
		{name: "label of 64", in: "x@" + label63 + "a.com", want: false},
		{name: "numeric tld", in: "a@example.123", want: false},
		{name: "ip address", in: "a@192.168.0.1", want: false},
		{name: "ip literal", in: "a@[192.168.0.1]", want: false},
		{name: "ipv6 literal", in: "a@[IPv6:::1]", want: false},
		{name: "underscore", in: "a@ex_ample.com", want: false},
		{name: "space in domain", in: "a@exa mple.com", want: false},
		{name: "port", in: "a@example.com:25", want: false},
		{name: "slash", in: "a@example.com/x", want: false},
		{name: "bidi override in domain", in: "a@exam\u202eple.com", want: false},
		{name: "zero width joiner in domain", in: "a@exa\u200dmple.com", want: false},
		{name: "label starting with a mark", in: "a@\u0301x.example", want: false},
		{name: "symbol in domain", in: "a@ex\u2603ample.com", want: false},
		{name: "fullwidth digits tld", in: "a@example.\uff11\uff12", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Email(tt.in); got != tt.want {
				t.Errorf("Email(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}
