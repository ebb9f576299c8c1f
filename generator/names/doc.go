package names

import (
	"strings"
	"unicode"
)

// DocLines splits a spec description into lines that are safe to emit as
// Go line comments, one jen.Comment per line:
//
//   - "\r\n" and "\r" end lines like "\n"; trailing white space is trimmed;
//     leading and trailing blank lines are dropped (inner ones are kept);
//   - invalid UTF-8 becomes U+FFFD; control characters other than tab and
//     the byte order mark are dropped (Go source may not contain them);
//   - "*/" becomes "* /", so a line can never close a block comment;
//   - a line starting with "//" or "/*" gets a leading space, because
//     jennifer emits such comments verbatim, which would turn a description
//     such as "//go:generate ..." into a directive.
//
// Examples:
//
//	"A blog post."               => ["A blog post."]
//	"First.\r\n\r\nSecond.  \n"  => ["First.", "", "Second."]
//	"ends */ here"               => ["ends * / here"]
//	"//go:generate rm"           => [" //go:generate rm"]
//	"" or "  \n "                => nil
func DocLines(text string) []string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.Map(func(r rune) rune {
			if r == '\uFEFF' || (unicode.IsControl(r) && r != '\t') {
				return -1
			}
			return r
		}, line)
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		for strings.Contains(line, "*/") {
			line = strings.ReplaceAll(line, "*/", "* /")
		}
		if strings.HasPrefix(line, "//") || strings.HasPrefix(line, "/*") {
			line = " " + line
		}
		lines = append(lines, line)
	}
	for len(lines) > 0 && lines[0] == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return lines
}
