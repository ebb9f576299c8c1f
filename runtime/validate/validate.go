// Package validate holds the format checks that generated validation code
// calls for the string-like field types of a spec (email, url, uuid, date,
// datetime). Length, range, pattern and enum checks are generated inline;
// these are the checks that are the same for every spec. It also holds the
// text checks of JSON strings (text.go) that REST decoding and the
// resource.Service apply to every body and every write.
package validate

import (
	"net/url"
	"time"
)

// URL reports whether s is an absolute http or https URL with a host.
func URL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	return u.Scheme == "http" || u.Scheme == "https"
}

// UUID reports whether s is a UUID in canonical 8-4-4-4-12 hex form, in
// either case. Generated code lowercases UUIDs before storing them.
func UUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// DateLayout is the wire form of date fields.
const DateLayout = "2006-01-02"

// Date reports whether s is a valid calendar date in YYYY-MM-DD form.
func Date(s string) bool {
	_, err := time.Parse(DateLayout, s)
	return err == nil
}
