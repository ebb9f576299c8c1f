package output

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		want     string
	}{
		{name: "equal", old: "a\nb\n", new: "a\nb\n", want: ""},
		{name: "both empty", old: "", new: "", want: ""},
		{
			name: "change in the middle",
			old:  "1\n2\n3\n4\n5\n6\n7\n8\n9\n",
			new:  "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n",
			want: "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n",
		},
		{
			name: "insert at start",
			old:  "b\nc\n",
			new:  "a\nb\nc\n",
			want: "--- a\n+++ b\n@@ -1,2 +1,3 @@\n+a\n b\n c\n",
		},
		{
			name: "delete at end",
			old:  "a\nb\nc\nd\ne\n",
			new:  "a\nb\nc\nd\n",
			want: "--- a\n+++ b\n@@ -2,4 +2,3 @@\n b\n c\n d\n-e\n",
		},
		{
			name: "new file",
			old:  "",
			new:  "x\ny\n",
			want: "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n",
		},
		{
			name: "emptied file",
			old:  "x\n",
			new:  "",
			want: "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n",
		},
		{
			name: "missing newline at end",
			old:  "a\nb\n",
			new:  "a\nb",
			want: "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n",
		},
		{
			name: "two hunks",
			old:  "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			new:  "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
			want: "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+one\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+twelve\n",
		},
		{
			name: "changes six lines apart share a hunk",
			old:  "1\n2\n3\n4\n5\n6\n7\n8\n",
			new:  "one\n2\n3\n4\n5\n6\n7\neight\n",
			want: "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-1\n+one\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+eight\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(UnifiedDiff("a", "b", []byte(tt.old), []byte(tt.new)))
			if got != tt.want {
				t.Errorf("UnifiedDiff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestUnifiedDiffRandom checks on random inputs that the diff is minimal
// (as many edits as an LCS computed by dynamic programming implies) and that
// applying its hunks to old gives new, which also checks the hunk headers.
func TestUnifiedDiffRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		a := randomLines(rng, rng.IntN(30))
		b := mutate(rng, a)
		if rng.IntN(10) == 0 {
			b = randomLines(rng, rng.IntN(30))
		}
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			ops := diffLines(a, b)
			edits := 0
			for _, o := range ops {
				if o.kind != opEqual {
					edits++
				}
			}
			if want := len(a) + len(b) - 2*lcsLen(a, b); edits != want {
				t.Fatalf("diff of %q and %q has %d edits, want %d", a, b, edits, want)
			}
			old, new := strings.Join(a, ""), strings.Join(b, "")
			patch := string(UnifiedDiff("a", "b", []byte(old), []byte(new)))
			got, err := applyUnified(old, patch)
			if err != nil {
				t.Fatalf("apply: %v\npatch:\n%s", err, patch)
			}
			if got != new {
				t.Fatalf("applying the patch gives %q, want %q\npatch:\n%s", got, new, patch)
			}
		})
	}
}

func TestUnifiedDiffLarge(t *testing.T) {
	// Large inputs must stay fast: a rewrite of every line (sharing only
	// punctuation lines, as generated Go does) and scattered edits.
	tests := []struct {
		name        string
		changeEvery int
		wantDeleted int
	}{
		{name: "every line rewritten", changeEvery: 1, wantDeleted: 20000},
		{name: "every 50th line changed", changeEvery: 50, wantDeleted: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b strings.Builder
			for i := range 20000 {
				fmt.Fprintf(&a, "line %d\n}\n", i)
				if i%tt.changeEvery == 0 {
					fmt.Fprintf(&b, "changed %d\n}\n", i)
				} else {
					fmt.Fprintf(&b, "line %d\n}\n", i)
				}
			}
			patch := string(UnifiedDiff("a", "b", []byte(a.String()), []byte(b.String())))
			if got := strings.Count(patch, "\n-line"); got != tt.wantDeleted {
				t.Errorf("patch deletes %d lines, want %d", got, tt.wantDeleted)
			}
			if got, err := applyUnified(a.String(), patch); err != nil || got != b.String() {
				t.Errorf("applying the patch failed (err %v)", err)
			}
		})
	}
}

func randomLines(rng *rand.Rand, n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = string(rune('a'+rng.IntN(4))) + "\n"
	}
	if n > 0 && rng.IntN(4) == 0 {
		lines[n-1] = strings.TrimSuffix(lines[n-1], "\n")
	}
	return lines
}

func mutate(rng *rand.Rand, a []string) []string {
	b := append([]string(nil), a...)
	for range rng.IntN(6) {
		switch i := rng.IntN(len(b) + 1); {
		case rng.IntN(2) == 0 && i < len(b):
			b = append(b[:i], b[i+1:]...)
		default:
			b = append(b[:i], append([]string{string(rune('a'+rng.IntN(5))) + "\n"}, b[i:]...)...)
		}
	}
	// Only the last line may lack a newline.
	for i := 0; i < len(b)-1; i++ {
		if !strings.HasSuffix(b[i], "\n") {
			b[i] += "\n"
		}
	}
	return b
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// applyUnified applies a unified diff to old, checking every context and
// deleted line and the line counts in each hunk header.
func applyUnified(old, patch string) (string, error) {
	if patch == "" {
		return old, nil
	}
	src := splitLines([]byte(old))
	lines := splitLines([]byte(patch))
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "--- ") || !strings.HasPrefix(lines[1], "+++ ") {
		return "", fmt.Errorf("missing file headers")
	}
	lines = lines[2:]
	var out []string
	pos := 0 // next unread line of src
	for len(lines) > 0 {
		var aStart, aCount, bStart, bCount int
		if err := parseHunkHeader(lines[0], &aStart, &aCount, &bStart, &bCount); err != nil {
			return "", err
		}
		lines = lines[1:]
		first := aStart - 1 // 0-based first line of the hunk in old
		if aCount == 0 {
			first = aStart
		}
		if first < pos {
			return "", fmt.Errorf("hunk at %d overlaps the previous one", aStart)
		}
		if wantB := len(out) + (first - pos); (bCount == 0 && bStart != wantB) || (bCount > 0 && bStart != wantB+1) {
			return "", fmt.Errorf("hunk +%d,%d starts at the wrong new line (want %d)", bStart, bCount, wantB+1)
		}
		out = append(out, src[pos:first]...)
		pos = first
		var seenA, seenB int
		for len(lines) > 0 && !strings.HasPrefix(lines[0], "@@") {
			l := lines[0]
			lines = lines[1:]
			text := l[1:]
			if len(lines) > 0 && lines[0] == "\\ No newline at end of file\n" {
				text = strings.TrimSuffix(text, "\n")
				lines = lines[1:]
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != text {
					return "", fmt.Errorf("line %d: context %q does not match %q", pos+1, text, src[min(pos, len(src)-1)])
				}
				pos++
				seenA++
				if l[0] == ' ' {
					out = append(out, text)
					seenB++
				}
			case '+':
				out = append(out, text)
				seenB++
			default:
				return "", fmt.Errorf("bad patch line %q", l)
			}
		}
		if seenA != aCount || seenB != bCount {
			return "", fmt.Errorf("hunk -%d,%d +%d,%d has %d old and %d new lines", aStart, aCount, bStart, bCount, seenA, seenB)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}

func parseHunkHeader(line string, aStart, aCount, bStart, bCount *int) error {
	var a, b string
	if _, err := fmt.Sscanf(line, "@@ -%s +%s @@\n", &a, &b); err != nil {
		return fmt.Errorf("bad hunk header %q: %v", line, err)
	}
	parse := func(r string, start, count *int) error {
		s, c, ok := strings.Cut(r, ",")
		if !ok {
			c = "1"
		}
		var err1, err2 error
		*start, err1 = strconv.Atoi(s)
		*count, err2 = strconv.Atoi(c)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("bad hunk range %q", r)
		}
		return nil
	}
	if err := parse(a, aStart, aCount); err != nil {
		return err
	}
	return parse(b, bStart, bCount)
}
