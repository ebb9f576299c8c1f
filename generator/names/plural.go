package names

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// irregularPlural returns the plural of a lower-case English noun that does
// not follow the regular rules, and whether it is one.
func irregularPlural(w string) (string, bool) {
	switch w {
	case "person":
		return "people", true
	case "child":
		return "children", true
	case "man":
		return "men", true
	case "woman":
		return "women", true
	case "mouse":
		return "mice", true
	case "goose":
		return "geese", true
	case "foot":
		return "feet", true
	case "tooth":
		return "teeth", true
	case "ox":
		return "oxen", true
	case "quiz":
		return "quizzes", true
	case "criterion":
		return "criteria", true
	case "hero", "potato", "tomato", "echo", "veto":
		return w + "es", true
	case "leaf", "half", "wolf", "shelf", "thief", "calf", "loaf":
		return w[:len(w)-1] + "ves", true
	case "life", "knife", "wife":
		return w[:len(w)-2] + "ves", true
	// Uncountable nouns: the plural is the singular.
	case "sheep", "fish", "deer", "series", "species", "news", "equipment",
		"information", "data", "metadata", "software", "hardware", "firmware", "feedback",
		"staff", "personnel", "furniture", "luggage", "baggage", "advice", "research",
		"aircraft", "traffic", "music", "knowledge", "evidence", "homework", "police", "cattle":
		return w, true
	}
	return "", false
}

// pluralWord returns the plural of a lower-case English noun.
func pluralWord(w string) string {
	if p, ok := irregularPlural(w); ok {
		return p
	}
	n := len(w)
	switch {
	case strings.HasSuffix(w, "sis") && n > 3:
		// analysis => analyses
		return w[:n-2] + "es"
	case strings.HasSuffix(w, "y") && n > 1 && !strings.ContainsRune("aeiou", rune(w[n-2])):
		// category => categories, but day => days
		return w[:n-1] + "ies"
	case strings.HasSuffix(w, "s"), strings.HasSuffix(w, "x"), strings.HasSuffix(w, "z"),
		strings.HasSuffix(w, "ch"), strings.HasSuffix(w, "sh"):
		// status => statuses, box => boxes, match => matches
		return w + "es"
	}
	return w + "s"
}

// Plural returns the English plural of s, pluralising its last word and
// keeping the case style of that word. Names should be singular: Plural
// does not detect words that are already plural.
//
//	Post           => Posts
//	BlogPost       => BlogPosts
//	blog_post      => blog_posts
//	Category       => Categories
//	Day            => Days
//	Box            => Boxes
//	Status         => Statuses
//	Match          => Matches
//	Analysis       => Analyses
//	Person         => People
//	Child          => Children
//	SalesPerson    => SalesPeople
//	News           => News
//	API            => APIs
//	AuthorID       => AuthorIDs
func Plural(s string) string {
	spans := split(s)
	if len(spans) == 0 {
		return s
	}
	last := spans[len(spans)-1]
	w := s[last.start:last.end]
	var p string
	switch {
	case isUpperWord(w) && len(w) > 1:
		// An initialism: API => APIs, ID => IDs.
		p = w + "s"
	default:
		p = pluralWord(strings.ToLower(w))
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) {
			pr, size := utf8.DecodeRuneInString(p)
			p = string(unicode.ToUpper(pr)) + p[size:]
		}
	}
	return s[:last.start] + p + s[last.end:]
}

// isUpperWord reports whether w has letters and all of them are upper case.
func isUpperWord(w string) bool {
	letters := false
	for _, r := range w {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			letters = true
		}
	}
	return letters
}
