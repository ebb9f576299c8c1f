package jsonpatch

import (
	"fmt"
	"strconv"
	"strings"
)

// tokenReplacer escapes a reference token per RFC 6901 §3: "~" first, so
// that the "~" introduced for "/" is not escaped again.
var tokenReplacer = strings.NewReplacer("~", "~0", "/", "~1")

// escapeToken returns the RFC 6901 form of one reference token.
func escapeToken(s string) string {
	return tokenReplacer.Replace(s)
}

// parsePointer splits a JSON Pointer into unescaped reference tokens. The
// empty pointer (the whole document) gives no tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("%w: JSON Pointer %q does not start with \"/\"", ErrInvalidPatch, p)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		if !strings.Contains(t, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(t); j++ {
			if t[j] != '~' {
				b.WriteByte(t[j])
				continue
			}
			if j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1') {
				return nil, fmt.Errorf("%w: JSON Pointer %q has an invalid ~ escape", ErrInvalidPatch, p)
			}
			if t[j+1] == '0' {
				b.WriteByte('~')
			} else {
				b.WriteByte('/')
			}
			j++
		}
		tokens[i] = b.String()
	}
	return tokens, nil
}

// arrayIndex parses an array index token (RFC 6901 §4: "0" or digits
// without a leading zero). With allowEnd, the index may equal n (append),
// and "-" means n.
func arrayIndex(token string, n int, allowEnd bool) (int, error) {
	if token == "-" {
		if allowEnd {
			return n, nil
		}
		return 0, fmt.Errorf("%w: index \"-\" refers past the end of the array", ErrPathNotFound)
	}
	valid := token != "" && (token == "0" || token[0] != '0')
	for i := 0; valid && i < len(token); i++ {
		valid = token[i] >= '0' && token[i] <= '9'
	}
	if !valid {
		return 0, fmt.Errorf("%w: %q is not an array index", ErrPathNotFound, token)
	}
	i, err := strconv.Atoi(token)
	limit := n - 1
	if allowEnd {
		limit = n
	}
	if err != nil || i > limit {
		return 0, fmt.Errorf("%w: index %s is out of range for an array of length %d", ErrPathNotFound, token, n)
	}
	return i, nil
}
