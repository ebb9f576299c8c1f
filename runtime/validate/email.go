package validate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Email reports whether s is one bare address, local@domain: the
// addr-spec of RFC 5322 (with the UTF-8 of RFC 6532) without its
// obsolete forms, comments and folding white space, and with a domain
// that mail can be delivered to.
//
//   - The local part is a dot-atom (atoms of letters, digits and
//     !#$%&'*+-/=?^_`{|}~ joined by single dots: "ada.lovelace+news") or
//     a quoted string ("ada lovelace", with \" and \\ as escapes), 1 to
//     64 bytes. Letters beyond ASCII are allowed, but, quoted or not, no
//     control (Cc), format (Cf: the bidi controls such as U+202E, zero
//     width characters), separator (Z), private-use or surrogate
//     character, and no U+FFFD.
//   - The domain is a host name of at least two labels ("example.com",
//     not "localhost"): each label is 1 to 63 bytes of letters, digits
//     and hyphens, neither starting nor ending with a hyphen, and the
//     last is not all digits, so IP addresses and [literals] are refused.
//     Labels may be internationalised, in their Unicode form (letters,
//     combining marks and digits of any script: "bücher.example"), with
//     lengths counted in UTF-8 bytes; their A-label form ("xn--bcher-kva")
//     is plain ASCII and accepted as such.
//   - The whole address is valid UTF-8 of at most 254 bytes.
func Email(s string) bool {
	if len(s) > 254 || !utf8.ValidString(s) {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return false
	}
	return localPart(s[:at]) && hostname(s[at+1:])
}

// localPart reports whether s is a dot-atom or a quoted string of 1 to 64
// bytes.
func localPart(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	if s[0] == '"' {
		return quotedString(s)
	}
	for atom := range strings.SplitSeq(s, ".") {
		if atom == "" {
			return false // a leading, trailing or doubled dot
		}
		for _, r := range atom {
			if !atext(r) {
				return false
			}
		}
	}
	return true
}

// atext reports whether r may appear in an atom.
func atext(r rune) bool {
	if r >= utf8.RuneSelf {
		return visible(r)
	}
	return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
		strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// quotedString reports whether s is a quoted string holding at least one
// character: printable ASCII or spaces, \ escaping a printable ASCII
// character or a space, or visible non-ASCII characters.
func quotedString(s string) bool {
	if len(s) < 3 || s[len(s)-1] != '"' {
		return false
	}
	body := s[1 : len(s)-1]
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		switch {
		case r == '\\':
			if i+1 == len(body) || body[i+1] < ' ' || body[i+1] > '~' {
				return false
			}
			size = 2
		case r == '"':
			return false
		case r < utf8.RuneSelf:
			if r < ' ' || r > '~' {
				return false
			}
		case !visible(r):
			return false
		}
		i += size
	}
	return true
}

// visible reports whether the non-ASCII rune r may appear in an address.
func visible(r rune) bool {
	return r != utf8.RuneError && !unicode.In(r, unicode.Cc, unicode.Cf, unicode.Z, unicode.Co, unicode.Cs)
}

// hostname reports whether s is a host name of at least two labels whose
// last one is not all digits.
func hostname(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !label(l) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsDigit(r) })
}

// label reports whether l is one label of a host name: 1 to 63 bytes of
// letters, digits and hyphens (combining marks after the first
// character), with no hyphen at either end.
func label(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i, r := range l {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '-':
		case r < utf8.RuneSelf:
			return false
		case unicode.IsLetter(r), unicode.IsDigit(r):
		case unicode.IsMark(r) && i > 0:
		default:
			return false
		}
	}
	return true
}
