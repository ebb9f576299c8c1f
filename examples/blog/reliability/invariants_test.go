package reliability

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
)

// kind is one resource of the blog as the suite sees it over REST.
type kind struct {
	name     string
	path     string // "/api/authors"
	keepLast int    // revision retention (revisions.keep_last); 0: none
	// canonical decodes data into the generated type and encodes it
	// again: the canonical bytes the server stores and hashes.
	canonical func(data []byte) ([]byte, error)
}

var (
	authors  = &kind{name: "author", path: "/api/authors", canonical: canonicalOf[blog.Author]}
	posts    = &kind{name: "post", path: "/api/posts", keepLast: 100, canonical: canonicalOf[blog.Post]}
	comments = &kind{name: "comment", path: "/api/comments", canonical: canonicalOf[blog.Comment]}
	feed     = &kind{name: "feed entry", path: "/api/feed-entries", canonical: canonicalOf[blog.FeedEntry]}
	kinds    = []*kind{authors, posts, comments, feed}
)

// canonicalOf returns the canonical JSON of data as a T: what the
// generated code's json.Marshal of the typed model produces.
func canonicalOf[T any](data []byte) ([]byte, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	return json.Marshal(&v)
}

// envelope is a resource as REST returns it.
type envelope struct {
	Data         json.RawMessage       `json:"data"`
	Meta         resource.Meta         `json:"meta"`
	RevisionInfo resource.RevisionInfo `json:"revision_info"`
}

// live reports whether the resource is not deleted.
func (e *envelope) live() bool { return !e.Meta.IsDeleted }

// revisionBody is the answer of GET .../revisions/{rev}.
type revisionBody struct {
	Data         json.RawMessage       `json:"data"`
	RevisionInfo resource.RevisionInfo `json:"revision_info"`
}

// hashOf returns the data hash of canonical bytes as docs/rest.md defines
// it: "sha256:" and the hex SHA-256 of the bytes.
func hashOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// snapshot is every resource of every kind, deleted ones included, as
// listed at one moment.
type snapshot map[*kind]map[string]*envelope

// maxPages bounds the pages listed per kind.
const maxPages = 100

// takeSnapshot lists every resource of every kind.
func takeSnapshot(c *client) (snapshot, error) {
	snap := make(snapshot)
	for _, k := range kinds {
		snap[k] = make(map[string]*envelope)
		cursor := ""
		for page := 0; ; page++ {
			if page == maxPages {
				return nil, fmt.Errorf("list %s: more than %d pages", k.path, maxPages)
			}
			q := "?include_deleted=true&limit=1000"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			var p struct {
				Items      []*envelope `json:"items"`
				NextCursor *string     `json:"next_cursor"`
			}
			if _, err := c.expect(200, &p, "GET", k.path+q, nil); err != nil {
				return nil, err
			}
			for _, e := range p.Items {
				if _, dup := snap[k][e.Meta.ResourceID]; dup {
					return nil, fmt.Errorf("list %s: %s listed twice", k.path, e.Meta.ResourceID)
				}
				snap[k][e.Meta.ResourceID] = e
			}
			if p.NextCursor == nil {
				break
			}
			cursor = *p.NextCursor
		}
	}
	return snap, nil
}

// decode returns the data of e as a T.
func decode[T any](e *envelope) T {
	var v T
	_ = json.Unmarshal(e.Data, &v) // checked by checkHistory (canonical)
	return v
}

// problems collects invariant violations from several goroutines.
type problems struct {
	mu   sync.Mutex
	list []string
}

func (p *problems) add(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// report fails t with the problems found, at most 30 of them.
func (p *problems) report(t *testing.T, when string) {
	t.Helper()
	for i, s := range p.list {
		if i == 30 {
			t.Errorf("%s: ... and %d more", when, len(p.list)-30)
			break
		}
		t.Errorf("%s: %s", when, s)
	}
}

// revKey names one revision.
type revKey struct {
	id string
	n  int
}

// checkHistories checks the revision history of every resource of snap
// (see checkHistory) with a few concurrent readers, and returns the data
// hash of every revision read.
func checkHistories(c *client, snap snapshot, p *problems) map[revKey]string {
	type job struct {
		k *kind
		e *envelope
	}
	jobs := make(chan job)
	hashes := make(map[revKey]string)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for j := range jobs {
				got := checkHistory(c, j.k, j.e, p)
				mu.Lock()
				for n, h := range got {
					hashes[revKey{j.e.Meta.ResourceID, n}] = h
				}
				mu.Unlock()
			}
		})
	}
	for _, k := range kinds {
		for _, e := range snap[k] {
			jobs <- job{k, e}
		}
	}
	close(jobs)
	wg.Wait()
	return hashes
}

// checkHistory checks one resource's revisions: the current one is
// readable and equal to the envelope; the revisions are numbered 1 to
// total_revision_count without a gap (less what retention pruned), each
// the child of the one before; each revision's data is canonical and
// hashes to its data_hash. It returns the hash of every revision read.
// The revisions of a live resource are listed and read through
// .../revisions; those of a deleted one (whose history route answers
// 410, issue 17) through GET ?revision=n&include_deleted=true.
func checkHistory(c *client, k *kind, e *envelope, p *problems) map[int]string {
	id := e.Meta.ResourceID
	what := k.name + " " + id
	n := e.Meta.TotalRevisionCount
	cur, ok := resource.ParseRevision(id, e.Meta.CurrentRevisionID)
	if !ok || cur < 1 || cur > n || e.RevisionInfo.RevisionID != e.Meta.CurrentRevisionID {
		p.add("%s: current revision %q, revision_info %q, total_revision_count %d", what, e.Meta.CurrentRevisionID, e.RevisionInfo.RevisionID, n)
		return nil
	}
	checkData(k, what+" (current)", e.Data, e.RevisionInfo.DataHash, p)
	first := 1
	if k.keepLast > 0 {
		first = max(1, n-k.keepLast+1)
	}
	want := make([]int, 0, n-first+1)
	for i := n; i >= first; i-- {
		want = append(want, i)
	}
	hashes := make(map[int]string)
	if e.live() {
		infos, err := listRevisions(c, k, id)
		if err != nil {
			p.add("%s: list revisions: %v", what, err)
			return nil
		}
		var got []int
		for _, info := range infos {
			num, _ := resource.ParseRevision(id, info.RevisionID)
			got = append(got, num)
		}
		if !slices.Equal(got, want) {
			p.add("%s: total_revision_count %d, listed revisions %v, want %v", what, n, got, want)
		}
		var rb revisionBody
		if _, err := c.expect(200, &rb, "GET", k.path+"/"+id+"/revisions/"+url.PathEscape(e.Meta.CurrentRevisionID), nil); err != nil {
			p.add("%s: current revision not readable: %v", what, err)
		} else if !bytes.Equal(rb.Data, e.Data) || rb.RevisionInfo.DataHash != e.RevisionInfo.DataHash {
			p.add("%s: current revision %s reads other data than the resource", what, e.Meta.CurrentRevisionID)
		}
	}
	for _, num := range want {
		data, info, err := readRevision(c, k, e, num)
		if err != nil {
			p.add("%s: revision %d: %v", what, num, err)
			continue
		}
		checkData(k, fmt.Sprintf("%s revision %d", what, num), data, info.DataHash, p)
		parent := ""
		if info.ParentRevisionID != nil {
			parent = *info.ParentRevisionID
		}
		if wantParent := resource.RevisionID(id, num-1); (num == 1 && parent != "") || (num > 1 && parent != wantParent) {
			p.add("%s revision %d: parent %q, want the revision before it", what, num, parent)
		}
		hashes[num] = info.DataHash
	}
	return hashes
}

// checkData checks that data is canonical and hashes to hash.
func checkData(k *kind, what string, data json.RawMessage, hash string, p *problems) {
	if got := hashOf(data); got != hash {
		p.add("%s: data hashes to %s, data_hash says %s", what, got, hash)
	}
	canon, err := k.canonical(data)
	if err != nil {
		p.add("%s: data does not decode: %v", what, err)
	} else if !bytes.Equal(canon, data) {
		p.add("%s: data is not canonical:\n got %s\nwant %s", what, data, canon)
	}
}

// listRevisions lists every revision of a live resource, newest first.
func listRevisions(c *client, k *kind, id string) ([]resource.RevisionInfo, error) {
	var out []resource.RevisionInfo
	cursor := ""
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("more than %d pages", maxPages)
		}
		q := "?limit=1000"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		var rp struct {
			Items      []resource.RevisionInfo `json:"items"`
			NextCursor *string                 `json:"next_cursor"`
		}
		if _, err := c.expect(200, &rp, "GET", k.path+"/"+id+"/revisions"+q, nil); err != nil {
			return nil, err
		}
		out = append(out, rp.Items...)
		if rp.NextCursor == nil {
			return out, nil
		}
		cursor = *rp.NextCursor
	}
}

// readRevision reads revision num of the resource e.
func readRevision(c *client, k *kind, e *envelope, num int) (json.RawMessage, *resource.RevisionInfo, error) {
	id := e.Meta.ResourceID
	if e.live() {
		var rb revisionBody
		if _, err := c.expect(200, &rb, "GET", k.path+"/"+id+"/revisions/"+strconv.Itoa(num), nil); err != nil {
			return nil, nil, err
		}
		return rb.Data, &rb.RevisionInfo, nil
	}
	var env envelope
	if _, err := c.expect(200, &env, "GET", k.path+"/"+id+"?include_deleted=true&revision="+strconv.Itoa(num), nil); err != nil {
		return nil, nil, err
	}
	return env.Data, &env.RevisionInfo, nil
}

// checkRefs checks that no live resource refers to a deleted or unknown
// one (on_delete cascade, restrict and set_null keep it so), and that
// every reference, live or not, names a resource that exists.
func checkRefs(snap snapshot, p *problems) {
	ref := func(what string, live bool, target *kind, id string) {
		e := snap[target][id]
		switch {
		case e == nil:
			p.add("%s refers to %s %s, which does not exist", what, target.name, id)
		case live && !e.live():
			p.add("live %s refers to deleted %s %s", what, target.name, id)
		}
	}
	for id, e := range snap[posts] {
		d := decode[blog.Post](e)
		ref("post "+id+" (author)", e.live(), authors, d.Author)
		if d.Editor != nil {
			ref("post "+id+" (editor)", e.live(), authors, *d.Editor)
		}
	}
	for id, e := range snap[comments] {
		ref("comment "+id, e.live(), posts, decode[blog.Comment](e).Post)
	}
	for id, e := range snap[feed] {
		ref("feed entry "+id, e.live(), posts, decode[blog.FeedEntry](e).Post)
	}
}

// checkFeed checks the invariant the Post hooks keep in one transaction:
// a post that was published (it has published_at) has exactly one feed
// entry, with its title and publication time, live exactly when the post
// is; a post never published has none. (The suite never restores posts,
// so a live post's entry was never cascaded away.)
func checkFeed(snap snapshot, p *problems) {
	entries := make(map[string][]*envelope)
	for _, e := range snap[feed] {
		post := decode[blog.FeedEntry](e).Post
		entries[post] = append(entries[post], e)
	}
	for id, e := range snap[posts] {
		d := decode[blog.Post](e)
		published := d.Status != nil && *d.Status != blog.PostStatusDraft
		if published != (d.PublishedAt != nil) {
			p.add("post %s: status %v with published_at %v", id, d.Status, d.PublishedAt)
		}
		got := entries[id]
		if d.PublishedAt == nil {
			if len(got) != 0 {
				p.add("post %s was never published but has %d feed entries", id, len(got))
			}
			continue
		}
		if len(got) != 1 {
			p.add("published post %s has %d feed entries, want 1", id, len(got))
			continue
		}
		fe := decode[blog.FeedEntry](got[0])
		if fe.Title != d.Title || !fe.PublishedAt.Equal(*d.PublishedAt) {
			p.add("post %s (%q, %s) has the feed entry %q, %s", id, d.Title, d.PublishedAt, fe.Title, fe.PublishedAt)
		}
		if got[0].live() != e.live() {
			p.add("post %s live=%v has a feed entry live=%v", id, e.live(), got[0].live())
		}
	}
}

// checkUnique tries to break each unique field with a create that copies
// a live resource's value: every one must be refused with 409 naming the
// field.
func checkUnique(c *client, snap snapshot, p *problems) {
	try := func(what, path string, body map[string]any, field string) {
		r, err := c.send("POST", path, body)
		switch {
		case err != nil:
			p.add("%s: %v", what, err)
		case r.status != 409 || !slices.Contains(problemFields(r.body), field):
			p.add("%s: status %d, want 409 naming %s: %s", what, r.status, field, short(r.body))
		}
	}
	var author, post, comment *envelope
	for _, e := range snap[authors] {
		if e.live() {
			author = e
			break
		}
	}
	for _, e := range snap[posts] {
		if a := snap[authors][decode[blog.Post](e).Author]; e.live() && a != nil && a.live() {
			post = e
			break
		}
	}
	for _, e := range snap[comments] {
		if e.live() && decode[blog.Comment](e).ExternalID != nil {
			comment = e
			break
		}
	}
	if author == nil || post == nil || comment == nil {
		p.add("unique: no live author, post and comment to copy")
		return
	}
	a := decode[blog.Author](author)
	try("duplicate email", authors.path, map[string]any{"name": "Copy", "email": a.Email}, "email")
	pd := decode[blog.Post](post)
	try("duplicate slug", posts.path, map[string]any{"title": "Copy of a post", "slug": *pd.Slug, "author": pd.Author}, "slug")
	cd := decode[blog.Comment](comment)
	try("duplicate external_id", comments.path, map[string]any{"post": post.Meta.ResourceID, "author_name": "Copy",
		"body": "copy", "external_id": *cd.ExternalID}, "external_id")
}
