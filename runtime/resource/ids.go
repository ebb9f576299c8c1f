package resource

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// hashPrefix starts every data hash; it names the algorithm.
const hashPrefix = "sha256:"

// newUUIDv7 returns a fresh UUIDv7 string. Version 7 ids are ordered by
// creation time (and, within one process, strictly increasing), which keeps
// keyset pagination in creation order and index inserts append-only.
func newUUIDv7() string {
	// uuid.NewV7 fails only when crypto/rand fails, which the Go runtime
	// treats as fatal since Go 1.24; Must never panics in practice.
	return uuid.Must(uuid.NewV7()).String()
}

// RevisionID returns the id of revision n of a resource: "{id}:{n}".
func RevisionID(id string, n int) string {
	return id + ":" + strconv.Itoa(n)
}

// ParseRevision resolves rev, a full revision id "{id}:{n}" or just the
// number n, against resource id. It reports false when rev is malformed or
// names a revision of another resource.
func ParseRevision(id, rev string) (int, bool) {
	num := rev
	if i := strings.LastIndexByte(rev, ':'); i >= 0 {
		if rev[:i] != id {
			return 0, false
		}
		num = rev[i+1:]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || num[0] == '+' {
		return 0, false
	}
	return n, true
}

// DataHash returns the hash of canonical data bytes: "sha256:<hex>".
func DataHash(data []byte) string {
	sum := sha256.Sum256(data)
	return hashPrefix + hex.EncodeToString(sum[:])
}

// ETag returns the quoted entity tag of a revision. A stable revision never
// changes, so its tag is its revision id: "\"{id}:{n}\"". A draft can be
// edited in place under the same revision id, so its tag also carries the
// first 12 hex digits of its data hash: "\"{id}:{n}+{hash12}\"". That keeps
// If-Match meaningful for drafts.
func ETag(info *RevisionInfo) string {
	if info.Status != StatusDraft {
		return `"` + info.RevisionID + `"`
	}
	h := strings.TrimPrefix(info.DataHash, hashPrefix)
	if len(h) > 12 {
		h = h[:12]
	}
	return `"` + info.RevisionID + "+" + h + `"`
}

// matchIfMatch reports whether an If-Match header value matches the ETag of
// info. The value is "*" or a comma-separated list of entity tags, quoted
// or not. Comparison is strong (RFC 9110 §13.1.1): weak tags never match.
func matchIfMatch(header string, info *RevisionInfo) bool {
	etag := ETag(info)
	for part := range strings.SplitSeq(header, ",") {
		tag := strings.TrimSpace(part)
		switch {
		case tag == "*":
			return true
		case strings.HasPrefix(tag, "W/"):
			continue
		case !strings.HasPrefix(tag, `"`):
			tag = `"` + tag + `"`
		}
		if tag == etag {
			return true
		}
	}
	return false
}
