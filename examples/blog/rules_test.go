package main

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// unknownID is a well-formed UUIDv7 that names no resource.
const unknownID = "01900000-0000-7000-8000-000000000000"

func testUnique(t *testing.T, c *client) {
	ada := c.createAuthor("Ada", "ada@example.com")
	fields := c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors",
		map[string]any{"name": "Imposter", "email": "ada@example.com"})
	wantFields(t, "duplicate email on create", fields, []string{"email"})
	if n := c.count("authors", ""); n != 1 {
		t.Errorf("a refused create left %d authors, want 1", n)
	}

	// Updates into a taken value are refused too, by PUT and by PATCH.
	bob := c.createAuthor("Bob", "bob@example.com")
	fields = c.problem(http.StatusConflict, "CONFLICT", "PUT", "/api/authors/"+bob,
		map[string]any{"name": "Bob", "email": "ada@example.com"})
	wantFields(t, "duplicate email on PUT", fields, []string{"email"})
	fields = c.problem(http.StatusConflict, "CONFLICT", "PATCH", "/api/authors/"+bob,
		`{"email": "ada@example.com"}`, "Content-Type", mergePatch)
	wantFields(t, "duplicate email on PATCH", fields, []string{"email"})
	if got := c.revisionIDs("authors", bob, ""); !slices.Equal(got, []string{rev(bob, 1)}) {
		t.Errorf("refused updates wrote revisions: %v", got)
	}

	// A soft delete frees the value; restoring the older holder is then a 409.
	c.must(http.StatusOK, "DELETE", "/api/authors/"+ada, nil)
	c.createAuthor("Ada again", "ada@example.com")
	fields = c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors/"+ada+"/restore", nil)
	wantFields(t, "restore of a duplicate", fields, []string{"email"})
	c.problem(http.StatusGone, "GONE", "GET", "/api/authors/"+ada, nil)

	// A switch back to a revision holding a value now taken is a 409.
	c.must(http.StatusOK, "PUT", "/api/authors/"+bob, map[string]any{"name": "Bob", "email": "bob2@example.com"})
	c.createAuthor("New Bob", "bob@example.com")
	fields = c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/authors/"+bob+"/switch/1", nil)
	wantFields(t, "switch to a duplicate", fields, []string{"email"})
	if got := c.must(http.StatusOK, "GET", "/api/authors/"+bob, nil).str(t, "data.email"); got != "bob2@example.com" {
		t.Errorf("refused switch changed the email to %q", got)
	}

	// A value freed by an update can be taken by another resource.
	c.must(http.StatusOK, "PUT", "/api/authors/"+bob, map[string]any{"name": "Bob", "email": "bob3@example.com"})
	c.createAuthor("Another Bob", "bob2@example.com")

	// Null is not a value: any number of comments may leave external_id unset.
	post := c.createPost("Unique things", "unique-things", c.createAuthor("Carol", "carol@example.com"))
	c.createComment(post, "one")
	c.createComment(post, "two")
	comment := map[string]any{"post": post, "author_name": "Reader", "body": "three",
		"external_id": "0b6f1f6e-1c8e-4c1e-9c65-6b1f8d3f2a10"}
	c.must(http.StatusCreated, "POST", "/api/comments", comment)
	fields = c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/comments", comment)
	wantFields(t, "duplicate external_id", fields, []string{"external_id"})

	// Every unique field is enforced: post slugs too.
	fields = c.problem(http.StatusConflict, "CONFLICT", "POST", "/api/posts",
		postBody("Same slug", "unique-things", c.createAuthor("Dan", "dan@example.com")))
	wantFields(t, "duplicate slug", fields, []string{"slug"})
}

func testUniqueConcurrent(t *testing.T, c *client) {
	const writers = 20
	results := make([]*response, writers)
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			<-start
			results[i], errs[i] = c.send("POST", "/api/authors",
				map[string]any{"name": fmt.Sprintf("Racer %d", i), "email": "race@example.com"})
		})
	}
	close(start)
	wg.Wait()

	created := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
			wantFields(t, "concurrent duplicate", checkProblem(t, r, http.StatusConflict, "CONFLICT"), []string{"email"})
		default:
			t.Errorf("writer %d: status %d, want 201 or 409; body: %s", i, r.Status, short(r.Body))
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent creates of one email succeeded, want exactly 1", created)
	}
	if n := c.count("authors", "?include_deleted=true"); n != 1 {
		t.Errorf("%d authors stored, want 1", n)
	}
}

func testRefs(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	post := c.createPost("A real post", "real", author)
	comment := func(p string) map[string]any { return map[string]any{"post": p, "author_name": "R", "body": "Hi"} }

	creates := []struct {
		name  string
		res   string
		body  map[string]any
		field string
	}{
		{name: "unknown author", res: "posts", body: postBody("Orphan", "orphan", unknownID), field: "author"},
		{name: "malformed author id", res: "posts", body: postBody("Orphan", "orphan", "not-an-id"), field: "author"},
		{name: "unknown editor", res: "posts", body: with(postBody("Orphan", "orphan", author), "editor", unknownID), field: "editor"},
		{name: "unknown post", res: "comments", body: comment(unknownID), field: "post"},
		{name: "id of another kind", res: "comments", body: comment(author), field: "post"},
	}
	for _, cr := range creates {
		fields := c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/"+cr.res, cr.body)
		wantFields(t, cr.name, fields, []string{cr.field})
	}
	if n := c.count("posts", "?include_deleted=true"); n != 1 {
		t.Errorf("refused creates left %d posts, want 1", n)
	}
	if n := c.count("comments", "?include_deleted=true"); n != 0 {
		t.Errorf("refused creates left %d comments, want 0", n)
	}

	// A soft-deleted target is not a valid target.
	gone := c.createAuthor("Gone", "gone@example.com")
	c.must(http.StatusOK, "DELETE", "/api/authors/"+gone, nil)
	fields := c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/posts", postBody("Ghost", "ghost", gone))
	wantFields(t, "deleted author", fields, []string{"author"})

	// Updates are checked: nothing is written.
	fields = c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "PUT", "/api/posts/"+post, postBody("A real post", "real", unknownID))
	wantFields(t, "update to an unknown author", fields, []string{"author"})
	if got := c.revisionIDs("posts", post, ""); !slices.Equal(got, []string{rev(post, 1)}) {
		t.Errorf("refused update wrote revisions: %v", got)
	}

	// Restore of a referrer whose target is deleted is refused.
	writer := c.createAuthor("Writer", "writer@example.com")
	cascaded := c.createPost("Cascaded", "cascaded", writer)
	c.must(http.StatusOK, "DELETE", "/api/authors/"+writer, nil)
	fields = c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/posts/"+cascaded+"/restore", nil)
	wantFields(t, "restore with a deleted author", fields, []string{"author"})
	c.problem(http.StatusGone, "GONE", "GET", "/api/posts/"+cascaded, nil)

	// Switch to a revision whose ref target is now deleted is refused.
	editor := c.createAuthor("Editor", "editor@example.com")
	edited := c.must(http.StatusCreated, "POST", "/api/posts", with(postBody("Edited", "edited", author), "editor", editor)).str(t, "meta.resource_id")
	c.must(http.StatusOK, "PUT", "/api/posts/"+edited, postBody("Edited", "edited", author)) // editor cleared
	c.must(http.StatusOK, "DELETE", "/api/authors/"+editor, nil)
	fields = c.problem(http.StatusUnprocessableEntity, "VALIDATION_ERROR", "POST", "/api/posts/"+edited+"/switch/1", nil)
	wantFields(t, "switch to a deleted editor", fields, []string{"editor"})
	if got := c.must(http.StatusOK, "GET", "/api/posts/"+edited, nil).str(t, "meta.current_revision_id"); got != rev(edited, 2) {
		t.Errorf("refused switch moved current to %s", got)
	}
}

func testCascade(t *testing.T, c *client) {
	doomed := c.createAuthor("Doomed", "doomed@example.com")
	bystander := c.createAuthor("Bystander", "bystander@example.com")
	p1 := c.createPost("First doomed", "first-doomed", doomed)
	p2 := c.createPost("Second doomed", "second-doomed", doomed)
	safe := c.createPost("Safe", "safe", bystander)

	c.must(http.StatusOK, "DELETE", "/api/authors/"+doomed, nil)
	for _, p := range []string{p1, p2} {
		c.problem(http.StatusGone, "GONE", "GET", "/api/posts/"+p, nil)
		r := c.must(http.StatusOK, "GET", "/api/posts/"+p+"?include_deleted=true", nil)
		if got := r.str(t, "meta.current_revision_id"); got != rev(p, 1) {
			t.Errorf("cascade wrote a revision of %s: current %s", p, got)
		}
	}
	c.must(http.StatusOK, "GET", "/api/posts/"+safe, nil)
	r := c.must(http.StatusOK, "GET", "/api/posts?deleted=only", nil)
	if got := r.ids(t, "meta.resource_id"); !slices.Equal(got, []string{p1, p2}) {
		t.Errorf("deleted posts %v, want %v", got, []string{p1, p2})
	}
	if n := c.count("posts", ""); n != 1 {
		t.Errorf("%d live posts, want 1", n)
	}

	// Purging an author cascades the same way.
	purged := c.createAuthor("Purged", "purged@example.com")
	p3 := c.createPost("Purged's post", "purged-post", purged)
	c.must(http.StatusNoContent, "DELETE", "/api/authors/"+purged+"/permanently", nil)
	c.problem(http.StatusGone, "GONE", "GET", "/api/posts/"+p3, nil)
}

func testSetNull(t *testing.T, c *client) {
	writer := c.createAuthor("Writer", "writer@example.com")
	editor := c.createAuthor("Editor", "editor@example.com")
	var posts []string
	for i := range 2 {
		r := c.must(http.StatusCreated, "POST", "/api/posts",
			with(postBody(fmt.Sprintf("Edited post %d", i), fmt.Sprintf("edited-%d", i), writer), "editor", editor))
		posts = append(posts, r.str(t, "meta.resource_id"))
	}

	c.must(http.StatusOK, "DELETE", "/api/authors/"+editor, nil)
	for i, p := range posts {
		r := c.must(http.StatusOK, "GET", "/api/posts/"+p, nil)
		checks := []struct {
			path string
			want any
		}{
			{"data.editor", nil},
			{"data.author", writer},
			{"data.title", fmt.Sprintf("Edited post %d", i)},
			{"meta.is_deleted", false},
			{"meta.total_revision_count", 2.0},
			{"revision_info.revision_id", rev(p, 2)},
			{"revision_info.parent_revision_id", rev(p, 1)},
			{"revision_info.status", "stable"},
		}
		for _, ch := range checks {
			if got := r.get(t, ch.path); got != ch.want {
				t.Errorf("post %d after set_null: %s = %v, want %v", i, ch.path, got, ch.want)
			}
		}
		if got := c.must(http.StatusOK, "GET", "/api/posts/"+p+"/revisions/1", nil).str(t, "data.editor"); got != editor {
			t.Errorf("post %d revision 1 editor %q, want the old editor kept in history", i, got)
		}
	}
}

func testRestrict(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	plain := c.createPost("No comments", "no-comments", author)
	commented := c.createPost("Has comments", "has-comments", author) // after plain: a cascade meets it last
	comment := c.createComment(commented, "First!")

	// A post with a live comment can be neither deleted nor purged.
	c.problem(http.StatusConflict, "CONFLICT", "DELETE", "/api/posts/"+commented, nil)
	c.problem(http.StatusConflict, "CONFLICT", "DELETE", "/api/posts/"+commented+"/permanently", nil)

	// Deleting the author would cascade into that post: refused as a whole.
	for _, path := range []string{"/api/authors/" + author, "/api/authors/" + author + "/permanently"} {
		c.problem(http.StatusConflict, "CONFLICT", "DELETE", path, nil)
		for _, live := range []string{"/api/authors/" + author, "/api/posts/" + plain, "/api/posts/" + commented, "/api/comments/" + comment} {
			r := c.must(http.StatusOK, "GET", live, nil)
			if got := r.num(t, "meta.total_revision_count"); got != 1 {
				t.Errorf("after refused %s: %s has %d revisions, want 1", path, live, got)
			}
		}
		if n := c.count("posts", ""); n != 2 {
			t.Errorf("after refused %s: %d live posts, want 2", path, n)
		}
	}

	// A deleted comment no longer restricts.
	c.must(http.StatusOK, "DELETE", "/api/comments/"+comment, nil)
	c.must(http.StatusOK, "DELETE", "/api/authors/"+author, nil)
	c.problem(http.StatusGone, "GONE", "GET", "/api/posts/"+plain, nil)
	c.problem(http.StatusGone, "GONE", "GET", "/api/posts/"+commented, nil)
}

func testConcurrentIfMatch(t *testing.T, c *client) {
	author := c.createAuthor("Ada", "ada@example.com")
	id := c.createPost("Contended", "contended", author)

	const writers = 30
	type result struct {
		title string
		read  string // the revision id the writer read and sent as If-Match
		resp  *response
		err   error
	}
	results := make([]result, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			res := &results[i]
			res.title = fmt.Sprintf("Writer %02d", i)
			<-start
			read, err := c.send("GET", "/api/posts/"+id, nil)
			if err != nil {
				res.err = err
				return
			}
			if read.Status != http.StatusOK {
				res.err = fmt.Errorf("read: status %d: %s", read.Status, short(read.Body))
				return
			}
			v, _ := lookup(read.JSON, "revision_info.revision_id")
			res.read, _ = v.(string)
			res.resp, res.err = c.send("PUT", "/api/posts/"+id, postBody(res.title, "contended", author),
				"If-Match", read.Header.Get("ETag"))
		})
	}
	close(start)
	wg.Wait()

	accepted := make(map[string]string) // revision id -> title written
	readBy := make(map[string]string)   // revision id -> revision its writer read
	for i, res := range results {
		if res.err != nil {
			t.Fatalf("writer %d: %v", i, res.err)
		}
		switch res.resp.Status {
		case http.StatusOK:
			v, _ := lookup(res.resp.JSON, "revision_info.revision_id")
			revID, _ := v.(string)
			if _, dup := accepted[revID]; dup || revID == "" {
				t.Errorf("writer %d: revision %q reported twice or missing", i, revID)
			}
			accepted[revID] = res.title
			readBy[revID] = res.read
		case http.StatusPreconditionFailed:
			checkProblem(t, res.resp, http.StatusPreconditionFailed, "PRECONDITION_FAILED")
		default:
			t.Errorf("writer %d: status %d, want 200 or 412; body: %s", i, res.resp.Status, short(res.resp.Body))
		}
	}
	if len(accepted) == 0 {
		t.Fatal("no concurrent write was accepted")
	}

	r := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions?limit=1000", nil)
	items := r.list(t, "items")
	if len(items) != len(accepted)+1 {
		t.Errorf("%d revisions stored, want %d (1 + %d accepted writes)", len(items), len(accepted)+1, len(accepted))
	}
	parents := make(map[string]string)
	for i := range items {
		revID := r.str(t, fmt.Sprintf("items.%d.revision_id", i))
		if revID == rev(id, 1) {
			continue
		}
		title, ok := accepted[revID]
		if !ok {
			t.Errorf("revision %s was stored but no writer was told it succeeded", revID)
			continue
		}
		parent := r.str(t, fmt.Sprintf("items.%d.parent_revision_id", i))
		if other, dup := parents[parent]; dup {
			t.Errorf("revisions %s and %s share parent %s: a write was lost", other, revID, parent)
		}
		parents[parent] = revID
		if parent != readBy[revID] {
			t.Errorf("revision %s has parent %s, but its writer read %s: the write was not conditional", revID, parent, readBy[revID])
		}
		got := c.must(http.StatusOK, "GET", "/api/posts/"+id+"/revisions/"+revID, nil).str(t, "data.title")
		if got != title {
			t.Errorf("revision %s holds title %q, want %q", revID, got, title)
		}
	}
	// The accepted writes form one linear history.
	if got := c.revisionIDs("posts", id, "&chain=true"); len(got) != len(accepted)+1 {
		t.Errorf("chain of the current revision has %d revisions, want %d", len(got), len(accepted)+1)
	}
}
