package resourcetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/specstar-go/specstar/runtime/resource"
)

// exportTests are the conformance tests of Service.Export and
// Service.Import (the backend's RevisionScanner and raw writes).
func exportTests() []struct {
	name string
	run  func(t *testing.T, e *env)
} {
	return []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{name: "export: every resource and revision in order", run: testExportOrder},
		{name: "export: import into an empty store keeps everything", run: testImportRoundTrip},
		{name: "export: on_duplicate skip, overwrite and fail", run: testImportDuplicates},
		{name: "export: bad imports write nothing", run: testImportBad},
		{name: "export: only admins", run: testExportAccess},
	}
}

// dumped is one exported resource, copied.
type dumped struct {
	kind *resource.Kind
	meta resource.Meta
	revs []resource.Revision
}

// collector is an Exporter that keeps copies of everything.
type collector struct {
	out   []*dumped
	kinds []string
}

func (c *collector) Kind(k *resource.Kind) error {
	c.kinds = append(c.kinds, k.Name)
	return nil
}

func (c *collector) Resource(k *resource.Kind, rec *resource.Record) error {
	c.out = append(c.out, &dumped{kind: k, meta: rec.Meta})
	return nil
}

func (c *collector) Revision(k *resource.Kind, rev *resource.Revision) error {
	d := c.out[len(c.out)-1]
	if d.kind != k || d.meta.ResourceID != rev.Info.ResourceID {
		return fmt.Errorf("revision %s handed after resource %s", rev.Info.RevisionID, d.meta.ResourceID)
	}
	d.revs = append(d.revs, resource.Revision{Info: rev.Info, Data: bytes.Clone(rev.Data)})
	return nil
}

// export exports every kind of the env as admin, or fails the test.
func (e *env) export() []*dumped {
	e.t.Helper()
	var c collector
	if err := e.svc.Export(resource.AsSystem(e.ctx), e.Schema.Kinds, &c, nil); err != nil {
		e.t.Fatalf("Export: %v", err)
	}
	if strings.Join(c.kinds, ",") != "Author,Post,Comment,Like,Event,Node,Note,Member,Ticket,Reply" {
		e.t.Fatalf("Export kinds = %v", c.kinds)
	}
	return c.out
}

// canonical renders a dump as JSON text, to compare two of them.
func canonical(t *testing.T, ds []*dumped) string {
	t.Helper()
	var b strings.Builder
	for _, d := range ds {
		line, err := json.Marshal(struct {
			Kind string              `json:"kind"`
			Meta resource.Meta       `json:"meta"`
			Revs []resource.Revision `json:"revisions"`
		}{d.kind.Name, d.meta, d.revs})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// importInto imports ds into the service of e, mapping kinds by name.
func importInto(e *env, ds []*dumped, o resource.ImportOptions) (resource.ImportStats, error) {
	return e.svc.Import(resource.AsSystem(e.ctx), e.Schema.Kinds, o, func(im *resource.Importer) error {
		for _, d := range ds {
			k := e.Schema.Kind(d.kind.Name)
			if err := im.Resource(k, d.meta); err != nil {
				return err
			}
			for _, rev := range d.revs {
				rev.Data = bytes.Clone(rev.Data)
				if err := im.Revision(k, &rev); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// fill writes a history with every feature an export must keep: several
// revisions, a branch (switch), a draft on top, a soft-deleted resource,
// retention gaps, other subjects, and more resources than one export
// batch.
func fill(e *env) (author, post string) {
	e.t.Helper()
	a := e.create(e.Author, `{"name":"Ann","email":"ann@example.com","profile":{"handle":"ann"}}`)
	e.clock.Add(1500)
	e.update(e.Author, a.Meta.ResourceID, `{"name":"Ann B","email":"ann@example.com","profile":{"handle":"ann"}}`)
	bob := resource.WithSubject(e.ctx, "bob")
	p, err := e.svc.Create(bob, e.Post, json.RawMessage(`{"title":"one","slug":"one","author":"`+a.Meta.ResourceID+`"}`), resource.WriteOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	id := p.Meta.ResourceID
	for i := 2; i <= 5; i++ { // KeepLast 3 prunes revisions 1 and 2
		e.clock.Add(1001)
		e.update(e.Post, id, fmt.Sprintf(`{"title":"v%d","slug":"one","author":"%s"}`, i, a.Meta.ResourceID))
	}
	if _, err := e.svc.Switch(e.ctx, e.Post, id, id+":4", resource.WriteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Update(e.ctx, e.Post, id, json.RawMessage(`{"title":"draft","slug":"one","author":"`+a.Meta.ResourceID+`"}`), resource.WriteOptions{Status: resource.StatusDraft}); err != nil {
		e.t.Fatal(err)
	}
	gone := e.create(e.Note, `{"text":"gone"}`)
	if _, err := e.svc.Delete(e.ctx, e.Note, gone.Meta.ResourceID, resource.WriteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	for i := range 520 {
		e.create(e.Note, fmt.Sprintf(`{"text":"note %d"}`, i))
	}
	return a.Meta.ResourceID, id
}

func testExportOrder(t *testing.T, e *env) {
	author, post := fill(e)
	ds := e.export()
	if len(ds) != 1+1+521 {
		t.Fatalf("exported %d resources, want 523", len(ds))
	}
	prev := map[string]string{}
	var deleted, drafts int
	for _, d := range ds {
		k := d.kind.Name
		if p := prev[k]; p != "" && p >= d.meta.ResourceID {
			t.Fatalf("%s %s exported after %s: want id order", k, d.meta.ResourceID, p)
		}
		prev[k] = d.meta.ResourceID
		if d.meta.IsDeleted {
			deleted++
		}
		last := 0
		for _, rev := range d.revs {
			if rev.Info.Number <= last {
				t.Fatalf("revision %s after number %d: want oldest first", rev.Info.RevisionID, last)
			}
			last = rev.Info.Number
			if rev.Info.Status == resource.StatusDraft {
				drafts++
			}
			if resource.DataHash(rev.Data) != rev.Info.DataHash {
				t.Fatalf("revision %s: data does not match its hash", rev.Info.RevisionID)
			}
		}
	}
	if deleted != 1 || drafts != 1 {
		t.Fatalf("exported %d deleted resources and %d drafts, want 1 and 1", deleted, drafts)
	}
	// The stored history exactly: the post keeps 3 stable revisions and
	// the draft.
	for _, d := range ds {
		switch d.meta.ResourceID {
		case author:
			if len(d.revs) != 2 {
				t.Fatalf("author has %d revisions, want 2", len(d.revs))
			}
		case post:
			var got []string
			for _, rev := range d.revs {
				got = append(got, rev.Info.RevisionID[len(post):]+"<-"+fmt.Sprint(parentNumber(rev.Info.ParentRevisionID)))
			}
			want := e.numbers(e.Post, post, false)
			if len(got) != len(want) {
				t.Fatalf("post revisions %v, stored %v", got, want)
			}
			if d.meta.CreatedBy != "bob" || d.meta.UpdatedBy != "alice" {
				t.Fatalf("post meta by %s/%s, want bob/alice", d.meta.CreatedBy, d.meta.UpdatedBy)
			}
		}
	}
}

// parentNumber renders a parent id for messages.
func parentNumber(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

func testImportRoundTrip(t *testing.T, e *env) {
	fill(e)
	want := canonical(t, e.export())
	e2 := newEnv(t, e.open())
	stats, err := importInto(e2, e.export(), resource.ImportOptions{Empty: true})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if stats.Resources != 523 || stats.Skipped != 0 {
		t.Fatalf("stats = %+v", stats)
	}
	if got := canonical(t, e2.export()); got != want {
		t.Fatalf("the export of the imported store differs:\n%s", firstDiff(got, want))
	}
	// The imported store serves reads and writes as the original did:
	// unique values are held, and a new revision continues the numbering.
	_, err = e2.svc.Create(e2.ctx, e2.Author, json.RawMessage(`{"name":"X","email":"ann@example.com"}`), resource.WriteOptions{})
	wantCode(t, err, resource.CodeConflict)
	post := e.export()[1].meta
	env, err := e2.svc.Update(e2.ctx, e2.Post, post.ResourceID, json.RawMessage(`{"title":"after","slug":"one"}`), resource.WriteOptions{})
	if err != nil {
		t.Fatalf("Update after import: %v", err)
	}
	if want := fmt.Sprintf("%s:%d", post.ResourceID, post.TotalRevisionCount+1); env.RevisionInfo.RevisionID != want {
		t.Fatalf("revision after import = %s, want %s", env.RevisionInfo.RevisionID, want)
	}
	// Restore refuses a store that is not empty.
	_, err = importInto(e2, nil, resource.ImportOptions{Empty: true})
	wantContains(t, wantCode(t, err, resource.CodeConflict).Detail, "not empty")
}

// firstDiff returns the first line where got and want differ.
func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "got:  " + g[i] + "\nwant: " + w[i]
		}
	}
	return fmt.Sprintf("got %d lines, want %d", len(g), len(w))
}

func testImportDuplicates(t *testing.T, e *env) {
	author, _ := fill(e)
	original := e.export()
	want := canonical(t, original)
	e.update(e.Author, author, `{"name":"changed","email":"ann@example.com","profile":{"handle":"ann"}}`)
	changed := canonical(t, e.export())

	// skip: everything is kept as stored.
	stats, err := importInto(e, original, resource.ImportOptions{OnDuplicate: resource.DuplicateSkip})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Skipped != len(original) || stats.Resources != 0 {
		t.Fatalf("skip stats = %+v", stats)
	}
	if got := canonical(t, e.export()); got != changed {
		t.Fatalf("skip changed the store:\n%s", firstDiff(got, changed))
	}
	// fail: a 409 naming the resource, and nothing written.
	_, err = importInto(e, original, resource.ImportOptions{})
	wantContains(t, wantCode(t, err, resource.CodeConflict).Detail, author)
	// overwrite: the archive's history replaces the stored one.
	if _, err := importInto(e, original, resource.ImportOptions{OnDuplicate: resource.DuplicateOverwrite}); err != nil {
		t.Fatal(err)
	}
	if got := canonical(t, e.export()); got != want {
		t.Fatalf("overwrite did not restore the archive:\n%s", firstDiff(got, want))
	}
}

func testImportBad(t *testing.T, e *env) {
	fill(e)
	good := e.export()
	e2 := newEnv(t, e.open())
	e2.create(e2.Member, `{"email":"m@example.com"}`)
	before := canonical(t, e2.export())
	// clone deep-copies the archive, changes the i-th resource with fn.
	clone := func(i int, fn func(d *dumped)) []*dumped {
		out := make([]*dumped, len(good))
		for j, d := range good {
			c := *d
			c.revs = append([]resource.Revision(nil), d.revs...)
			out[j] = &c
		}
		fn(out[i])
		return out
	}
	last := len(good) - 1
	tests := []struct {
		name string
		ds   []*dumped
		o    resource.ImportOptions
		code resource.Code
		want string
	}{
		{name: "altered data", code: resource.CodeValidation, want: "does not match its data",
			ds: clone(last, func(d *dumped) { d.revs[0].Data = json.RawMessage(`{"text":"forged"}`) })},
		{name: "not an object", code: resource.CodeValidation, want: "not a JSON object",
			ds: clone(last, func(d *dumped) { d.revs[0].Data = json.RawMessage(`[1]`) })},
		{name: "future schema version", code: resource.CodeValidation, want: "schema_version 9",
			ds: clone(last, func(d *dumped) { d.meta.SchemaVersion = 9 })},
		{name: "missing current revision", code: resource.CodeValidation, want: "is not among its revisions",
			ds: clone(last, func(d *dumped) { d.revs = nil })},
		{name: "bad revision id", code: resource.CodeValidation, want: "its id is not",
			ds: clone(last, func(d *dumped) { d.revs[0].Info.RevisionID = "other:1" })},
		{name: "bad resource id", code: resource.CodeValidation, want: "bad resource_id",
			ds: clone(last, func(d *dumped) { d.meta.ResourceID = "a/b" })},
		{name: "revisions out of order", code: resource.CodeValidation, want: "oldest first",
			ds: clone(1, func(d *dumped) { d.revs[0], d.revs[1] = d.revs[1], d.revs[0] })},
		{name: "duplicate in the archive", code: resource.CodeConflict, want: "already exists",
			ds: append(clone(0, func(*dumped) {}), good[last])},
		{name: "validator refuses", code: resource.CodeValidation, want: "title is required",
			o: resource.ImportOptions{Validate: func(k *resource.Kind, data json.RawMessage) error {
				if k.Name == "Post" && !bytes.Contains(data, []byte(`"title":"one"`)) {
					return &resource.Error{Code: resource.CodeValidation, Detail: "title is required", Fields: []resource.FieldError{{Field: "title", Message: "required"}}}
				}
				return nil
			}}, ds: good},
		{name: "unique value held", code: resource.CodeConflict, want: "email",
			ds: append(clone(0, func(*dumped) {}), heldMember(e, "M@example.com"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := importInto(e2, tt.ds, tt.o)
			wantContains(t, wantCode(t, err, tt.code).Detail, tt.want)
			if got := canonical(t, e2.export()); got != before {
				t.Fatalf("a failed import changed the store:\n%s", firstDiff(got, before))
			}
		})
	}
	// A failure of the caller's own reading (an archive cut short) also
	// rolls back what was written before it.
	cut := errors.New("unexpected end of archive")
	_, err := e2.svc.Import(resource.AsSystem(e2.ctx), e2.Schema.Kinds, resource.ImportOptions{}, func(im *resource.Importer) error {
		if err := im.Resource(e2.Author, good[0].meta); err != nil {
			return err
		}
		for _, rev := range good[0].revs {
			if err := im.Revision(e2.Author, &rev); err != nil {
				return err
			}
		}
		return cut
	})
	if !errors.Is(err, cut) {
		t.Fatalf("Import = %v, want the caller's error", err)
	}
	if got := canonical(t, e2.export()); got != before {
		t.Fatalf("a cut import changed the store:\n%s", firstDiff(got, before))
	}
}

// heldMember is a member whose email differs only in case from one the
// store holds, for the unique check of imports.
func heldMember(e *env, email string) *dumped {
	data := json.RawMessage(`{"email":"` + email + `"}`)
	now := e.clock.Now().UTC().Truncate(1000)
	id := "imported-member"
	info := resource.RevisionInfo{RevisionID: id + ":1", ResourceID: id, Number: 1, Status: resource.StatusStable,
		DataHash: resource.DataHash(data), SchemaVersion: 1, CreatedTime: now, CreatedBy: "alice", UpdatedTime: now, UpdatedBy: "alice"}
	meta := resource.Meta{ResourceID: id, CurrentRevisionID: id + ":1", TotalRevisionCount: 1, SchemaVersion: 1,
		CreatedTime: now, CreatedBy: "alice", UpdatedTime: now, UpdatedBy: "alice"}
	return &dumped{kind: e.Member, meta: meta, revs: []resource.Revision{{Info: info, Data: data}}}
}

func testExportAccess(t *testing.T, e *env) {
	fill(e)
	var c collector
	// Ticket has permission rules: an editor is not an admin.
	ctx := resource.WithPrincipal(e.ctx, editor)
	err := e.svc.Export(ctx, []*resource.Kind{e.Ticket}, &c, nil)
	wantCode(t, err, resource.CodeForbidden)
	_, err = e.svc.Import(resource.WithPrincipal(e.ctx, anon), []*resource.Kind{e.Ticket}, resource.ImportOptions{}, func(*resource.Importer) error { return nil })
	wantCode(t, err, resource.CodeUnauthenticated)
	if err := e.svc.Export(resource.WithPrincipal(e.ctx, admin), []*resource.Kind{e.Ticket, e.Note}, &c, nil); err != nil {
		t.Fatalf("admin Export: %v", err)
	}
	if len(c.out) != 521 {
		t.Fatalf("admin exported %d resources, want the 521 notes", len(c.out))
	}
}
