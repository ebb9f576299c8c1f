package reliability

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/specstar-go/specstar/examples/blog/blog"
	"github.com/specstar-go/specstar/runtime/resource"
)

// This file is the crash test's workload: families of resources (authors,
// their posts, the comments on those posts), each written by one worker
// at a time with every kind of write (create, update with If-Match from a
// read, publish, delete, restore), so that the answer of each write is
// predictable from the family's state, and a ledger of what the server
// acknowledged.

// ack is one write the server acknowledged with a 2xx: the resource was
// then at revision rev, whose data hashes to hash.
type ack struct {
	k    *kind
	id   string
	op   string
	rev  int
	hash string
}

// expectation is what an acknowledged write says of a resource's state;
// unknown after a write that got no answer.
type expectation struct {
	deleted bool
	known   bool
}

// ledger records the outcome of every write of a run. It is shared by the
// workers.
type ledger struct {
	mu         sync.Mutex
	acks       []ack
	expect     map[string]expectation // by kind path + "/" + id
	inFlight   int                    // writes cut by a kill: sent, never answered
	refused    int                    // writes sent after a kill: connection refused
	ops        map[string]int         // acknowledged writes by operation
	predicted  map[string]int         // predicted refusals (409, 422) by operation
	unexpected []string
}

func newLedger() *ledger {
	return &ledger{expect: make(map[string]expectation), ops: make(map[string]int), predicted: make(map[string]int)}
}

// acked records an acknowledged write answered with env.
func (l *ledger) acked(k *kind, op string, env *envelope) {
	id := env.Meta.ResourceID
	n, _ := resource.ParseRevision(id, env.RevisionInfo.RevisionID)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acks = append(l.acks, ack{k: k, id: id, op: op, rev: n, hash: env.RevisionInfo.DataHash})
	l.expect[k.path+"/"+id] = expectation{deleted: env.Meta.IsDeleted, known: true}
	l.ops[op]++
}

// setExpect records the state a write implies for another resource (a
// cascade).
func (l *ledger) setExpect(k *kind, id string, e expectation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expect[k.path+"/"+id] = e
}

// lost records a write that got no answer (err): the resources it
// touches are in an unknown state until the next snapshot.
func (l *ledger) lost(err error, targets ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if isRefused(err) {
		l.refused++
	} else {
		l.inFlight++
	}
	for _, t := range targets {
		l.expect[t] = expectation{}
	}
}

func (l *ledger) refusal(op string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.predicted[op]++
}

func (l *ledger) wrong(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.unexpected = append(l.unexpected, fmt.Sprintf(format, args...))
}

// checkAcks checks every acknowledged write against the snapshot and the
// revision hashes read by checkHistories: the resource exists, has at
// least the acknowledged revision, and that revision still holds the
// acknowledged data; a resource whose last write was acknowledged is
// deleted exactly when that write left it deleted.
func (l *ledger) checkAcks(snap snapshot, hashes map[revKey]string, p *problems) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acks {
		e := snap[a.k][a.id]
		if e == nil {
			p.add("acknowledged %s of %s %s is lost: the resource does not exist", a.op, a.k.name, a.id)
			continue
		}
		if e.Meta.TotalRevisionCount < a.rev {
			p.add("acknowledged %s of %s %s at revision %d: only %d revisions", a.op, a.k.name, a.id, a.rev, e.Meta.TotalRevisionCount)
			continue
		}
		h, ok := hashes[revKey{a.id, a.rev}]
		if !ok && a.k.keepLast > 0 && a.rev <= e.Meta.TotalRevisionCount-a.k.keepLast {
			continue // pruned by retention
		}
		if h != a.hash {
			p.add("acknowledged %s of %s %s: revision %d holds %q, acknowledged %q", a.op, a.k.name, a.id, a.rev, h, a.hash)
		}
	}
	for key, x := range l.expect {
		if !x.known {
			continue
		}
		path, id, _ := strings.Cut(strings.TrimPrefix(key, "/api/"), "/")
		k := kindOfPath("/api/" + path)
		if e := snap[k][id]; e != nil && e.Meta.IsDeleted != x.deleted {
			p.add("%s %s: is_deleted %v, the last acknowledged write left it %v", k.name, id, e.Meta.IsDeleted, x.deleted)
		}
	}
}

// kindOfPath returns the kind served at path.
func kindOfPath(path string) *kind {
	for _, k := range kinds {
		if k.path == path {
			return k
		}
	}
	panic("no kind at " + path)
}

// family is the state of one worker's resources, as it knows them.
type family struct {
	n        int
	next     int // numbers new names; never reused, even across restarts
	authors  map[string]*authorState
	posts    map[string]*postState
	comments map[string]*commentState
}

type authorState struct {
	live  bool
	email string
}

type postState struct {
	live   bool
	author string
}

type commentState struct {
	live bool
	post string
}

func newFamily(n int) *family {
	return &family{n: n}
}

// emailPrefix starts the email of every author of the family.
func (f *family) emailPrefix() string { return fmt.Sprintf("f%d-", f.n) }

// resync sets the family's state from a snapshot: its authors are found
// by email, its posts by author and its comments by post, so that the
// writes a kill cut off (applied or not) are known again.
func (f *family) resync(snap snapshot) {
	f.authors = make(map[string]*authorState)
	f.posts = make(map[string]*postState)
	f.comments = make(map[string]*commentState)
	for id, e := range snap[authors] {
		if a := decode[blog.Author](e); strings.HasPrefix(a.Email, f.emailPrefix()) {
			f.authors[id] = &authorState{live: e.live(), email: a.Email}
		}
	}
	for id, e := range snap[posts] {
		if d := decode[blog.Post](e); f.authors[d.Author] != nil {
			f.posts[id] = &postState{live: e.live(), author: d.Author}
		}
	}
	for id, e := range snap[comments] {
		if d := decode[blog.Comment](e); f.posts[d.Post] != nil {
			f.comments[id] = &commentState{live: e.live(), post: d.Post}
		}
	}
}

// errServerGone stops a worker: a write got no answer.
var errServerGone = errors.New("no answer")

// worker writes to one family until a write gets no answer (the server
// was killed), maxOps writes were made, or deadline passes.
type worker struct {
	f   *family
	c   *client
	l   *ledger
	rng *rand.Rand
}

// run performs up to maxOps writes before deadline.
func (w *worker) run(maxOps int, deadline time.Time) {
	for range maxOps {
		if time.Now().After(deadline) {
			return
		}
		if err := w.step(); errors.Is(err, errServerGone) {
			return
		}
	}
}

// pick returns a random element of ids whose state satisfies ok, in a
// deterministic order, or "".
func pick[S any](rng *rand.Rand, m map[string]S, ok func(S) bool) string {
	var ids []string
	for id, s := range m {
		if ok(s) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	slices.Sort(ids)
	return ids[rng.IntN(len(ids))]
}

// step performs one write chosen at random among those the family's
// state allows.
func (w *worker) step() error {
	f := w.f
	liveAuthor := pick(w.rng, f.authors, func(a *authorState) bool { return a.live })
	deadAuthor := pick(w.rng, f.authors, func(a *authorState) bool { return !a.live })
	livePost := pick(w.rng, f.posts, func(p *postState) bool { return p.live })
	liveComment := pick(w.rng, f.comments, func(c *commentState) bool { return c.live })
	deadComment := pick(w.rng, f.comments, func(c *commentState) bool { return !c.live })
	type choice struct {
		weight int
		ok     bool
		do     func() error
	}
	choices := []choice{
		{3, liveAuthor == "" || w.count(f.authors, func(a *authorState) bool { return a.live }) < 3, w.createAuthor},
		{2, liveAuthor != "", func() error { return w.updateAuthor(liveAuthor) }},
		{1, liveAuthor != "", func() error { return w.deleteAuthor(liveAuthor) }},
		{1, deadAuthor != "", func() error { return w.restoreAuthor(deadAuthor) }},
		{4, liveAuthor != "", func() error { return w.createPost(liveAuthor) }},
		{6, livePost != "", func() error { return w.updatePost(livePost) }},
		{2, livePost != "", func() error { return w.publishPost(livePost) }},
		{1, livePost != "", func() error { return w.deletePost(livePost) }},
		{4, livePost != "", func() error { return w.createComment(livePost) }},
		{3, liveComment != "", func() error { return w.updateComment(liveComment) }},
		{2, liveComment != "", func() error { return w.deleteComment(liveComment) }},
		{1, deadComment != "", func() error { return w.restoreComment(deadComment) }},
	}
	total := 0
	for _, c := range choices {
		if c.ok {
			total += c.weight
		}
	}
	r := w.rng.IntN(total)
	for _, c := range choices {
		if !c.ok {
			continue
		}
		if r < c.weight {
			return c.do()
		}
		r -= c.weight
	}
	panic("unreachable")
}

func (w *worker) count(m map[string]*authorState, ok func(*authorState) bool) int {
	n := 0
	for _, a := range m {
		if ok(a) {
			n++
		}
	}
	return n
}

// write sends a write expected to answer want (2xx: acknowledged, with
// its envelope recorded; else a predicted refusal). targets are the
// resources the write may change, made unknown when it gets no answer.
func (w *worker) write(k *kind, op string, want int, targets []string, method, path string, body any, header ...string) (*envelope, error) {
	var env envelope
	r, err := w.c.send(method, path, body, header...)
	if err != nil {
		w.l.lost(err, targets...)
		return nil, errServerGone
	}
	if r.status != want {
		w.l.wrong("%s: status %d, want %d: %s", r.req, r.status, want, short(r.body))
		return nil, &errStatus{r}
	}
	if want >= 300 {
		w.l.refusal(op)
		return nil, nil
	}
	if err := json.Unmarshal(r.body, &env); err != nil {
		w.l.wrong("%s: %v", r.req, err)
		return nil, err
	}
	w.l.acked(k, op, &env)
	return &env, nil
}

// read reads a resource for its ETag and data (the read of a
// read-modify-write).
func (w *worker) read(k *kind, id string) (*envelope, string, error) {
	var env envelope
	r, err := w.c.expect(200, &env, "GET", k.path+"/"+id, nil)
	if r == nil && err != nil {
		return nil, "", errServerGone
	}
	if err != nil {
		w.l.wrong("%v", err)
		return nil, "", err
	}
	return &env, r.header.Get("ETag"), nil
}

func (w *worker) name() int {
	w.f.next++
	return w.f.next
}

func (w *worker) createAuthor() error {
	n := w.name()
	email := fmt.Sprintf("%sa%d@example.com", w.f.emailPrefix(), n)
	env, err := w.write(authors, "create author", 201, nil, "POST", authors.path,
		map[string]any{"name": fmt.Sprintf("Author %d of family %d", n, w.f.n), "email": email})
	if env != nil {
		w.f.authors[env.Meta.ResourceID] = &authorState{live: true, email: email}
	}
	return err
}

func (w *worker) updateAuthor(id string) error {
	cur, tag, err := w.read(authors, id)
	if err != nil {
		return err
	}
	a := decode[blog.Author](cur)
	a.Name = fmt.Sprintf("Author v%d", w.name())
	a.Bio = new(strings.Repeat("words ", w.rng.IntN(40)))
	_, err = w.write(authors, "update author", 200, []string{authors.path + "/" + id}, "PUT", authors.path+"/"+id, a, "If-Match", tag)
	return err
}

// deleteAuthor deletes an author: cascade deletes its posts, refused
// (409) when one of them has live comments (restrict); set_null clears
// it as the editor of other posts.
func (w *worker) deleteAuthor(id string) error {
	_, tag, err := w.read(authors, id)
	if err != nil {
		return err
	}
	var cascaded []string
	restricted := false
	for pid, p := range w.f.posts {
		if p.live && p.author == id {
			cascaded = append(cascaded, pid)
			for _, c := range w.f.comments {
				restricted = restricted || (c.live && c.post == pid)
			}
		}
	}
	want := 200
	if restricted {
		want = 409
	}
	targets := []string{authors.path + "/" + id}
	for _, pid := range cascaded {
		targets = append(targets, posts.path+"/"+pid)
	}
	env, err := w.write(authors, "delete author", want, targets, "DELETE", authors.path+"/"+id, nil, "If-Match", tag)
	if env != nil {
		w.f.authors[id].live = false
		for _, pid := range cascaded {
			w.f.posts[pid].live = false
			w.l.setExpect(posts, pid, expectation{deleted: true, known: true})
		}
	}
	return err
}

func (w *worker) restoreAuthor(id string) error {
	env, err := w.write(authors, "restore author", 200, []string{authors.path + "/" + id}, "POST", authors.path+"/"+id+"/restore", nil)
	if env != nil {
		w.f.authors[id].live = true
	}
	return err
}

// createPost creates a post, a third of them published at once (which
// writes their feed entry in the same transaction), some with an editor.
func (w *worker) createPost(author string) error {
	n := w.name()
	body := map[string]any{
		"title":  fmt.Sprintf("Family %d post %d", w.f.n, n),
		"author": author,
		"body":   "first version",
		"tags":   []string{"crash", fmt.Sprintf("f%d", w.f.n)},
	}
	if w.rng.IntN(3) == 0 {
		body["status"] = "published"
	}
	if editor := pick(w.rng, w.f.authors, func(a *authorState) bool { return a.live }); editor != author && w.rng.IntN(2) == 0 {
		body["editor"] = editor
	}
	env, err := w.write(posts, "create post", 201, nil, "POST", posts.path, body)
	if env != nil {
		w.f.posts[env.Meta.ResourceID] = &postState{live: true, author: author}
	}
	return err
}

// updatePost changes a post's body and views from a read, with PUT or a
// merge patch and If-Match; a draft is sometimes published this way.
func (w *worker) updatePost(id string) error {
	cur, tag, err := w.read(posts, id)
	if err != nil {
		return err
	}
	n := w.name()
	target := []string{posts.path + "/" + id}
	if w.rng.IntN(2) == 0 {
		patch := map[string]any{"body": fmt.Sprintf("version %d", n), "views": n}
		_, err = w.write(posts, "patch post", 200, target, "PATCH", posts.path+"/"+id, patch,
			"If-Match", tag, "Content-Type", "application/merge-patch+json")
		return err
	}
	p := decode[blog.Post](cur)
	p.Body = new(fmt.Sprintf("version %d", n))
	p.Views = new(int64(n))
	if *p.Status == blog.PostStatusDraft && w.rng.IntN(4) == 0 {
		p.Status = new(blog.PostStatusPublished)
	}
	_, err = w.write(posts, "update post", 200, target, "PUT", posts.path+"/"+id, p, "If-Match", tag)
	return err
}

// publishPost publishes a post through the blog's custom route (409 when
// it already is).
func (w *worker) publishPost(id string) error {
	cur, tag, err := w.read(posts, id)
	if err != nil {
		return err
	}
	want := 200
	if *decode[blog.Post](cur).Status != blog.PostStatusDraft {
		want = 409
	}
	_, err = w.write(posts, "publish post", want, []string{posts.path + "/" + id}, "POST", posts.path+"/"+id+"/publish", nil, "If-Match", tag)
	return err
}

// deletePost deletes a post (cascading to its feed entry), refused with
// 409 while it has live comments (restrict).
func (w *worker) deletePost(id string) error {
	_, tag, err := w.read(posts, id)
	if err != nil {
		return err
	}
	want := 200
	for _, c := range w.f.comments {
		if c.live && c.post == id {
			want = 409
		}
	}
	env, err := w.write(posts, "delete post", want, []string{posts.path + "/" + id}, "DELETE", posts.path+"/"+id, nil, "If-Match", tag)
	if env != nil {
		w.f.posts[id].live = false
	}
	return err
}

func (w *worker) createComment(post string) error {
	n := w.name()
	env, err := w.write(comments, "create comment", 201, nil, "POST", comments.path, map[string]any{
		"post": post, "author_name": fmt.Sprintf("Reader %d", n), "body": fmt.Sprintf("comment %d", n),
		"external_id": uuid.NewString(),
	})
	if env != nil {
		w.f.comments[env.Meta.ResourceID] = &commentState{live: true, post: post}
	}
	return err
}

func (w *worker) updateComment(id string) error {
	cur, tag, err := w.read(comments, id)
	if err != nil {
		return err
	}
	c := decode[blog.Comment](cur)
	c.Body = fmt.Sprintf("comment edited %d", w.name())
	_, err = w.write(comments, "update comment", 200, []string{comments.path + "/" + id}, "PUT", comments.path+"/"+id, c, "If-Match", tag)
	return err
}

func (w *worker) deleteComment(id string) error {
	_, tag, err := w.read(comments, id)
	if err != nil {
		return err
	}
	env, err := w.write(comments, "delete comment", 200, []string{comments.path + "/" + id}, "DELETE", comments.path+"/"+id, nil, "If-Match", tag)
	if env != nil {
		w.f.comments[id].live = false
	}
	return err
}

// restoreComment restores a comment, refused with 422 when its post is
// deleted (a ref must name a live resource).
func (w *worker) restoreComment(id string) error {
	c := w.f.comments[id]
	want := 200
	if !w.f.posts[c.post].live {
		want = 422
	}
	env, err := w.write(comments, "restore comment", want, []string{comments.path + "/" + id}, "POST", comments.path+"/"+id+"/restore", nil)
	if env != nil {
		c.live = true
	}
	return err
}
