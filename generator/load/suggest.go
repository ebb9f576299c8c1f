package load

import (
	"fmt"
	"strings"
)

// Suggest returns the candidate nearest to got, or "" when none is close
// enough to be a likely typo. Distance is the optimal-string-alignment
// (restricted Damerau-Levenshtein) distance between the lower-cased
// strings, so a transposition ("feilds") or a case slip ("author") counts
// as one edit or none. A candidate is close when the distance is at most a
// third of the longer word (at least 1). Ties go to the earliest candidate,
// so callers pass candidates in a stable order.
//
//	max_lenght, [min_length max_length]  => max_length
//	feilds,     [fields type]            => fields
//	Autor,      [Author Post]            => Author
//	colour,     [type]                   => ""
func Suggest(got string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if c == got {
			continue
		}
		lg, lc := len([]rune(got)), len([]rune(c))
		limit := max(lg, lc, 3) / 3
		if lg-lc > limit || lc-lg > limit {
			continue // the distance is at least the length difference
		}
		d := distance(strings.ToLower(got), strings.ToLower(c))
		if d > limit {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// maxListed bounds the names DidYouMeanOrList lists.
const maxListed = 12

// DidYouMeanOrList returns DidYouMean of the nearest candidate, or, when
// none is near, ` (the resources are A, B and C)` listing the candidates
// (noun names them), or "" without candidates or with too many.
func DidYouMeanOrList(got string, candidates []string, noun string) string {
	if s := Suggest(got, candidates); s != "" {
		return DidYouMean(s)
	}
	if len(candidates) == 0 || len(candidates) > maxListed {
		return ""
	}
	if len(candidates) == 1 {
		return fmt.Sprintf(" (the only one of the %s is %s)", noun, candidates[0])
	}
	return fmt.Sprintf(" (the %s are %s and %s)", noun, strings.Join(candidates[:len(candidates)-1], ", "), candidates[len(candidates)-1])
}

// DidYouMean returns ` (did you mean "X"?)` for a non-empty suggestion and ""
// otherwise, ready to append to a message.
func DidYouMean(suggestion string) string {
	if suggestion == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", suggestion)
}

// distance is the optimal string alignment distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
