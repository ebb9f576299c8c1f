package reliability

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
)

// These tests run the invariant checkers of the suite on snapshots made
// up in memory, each broken in one way, and check that the break is
// reported: a checker that passes everything would make the server tests
// pass whatever the server did.

// fakeEnvelope returns the envelope of resource id at revision rev
// holding data (encoded canonically, with its hash).
func fakeEnvelope(t *testing.T, id string, rev int, deleted bool, data any) *envelope {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	revID := resource.RevisionID(id, rev)
	return &envelope{
		Data:         raw,
		Meta:         resource.Meta{ResourceID: id, CurrentRevisionID: revID, TotalRevisionCount: rev, IsDeleted: deleted},
		RevisionInfo: resource.RevisionInfo{RevisionID: revID, ResourceID: id, DataHash: hashOf(raw)},
	}
}

// fakeSnapshot is a consistent blog: an author with a published post
// (and its feed entry) and a draft, a comment on the published post, and
// a deleted author whose post was deleted by cascade with its entry.
func fakeSnapshot(t *testing.T) snapshot {
	t.Helper()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	published, draft := blog.PostStatusPublished, blog.PostStatusDraft
	return snapshot{
		authors: {
			"a1": fakeEnvelope(t, "a1", 2, false, blog.Author{Name: "A", Email: "a@example.com"}),
			"a2": fakeEnvelope(t, "a2", 1, true, blog.Author{Name: "B", Email: "b@example.com"}),
		},
		posts: {
			"p1": fakeEnvelope(t, "p1", 3, false, blog.Post{Title: "Pub", Author: "a1", Status: &published, PublishedAt: &at}),
			"p2": fakeEnvelope(t, "p2", 1, false, blog.Post{Title: "Draft", Author: "a1", Status: &draft, Editor: new("a1")}),
			"p3": fakeEnvelope(t, "p3", 1, true, blog.Post{Title: "Gone", Author: "a2", Status: &published, PublishedAt: &at}),
		},
		comments: {
			"c1": fakeEnvelope(t, "c1", 1, false, blog.Comment{Post: "p1", AuthorName: "R", Body: "hi"}),
		},
		feed: {
			"f1": fakeEnvelope(t, "f1", 1, false, blog.FeedEntry{Post: "p1", Title: "Pub", PublishedAt: at}),
			"f3": fakeEnvelope(t, "f3", 1, true, blog.FeedEntry{Post: "p3", Title: "Gone", PublishedAt: at}),
		},
	}
}

func TestCheckersReportBreaks(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		mutate func(t *testing.T, s snapshot, l *ledger)
		want   string // in a problem reported; "" for none
	}{
		{name: "consistent", mutate: func(*testing.T, snapshot, *ledger) {}, want: ""},
		{name: "live post edited by a deleted author", mutate: func(t *testing.T, s snapshot, _ *ledger) {
			draft := blog.PostStatusDraft
			s[posts]["p2"] = fakeEnvelope(t, "p2", 2, false, blog.Post{Title: "Draft", Author: "a1", Status: &draft, Editor: new("a2")})
		}, want: "live post p2 (editor) refers to deleted author a2"},
		{name: "comment on a post that does not exist", mutate: func(t *testing.T, s snapshot, _ *ledger) {
			delete(s[comments], "c1")
			s[comments]["c2"] = fakeEnvelope(t, "c2", 1, true, blog.Comment{Post: "p9", AuthorName: "R", Body: "x"})
		}, want: "comment c2 refers to post p9, which does not exist"},
		{name: "published post without its feed entry", mutate: func(t *testing.T, s snapshot, _ *ledger) {
			delete(s[feed], "f1")
		}, want: "published post p1 has 0 feed entries"},
		{name: "two feed entries", mutate: func(t *testing.T, s snapshot, _ *ledger) {
			s[feed]["f2"] = fakeEnvelope(t, "f2", 1, false, blog.FeedEntry{Post: "p1", Title: "Pub", PublishedAt: at})
		}, want: "published post p1 has 2 feed entries"},
		{name: "feed entry of a draft", mutate: func(t *testing.T, s snapshot, _ *ledger) {
			s[feed]["f2"] = fakeEnvelope(t, "f2", 1, false, blog.FeedEntry{Post: "p2", Title: "Draft", PublishedAt: at})
		}, want: "post p2 was never published but has 1 feed entries"},
		{name: "feed entry outlives its post", mutate: func(t *testing.T, s snapshot, _ *ledger) {
			s[feed]["f3"].Meta.IsDeleted = false
		}, want: "live feed entry f3 refers to deleted post p3"},
		{name: "lost create", mutate: func(t *testing.T, s snapshot, l *ledger) {
			l.acks = append(l.acks, ack{k: authors, id: "a9", op: "create author", rev: 1, hash: "sha256:00"})
		}, want: "acknowledged create author of author a9 is lost"},
		{name: "lost revision", mutate: func(t *testing.T, s snapshot, l *ledger) {
			l.acks = append(l.acks, ack{k: authors, id: "a1", op: "update author", rev: 3, hash: "sha256:00"})
		}, want: "at revision 3: only 2 revisions"},
		{name: "revision holds other data", mutate: func(t *testing.T, s snapshot, l *ledger) {
			l.acks = append(l.acks, ack{k: authors, id: "a1", op: "update author", rev: 2, hash: "sha256:00"})
		}, want: `revision 2 holds "sha256:a1-2", acknowledged "sha256:00"`},
		{name: "acknowledged delete undone", mutate: func(t *testing.T, s snapshot, l *ledger) {
			l.setExpect(posts, "p1", expectation{deleted: true, known: true})
		}, want: "post p1: is_deleted false, the last acknowledged write left it true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeSnapshot(t)
			l := newLedger()
			tt.mutate(t, s, l)
			hashes := map[revKey]string{{"a1", 2}: "sha256:a1-2"}
			var p problems
			l.checkAcks(s, hashes, &p)
			checkRefs(s, &p)
			checkFeed(s, &p)
			switch {
			case tt.want == "" && len(p.list) > 0:
				t.Errorf("problems in a consistent snapshot: %q", p.list)
			case tt.want != "" && !slices.ContainsFunc(p.list, func(s string) bool { return strings.Contains(s, tt.want) }):
				t.Errorf("problems %q, want one containing %q", p.list, tt.want)
			}
		})
	}
}

func TestCheckDataReportsBreaks(t *testing.T) {
	good := []byte(`{"name":"A","email":"a@example.com","bio":null,"website":null,"address":null}`)
	tests := []struct {
		name string
		data []byte
		hash string
		want string
	}{
		{name: "canonical with its hash", data: good, hash: hashOf(good)},
		{name: "other hash", data: good, hash: hashOf([]byte("x")), want: "data hashes to"},
		{name: "keys out of order", data: []byte(`{"email":"a@example.com","name":"A","bio":null,"website":null,"address":null}`),
			want: "data is not canonical"},
		{name: "not an author", data: []byte(`[1]`), want: "does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := tt.hash
			if hash == "" {
				hash = hashOf(tt.data)
			}
			var p problems
			checkData(authors, "author", tt.data, hash, &p)
			switch {
			case tt.want == "" && len(p.list) > 0:
				t.Errorf("problems %q, want none", p.list)
			case tt.want != "" && (len(p.list) != 1 || !strings.Contains(p.list[0], tt.want)):
				t.Errorf("problems %q, want exactly one containing %q", p.list, tt.want)
			}
		})
	}
}
