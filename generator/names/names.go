// Package names derives every Go, storage and URL name the generator emits
// from spec names. Emitters never build identifiers themselves: the model
// computes them with these helpers, once, and checks them with Ident.
//
// All helpers split their input into words the same way:
//
//   - any rune that is not a letter or digit separates words and is dropped
//     ("blog_post", "blog-post", "blog post" => blog, post);
//   - a lower-case letter or digit followed by an upper-case letter starts a
//     new word ("blogPost" => blog, Post);
//   - in a run of upper-case letters, the last one starts a new word when a
//     lower-case letter follows ("HTTPServer" => HTTP, Server), except for a
//     plural "s" that ends the word ("IDs" stays one word);
//   - letters followed by digits stay together ("base64", "v2").
package names

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// initialism returns the upper-case form of a word that Go identifiers
// write in capitals, given its lower-case form. The list follows golint's
// commonInitialisms, which ent and sqlc also use.
func initialism(lower string) (string, bool) {
	switch lower {
	case "acl", "api", "ascii", "cpu", "css", "dns", "eof", "guid", "html",
		"http", "https", "id", "ip", "json", "lhs", "qps", "ram", "rhs",
		"rpc", "sla", "smtp", "sql", "ssh", "tcp", "tls", "ttl", "udp", "ui",
		"uid", "uri", "url", "utf8", "uuid", "vm", "xml", "xmpp", "xsrf", "xss":
		return strings.ToUpper(lower), true
	}
	return "", false
}

// span is one word of a name: s[start:end].
type span struct{ start, end int }

// split returns the words of s (see the package comment).
func split(s string) []span {
	var (
		runes []rune
		pos   []int // byte offset of each rune
	)
	for i, r := range s {
		runes = append(runes, r)
		pos = append(pos, i)
	}
	var words []span
	start := -1
	for i, r := range runes {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if start >= 0 {
				words = append(words, span{start, pos[i]})
				start = -1
			}
			continue
		}
		if start < 0 {
			start = pos[i]
			continue
		}
		if !unicode.IsUpper(r) {
			continue
		}
		prev := runes[i-1]
		switch {
		case unicode.IsLower(prev) || unicode.IsDigit(prev):
			// "blogPost", "v2Api": a new word starts here.
			words = append(words, span{start, pos[i]})
			start = pos[i]
		case unicode.IsUpper(prev) && i+1 < len(runes) && unicode.IsLower(runes[i+1]) && !pluralS(runes, i+1):
			// "HTTPServer": the last upper-case letter starts "Server".
			words = append(words, span{start, pos[i]})
			start = pos[i]
		}
	}
	if start >= 0 {
		words = append(words, span{start, len(s)})
	}
	return words
}

// pluralS reports whether runes[i] is an "s" that ends its word, as in
// "IDs" or "URLsList", so that it stays with the upper-case run before it.
func pluralS(runes []rune, i int) bool {
	return runes[i] == 's' && (i+1 == len(runes) || !unicode.IsLower(runes[i+1]))
}

// words returns the words of s as strings.
func words(s string) []string {
	spans := split(s)
	out := make([]string, len(spans))
	for i, w := range spans {
		out[i] = s[w.start:w.end]
	}
	return out
}

// pascalWord writes one word in Go style: an initialism in upper case
// ("id" => "ID", "ids" => "IDs"), any other word with its first letter in
// upper case and the rest as written.
func pascalWord(w string) string {
	lower := strings.ToLower(w)
	if up, ok := initialism(lower); ok {
		return up
	}
	if n := len(lower); n > 2 && lower[n-1] == 's' {
		if up, ok := initialism(lower[:n-1]); ok {
			return up + "s"
		}
	}
	r, size := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[size:]
}

// Pascal returns s in PascalCase with Go initialisms, the form of exported
// identifiers.
//
//	blog_post      => BlogPost
//	author_id      => AuthorID
//	author_ids     => AuthorIDs
//	website_url    => WebsiteURL
//	BlogPost       => BlogPost
//	userId         => UserID
//	http_server    => HTTPServer
//	in-progress    => InProgress
//	v2_api         => V2API
//	2fa            => 2fa
//
// The result is not necessarily a valid identifier ("2fa"); check it with
// Ident.
func Pascal(s string) string {
	var b strings.Builder
	for _, w := range words(s) {
		b.WriteString(pascalWord(w))
	}
	return b.String()
}

// Camel returns s in camelCase with Go initialisms, the form of unexported
// identifiers. The first word is all lower case.
//
//	BlogPost       => blogPost
//	author_id      => authorID
//	ID             => id
//	URLPath        => urlPath
//	HTTPServer     => httpServer
//	post           => post
func Camel(s string) string {
	ws := words(s)
	if len(ws) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(strings.ToLower(ws[0]))
	for _, w := range ws[1:] {
		b.WriteString(pascalWord(w))
	}
	return b.String()
}

// Snake returns s in snake_case, the form of storage names.
//
//	BlogPost       => blog_post
//	AuthorID       => author_id
//	AuthorIDs      => author_ids
//	HTTPServer     => http_server
//	blog-post      => blog_post
//	Base64Value    => base64_value
func Snake(s string) string {
	return joinLower(s, "_")
}

// Kebab returns s in kebab-case, the form of URL path segments.
//
//	BlogPost       => blog-post
//	AuthorID       => author-id
//	blog_post      => blog-post
//	HTTPServer     => http-server
func Kebab(s string) string {
	return joinLower(s, "-")
}

func joinLower(s, sep string) string {
	ws := words(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return strings.Join(ws, sep)
}
